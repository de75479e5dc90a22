//! f64 evaluation of expressions: the numerical ground truth that verification,
//! zero-finding and the tests use.
//!
//! ```
//! use foil_compiler::{eval::eval1, lang::Expr};
//! let e: Expr = "(+ (* 2 x) 1)".parse().unwrap();
//! assert_eq!(eval1(&e, "x", 3.0), 7.0);
//! ```

use crate::lang::{Expr, Func, Math};
use egg::Symbol;

/// Evaluate `expr` with variables bound by `env` (unbound variables are NaN).
pub fn eval(expr: &Expr, env: &dyn Fn(Symbol) -> f64) -> f64 {
    thread_local! {
        // One buffer per thread instead of an allocation per call.
        static VALUES: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    VALUES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut vals) => eval_into(expr, env, &mut vals),
        // `env` itself evaluating an expression: a buffer of its own.
        Err(_) => eval_into(expr, env, &mut Vec::new()),
    })
}

/// [`eval`] keeping every node's value: `vals[i]` is node i's (the buffer is
/// cleared first, so a caller can reuse it across points); returns the root's.
pub fn eval_into(expr: &Expr, env: &dyn Fn(Symbol) -> f64, vals: &mut Vec<f64>) -> f64 {
    let nodes = expr.as_ref();
    vals.clear();
    vals.reserve(nodes.len());
    for node in nodes {
        let v = |id: &egg::Id| vals[usize::from(*id)];
        let r = match node {
            Math::Num(c) => c.into_inner(),
            Math::Pi => std::f64::consts::PI,
            Math::Euler => std::f64::consts::E,
            Math::Var(s) => env(*s),
            Math::Add([a, b]) => v(a) + v(b),
            Math::Sub([a, b]) => v(a) - v(b),
            Math::Mul([a, b]) => v(a) * v(b),
            Math::Div([a, b]) => v(a) / v(b),
            Math::Pow([a, b]) => pow(v(a), v(b)),
            Math::Neg(a) => -v(a),
            Math::Call(f, a) => apply(*f, v(a)),
            Math::Min([a, b]) => v(a).min(v(b)),
            Math::Max([a, b]) => v(a).max(v(b)),
            Math::Where([c, a, b]) => {
                if v(c) != 0.0 {
                    v(a)
                } else {
                    v(b)
                }
            }
            Math::Compare(cmp, [a, b]) => cmp.holds(v(a), v(b)) as u8 as f64,
        };
        vals.push(r);
    }
    *vals.last().unwrap_or(&f64::NAN)
}

/// The f64 value of an elementary function.
pub fn apply(f: Func, x: f64) -> f64 {
    match f {
        Func::Exp => x.exp(),
        Func::Log => x.ln(),
        Func::Log1p => x.ln_1p(),
        Func::Expm1 => x.exp_m1(),
        Func::Sqrt => x.sqrt(),
        Func::Abs => x.abs(),
        Func::Sign => sign(x),
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Atan => x.atan(),
        Func::Sinh => x.sinh(),
        Func::Cosh => x.cosh(),
        Func::Tanh => x.tanh(),
        Func::Asinh => x.asinh(),
        Func::Erf => libm::erf(x),
        Func::Erfi => erfi(x),
    }
}

/// Evaluate a function of one variable `name` at `x`.
pub fn eval1(expr: &Expr, name: &str, x: f64) -> f64 {
    let s = symbol(name);
    eval(expr, &|v| if v == s { x } else { f64::NAN })
}

/// Every node's value of `expr` at `name` = `x` (children before parents,
/// the root last): what [`eval1`] computes on the way.
pub fn eval1_nodes(expr: &Expr, name: &str, x: f64) -> Vec<f64> {
    let s = symbol(name);
    let mut vals = Vec::new();
    eval_into(expr, &|v| if v == s { x } else { f64::NAN }, &mut vals);
    vals
}

/// `Symbol::from(name)`, remembering the last name per thread: interning
/// takes a global lock, and verification and zero-finding call [`eval1`]
/// thousands of times with the same name (it was 8% of a derivation).
fn symbol(name: &str) -> Symbol {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Symbol)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((n, s)) if n == name => *s,
            _ => {
                let s = Symbol::from(name);
                *last = Some((name.to_string(), s));
                s
            }
        }
    })
}

