//! The self-check every antiderivative passes before it is returned:
//! Richardson-extrapolated central differences of the candidate against the
//! integrand at 16 points of [-4, 4].

use crate::build::subtree;
use crate::eval::eval;
use crate::lang::Expr;
use egg::{Id, Symbol};

const POINTS: usize = 16;
const REL_TOL: f64 = 1e-6;

/// d/dx `candidate` ≈ `expr[root]` wherever the integrand is finite; the
/// candidate must be finite there too (it must be real where the integrand is).
pub fn derivative_matches(candidate: &Expr, expr: &Expr, root: Id, var: Symbol) -> bool {
    let integrand = subtree(expr, root);
    let at = |e: &Expr, x: f64| eval(e, &|s| if s == var { x } else { f64::NAN });
    // Offsets keep the points off 0 and off symmetric special values.
    let xs: Vec<f64> = (0..POINTS).map(|i| -4.0 + 8.0 * (i as f64 + 0.37) / POINTS as f64).collect();
    let values: Vec<f64> = xs.iter().map(|&x| at(&integrand, x)).collect();
    let scale = values.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
    let mut compared = 0;
    for (&x, &f) in xs.iter().zip(&values) {
        if !f.is_finite() {
            continue;
        }
        let g = |t: f64| at(candidate, t);
        if !g(x).is_finite() {
            return false;
        }
        let d = richardson(&g, x);
        if !d.is_finite() || (d - f).abs() > REL_TOL * f.abs().max(1e-3 * scale).max(1e-12) {
            return false;
        }
        compared += 1;
    }
    compared >= POINTS / 2
}

/// Central difference extrapolated twice (error O(h⁶)).
fn richardson(g: &dyn Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-2 * x.abs().max(1.0);
    let d = |h: f64| (g(x + h) - g(x - h)) / (2.0 * h);
    let (d1, d2, d3) = (d(h), d(h / 2.0), d(h / 4.0));
    let (e1, e2) = ((4.0 * d2 - d1) / 3.0, (4.0 * d3 - d2) / 3.0);
    (16.0 * e2 - e1) / 15.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(candidate: &str, integrand: &str) -> bool {
        let (g, f): (Expr, Expr) = (candidate.parse().unwrap(), integrand.parse().unwrap());
        derivative_matches(&g, &f, crate::lang::root(&f), "x".into())
    }

    #[test]
    fn accepts_right_and_rejects_wrong_antiderivatives() {
        assert!(matches("(+ (/ x 2) (/ (sinh (* 2 x)) 4))", "(^ (cosh x) 2)"));
        assert!(!matches("(+ (/ x 2) (/ (sinh (* 2 x)) 4.0001))", "(^ (cosh x) 2)"));
        // Not real where the integrand is: rejected.
        assert!(!matches("(sqrt x)", "(/ 0.5 (sqrt (abs x)))"));
    }
}
