//! Global adversarial (SPEC §2): g(x) = ∫ 1/f'(x) dx with g(anchor) = f(anchor),
//! piece by piece for piecewise f, continuous at every break point, verified.
//!
//! ```
//! use foil_compiler::{ga::{derive_global_adversarial, GaOptions}, eval::eval1};
//! let f = "(atan x)".parse().unwrap();
//! let ga = derive_global_adversarial(&f, &GaOptions::default()).unwrap();
//! // g = x + x^3/3
//! assert!((eval1(&ga.adversarial, "x", 2.0) - (2.0 + 8.0 / 3.0)).abs() < 1e-12);
//! assert!(ga.verification.passed);
//! ```

use crate::build::Builder;
use crate::certify::{Certificate, Target};
use crate::diff::derivative;
use crate::error::DeriveError;
use crate::eval::eval1;
use crate::lang::{is_constant, root, Cmp, Expr, Math};
use crate::piecewise::{break_points, intervals, specialize, Interval};
use crate::simplify::{simplify, Limits, SimplifyReport};
use crate::verify::{verify_adversarial, Verification};
use egg::{Language, Symbol};

pub const VAR: &str = "x";

#[derive(Clone, Debug)]
pub struct GaOptions {
    /// The point where g meets f (SPEC §2 anchor; default 0). `None` keeps the
    /// plain antiderivative (constant 0 on the piece holding 0), as SA terms do.
    pub anchor: Option<f64>,
    /// SPEC §2 regularisation: where f' has zeros, derive g with
    /// g' = f'/(f'² + ε²) instead of refusing; the result is approximate.
    pub regularize: Option<f64>,
    pub limits: Limits,
}

impl Default for GaOptions {
    fn default() -> Self {
        GaOptions { anchor: Some(0.0), regularize: None, limits: Limits::default() }
    }
}

/// One smooth piece of g.
#[derive(Clone, Debug)]
pub struct GaPiece {
    pub interval: Interval,
    pub adversarial: Expr,
}

#[derive(Clone, Debug)]
pub struct GaResult {
    /// f, as parsed (named activations expanded).
    pub input: Expr,
    /// f', simplified.
    pub derivative: Expr,
    /// g, simplified (a `where` chain when f is piecewise).
    pub adversarial: Expr,
    /// g', simplified.
    pub adversarial_derivative: Expr,
    pub closed_form: bool,
    /// True for a regularised result: g' = f'/(f'² + ε²), not 1/f'.
    pub approximate: bool,
    /// ε, when regularised.
    pub regularization: Option<f64>,
    /// The zeros of f' a regularised result smooths over.
    pub derivative_zeros: Option<crate::zeros::Zeros>,
    /// For a numerically integrated g (closed_form = false): the relative
    /// bound of [`crate::numeric::NumericAntiderivative::error_bound`].
    pub error_bound: Option<f64>,
    /// For a numerically integrated g: R, where g is a piecewise polynomial on
    /// at least [-R, R] (see `numeric` for the exact range and beyond).
    pub numeric_range: Option<f64>,
    /// For a numerically integrated g: its pieces, range and continuation.
    pub numeric: Option<NumericSummary>,
    pub anchor: Option<f64>,
    pub break_points: Vec<f64>,
    pub pieces: Vec<GaPiece>,
    /// The f64 sample check (SPEC §5 "sampled"), always run as a witness.
    pub verification: Verification,
    /// How the result is verified: exact, certified on a range, or sampled only.
    pub certificate: Certificate,
    /// What the f32 kernels evaluate, where it is not `adversarial`: a
    /// numeric g's own fit to f32's needs, with fewer pieces.
    pub kernel: Option<KernelForm>,
    pub simplify: SimplifyReport,
}

impl GaResult {
    /// (g, g') as the f32 kernels evaluate them: the kernels' fit where
    /// there is one, else the certified result.
    pub fn kernel_pair(&self) -> (&Expr, &Expr) {
        match &self.kernel {
            Some(k) => (&k.adversarial, &k.adversarial_derivative),
            None => (&self.adversarial, &self.adversarial_derivative),
        }
    }
}

/// A numeric g as the f32 kernels evaluate it: a fit with fewer pieces than
/// the certified one, itself certified, to
/// [`crate::numeric::KERNEL_TOLERANCE`] (|g_k' − 1/f'| / max(1, |1/f'|)),
/// on the certified result's range. The certified result is what foil
/// prints and proves to SPEC §5's 1e-9; the kernels, which round every
/// operation to f32 (6e-8), evaluate this one.
#[derive(Clone, Debug)]
pub struct KernelForm {
    pub adversarial: Expr,
    pub adversarial_derivative: Expr,
    pub pieces: usize,
    pub degree: usize,
    /// The proven bound, over the certified result's range.
    pub bound: f64,
    /// Subintervals of its proof.
    pub subintervals: usize,
}

/// What a numeric g is made of, for a summary instead of its expression.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NumericSummary {
    pub pieces: usize,
    /// The pieces cover [0, hi] and g(x) = g(0) + sign(x)·G(|x|) (h even).
    pub odd: bool,
    /// Degree of each piece's polynomial.
    pub degree: usize,
    /// Each piece is e^W·Q (W a cubic, Q the polynomial): the cubic P that
    /// W follows, coefficients lowest first. See
    /// [`crate::numeric::NumericAntiderivative::weight`].
    pub weight: Option<Vec<f64>>,
    /// The polynomial range (one period, when periodic).
    pub lo: f64,
    pub hi: f64,
    pub period: Option<f64>,
    /// What g is beyond `lo` and beyond `hi`.
    pub beyond: (String, String),
}

/// The single variable of `f`, which must be `x`.
pub fn require_x(f: &Expr) -> Result<(), DeriveError> {
    let vars = crate::lang::variables(f);
    if vars.len() == 1 && vars[0] == Symbol::from(VAR) {
        return Ok(());
    }
    let found = if vars.is_empty() {
        "no variable (a constant has no adversarial)".to_string()
    } else {
        vars.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
    };
    Err(DeriveError::Variables { found })
}

/// Refuse functions that are not real on the whole line (`log(x)`, `sqrt(x)`,
/// `1/(x - 0.3)`), naming where: SPEC §5 asks for g real on the whole line.
///
/// A grid of [-64, 64] in steps of 1/16 finds where f is not real or
/// infinite; the points where an argument that must stay non-zero or
/// positive reaches 0 ([`domain_edges`]) add samples beside them, so a pole
/// or a domain's edge between grid points, or beyond them, is found too.
pub fn check_domain(f: &Expr, var: &str) -> Result<(), DeriveError> {
    let edges = domain_edges(f, var);
    let mut xs: Vec<f64> = (0..=2048).map(|i| -64.0 + i as f64 / 16.0).collect();
    for &(z, _) in &edges {
        let s = z.abs().max(1.0);
        xs.extend([-1e-6, -1e-9, 1e-9, 1e-6].map(|d| z + d * s));
    }
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    // NaN (outside the domain), or an infinity with no infinite neighbour: a
    // pole (-2/x at 0) or the edge of the domain (log(x) at 0, NaN to its
    // left). An infinity that runs on to the end of the range is overflow
    // (exp(exp(x)) for x > 6.57), not a gap in the domain.
    let bad = |x: f64| {
        let v = eval1(f, var, x);
        v.is_nan() || (v.is_infinite() && !eval1(f, var, x - 1e-3).is_infinite() && !eval1(f, var, x + 1e-3).is_infinite())
    };
    let what = |x: f64| if eval1(f, var, x).is_nan() { "not a real number" } else { "infinite (a pole)" };
    // `intervals`: where f is not real, as far as the scan goes (one at least).
    let refusal = |intervals: Vec<(Interval, (bool, bool))>, x: f64| {
        let (interval, closed) = intervals[0];
        DeriveError::Domain {
            interval,
            closed,
            more: intervals[1..].to_vec(),
            reason: format!("f({}) is {}; foil derives adversarials for activations defined on all of ℝ", crate::zeros::fmt9(x), what(x)),
        }
    };
    let Some(first) = xs.iter().position(|&x| bad(x)) else {
        // Poles between the samples, where f64 gives f a finite value at
        // every double (1/(x - 0.3), log(abs(x - 0.7))).
        let poles: Vec<_> = edges.iter().filter(|(z, forced)| is_pole(f, forced, var, *z)).map(|&(z, _)| (Interval { lo: z, hi: z }, (true, true))).collect();
        return match poles.first() {
            Some(&(p, _)) => Err(refusal(poles, p.lo)),
            None => Ok(()),
        };
    };
    let refine = |mut good: f64, mut nan: f64| {
        for _ in 0..80 {
            let m = 0.5 * (good + nan);
            if bad(m) {
                nan = m
            } else {
                good = m
            }
        }
        crate::zeros::fmt9(0.5 * (good + nan)).parse::<f64>().unwrap_or(good)
    };
    // A run that reaches the end of the samples goes on to ±∞ only if no
    // sample further out is real (log(x) for x < 0; sqrt(sin(x)) is real
    // again at -64.4): walk out, finely to twice the scan, then geometrically.
    let beyond = |from: f64, dir: f64| {
        let fine = (1..=1024).map(move |k| from + dir * k as f64 / 16.0);
        let far = (1..).map(move |j| from + dir * 64.0 * 1.5f64.powi(j)).take_while(|x| x.is_finite());
        let mut nan = from;
        fine.chain(far).find_map(|x| match bad(x) {
            true => {
                nan = x;
                None
            }
            // Real only by an overflow or underflow ((-160)^(-160) is 0 in
            // f64, so x^x^x is 1 there), which says nothing about f.
            false if crate::verify::leaves_f64_range(f, var, x) => None,
            false => Some(refine(x, nan)),
        })
    };
    // Each run of bad samples is an interval; f may be real again after one
    // (x^x at the negative integers) and bad further on. The first is the
    // one the refusal names and takes its sample from.
    let run_from = |first: usize| {
        let last = (first..xs.len()).take_while(|&i| bad(xs[i])).last().unwrap_or(first);
        let lo = if first == 0 { beyond(xs[0], -1.0).unwrap_or(f64::NEG_INFINITY) } else { refine(xs[first - 1], xs[first]) };
        let hi = if last == xs.len() - 1 { beyond(xs[last], 1.0).unwrap_or(f64::INFINITY) } else { refine(xs[last + 1], xs[last]) };
        ((Interval { lo, hi }, (lo.is_finite() && bad(lo), hi.is_finite() && bad(hi))), last)
    };
    let mut intervals = Vec::new();
    let mut next = Some(first);
    while let Some(start) = next {
        let (interval, last) = run_from(start);
        intervals.push(interval);
        next = (last + 1..xs.len()).find(|&i| bad(xs[i]));
    }
    Err(refusal(intervals, xs[first]))
}

