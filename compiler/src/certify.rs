//! SPEC §5 certificates: a derived g′ is **exact** when g′·f′ − 1 rewrites
//! to 0, else **certified** when |g′ − 1/f′| ≤ 1e-9·max(1, |1/f′|) is proven
//! on every point of a range by outward-rounded interval arithmetic
//! ([`crate::interval`]), else only **sampled** ([`crate::verify`]).
//!
//! **What is bounded.** With h = g′·f′ − 1, the SPEC error is
//! |g′ − 1/f′| / max(1, |1/f′|) = |h| / max(1, |f′|), so a bound on |h|
//! (divided by the least max(1, |f′|) on the subinterval) bounds it. h
//! cancels (g′ and 1/f′ agree to 15 digits), which plain interval evaluation
//! cannot see through; its Taylor model can ([`crate::taylor`]): on each
//! subinterval X with centre c, h(X) ⊆ Σ_{k<N} h_k(c)(X − c)^k +
//! H_N(X)(X − c)^N. The cover starts from unit cells near 0 and octaves
//! [2^k, 2^(k+1)] beyond 4, and bisects a cell until its bound is ≤ 1e-9 or
//! it is too small to split (then the cell is reported as uncertified).
//! Where g′ and 1/f′ tend to one limit (0 where f′ → ∞, 1 for `x − c·k^-x`),
//! enclosures G ∋ g′ and R ∋ 1/f′ from plain interval evaluation bound the
//! error on a whole tail [A, ∞) by sup|G − R|: there the certificate covers
//! the whole line on that side. They are taken of the expressions'
//! overflow-safe forms ([`crate::lower::overflow_safe_forms`]), reduced to
//! the tail's branch ([`crate::piecewise::specialize_on`]).
//!
//! **The range.** The f32 kernels are fed x up to where |g| or |g′| leaves
//! f32 (beyond, they return ±inf for a value that is indeed out of f32) and
//! never beyond ±f32::MAX; that is the range to cover, per side
//! ([`horizons`]). A tail proven to infinity extends it to the whole line.
//!
//! **Piecewise results** are certified piece by piece (the smooth
//! expression each piece reduces to, on the closed piece), and at each break
//! point itself with the assembled expressions (one-sided values there).
//! Break points of f are located numerically (to 1e-13; [`crate::piecewise`]).

use crate::interval::{eval_nodes, I};
use crate::lang::{Expr, Math};
use crate::piecewise::Interval;
use crate::taylor::eval_series;
use egg::Language;
use egg::{Id, Symbol};
use serde::Serialize;

/// The bound every certified subinterval must reach (SPEC §5).
pub const TOL: f64 = crate::verify::REL_TOL;
/// The largest f32, as f64: the kernels' horizon.
pub const F32_MAX: f64 = f32::MAX as f64;
/// The least magnitude that rounds to ±inf in f32 (f32::MAX plus half its
/// ulp, 2^128 - 2^103): a value below it is in f32. [`horizons`] asks this
/// rather than `<= F32_MAX`, since an f64 evaluation of g(f32::MAX) = f32::MAX
/// - 3.5 (`x - 2 - 8^-x`'s g) rounds above f32::MAX, where f32 does not.
const F32_ROUNDS_TO_INFINITY: f64 = 3.4028235677973366e38;
/// What a plain GA's certificate bounds (SPEC §5).
pub const CHECKED_RECIPROCAL: &str = "|g' - 1/f'| / max(1, |1/f'|)";
/// What a regularised GA's certificate bounds: g' against its own target.
pub const CHECKED_REGULARISED: &str = "|g' - f'/(f'^2 + eps^2)| / max(1, |f'/(f'^2 + eps^2)|)";

/// Taylor order of the models.
pub const ORDER: usize = 16;

/// How a result was verified (SPEC §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The identity holds symbolically.
    Exact,
    /// Proven by interval arithmetic on the stated range.
    Certified,
    /// Only checked at sample points (last resort).
    Sampled,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Certified => "certified",
            Kind::Sampled => "sampled",
        }
    }
}

/// What g′ is meant to equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// g′ = 1/q (q = f′): the bound is on |g′ − 1/q| / max(1, |1/q|).
    Reciprocal,
    /// g′ = r (the regularised 1/f′): on |g′ − r| / max(1, |r|).
    Direct,
}

/// One smooth piece to certify: on [lo, hi], g′ against `target`.
#[derive(Clone, Debug)]
pub struct Piece {
    pub lo: f64,
    pub hi: f64,
    pub g_prime: Expr,
    pub target: Expr,
}

/// The certificate of one derived g′.
#[derive(Clone, Debug, Serialize)]
pub struct Certificate {
    pub kind: Kind,
    /// The quantity bounded, in words.
    pub checked: String,
    /// Where the bound is proven (infinite ends: up to ±∞); `None` when nowhere.
    pub range: Option<Interval>,
    /// Where it had to be proven: up to where |g| or |g′| leaves f32.
    pub required: Interval,
    /// The proven bound on the checked quantity over `range` (0 for exact).
    pub bound: Option<f64>,
    /// Subintervals of the cover.
    pub subintervals: usize,
    /// Pieces proven exact by rewriting.
    pub exact_pieces: usize,
    /// Where the 1e-9 bound could not be proven.
    pub uncertified: Vec<Interval>,
    /// Why the range ends where it does, per side (low, high).
    pub ends: (String, String),
    /// Break points where f' jumps: f' does not exist there, so they are
    /// not part of the claim.
    pub excluded: Vec<f64>,
    /// The cover stopped at its [`Budget::work`]: some of `uncertified`
    /// was never tried, so a finer fit would not prove it either. In the
    /// JSON only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exhausted: bool,
}

impl Certificate {
    /// One line for people: what is proven where.
    pub fn describe(&self) -> String {
        let text = self.describe_claim();
        if self.excluded.is_empty() {
            return text;
        }
        let at: Vec<String> = self.excluded.iter().map(|b| crate::zeros::fmt9(*b)).collect();
        format!("{text} except at x = {}, where f' jumps (it has no value there)", at.join(", "))
    }

