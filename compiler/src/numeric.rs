//! Numerical antiderivatives, for integrands with no closed form (the
//! regularised GA of SPEC §2). The result is still an expression in SPEC
//! syntax: a piecewise polynomial (one Chebyshev interpolant of the integrand
//! per cell, integrated exactly), so every tool that reads foil's output can
//! evaluate it.
//!
//! An even integrand (proven so by the caller) has an odd integral from 0:
//! it is fitted on [0, R] only and emitted as c + s·G(s·x), s = ±1 the
//! sign of x, half the pieces for the kernels. When
//! h grows by orders of magnitude there (1/t' where t saturates), each
//! piece is G = e^W·Q instead, W a cubic, Q an interpolant: Q is smooth
//! where G is not (gelu_tanh's SA term: 4 pieces where G needs 23). Such a
//! term also gets the f32 kernels' own fit ([`KernelFit`]): the longest
//! cells that follow h to f32's needs (gelu_tanh's: 2 pieces), which the
//! caller certifies to [`KERNEL_TOLERANCE`] before the kernels use it.
//!
//! Every polynomial is written in a frame f32 holds exactly (a centre with
//! few bits, a power-of-two half-width): a centre rounded to f32 would
//! shift the whole piece. The pieces are emitted as one polynomial
//! evaluation (Estrin's scheme) whose centre and coefficients `where`
//! chooses by x, so a kernel lane
//! evaluates one polynomial (and a select per coefficient and extra piece),
//! not every piece.
//!
//! The range reaches as far as f32 kernels are fed (where |g'| or |g|
//! leaves f32, else ±f32::MAX); beyond it the JSON and the text say what g
//! is. A periodic integrand is fitted on one period and continued exactly.
//!
//! The error bound is a posteriori and relative: the interpolation error of
//! each piece, relative to max(1, |h|), is measured on a grid 8× denser than
//! its nodes and doubled for the gaps between grid points; integrated from
//! the anchor it bounds |G - ∫h| by error_bound · ∫ max(1, |h|).

use crate::build::Builder;
use crate::lang::{Cmp, Expr, Math};
use egg::Id;

/// The largest f32: the polynomial range ends where |g'| or |g| exceeds
/// it, beyond which the f32 kernels return ±inf for a value out of f32.
const F32_MAX: f64 = f32::MAX as f64;
/// Degree of the interpolants of h (their integrals have degree + 1), and
/// of a weighted fit's Q. A kernel pays a select per coefficient for each
/// extra piece, so fewer, longer pieces are cheaper: unweighted, gelu_tanh's term needs
/// 23 pieces of 20 coefficients at 18 against 38 of 16 at 14 (same 1e-11
/// criterion); its certificate (Taylor models of order 16) still proves them.
pub const DEGREE: usize = 18;
/// How closely each piece follows the integrand: its interpolation error
/// relative to max(1, |h|), measured on a grid 8× denser than its nodes.
/// A hundredth of SPEC §5's certified bound (1e-9), which leaves the
/// certificate room for what the grid does not see.
pub const FIT_TOLERANCE: f64 = 1e-11;

/// How closely the f32 kernels' own fit of a weighted term follows the
/// integrand (measured as [`FIT_TOLERANCE`] is), where that fit takes fewer
/// pieces than the certified one: f32 itself resolves 6e-8, so the
/// certified fit's 1e-11 is more than a kernel can use, and its pieces are
/// what a kernel pays for in selects (gelu_tanh's SA term: 2 pieces, not 4;
/// bench/README.md, 2026-12-06). [`KERNEL_TOLERANCE`] is what it is proven to.
pub const KERNEL_FIT_TOLERANCE: f64 = 5e-8;
/// The bound the kernels' fit is certified to, on |G' - h| / max(1, |h|),
/// as SPEC §5's 1e-9 is for the derivation: so |G_kernel - ∫h| is at most
/// 1e-7 of ∫max(1, |h|), about the rounding of one f32 operation.
pub const KERNEL_TOLERANCE: f64 = 1e-7;

/// The f32 kernels' own fit of a numeric term, where one with fewer pieces
/// than the certified fit meets [`KERNEL_FIT_TOLERANCE`]: what the emitted
/// code evaluates, in the same form (mirrored, e^W·Q pieces).
#[derive(Clone, Debug)]
pub struct KernelFit {
    /// G in SPEC syntax, as [`NumericAntiderivative::expr`].
    pub expr: Expr,
    /// G', as [`NumericAntiderivative::derivative`].
    pub derivative: Expr,
    pub pieces: usize,
    pub degree: usize,
    /// Where the pieces meet, both sides (as [`NumericAntiderivative::boundaries`]).
    pub boundaries: Vec<f64>,
    /// Largest measured |G'(x) - h(x)| / max(1, |h(x)|).
    pub derivative_error: f64,
}

#[derive(Clone, Debug)]
pub struct NumericAntiderivative {
    /// G in SPEC syntax (one polynomial whose coefficients `where`
    /// chooses by piece).
    pub expr: Expr,
    /// G', written from the pieces' derivatives (and the tails' slopes, or
    /// the periodic reduction): never by differentiating `expr`.
    pub derivative: Expr,
    /// R: the polynomials cover at least [-R, R] (= min(-lo, hi)).
    pub range: f64,
    /// The polynomial range [lo, hi] (one period, for a periodic h).
    pub lo: f64,
    pub hi: f64,
    /// The period P of a periodic h.
    pub period: Option<f64>,
    /// For a periodic h: G' on [-P/2, P/2] in x.
    pub base_period: Option<Expr>,
    /// What g is beyond lo and beyond hi, in words.
    pub beyond: (String, String),
    /// The degree of G's pieces (DEGREE + 1, the integrals of h's
    /// interpolants), or of Q's when weighted (DEGREE).
    pub degree: usize,
    /// Relative bound: |G(x) - ∫ₐˣ h| ≤ error_bound · ∫ₐˣ max(1, |h|) on
    /// [-R, R] (a = the anchor).
    pub error_bound: f64,
    /// Largest measured |G'(x) - h(x)| / max(1, |h(x)|) over [-R, R].
    pub derivative_error: f64,
    /// How many polynomial pieces.
    pub pieces: usize,
    /// h is even and the anchor is 0: the pieces cover [0, hi] only and
    /// g(x) = g(0) + sign(x)·G(|x|), G odd about 0 (half the pieces).
    pub odd: bool,
    /// Where the pieces meet, ascending, the range's ends included.
    pub boundaries: Vec<f64>,
    /// `Some(P)` when each piece is G = e^W·Q with W(t) = P(centre +
    /// half·t) - P(centre), P the cubic through ln|h| (coefficients lowest
    /// first; the pieces are Q's interpolants, degree `degree`): for a fast
    /// growing h, Q is smooth where G is not, so a few long pieces do what
    /// dozens of short ones did (gelu_tanh's term: 4 against 23).
    pub weight: Option<Vec<f64>>,
    /// The f32 kernels' fit, where one with fewer pieces exists (weighted
    /// fits only): not yet certified (the caller certifies it to
    /// [`KERNEL_TOLERANCE`] and keeps it only then).
    pub kernel: Option<KernelFit>,
}

/// Chebyshev nodes on [-1, 1].
pub(crate) fn chebyshev_nodes(n: usize) -> Vec<f64> {
    (0..n).map(|k| (std::f64::consts::PI * (k as f64 + 0.5) / n as f64).cos()).collect()
}

