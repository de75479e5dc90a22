//! Verification per SPEC §5, in f64: a derived adversarial is accepted only
//! when its derivative matches 1/f' at ≥ 64 points over [-8, 8] and around
//! every break point, it meets the anchor, and it is real and finite.
//!
//! Two independent witnesses are checked: g' from symbolic differentiation of
//! g (to 1e-9, the SPEC bound), and g' from an 8th-order finite difference of g
//! (to 1e-6), which does not trust the differentiator.

use crate::eval::eval1;
use crate::lang::{Constant, Expr, Math};
use egg::{Id, Language};
use serde::Serialize;

/// SPEC §5 tolerance: |g' - 1/f'| ≤ REL_TOL · max(1, |1/f'|).
pub const REL_TOL: f64 = 1e-9;
/// Tolerance for the finite-difference witness (its own truncation error is ~1e-10).
pub const NUMERIC_TOL: f64 = 1e-6;
/// |g(anchor) - f(anchor)| ≤ ANCHOR_TOL · max(1, |f(anchor)|), plus the
/// rounding of g's additive spine there ([`spine_rounding`]).
pub const ANCHOR_TOL: f64 = 1e-12;
/// The verified range.
pub const RANGE: (f64, f64) = (-8.0, 8.0);
/// Evenly spread points over [`RANGE`].
pub const GRID_POINTS: usize = 129;

#[derive(Clone, Debug, Serialize)]
pub struct SamplePoint {
    pub x: f64,
    /// 1/f'(x).
    pub expected: f64,
    /// g'(x) from the symbolic derivative of g.
    pub actual: f64,
    pub rel_error: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub passed: bool,
    pub points: usize,
    /// The span of the sample points: [`RANGE`], wider where points beside
    /// a break point lie beyond it.
    pub range: (f64, f64),
    pub max_rel_error: f64,
    /// Where the largest error occurred.
    pub worst_x: f64,
    pub numeric_max_rel_error: f64,
    /// |g(anchor) - f(anchor)|, when an anchor applies.
    pub anchor_error: Option<f64>,
    /// Points where g is NaN (not real) or infinite although the maths is finite.
    pub non_finite_at: Vec<f64>,
    pub samples: Vec<SamplePoint>,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// The verification sample: an even grid plus points either side of each break.
pub fn sample_points(breaks: &[f64]) -> Vec<f64> {
    let (lo, hi) = RANGE;
    let mut xs: Vec<f64> = (0..GRID_POINTS).map(|i| lo + (hi - lo) * i as f64 / (GRID_POINTS - 1) as f64).collect();
    for &b in breaks {
        for d in [1e-6, 1e-3, 0.1] {
            xs.push(b - d);
            xs.push(b + d);
        }
    }
    xs.retain(|x| !breaks.contains(x));
    xs.sort_by(|a, b| a.total_cmp(b));
    xs
}

/// An 8th-order central difference, independent of the symbolic differentiator.
pub fn numeric_derivative(g: &Expr, var: &str, x: f64) -> f64 {
    let h = 1e-3 * x.abs().max(1.0);
    let c = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
    let mut s = 0.0;
    for (k, ck) in c.iter().enumerate() {
        let k = (k + 1) as f64;
        s += ck * (eval1(g, var, x + k * h) - eval1(g, var, x - k * h));
    }
    s / h
}

/// Which nodes of `expr` lie on its additive spine: the root, and the
/// operands of a spine `+`, `-` or `neg` and the branches of a spine
/// `where`, when every use of the node is such an operand. A spine node's
/// value reaches the root unscaled, so a constant added there (the anchor's
/// C in g = g₀ + C) shifts g and nothing else.
fn additive_spine(expr: &Expr) -> Vec<bool> {
    let nodes = expr.as_ref();
    let (mut uses, mut spine_uses) = (vec![0usize; nodes.len()], vec![0usize; nodes.len()]);
    let mut spine = vec![false; nodes.len()];
    for i in (0..nodes.len()).rev() {
        spine[i] = i + 1 == nodes.len() || (uses[i] > 0 && uses[i] == spine_uses[i]);
        let passed: &[Id] = match &nodes[i] {
            Math::Add(ab) | Math::Sub(ab) if spine[i] => ab,
            Math::Neg(a) if spine[i] => std::slice::from_ref(a),
            Math::Where([_, a, b]) if spine[i] => &[*a, *b][..],
            _ => &[],
        };
        for &c in nodes[i].children() {
            uses[usize::from(c)] += 1;
        }
        for &c in passed {
            spine_uses[usize::from(c)] += 1;
        }
    }
    spine
}

/// `expr` with the constants on its additive spine set to 0: the same
/// derivative, without rounding a large constant into every value. g
/// anchored at 10 is `0.5*x + (0.25*sinh(2*x) - 1.2e8)`, whose values near
/// 0 f64 holds only to about 1e-8, too coarse for a finite difference with
/// h = 1e-3 to check g' to 1e-6.
pub fn without_additive_constants(expr: &Expr) -> Expr {
    let nodes = expr.as_ref();
    let spine = additive_spine(expr);
    let mut out = Expr::default();
    let mut new_id: Vec<Id> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let strip = spine[i] && matches!(node, Math::Add(_) | Math::Sub(_));
        let mut copy = node.clone();
        for c in copy.children_mut() {
            *c = if strip && matches!(nodes[usize::from(*c)], Math::Num(_)) { out.add(Math::Num(Constant::default())) } else { new_id[usize::from(*c)] };
        }
        new_id.push(out.add(copy));
    }
    out
}