    fn describe_claim(&self) -> String {
        let range = self.range.map(|r| describe_range(&r)).unwrap_or_else(|| "nowhere".into());
        match self.kind {
            Kind::Exact => {
                let (identity, meaning) =
                    if self.checked == CHECKED_REGULARISED { ("g' - f'/(f'^2 + eps^2)", "g' = f'/(f'^2 + eps^2)") } else { ("g'·f' - 1", "g' = 1/f'") };
                format!("exact: {identity} = 0 identically ({}), so {meaning} for all x", self.checked_short())
            }
            Kind::Certified => {
                let r = self.range.unwrap_or(self.required);
                let ends: Vec<&str> = [(r.lo.is_finite(), &self.ends.0), (r.hi.is_finite(), &self.ends.1)]
                    .into_iter()
                    .filter(|(finite, _)| *finite)
                    .map(|(_, why)| why.as_str())
                    .collect();
                let beyond = match ends[..] {
                    [] => String::new(),
                    [a] => format!("; beyond: {a}"),
                    [a, b] if a == b => format!("; beyond: {a}"),
                    [a, b] => format!("; below: {a}; above: {b}"),
                    _ => unreachable!(),
                };
                format!(
                    "certified: {} <= {:.1e} on {range} (interval arithmetic, {} subintervals){beyond}",
                    self.checked,
                    self.bound.unwrap_or(f64::NAN),
                    self.subintervals
                )
            }
            Kind::Sampled => {
                // A point (a break whose check failed) is said as one, not as [a, a].
                let missing: Vec<String> = self
                    .uncertified
                    .iter()
                    .take(4)
                    .map(|u| if u.lo == u.hi { format!("at x = {}", describe_end(u.lo)) } else { format!("on {}", describe_range(u)) })
                    .collect();
                let more = if self.uncertified.len() > 4 { format!(" and {} more", self.uncertified.len() - 4) } else { String::new() };
                format!(
                    "SAMPLED ONLY: the 1e-9 bound on {} could not be proven {}{more}{}{}",
                    self.checked,
                    missing.join(", "),
                    if self.exhausted { " (its work budget ran out before every cell there was tried)" } else { "" },
                    match self.range {
                        Some(r) => format!("; it is proven on {} (bound {:.1e})", describe_range(&r), self.bound.unwrap_or(f64::NAN)),
                        None => String::new(),
                    }
                )
            }
        }
    }

    fn checked_short(&self) -> String {
        if self.exact_pieces > 1 {
            format!("proven symbolically on each of its {} pieces", self.exact_pieces)
        } else {
            "proven symbolically".into()
        }
    }
}

/// `[-4.5, 8]`, `(-inf, 3]`, `all x`.
pub fn describe_range(r: &Interval) -> String {
    match (r.lo.is_finite(), r.hi.is_finite()) {
        (false, false) => "all x".into(),
        (false, true) => format!("(-inf, {}]", describe_end(r.hi)),
        (true, false) => format!("[{}, inf)", describe_end(r.lo)),
        (true, true) => format!("[{}, {}]", describe_end(r.lo), describe_end(r.hi)),
    }
}

/// One end of a range as [`describe_range`] writes it: 5 significant
/// digits, 4 from 1e6 on.
fn describe_end(v: f64) -> String {
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if v.abs() >= 1e6 {
        return format!("{v:.3e}");
    }
    format!("{v:.4e}").replace("e0", "").parse::<f64>().map(crate::zeros::fmt9).unwrap_or_else(|_| format!("{v:.4e}"))
}

/// `g′·q − 1` (reciprocal) or `g′ − r` (direct), with the ids of g′ and of
/// the target inside it. The two are laid side by side as they are (no
/// folding), so that both ids stay valid in the result.
fn residual(g_prime: &Expr, target: &Expr, kind: Target) -> (Expr, Id, Id) {
    let mut nodes: Vec<Math> = g_prime.as_ref().to_vec();
    let shift = nodes.len();
    nodes.extend(target.as_ref().iter().map(|n| n.clone().map_children(|c| Id::from(usize::from(c) + shift))));
    let (g, t) = (Id::from(shift - 1), Id::from(nodes.len() - 1));
    match kind {
        Target::Reciprocal => {
            nodes.push(Math::Mul([g, t]));
            nodes.push(crate::lang::num(1.0));
            let n = nodes.len();
            nodes.push(Math::Sub([Id::from(n - 2), Id::from(n - 1)]));
        }
        Target::Direct => nodes.push(Math::Sub([g, t])),
    }
    (Expr::from(nodes), g, t)
}

/// Is g′·q − 1 (or g′ − r) identically 0? Proven by its exact normal form
/// ([`crate::canon`]), else by rewriting it to 0 in the e-graph.
pub fn is_exact(g_prime: &Expr, target: &Expr, kind: Target, limits: &crate::simplify::Limits) -> bool {
    is_exact_by_normal_form(g_prime, target, kind) || crate::simplify::rewrites_to_zero(&residual(g_prime, target, kind).0, limits)
}

/// [`is_exact`] by the normal form alone (cheap: no e-graph).
pub fn is_exact_by_normal_form(g_prime: &Expr, target: &Expr, kind: Target) -> bool {
    crate::canon::is_zero(&residual(g_prime, target, kind).0)
}

/// The residual of one piece, ready to evaluate.
struct Model {
    h: Expr,
    /// g′ and the target in their overflow-safe forms
    /// ([`crate::lower::overflow_safe_forms`]) with their roots, built when
    /// [`Model::plain_bound`] first needs them.
    safe: std::cell::OnceCell<(Expr, [Id; 2])>,
    /// The piece's g′ and target, for `safe`.
    g_prime: Expr,
    target: Expr,
    /// What a cell costs ([`crate::taylor::series_products`] of `h`).
    products: usize,
    t: Id,
    kind: Target,
    var: Symbol,
    /// The bound to prove ([`Budget::tol`]).
    tol: f64,
}