/// Monomial coefficients (in t ∈ [-1, 1]) of the interpolant through (nodes, values).
pub(crate) fn interpolate(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    // Chebyshev coefficients by the discrete cosine sum.
    let mut c = vec![0.0; n];
    for (j, cj) in c.iter_mut().enumerate() {
        let s: f64 = (0..n).map(|k| values[k] * (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / n as f64).cos()).sum();
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

pub(crate) fn horner(p: &[f64], t: f64) -> f64 {
    p.iter().rev().fold(0.0, |acc, c| acc * t + c)
}

/// One piece: [centre - half, centre + half], the integral polynomial in
/// t = (x - centre)/half (zero at the centre; a weighted fit's Q instead),
/// its measured interpolation error.
struct Piece {
    /// Where the piece begins, exactly (centre - half may round).
    start: f64,
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
    Ok(Piece { start: lo, centre, half, integral, max_rel_error })
}

/// How far the polynomial pieces reach, and how the result continues.
#[derive(Clone, Debug, Default)]
pub struct NumericOptions {
    /// Where h may jump: piece boundaries.
    pub breaks: Vec<f64>,
    /// `Some(a)`: h has period P = 2π/a; G is fitted on [-P/2, P/2] and
    /// continued exactly: g(x) = G(r) + (x - r)·∫_period h / P, r = x - kP.
    pub frequency: Option<f64>,
    /// Cells that a certificate could not prove: pieces there are split
    /// down to the smallest width.
    pub refine: Vec<(f64, f64)>,
    /// h(-x) = h(x), proven by the caller (samples cannot tell: a narrow
    /// feature on one side only passes any grid): G is fitted on [0, R]
    /// and mirrored.
    pub even: bool,
}

/// The point, going from 0 towards `dir` (±1), where |h| first exceeds f32
/// (or is not a number): there g' = h leaves f32 and the kernels stop
/// mattering. `dir·F32_MAX` when it never does.
pub fn integrand_horizon(h: &dyn Fn(f64) -> f64, dir: f64) -> f64 {
    let leaves = |x: f64| !(h(x).abs() <= F32_MAX);
    // Steps of 1/16 to 64, then sixteen per octave; 80 arithmetic halvings.
    let scan = std::iter::successors(Some(1.0 / 16.0), |&t: &f64| Some(if t < 64.0 { t + 1.0 / 16.0 } else { (t * 2f64.powf(1.0 / 16.0)).min(F32_MAX) }));
    first_exit(leaves, dir, scan, 80, |a, b| 0.5 * (a + b))
}

/// Going from 0 towards `dir` (±1) through the magnitudes `scan` (rising,
/// ending at or passing f32::MAX), the first point where `leaves` holds,
/// narrowed by `halvings` bisections at `midpoint(a, b)` between it and the
/// scan's point before: the last point found where `leaves` does not hold,
/// times `dir`. `dir·F32_MAX` when `leaves` holds nowhere on the scan. The
/// integrand's horizon and the certificate's ([`crate::certify::horizons`])
/// differ only in their scans and midpoints.
pub(crate) fn first_exit(
    leaves: impl Fn(f64) -> bool,
    dir: f64,
    scan: impl IntoIterator<Item = f64>,
    halvings: usize,
    midpoint: impl Fn(f64, f64) -> f64,
) -> f64 {
    let mut prev = 0.0;
    for t in scan {
        if leaves(dir * t) {
            let (mut a, mut b) = (prev, t);
            for _ in 0..halvings {
                let m = midpoint(a, b);
                if leaves(dir * m) {
                    b = m
                } else {
                    a = m
                }
            }
            return dir * a;
        }
        prev = t;
        if t >= F32_MAX {
            break;
        }
    }
    dir * F32_MAX
}

/// Approximate G with G' = h and G(anchor) = value: Chebyshev interpolants
/// of h on cells of width 1 over [-16, 16] and octaves [2^k, 2^(k+1)]
/// beyond, each halved until the interpolation error is below 1e-11
/// relative, integrated exactly. The range reaches as far as the f32
/// kernels are fed: to where |h| or |G| leaves f32, or to ±f32::MAX
/// ([`NumericAntiderivative::beyond`] says which); a periodic h is fitted on
/// one period and continued exactly.
pub fn numeric_antiderivative(h: &dyn Fn(f64) -> f64, var: &str, anchor: f64, value: f64, opts: &NumericOptions) -> Result<NumericAntiderivative, String> {
    let period = opts.frequency.map(|a| 2.0 * std::f64::consts::PI / a.abs());
    let (mut lo, mut hi) = match period {
        Some(p) => (-0.5 * p, 0.5 * p),
        None => (integrand_horizon(h, -1.0), integrand_horizon(h, 1.0)),
    };
    let mut beyond = match period {
        Some(_) => (PERIODIC.to_string(), PERIODIC.to_string()),
        None => (reason(h, lo), reason(h, hi)),
    };
    if period.is_none() && !(anchor > lo && anchor < hi) {
        return Err(format!("the integrand leaves f32 range before reaching the anchor (it does beyond x = {lo:e}, {hi:e})"));
    }
    // An even h has an odd integral from 0: fit [0, R] and mirror it. (From
    // another anchor the constant would carry G(anchor)'s error to both
    // sides, and error_bound, measured from the anchor, would not hold.)
    let odd = period.is_none() && opts.breaks.is_empty() && opts.even && anchor == 0.0;
    if odd {
        // lo (and what lies beyond it) follows hi once the range is final.
        hi = (-lo).min(hi);
    }
    let fit_lo = if odd { 0.0 } else { lo };
    let ts = chebyshev_nodes(DEGREE + 1);
    let mut ends: Vec<f64> = vec![lo, hi];
    match period {
        Some(p) => ends.extend((1..8).map(|k| lo + p * k as f64 / 8.0)),
        None => {
            ends.extend((-16..=16).map(|k| k as f64));
            for k in 5..=128 {
                ends.push(2f64.powi(k));
                ends.push(-(2f64.powi(k)));
            }
        }
    }
    ends.extend(opts.breaks.iter().copied());
    ends.push(fit_lo);
    ends.retain(|e| *e >= fit_lo && *e <= hi);
    ends.sort_by(|a, b| a.total_cmp(b));
    ends.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    // A range within 1e-12 of the anchor has no cell to fit (a fuzz input
    // whose integrand overflows at |x| ≈ 1e-13 indexed an empty fit).
    if ends.len() < 2 {
        return Err(format!("the integrand leaves f32 range within 1e-12 of the anchor (it does beyond x = {lo:e}, {hi:e})"));
    }
    // A cell the certificate could not prove holds a feature the error check
    // missed: its pieces are cut to 1/64 of it, and the error check then
    // resolves whatever is there.
    // Mirrored, a cell on the negative side is refined where it is fitted.
    let must_split = |a: f64, b: f64| {
        opts.refine.iter().any(|r| {
            let cell = if odd && r.1 <= 0.0 { (-r.1, -r.0) } else { *r };
            cell.0 < b && cell.1 > a && b - a > (cell.1 - cell.0) / 64.0
        })
    };
    let mut pieces: Vec<Piece> = Vec::new();
    let mut stack: Vec<(f64, f64)> = ends.windows(2).rev().map(|w| (w[0], w[1])).collect();
    let mut fits = 0usize;
    while let Some((a, b)) = stack.pop() {
        // An integrand the pieces cannot follow to 1e-11 (f64 noise in h far
        // out, or a feature at every scale) would split down to the smallest
        // width over octaves of range: refuse instead of using gigabytes.
        fits += 1;
        if fits > 2 * MAX_PIECES {
            return Err(format!("the integrand needs more than {MAX_PIECES} polynomial pieces to be followed within {FIT_TOLERANCE:e} on [{lo:e}, {hi:e}]"));
        }
        let piece = fit_piece(h, a, b, &ts)?;
        let min_width = (2f64.powi(-16)).max(a.abs().max(b.abs()) * 2f64.powi(-30));
        if (piece.max_rel_error > FIT_TOLERANCE || must_split(a, b)) && b - a > min_width {
            let mid = 0.5 * (a + b);
            stack.push((mid, b));
            stack.push((a, mid));
        } else {
            pieces.push(piece);
        }
    }
    let derivative_error = pieces.iter().map(|p| p.max_rel_error).fold(0.0, f64::max);
    // Each piece's integral is off by at most its interpolation error times its
    // width; doubled for the gaps between the measured points (set below,
    // once the form is chosen).
    // Constants outward from the anchor piece (for a periodic h, from the
    // piece holding 0; the continuation is anchored below), so values near
    // the anchor do not inherit the rounding of huge values far away.
    let base = if period.is_some() || odd { 0.0 } else { anchor };
    let at = pieces.iter().position(|p| base <= p.centre + p.half).unwrap_or(pieces.len() - 1);
    let mut offsets = vec![0.0; pieces.len()];
    offsets[at] = -horner(&pieces[at].integral, (base - pieces[at].centre) / pieces[at].half);
    for i in at + 1..pieces.len() {
        offsets[i] = offsets[i - 1] + horner(&pieces[i - 1].integral, 1.0) - horner(&pieces[i].integral, -1.0);
    }
    for i in (0..at).rev() {
        offsets[i] = offsets[i + 1] + horner(&pieces[i + 1].integral, -1.0) - horner(&pieces[i].integral, 1.0);
    }
    let value_at = |pieces: &[Piece], offsets: &[f64], i: usize, t: f64| offsets[i] + horner(&pieces[i].integral, t);
    // Mirrored, G stays odd (G(0) = 0) and g(0) = value is a constant
    // outside it: g(x) = value + sign(x)·G(|x|).
    let (shift, constant) = match period {
        None if odd => (0.0, value),
        // g(anchor) = value: G(r(anchor)) + (anchor - r(anchor))·I/P + shift.
        Some(p) => {
            let total = value_at(&pieces, &offsets, pieces.len() - 1, 1.0) - value_at(&pieces, &offsets, 0, -1.0);
            let r = anchor - p * (anchor / p).round();
            let i = pieces.iter().position(|q| r <= q.centre + q.half).unwrap_or(pieces.len() - 1);
            (value - value_at(&pieces, &offsets, i, (r - pieces[i].centre) / pieces[i].half) - (anchor - r) * total / p, 0.0)
        }
        None => (value, 0.0),
    };
    for o in offsets.iter_mut() {
        *o += shift;
    }
    // Where |G| itself leaves f32 (h small but the integral large): the
    // range ends with the first piece whose end is out of f32.
    if period.is_none() {
        if let Some(j) = (at..pieces.len()).find(|&j| !(value_at(&pieces, &offsets, j, 1.0).abs() <= F32_MAX)) {
            pieces.truncate(j + 1);
            offsets.truncate(j + 1);
            hi = pieces[j].centre + pieces[j].half;
            beyond.1 = crate::certify::NUMERIC_TAIL.into();
        }
        if odd {
            lo = -hi;
            beyond.0 = beyond.1.clone();
        } else if let Some(j) = (0..=at).rev().find(|&j| !(value_at(&pieces, &offsets, j, -1.0).abs() <= F32_MAX)) {
            pieces.drain(..j);
            offsets.drain(..j);
            lo = pieces[0].start;
            beyond.0 = crate::certify::NUMERIC_TAIL.into();
        }
    }
    // Mirrored, a weighted fit (G = e^W·Q on each piece) replaces the
    // pieces when it has fewer coefficients in all (the kernels' cost, in
    // the value and in the partials its derivative). Other degrees cost
    // more for gelu_tanh's term: 6 pieces at 16, 8 at 14, 11 at 12.
    let weight = if odd { fit_weighted(h, hi, &ts, &must_split, FIT_TOLERANCE, Cells::Halving) } else { None };
    let weight = weight.filter(|w| w.pieces.len() * (DEGREE + 1 + WEIGHT_COST) < pieces.len() * (DEGREE + 2));
    let mut degree = DEGREE + 1;
    let mut derivative_error = derivative_error;
    let mut weight_poly = None;
    let mut exponents = Vec::new();
    if let Some(w) = weight {
        degree = DEGREE;
        pieces = w.pieces;
        offsets = w.offsets;
        derivative_error = w.max_rel_error;
        weight_poly = Some(w.exponent);
        exponents = w.exponents;
    }
    // The kernels' fit: the longest cells that meet f32's need, kept where
    // they are fewer than the certified fit's.
    let kernel_fit = if weight_poly.is_some() {
        fit_weighted(h, hi, &ts, &|_, _| false, KERNEL_FIT_TOLERANCE, Cells::Longest).filter(|k| k.pieces.len() < pieces.len())
    } else {
        None
    };
    let error_bound = 2.0 * derivative_error;
    // G at the range's ends (mirrored: G(hi) without the constant, which the
    // expression adds outside the sign).
    let top = top_value(&pieces, &offsets, &exponents);
    let (lo_val, hi_val) = if odd { (-top, top) } else { (offsets[0] + horner(&pieces[0].integral, -1.0), top) };
    let total = hi_val - lo_val;
    if ![lo_val, hi_val, h(lo), h(hi), total].iter().all(|v| v.is_finite()) {
        return Err(format!("the integrand or its integral is not finite at the ends of its range [{lo:e}, {hi:e}]"));
    }

    let mut b = Builder::new();
    let x = b.var(var);
    let starts: Vec<f64> = pieces.iter().map(|p| p.start).collect();
    let (root, derivative) = match period {
        None if odd => mirrored(&mut b, x, &pieces, &offsets, &exponents, (hi, top), h(hi), constant),
        None => {
            let inner = piecewise_polynomial(&mut b, x, &Frame::values(&pieces, &offsets), &starts);
            // Beyond the range (where g or g' is out of f32, or x is): linear,
            // with the integrand's end values as slopes.
            let hi_tail = linear_tail(&mut b, x, hi, hi_val, h(hi));
            let hi_id = b.num(hi);
            let below_hi = b.add(Math::Compare(Cmp::Lt, [x, hi_id]));
            let body = b.add(Math::Where([below_hi, inner, hi_tail]));
            let tail = linear_tail(&mut b, x, lo, lo_val, h(lo));
            let lo_id = b.num(lo);
            let cond = b.add(Math::Compare(Cmp::Lt, [x, lo_id]));
            let g = b.add(Math::Where([cond, tail, body]));
            // g' written directly from the pieces, with the tails' slopes:
            // differentiating the assembled tree symbolically copies each
            // Horner prefix per level, which for hundreds of pieces out to
            // the f32 horizon took gigabytes (seen in the property tests).
            let dinner = piecewise_derivative(&mut b, x, &pieces, &starts);
            let (slope_lo, slope_hi) = (b.num(h(lo)), b.num(h(hi)));
            let dbody = b.add(Math::Where([below_hi, dinner, slope_hi]));
            (g, b.add(Math::Where([cond, slope_lo, dbody])))
        }
        Some(p) => {
            // r = x - kP in [-P/2, P/2] as (P/π)·atan(tan(πx/P)), in SPEC
            // functions: sin/cos (an infinite quotient where cos is 0 gives
            // atan = ±π/2, the end of the period, in IEEE arithmetic).
            let a = 2.0 * std::f64::consts::PI / p;
            let half_a = b.num(0.5 * a);
            let s = b.mul(half_a, x);
            let (sn, cs) = (b.call(crate::lang::Func::Sin, s), b.call(crate::lang::Func::Cos, s));
            let q = b.div(sn, cs);
            let at = b.call(crate::lang::Func::Atan, q);
            let two_over_a = b.num(2.0 / a);
            let r = b.mul(two_over_a, at);
            let g_of_r = piecewise_polynomial(&mut b, r, &Frame::values(&pieces, &offsets), &starts);
            // (x - r)·I/P, with I/P = (total·a/2)/π.
            let k = b.sub(x, r);
            let c = b.num(0.5 * total * a);
            let pi = b.add(Math::Pi);
            let slope = b.div(c, pi);
            let lin = b.mul(k, slope);
            let g = b.add_(g_of_r, lin);
            // g' = G'(r): written directly, not by differentiating through
            // atan(sin/cos), whose derivative is 0/0 where cos vanishes.
            let dg = piecewise_derivative(&mut b, r, &pieces, &starts);
            (g, dg)
        }
    };
    let expr = b.finish_at(root);
    let derivative = b.finish_at(derivative);
    // For a periodic G, the same pieces in x on one period: what the
    // certificate proves (g'(x) = G'(x - kP) and h(x) = h(x - kP)).
    let base_period = period.map(|_| {
        let mut b = Builder::new();
        let x = b.var(var);
        let root = piecewise_derivative(&mut b, x, &pieces, &starts);
        b.finish_at(root)
    });
    let mut boundaries = starts;
    boundaries.push(hi);
    if odd {
        boundaries = mirrored_boundaries(boundaries);
    }
    let kernel = kernel_fit.map(|k| {
        let mut b = Builder::new();
        let x = b.var(var);
        let top = top_value(&k.pieces, &k.offsets, &k.exponents);
        let (g, dg) = mirrored(&mut b, x, &k.pieces, &k.offsets, &k.exponents, (hi, top), h(hi), constant);
        let mut boundaries: Vec<f64> = k.pieces.iter().map(|p| p.start).collect();
        boundaries.push(hi);
        KernelFit {
            expr: b.finish_at(g),
            derivative: b.finish_at(dg),
            pieces: k.pieces.len(),
            degree: DEGREE,
            boundaries: mirrored_boundaries(boundaries),
            derivative_error: k.max_rel_error,
        }
    });
    Ok(NumericAntiderivative {
        expr,
        derivative,
        range: (-lo).min(hi),
        lo,
        hi,
        period,
        base_period,
        beyond,
        error_bound,
        derivative_error,
        pieces: pieces.len(),
        odd,
        degree,
        boundaries,
        weight: weight_poly,
        kernel,
    })
}

/// The mirrored form of an odd G fitted on [0, hi], `top` = G(hi):
/// g = g(0) + s·where(|x| < hi, G(|x|), G(hi) + h(hi)·(|x| - hi)), and g'.
#[allow(clippy::too_many_arguments)]
fn mirrored(b: &mut Builder, x: Id, pieces: &[Piece], offsets: &[f64], exponents: &[Vec<f64>], (hi, top): (f64, f64), h_hi: f64, constant: f64) -> (Id, Id) {
    let starts: Vec<f64> = pieces.iter().map(|p| p.start).collect();
    let (pieces, offsets, w_frames, dw_frames) = exponents_from_zero(pieces, offsets, exponents);
    let (pieces, offsets) = (&pieces[..], &offsets[..]);
    // g(0) + s·where(|x| < hi, G(|x|), G(hi) + h(hi)·(|x| - hi)),
    // and g' = where(|x| < hi, G'(|x|), h(hi)), G' even. The sign
    // s = where(x < 0, -1, 1) and |x| = s·x: with `sign` and `abs`
    // (both with derivative 0 at 0) a symbolic derivative, as the
    // split partials take, is sign(x)²·G'(|x|), 0 at x = 0 instead
    // of h(0); here it is s²·G'(|x|) = G'(|x|) everywhere.
    let (zero, one) = (b.num(0.0), b.num(1.0));
    let minus_one = b.num(-1.0);
    let negative = b.add(Math::Compare(Cmp::Lt, [x, zero]));
    let sign = b.add(Math::Where([negative, minus_one, one]));
    let ax = b.mul(sign, x);
    let q = piecewise_polynomial(b, ax, &Frame::values(pieces, offsets), &starts);
    // Weighted: G = e^W·Q, G' = e^W·(W'·Q + Q'), W and Q chosen
    // by the same cells.
    let weighted = (!exponents.is_empty()).then(|| {
        let w = piecewise_polynomial(b, ax, &w_frames, &starts);
        let dw = piecewise_polynomial(b, ax, &dw_frames, &starts);
        (b.call(crate::lang::Func::Exp, w), dw)
    });
    let inner = match weighted {
        Some((ep, _)) => b.mul(ep, q),
        None => q,
    };
    let tail = linear_tail(b, ax, hi, top, h_hi);
    let (hi_id, slope) = (b.num(hi), b.num(h_hi));
    let below_hi = b.add(Math::Compare(Cmp::Lt, [ax, hi_id]));
    let body = b.add(Math::Where([below_hi, inner, tail]));
    let odd_part = b.mul(sign, body);
    let g = if constant == 0.0 {
        odd_part
    } else {
        let c = b.num(constant);
        b.add_(c, odd_part)
    };
    let dq = piecewise_derivative(b, ax, pieces, &starts);
    let dinner = match weighted {
        Some((ep, dw)) => {
            let pq = b.mul(dw, q);
            let s = b.add_(pq, dq);
            b.mul(ep, s)
        }
        None => dq,
    };
    (g, b.add(Math::Where([below_hi, dinner, slope])))
}

/// The frames of W and W' per piece, and the pieces and offsets of Q to go
/// with them. W is expanded about each cell's centre, except on a cell that
/// starts at 0, where it is expanded about 0 and vanishes there (Q and its
/// offset scaled by e^W(0) to keep G = e^W·Q): near 0, where F may cancel
/// against G (gelu_tanh's 1 + a at a = -1, u ≈ -0.74), the f32 rounding of
/// W is then that of a small number, not of the centre's W ≈ -2, which cost
/// the kernels 2.2e-5 of F there against 2e-5 allowed (lavapipe).
fn exponents_from_zero(pieces: &[Piece], offsets: &[f64], exponents: &[Vec<f64>]) -> (Vec<Piece>, Vec<f64>, Vec<Frame>, Vec<Frame>) {
    let (mut out, mut offs, mut ws, mut dws) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, pc) in pieces.iter().enumerate() {
        let w = exponents.get(i).cloned().unwrap_or_default();
        let from_zero = pc.start == 0.0 && w.iter().any(|c| *c != 0.0);
        let (centre, w, scale) = if from_zero {
            // W in s = x/half: t = s - centre/half.
            let mut ws = reframe(&w, -pc.centre / pc.half, 1.0);
            let w0 = std::mem::take(&mut ws[0]);
            (0.0, ws, w0.exp())
        } else {
            (pc.centre, w, 1.0)
        };
        ws.push(Frame::new(centre, pc.half, &w, 0.0));
        dws.push(Frame::new(centre, pc.half, &derivative_coefficients(&w, pc.half), 0.0));
        out.push(Piece {
            start: pc.start,
            centre: pc.centre,
            half: pc.half,
            integral: pc.integral.iter().map(|q| q * scale).collect(),
            max_rel_error: pc.max_rel_error,
        });
        offs.push(offsets[i] * scale);
    }
    (out, offs, ws, dws)
}

/// G at the pieces' top end: e^W(1)·Q(1) when weighted.
fn top_value(pieces: &[Piece], offsets: &[f64], exponents: &[Vec<f64>]) -> f64 {
    let last = pieces.len() - 1;
    let scale = exponents.last().map_or(1.0, |w| horner(w, 1.0).exp());
    scale * (offsets[last] + horner(&pieces[last].integral, 1.0))
}

/// Both sides' cell boundaries of a mirrored fit (-hi … 0 … hi), for the
/// certificate.
fn mirrored_boundaries(mut boundaries: Vec<f64>) -> Vec<f64> {
    let negative: Vec<f64> = boundaries.iter().rev().filter(|e| **e > 0.0).map(|e| -e).collect();
    boundaries.splice(0..0, negative);
    boundaries
}

/// What the weight costs a kernel per piece, in coefficients: W (a cubic)
/// and its derivative, the share of the exponential and the products.
const WEIGHT_COST: usize = 8;

/// Degree of the exponent P of a weighted G = e^P·Q.
const WEIGHT_DEGREE: usize = 3;

/// A weighted fit on [0, hi]: on each piece G = e^W·Q with W(t) =
/// P(centre + half·t) - P(centre) (zero at the centre: e^P(centre) lives in
/// Q's coefficients, so the f32 kernels never form an exponent near 88,
/// whose own rounding, ulp(88)/2, would already be a 4e-6 relative error of
/// G). P, the pieces of Q and their constants (G continuous from G(0) = 0),
/// and the largest relative error of G' measured.
struct Weighted {
    exponent: Vec<f64>,
    /// W's coefficients in t per piece (all 0 where G itself meets the
    /// criterion).
    exponents: Vec<Vec<f64>>,
    pieces: Vec<Piece>,
    offsets: Vec<f64>,
    max_rel_error: f64,
}

/// W's coefficients in t on a piece: P(centre + half·t) - P(centre).
fn exponent_on(p: &[f64], centre: f64, half: f64) -> Vec<f64> {
    // Taylor coefficients at the centre: P^(k)(centre)·half^k/k!.
    let mut d = p.to_vec();
    let mut out = vec![0.0; p.len()];
    let mut scale = 1.0;
    for (k, o) in out.iter_mut().enumerate() {
        if k > 0 {
            scale *= half / k as f64;
            d = derivative_coefficients(&d, 1.0);
            *o = horner(&d, centre) * scale;
        }
    }
    out
}

/// How [`fit_weighted`] chooses its cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cells {
    /// [0, 2], then halves of [2, hi], each halved until it meets the
    /// tolerance: the certified fit.
    Halving,
    /// From 0 outward, each cell as long as meets the tolerance (its end on
    /// a grid of 1/64, so that f32 holds it exactly): the fewest pieces, for
    /// the kernels' fit. Its first cell is long, and W far from 0 at x = 0
    /// there: [`exponents_from_zero`] expands that cell's W about 0.
    Longest,
}

