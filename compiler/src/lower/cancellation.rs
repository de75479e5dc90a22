//! A polynomial where a root's terms cancel near 0. A leaky variant's GA,
//! `atan(x) + 0.01·x` → `g = 100·x − 995.04·atan(0.0995·x)`, is a term of
//! slope 100 less one of slope 99 near 0, where g's own slope is 0.99: in
//! f32 each term's rounding is about 200 ulps of g there (2.1e-5 on the
//! SPEC scale, against the kernels' 1e-5). `sigmoid(x) + 0.01·x`'s g
//! subtracts its anchor constant, 453.0, from logarithms of about 453
//! (5.5e-5 at x = −0.25).
//!
//! Where the lowered form's first-order rounding error, estimated node by
//! node in f64 ([`value_and_spread`]), exceeds [`CONDITION`] ulps of
//! max(1, |value|) somewhere on |x| < [`REACH`], the root is
//! `where(|x| ≤ h, P(x), root)`, h the power of two covering that region
//! and P piecewise polynomial on [−h, h]: Chebyshev interpolants on the
//! fewest equal pieces, each of the lowest degree that follows the root to
//! [`FIT`], as one polynomial evaluation per lane whose coefficients `where`
//! chooses ([`crate::numeric::piecewise_polynomial`], the numeric GA's). A
//! cancellation that lasts out to [`REACH`] is not one a polynomial about
//! 0 takes (a squareplus's, which [`super::euler`] does), nor is a root
//! the interpolant cannot follow (a jump); those keep their form.

use super::Builder;
use crate::lang::{Cmp, Expr, Func, Math};
use egg::{Id, Symbol};

/// How many ulps of max(1, |value|) the estimated rounding error may reach
/// before the root is fitted: 128·2⁻²⁴ = 7.6e-6, below the kernels' 1e-5
/// (the estimate is first-order, each operation's rounding counted once, at
/// most half an ulp in fact). A lower bar fits more (at 32, `atan(x) +
/// 0.05·x`'s g, 4e-6 as written) for a kernel of 200 to 400 operations
/// instead of 60 to 130.
const CONDITION: f64 = 128.0;

/// How far from 0 the estimate is looked at, in steps of 1/4 (the fitted
/// range is the power of two above, so a finer step moves it rarely, and
/// the scan runs wherever the lowering does: twice in every derivation's
/// horizon search).
const REACH: f64 = 32.0;
const STEPS_PER_UNIT: f64 = 4.0;

/// The fit's error relative to max(1, |value|), on a grid 16 times denser
/// than its nodes: a sixth of an f32 rounding.
const FIT: f64 = 1e-8;

/// The most Chebyshev nodes a piece is tried with (degree one less), and
/// the most pieces: each extra piece costs a kernel lane a select per
/// coefficient.
const MAX_NODES: usize = 25;
const MAX_PIECES: usize = 16;

/// Roots larger than this are not looked at (the scan evaluates the root
/// at 257 points, a fit at thousands more): a numeric GA's pieces are
/// polynomials already.
const MAX_NODES_FITTED: usize = 400;

/// The worst first-order f32 rounding error of `expr` (in `var`)
/// ([`value_and_spread`]) where [`fitted_near_zero`] looks, |x| ≤ [`REACH`]
/// in steps of 1/[`STEPS_PER_UNIT`], and at ±10^(k/8) from 1e-3 to 1e6, in
/// units of 2⁻²⁴·max(1, |value|),
/// over the points where the value is a number that fits f32, each
/// divided by 1 + |x·d(x)|/max(1, |value|), d = `derivative`: the error any
/// form of the function has from rounding its input (what a form need not
/// be blamed for: gelu's SA term, (π/2)·erfi(u/√2), amplifies it
/// 170-fold at |u| = 13).
pub(super) fn worst_rounding(expr: &Expr, derivative: &Expr, var: Symbol) -> f64 {
    let steps = (REACH * STEPS_PER_UNIT) as i32;
    let near = (-steps..=steps).map(|i| i as f64 / STEPS_PER_UNIT);
    let far = (-24..=48).flat_map(|k| {
        let m = 10f64.powf(k as f64 / 8.0);
        [m, -m]
    });
    let (mut values, mut spreads) = (Vec::new(), Vec::new());
    near.chain(far).fold(0.0f64, |worst, x| {
        let (v, spread) = value_and_spread(expr, var, x, &mut values, &mut spreads);
        if !(v.is_finite() && v.abs() <= f32::MAX as f64) {
            return worst;
        }
        let scale = v.abs().max(1.0);
        let d = crate::eval::eval(derivative, &|s| if s == var { x } else { f64::NAN });
        let inherent = 1.0 + if d.is_finite() { (x * d).abs() / scale } else { 0.0 };
        worst.max(spread / scale / inherent)
    })
}

