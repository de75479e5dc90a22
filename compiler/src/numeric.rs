//! Numerical antiderivatives, for integrands with no closed form (the
//! regularised GA of SPEC §2). The result is still an expression in SPEC
//! syntax: a piecewise polynomial over [-R, R] (one Chebyshev interpolant of
//! the integrand per unit interval, integrated exactly), continued linearly
//! outside, so every tool that reads foil's output can evaluate it.
//!
//! The error bound is a posteriori and relative: the interpolation error of
//! each piece, relative to max(1, |h|), is measured on a grid 8× denser than
//! its nodes and doubled for the gaps between grid points; integrated from
//! the anchor it bounds |G - ∫h| by error_bound · ∫ max(1, |h|).

use crate::build::Builder;
use crate::lang::{Expr, Cmp, Math};
use egg::Id;

/// Largest half-width of the approximated range.
pub const RANGE: f64 = 16.0;
/// Integrand magnitude beyond which the range stops: the antiderivative would
/// leave f32 (3.4e38) there, so no kernel needs it.
const F32_HORIZON: f64 = 1e37;
const DEGREE: usize = 14;
const WIDTH: f64 = 1.0;

#[derive(Clone, Debug)]
pub struct NumericAntiderivative {
    /// G in SPEC syntax (a `where` chain of polynomials).
    pub expr: Expr,
    /// The half-width R of the approximated range [-R, R] (≤ [`RANGE`]).
    pub range: f64,
    /// Relative bound: |G(x) - ∫ₐˣ h| ≤ error_bound · ∫ₐˣ max(1, |h|) on
    /// [-R, R] (a = the anchor).
    pub error_bound: f64,
    /// Largest measured |G'(x) - h(x)| / max(1, |h(x)|) over [-R, R].
    pub derivative_error: f64,
    /// How many polynomial pieces.
    pub pieces: usize,
}

/// Chebyshev nodes on [-1, 1].
fn nodes(n: usize) -> Vec<f64> {
    (0..n).map(|k| (std::f64::consts::PI * (k as f64 + 0.5) / n as f64).cos()).collect()
}

/// Monomial coefficients (in t ∈ [-1, 1]) of the interpolant through (nodes, values).
fn interpolate(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    // Chebyshev coefficients by the discrete cosine sum.
    let mut c = vec![0.0; n];
    for (j, cj) in c.iter_mut().enumerate() {
        let s: f64 = (0..n)
            .map(|k| values[k] * (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / n as f64).cos())
            .sum();
        *cj = 2.0 * s / n as f64;
    }
    c[0] *= 0.5;
    // Convert Σ c_j T_j(t) to monomials with the recurrence T_{j+1} = 2t T_j - T_{j-1}.
    let mut mono = vec![0.0; n];
    let (mut prev, mut cur) = (vec![1.0], vec![0.0, 1.0]);
    mono[0] += c[0];
    if n > 1 {
        mono[1] += c[1];
    }
    for cj in c.iter().skip(2) {
        let mut next = vec![0.0; cur.len() + 1];
        for (i, v) in cur.iter().enumerate() {
            next[i + 1] += 2.0 * v;
        }
        for (i, v) in prev.iter().enumerate() {
            next[i] -= v;
        }
        for (i, v) in next.iter().enumerate() {
            mono[i] += cj * v;
        }
        prev = cur;
        cur = next;
    }
    mono
}

fn horner(p: &[f64], t: f64) -> f64 {
    p.iter().rev().fold(0.0, |acc, c| acc * t + c)
}

/// One piece: [centre - half, centre + half], the integral polynomial in
/// t = (x - centre)/half (zero at the centre), its measured interpolation error.
struct Piece {
    centre: f64,
    half: f64,
    integral: Vec<f64>,
    max_rel_error: f64,
}