/// G = e^W·Q for an h that grows by orders of magnitude on [0, hi] (as
/// 1/t' does where t saturates): P is the least-squares cubic through
/// ln|h|, so Q = G/e^W varies slowly and interpolants of the same degree as
/// the direct fit's follow it on a few long cells (as `cells` says) where G' =
/// e^W·(W'·Q + Q') is within `tolerance` of h relative to max(1,|h|) (the
/// direct fit's 1e-11 for the certified fit). A cell where G itself meets it keeps W = 0. Q's values
/// come from a quadrature of h, not from the direct pieces, whose 1e-11
/// would be noise in Q'. `None` when h does not grow (by e^8 or less), has
/// a zero, or cannot be followed that way.
fn fit_weighted(h: &dyn Fn(f64) -> f64, hi: f64, ts: &[f64], must_split: &dyn Fn(f64, f64) -> bool, tolerance: f64, cells: Cells) -> Option<Weighted> {
    if !(hi.is_finite() && hi > 0.0 && hi <= 1024.0) {
        return None;
    }
    let m = 256;
    let zs: Vec<f64> = (0..=m).map(|k| k as f64 / m as f64).collect();
    let logs: Vec<f64> = zs.iter().map(|z| h(z * hi).abs().ln()).collect();
    if logs.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (lmin, lmax) = logs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    if lmax - lmin <= 8.0 {
        return None;
    }
    // Least squares in z = x/hi ∈ [0, 1] (normal equations, well scaled there).
    let n = WEIGHT_DEGREE + 1;
    let mut a = vec![vec![0.0; n + 1]; n];
    for (z, l) in zs.iter().zip(&logs) {
        for i in 0..n {
            for j in 0..n {
                a[i][j] += z.powi((i + j) as i32);
            }
            a[i][n] += l * z.powi(i as i32);
        }
    }
    let cz = solve(a)?;
    let exponent: Vec<f64> = cz.iter().enumerate().map(|(k, c)| c / hi.powi(k as i32)).collect();
    let g = integral_from_zero(h, hi);
    // Error of G' = e^W·(W'·Q + Q') against h on a piece, Q's constant
    // shifted by `shift`.
    let error = |p: &Piece, w: &[f64], shift: f64| {
        let (dw, dq) = (derivative_coefficients(w, p.half), derivative_coefficients(&p.integral, p.half));
        // The ends included: Q' of an interpolant is worst there, and h is
        // smooth across them (no breaks when mirrored).
        let mm = 8 * ts.len() + 1;
        (0..=mm)
            .map(|k| {
                let t = -1.0 + 2.0 * k as f64 / mm as f64;
                let x = p.centre + p.half * t;
                let d = horner(w, t).exp() * (horner(&dw, t) * (horner(&p.integral, t) + shift) + horner(&dq, t));
                let exact = h(x);
                (d - exact).abs() / exact.abs().max(1.0)
            })
            .fold(0.0, f64::max)
    };
    // Q on a cell for a given W: its interpolant and error (None when a
    // value leaves f32).
    let fit = |a: f64, b: f64, w: &[f64]| {
        let (centre, half) = (0.5 * (a + b), 0.5 * (b - a));
        let values: Vec<f64> = ts.iter().map(|t| g(centre + half * t) / horner(w, *t).exp()).collect();
        if values.iter().any(|v| !(v.abs() <= F32_MAX)) {
            return None;
        }
        let mut piece = Piece { start: a, centre, half, integral: interpolate(&values), max_rel_error: 0.0 };
        piece.max_rel_error = error(&piece, w, 0.0);
        Some(piece)
    };
    // G as it is (W = 0) where that meets the tolerance: near 0 especially,
    // where G is small and an exponential would only add its rounding.
    let cell = |a: f64, b: f64| -> Option<(Piece, Vec<f64>)> {
        let plain = vec![0.0; WEIGHT_DEGREE + 1];
        match fit(a, b, &plain) {
            Some(p) if p.max_rel_error <= tolerance => Some((p, plain)),
            _ => {
                let w = exponent_on(&exponent, 0.5 * (a + b), 0.5 * (b - a));
                Some((fit(a, b, &w)?, w))
            }
        }
    };
    let mut pieces: Vec<(Piece, Vec<f64>)> = Vec::new();
    match cells {
        Cells::Halving => {
            // [0, 2] first, then halves of [2, hi]: near 0, where G is O(1) and F
            // may cancel against it (gelu_tanh's 1 + a), a narrow first cell keeps
            // W small (gelu_tanh's SA measured 7.8e-6 on lavapipe so, 1.2e-5 with
            // a first cell [0, hi/4]).
            let mut stack = if hi > 2.0 { vec![(2.0, hi), (0.0, 2.0)] } else { vec![(0.0, hi)] };
            let mut fits = 0usize;
            while let Some((a, b)) = stack.pop() {
                fits += 1;
                if fits > 2 * MAX_PIECES {
                    return None;
                }
                let (piece, w) = cell(a, b)?;
                let min_width = (2f64.powi(-16)).max(b * 2f64.powi(-30));
                if (piece.max_rel_error > tolerance || must_split(a, b)) && b - a > min_width {
                    let mid = 0.5 * (a + b);
                    stack.push((mid, b));
                    stack.push((a, mid));
                } else {
                    pieces.push((piece, w));
                }
            }
        }
        Cells::Longest => {
            const GRID: f64 = 64.0;
            let meets = |a: f64, b: f64| cell(a, b).filter(|(p, _)| p.max_rel_error <= tolerance);
            let mut a = 0.0;
            while a < hi {
                if pieces.len() >= MAX_PIECES {
                    return None;
                }
                if let Some(whole) = meets(a, hi) {
                    pieces.push(whole);
                    break;
                }
                // Bisection on the end a + k/64: k_ok meets the tolerance
                // (its fit kept), k_bad does not.
                let (mut k_ok, mut k_bad, mut fitted) = (0u64, ((hi - a) * GRID).ceil() as u64, None);
                while k_bad - k_ok > 1 {
                    let k = (k_ok + k_bad) / 2;
                    let b = a + k as f64 / GRID;
                    match if b < hi { meets(a, b) } else { None } {
                        Some(piece) => (k_ok, fitted) = (k, Some(piece)),
                        None => k_bad = k,
                    }
                }
                pieces.push(fitted?);
                a += k_ok as f64 / GRID;
            }
        }
    }
    // Constants that make G continuous from G(0) = 0 (then G - ∫h is the
    // integral of G' - h); the error re-measured with them.
    let at = |(p, w): &(Piece, Vec<f64>), t: f64, o: f64| horner(w, t).exp() * (o + horner(&p.integral, t));
    let mut offsets = vec![0.0; pieces.len()];
    offsets[0] = -horner(&pieces[0].0.integral, -1.0);
    for i in 1..pieces.len() {
        let left = at(&pieces[i - 1], 1.0, offsets[i - 1]);
        offsets[i] = left / horner(&pieces[i].1, -1.0).exp() - horner(&pieces[i].0.integral, -1.0);
    }
    for ((p, w), o) in pieces.iter_mut().zip(&offsets) {
        p.max_rel_error = error(p, w, *o);
    }
    let max_rel_error = pieces.iter().map(|p| p.0.max_rel_error).fold(0.0, f64::max);
    let (pieces, exponents) = pieces.into_iter().unzip();
    Some(Weighted { exponent, exponents, pieces, offsets, max_rel_error })
}