/// The points where an argument of f that must be non-zero or positive
/// ([`crate::lang::requirement`]: a denominator, a log's or sqrt's
/// argument, the base of a power that is not whole) reaches 0, by
/// [`crate::zeros::find_zeros`] (a fine scan of [-32, 32], geometric to
/// ±1e6): where f may stop being real or finite. Each comes with f with
/// that argument set to exactly 0, which is infinite or NaN at the point
/// if the node's singularity reaches f (not where a `where` leaves that
/// branch unused).
fn domain_edges(f: &Expr, var: &str) -> Vec<(f64, Expr)> {
    let mut seen: Vec<Expr> = Vec::new();
    let mut edges = Vec::new();
    for (at, node) in f.as_ref().iter().enumerate() {
        let Some((_, arg)) = crate::lang::requirement(f, node) else { continue };
        if is_constant(f, arg) {
            continue;
        }
        let e = crate::build::subtree(f, arg);
        if seen.contains(&e) {
            continue;
        }
        let zeros = crate::zeros::find_zeros(&|x| eval1(&e, var, x)).zeros;
        if !zeros.is_empty() {
            let forced = with_zero_argument(f, at, arg);
            edges.extend(zeros.into_iter().map(|z| (z, forced.clone())));
        }
        seen.push(e);
    }
    edges
}

/// `f` with the argument `arg` of its node `at` replaced by the literal 0.
fn with_zero_argument(f: &Expr, at: usize, arg: egg::Id) -> Expr {
    let mut out = Expr::default();
    let mut ids: Vec<egg::Id> = Vec::with_capacity(f.as_ref().len());
    for (i, node) in f.as_ref().iter().enumerate() {
        let zero = (i == at).then(|| out.add(crate::lang::num(0.0)));
        let node = node.clone().map_children(|c| match zero {
            Some(z) if c == arg => z,
            _ => ids[usize::from(c)],
        });
        ids.push(out.add(node));
    }
    out
}

/// Is `z` (where an argument of f reaches 0) a pole of f: f infinite or
/// not real there with that argument exactly 0 (`forced`), or f within a
/// few rounding errors of `z` (1e-12 relative) at least 1e4 times f a
/// hundredth away (f64 resolves 1/(x - 0.3) at the double nearest 0.3 only
/// to about 1e16)?
fn is_pole(f: &Expr, forced: &Expr, var: &str, z: f64) -> bool {
    if !eval1(forced, var, z).is_finite() {
        return true;
    }
    let s = z.abs().max(1.0);
    let peak = [0.0, -1e-12, 1e-12].iter().map(|d| eval1(f, var, z + d * s).abs()).fold(0.0, f64::max);
    let around = 1.0 + eval1(f, var, z - 1e-2 * s).abs() + eval1(f, var, z + 1e-2 * s).abs();
    peak.is_infinite() || peak > 1e4 * around
}

/// An anchor far out can make g's constant so large that f64 cannot hold
/// g(anchor) = f(anchor): tanh anchored at 15 is g = x/2 + sinh(2x)/4 - C
/// with C = 2.7e12, whose value at 15 f64 rounds to about ±3e-4. Refused
/// (an invalid option) where that rounding exceeds 1e-6 · max(1, |f(a)|);
/// tanh's anchors reach to about 11.8.
fn check_anchor_holds_in_f64(g: &Expr, a: f64, fa: f64) -> Result<(), DeriveError> {
    let rounding = crate::verify::anchor_rounding(g, VAR, a);
    if rounding <= 1e-6 * fa.abs().max(1.0) {
        return Ok(());
    }
    let n = crate::zeros::fmt9;
    Err(DeriveError::InvalidOption(format!(
        "at the anchor x = {} g is a sum of terms so large that f64 holds its value there only to ±{rounding:.1e}, so g({0}) = f({0}) = {} \
         cannot be met: anchor g nearer 0, where g is smaller",
        n(a),
        n(fa)
    )))
}