impl Model {
    fn new(p: &Piece, kind: Target, var: &str, tol: f64) -> Model {
        let (h, _, t) = residual(&p.g_prime, &p.target, kind);
        let products = crate::taylor::series_products(&h);
        let (g_prime, target) = (p.g_prime.clone(), p.target.clone());
        Model { h, safe: std::cell::OnceCell::new(), g_prime, target, products, t, kind, var: Symbol::from(var), tol }
    }

    /// The SPEC scale's denominator, max(1, least |target| on X) for the
    /// reciprocal form, max(1, least |r|) for the direct one.
    fn scale(&self, t: &I) -> f64 {
        t.mig().max(1.0)
    }

    /// The bound from the Taylor model on the finite cell [lo, hi], with
    /// the error bound at its centre (no bound on the cell can be below it);
    /// `Err` when the 1e-9 bound is provably broken at the centre, or the
    /// centre cannot be evaluated: no Taylor model of a smaller cell will
    /// do better there.
    fn taylor_bound(&self, lo: f64, hi: f64) -> Result<(Option<f64>, f64), NoModel> {
        let (c, step) = (lo + 0.5 * (hi - lo), cell_step(lo, hi));
        // Not even a point of the cell evaluates (f64 overflow, 0/0 in this
        // form of the expressions): no split will.
        let Some(pt) = eval_series(&self.h, self.var, I::point(c), step, ORDER) else { return Err(NoModel::Unevaluable) };
        let (hp, tc) = (pt.last().unwrap(), pt[usize::from(self.t)][0]);
        if !hp[0].is_valid() || !hp[0].mag().is_finite() {
            return Err(NoModel::Unevaluable);
        }
        if hp[0].mig() > self.tol * self.scale(&tc).next_up() * 1.0000001 {
            return Err(NoModel::Counterexample);
        }
        // The centre's own enclosure too wide to meet the bound (evaluation
        // near overflow): smaller cells have such centres too.
        let at_centre = bound_of(&hp[0], self.scale(&tc)).filter(|v| *v <= self.tol).ok_or(NoModel::Unevaluable)?;
        let Some(over) = eval_series(&self.h, self.var, I::new(lo, hi), step, ORDER) else { return Ok((None, at_centre)) };
        let enc = model_enclosure(hp, over.last().unwrap(), lo, hi, step);
        let t0 = over[usize::from(self.t)][0];
        Ok((bound_of(&enc, self.scale(&t0)), at_centre))
    }

    /// The SPEC error's bound on the cell from plain interval evaluation:
    /// with G ∋ g′(x) and R ∋ r(x) (r = 1/q, or the direct target) for
    /// every x of the cell, |g′ − r| / max(1, |r|) ≤ sup|G − R| / max(1,
    /// inf|R|). Valid on any cell, infinite ones included, and small where
    /// g′ and r tend to the same value (0 where f′ → ∞, 1 for x − c·k^-x).
    /// Evaluated on the overflow-safe forms, whose enclosures stay tight
    /// where the expressions as written overflow. The sides' Taylor models
    /// on a finite cell are charged to `budget` like a cell's (and skipped
    /// where it has run out).
    fn plain_bound(&self, lo: f64, hi: f64, budget: &mut usize) -> Option<f64> {
        let x = I::new(lo, hi);
        let (forms, roots) = self.safe.get_or_init(|| {
            let (nodes, roots) = crate::lower::overflow_safe_forms(&[&self.g_prime, &self.target]);
            (nodes, [roots[0], roots[1]])
        });
        // A branch undecided on the cell (it spans two pieces of a numeric
        // g′): plain evaluation takes the hull of both.
        let (safe, roots) = crate::piecewise::specialize_on(forms, roots, self.var.as_str(), x).unwrap_or_else(|| (forms.clone(), roots.to_vec()));
        let v = eval_nodes(&safe, &|s| if s == self.var { x } else { I::NAI });
        // On a finite cell, each side's own Taylor model where its series
        // evaluates (a numeric g′'s polynomial, though f′ overflows): plain
        // evaluation of a polynomial of degree 19 is wider than its values.
        let modelled = lo.is_finite() && hi.is_finite() && *budget >= self.products;
        if modelled {
            *budget -= self.products;
        }
        let enclose = |root: Id| {
            let plain = v[usize::from(root)];
            if !modelled {
                return plain;
            }
            let side = crate::build::subtree(&safe, root);
            let (c, step) = (lo + 0.5 * (hi - lo), cell_step(lo, hi));
            match (eval_series(&side, self.var, I::point(c), step, ORDER), eval_series(&side, self.var, x, step, ORDER)) {
                (Some(pt), Some(over)) => {
                    let model = model_enclosure(pt.last().unwrap(), over.last().unwrap(), lo, hi, step);
                    if plain.is_valid() {
                        model.meet(&plain)
                    } else {
                        model
                    }
                }
                _ => plain,
            }
        };
        let (g, t) = (enclose(roots[0]), enclose(roots[1]));
        let r = match self.kind {
            Target::Reciprocal => {
                if !(t.mig() > 0.0) {
                    return None;
                }
                t.recip()
            }
            Target::Direct => t,
        };
        bound_of(&g.sub(&r), r.mig().max(1.0))
    }
}

/// Why a cell has no Taylor-model bound.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NoModel {
    /// The bound is provably broken at the centre: no split proves the cell.
    Counterexample,
    /// The centre does not evaluate (f64 overflow in the series): the plain
    /// bound may still prove the cell, or its halves.
    Unevaluable,
}

/// How many times a cell whose centre does not evaluate is halved for the
/// plain bound: a numeric g′ of degree 19 encloses more tightly on halves
/// (`exp(exp(exp(exp(x))))`'s on [0.5, 1], where f′ overflows f64: ±1.4e-9
/// on the cell, under 1e-9 on its quarters), and 2^8 cells at most bound the
/// work where no half ever proves.
const PLAIN_SPLITS: u32 = 8;

/// How far above the bound a cell's plain bound may be for halving to be
/// tried: an enclosure narrows about twofold per halving, so 64 is what
/// [`PLAIN_SPLITS`] halvings can bring down; a wider one (a tower of
/// powers found by the fuzzer: 0.2 s when such cells failed at once, 6.7 s
/// when every one was halved) fails at once.
const PLAIN_SPLIT_REACH: f64 = 64.0;