fn fit_piece(h: &dyn Fn(f64) -> f64, lo: f64, hi: f64, ts: &[f64]) -> Result<Piece, String> {
    let (centre, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let values: Vec<f64> = ts.iter().map(|t| h(centre + half * t)).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(format!("the integrand is not finite near x = {centre}"));
    }
    let p = interpolate(&values);
    // ∫ p(t) dx = half · Σ p_k t^{k+1}/(k+1).
    let mut integral = vec![0.0; p.len() + 1];
    for (k, pk) in p.iter().enumerate() {
        integral[k + 1] = half * pk / (k + 1) as f64;
    }
    let mut max_rel_error = 0.0f64;
    // Interior points only: at a piece's ends h may take the neighbouring branch.
    let m = 8 * DEGREE + 1;
    for k in 0..m {
        let t = -1.0 + 2.0 * (k as f64 + 0.5) / m as f64;
        let exact = h(centre + half * t);
        let err = (horner(&p, t) - exact).abs();
        max_rel_error = max_rel_error.max(err / exact.abs().max(1.0));
    }
    Ok(Piece { centre, half, integral, max_rel_error })
}

/// Approximate G with G' = h and G(anchor) = value. Pieces start one unit
/// wide and are halved (down to 1/256) until the integrand's interpolation
/// error is below 1e-11 relative.
/// `breaks` (where h may jump) become piece boundaries.
pub fn numeric_antiderivative(
    h: &dyn Fn(f64) -> f64,
    var: &str,
    anchor: f64,
    value: f64,
    breaks: &[f64],
) -> Result<NumericAntiderivative, String> {
    // Stop where |h| passes the f32 horizon (exploding integrands, e.g. 1/t' for tanh(x + x^3)).
    let mut range = RANGE;
    for k in 1..=(2.0 * RANGE) as usize {
        let u = 0.5 * k as f64;
        if !(h(u).abs() <= F32_HORIZON && h(-u).abs() <= F32_HORIZON) {
            range = 0.5 * (k - 1) as f64;
            break;
        }
    }
    if anchor.abs() >= range {
        return Err(format!("the integrand leaves f32 range before reaching the anchor (|x| < {range})"));
    }
    let ts = nodes(DEGREE + 1);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut ends: Vec<f64> = (0..=(2.0 * range / WIDTH) as usize).map(|i| -range + i as f64 * WIDTH).collect();
    ends.extend(breaks.iter().copied().filter(|b| b.abs() < range));
    ends.sort_by(|a, b| a.total_cmp(b));
    ends.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    let mut stack: Vec<(f64, f64)> = ends.windows(2).rev().map(|w| (w[0], w[1])).collect();
    while let Some((lo, hi)) = stack.pop() {
        let piece = fit_piece(h, lo, hi, &ts)?;
        if piece.max_rel_error > 1e-11 && hi - lo > WIDTH / 256.0 {
            let mid = 0.5 * (lo + hi);
            stack.push((mid, hi));
            stack.push((lo, mid));
        } else {
            pieces.push(piece);
        }
    }
    let derivative_error = pieces.iter().map(|p| p.max_rel_error).fold(0.0, f64::max);
    // Each piece's integral is off by at most its interpolation error times its
    // width; doubled for the gaps between the measured points.
    let error_bound = 2.0 * derivative_error;
    // Constants outward from the anchor piece, so values near the anchor do
    // not inherit the rounding of huge values far away (1/t' can reach 1e37).
    let at = pieces.iter().position(|p| anchor <= p.centre + p.half).unwrap_or(pieces.len() - 1);
    let mut offsets = vec![0.0; pieces.len()];
    offsets[at] = value - horner(&pieces[at].integral, (anchor - pieces[at].centre) / pieces[at].half);
    for i in at + 1..pieces.len() {
        offsets[i] = offsets[i - 1] + horner(&pieces[i - 1].integral, 1.0) - horner(&pieces[i].integral, -1.0);
    }
    for i in (0..at).rev() {
        offsets[i] = offsets[i + 1] + horner(&pieces[i + 1].integral, -1.0) - horner(&pieces[i].integral, 1.0);
    }
    // Linear continuation outside, with the integrand's end values as slopes.
    let last = pieces.len() - 1;
    let lo_val = offsets[0] + horner(&pieces[0].integral, -1.0);
    let hi_val = offsets[last] + horner(&pieces[last].integral, 1.0);
    let (lo_slope, hi_slope) = (h(-range), h(range));

    let mut b = Builder::new();
    let x = b.var(var);
    let linear = |b: &mut Builder, at: f64, val: f64, slope: f64| {
        let a = b.num(at);
        let d = b.sub(x, a);
        let s = b.num(slope);
        let m = b.mul(s, d);
        let v = b.num(val);
        b.add_(v, m)
    };
    // A balanced tree of `where`s: depth log2(pieces), not one level per piece,
    // so recursive passes (printing, differentiation) stay shallow.
    let polys: Vec<Id> =
        pieces.iter().zip(&offsets).map(|(p, o)| polynomial(&mut b, x, p.centre, p.half, &p.integral, *o)).collect();
    let starts: Vec<f64> = pieces.iter().map(|p| p.centre - p.half).collect();
    let inner = balanced(&mut b, x, &polys, &starts);
    let hi_tail = linear(&mut b, range, hi_val, hi_slope);
    let hi = b.num(range);
    let below_hi = b.add(Math::Compare(Cmp::Lt, [x, hi]));
    let body = b.add(Math::Where([below_hi, inner, hi_tail]));
    let tail = linear(&mut b, -range, lo_val, lo_slope);
    let lo = b.num(-range);
    let cond = b.add(Math::Compare(Cmp::Lt, [x, lo]));
    let root = b.add(Math::Where([cond, tail, body]));
    Ok(NumericAntiderivative { expr: b.finish_at(root), range, error_bound, derivative_error, pieces: pieces.len() })
}