/// ∫₀ˣ h for x in [0, hi], by 20-point Gauss–Legendre on cells of width
/// 1/16 (sums at the cells' ends kept): near f64's own accuracy for a
/// smooth h.
fn integral_from_zero(h: &dyn Fn(f64) -> f64, hi: f64) -> impl Fn(f64) -> f64 + '_ {
    let (xs, ws) = gauss_legendre(20);
    let width = 1.0 / 16.0;
    let over = move |a: f64, b: f64| -> f64 {
        let (m, r) = (0.5 * (a + b), 0.5 * (b - a));
        xs.iter().zip(&ws).map(|(x, w)| w * h(m + r * x)).sum::<f64>() * r
    };
    let cells = (hi / width).ceil() as usize;
    let mut sums = vec![0.0; cells + 1];
    for k in 0..cells {
        sums[k + 1] = sums[k] + over(k as f64 * width, (k + 1) as f64 * width);
    }
    move |x: f64| {
        let k = ((x / width).floor() as usize).min(cells);
        let a = k as f64 * width;
        sums[k] + if x > a { over(a, x) } else { 0.0 }
    }
}

/// Nodes and weights of n-point Gauss–Legendre quadrature on [-1, 1]
/// (Newton's method on P_n from Chebyshev guesses).
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ws) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(x) and P_n'(x) by the three-term recurrence.
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let step = p1 / dp;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        xs.push(x);
        ws.push(2.0 / ((1.0 - x * x) * dp * dp));
    }
    (xs, ws)
}