/// The Taylor model's enclosure of a node on the finite cell [lo, hi]:
/// Σ_{k<N} a_k(c)·t^k + A_N(X)·t^N, t = (X − c)/step, from its coefficients
/// in t at the centre c (`at_centre`) and over the cell (`over`), met with
/// the plain enclosure `over[0]` (both enclose it: the tighter is kept).
fn model_enclosure(at_centre: &[I], over: &[I], lo: f64, hi: f64, step: f64) -> I {
    let c = lo + 0.5 * (hi - lo);
    let tt = I::new(((lo - c) / step).next_down(), ((hi - c) / step).next_up());
    let mut enc = over[ORDER].mul(&tt.powi(ORDER as i64));
    for (k, ak) in at_centre.iter().enumerate().take(ORDER) {
        enc = enc.add(&ak.mul(&tt.powi(k as i64)));
    }
    if enc.is_valid() {
        enc.meet(&over[0])
    } else {
        over[0]
    }
}

/// The Taylor variable's step on [lo, hi]: the least power of two at
/// least its half-width (exact to divide by), so that the series variable
/// t = (x - c)/step stays in [-1, 1] ([`eval_series`]).
fn cell_step(lo: f64, hi: f64) -> f64 {
    let half = 0.5 * (hi - lo);
    if half > 0.0 && half.is_finite() {
        2f64.powi(half.log2().ceil() as i32)
    } else {
        1.0
    }
}

/// sup|enc| / scale, rounded up; `None` when not a finite bound.
fn bound_of(enc: &I, scale: f64) -> Option<f64> {
    if !enc.is_valid() {
        return None;
    }
    let b = I::point(enc.mag()).div(&I::point(scale)).hi;
    b.is_finite().then_some(b)
}

/// Where, going from 0 towards −∞ and towards +∞, |g| or |g′| first leaves
/// f32 (or is not a number): the ends of what the kernels are fed. Each is
/// found on a geometric scan to 2^128 ≈ f32::MAX, refined by bisection;
/// ±F32_MAX when they never do. Both are evaluated in the kernels' safe
/// forms, lowered once, in f64 ([`crate::lower::Lowered::eval`]): as
/// written, `log(e^2x + a) - log(e^2x + b)` is inf - inf from x ≈ 355,
/// where its value is small.
pub fn horizons(g: &Expr, g_prime: &Expr, var: &str) -> (f64, f64) {
    let safe = crate::lower::lower_exprs(&[g, g_prime]);
    let names = [Symbol::from(var)];
    let leaves = |x: f64| !safe.eval(&names, &[x]).iter().all(|v| v.abs() < F32_ROUNDS_TO_INFINITY);
    // Half-octave steps from 2^-4 to f32::MAX; 60 halvings, geometric while
    // the bracket spans more than an octave.
    let towards = |dir: f64| {
        let scan = (-8..=256).map(|k| 2f64.powf(k as f64 / 2.0).min(F32_MAX));
        let midpoint = |a: f64, b: f64| if a > 0.0 && b / a > 2.0 { (a * b).sqrt() } else { 0.5 * (a + b) };
        crate::numeric::first_exit(&leaves, dir, scan, 60, midpoint)
    };
    (towards(-1.0), towards(1.0))
}

/// [`Budget::work`]'s default. gelu_tanh's SA term, the suite's one
/// numeric certificate, takes 149,116 (2,160 cells). On this 2-core machine
/// a product took 1.3 µs there, 1.5–3.9 µs on three fuzz inputs (towers of
/// powers) and 5 µs where the cells' values are subnormal (8^-x near
/// x = 340): a certificate that runs out ends in 1.5–5 s in a release build.
pub const WORK: usize = 1_000_000;

/// Extra splits a cell may spend to tighten a bound that already holds.
const TIGHTEN: u32 = 3;

/// What range a certificate must cover.
#[derive(Clone, Debug)]
pub enum Span {
    /// Up to where |g| or |g'| leaves f32 ([`horizons`]), else ±f32::MAX.
    Horizon,
    /// A range known by construction (a numeric g's polynomial range), with
    /// what happens beyond each end.
    Given { lo: f64, hi: f64, ends: (String, String) },
    /// One period [-P/2, P/2] of a periodic result: proven there, it holds
    /// on the whole line.
    Periodic { period: f64 },
}

const PERIODIC_END: &str = "all x by periodicity: f' has period P and g'(x) = G'(x - kP), proven on [-P/2, P/2]";

/// Limits on the cover, so that every certification ends, and soon.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The most work the cells may take, in series products: each cell
    /// costs its expression's [`crate::taylor::series_products`]. Work, not
    /// cells: a cell's cost follows its expression (a fuzz input's tower of
    /// powers 246 µs, gelu_tanh's fit 89 µs), and 40,000 cells of that tower
    /// took 9 s, for each of a numeric g's refits (29 s in all). Not a time
    /// limit, so the same input always gets the same certificate (the macros
    /// expand it the same way in every build).
    pub work: usize,
    /// The bound to prove: SPEC §5's [`TOL`], or the f32 kernels' own fit's
    /// ([`crate::numeric::KERNEL_TOLERANCE`]).
    pub tol: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { work: WORK, tol: TOL }
    }
}

/// The outcome of covering the pieces.
struct Cover {
    bound: f64,
    cells: usize,
    failed: Vec<(f64, f64)>,
    /// Tails proven to infinity, (low side, high side).
    infinite: (bool, bool),
    /// Cells left untried when the budget ran out.
    exhausted: bool,
}

/// Initial cell ends inside (lo, hi): halves on [-4, 4], octaves beyond.
fn initial_ends(lo: f64, hi: f64) -> Vec<f64> {
    let mut ends = vec![lo, hi];
    ends.extend((-8..=8).map(|k| k as f64 * 0.5));
    for k in 3..=128 {
        let t = 2f64.powi(k);
        ends.push(t);
        ends.push(-t);
    }
    ends.retain(|&e| e >= lo && e <= hi);
    ends.sort_by(|a, b| a.total_cmp(b));
    ends.dedup();
    ends
}

