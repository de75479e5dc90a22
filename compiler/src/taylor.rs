//! Taylor arithmetic over intervals: the coefficients `f^(k)(x)/k!`,
//! k = 0..=N, of every node of an expression, each enclosed by an interval,
//! for x ranging over an interval X (or a point). It is what makes the
//! certificate of [`crate::certify`] tight: evaluated at the centre c of X
//! the coefficients are exact up to rounding, and over all of X only the
//! last one is needed (the Lagrange remainder), so
//!
//! ```text
//! f(x) ∈ Σ_{k<N} f_k(c)·(x − c)^k + F_N(X)·(x − c)^N     for every x in X,
//! ```
//!
//! which overestimates by O(|X|^N) instead of the O(|X|) of plain interval
//! evaluation: for g′·f′ − 1, whose terms cancel, that is the difference
//! between a handful of subintervals and millions.
//!
//! The recurrences are the standard ones of automatic differentiation
//! (Griewank & Walther, *Evaluating Derivatives*, ch. 13): each function
//! φ(a) with φ′ expressible through φ itself or a companion (sin/cos,
//! sinh/cosh, tanh with 1 − tanh²) or through a simpler series (atan and
//! asinh through 1/(1 + a²) and its square root, erf through e^(−a²)).
//!
//! A node that is not smooth on X (a `where`, `min`, `max`, `abs` or `sign`
//! whose branch is undecided there, log or sqrt of an interval that reaches
//! 0, a division by an interval holding 0) has no series: evaluation
//! returns `None` and the caller splits X.

use crate::interval::{compare, constant, I};
use crate::lang::{Expr, Func, Math};

/// Taylor coefficients `[f(X), f′(X), f″(X)/2, …]` up to the order.
pub type Series = Vec<I>;

fn zero(n: usize) -> Series {
    vec![I::point(0.0); n]
}

fn is_zero(a: &I) -> bool {
    a.lo == 0.0 && a.hi == 0.0
}

fn constant_series(v: I, n: usize) -> Series {
    let mut s = zero(n);
    s[0] = v;
    s
}

fn add(a: &Series, b: &Series) -> Series {
    a.iter().zip(b).map(|(p, q)| p.add(q)).collect()
}

fn sub(a: &Series, b: &Series) -> Series {
    a.iter().zip(b).map(|(p, q)| p.sub(q)).collect()
}

fn neg(a: &Series) -> Series {
    a.iter().map(I::neg).collect()
}

/// The Cauchy product; exact zero coefficients (constants, the variable's
/// tail) are skipped, which makes polynomial Horner chains cheap.
fn mul(a: &Series, b: &Series) -> Series {
    let n = a.len();
    let nz_a: Vec<usize> = (0..n).filter(|&i| !is_zero(&a[i])).collect();
    let nz_b: Vec<usize> = (0..n).filter(|&i| !is_zero(&b[i])).collect();
    let mut c = zero(n);
    for &i in &nz_a {
        for &j in &nz_b {
            if i + j < n {
                c[i + j] = c[i + j].add(&a[i].mul(&b[j]));
            }
        }
    }
    c
}

fn sqr(a: &Series) -> Series {
    let n = a.len();
    let mut c = zero(n);
    for k in 0..n {
        let mut s = I::point(0.0);
        for i in 0..(k + 1) / 2 {
            if !is_zero(&a[i]) && !is_zero(&a[k - i]) {
                s = s.add(&a[i].mul(&a[k - i]));
            }
        }
        s = s.scale(2.0);
        if k % 2 == 0 {
            // The square term, nonnegative (plain multiplication would not know).
            s = s.add(&a[k / 2].sqr());
        }
        c[k] = s;
    }
    c
}

/// `a / b`; `None` when b's value may be 0.
fn div(a: &Series, b: &Series) -> Option<Series> {
    if b[0].contains(0.0) || !b[0].is_valid() {
        return None;
    }
    let n = a.len();
    let mut q: Series = zero(n);
    for k in 0..n {
        let mut s = a[k];
        for i in 1..=k {
            if !is_zero(&b[i]) {
                s = s.sub(&b[i].mul(&q[k - i]));
            }
        }
        q[k] = s.div(&b[0]);
    }
    Some(q)
}