/// Gaussian elimination with partial pivoting on an augmented n×(n+1)
/// system; `None` when singular. (integrate's `solve` does the same
/// Gauss–Jordan; merging them moves P's last bits, hence gelu_tanh's
/// emitted constants and golden: left for a change that re-blesses.)
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = a.len();
    for c in 0..n {
        let p = (c..n).max_by(|i, j| a[*i][c].abs().total_cmp(&a[*j][c].abs()))?;
        if a[p][c] == 0.0 {
            return None;
        }
        a.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..=n {
                a[r][k] -= f * a[c][k];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        x[r] = (a[r][n] - (r + 1..n).map(|k| a[r][k] * x[k]).sum::<f64>()) / a[r][r];
    }
    Some(x)
}

/// The most polynomial pieces a numeric antiderivative may have (the suite's
/// one numeric result, gelu_tanh's SA term, needs 23 on [0, R], mirrored).
pub const MAX_PIECES: usize = 4096;

/// What a periodic result does beyond its period.
pub const PERIODIC: &str = "periodic: continued exactly, g(x + kP) = g(x) + k·∫ over one period of 1/f'";

/// Why the range ends at `r`.
fn reason(h: &dyn Fn(f64) -> f64, r: f64) -> String {
    let beyond = h(r + r.signum() * r.abs().max(1.0) * 1e-12);
    if r.abs() >= F32_MAX {
        crate::certify::NO_F32_BEYOND.into()
    } else if beyond.is_nan() {
        "g' is not computed: its expression is not a number in f64 there (it overflows)".into()
    } else if beyond.abs() <= F32_MAX {
        // Finite just beyond: the horizon stopped at a point where the
        // expression is 0/0 (a removable singularity of its form, as
        // atan(s/(x + 1))'s derivative at x = -1), not where it leaves f32.
        format!(
            "the integrand is not a number at x ≈ {} (0/0 or inf/inf in its expression), though finite beyond; beyond, the kernels continue g linearly with its end slope (not certified)",
            crate::zeros::fmt9(r)
        )
    } else {
        crate::certify::NUMERIC_TAIL.into()
    }
}