/// Derive and verify the GA of `f` (a function of `x`).
pub fn derive_global_adversarial(f: &Expr, opts: &GaOptions) -> Result<GaResult, DeriveError> {
    if let Some(a) = opts.anchor.filter(|a| !a.is_finite()) {
        return Err(DeriveError::InvalidOption(format!("the anchor must be a finite number, got {a}")));
    }
    require_x(f)?;
    check_domain(f, VAR)?;
    let mut report = SimplifyReport::default();
    let mut simp = |e: &Expr| {
        let (s, r) = simplify(e, &opts.limits);
        report.merge(&r);
        s
    };
    let f_prime = derivative(f, VAR);
    let breaks = break_points(f, VAR);
    if let Some(a) = opts.anchor {
        // g is continuous: at a jump of f, g(a) = f(a) cannot hold from both
        // sides (x + sign(x) at 0 failed verification, exit 1). A jump is a
        // gap that stays as the sides close in a thousandfold; a steep
        // continuous f's shrinks (sign(x)*sqrt(abs(x)) at 0: 2e-6, then
        // 6e-8; it was refused as "f jumps at x = 0").
        let s = a.abs().max(1.0);
        let sides = |h: f64| (eval1(f, VAR, a - h * s), eval1(f, VAR, a + h * s));
        let ((left, right), (near_left, near_right)) = (sides(1e-12), sides(1e-15));
        let gap = (left - right).abs();
        if gap > 1e-6 * left.abs().max(right.abs()).max(1.0) && (near_left - near_right).abs() > 0.9 * gap {
            let n = crate::zeros::fmt9;
            return Err(DeriveError::InvalidOption(format!(
                "f jumps at the anchor x = {} (from {} to {}), so g(anchor) = f(anchor) cannot hold on both sides: anchor g where f is continuous",
                n(a),
                n(left),
                n(right)
            )));
        }
    }
    let pieces_at = intervals(&breaks);

    // Per piece: the smooth f there and its derivative; refuse flat pieces.
    let mut smooth = Vec::with_capacity(pieces_at.len());
    let mut smooth_f = Vec::with_capacity(pieces_at.len());
    let mut flat: Vec<Interval> = Vec::new();
    for iv in &pieces_at {
        let fi = specialize(f, VAR, iv.interior_point());
        let dfi = derivative(&fi, VAR);
        if is_flat(&dfi, iv) {
            // Adjacent flat pieces are one flat interval.
            match flat.last_mut() {
                Some(last) if last.hi == iv.lo => last.hi = iv.hi,
                _ => flat.push(*iv),
            }
        }
        smooth.push(dfi);
        smooth_f.push(fi);
    }
    let f_second = derivative(&f_prime, VAR);
    let mut zeros = crate::zeros::find_zeros_refined(&|x| eval1(&f_prime, VAR, x), Some(&|x| eval1(&f_second, VAR, x)), &breaks);
    zeros.zeros.retain(|&z| !monotone_through_break(z, &breaks, &pieces_at, &smooth));
    let f_prime_simplified = simp(&f_prime);
    if let Some(&interval) = flat.first() {
        // The regularisation policy covers flat pieces too (g is constant there).
        // A refusal names every flat interval, and every zero of f' elsewhere.
        let mut elsewhere = zeros.clone();
        elsewhere.zeros.retain(|z| !flat.iter().any(|iv| *z >= iv.lo && *z <= iv.hi));
        return match opts.regularize {
            None => Err(DeriveError::FlatDerivative { interval, intervals: flat, zeros: elsewhere }),
            Some(eps) => derive_regularized(f, &f_prime, f_prime_simplified, eps, zeros, &breaks, opts, report),
        };
    }
    if !zeros.is_empty() {
        return match opts.regularize {
            None => Err(DeriveError::DerivativeZeros { derivative: crate::print::to_spec(&f_prime_simplified), zeros }),
            Some(eps) => derive_regularized(f, &f_prime, f_prime_simplified, eps, zeros, &breaks, opts, report),
        };
    }

    // Antiderivative of 1/f' on each piece.
    let mut antiderivatives = Vec::with_capacity(smooth.len());
    for dfi in &smooth {
        match crate::integrate::antiderivative(&reciprocal(dfi), Symbol::from(VAR)) {
            Ok(g) => antiderivatives.push(g),
            // No closed form: integrate 1/f' numerically (closed_form = false).
            Err(_) => return numeric_ga(f, &f_prime, f_prime_simplified, &breaks, opts, report),
        }
    }

    // Constants: anchor the piece holding the anchor, then carry continuity outwards.
    let at = opts.anchor.unwrap_or(0.0);
    let k = pieces_at.iter().position(|iv| iv.contains(at) || iv.lo == at).unwrap_or(0);
    let mut constants: Vec<Option<Expr>> = vec![None; pieces_at.len()];
    constants[k] = Some(match opts.anchor {
        Some(a) => simp(&constant_difference(&smooth_f[k], &antiderivatives[k], a)),
        None => "0".parse().unwrap(),
    });
    for j in k + 1..pieces_at.len() {
        let b = pieces_at[j].lo;
        let prev = shifted(&antiderivatives[j - 1], constants[j - 1].as_ref().unwrap());
        constants[j] = Some(simp(&constant_difference(&prev, &antiderivatives[j], b)));
    }
    for j in (0..k).rev() {
        let b = pieces_at[j].hi;
        let next = shifted(&antiderivatives[j + 1], constants[j + 1].as_ref().unwrap());
        constants[j] = Some(simp(&constant_difference(&next, &antiderivatives[j], b)));
    }
    let pieces: Vec<GaPiece> = pieces_at
        .iter()
        .zip(antiderivatives.iter().zip(&constants))
        .map(|(iv, (g, c))| GaPiece { interval: *iv, adversarial: simp(&shifted(g, c.as_ref().unwrap())) })
        .collect();
    // g' piece by piece: one small e-graph each instead of one over the whole `where` chain.
    let derivative_pieces: Vec<GaPiece> =
        pieces.iter().map(|p| GaPiece { interval: p.interval, adversarial: simp(&derivative(&p.adversarial, VAR)) }).collect();
    // Exact where provable; a g' whose constants f64 folding rounded (4/3 as
    // 1.333333333333333) is proven with the fractions restored, and printed so.
    let mut derivative_pieces = derivative_pieces;
    let exact: Vec<bool> = derivative_pieces
        .iter_mut()
        .zip(&smooth)
        .map(|(p, dfi)| {
            // The cheap normal form first, on the printed g' and on it with
            // fractions restored; the e-graph last.
            if crate::certify::is_exact_by_normal_form(&p.adversarial, dfi, Target::Reciprocal) {
                return true;
            }
            let snapped = crate::canon::snap_fractions(&p.adversarial);
            if crate::certify::is_exact_by_normal_form(&snapped, dfi, Target::Reciprocal) {
                p.adversarial = snapped;
                return true;
            }
            crate::certify::is_exact(&p.adversarial, dfi, Target::Reciprocal, &opts.limits)
        })
        .collect();
    // Where g' is proven to be 1/f', 1/f' itself may be the cheaper form to
    // print and to emit: asinh's g' is sqrt(x^2 + 1), where the derivative
    // of g = (x·sqrt(x^2 + 1) + asinh(x))/2 has three terms and two divisions.
    // Only a 1/f' whose sums do not cancel qualifies: isru's simplified f'
    // is (s - x^2/s)/s^2 with s = sqrt(1 + x^2), whose reciprocal loses every
    // digit in f32 for large |x|, where the derivative of g adds positive terms.
    // Its normal form collects the cancelling sum first: 1/f' = s + x^2·s
    // ([`crate::canon::polynomial_form`]), which does qualify. Its
    // coefficients are f64 literals, so it stands only where it is still
    // proven 1/f' exactly (`exact` was proven for the g' it replaces).
    for ((p, dfi), exact) in derivative_pieces.iter_mut().zip(&smooth).zip(&exact) {
        if *exact {
            let recip = reciprocal(dfi);
            let collected =
                crate::canon::polynomial_form(&recip, VAR).map(|e| simp(&e)).filter(|e| crate::certify::is_exact_by_normal_form(e, dfi, Target::Reciprocal));
            for r in std::iter::once(simp(&recip)).chain(collected) {
                // The cost first: the sampled checks are what takes time.
                if crate::simplify::gpu_cost(&r) < crate::simplify::gpu_cost(&p.adversarial) && emits_without_powf(&r) && sums_well_conditioned(&r) {
                    p.adversarial = r;
                }
            }
        }
    }
    let adversarial = assemble_pieces(&pieces);
    let adversarial_derivative = assemble_pieces(&derivative_pieces);
    if let Some(a) = opts.anchor {
        check_anchor_holds_in_f64(&adversarial, a, eval1(f, VAR, a))?;
    }
    let verification = verify_adversarial(&f_prime, &adversarial, &adversarial_derivative, VAR, &breaks, opts.anchor.map(|a| (a, eval1(f, VAR, a))));
    if !verification.passed {
        // A closed form whose f64 values miss 1/f′ by more than 1e-9 (the
        // rounding of its coefficients amplified where its terms cancel:
        // asinh(x) + 0.01·x's g holds 100·x and -10⁴·asinh(x)) is no
        // answer; the integrator's own check, by differences at 1e-6, let
        // it through. The numeric g is fitted to 1/f′ itself; only where
        // that fails too is it an error.
        return numeric_ga(f, &f_prime, f_prime_simplified, &breaks, opts, report)
            .map_err(|_| DeriveError::Verification { reason: verification.failure.clone().unwrap_or_default() });
    }
    if crate::lower::worst_f32_rounding(&adversarial, &adversarial_derivative, VAR) > MAX_F32_ROUNDING {
        // Terms that cancel for long in f32 (the lowering fits only a
        // cancellation near 0): a numeric g fits g itself.
        if let Ok(n) = numeric_ga(f, &f_prime, f_prime_simplified.clone(), &breaks, opts, report.clone()) {
            return Ok(n);
        }
    }
    let cert_pieces: Vec<crate::certify::Piece> = derivative_pieces
        .iter()
        .zip(&smooth)
        .map(|(p, dfi)| crate::certify::Piece { lo: p.interval.lo, hi: p.interval.hi, g_prime: p.adversarial.clone(), target: dfi.clone() })
        .collect();
    let certificate = crate::certify::certify(
        &adversarial,
        &adversarial_derivative,
        &cert_pieces,
        &exact,
        &breaks,
        Target::Reciprocal,
        crate::certify::CHECKED_RECIPROCAL,
        VAR,
        &crate::certify::Span::Horizon,
        crate::certify::Budget::default(),
    );
    if certificate.kind == crate::certify::Kind::Sampled {
        // A closed form the certificate cannot prove (the integrator's own
        // check samples 16 points and can miss a narrow feature): a numeric
        // g that certifies is the better answer.
        let numeric = numeric_ga(f, &f_prime, f_prime_simplified.clone(), &breaks, opts, report.clone());
        if let Some(n) = numeric.ok().filter(|n| n.certificate.kind == crate::certify::Kind::Certified) {
            return Ok(n);
        }
    }
    Ok(GaResult {
        input: f.clone(),
        derivative: f_prime_simplified,
        adversarial,
        adversarial_derivative,
        certificate,
        closed_form: true,
        approximate: false,
        regularization: None,
        derivative_zeros: None,
        error_bound: None,
        numeric_range: None,
        kernel: None,
        numeric: None,
        anchor: opts.anchor,
        break_points: breaks,
        pieces,
        verification,
        simplify: report,
    })
}