/// `φ(a)` for φ′ = w·(something): the coefficients of φ from
/// `k·φ_k = Σ_{j=1..k} j·a_j·w_{k−j}`, with w given in full.
fn integrate_product(phi0: I, a: &Series, w: &Series) -> Series {
    let n = a.len();
    let mut t = zero(n);
    t[0] = phi0;
    for k in 1..n {
        let mut s = I::point(0.0);
        for j in 1..=k {
            if !is_zero(&a[j]) {
                s = s.add(&a[j].scale(j as f64).mul(&w[k - j]));
            }
        }
        t[k] = s.div(&I::point(k as f64));
    }
    t
}

fn exp(a: &Series) -> Series {
    let n = a.len();
    let mut e = zero(n);
    e[0] = a[0].exp();
    for k in 1..n {
        let mut s = I::point(0.0);
        for j in 1..=k {
            if !is_zero(&a[j]) {
                s = s.add(&a[j].scale(j as f64).mul(&e[k - j]));
            }
        }
        e[k] = s.div(&I::point(k as f64));
    }
    e
}

/// `log(b)` given `log(b_0)` separately (log1p passes a more accurate one).
fn log_with(b: &Series, l0: I) -> Option<Series> {
    if !(b[0].lo > 0.0) {
        return None;
    }
    let n = b.len();
    let mut l = zero(n);
    l[0] = l0;
    for k in 1..n {
        let mut s = I::point(0.0);
        for j in 1..k {
            if !is_zero(&b[k - j]) {
                s = s.add(&l[j].scale(j as f64).mul(&b[k - j]));
            }
        }
        l[k] = b[k].sub(&s.div(&I::point(k as f64))).div(&b[0]);
    }
    Some(l)
}

fn sqrt(a: &Series) -> Option<Series> {
    let n = a.len();
    let s0 = a[0].sqrt();
    if !s0.is_valid() || (n > 1 && !(s0.lo > 0.0)) {
        return None;
    }
    let mut s = zero(n);
    s[0] = s0;
    let two_s0 = s0.scale(2.0);
    for k in 1..n {
        let mut acc = a[k];
        for j in 1..k {
            acc = acc.sub(&s[j].mul(&s[k - j]));
        }
        s[k] = acc.div(&two_s0);
    }
    Some(s)
}

/// sin and cos (or, `hyperbolic`, sinh and cosh) of `a` together.
fn sin_cos(a: &Series, hyperbolic: bool) -> (Series, Series) {
    let n = a.len();
    let (mut s, mut c) = (zero(n), zero(n));
    if hyperbolic {
        s[0] = a[0].sinh();
        c[0] = a[0].cosh();
    } else {
        s[0] = a[0].sin();
        c[0] = a[0].cos();
    }
    for k in 1..n {
        let (mut ss, mut cs) = (I::point(0.0), I::point(0.0));
        for j in 1..=k {
            if !is_zero(&a[j]) {
                let ja = a[j].scale(j as f64);
                ss = ss.add(&ja.mul(&c[k - j]));
                cs = cs.add(&ja.mul(&s[k - j]));
            }
        }
        let kk = I::point(k as f64);
        s[k] = ss.div(&kk);
        c[k] = if hyperbolic { cs.div(&kk) } else { cs.div(&kk).neg() };
    }
    (s, c)
}

fn tanh(a: &Series) -> Series {
    let n = a.len();
    let (mut t, mut u) = (zero(n), zero(n));
    t[0] = a[0].tanh();
    // 1 − tanh² as 1/cosh²: no cancellation where tanh is near ±1.
    u[0] = a[0].cosh().sqr().recip();
    for k in 1..n {
        let mut s = I::point(0.0);
        for j in 1..=k {
            if !is_zero(&a[j]) {
                s = s.add(&a[j].scale(j as f64).mul(&u[k - j]));
            }
        }
        t[k] = s.div(&I::point(k as f64));
        let mut tt = t[0].mul(&t[k]).scale(2.0);
        for i in 1..k {
            tt = tt.add(&t[i].mul(&t[k - i]));
        }
        u[k] = tt.neg();
    }
    t
}

/// φ(a) with φ′(a) = a′/d for a given series d (atan: 1 + a², asinh: its root).
fn over_d(phi0: I, a: &Series, d: &Series) -> Series {
    let n = a.len();
    let mut t = zero(n);
    t[0] = phi0;
    for k in 1..n {
        let mut s = a[k].scale(k as f64);
        for i in 1..k {
            if !is_zero(&d[i]) {
                s = s.sub(&d[i].mul(&t[k - i]).scale((k - i) as f64));
            }
        }
        t[k] = s.div(&d[0].scale(k as f64));
    }
    t
}