/// `val + slope·(x - at)`: g beyond its polynomial range.
fn linear_tail(b: &mut Builder, x: Id, at: f64, val: f64, slope: f64) -> Id {
    let a = b.num(at);
    let d = b.sub(x, a);
    let s = b.num(slope);
    let m = b.mul(s, d);
    let v = b.num(val);
    b.add_(v, m)
}

/// The coefficients k·q_k/half of d/dx Σ q_k t^k, t = (x - centre)/half.
fn derivative_coefficients(q: &[f64], half: f64) -> Vec<f64> {
    q.iter().enumerate().skip(1).map(|(k, qk)| k as f64 * qk / half).collect()
}

/// G' on the pieces: each piece's polynomial derivative, chosen by `x`.
fn piecewise_derivative(b: &mut Builder, x: Id, pieces: &[Piece], starts: &[f64]) -> Id {
    let frames: Vec<Frame> = pieces.iter().map(|pc| Frame::new(pc.centre, pc.half, &derivative_coefficients(&pc.integral, pc.half), 0.0)).collect();
    piecewise_polynomial(b, x, &frames, starts)
}

/// `where(x < start[mid], left half, right half)`, recursively: depth
/// log2(pieces), not one level per piece, so recursive passes (printing,
/// differentiation) stay shallow.
fn balanced(b: &mut Builder, x: Id, choices: &[Id], starts: &[f64]) -> Id {
    if choices.len() == 1 {
        return choices[0];
    }
    let mid = choices.len() / 2;
    let left = balanced(b, x, &choices[..mid], &starts[..mid]);
    let right = balanced(b, x, &choices[mid..], &starts[mid..]);
    let at = b.num(starts[mid]);
    let cond = b.add(Math::Compare(Cmp::Lt, [x, at]));
    b.add(Math::Where([cond, left, right]))
}

/// One piece's polynomial, offset + Σ q_k t^k with t = (x - centre)/half,
/// moved to a frame the f32 kernels hold exactly ([`exact_frame`]).
pub(crate) struct Frame {
    centre: f64,
    inverse_half: f64,
    /// Lowest first, the offset added to the constant.
    coefficients: Vec<f64>,
}

impl Frame {
    pub(crate) fn new(centre: f64, half: f64, q: &[f64], offset: f64) -> Frame {
        let mut q = q.to_vec();
        if let Some(q0) = q.first_mut() {
            *q0 += offset;
        }
        let (c2, h2) = exact_frame(centre, half);
        Frame { centre: c2, inverse_half: 1.0 / h2, coefficients: reframe(&q, (c2 - centre) / half, h2 / half) }
    }

    /// Each piece's integral with its offset: G on the pieces.
    fn values(pieces: &[Piece], offsets: &[f64]) -> Vec<Frame> {
        pieces.iter().zip(offsets).map(|(p, o)| Frame::new(p.centre, p.half, &p.integral, *o)).collect()
    }
}

/// The pieces' polynomials as ONE evaluation whose centre, scale and
/// coefficients are chosen by `x` (`where` trees of constants, which the
/// kernels compile to selects): every lane evaluates one polynomial, not
/// every piece's. Per coefficient that costs a select per extra piece
/// instead of a multiply and an add per extra piece, in the value and in the
/// partials' product rule alike (gelu_tanh's SA: 342 distinct operations
/// for F and its partials with the certified fit's 4 pieces, 797 as four
/// Horner chains; 242 with the kernels' 2). A lane's arithmetic
/// is its piece's own polynomial, by [`estrin`]; the certificate and the
/// f32 tests see the same values.
pub(crate) fn piecewise_polynomial(b: &mut Builder, x: Id, frames: &[Frame], starts: &[f64]) -> Id {
    let choose = |b: &mut Builder, values: &[f64]| {
        if values.iter().all(|v| v.to_bits() == values[0].to_bits()) {
            return b.num(values[0]);
        }
        let nums: Vec<Id> = values.iter().map(|v| b.num(*v)).collect();
        balanced(b, x, &nums, starts)
    };
    let centres: Vec<f64> = frames.iter().map(|f| f.centre).collect();
    let c = choose(b, &centres);
    let d = b.sub(x, c);
    // With power-of-two scales s, q_k·s^k is exact (barring subnormals and
    // overflow in f32), and the polynomial in d = x - centre with those
    // coefficients rounds exactly as the same in t = s·d does, with one
    // multiply less. The largest power of d that Estrin's scheme forms,
    // d^top with |d| ≤ 1/s, must fit f32 too.
    let terms = frames.iter().map(|f| f.coefficients.len()).max().unwrap_or(1).max(1);
    let top = (terms.next_power_of_two() / 2).max(1) as i32;
    let in_f32 = |v: &f64| *v == 0.0 || (v.abs() >= f32::MIN_POSITIVE as f64 && v.abs() <= F32_MAX);
    let scaled: Option<Vec<Vec<f64>>> = frames
        .iter()
        .map(|f| {
            let s = f.inverse_half;
            let power_of_two = s > 0.0 && s.is_finite() && s.log2().round().exp2() == s;
            let r: Vec<f64> = f.coefficients.iter().enumerate().map(|(k, q)| q * s.powi(k as i32)).collect();
            let powers_fit = s.recip().powi(top) <= F32_MAX;
            (power_of_two && powers_fit && r.iter().all(in_f32) && f.coefficients.iter().all(in_f32)).then_some(r)
        })
        .collect();
    let (t, coefficients) = match scaled {
        Some(r) => (d, r),
        None => {
            let scales: Vec<f64> = frames.iter().map(|f| f.inverse_half).collect();
            let inv = choose(b, &scales);
            (b.mul(inv, d), frames.iter().map(|f| f.coefficients.clone()).collect())
        }
    };
    let coefficient = |k: usize| -> Vec<f64> { coefficients.iter().map(|q| q.get(k).copied().unwrap_or(0.0)).collect() };
    let chosen: Vec<Id> = (0..terms).map(|k| choose(b, &coefficient(k))).collect();
    estrin(b, chosen, t)
}