/// The numeric g: 1/f′ integrated numerically, where no closed form is
/// found or the one found would serve worse.
fn numeric_ga(f: &Expr, f_prime: &Expr, f_prime_simplified: Expr, breaks: &[f64], opts: &GaOptions, report: SimplifyReport) -> Result<GaResult, DeriveError> {
    derive_approximate(f, f_prime_simplified, &reciprocal(f_prime), f_prime, None, breaks, opts, report, Target::Reciprocal)
}

/// The SPEC §2 regularised GA: g' = f'/(f'² + ε²), integrated symbolically
/// when possible, else numerically (a piecewise polynomial with a bound).
#[allow(clippy::too_many_arguments)]
fn derive_regularized(
    f: &Expr,
    f_prime: &Expr,
    f_prime_simplified: Expr,
    eps: f64,
    zeros: crate::zeros::Zeros,
    breaks: &[f64],
    opts: &GaOptions,
    report: SimplifyReport,
) -> Result<GaResult, DeriveError> {
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(DeriveError::InvalidOption(format!("the regularisation ε must be positive and finite, got {eps}")));
    }
    let mut b = Builder::new();
    let fp = b.copy(f_prime, root(f_prime));
    let sq = b.powi(fp, 2);
    let e2 = b.num(eps * eps);
    let den = b.add_(sq, e2);
    let h = b.div(fp, den);
    // verify_adversarial checks g' against 1/(its first argument): hand it 1/h.
    let recip = b.div(den, fp);
    let (h, recip) = (b.finish_at(h), b.finish_at(recip));
    let symbolic = if breaks.is_empty() { crate::integrate::antiderivative(&h, Symbol::from(VAR)).ok() } else { None };
    let mut g = derive_approximate(f, f_prime_simplified, &h, &recip, symbolic, breaks, opts, report, Target::Direct)?;
    g.regularization = Some(eps);
    g.derivative_zeros = Some(zeros);
    Ok(g)
}

/// g' = h (= 1/recip), from a symbolic antiderivative when there is one, else
/// numerically; always verified, and marked approximate.
#[allow(clippy::too_many_arguments)]
fn derive_approximate(
    f: &Expr,
    f_prime_simplified: Expr,
    h: &Expr,
    recip: &Expr,
    symbolic: Option<Expr>,
    breaks: &[f64],
    opts: &GaOptions,
    mut report: SimplifyReport,
    target: Target,
) -> Result<GaResult, DeriveError> {
    let mut simp = |e: &Expr| {
        let (s, r) = simplify(e, &opts.limits);
        report.merge(&r);
        s
    };
    let h = h.clone();
    let recip = recip.clone();
    // Without an anchor (SA's plain terms) the numeric antiderivative is ∫₀ˣ.
    let anchor = opts.anchor.unwrap_or(0.0);
    let fa = if opts.anchor.is_some() { eval1(f, VAR, anchor) } else { 0.0 };
    // What g' must match: 1/f' (a numeric GA) or the regularised integrand h itself.
    let (target_expr, checked) = match target {
        Target::Reciprocal => (&recip, crate::certify::CHECKED_RECIPROCAL),
        Target::Direct => (&h, crate::certify::CHECKED_REGULARISED),
    };
    let (adversarial, adversarial_derivative, closed_form, numeric, tolerance, grid, certificate) = match symbolic {
        Some(g) => {
            let c = if opts.anchor.is_some() { simp(&constant_difference(f, &g, anchor)) } else { "0".parse().unwrap() };
            let g = simp(&shifted(&g, &c));
            let dg = simp(&derivative(&g, VAR));
            let cert = certify_pieces(&g, &dg, target_expr, target, checked, breaks, true, &opts.limits, &crate::certify::Span::Horizon, crate::certify::TOL);
            (g, dg, true, None, crate::verify::REL_TOL, Vec::new(), cert)
        }
        None => {
            let mut nopts =
                crate::numeric::NumericOptions { breaks: breaks.to_vec(), frequency: frequency(&h), refine: Vec::new(), even: is_even(&h, &opts.limits) };
            // Fit, certify, and refit where the certificate found the fit
            // wanting (a feature narrower than the fit's own error check saw).
            // h as written where it is a number, else its overflow-safe form:
            // `silu(x) + 0.2*x`'s 1/f′ divides by (1 + e^-x)², inf/inf in f64
            // below x ≈ -709, so its g ended at -703.
            let (safe_nodes, safe_roots) = crate::lower::overflow_safe_forms(&[&h]);
            let h_safe = crate::build::subtree(&safe_nodes, safe_roots[0]);
            let integrand = |x: f64| Some(eval1(&h, VAR, x)).filter(|v| v.is_finite()).unwrap_or_else(|| eval1(&h_safe, VAR, x));
            let mut round = 0;
            loop {
                let n = crate::numeric::numeric_antiderivative(&integrand, VAR, anchor, fa, &nopts)
                    .map_err(|why| DeriveError::NoClosedForm { integrand: format!("{} ({why})", crate::print::to_spec(&h)), piece: None })?;
                let dg = n.derivative.clone();
                let cert = certify_numeric(&n, &dg, target_expr, target, checked, breaks);
                round += 1;
                // Only narrow failures are features a finer fit can resolve;
                // a wide one (a tail the expressions overflow on) is not.
                // Nor is one the budget left untried.
                let refine: Vec<(f64, f64)> =
                    if cert.exhausted { Vec::new() } else { cert.uncertified.iter().filter(|u| u.hi - u.lo <= 1.0).take(64).map(|u| (u.lo, u.hi)).collect() };
                if refine.is_empty() || round == REFITS {
                    // The f64 witness samples where the polynomials are (beyond, g is out of f32).
                    let r = n.range.min(64.0).floor() as i64;
                    let mut grid: Vec<f64> = (1 - r..r).map(|k| k as f64).collect();
                    grid.extend_from_slice(breaks);
                    let tol = (2.0 * n.derivative_error).max(crate::verify::REL_TOL);
                    break (n.expr.clone(), dg, false, Some(n), tol, grid, cert);
                }
                nopts.refine = refine;
            }
        }
    };
    let kernel = numeric.as_ref().and_then(|n| certified_kernel(n, target_expr, target, checked, &certificate));
    let (error_bound, numeric_range) = (numeric.as_ref().map(|n| n.error_bound), numeric.as_ref().map(|n| n.range));
    let verification = crate::verify::verify_adversarial_within(
        &recip,
        &adversarial,
        &adversarial_derivative,
        VAR,
        &grid,
        opts.anchor.map(|_| (anchor, fa)),
        tolerance,
        1e-4,
        numeric.as_ref().map_or((f64::NEG_INFINITY, f64::INFINITY), |n| if n.period.is_some() { (f64::NEG_INFINITY, f64::INFINITY) } else { (n.lo, n.hi) }),
    );
    if !verification.passed {
        return Err(DeriveError::Verification { reason: verification.failure.clone().unwrap_or_default() });
    }
    Ok(GaResult {
        input: f.clone(),
        derivative: f_prime_simplified,
        certificate,
        pieces: vec![GaPiece { interval: Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY }, adversarial: adversarial.clone() }],
        adversarial,
        adversarial_derivative,
        closed_form,
        approximate: true,
        regularization: None,
        derivative_zeros: None,
        error_bound,
        numeric_range,
        numeric: numeric.map(|n| NumericSummary {
            pieces: n.pieces,
            odd: n.odd,
            degree: n.degree,
            weight: n.weight,
            lo: n.lo,
            hi: n.hi,
            period: n.period,
            beyond: n.beyond,
        }),
        anchor: opts.anchor,
        break_points: breaks.to_vec(),
        verification,
        kernel,
        simplify: report,
    })
}