/// The coefficients of every node of `expr` for `var` = `x0 + step·t` (the
/// variable's series is `[x0, step, 0, …]`), `order + 1` each; `None` where
/// some node is not smooth on `x0`. A cell's half-width as `step` keeps t
/// in [-1, 1]: with `step` 1, the k-th term of a cell of radius 1e23 needs
/// (1e23)^k, past f64 from k = 14, times a coefficient that underflows.
pub fn eval_series(expr: &Expr, var: egg::Symbol, x0: I, step: f64, order: usize) -> Option<Vec<Series>> {
    let n = order + 1;
    let mut v: Vec<Series> = Vec::with_capacity(expr.as_ref().len());
    for node in expr.as_ref() {
        let at = |id: &egg::Id| &v[usize::from(*id)];
        let r: Series = match node {
            Math::Num(_) | Math::Pi | Math::Euler => constant_series(constant(node).unwrap(), n),
            Math::Var(s) => {
                if *s != var {
                    return None;
                }
                let mut x = zero(n);
                x[0] = x0;
                if n > 1 {
                    x[1] = I::point(step);
                }
                x
            }
            Math::Add([a, b]) => add(at(a), at(b)),
            Math::Sub([a, b]) => sub(at(a), at(b)),
            Math::Mul([a, b]) => {
                if a == b {
                    sqr(at(a))
                } else {
                    mul(at(a), at(b))
                }
            }
            Math::Div([a, b]) => div(at(a), at(b))?,
            Math::Neg(a) => neg(at(a)),
            Math::Pow([a, b]) => pow(at(a), at(b))?,
            Math::Call(f, a) => call(*f, at(a))?,
            Math::Min([a, b]) | Math::Max([a, b]) => {
                let (p, q) = (at(a), at(b));
                let a_le_b = compare(crate::lang::Cmp::Le, &p[0], &q[0]);
                let a_ge_b = compare(crate::lang::Cmp::Ge, &p[0], &q[0]);
                let pick_a = match node {
                    Math::Min(_) => decided(&a_le_b)?,
                    _ => decided(&a_ge_b)?,
                };
                if pick_a {
                    p.clone()
                } else {
                    q.clone()
                }
            }
            Math::Compare(c, [a, b]) => {
                let r = compare(*c, &at(a)[0], &at(b)[0]);
                decided(&r)?;
                constant_series(r, n)
            }
            Math::Where([c, a, b]) => {
                let c = at(c)[0];
                if !c.is_valid() {
                    return None;
                }
                if !c.contains(0.0) {
                    at(a).clone()
                } else if c.lo == 0.0 && c.hi == 0.0 {
                    at(b).clone()
                } else {
                    return None;
                }
            }
        };
        if !r[0].is_valid() {
            return None;
        }
        v.push(r);
    }
    Some(v)
}

/// What one [`eval_series`] of `expr` costs, in series products: the
/// O(order²) recurrences (a product, a quotient, one function's
/// coefficients; sin and cos, or tanh, two; a general power its logarithm,
/// a product and an exponential), counted from the nodes alone. A sum, a
/// branch or a constant is O(order) and counts nothing; every evaluation
/// counts at least 1. Enough to budget work ([`crate::certify::Budget`]),
/// not a timing.
pub fn series_products(expr: &Expr) -> usize {
    let nodes = expr.as_ref();
    let products = |node: &Math| -> usize {
        match node {
            Math::Mul(_) | Math::Div(_) => 1,
            Math::Pow([_, b]) => match constant(&nodes[usize::from(*b)]).as_ref().and_then(squaring_exponent) {
                // Repeated squaring (`pow`): a square per bit, a product per
                // set bit, and a quotient first for a negative power.
                Some(k) => {
                    let m = k.unsigned_abs();
                    (u64::BITS - m.leading_zeros() + m.count_ones()) as usize + usize::from(k < 0)
                }
                None => 3,
            },
            Math::Call(f, _) => match f {
                Func::Abs | Func::Sign => 0,
                Func::Exp | Func::Expm1 | Func::Log | Func::Log1p | Func::Sqrt => 1,
                Func::Sin | Func::Cos | Func::Sinh | Func::Cosh | Func::Tanh | Func::Atan => 2,
                Func::Asinh | Func::Erf | Func::Erfi => 3,
            },
            _ => 0,
        }
    };
    nodes.iter().map(products).sum::<usize>().max(1)
}