/// Cover [lo, hi] (finite) of one piece; try tails to infinity where the
/// piece and the range allow.
fn cover_piece(m: &Model, lo: f64, hi: f64, tail_lo: bool, tail_hi: bool, budget: &mut usize, out: &mut Cover) {
    let (mut lo, mut hi) = (lo, hi);
    // Tails [A, ∞): where g′ and 1/f′ tend to one limit, one plain evaluation proves it.
    if tail_hi {
        for a in [16.0, 256.0, 65536.0, 4294967296.0, 1.8446744073709552e19] {
            if let Some(b) = (a > lo && a < hi).then(|| m.plain_bound(a, f64::INFINITY, budget)).flatten().filter(|b| *b <= m.tol) {
                out.bound = out.bound.max(b);
                out.infinite.1 = true;
                hi = a;
                break;
            }
        }
    }
    if tail_lo {
        for a in [16.0, 256.0, 65536.0, 4294967296.0, 1.8446744073709552e19] {
            if let Some(b) = (-a < hi && -a > lo).then(|| m.plain_bound(f64::NEG_INFINITY, -a, budget)).flatten().filter(|b| *b <= m.tol) {
                out.bound = out.bound.max(b);
                out.infinite.0 = true;
                lo = -a;
                break;
            }
        }
    }
    let ends = initial_ends(lo, hi);
    // (cell, how many more splits to spend on tightening a bound that
    // already meets 1e-9 but is far above the error at the cell's centre).
    // (…, and how many more halvings a cell whose centre does not
    // evaluate may take for the plain bound: [`PLAIN_SPLITS`]).
    let mut stack: Vec<(f64, f64, u32, u32)> = ends.windows(2).rev().map(|w| (w[0], w[1], TIGHTEN, PLAIN_SPLITS)).collect();
    while let Some((a, b, tighten, plain_splits)) = stack.pop() {
        if *budget < m.products {
            out.failed.push((a, b));
            out.exhausted = true;
            continue;
        }
        *budget -= m.products;
        out.cells += 1;
        let (taylor, at_centre) = match m.taylor_bound(a, b) {
            Ok(found) => found,
            Err(why) => {
                // No Taylor model: plain evaluation of the safe forms may
                // still prove the cell (a tail where the written form
                // overflows), or, where the centre did not evaluate, its halves.
                let plain = m.plain_bound(a, b, budget);
                match plain {
                    Some(v) if v <= m.tol => out.bound = out.bound.max(v),
                    Some(v)
                        if why == NoModel::Unevaluable
                            && v <= PLAIN_SPLIT_REACH * m.tol
                            && plain_splits > 0
                            && a.is_finite()
                            && b.is_finite()
                            && splittable(a, b) =>
                    {
                        let mid = split_point(a, b);
                        stack.push((mid, b, tighten, plain_splits - 1));
                        stack.push((a, mid, tighten, plain_splits - 1));
                    }
                    _ => out.failed.push((a, b)),
                }
                continue;
            }
        };
        let found = taylor.filter(|v| *v <= m.tol).or_else(|| m.plain_bound(a, b, budget).filter(|v| *v <= m.tol));
        // Worth tightening: the bound is 100× the centre's error and above 1e-13.
        let loose = found.is_some_and(|v| v > (100.0 * at_centre).max(1e-13));
        match found {
            Some(v) if !(loose && tighten > 0) => out.bound = out.bound.max(v),
            _ => {
                let tighten = if found.is_some() { tighten - 1 } else { tighten };
                // Too small to split further: this cell stays unproven.
                if !splittable(a, b) {
                    match found {
                        Some(v) => out.bound = out.bound.max(v),
                        None => out.failed.push((a, b)),
                    }
                } else {
                    let mid = split_point(a, b);
                    stack.push((mid, b, tighten, plain_splits));
                    stack.push((a, mid, tighten, plain_splits));
                }
            }
        }
    }
}

/// Where a cell is halved: geometrically across an octave or more of one
/// sign, else at its midpoint.
fn split_point(a: f64, b: f64) -> f64 {
    if a > 0.0 && b / a > 4.0 {
        (a * b).sqrt()
    } else if b < 0.0 && a / b > 4.0 {
        -(a * b).sqrt()
    } else {
        a + 0.5 * (b - a)
    }
}

