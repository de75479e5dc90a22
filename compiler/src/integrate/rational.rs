//! ∫ N(u)/D(u) du for real polynomials: polynomial division, then partial
//! fractions over the numeric roots of D (complex roots in conjugate pairs,
//! giving log and atan terms so the result stays real).

use super::poly::{distinct_roots, taylor_at, Poly};
use super::readable;
use crate::build::Builder;
use crate::lang::Func;
use egg::Id;
use num_complex::Complex64 as C;

/// Partial-fraction coefficients this small (relative to the largest) are
/// cancelled common factors of N and D, not terms.
const DROP_TOL: f64 = 1e-9;

/// The highest denominator degree tried: the partial fractions need every
/// root, and from degree 30 (a sum of five tanh(k·x) over e^(2x)) f64's
/// roots no longer verify; a sum of 40 spent half a minute finding them.
const MAX_DEGREE: usize = 64;

/// Emit an antiderivative of `num/den` in the variable `u` (an expression in
/// `b`). `u_positive`: `u` only takes positive values (as `exp(x)` does), so
/// `log(abs(u - r))` with `r ≤ 0` needs no `abs`.
pub fn integrate(num: &Poly, den: &Poly, b: &mut Builder, u: Id, u_positive: bool) -> Option<Id> {
    if den.is_zero() || den.deg() > MAX_DEGREE {
        return None;
    }
    let (quot, rem) = num.divrem(den);
    let mut terms = Vec::new();
    // Polynomial part: Σ qᵢ u^{i+1}/(i+1).
    let mut antideriv = vec![0.0; quot.0.len() + 1];
    for (i, c) in quot.0.iter().enumerate() {
        antideriv[i + 1] = c / (i + 1) as f64;
    }
    if quot.0.iter().any(|c| *c != 0.0) {
        terms.push(readable::poly(b, &antideriv, u));
    }
    if !rem.is_zero() {
        terms.extend(proper_fraction(&rem, den, b, u, u_positive)?);
    }
    Some(b.sum(terms))
}

/// The partial-fraction terms of a proper fraction `rem/den`.
fn proper_fraction(rem: &Poly, den: &Poly, b: &mut Builder, u: Id, u_positive: bool) -> Option<Vec<Id>> {
    let roots = distinct_roots(den);
    let rem_c: Vec<C> = rem.0.iter().map(|&c| C::new(c, 0.0)).collect();
    let mut pieces: Vec<(C, usize, C)> = Vec::new(); // (root, power, coefficient)
    for (i, &(r, m)) in roots.iter().enumerate() {
        if r.im < 0.0 {
            continue; // the conjugate partner carries the pair
        }
        // den = lead · (u - r)^m · G(u); Taylor-expand rem/G about r.
        let mut g = vec![C::new(den.lead(), 0.0)];
        for (j, &(s, ms)) in roots.iter().enumerate() {
            if j != i {
                for _ in 0..ms {
                    g = mul_linear(&g, s);
                }
            }
        }
        let num_t = taylor_at(&rem_c, r, m);
        let g_t = taylor_at(&g, r, m);
        let mut h = Vec::with_capacity(m);
        for k in 0..m {
            let acc = (1..=k).fold(num_t[k], |acc, j| acc - h[k - j] * g_t[j]);
            h.push(acc / g_t[0]);
        }
        for (k, hk) in h.into_iter().enumerate() {
            pieces.push((r, m - k, hk));
        }
    }
    // Roots the root finder could not resolve (a high degree, as in a sum of
    // seven tanh(k·x)) leave NaN or infinite coefficients: no closed form by
    // partial fractions, so the caller tries the next method.
    if pieces.iter().any(|(r, _, a)| ![r.re, r.im, a.re, a.im].iter().all(|v| v.is_finite())) {
        return None;
    }
    let scale = pieces.iter().fold(0.0f64, |s, p| s.max(p.2.norm()));
    let mut out = Vec::new();
    for (r, power, a) in pieces {
        if a.norm() <= DROP_TOL * scale {
            continue;
        }
        out.push(if r.im == 0.0 { real_root_term(b, u, r.re, power, a.re, u_positive) } else { complex_pair_term(b, u, r, power, a) });
    }
    Some(out)
}

fn mul_linear(p: &[C], root: C) -> Vec<C> {
    let mut out = vec![C::new(0.0, 0.0); p.len() + 1];
    for (i, c) in p.iter().enumerate() {
        out[i + 1] += c;
        out[i] -= c * root;
    }
    out
}

/// ∫ a/(u - r)^power.
fn real_root_term(b: &mut Builder, u: Id, r: f64, power: usize, a: f64, u_positive: bool) -> Id {
    let lin = readable::poly_desc(b, &[-r, 1.0], u);
    if power == 1 {
        let arg = if u_positive && r <= 0.0 { lin } else { b.call(Func::Abs, lin) };
        let log = b.call(Func::Log, arg);
        readable::scaled(b, a, log)
    } else {
        let p = b.powi(lin, power as i32 - 1);
        let one = b.num(1.0);
        let inv = b.div(one, p);
        readable::scaled(b, -a / (power as f64 - 1.0), inv)
    }
}

/// ∫ a/(u - r)^power + conj, r = α + iβ with β > 0.
fn complex_pair_term(b: &mut Builder, u: Id, r: C, power: usize, a: C) -> Id {
    let (alpha, beta) = (r.re, r.im);
    let quad = readable::poly_desc(b, &[alpha * alpha + beta * beta, -2.0 * alpha, 1.0], u);
    if power == 1 {
        // 2·Re(a·log(u - r)) = Re(a)·log(quad) - 2·Im(a)·atan((u - α)/β) + const.
        let log = b.call(Func::Log, quad);
        let log_term = readable::scaled(b, a.re, log);
        let arg = readable::poly_desc(b, &[-alpha / beta, 1.0 / beta], u);
        let atan = b.call(Func::Atan, arg);
        let atan_term = readable::scaled(b, -2.0 * a.im, atan);
        let parts: Vec<Id> = [(a.re, log_term), (a.im, atan_term)].into_iter().filter(|(c, _)| c.abs() > DROP_TOL * a.norm()).map(|(_, t)| t).collect();
        b.sum(parts)
    } else {
        // 2·Re(-a/((p-1)(u - r)^{p-1})) = 2·Re(-a·(u - r̄)^{p-1}) / ((p-1)·quad^{p-1}).
        let k = power - 1;
        let mut num = vec![C::new(1.0, 0.0)];
        for _ in 0..k {
            num = mul_linear(&num, r.conj());
        }
        let coeffs: Vec<f64> = num.iter().map(|c| (-a * c * 2.0 / k as f64).re).collect();
        let top = readable::poly_desc(b, &Poly(coeffs).trimmed().0, u);
        let bottom = b.powi(quad, k as i32);
        b.div(top, bottom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Denominators past MAX_DEGREE are not tried (their roots took half a
    /// minute and did not verify); below it a closed form still comes.
    #[test]
    fn denominators_past_the_degree_bound_are_not_tried() {
        let power_plus_one = |n: usize| {
            let mut c = vec![0.0; n + 1];
            (c[0], c[n]) = (1.0, 1.0);
            Poly(c)
        };
        let try_degree = |n: usize| {
            let mut b = Builder::new();
            let u = b.var("u");
            integrate(&Poly::constant(1.0), &power_plus_one(n), &mut b, u, true).is_some()
        };
        assert!(try_degree(2) && try_degree(4), "1/(u^2 + 1), 1/(u^4 + 1)");
        assert!(!try_degree(MAX_DEGREE + 1));
    }
}