/// Certify g' (assembled, a `where` chain when piecewise) against its
/// target on each cell between consecutive `cells` boundaries (the pieces of
/// a numeric g, the break points of f): the smooth branch each cell reduces
/// to. A closed-form result is tried for exactness first.
#[allow(clippy::too_many_arguments)]
fn certify_pieces(
    g: &Expr,
    g_prime: &Expr,
    target: &Expr,
    kind: Target,
    checked: &str,
    cells: &[f64],
    closed_form: bool,
    limits: &crate::simplify::Limits,
    span: &crate::certify::Span,
    tol: f64,
) -> Certificate {
    let mut ends = vec![f64::NEG_INFINITY];
    ends.extend_from_slice(cells);
    ends.push(f64::INFINITY);
    let target_piecewise = crate::piecewise::is_piecewise(target);
    let pieces: Vec<crate::certify::Piece> = ends
        .windows(2)
        .map(|w| {
            let mid = Interval { lo: w[0], hi: w[1] }.interior_point();
            crate::certify::Piece {
                lo: w[0],
                hi: w[1],
                g_prime: specialize(g_prime, VAR, mid),
                target: if target_piecewise { specialize(target, VAR, mid) } else { target.clone() },
            }
        })
        .collect();
    let exact: Vec<bool> = pieces.iter().map(|p| closed_form && crate::certify::is_exact(&p.g_prime, &p.target, kind, limits)).collect();
    crate::certify::certify(g, g_prime, &pieces, &exact, cells, kind, checked, VAR, span, crate::certify::Budget { tol, ..Default::default() })
}

/// Fits and certificates per numeric GA: a refit only where the previous
/// certificate failed, so the rounds are cheap.
const REFITS: usize = 3;

/// A numeric g's certificate: on its polynomial range (what lies beyond is
/// out of f32, or no f32 input), piece by piece; for a periodic g on one
/// period, which proves every period.
fn certify_numeric(n: &crate::numeric::NumericAntiderivative, dg: &Expr, target: &Expr, kind: Target, checked: &str, breaks: &[f64]) -> Certificate {
    let mut cells = n.boundaries.clone();
    cells.extend(breaks.iter().copied().filter(|b| *b > n.lo && *b < n.hi));
    cells.sort_by(|a, b| a.total_cmp(b));
    cells.dedup();
    let limits = crate::simplify::Limits::default();
    match (&n.base_period, n.period) {
        (Some(base), Some(period)) => {
            certify_pieces(&n.expr, base, target, kind, checked, &cells, false, &limits, &crate::certify::Span::Periodic { period }, crate::certify::TOL)
        }
        _ => {
            let span = crate::certify::Span::Given { lo: n.lo, hi: n.hi, ends: n.beyond.clone() };
            certify_pieces(&n.expr, dg, target, kind, checked, &cells, false, &limits, &span, crate::certify::TOL)
        }
    }
}

/// The kernels' fit of a numeric g, certified as the result is (Taylor
/// models on its cells) but to [`crate::numeric::KERNEL_TOLERANCE`]: kept
/// only where that is proven on the whole range the result's certificate
/// (`certified`) covers; else the kernels evaluate the certified result.
fn certified_kernel(n: &crate::numeric::NumericAntiderivative, target: &Expr, kind: Target, checked: &str, certified: &Certificate) -> Option<KernelForm> {
    let k = n.kernel.as_ref()?;
    if certified.kind != crate::certify::Kind::Certified {
        return None;
    }
    let span = crate::certify::Span::Given { lo: n.lo, hi: n.hi, ends: n.beyond.clone() };
    let limits = crate::simplify::Limits::default();
    let cert = certify_pieces(&k.expr, &k.derivative, target, kind, checked, &k.boundaries, false, &limits, &span, crate::numeric::KERNEL_TOLERANCE);
    let whole = cert.kind == crate::certify::Kind::Certified && cert.range == certified.range;
    whole.then(|| KernelForm {
        adversarial: k.expr.clone(),
        adversarial_derivative: k.derivative.clone(),
        pieces: k.pieces,
        degree: k.degree,
        bound: cert.bound.unwrap_or(f64::NAN),
        subintervals: cert.subintervals,
    })
}

/// `Some(a)` when h is periodic with period 2π/a because every occurrence
/// of x is inside sin or cos of a·k·x + b for integers k (h is then a
/// function of sin(ax) and cos(ax) only): the exact periodicity a numeric
/// g can be continued with.
pub fn frequency(h: &Expr) -> Option<f64> {
    use crate::lang::{Func, Math};
    let nodes = h.as_ref();
    // Rates of the trig arguments, and whether each x is under one.
    let mut rates: Vec<f64> = Vec::new();
    let mut covered = vec![false; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if let Math::Call(Func::Sin | Func::Cos, a) = node {
            let arg = crate::build::subtree(h, *a);
            let d = derivative(&arg, VAR);
            if !is_constant(&d, root(&d)) {
                return None;
            }
            let rate = eval1(&d, VAR, 0.0).abs();
            if !(rate > 0.0 && rate.is_finite()) {
                continue;
            }
            rates.push(rate);
            mark_subtree(nodes, *a, &mut covered);
            covered[i] = true;
        }
    }
    let uncovered_x = nodes.iter().enumerate().any(|(i, n)| matches!(n, Math::Var(_)) && !covered[i]);
    if rates.is_empty() || uncovered_x {
        return None;
    }
    let a = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let whole = |r: f64| ((r / a) - (r / a).round()).abs() <= 1e-12 * (r / a).max(1.0);
    rates.iter().all(|r| whole(*r)).then_some(a)
}

fn mark_subtree(nodes: &[crate::lang::Math], id: egg::Id, covered: &mut [bool]) {
    use egg::Language;
    let i = usize::from(id);
    covered[i] = true;
    for &c in nodes[i].children() {
        mark_subtree(nodes, c, covered);
    }
}

/// 1/e.
fn reciprocal(e: &Expr) -> Expr {
    let mut b = Builder::new();
    let one = b.num(1.0);
    let d = b.copy(e, root(e));
    let q = b.div(one, d);
    b.finish_at(q)
}

/// Whether the kernels compute `e` without a `powf` (an exp2 of a log2 on
/// GPUs), as its lowering says: the cost model prices any power alike, but a
/// powf is slower and less accurate than the form it would replace.
fn emits_without_powf(e: &Expr) -> bool {
    let lowered = crate::lower::lower_exprs(&[e]);
    !lowered.ops.iter().zip(&lowered.live).any(|(op, live)| *live && matches!(op, crate::lower::SafeOp::Powf(..)))
}

/// The most f32 rounding a closed form's g may carry as the kernels compute
/// it, estimated to first order and relative to what rounding the input
/// costs any form ([`crate::lower::worst_f32_rounding`]), in f32 ulps of
/// max(1, |g|). Over the suite's 12 closed forms and 36 more the estimate is at
/// most 55 (`tanh(x) + sigmoid(x)`, whose g is within 1.3e-6 in f32);
/// `x + 30*asinh(x)` reads 717 (3.0e-5 measured), `asinh(x) + 0.05*x`
/// 2,810 (1.1e-4), against the kernels' 1e-5. Past the bound the numeric
/// g, a fit of g itself, is taken.
const MAX_F32_ROUNDING: f64 = 256.0;

/// The most a sum or difference in `e` may magnify its terms' relative
/// errors, (|a| + |b|)/|a ± b|, for `e` to be emitted in its place: 8 is
/// three bits of f32's 24.
const MAX_SUM_CONDITION: f64 = 8.0;