/// Whether [a, b] is wide enough to halve (its halves distinct, and wider
/// than 1e-12 of its magnitude).
fn splittable(a: f64, b: f64) -> bool {
    let mid = split_point(a, b);
    mid > a && mid < b && b - a > 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// Certify g′ against its target on every piece (exact pieces skipped) and
/// at every break point, over the range the kernels are fed.
///
/// `g` and `g_prime` are the assembled results (for the horizon and the
/// break points); `pieces` their smooth pieces, in order, with `exact[i]`
/// when piece i rewrote to 0.
#[allow(clippy::too_many_arguments)]
pub fn certify(
    g: &Expr,
    g_prime: &Expr,
    pieces: &[Piece],
    exact: &[bool],
    breaks: &[f64],
    kind: Target,
    checked: &str,
    var: &str,
    span: &Span,
    budget: Budget,
) -> Certificate {
    let exact_pieces = exact.iter().filter(|e| **e).count();
    let whole = Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY };
    let (rlo, rhi, ends) = match span {
        Span::Horizon => {
            let (rlo, rhi) = horizons(g, g_prime, var);
            (rlo, rhi, (end_reason(rlo), end_reason(rhi)))
        }
        Span::Given { lo, hi, ends } => (*lo, *hi, ends.clone()),
        Span::Periodic { period } => (-0.5 * period, 0.5 * period, (PERIODIC_END.to_string(), PERIODIC_END.to_string())),
    };
    let required = Interval { lo: rlo, hi: rhi };
    // At a break where the target jumps (f' of |x| at 0), f' does not exist:
    // that point is not claimed; at the others, the assembled g′ must meet
    // the bound against each side's target ([`break_bound`]).
    let (excluded, checked_breaks): (Vec<f64>, Vec<f64>) = breaks.iter().partition(|&&b| jumps_at(pieces, b, kind, var, budget.tol));
    // The assembled g′ against each distinct target, once: a numeric g's
    // hundreds of breaks share one, and a model builds its overflow-safe
    // forms (the whole g′) on first use.
    let mut break_models: Vec<Model> = Vec::new();
    if !checked_breaks.is_empty() {
        for p in pieces {
            if !break_models.iter().any(|m| m.target == p.target) {
                break_models.push(Model::new(&Piece { lo: p.lo, hi: p.hi, g_prime: g_prime.clone(), target: p.target.clone() }, kind, var, budget.tol));
            }
        }
    }
    let holds_at = |b: f64| break_bound(&break_models, pieces, exact, b, var).filter(|v| *v <= budget.tol);
    if !pieces.is_empty() && exact_pieces == pieces.len() && checked_breaks.iter().all(|&b| holds_at(b).is_some()) {
        return Certificate {
            kind: Kind::Exact,
            checked: checked.into(),
            range: Some(whole),
            required,
            bound: Some(0.0),
            subintervals: 0,
            exact_pieces,
            uncertified: Vec::new(),
            ends: ("exact on all of ℝ".into(), "exact on all of ℝ".into()),
            excluded,
            exhausted: false,
        };
    }
    let mut out = Cover { bound: 0.0, cells: 0, failed: Vec::new(), infinite: (false, false), exhausted: false };
    let mut left = budget.work;
    for (p, &is_exact) in pieces.iter().zip(exact) {
        let (lo, hi) = (p.lo.max(rlo), p.hi.min(rhi));
        if is_exact || lo > hi {
            continue;
        }
        let m = Model::new(p, kind, var, budget.tol);
        // Tails only where g stays inside f32 up to f32::MAX on that side.
        let (tail_lo, tail_hi) = (p.lo == f64::NEG_INFINITY && rlo == -F32_MAX, p.hi == f64::INFINITY && rhi == F32_MAX);
        if lo == hi {
            continue;
        }
        cover_piece(&m, lo, hi, tail_lo, tail_hi, &mut left, &mut out);
    }
    // The break points themselves, with the assembled g′.
    for &b in checked_breaks.iter().filter(|b| **b >= rlo && **b <= rhi) {
        match holds_at(b) {
            Some(v) => out.bound = out.bound.max(v),
            None => out.failed.push((b, b)),
        }
    }
    // One period proven is every period proven: f' repeats, and g' is G' of x - kP.
    let periodic = matches!(span, Span::Periodic { .. });
    let lo_end = if out.infinite.0 || periodic { f64::NEG_INFINITY } else { rlo };
    let hi_end = if out.infinite.1 || periodic { f64::INFINITY } else { rhi };
    let uncertified = merge(out.failed);
    // The proven range: the failure-free stretch around 0.
    let range = {
        let lo = uncertified.iter().filter(|f| f.hi < 0.0).map(|f| f.hi).fold(lo_end, f64::max);
        let hi = uncertified.iter().filter(|f| f.lo > 0.0).map(|f| f.lo).fold(hi_end, f64::min);
        let holds_zero = !uncertified.iter().any(|f| f.lo <= 0.0 && f.hi >= 0.0);
        (holds_zero && lo < hi).then_some(Interval { lo, hi })
    };
    let kind_got = if uncertified.is_empty() { Kind::Certified } else { Kind::Sampled };
    let ends = (
        if out.infinite.0 { TAIL_TO_INFINITY.replace("{inf}", "-inf") } else { ends.0 },
        if out.infinite.1 { TAIL_TO_INFINITY.replace("{inf}", "+inf") } else { ends.1 },
    );
    Certificate {
        kind: kind_got,
        checked: checked.into(),
        range,
        required: Interval { lo: lo_end, hi: hi_end },
        bound: range.map(|_| out.bound),
        subintervals: out.cells,
        exact_pieces,
        uncertified,
        ends,
        excluded,
        exhausted: out.exhausted,
    }
}

/// Does the target take different values on the two sides of break `b`?
fn jumps_at(pieces: &[Piece], b: f64, kind: Target, var: &str, tol: f64) -> bool {
    let side = |p: &Piece| {
        let m = Model::new(p, kind, var, tol);
        eval_nodes(&m.h, &|s| if s == m.var { I::point(b) } else { I::NAI })[usize::from(m.t)]
    };
    let (Some(l), Some(r)) = (pieces.iter().find(|p| p.hi == b), pieces.iter().find(|p| p.lo == b)) else { return false };
    let (a, c) = (side(l), side(r));
    a.is_valid() && c.is_valid() && (a.hi < c.lo || c.hi < a.lo)
}

/// Why the range ends at `r`.
fn end_reason(r: f64) -> String {
    if r.abs() >= F32_MAX {
        NO_F32_BEYOND.into()
    } else {
        LEAVES_F32.into()
    }
}

/// Why a range reaches ±∞ ([`Model::plain_bound`] on a whole tail).
const TAIL_TO_INFINITY: &str = "proven to {inf}: g' and its target enclosed on the whole tail";

/// Why a range ends at ±f32::MAX.
pub const NO_F32_BEYOND: &str = "no f32 input lies beyond (±f32::MAX)";
/// Why a range ends where g leaves f32. What the kernels compute beyond is
/// not claimed: a closed form overflows to ±inf with the true value, a
/// numeric g continues linearly ([`NUMERIC_TAIL`]).
pub const LEAVES_F32: &str = "|g| or |g'| leaves f32 there (not certified beyond)";
/// What a numeric g does beyond its range where g or g' leaves f32.
pub const NUMERIC_TAIL: &str = "|g| or |g'| leaves f32 there; beyond, the kernels continue g linearly with its end slope (not certified)";