/// Σ c_k t^k by Estrin's scheme: pairs c_2i + c_2i+1·t, then pairs of those
/// in t², t⁴, …. Its longest chain of dependent operations is 2⌈log₂(n)⌉
/// against Horner's 2n, for ⌈log₂(n)⌉ − 1 squarings more: lavapipe runs a
/// kernel's lanes as straight-line code where the chain's latency is the cost
/// (gelu_tanh's SA term: bench/README.md, 2026-12-05).
fn estrin(b: &mut Builder, mut terms: Vec<Id>, t: Id) -> Id {
    let mut power = t;
    while terms.len() > 1 {
        terms = terms
            .chunks(2)
            .map(|pair| match *pair {
                [low, high] => {
                    let m = b.mul(high, power);
                    b.add_(low, m)
                }
                _ => pair[0],
            })
            .collect();
        if terms.len() > 1 {
            power = b.mul(power, power);
        }
    }
    terms[0]
}

/// A centre and half-width near (centre, half) that f32 holds exactly: the
/// half-width a power of two not below `half` (its reciprocal exact too),
/// the centre a multiple of 1/1024 of it. A centre rounded to f32 shifts
/// the whole polynomial (where g grows like e^(25x), a shift of 4e-7 in x
/// is a 1e-5 relative error in every value), and x - centre is then exact
/// wherever x and the centre are within a factor 2 of each other
/// (Sterbenz), however the simplifier rearranges the product.
fn exact_frame(centre: f64, half: f64) -> (f64, f64) {
    let h2 = 2f64.powi(half.log2().ceil() as i32);
    let grid = h2 / 1024.0;
    let c2 = (centre / grid).round() * grid;
    if (c2 as f32) as f64 == c2 && (h2 as f32) as f64 == h2 {
        (c2, h2)
    } else {
        (centre, half)
    }
}