/// Whether no sum or difference in `e` cancels, at points spread over
/// [-30, 30] and out to ±1e6 (logarithmically): its f32 value then keeps
/// the relative accuracy of its terms. Sampled, as a choice between two
/// forms proven equal (not a claim foil prints); the suite's f32 check of
/// every g' (`compiler/tests/lowering.rs`) holds the result to it. isru's
/// simplified 1/f', s^2/(s - x^2/s) with s = sqrt(1 + x^2), cancels by
/// 2x^2 and is refused; bent_identity's 1/(1 + x/(2s)) by at most 3.
fn sums_well_conditioned(e: &Expr) -> bool {
    let linear = (-300..=300).map(|k| k as f64 / 10.0);
    let wide = (0..=120).flat_map(|k| {
        let m = 10f64.powf(-6.0 + k as f64 / 10.0);
        [m, -m]
    });
    let x = Symbol::from(VAR);
    let mut values = Vec::new();
    linear.chain(wide).all(|at| {
        crate::eval::eval_into(e, &|s| if s == x { at } else { f64::NAN }, &mut values);
        let value = |id: &egg::Id| values[usize::from(*id)];
        e.as_ref().iter().enumerate().all(|(i, node)| {
            let (a, b) = match node {
                Math::Add([a, b]) | Math::Sub([a, b]) => (value(a), value(b)),
                _ => return true,
            };
            let sum = values[i];
            let terms = a.abs() + b.abs();
            // Where a value is not finite both forms are out of f32 anyway.
            !(terms.is_finite() && sum.is_finite()) || terms <= MAX_SUM_CONDITION * sum.abs()
        })
    })
}

/// Is h(-x) ≡ h(x)? Proven, by the normal form or by rewriting the
/// difference to 0 (then a numeric ∫h is fitted on one side and mirrored).
fn is_even(h: &Expr, limits: &crate::simplify::Limits) -> bool {
    let mut b = Builder::new();
    let x = Symbol::from(VAR);
    let xv = b.var(VAR);
    let minus_x = b.neg(xv);
    let r = b.substitute(h, root(h), &|_, s| (s == x).then_some(minus_x));
    let reflected = b.finish_at(r);
    crate::certify::is_exact(&reflected, h, Target::Direct, limits)
}

/// The constant `a(at) - g(at)` (with `a` = `target`), as an expression.
fn constant_difference(target: &Expr, g: &Expr, at: f64) -> Expr {
    let mut b = Builder::new();
    let x = Symbol::from(VAR);
    let at_id = b.num(at);
    let t = b.substitute(target, root(target), &|_, s| (s == x).then_some(at_id));
    let gv = b.substitute(g, root(g), &|_, s| (s == x).then_some(at_id));
    let d = b.sub(t, gv);
    b.finish_at(d)
}

/// Is f' ≡ 0 on the piece (f constant there)? The builder folds the usual
/// cases (`d/dx 0`) to the literal 0; otherwise f' must vanish at every probe.
fn is_flat(df: &Expr, iv: &Interval) -> bool {
    if is_constant(df, root(df)) {
        return eval1(df, VAR, 0.0) == 0.0;
    }
    let c = iv.interior_point();
    let width = if iv.lo.is_finite() && iv.hi.is_finite() { 0.45 * (iv.hi - iv.lo) } else { 8.0 };
    (0..16).all(|k| eval1(df, VAR, c + width * (k as f64 / 7.5 - 1.0)) == 0.0)
}

/// Whether `z`, a zero of f′ found by the scan, is a break point where f′
/// neither vanishes nor changes sign: each adjacent piece's own derivative
/// is nonzero there, with one sign. The scan reads f′ at the break itself,
/// where `sign(0) = 0` or a `where` decides its value: symlog,
/// `sign(x)*log(1 + abs(x))`, has f′ = sign(x)²/(1 + |x|), 0 at 0, though
/// it is 1 on both sides (it was refused: "f′ vanishes at x ≈ 0"). Where a
/// side's derivative is 0 (`x + exp(-abs(x))` from the right) or the signs
/// differ, the zero stands.
fn monotone_through_break(z: f64, breaks: &[f64], pieces: &[Interval], smooth: &[Expr]) -> bool {
    let Some(&b) = breaks.iter().find(|&&b| (b - z).abs() <= 1e-7 * b.abs().max(1.0)) else { return false };
    let side = |i: Option<usize>| i.map(|i| eval1(&smooth[i], VAR, b));
    match (side(pieces.iter().position(|p| p.hi == b)), side(pieces.iter().position(|p| p.lo == b))) {
        (Some(l), Some(r)) => l.is_finite() && r.is_finite() && l != 0.0 && r != 0.0 && l.signum() == r.signum(),
        _ => false,
    }
}

/// `g + c`.
fn shifted(g: &Expr, c: &Expr) -> Expr {
    let mut b = Builder::new();
    let gi = b.copy(g, root(g));
    let ci = b.copy(c, root(c));
    let s = b.add_(gi, ci);
    b.finish_at(s)
}