/// The bound at break point `b` where the target does not jump: the
/// assembled g′ there (the branch the kernels take) against each adjacent
/// piece's own target at b, its one-sided limit. Those limits agree, so f
/// is differentiable at b with that derivative; the assembled target's
/// value at b need not be it (`sign(0) = 0` makes symlog's f′ =
/// sign(x)²/(1 + |x|) 0 at 0, where it is 1). Where a side's target has no
/// value at b (f′ infinite: a signed square root at 0) but the side is
/// exact, its limit is that side's own g′ at b, which exists there: the
/// assembled g′ is bounded against it, provided f′ has one sign on both
/// sides near b, so that f′(b) is that infinity (at the cusp of
/// `sqrt(abs(x))`, -∞ on the left and +∞ on the right, f′(0) does not
/// exist). `models` hold the assembled g′ against each distinct target.
/// `None` where it cannot be bounded.
fn break_bound(models: &[Model], pieces: &[Piece], exact: &[bool], b: f64, var: &str) -> Option<f64> {
    let sides: Vec<(&Piece, bool)> = pieces.iter().zip(exact).filter(|(p, _)| p.lo == b || p.hi == b).map(|(p, e)| (p, *e)).collect();
    if sides.is_empty() {
        return None;
    }
    let at = |e: &Expr, v: f64| Some(crate::interval::eval1(e, var, I::point(v))).filter(|v| v.is_valid() && v.mag().is_finite());
    // The sign of f′ just inside each side, from its exact g′ (= 1/f′ there).
    let near = 1e-9 * b.abs().max(1.0);
    let inside = |p: &Piece| at(&p.g_prime, if p.hi == b { b - near } else { b + near }).filter(|v| v.mig() > 0.0).map(|v| v.lo > 0.0);
    let one_sign = sides.iter().all(|(_, e)| *e) && {
        let signs: Option<Vec<bool>> = sides.iter().map(|(p, _)| inside(p)).collect();
        signs.is_some_and(|s| s.windows(2).all(|w| w[0] == w[1]))
    };
    let assembled = at(&models.first()?.g_prime, b);
    sides.iter().try_fold(0.0f64, |worst, (p, _)| {
        let m = models.iter().find(|m| m.target == p.target)?;
        let limit = || {
            // g′·f′ ≡ 1 on the open piece, so 1/f′ → the side's g′(b).
            let side = at(&p.g_prime, b)?;
            bound_of(&assembled?.sub(&side), side.mig().max(1.0))
        };
        // The residual as written first; where it overflows (a numeric
        // piece's end far out on a tail), the overflow-safe forms.
        point_bound(m, b).or_else(|| m.plain_bound(b, b, &mut 0)).or_else(|| one_sign.then(limit).flatten()).map(|v| worst.max(v))
    })
}

fn point_bound(m: &Model, x: f64) -> Option<f64> {
    let v = eval_nodes(&m.h, &|s| if s == m.var { I::point(x) } else { I::NAI });
    bound_of(v.last()?, m.scale(&v[usize::from(m.t)]))
}