/// Every root of one variable whose terms cancel near 0, fitted there
/// (the module's docs).
pub(super) fn polynomials_where_terms_cancel(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    roots.iter().map(|&r| fitted_near_zero(b, r).unwrap_or(r)).collect()
}

fn fitted_near_zero(b: &mut Builder, root: Id) -> Option<Id> {
    let expr = b.finish_at(root);
    if expr.as_ref().len() > MAX_NODES_FITTED {
        return None;
    }
    // Only a sum or a difference cancels.
    if !expr.as_ref().iter().any(|n| matches!(n, Math::Add(_) | Math::Sub(_))) {
        return None;
    }
    let &[var] = crate::lang::variables(&expr).as_slice() else { return None };
    let steps = (REACH * STEPS_PER_UNIT) as i32;
    let mut reach: Option<f64> = None;
    let (mut values, mut spreads) = (Vec::new(), Vec::new());
    for i in -steps..=steps {
        let x = i as f64 / STEPS_PER_UNIT;
        let (v, spread) = value_and_spread(&expr, var, x, &mut values, &mut spreads);
        if spread > CONDITION * v.abs().max(1.0) {
            reach = Some(reach.unwrap_or(0.0).max(x.abs()));
        }
    }
    let reach = reach?;
    if reach >= REACH - 1.0 {
        return None;
    }
    let half = 2f64.powi((reach + 1.0 / STEPS_PER_UNIT).log2().ceil() as i32);
    let value = |x: f64| crate::eval::eval(&expr, &|_| x);
    let (frames, starts) = piecewise_fit(&value, half)?;
    let x = b.add(Math::Var(var));
    let polynomial = crate::numeric::piecewise_polynomial(b, x, &frames, &starts);
    let abs = b.add(Math::Call(Func::Abs, x));
    let h = b.num(half);
    let near = b.add(Math::Compare(Cmp::Le, [abs, h]));
    Some(b.add(Math::Where([near, polynomial, root])))
}

/// [−half, half] in the fewest equal pieces (a power of two of them, up to
/// [`MAX_PIECES`]) whose Chebyshev interpolants with the fewest nodes (up
/// to [`MAX_NODES`]) all follow `value` to [`FIT`] and whose own terms,
/// Σ|q_k·t^k|, do not cancel by more than [`CONDITION`]/4: the frames and
/// where each piece starts.
fn piecewise_fit(value: &dyn Fn(f64) -> f64, half: f64) -> Option<(Vec<crate::numeric::Frame>, Vec<f64>)> {
    let mut pieces = 1;
    while pieces <= MAX_PIECES {
        let width = half / pieces as f64;
        let centres: Vec<f64> = (0..pieces).map(|i| -half + width * (2 * i + 1) as f64).collect();
        for n in 4..=MAX_NODES {
            let fits: Option<Vec<Vec<f64>>> = centres.iter().map(|&c| chebyshev_fit(&|t| value(c + width * t), n)).collect();
            if let Some(fits) = fits {
                let frames = centres.iter().zip(&fits).map(|(&c, q)| crate::numeric::Frame::new(c, width, q, 0.0)).collect();
                let starts = centres.iter().map(|c| c - width).collect();
                return Some((frames, starts));
            }
        }
        pieces *= 2;
    }
    None
}