/// What rounding alone can make of `expr`'s value at `x` through its
/// additive spine: the unit roundoff times |a| + |b| summed over the spine's
/// sums and differences that the evaluation reaches (a `where` reaches its
/// taken branch). g = g₀ + C with |C| = 1.2e8 is exact only to about 3e-8.
pub fn spine_rounding(expr: &Expr, var: &str, x: f64) -> f64 {
    let vals = crate::eval::eval1_nodes(expr, var, x);
    let nodes = expr.as_ref();
    let spine = additive_spine(expr);
    let mut reached = vec![false; nodes.len()];
    let mut total = 0.0;
    for i in (0..nodes.len()).rev() {
        if !(reached[i] || i + 1 == nodes.len()) {
            continue;
        }
        reached[i] = true;
        let v = |c: &Id| vals[usize::from(*c)];
        match &nodes[i] {
            Math::Where([c, a, b]) => {
                reached[usize::from(*c)] = true;
                reached[usize::from(if v(c) != 0.0 { *a } else { *b })] = true;
            }
            node => {
                if let (true, Math::Add([a, b]) | Math::Sub([a, b])) = (spine[i], node) {
                    total += v(a).abs() + v(b).abs();
                }
                node.children().iter().for_each(|c| reached[usize::from(*c)] = true);
            }
        }
    }
    0.5 * f64::EPSILON * total
}

/// How closely f64 can make g meet f at the anchor `a`: g(a) is f64's sum
/// of g₀(a) and C = f(a) - g₀(a), each rounded, so twice its spine's
/// rounding ([`spine_rounding`]). The anchor check allows it; an anchor
/// where it is large is refused (`ga`), and the text says it where it shows.
pub fn anchor_rounding(g: &Expr, var: &str, a: f64) -> f64 {
    2.0 * spine_rounding(g, var, a)
}

/// Is `expr`'s NaN at `x` f64 overflowing (its first NaN node combines an
/// infinity: inf - inf, inf/inf, 0·inf, as `log(e^(4x) + a) - log(e^(4x) + b)`
/// gives from x ≈ 178) rather than the expression leaving the reals (a log,
/// sqrt or power of a negative number, from finite arguments)?
pub fn nan_from_overflow(expr: &Expr, var: &str, x: f64) -> bool {
    let vals = crate::eval::eval1_nodes(expr, var, x);
    let first_nan = vals.iter().position(|v| v.is_nan());
    first_nan.is_some_and(|i| expr.as_ref()[i].children().iter().any(|&c| vals[usize::from(c)].is_infinite()))
}

/// Does evaluating `expr` at `x` leave f64's range on the way: some node
/// infinite, or 0 from operands that are not (an underflow)? Its value
/// there is then f64's, not the function's.
pub fn leaves_f64_range(expr: &Expr, var: &str, x: f64) -> bool {
    let vals = crate::eval::eval1_nodes(expr, var, x);
    expr.as_ref().iter().zip(&vals).any(|(node, &v)| {
        v.is_infinite()
            || (v == 0.0
                && matches!(node, Math::Mul(_) | Math::Div(_) | Math::Pow(_) | Math::Call(crate::lang::Func::Exp, _))
                && node.children().iter().all(|&c| vals[usize::from(c)] != 0.0))
    })
}

/// Check `g' = 1/f'` (both given) and, with `anchor = Some((a, f))`, `g(a) = f`.
pub fn verify_adversarial(f_prime: &Expr, g: &Expr, g_prime: &Expr, var: &str, breaks: &[f64], anchor: Option<(f64, f64)>) -> Verification {
    verify_adversarial_within(f_prime, g, g_prime, var, breaks, anchor, REL_TOL, NUMERIC_TOL, (f64::NEG_INFINITY, f64::INFINITY))
}