/// `where(x < b1, g0, where(x < b2, g1, … gk))`.
pub fn assemble_pieces(pieces: &[GaPiece]) -> Expr {
    let mut b = Builder::new();
    let last = pieces.last().expect("at least one piece");
    let mut acc = b.copy(&last.adversarial, root(&last.adversarial));
    for p in pieces.iter().rev().skip(1) {
        let g = b.copy(&p.adversarial, root(&p.adversarial));
        let x = b.var(VAR);
        let hi = b.num(p.interval.hi);
        let c = b.add(Math::Compare(Cmp::Lt, [x, hi]));
        acc = b.add(Math::Where([c, g, acc]));
    }
    b.finish_at(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Poles and domain edges between the domain scan's grid points, or
    /// beyond it, are refused where they are; arguments that reach 0 in a
    /// branch `where` leaves unused, or without harm, are not.
    #[test]
    fn poles_and_domain_edges_off_the_grid_are_refused_where_they_are() {
        let refused = |src: &str| match check_domain(&crate::parse::parse(src).unwrap(), VAR) {
            Err(DeriveError::Domain { interval, .. }) => Some((interval.lo, interval.hi)),
            Err(e) => panic!("{src}: {e}"),
            Ok(()) => None,
        };
        let ln2 = std::f64::consts::LN_2;
        for (src, lo, hi) in [
            ("x - 1/(x - 0.3)", 0.3, 0.3),
            ("x + 1/(x - 0.3)^2", 0.3, 0.3),
            ("x + (x - 0.3)^(-3)", 0.3, 0.3),
            ("exp(x)/(exp(x) - 2)", ln2, ln2),
            ("x - 1/(x - 100)", 100.0, 100.0),
            ("x + log(abs(x - 0.7))", 0.7, 0.7),
            ("x + min(1/(x - 0.3), 1)", 0.3, 0.3),
            ("x + sqrt(x + 100)", f64::NEG_INFINITY, -100.0),
            ("x + (x - 0.3)^0.5", f64::NEG_INFINITY, 0.3),
        ] {
            let (l, h) = refused(src).unwrap_or_else(|| panic!("{src} is accepted"));
            let near = |a: f64, b: f64| a == b || (a - b).abs() < 1e-9;
            assert!(near(l, lo) && near(h, hi), "{src}: refused on [{l}, {h}], not [{lo}, {hi}]");
        }
        for src in
            ["tanh(x)", "where(x > 1, 1/x, x)", "sqrt(1 + x^2) + x", "abs(x)^0.5 + x", "x + sqrt(x^2)", "x/(1 + exp(-x))", "200000/204000000800002^-x - x^2"]
        {
            assert_eq!(refused(src), None, "{src}");
        }
    }

    /// A non-finite anchor is an invalid option, not a panic.
    #[test]
    fn a_non_finite_anchor_is_an_invalid_option() {
        let f = crate::parse::parse("tanh(x)").unwrap();
        for a in [f64::NAN, f64::INFINITY] {
            let r = derive_global_adversarial(&f, &GaOptions { anchor: Some(a), ..GaOptions::default() });
            assert!(matches!(r, Err(DeriveError::InvalidOption(_))), "anchor {a}");
        }
    }

    /// tanh's g anchored at a is x/2 + sinh(2x)/4 + C with |C| ≈ e^(2a)/8:
    /// at 10 (C ≈ -1.2e8) it derives, and meets f at 10 to f64's rounding
    /// of that sum; at 15 (C ≈ -2.7e12, rounding ±3e-4) f64 cannot hold
    /// g(15) = f(15), an invalid option naming the anchor (exit 1 before:
    /// the finite difference of g near 0 drowned in C's rounding).
    #[test]
    fn an_anchor_far_out_derives_while_f64_holds_g_there() {
        let f = crate::parse::parse("tanh(x)").unwrap();
        for a in [-10.0, 10.0, 11.0] {
            let g = derive_global_adversarial(&f, &GaOptions { anchor: Some(a), ..GaOptions::default() }).unwrap_or_else(|e| panic!("anchor {a}: {e}"));
            assert_eq!(g.certificate.kind, crate::certify::Kind::Exact, "anchor {a}");
            // The printed constant, checked in exact terms: g(a) - f(a) =
            // g₀(a) + C - tanh(a) with g₀(a) = a/2 + sinh(2a)/4, to the
            // rounding of these f64 values.
            let c = crate::verify::without_additive_constants(&g.adversarial);
            let constant = eval1(&g.adversarial, VAR, 0.0) - eval1(&c, VAR, 0.0);
            let g0 = a / 2.0 + (2.0 * a).sinh() / 4.0;
            assert!((g0 + constant - a.tanh()).abs() <= 4.0 * f64::EPSILON * g0.abs(), "anchor {a}: C = {constant}");
        }
        for a in [15.0, -20.0] {
            match derive_global_adversarial(&f, &GaOptions { anchor: Some(a), ..GaOptions::default() }) {
                Err(DeriveError::InvalidOption(m)) => assert!(m.contains(&format!("anchor x = {a}")) && m.contains("nearer 0"), "{m}"),
                other => panic!("anchor {a}: {other:?}"),
            }
        }
    }

    /// x + c·tanh(x) has g = x - s·atanh(s·tanh(x)), s = √(c/(1 + c)):
    /// with t = tanh(x), 1/f' = 1 - c/(cosh²x + c) and dx = dt/(1 - t²), so
    /// the second term integrates to c/(1 + c - c·t²). foil's closed form (a
    /// difference of logarithms of e^2x + r) matches it, certified on the
    /// whole line. For c ≠ 1 it was numeric, 140 pieces: the kernels' form
    /// of its g′ was NaN past x ≈ 354 in f64, so the certificate failed there.
    #[test]
    fn a_line_plus_a_scaled_tanh_has_a_closed_form_certified_everywhere() {
        for c in [0.1f64, 0.5, 2.0, 3.0] {
            let src = format!("x + {c}*tanh(x)");
            let ga = derive_global_adversarial(&crate::parse::parse(&src).unwrap(), &GaOptions::default()).unwrap();
            assert!(ga.closed_form, "{src}: {}", crate::print::to_spec(&ga.adversarial));
            let range = ga.certificate.range.unwrap_or_else(|| panic!("{src}: {}", ga.certificate.describe()));
            assert_eq!((range.lo, range.hi), (f64::NEG_INFINITY, f64::INFINITY), "{src}: {}", ga.certificate.describe());
            let s = (c / (1.0 + c)).sqrt();
            for x in [-30.0, -3.0, -0.5, 0.0, 0.25, 1.0, 4.0, 30.0] {
                let want = x - s * (s * f64::tanh(x)).atanh();
                let got = eval1(&ga.adversarial, VAR, x);
                assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{src}: g({x}) = {got}, not {want}");
            }
        }
    }

    /// x + c·asinh(x) has g = x - c·asinh(x) + c²·∫dθ/(cosh θ + c) with
    /// x = sinh θ, and with v = tanh(θ/2) = x/(1 + √(1 + x²)) the last is
    /// ∫2dv/((1 + c) + (1 - c)v²): 2c²/√(1 - c²)·atan(v·√((1 - c)/(1 + c)))
    /// for c < 1, 2c²/√(c² - 1)·atanh(v·√((c - 1)/(c + 1))) for c > 1, c²·v
    /// for c = 1. foil's closed forms match these on the whole line. They
    /// were numeric (140 pieces): the conjugate splits 1/f′ = s/(s + c) into
    /// parts with poles at x² = c² - 1 (c ≥ 1), or leaves an even part of the
    /// root's coefficient that undetermined coefficients cannot take.
    /// `x + c*isru(x)` and `isru(x) + 0.1*x` come out closed too, certified.
    #[test]
    fn a_line_plus_a_scaled_asinh_or_isru_has_a_closed_form() {
        for c in [0.1f64, 0.5, 1.0, 2.0, 10.0] {
            let src = format!("x + {c}*asinh(x)");
            let ga = derive_global_adversarial(&crate::parse::parse(&src).unwrap(), &GaOptions::default()).unwrap();
            assert!(ga.closed_form, "{src}: {}", crate::print::to_spec(&ga.adversarial));
            let range = ga.certificate.range.unwrap_or_else(|| panic!("{src}: {}", ga.certificate.describe()));
            assert!(range.lo <= -(f32::MAX as f64) / 16.0 && range.hi >= f32::MAX as f64 / 16.0, "{src}: {}", ga.certificate.describe());
            let rest = |v: f64| match c {
                _ if c < 1.0 => 2.0 * c * c / (1.0 - c * c).sqrt() * (v * ((1.0 - c) / (1.0 + c)).sqrt()).atan(),
                _ if c > 1.0 => 2.0 * c * c / (c * c - 1.0).sqrt() * (v * ((c - 1.0) / (c + 1.0)).sqrt()).atanh(),
                _ => v,
            };
            for x in [-1e6, -30.0, -3.0, -0.5, 0.0, 0.25, 1.0, 4.0, 30.0, 1e6] {
                let want = x - c * f64::asinh(x) + rest(x / (1.0 + (1.0 + x * x).sqrt()));
                let got = eval1(&ga.adversarial, VAR, x);
                assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{src}: g({x}) = {got}, not {want}");
            }
        }
        for src in ["x + 0.5*isru(x)", "x + 2*isru(x)", "isru(x) + 0.1*x"] {
            let ga = derive_global_adversarial(&crate::parse::parse(src).unwrap(), &GaOptions::default()).unwrap();
            assert!(ga.closed_form && ga.certificate.range.is_some(), "{src}: {}", ga.certificate.describe());
        }
    }

    /// A closed form is given up for the numeric g where it would serve f32
    /// kernels or f64 worse: where its terms cancel for long
    /// (`asinh(x) + 0.05*x`: 20·x against -400·asinh(x), 1.1e-4 in f32;
    /// `x + 30*asinh(x)`), and where its f64 values miss 1/f′ by more than
    /// the verification's 1e-9 (`asinh(x) + 0.01*x`, 7.4e-9 at 0, which was
    /// an error, exit 1). Each is then numeric and certified; `asinh(x) +
    /// 0.1*x` keeps its closed form.
    #[test]
    fn closed_forms_that_cancel_give_way_to_the_numeric_g() {
        let ga = |src: &str| derive_global_adversarial(&crate::parse::parse(src).unwrap(), &GaOptions::default()).unwrap();
        for src in ["asinh(x) + 0.05*x", "x + 30*asinh(x)", "asinh(x) + 0.01*x"] {
            let g = ga(src);
            assert!(!g.closed_form && g.certificate.kind == crate::certify::Kind::Certified, "{src}: {}", g.certificate.describe());
        }
        assert!(ga("asinh(x) + 0.1*x").closed_form);
    }

    /// silu(x) + 0.2·x's 1/f′ divides by (1 + e^-x)², inf/inf in f64 below
    /// x ≈ -709: its numeric g ended at -703 and the certificate there
    /// ("SAMPLED ONLY"). The integrand is read in its overflow-safe form
    /// where it is not a number as written, and the certificate's break
    /// points (the pieces' ends) likewise: certified to where g leaves f32
    /// on the left (g′ → 5), and to f32::MAX on the right.
    #[test]
    fn a_numeric_g_follows_an_integrand_that_overflows_as_written() {
        for src in ["silu(x) + 0.2*x", "x*sigmoid(x) + 0.2*x"] {
            let ga = derive_global_adversarial(&crate::parse::parse(src).unwrap(), &GaOptions::default()).unwrap();
            assert_eq!(ga.certificate.kind, crate::certify::Kind::Certified, "{src}: {}", ga.certificate.describe());
            let range = ga.certificate.range.unwrap();
            assert!(range.lo <= -(f32::MAX as f64) / 5.0 && range.hi >= f32::MAX as f64, "{src}: {}", ga.certificate.describe());
            for x in [-1e30, -1e6, -800.0] {
                let (got, want) = (eval1(&ga.adversarial_derivative, VAR, x), 5.0);
                assert!((got - want).abs() <= 1e-9 * want, "{src}: g'({x}) = {got}");
            }
        }
    }

    /// A zero of f′ read at a break point, where `sign(0) = 0` or a `where`
    /// sets f′'s value, is a zero only where a side's own derivative
    /// vanishes there or the two sides' signs differ. symlog's f′ =
    /// sign(x)²/(1 + |x|) is 0 at 0 but 1 on both sides: its g = x ± x²/2
    /// is exact, and proven at the break against those one-sided limits.
    #[test]
    fn a_zero_of_f_prime_at_a_break_point_is_judged_by_its_sides() {
        let ga = |src: &str| derive_global_adversarial(&crate::parse::parse(src).unwrap(), &GaOptions::default());
        let symlog = ga("sign(x)*log(1 + abs(x))").unwrap();
        assert_eq!(symlog.certificate.kind, crate::certify::Kind::Exact, "{}", symlog.certificate.describe());
        for x in [-3.0, -0.5, 0.0, 0.5, 3.0] {
            assert_eq!(eval1(&symlog.adversarial, VAR, x), x + x * f64::abs(x) / 2.0, "g({x})");
        }
        let leaky = ga("sign(x)*log(1 + abs(x)) + 0.1*x").unwrap();
        assert_eq!(leaky.certificate.kind, crate::certify::Kind::Certified, "{}", leaky.certificate.describe());
        // From the right f′ → 0 at 0; a sign change there; f′ = 3x² from the right.
        for src in ["x + exp(-abs(x))", "x - 2*relu(x)", "where(x < 0, x, x^3)"] {
            match ga(src) {
                Err(DeriveError::DerivativeZeros { zeros, .. }) => assert!(zeros.zeros.iter().any(|z| z.abs() < 1e-6), "{src}: {:?}", zeros.zeros),
                other => panic!("{src}: {:?}", other.map(|g| crate::print::to_spec(&g.adversarial))),
            }
        }
    }

    /// A signed square root, sign(x)·√|x|: 1/f′ = 2·√|x| on each side, so
    /// g = (4/3)·x·√|x|; with x added, 1/f′ = 2t/(2t + 1) with t = √|x|,
    /// dx = 2t·dt, so g = x - t + log(1 + 2t)/2 for x ≥ 0, odd. Exact on
    /// both pieces (√(-x) squares to -x in the normal form). At x = 0, where
    /// f′ is infinite, the first is exact too (1/f′ → each side's g′(0) = 0);
    /// the second's sides, 1/(1 + 1/(2√|x|)), have no value at 0 as written,
    /// so the point is left unproven, as is the cusp of √|x| (f′(0) does not
    /// exist).
    #[test]
    fn signed_square_roots_have_closed_forms_exact_on_each_side() {
        let plus_x = |x: f64| {
            let t = x.abs().sqrt();
            x.signum() * (x.abs() - t + (1.0 + 2.0 * t).ln() / 2.0)
        };
        let cases: [(&str, &dyn Fn(f64) -> f64); 2] =
            [("sign(x)*sqrt(abs(x))", &|x: f64| 4.0 / 3.0 * x * x.abs().sqrt()), ("x + sign(x)*sqrt(abs(x))", &plus_x)];
        for (src, want) in cases {
            let ga = derive_global_adversarial(&crate::parse::parse(src).unwrap(), &GaOptions::default()).unwrap();
            assert!(ga.closed_form, "{src}");
            assert_eq!(ga.certificate.exact_pieces, 2, "{src}: {}", ga.certificate.describe());
            let whole = src == "sign(x)*sqrt(abs(x))";
            assert_eq!(ga.certificate.kind == crate::certify::Kind::Exact, whole, "{src}: {}", ga.certificate.describe());
            for x in [-9.0f64, -1.0, -0.25, -0.01, 0.0, 0.01, 0.25, 1.0, 9.0] {
                let (got, want) = (eval1(&ga.adversarial, VAR, x), want(x));
                assert!((got - want).abs() <= 1e-14 * want.abs().max(1.0), "{src}: g({x}) = {got}, not {want}");
            }
        }
        // A cusp: f′ is -∞ on the left of 0 and +∞ on the right, so f′(0)
        // does not exist and the point is not claimed, though both pieces
        // are exact and their g′ meet at 0.
        let cusp = derive_global_adversarial(&crate::parse::parse("sqrt(abs(x))").unwrap(), &GaOptions::default()).unwrap();
        assert_eq!(cusp.certificate.exact_pieces, 2, "{}", cusp.certificate.describe());
        assert!(cusp.certificate.describe().contains("could not be proven at x = 0"), "{}", cusp.certificate.describe());
    }

    #[test]
    fn evenness_is_proven_not_sampled() {
        let even = |e: Expr| is_even(&e, &Limits::default());
        let spec = |src: &str| crate::parse::parse(src).unwrap();
        // gelu_tanh's SA term: 1/t' with t = tanh(k(x + c x³)).
        assert!(even(spec("cosh(0.7978845608*(x + 0.044715*x^3))^2/(0.7978845608*(1 + 0.134145*x^2))")));
        assert!(even(spec("1/(1 + x^2)")));
        assert!(!even(spec("1/(1 + (x - 0.25)^2)")));
        assert!(!even(spec("exp(x)")));
        // A dip on one side only, narrower than any sampling grid.
        assert!(!even(spec("1/(1 + 20*exp(-(10000*(x - 0.3137))^2))")));
        assert!(even("(/ 1 (+ 1 (* x x)))".parse().unwrap()));
    }

    /// gelu_tanh's SA term as a GA of its own: the kernels get a fit of 2
    /// pieces, proven to 1e-7, which agrees with the certified g; a closed
    /// form gets none.
    #[test]
    fn a_weighted_numeric_g_gets_a_certified_kernel_fit() {
        let spec = |src: &str| crate::parse::parse(src).unwrap();
        let ga = derive_global_adversarial(&spec("tanh(sqrt(2/pi)*(x + 0.044715*x^3))"), &GaOptions::default()).unwrap();
        let k = ga.kernel.as_ref().expect("a kernel fit");
        assert_eq!((ga.numeric.as_ref().unwrap().pieces, k.pieces), (4, 2));
        assert!(k.bound <= crate::numeric::KERNEL_TOLERANCE && k.subintervals > 0, "{k:?}");
        let (g, dg) = ga.kernel_pair();
        let hi = ga.numeric.as_ref().unwrap().hi;
        for i in -400..=400 {
            let x = hi * i as f64 / 400.0;
            let (want, got) = (eval1(&ga.adversarial, VAR, x), eval1(g, VAR, x));
            // |g_k - g| ≤ 1e-7·∫max(1, 1/f') + the certified fit's own 1e-9-scale error.
            assert!((got - want).abs() <= 1.01e-7 * want.abs() + 1e-14, "g at {x}: {got} against {want}");
            let (dw, dk) = (eval1(&ga.adversarial_derivative, VAR, x), eval1(dg, VAR, x));
            assert!((dk - dw).abs() <= 1.01e-7 * dw.abs(), "g' at {x}: {dk} against {dw}");
        }
        let closed = derive_global_adversarial(&spec("tanh(x)"), &GaOptions::default()).unwrap();
        assert!(closed.kernel.is_none());
        assert_eq!(closed.kernel_pair().0, &closed.adversarial);
    }

    /// A kernel fit whose certificate fails is not used: the kernels then
    /// evaluate the certified result.
    #[test]
    fn a_kernel_fit_that_does_not_certify_is_dropped() {
        let spec = |src: &str| crate::parse::parse(src).unwrap();
        // f' (the reciprocal target: g' is checked against 1/f') and h = 1/f', as the derivation forms them.
        let target = derivative(&spec("tanh(sqrt(2/pi)*(x + 0.044715*x^3))"), VAR);
        let h = reciprocal(&target);
        let opts = crate::numeric::NumericOptions { even: true, ..Default::default() };
        let mut n = crate::numeric::numeric_antiderivative(&|x| eval1(&h, VAR, x), VAR, 0.0, 0.0, &opts).unwrap();
        let certified = certify_numeric(&n, &n.derivative.clone(), &target, Target::Reciprocal, crate::certify::CHECKED_RECIPROCAL, &[]);
        assert_eq!(certified.kind, crate::certify::Kind::Certified);
        let kept = certified_kernel(&n, &target, Target::Reciprocal, crate::certify::CHECKED_RECIPROCAL, &certified);
        assert!(kept.is_some_and(|k| k.pieces == 2));
        // g_k' off by 1e-6 relative: beyond the kernel tolerance.
        let k = n.kernel.as_mut().unwrap();
        let mut b = crate::build::Builder::new();
        let d = b.copy(&k.derivative, root(&k.derivative));
        let scale = b.num(1.0 + 1e-6);
        let off = b.mul(scale, d);
        k.derivative = b.finish_at(off);
        assert!(certified_kernel(&n, &target, Target::Reciprocal, crate::certify::CHECKED_RECIPROCAL, &certified).is_none());
    }
}