/// q in t = alpha + beta·s, as coefficients in s (Horner with linear
/// polynomials; alpha = 0, beta = 1 returns q unchanged, bit for bit).
fn reframe(q: &[f64], alpha: f64, beta: f64) -> Vec<f64> {
    if alpha == 0.0 && beta == 1.0 {
        return q.to_vec();
    }
    let mut out: Vec<f64> = Vec::with_capacity(q.len());
    for qk in q.iter().rev() {
        // out·(alpha + beta·s) + qk
        let mut next = vec![0.0; out.len() + 1];
        for (j, o) in out.iter().enumerate() {
            next[j] += alpha * o;
            next[j + 1] += beta * o;
        }
        next[0] += qk;
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    /// A range that ends at a point where the integrand's expression is
    /// 0/0, not where it leaves f32, says so: the integrand of
    /// `sinh(x) - atan(sqrt(x^2 + 1)/(x + 1))`'s GA is 0/0 at x = -1 only.
    #[test]
    fn a_range_ending_at_a_zero_over_zero_says_so() {
        let h = |x: f64| (x + 1.0) / (x + 1.0);
        let r = super::integrand_horizon(&h, -1.0);
        assert!(r > -1.0 && r < -0.999, "{r}");
        assert!(super::reason(&h, r).starts_with("the integrand is not a number at x ≈ -1 "), "{}", super::reason(&h, r));
        let big = |x: f64| (x * 1e300).exp();
        assert_eq!(super::reason(&big, 1.0), crate::certify::NUMERIC_TAIL);
    }

    use super::*;
    use crate::eval::eval1;

    /// Σ c_k t^k by Horner's rule in f64: the reference for [`estrin`].
    fn horner_reference(c: &[f64], t: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, ck| acc * t + ck)
    }

    /// The largest |value| of any node of `e` at x (f64): what an f32
    /// evaluation must hold on the way to its result.
    fn largest_intermediate(e: &Expr, x: f64) -> f64 {
        let mut v: Vec<f64> = Vec::with_capacity(e.as_ref().len());
        for node in e.as_ref() {
            let a = |id: &Id| v[usize::from(*id)];
            let y = match node {
                Math::Num(c) => c.into_inner(),
                Math::Var(_) => x,
                Math::Add([p, q]) => a(p) + a(q),
                Math::Sub([p, q]) => a(p) - a(q),
                Math::Mul([p, q]) => a(p) * a(q),
                other => panic!("{other:?} in a single frame's polynomial"),
            };
            v.push(y);
        }
        v.iter().fold(0.0, |m, y| m.max(y.abs()))
    }

    #[test]
    fn estrin_sums_every_term_for_every_length() {
        for n in 1..=21 {
            let c: Vec<f64> = (0..n).map(|k| (k + 1) as f64 * (-0.7f64).powi(k as i32)).collect();
            let mut b = Builder::new();
            let t = b.var("t");
            let terms: Vec<Id> = c.iter().map(|ck| b.num(*ck)).collect();
            let root = estrin(&mut b, terms, t);
            let e = b.finish_at(root);
            for k in -12..=12 {
                let x = k as f64 / 8.0;
                let (got, want) = (eval1(&e, "t", x), horner_reference(&c, x));
                assert!((got - want).abs() <= 1e-13 * want.abs().max(1.0), "{n} terms at {x}: {got} against {want}");
            }
        }
    }

    #[test]
    fn a_wide_frame_keeps_every_power_within_f32() {
        // Half-width 1024 and coefficients that f32 holds in both frames
        // (q_k = 2^(6k), q_k·1024^-k = 2^(-4k)): in d = x - centre, Estrin's
        // d^16 would be 2^160, so the polynomial goes in t = d/1024.
        let q: Vec<f64> = (0..19).map(|k| 2f64.powi(6 * k)).collect();
        let frame = Frame { centre: 0.0, inverse_half: 1.0 / 1024.0, coefficients: q.clone() };
        let mut b = Builder::new();
        let x = b.var("x");
        let root = piecewise_polynomial(&mut b, x, &[frame], &[-1024.0]);
        let e = b.finish_at(root);
        for x in [-1024.0, -700.0, -3.0, 0.5, 200.0, 1024.0] {
            assert!(largest_intermediate(&e, x) <= F32_MAX, "an intermediate leaves f32 at {x}");
            let want = horner_reference(&q, x / 1024.0);
            assert!((eval1(&e, "x", x) - want).abs() <= 1e-13 * want.abs().max(1.0), "at {x}");
        }
    }

    #[test]
    fn approximates_a_smooth_antiderivative_within_its_bound() {
        // ∫ 1/(1+x²) = atan(x); anchor at 0.
        let h = |x: f64| 1.0 / (1.0 + x * x);
        let g = numeric_antiderivative(&h, "x", 0.0, 0.0, &NumericOptions::default()).unwrap();
        for k in 0..=6400 {
            let x = -32.0 + k as f64 * 0.01;
            // ∫₀ˣ max(1, h) = |x| here.
            let err = (eval1(&g.expr, "x", x) - x.atan()).abs();
            assert!(err <= g.error_bound * x.abs() + 1e-15, "at {x}: {err:e} above the bound");
        }
        assert!(g.error_bound < 1e-9, "bound {:e}", g.error_bound);
    }

    /// An integrand that leaves f32 within 1e-12 of the anchor has no
    /// range to fit: an error that says so, not an index into no pieces
    /// (the fuzzer's `3802000^2 - 112700801^0^x^4^2 - 11^x - x`).
    #[test]
    fn an_integrand_out_of_f32_next_to_the_anchor_is_refused() {
        let h = |x: f64| if x.abs() < 1e-13 { 1.0 } else { f64::INFINITY };
        for even in [false, true] {
            let opts = NumericOptions { even, ..Default::default() };
            let err = numeric_antiderivative(&h, "x", 0.0, 0.0, &opts).map(|_| ()).unwrap_err();
            assert!(err.contains("within 1e-12 of the anchor"), "{err}");
        }
    }

    /// gelu_tanh's SA term's integrand, 1/t' = cosh²(p)/p', p = k(x + c·x³).
    fn gelu_tanh_reciprocal(x: f64) -> f64 {
        let (k, c) = ((2.0 / std::f64::consts::PI).sqrt(), 0.044715);
        let p = k * (x + c * x * x * x);
        p.cosh().powi(2) / (k * (1.0 + 3.0 * c * x * x))
    }

    #[test]
    fn the_kernels_fit_takes_fewer_pieces_and_stays_within_its_tolerance() {
        let h = gelu_tanh_reciprocal;
        let even = NumericOptions { even: true, ..Default::default() };
        let g = numeric_antiderivative(&h, "x", 0.0, 0.0, &even).unwrap();
        let k = g.kernel.as_ref().expect("a weighted term gets a kernel fit");
        assert_eq!((g.pieces, k.pieces), (4, 2), "certified and kernel pieces");
        // Its cells: multiples of 1/64 between 0 and the range's end.
        let inner: Vec<f64> = k.boundaries.iter().copied().filter(|b| *b > 0.0 && *b < g.hi).collect();
        assert!(inner.iter().all(|b| (b * 64.0).fract() == 0.0), "{inner:?}");
        // Independently of the fit's own grid: G' against h at 20,001 points,
        // and G against ∫₀ˣ h by Simpson's rule on steps of 1/4096, both
        // within KERNEL_TOLERANCE relative (h ≥ 1 here, so ∫max(1, h) = ∫h).
        let (mut integral, mut at) = (0.0, 0.0);
        let step = 1.0 / 4096.0;
        for i in 0..=20_000 {
            let x = g.hi * i as f64 / 20_000.0;
            let d = eval1(&k.derivative, "x", x);
            assert!((d - h(x)).abs() <= KERNEL_TOLERANCE * h(x), "G' at {x}: {d} against {}", h(x));
            while at + step <= x {
                integral += step / 6.0 * (h(at) + 4.0 * h(at + 0.5 * step) + h(at + step));
                at += step;
            }
            let rest = x - at;
            let exact = integral + rest / 6.0 * (h(at) + 4.0 * h(at + 0.5 * rest) + h(x));
            let v = eval1(&k.expr, "x", x);
            assert!((v - exact).abs() <= KERNEL_TOLERANCE * exact + 1e-15, "G at {x}: {v} against {exact}");
            // Odd, as the certified fit (at ±0 both read G(0), which is 0 to 1e-15).
            if x > 0.0 {
                assert_eq!(eval1(&k.expr, "x", -x), -v);
            }
        }
        eprintln!("kernel fit: cells {:?}, measured {:e}", k.boundaries, k.derivative_error);
        // It fails a tolerance 20 times tighter: the check can fail.
        assert!(k.derivative_error > KERNEL_TOLERANCE / 20.0, "{:e}", k.derivative_error);
    }

    #[test]
    fn a_fast_growing_even_integrand_is_fitted_as_an_exponential_times_polynomials() {
        // h = cosh²(x) (tanh's 1/f'): G = x/2 + sinh(2x)/4; h reaches e^88
        // at the f32 horizon, so unweighted pieces must be short there.
        let h = |x: f64| x.cosh().powi(2);
        let even = NumericOptions { even: true, ..Default::default() };
        let g = numeric_antiderivative(&h, "x", 0.0, 0.0, &even).unwrap();
        let both = numeric_antiderivative(&h, "x", 0.0, 0.0, &NumericOptions::default()).unwrap();
        assert!(g.odd && g.weight.is_some() && both.weight.is_none());
        assert_eq!(g.degree, DEGREE);
        assert!(4 * g.pieces <= both.pieces / 2, "{} weighted pieces against {} per side", g.pieces, both.pieces / 2);
        assert!(g.hi > 44.0 && g.error_bound < 1e-9, "range {}, bound {:e}", g.hi, g.error_bound);
        for k in 0..=20000 {
            let x = g.hi * (-1.0 + k as f64 / 10000.0);
            // ∫₀ˣ max(1, h) = ∫₀ˣ h = |G| (h ≥ 1).
            let truth = 0.5 * x + 0.25 * (2.0 * x).sinh();
            let err = (eval1(&g.expr, "x", x) - truth).abs();
            assert!(err <= g.error_bound * truth.abs() + 1e-15, "at {x}: {err:e}");
            let derr = (eval1(&g.derivative, "x", x) - h(x)).abs();
            assert!(derr <= g.error_bound * h(x), "g' at {x}: {derr:e}");
        }
    }

    #[test]
    fn a_polynomial_moved_to_an_exact_frame_is_the_same_polynomial() {
        let q = [0.3, -1.25, 2.0, 0.125, -0.7];
        let (centre, half) = (9.112413111204834, 1.1124131112048342);
        let (c2, h2) = exact_frame(centre, half);
        assert_eq!((h2, (c2 as f32) as f64), (2.0, c2));
        assert!((c2 - centre).abs() <= h2 / 2048.0);
        let moved = reframe(&q, (c2 - centre) / half, h2 / half);
        for k in 0..=64 {
            let x = centre + half * (-1.0 + k as f64 / 32.0);
            let (a, b) = (horner(&q, (x - centre) / half), horner(&moved, (x - c2) / h2));
            assert!((a - b).abs() <= 1e-14, "at {x}: {a} against {b}");
        }
        // A frame f32 already holds exactly is kept, coefficients bit for bit.
        assert_eq!(exact_frame(1.5, 0.5), (1.5, 0.5));
        assert_eq!(reframe(&q, 0.0, 1.0), q.to_vec());
    }

    #[test]
    fn an_even_integrand_is_fitted_on_one_side_and_mirrored() {
        // 1/(1+x²) is even: G(x) = atan(x) + 2 with g(0) = 2.
        let h = |x: f64| 1.0 / (1.0 + x * x);
        let even = NumericOptions { even: true, ..Default::default() };
        let mirrored = numeric_antiderivative(&h, "x", 0.0, 2.0, &even).unwrap();
        let both = numeric_antiderivative(&h, "x", 0.0, 2.0, &NumericOptions::default()).unwrap();
        assert!(mirrored.odd && !both.odd);
        // Anchored elsewhere, an even h is fitted on both sides.
        assert!(!numeric_antiderivative(&h, "x", 1.5, 2.0, &even).unwrap().odd);
        assert_eq!((mirrored.lo, both.lo), (-mirrored.hi, -both.hi));
        assert!(2 * mirrored.pieces <= both.pieces + 1, "{} mirrored pieces against {} fitted", mirrored.pieces, both.pieces);
        // Boundaries on both sides, for the certificate.
        let b = &mirrored.boundaries;
        assert_eq!(b.first().copied(), Some(mirrored.lo));
        assert!(b.windows(2).all(|w| w[0] < w[1]) && b.contains(&0.0));
        for g in [&mirrored, &both] {
            for k in 0..=6400 {
                let x = -32.0 + k as f64 * 0.01;
                let truth = x.atan() + 2.0;
                let err = (eval1(&g.expr, "x", x) - truth).abs();
                // ∫₀ˣ max(1, h) = |x|.
                assert!(err <= g.error_bound * x.abs() + 1e-14, "at {x}: {err:e}");
                let derr = (eval1(&g.derivative, "x", x) - h(x)).abs();
                assert!(derr <= g.error_bound + 1e-15, "g' at {x}: {derr:e}");
            }
        }
    }
}