/// Adjacent or overlapping cells merged.
fn merge(mut cells: Vec<(f64, f64)>) -> Vec<Interval> {
    cells.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Interval> = Vec::new();
    for (a, b) in cells {
        match out.last_mut() {
            Some(l) if a <= l.hi => l.hi = l.hi.max(b),
            _ => out.push(Interval { lo: a, hi: b }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(g: &str, t: &str) -> Piece {
        Piece { lo: f64::NEG_INFINITY, hi: f64::INFINITY, g_prime: g.parse().unwrap(), target: t.parse().unwrap() }
    }

    fn run(g: &str, gp: &str, t: &str) -> Certificate {
        run_within(g, gp, t, Budget::default())
    }

    fn run_within(g: &str, gp: &str, t: &str, budget: Budget) -> Certificate {
        let p = piece(gp, t);
        certify(&g.parse().unwrap(), &p.g_prime, &[p.clone()], &[false], &[], Target::Reciprocal, "|g' - 1/f'|", "x", &Span::Horizon, budget)
    }

    /// The cover stops at its work budget, each cell charged its series
    /// products, and says so; with the default budget the same result is
    /// certified in a small share of it.
    #[test]
    fn the_cover_stops_at_its_work_budget_and_says_so() {
        let (g, gp, t) = ("(+ (* 0.5 x) (* 0.25 (sinh (* 2 x))))", "(+ 0.5 (* 0.5 (cosh (* 2 x))))", "(/ 1 (^ (cosh x) 2))");
        let full = run(g, gp, t);
        assert_eq!((full.kind, full.exhausted), (Kind::Certified, false), "{full:#?}");
        assert!(!full.describe().contains("budget"), "{}", full.describe());
        let (gp_expr, t_expr): (Expr, Expr) = (gp.parse().unwrap(), t.parse().unwrap());
        let (h, _, _) = residual(&gp_expr, &t_expr, Target::Reciprocal);
        let per_cell = crate::taylor::series_products(&h);
        assert!(full.subintervals * per_cell <= WORK / 10, "{} cells of {per_cell} products", full.subintervals);
        // Work for a tenth of those cells: the rest stay untried.
        let cut = run_within(g, gp, t, Budget { work: full.subintervals / 10 * per_cell, tol: TOL });
        assert_eq!((cut.kind, cut.exhausted), (Kind::Sampled, true), "{cut:#?}");
        // At most a tenth of the cells: a cell whose Taylor bound falls
        // short also charges its plain bound's models.
        assert!(
            cut.subintervals <= full.subintervals / 10 && cut.subintervals >= full.subintervals / 20,
            "{} of {} cells",
            cut.subintervals,
            full.subintervals
        );
        assert!(cut.describe().contains("its work budget ran out"), "{}", cut.describe());
    }

    /// Cells far out keep their Taylor models: the series variable is the
    /// cell's own, t = (X − c)/step in [-1, 1]. In X − c, the 16th power of a
    /// radius of 1e23 overflowed f64, so every cell past about 3e23 was
    /// halved until the budget ran out: `x^3/(1 + x^2) + x`'s rational g′
    /// (partial fractions, against its unsimplified f′) was certified only
    /// to 1e20 and reported sampled.
    #[test]
    fn far_cells_keep_their_taylor_models() {
        let spec = |src: &str| crate::parse::parse(src).unwrap();
        let g = spec("0.5*x + (0.31578046186264047*atan(2.135779205069857*x) + (-0.2634394559754498*atan(0.6621534468619564*x)))");
        let gp = spec("0.6744373438135826/(1 + x*(4.56155281280883*x)) + (0.5 + (-0.17443734381358272/(1 + x*(0.43844718719116976*x))))");
        let target = spec("1 + (3*(x*(x*(x*x + 1))) + x^3*(-2*x))/((x*x + 1)*(x*x + 1))");
        let p = Piece { lo: f64::NEG_INFINITY, hi: f64::INFINITY, g_prime: gp.clone(), target };
        let c = certify(&g, &gp, &[p], &[false], &[], Target::Reciprocal, "|g' - 1/f'|", "x", &Span::Horizon, Budget::default());
        assert_eq!((c.kind, c.exhausted), (Kind::Certified, false), "{}", c.describe());
        let range = c.range.unwrap();
        assert!(range.lo <= -F32_MAX && range.hi >= F32_MAX, "{}", c.describe());
        assert!(c.subintervals * 10 <= WORK, "{} cells", c.subintervals);
    }

    #[test]
    fn certifies_a_right_result_to_its_horizon() {
        // tanh: g = x/2 + sinh(2x)/4, g' = 1/2 + cosh(2x)/2, f' = 1/cosh²x.
        let c = run("(+ (* 0.5 x) (* 0.25 (sinh (* 2 x))))", "(+ 0.5 (* 0.5 (cosh (* 2 x))))", "(/ 1 (^ (cosh x) 2))");
        assert_eq!(c.kind, Kind::Certified, "{c:#?}");
        let r = c.range.unwrap();
        // g' = (1 + cosh(2x))/2 leaves f32 first, where cosh(2x) ≈ 2·f32::MAX.
        let at = 0.5 * (2.0 * F32_MAX).acosh(); // ≈ 45.05
        assert!((r.hi - at).abs() < 1e-6 && (r.lo + at).abs() < 1e-6, "{r:?}");
        assert!(c.bound.unwrap() < 1e-11, "{c:#?}");
    }

    /// The plain bound on a tail is on the SPEC scale, max(1, |1/f′|), which
    /// is 1 where f′ ≥ 1: a wrong g′ = 2e^-x against 1/f′ = e^-x is off by
    /// e^-x, over 1e-9 up to x ≈ 20.7, and stays uncertified there. The
    /// bound this replaced, (|g′| + |1/f′|)/inf|f′|, proved [16, ∞) at
    /// 3.8e-14.
    #[test]
    fn a_tail_is_bounded_on_the_spec_scale() {
        let c = run("(- 2 (* 2 (exp (neg x))))", "(* 2 (exp (neg x)))", "(exp x)");
        assert_eq!(c.kind, Kind::Sampled, "{c:#?}");
        assert!(c.uncertified.iter().any(|u| u.lo <= 20.0 && u.hi >= 20.0), "{:?}", c.uncertified);
        // Where e^-x < 1e-9 the tail holds, and is proven to +inf.
        assert!(c.ends.1.starts_with("proven to +inf"), "{:?}", c.ends);
    }

    /// Where g′ and 1/f′ tend to 1 (`x - 2 - 8^-x`: g′ = e^(kx)/(k + e^(kx)),
    /// k = log 8, inf/inf in f64 from kx ≈ 709.8), the tails are proven on
    /// the overflow-safe forms, and g, finite to f32::MAX there, sets no
    /// horizon: the certificate covers the whole line.
    #[test]
    fn tails_tending_to_one_are_proven_past_where_the_written_forms_overflow() {
        let k = 8f64.ln();
        let (g, gp, t) = (
            format!("(- (* {} (log (+ {k} (exp (* {k} x))))) 3.540889580382448)", 1.0 / k),
            format!("(/ (exp (* {k} x)) (+ {k} (exp (* {k} x))))"),
            "(+ 1 (* (^ 8 (neg x)) (log 8)))".to_string(),
        );
        assert!(crate::eval::eval1(&gp.parse().unwrap(), "x", 400.0).is_nan());
        assert_eq!(horizons(&g.parse().unwrap(), &gp.parse().unwrap(), "x").1, F32_MAX);
        let c = run(&g, &gp, &t);
        assert_eq!(c.kind, Kind::Certified, "{c:#?}");
        let r = c.range.unwrap();
        assert_eq!((r.lo, r.hi), (f64::NEG_INFINITY, f64::INFINITY), "{c:#?}");
        assert!(c.bound.unwrap() <= TOL);
    }

    #[test]
    fn the_f32_overflow_threshold_is_f32_max_plus_half_its_ulp() {
        assert_eq!(F32_ROUNDS_TO_INFINITY, 2f64.powi(128) - 2f64.powi(103));
        assert_eq!(F32_ROUNDS_TO_INFINITY.next_down() as f32, f32::MAX);
        assert_eq!(F32_ROUNDS_TO_INFINITY as f32, f32::INFINITY);
    }

    #[test]
    fn finds_a_wrong_coefficient_that_samples_would_not() {
        // g' off by 1e-6·exp(-((x - 0.3)/1e-3)²): a bump of width 1e-3 that
        // no sample of a 1/8 grid comes near.
        let c = run("x", "(+ 1 (* 1e-6 (exp (neg (^ (/ (- x 0.3) 0.001) 2)))))", "1");
        assert_eq!(c.kind, Kind::Sampled, "{c:#?}");
        assert!(c.uncertified.iter().any(|u| u.lo <= 0.3 && u.hi >= 0.3), "{:?}", c.uncertified);
        assert!(c.uncertified.iter().all(|u| u.hi - u.lo < 0.1), "{:?}", c.uncertified);
    }

    #[test]
    fn proves_vanishing_tails_to_infinity() {
        // f = exp(x) - 1: g' = exp(-x), 1/f' = exp(-x): both vanish as x → ∞.
        let c = run("(- 1 (exp (neg x)))", "(exp (neg x))", "(exp x)");
        assert_eq!(c.kind, Kind::Certified, "{c:#?}");
        let r = c.range.unwrap();
        assert_eq!(r.hi, f64::INFINITY, "{c:#?}");
        assert!((r.lo + 88.7).abs() < 0.1, "{r:?}");
    }
}