/// `where(x < start[mid], left half, right half)`, recursively.
fn balanced(b: &mut Builder, x: Id, polys: &[Id], starts: &[f64]) -> Id {
    if polys.len() == 1 {
        return polys[0];
    }
    let mid = polys.len() / 2;
    let left = balanced(b, x, &polys[..mid], &starts[..mid]);
    let right = balanced(b, x, &polys[mid..], &starts[mid..]);
    let at = b.num(starts[mid]);
    let cond = b.add(Math::Compare(Cmp::Lt, [x, at]));
    b.add(Math::Where([cond, left, right]))
}

/// offset + Σ q_k t^k with t = (x - centre)/half, in Horner form.
fn polynomial(b: &mut Builder, x: Id, centre: f64, half: f64, q: &[f64], offset: f64) -> Id {
    let c = b.num(centre);
    let d = b.sub(x, c);
    let inv = b.num(1.0 / half);
    let t = b.mul(inv, d);
    let mut acc = b.num(*q.last().unwrap_or(&0.0));
    for (k, qk) in q.iter().enumerate().rev().skip(1) {
        let m = b.mul(acc, t);
        let coef = b.num(if k == 0 { qk + offset } else { *qk });
        acc = b.add_(m, coef);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::eval1;

    #[test]
    fn approximates_a_smooth_antiderivative_within_its_bound() {
        // ∫ 1/(1+x²) = atan(x); anchor at 0.
        let h = |x: f64| 1.0 / (1.0 + x * x);
        let g = numeric_antiderivative(&h, "x", 0.0, 0.0, &[]).unwrap();
        for k in 0..=3200 {
            let x = -16.0 + k as f64 * 0.01;
            // ∫₀ˣ max(1, h) = |x| here.
            let err = (eval1(&g.expr, "x", x) - x.atan()).abs();
            assert!(err <= g.error_bound * x.abs() + 1e-15, "at {x}: {err:e} above the bound");
        }
        assert!(g.error_bound < 1e-9, "bound {:e}", g.error_bound);
    }
}
