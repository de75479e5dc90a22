//! Turning numeric results back into readable expressions: coefficients that
//! are (within rounding) integers, fractions, rational multiples of sqrt(n),
//! pi or sqrt(pi) print as such, and `c·t` prints as `t/4`, `-t`, `2*t`.

use crate::build::Builder;
use crate::lang::Func;
use egg::Id;

/// Relative tolerance for recognising a float as an exact constant: far
/// tighter than the gaps between candidates (q ≤ 1000), far looser than
/// the rounding a specialist accumulates.
const RECOGNISE_TOL: f64 = 1e-11;

/// `v ≈ p/q` with `q ≤ max_q`, by continued fractions.
pub fn as_fraction(v: f64, max_q: i64) -> Option<(i64, i64)> {
    if !v.is_finite() || v.abs() > 1e12 {
        return None;
    }
    let (mut h0, mut h1, mut k0, mut k1) = (0i64, 1i64, 1i64, 0i64);
    let mut x = v;
    for _ in 0..40 {
        let a = x.floor();
        if a.abs() > 1e12 {
            break;
        }
        let a = a as i64;
        let (h2, k2) = (a.checked_mul(h1)?.checked_add(h0)?, a.checked_mul(k1)?.checked_add(k0)?);
        if k2 > max_q {
            break;
        }
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        if ((h1 as f64 / k1 as f64) - v).abs() <= RECOGNISE_TOL * v.abs().max(1e-300) {
            return Some((h1, k1));
        }
        let frac = x - a as f64;
        if frac.abs() < 1e-300 {
            break;
        }
        x = 1.0 / frac;
    }
    None
}

/// `s² · n = m` with `n` squarefree.
fn split_square(m: i64) -> (i64, i64) {
    let (mut s, mut n) = (1, m);
    let mut f = 2;
    while f * f <= n {
        while n % (f * f) == 0 {
            n /= f * f;
            s *= f;
        }
        f += 1;
    }
    (s, n)
}

/// A constant as a recognisable expression (falls back to the float).
pub fn constant(b: &mut Builder, v: f64) -> Id {
    if let Some((p, q)) = as_fraction(v, 1000) {
        return fraction(b, p, q);
    }
    // v = ±sqrt(p/q) = ±(s/q)·sqrt(n) with p·q = s²·n.
    if let Some((p, q)) = as_fraction(v * v, 1000) {
        if p > 0 && p < 1_000_000 {
            let (s, n) = split_square(p * q);
            if n > 1 {
                let root_n = b.num(n as f64);
                let root = b.call(Func::Sqrt, root_n);
                return scaled_fraction(b, v.signum() as i64 * s, q, root);
            }
        }
    }
    for (unit, make) in [(std::f64::consts::PI, unit_pi as fn(&mut Builder) -> Id), (std::f64::consts::PI.sqrt(), unit_sqrt_pi)] {
        if let Some((p, q)) = as_fraction(v / unit, 100) {
            let u = make(b);
            return scaled_fraction(b, p, q, u);
        }
    }
    b.num(v)
}

fn unit_pi(b: &mut Builder) -> Id {
    b.add(crate::lang::Math::Pi)
}

fn unit_sqrt_pi(b: &mut Builder) -> Id {
    let pi = unit_pi(b);
    b.call(Func::Sqrt, pi)
}

fn reduce(p: i64, q: i64) -> (i64, i64) {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 {
            a.abs()
        } else {
            gcd(b, a % b)
        }
    }
    let g = gcd(p, q).max(1);
    let s = if q < 0 { -1 } else { 1 };
    (s * p / g, s * q / g)
}

fn fraction(b: &mut Builder, p: i64, q: i64) -> Id {
    let (p, q) = reduce(p, q);
    let (np, nq) = (b.num(p.abs() as f64), b.num(q as f64));
    let f = b.div(np, nq);
    if p < 0 {
        b.neg(f)
    } else {
        f
    }
}

/// `(p/q)·t` as `t`, `-t`, `p*t`, `t/q`, `p*t/q`.
fn scaled_fraction(b: &mut Builder, p: i64, q: i64, t: Id) -> Id {
    let (p, q) = reduce(p, q);
    let mut r = t;
    if p.abs() != 1 {
        let np = b.num(p.abs() as f64);
        r = b.mul(np, r);
    }
    if q != 1 {
        let nq = b.num(q as f64);
        r = b.div(r, nq);
    }
    if p < 0 {
        b.neg(r)
    } else {
        r
    }
}

/// `c·t` with `c` printed as recognisably as possible.
pub fn scaled(b: &mut Builder, c: f64, t: Id) -> Id {
    if let Some((p, q)) = as_fraction(c, 1000) {
        return scaled_fraction(b, p, q, t);
    }
    if c < 0.0 {
        let pos = scaled(b, -c, t);
        return b.neg(pos);
    }
    let k = constant(b, c);
    b.mul(k, t)
}

/// `Σ cᵢ uⁱ`, lowest degree first (`x + x^3/3`).
pub fn poly(b: &mut Builder, coeffs: &[f64], u: Id) -> Id {
    poly_ordered(b, coeffs, u, false)
}

/// `Σ cᵢ uⁱ`, highest degree first (`x^2 + 4/3`), as inside logs and roots.
pub fn poly_desc(b: &mut Builder, coeffs: &[f64], u: Id) -> Id {
    poly_ordered(b, coeffs, u, true)
}

fn poly_ordered(b: &mut Builder, coeffs: &[f64], u: Id, highest_first: bool) -> Id {
    let coeffs = significant(coeffs);
    let mut powers: Vec<(usize, f64)> = coeffs.iter().copied().enumerate().filter(|(_, c)| *c != 0.0).collect();
    if highest_first {
        powers.reverse();
    }
    let terms: Vec<Id> = powers
        .into_iter()
        .map(|(i, c)| {
            let p = b.powi(u, i as i32);
            scaled(b, c, p)
        })
        .collect();
    b.sum(terms)
}

/// Coefficients that are rounding noise next to the others become exact zeros.
fn significant(coeffs: &[f64]) -> Vec<f64> {
    let scale = coeffs.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    coeffs.iter().map(|&c| if c.abs() <= 1e-13 * scale { 0.0 } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: f64) -> String {
        let mut b = Builder::new();
        let id = constant(&mut b, v);
        b.finish_at(id).to_string()
    }

    #[test]
    fn recognises_exact_constants() {
        assert_eq!(show(3.0000000000001), "3");
        assert_eq!(show(1.0 / 3.0), "(/ 1 3)");
        assert_eq!(show(3f64.sqrt() / 2.0), "(/ (sqrt 3) 2)");
        assert_eq!(show(std::f64::consts::PI / 4.0), "(/ pi 4)");
        assert_eq!(show(0.123456789123), "0.123456789123");
    }
}