/// A decided comparison's truth; `None` when it is undecided.
fn decided(c: &I) -> Option<bool> {
    if c.lo == 1.0 {
        Some(true)
    } else if c.hi == 0.0 {
        Some(false)
    } else {
        None
    }
}

/// The exponent `a^e` takes by repeated squaring: an integer of at most 64
/// in magnitude, known exactly.
fn squaring_exponent(e: &I) -> Option<i64> {
    (e.lo == e.hi && e.lo == e.lo.round() && e.lo.abs() <= 64.0).then_some(e.lo as i64)
}

fn pow(a: &Series, b: &Series) -> Option<Series> {
    let n = a.len();
    let exponent_is_constant = b.iter().skip(1).all(is_zero);
    if let Some(k) = squaring_exponent(&b[0]).filter(|_| exponent_is_constant) {
        let mut base = if k < 0 { div(&constant_series(I::point(1.0), n), a)? } else { a.clone() };
        let mut acc = constant_series(I::point(1.0), n);
        let mut m = k.unsigned_abs();
        while m > 0 {
            if m & 1 == 1 {
                acc = mul(&acc, &base);
            }
            base = sqr(&base);
            m >>= 1;
        }
        return Some(acc);
    }
    // a^b = exp(b·log a), a > 0.
    let l = log_with(a, a[0].log())?;
    Some(exp(&mul(b, &l)))
}