/// [`verify_adversarial`] with other bounds, for approximate (regularised)
/// results: their integrands have features of width ε, which an 8th-order
/// finite difference with h = 1e-3 resolves only to ~1e-5.
#[allow(clippy::too_many_arguments)]
pub fn verify_adversarial_within(
    f_prime: &Expr,
    g: &Expr,
    g_prime: &Expr,
    var: &str,
    breaks: &[f64],
    anchor: Option<(f64, f64)>,
    tolerance: f64,
    numeric_tolerance: f64,
    within: (f64, f64),
) -> Verification {
    let mut xs = sample_points(breaks);
    // A numeric g stops where g or g' leaves f32: no sample beyond.
    xs.retain(|x| *x > within.0 && *x < within.1);
    let mut samples = Vec::with_capacity(xs.len());
    let (mut max_rel, mut worst_x, mut max_num) = (0.0f64, f64::NAN, 0.0f64);
    let mut non_finite_at = Vec::new();
    let mut failure = None;
    let g_shape = without_additive_constants(g);
    for &x in &xs {
        let expected = 1.0 / eval1(f_prime, var, x);
        let actual = eval1(g_prime, var, x);
        let scale = expected.abs().max(1.0);
        let rel = if expected == actual { 0.0 } else { (actual - expected).abs() / scale };
        let rel = if rel.is_nan() { f64::INFINITY } else { rel };
        if rel > max_rel || worst_x.is_nan() {
            max_rel = max_rel.max(rel);
            if rel >= max_rel {
                worst_x = x;
            }
        }
        // The finite-difference stencil must not straddle a break point.
        let h = 4e-3 * x.abs().max(1.0);
        if !breaks.iter().any(|b| (x - b).abs() <= h) {
            let n = numeric_derivative(&g_shape, var, x);
            let nrel = (n - expected).abs() / scale;
            max_num = max_num.max(if nrel.is_nan() { f64::INFINITY } else { nrel });
        }
        if !eval1(g, var, x).is_finite() {
            non_finite_at.push(x);
        }
        samples.push(SamplePoint { x, expected, actual, rel_error: rel });
    }
    // Real on the whole line where the maths allows: NaN anywhere on a wide
    // sweep fails. A NaN of g as written that its safe form (what the
    // kernels compute) does not share is f64 overflowing (inf - inf in
    // `log(e^2x + a) - log(e^2x + b)` from x ≈ 355), not g leaving the reals.
    let safe = std::cell::OnceCell::new();
    for k in -40..=40 {
        let x = k as f64 * 25.0;
        if x <= within.0 || x >= within.1 {
            continue;
        }
        if eval1(g, var, x).is_nan()
            && !eval1(f_prime, var, x).is_nan()
            && !nan_from_overflow(g, var, x)
            && safe.get_or_init(|| crate::lower::lower_exprs(&[g])).eval(&[var.into()], &[x])[0].is_nan()
        {
            non_finite_at.push(x);
        }
    }
    let anchor_error = anchor.map(|(a, fa)| (eval1(g, var, a) - fa).abs());
    let anchor_tolerance = anchor.map_or(0.0, |(a, fa)| ANCHOR_TOL * fa.abs().max(1.0) + anchor_rounding(g, var, a));
    if max_rel > tolerance {
        failure = Some(format!("|g' - 1/f'| reaches {max_rel:.3e} (relative) at {var} = {worst_x}, above {tolerance:e}"));
    } else if max_num > numeric_tolerance {
        failure = Some(format!("finite-difference check of g' reaches {max_num:.3e}, above {numeric_tolerance:e}"));
    } else if let Some(e) = anchor_error.filter(|e| !(*e <= anchor_tolerance)) {
        failure = Some(format!("g(anchor) misses f(anchor) by {e:.3e}"));
    } else if let Some(x) = non_finite_at.first() {
        failure = Some(format!("g is not real and finite at {var} = {x}"));
    }
    Verification {
        passed: failure.is_none(),
        points: xs.len(),
        range: (xs.first().copied().unwrap_or(RANGE.0), xs.last().copied().unwrap_or(RANGE.1)),
        max_rel_error: max_rel,
        worst_x,
        numeric_max_rel_error: max_num,
        anchor_error,
        non_finite_at,
        samples,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spine's constants go, nothing else: a constant under a product
    /// or a function stays, also where one node serves both; both branches
    /// of a where lose theirs. The rounding counts the sums the evaluation
    /// reaches.
    #[test]
    fn the_additive_spine_holds_what_reaches_g_unscaled() {
        let p = |s: &str| -> Expr { crate::parse::parse(s).unwrap() };
        let shape = |s: &str| crate::print::to_spec(&without_additive_constants(&p(s)));
        assert_eq!(shape("0.5*x + (0.25*sinh(2*x) - 1e8)"), "0.5*x + (0.25*sinh(2*x) - 0)");
        assert_eq!(shape("(x + 3)*2 + 5"), "2*(x + 3) + 0");
        assert_eq!(shape("-(exp(x + 1) - 7)"), "0 - exp(x + 1)");
        assert_eq!(shape("where(x < 0, 1 - exp(-x), x + 2)"), "where(x < 0, 0 - exp(-x), x + 0)");
        let mut shared = p("x + 1");
        let one = Id::from(1);
        assert!(matches!(shared[one], Math::Num(_)));
        let times = shared.add(Math::Mul([one, Id::from(0)]));
        let root = shared.add(Math::Add([Id::from(2), times]));
        assert_eq!(usize::from(root) + 1, shared.as_ref().len());
        // (x + 1) + 1*x, one node 1 in both: the sum's use goes, the factor stays.
        assert_eq!(crate::print::to_spec(&without_additive_constants(&shared)), "x + 0 + 1*x");
        let half_eps = 0.5 * f64::EPSILON;
        assert_eq!(spine_rounding(&p("x + 1e8"), "x", 0.0), half_eps * 1e8);
        assert_eq!(spine_rounding(&p("x*(x + 1e8)"), "x", 0.0), 0.0, "a sum under a product is not on the spine");
        assert_eq!(spine_rounding(&p("where(x < 0, x - 1e8, x + 2)"), "x", 1.0), half_eps * 3.0, "only the taken branch");
    }

    /// Overflow and underflow leave f64's range; an exact 0 (log(1), x·0
    /// at x = 0) does not.
    #[test]
    fn leaving_f64s_range_is_an_infinity_or_an_underflow() {
        let p = |s: &str| -> Expr { crate::parse::parse(s).unwrap() };
        assert!(leaves_f64_range(&p("x^x^x"), "x", -160.0), "(-160)^(-160) underflows to 0");
        assert!(leaves_f64_range(&p("exp(x) - x"), "x", 800.0));
        assert!(leaves_f64_range(&p("1 + exp(x)"), "x", -800.0));
        assert!(!leaves_f64_range(&p("log(x) + x*x"), "x", 1.0));
        assert!(!leaves_f64_range(&p("x*exp(x)"), "x", 0.0));
    }

    /// A NaN whose first NaN node combines an infinity is f64 overflowing; one
    /// from a log or sqrt of a finite negative number is leaving the reals.
    #[test]
    fn a_nan_is_overflow_only_where_an_infinity_made_it() {
        let p = |s: &str| -> Expr { crate::parse::parse(s).unwrap() };
        assert!(nan_from_overflow(&p("log(exp(4*x) + 1) - log(exp(4*x) + 2)"), "x", 200.0));
        assert!(nan_from_overflow(&p("exp(2*x) - exp(3*x)"), "x", 400.0));
        assert!(!nan_from_overflow(&p("x + sqrt(500 - x)"), "x", 525.0));
        assert!(!nan_from_overflow(&p("log(x - 1)"), "x", 0.5));
        assert!(!nan_from_overflow(&p("log(exp(4*x) + 1)"), "x", 200.0), "no NaN at all");
    }

    /// g real on the whole line: `x + tanh(x)`'s g is inf - inf in f64 from
    /// x ≈ 355 as written, but finite in its safe form, and passes; a g that
    /// leaves the reals (sqrt of a negative number from x = 500) fails there.
    #[test]
    fn only_a_g_that_leaves_the_reals_fails_the_sweep() {
        let p = |s: &str| -> Expr { crate::parse::parse(s).unwrap() };
        let f_prime = p("1 + 1/cosh(x)^2");
        let g = p("0.25*sqrt(2)*(log(exp(2*x) + 5.82842712474619) - log(exp(2*x) + 0.1715728752538099)) + (x - 0.6232252401402306)");
        let g_prime = p("sqrt(2)*(0.25*exp(2*x)*(2/(exp(2*x) + 5.82842712474619) - 2/(exp(2*x) + 0.1715728752538099))) + 1");
        assert!(eval1(&g, "x", 375.0).is_nan());
        let v = verify_adversarial(&f_prime, &g, &g_prime, "x", &[], Some((0.0, 0.0)));
        assert!(v.passed, "{:?}", v.failure);
        let not_real = verify_adversarial(&p("1"), &p("x + 1e-300*sqrt(500 - x)"), &p("1"), "x", &[], None);
        assert_eq!(not_real.failure.as_deref(), Some("g is not real and finite at x = 525"));
    }
}