/// Evaluate with variables bound by position in `names`.
pub fn eval_n(expr: &Expr, names: &[Symbol], values: &[f64]) -> f64 {
    eval(expr, &|v| names.iter().position(|n| *n == v).map_or(f64::NAN, |i| values[i]))
}

/// `n` deterministic pseudo-random points, uniform over [lo, hi], as f32
/// (xorshift64 from `seed`): where the tests and the benchmark evaluate, the
/// same points for the same seed in every crate.
pub fn scattered(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (lo + (hi - lo) * (s >> 11) as f64 / (1u64 << 53) as f64) as f32
        })
        .collect()
}

/// `sign` as SPEC defines it: -1, 0 or 1 (NaN propagates).
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// Real power with integer exponents allowed on negative bases. `powi`
/// multiplies, so a power whose intermediate overflows comes out 0 or ±inf
/// where the value is subnormal (204000000800002^-22 is 1.5e-315, `powi`
/// gave 0: an exact zero between nonzero neighbours, which the zero scan
/// took for a root at x = 22); `powf`, which also takes negative bases with
/// whole exponents, decides those.
pub fn pow(a: f64, b: f64) -> f64 {
    if b == b.round() && b.abs() < 1e9 {
        let r = a.powi(b as i32);
        if (r == 0.0 || r.is_infinite()) && a != 0.0 && a.is_finite() {
            return a.powf(b);
        }
        r
    } else {
        a.powf(b)
    }
}

/// The imaginary error function erfi(x) = -i·erf(ix) = 2/√π ∫₀ˣ e^{t²} dt.
///
/// The Maclaurin series has only positive terms, so it sums without
/// cancellation for every x; for |x| > 6 the asymptotic series is used.
pub fn erfi(x: f64) -> f64 {
    let ax = x.abs();
    if ax > 26.7 {
        return x.signum() * f64::INFINITY;
    }
    let r = if ax <= 6.0 {
        let x2 = ax * ax;
        let mut term = ax; // x^(2n+1)/n!
        let mut sum = ax;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= x2 / n;
            let t = term / (2.0 * n + 1.0);
            sum += t;
            // `<=`: at x = 0 (or a subnormal x) every term and the sum are 0.
            if t <= sum * 1e-17 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfi(x) ~ e^{x²}/(x√π) · Σ (2k-1)!!/(2x²)^k
        let inv = 1.0 / (2.0 * ax * ax);
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..40 {
            term *= (2 * k - 1) as f64 * inv;
            sum += term;
            if term < 1e-17 {
                break;
            }
        }
        (ax * ax).exp() / (ax * std::f64::consts::PI.sqrt()) * sum
    };
    x.signum() * r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole power whose intermediate overflows is f64's value, subnormal
    /// or infinite, not powi's 0: 204000000800002^-x read 0 at x = 22 and
    /// nonzero beside it, a false root (its GA was refused for f' "vanishing
    /// at x ≈ 22", its SA term as not monotone). Negative bases keep whole
    /// exponents.
    #[test]
    fn whole_powers_that_pass_f64s_range_in_between_are_powf() {
        let c = 204000000800002.0f64;
        assert_eq!(pow(c, -22.0), c.powf(-22.0));
        assert!(pow(c, -22.0) > 0.0);
        assert_eq!((pow(-2.0, 3.0), pow(-2.0, -2.0), pow(0.0, -1.0)), (-8.0, 0.25, f64::INFINITY));
        assert_eq!((pow(-1e200, 3.0), pow(1e-200, 3.0)), (f64::NEG_INFINITY, 0.0));
        let f = crate::parse::parse("204000000800002^(-x)").unwrap();
        let zeros = crate::zeros::find_zeros(&|x| eval1(&crate::diff::derivative(&f, "x"), "x", x));
        assert!(zeros.is_empty(), "{zeros:?}");
    }

    #[test]
    fn erfi_matches_quadrature() {
        // Independent check: Simpson's rule on 2/√π ∫ e^{t²} dt.
        for &x in &[0.1, 0.5, 1.0, 2.0, 4.0, 5.9, 6.1, 8.0] {
            let n = 20000;
            let h = x / n as f64;
            let f = |t: f64| (t * t).exp();
            let mut s = f(0.0) + f(x);
            for i in 1..n {
                s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h);
            }
            let q = s * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt();
            let r = erfi(x);
            assert!(((r - q) / q).abs() < 1e-10, "erfi({x}) = {r}, quadrature {q}");
            assert_eq!(erfi(-x), -r);
        }
    }
}