fn call(f: Func, a: &Series) -> Option<Series> {
    let n = a.len();
    let two_over_sqrt_pi = I::around(std::f64::consts::FRAC_2_SQRT_PI);
    Some(match f {
        Func::Exp => exp(a),
        Func::Expm1 => {
            let mut e = exp(a);
            e[0] = a[0].expm1();
            e
        }
        Func::Log => log_with(a, a[0].log())?,
        Func::Log1p => {
            let mut b = a.clone();
            b[0] = a[0].add(&I::point(1.0));
            log_with(&b, a[0].log1p())?
        }
        Func::Sqrt => sqrt(a)?,
        Func::Abs => {
            if a[0].lo >= 0.0 {
                a.clone()
            } else if a[0].hi <= 0.0 {
                neg(a)
            } else {
                return None;
            }
        }
        Func::Sign => {
            if a[0].lo > 0.0 {
                constant_series(I::point(1.0), n)
            } else if a[0].hi < 0.0 {
                constant_series(I::point(-1.0), n)
            } else {
                return None;
            }
        }
        Func::Sin => sin_cos(a, false).0,
        Func::Cos => sin_cos(a, false).1,
        Func::Sinh => sin_cos(a, true).0,
        Func::Cosh => sin_cos(a, true).1,
        Func::Tanh => tanh(a),
        Func::Atan => {
            let d = add(&constant_series(I::point(1.0), n), &sqr(a));
            over_d(a[0].atan(), a, &d)
        }
        Func::Asinh => {
            let d = sqrt(&add(&constant_series(I::point(1.0), n), &sqr(a)))?;
            over_d(a[0].asinh(), a, &d)
        }
        Func::Erf | Func::Erfi => {
            let sq = sqr(a);
            let w = exp(&if f == Func::Erf { neg(&sq) } else { sq });
            let w: Series = w.iter().map(|c| c.mul(&two_over_sqrt_pi)).collect();
            integrate_product(a[0].apply(f), a, &w)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counted as `eval_series` spends them: a power by squaring, a
    /// negative one through one quotient more, a general one as
    /// exp(b·log a); sums and constants free, yet every evaluation 1.
    #[test]
    fn series_products_count_the_recurrences() {
        for (src, products) in [
            ("(+ x 1)", 1),
            ("(* x x)", 1),
            ("(^ x 3)", 4),
            ("(^ x -2)", 4),
            ("(^ 2 x)", 3),
            ("(^ x 0.5)", 3),
            ("(/ (sin (exp x)) (+ 1 (abs x)))", 4),
            ("(erf (atan x))", 5),
        ] {
            assert_eq!(series_products(&src.parse().unwrap()), products, "{src}");
        }
    }

    /// The point series of each function matches finite differences of it,
    /// and the Lagrange form over an interval encloses the function there.
    #[test]
    fn series_match_derivatives_and_enclose() {
        let cases = [
            "(exp (* 2 x))",
            "(log (+ 2 (sin x)))",
            "(log1p (* x x))",
            "(expm1 (/ x 3))",
            "(sqrt (+ 1 (* x x)))",
            "(tanh (+ x (* 0.5 (^ x 3))))",
            "(atan (* 3 x))",
            "(asinh (- (* x x) 1))",
            "(erf x)",
            "(erfi (/ x 2))",
            "(/ (cosh x) (+ 2 (sinh x)))",
            "(^ (+ 2 x) 0.5)",
            "(^ (+ 2 x) -3)",
            "(* (abs (+ x 5)) (cos x))",
        ];
        let var = egg::Symbol::from("x");
        for src in cases {
            let e: Expr = src.parse().unwrap();
            for &c in &[-0.7, 0.1, 0.9] {
                let s = eval_series(&e, var, I::point(c), 1.0, 6).unwrap();
                let s = s.last().unwrap();
                let f = |x: f64| crate::eval::eval1(&e, "x", x);
                // First and second derivatives by central differences.
                let h = 1e-4;
                let d1 = (f(c + h) - f(c - h)) / (2.0 * h);
                let d2 = (f(c + h) - 2.0 * f(c) + f(c - h)) / (h * h);
                assert!(s[0].contains(f(c)) || (s[0].lo - f(c)).abs() < 1e-14, "{src} value at {c}: {:?} vs {}", s[0], f(c));
                let mid1 = 0.5 * (s[1].lo + s[1].hi);
                let mid2 = s[2].lo + s[2].hi; // = 2·midpoint = f″
                assert!((mid1 - d1).abs() < 1e-6 * d1.abs().max(1.0), "{src} f' at {c}: {mid1} vs {d1}");
                assert!((mid2 - d2).abs() < 1e-4 * d2.abs().max(1.0), "{src} f'' at {c}: {mid2} vs {d2}");
            }
            // The Lagrange enclosure over [0.2, 0.3] holds every sampled value.
            let (lo, hi, c) = (0.2, 0.3, 0.25);
            let pt = eval_series(&e, var, I::point(c), 1.0, 8).unwrap().pop().unwrap();
            let over = eval_series(&e, var, I::new(lo, hi), 1.0, 8).unwrap().pop().unwrap();
            let t = I::new(lo - c, hi - c);
            let mut enc = over[8].mul(&t.powi(8));
            for k in 0..8 {
                enc = enc.add(&pt[k].mul(&t.powi(k as i64)));
            }
            let (mut vmin, mut vmax) = (f64::INFINITY, f64::NEG_INFINITY);
            for i in 0..=200 {
                let x = lo + (hi - lo) * i as f64 / 200.0;
                let v = crate::eval::eval1(&e, "x", x);
                (vmin, vmax) = (vmin.min(v), vmax.max(v));
                assert!(enc.lo - 1e-15 * v.abs() <= v && v <= enc.hi + 1e-15 * v.abs(), "{src} at {x}: {v} outside {enc:?}");
            }
            // Tight: the terms of order < 8 bound the range (crudely, as
            // ±|p_k|·δ^k), the remainder adds only O(δ^8).
            let poly: f64 = (1..8).map(|k| 2.0 * pt[k].mag() * 0.05f64.powi(k as i32)).sum();
            assert!(enc.hi - enc.lo <= poly + 1e-9, "{src}: enclosure {enc:?} of [{vmin}, {vmax}] is not tight");
        }
    }

    #[test]
    fn non_smooth_nodes_have_no_series() {
        let var = egg::Symbol::from("x");
        let e: Expr = "(abs x)".parse().unwrap();
        assert!(eval_series(&e, var, I::new(-1.0, 1.0), 1.0, 4).is_none());
        assert!(eval_series(&e, var, I::new(0.5, 1.0), 1.0, 4).is_some());
        let w: Expr = "(where (< x 0) x (* 2 x))".parse().unwrap();
        assert!(eval_series(&w, var, I::new(-1.0, 1.0), 1.0, 4).is_none());
        let d: Expr = "(/ 1 x)".parse().unwrap();
        assert!(eval_series(&d, var, I::new(-1.0, 1.0), 1.0, 4).is_none());
    }
}