/// Monomial coefficients in t ∈ [−1, 1] of the interpolant of `value`
/// through n Chebyshev nodes, where it follows `value` to [`FIT`] on a grid
/// 16 times denser and its own terms do not cancel by more than
/// [`CONDITION`]/4.
fn chebyshev_fit(value: &dyn Fn(f64) -> f64, n: usize) -> Option<Vec<f64>> {
    let at_nodes: Vec<f64> = crate::numeric::chebyshev_nodes(n).iter().map(|&t| value(t)).collect();
    if at_nodes.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let p = crate::numeric::interpolate(&at_nodes);
    let m = 16 * n + 1;
    for k in 0..m {
        let t = -1.0 + 2.0 * k as f64 / (m - 1) as f64;
        let want = value(t);
        let scale = want.abs().max(1.0);
        let error = (crate::numeric::horner(&p, t) - want).abs() / scale;
        let terms: f64 = p.iter().rev().fold(0.0, |acc, c| acc * t.abs() + c.abs());
        if !(error <= FIT && terms <= CONDITION / 4.0 * scale) {
            return None;
        }
    }
    Some(p)
}

/// The root's value at x, in f64, and the sum of the magnitudes whose f32
/// roundings make up its error to first order (a running error estimate):
/// each operation adds its result's magnitude, and passes its operands'
/// on scaled by how it propagates them (a product by the other factor, a
/// function by its slope). A variable and a literal f32 holds exactly
/// carry none; the branch a `where` takes carries its own.
/// `values` and `spread` are buffers kept across points.
fn value_and_spread(expr: &Expr, var: Symbol, x: f64, values: &mut Vec<f64>, spread: &mut Vec<f64>) -> (f64, f64) {
    let value = crate::eval::eval_into(expr, &|s| if s == var { x } else { f64::NAN }, values);
    spread.clear();
    for (i, node) in expr.as_ref().iter().enumerate() {
        let v = |id: &Id| values[usize::from(*id)];
        let s = |id: &Id| spread[usize::from(*id)];
        let here = values[i].abs();
        let e = match node {
            Math::Num(c) => {
                let c = c.into_inner();
                if c as f32 as f64 == c {
                    0.0
                } else {
                    c.abs()
                }
            }
            Math::Pi | Math::Euler => here,
            Math::Var(_) => 0.0,
            Math::Add([p, q]) | Math::Sub([p, q]) => s(p) + s(q) + here,
            Math::Mul([p, q]) => v(q).abs() * s(p) + v(p).abs() * s(q) + here,
            Math::Div([p, q]) => (s(p) + here * s(q)) / v(q).abs() + here,
            Math::Neg(p) => s(p),
            Math::Pow([p, q]) => (v(q) * here / v(p)).abs() * s(p) + here,
            Math::Call(f, a) => slope(*f, v(a)).abs() * s(a) + here,
            Math::Min([p, q]) | Math::Max([p, q]) => {
                if values[i] == v(p) {
                    s(p)
                } else {
                    s(q)
                }
            }
            Math::Where([c, p, q]) => {
                if v(c) != 0.0 {
                    s(p)
                } else {
                    s(q)
                }
            }
            Math::Compare(..) => 0.0,
        };
        spread.push(e);
    }
    (value, spread.last().copied().unwrap_or(f64::NAN))
}

/// f′(a) by a central difference, or a one-sided one where the other side
/// leaves f's domain (`log1p` at a = −1 + 2.5e-7): NaN where neither is a
/// number.
fn slope(f: Func, a: f64) -> f64 {
    let h = 1e-6 * a.abs().max(1.0);
    let (below, at, above) = (crate::eval::apply(f, a - h), crate::eval::apply(f, a), crate::eval::apply(f, a + h));
    [(above - below) / (2.0 * h), (above - at) / h, (at - below) / h].into_iter().find(|d| d.is_finite()).unwrap_or(f64::NAN)
}
