//! The safe-form lowering (`foil_compiler::lower`) evaluated in f32 and f64
//! by this file's own interpreter of its operations, against
//! `foil_compiler::eval` on the IR it was lowered from: the lowering keeps
//! values, and its f32 form keeps its digits where the IR's own form cancels
//! (differences of exponentials at independent inputs of a split function).
//!
//! The GPU kernels, the scalar Rust and the register programs are all
//! generated from this lowering; their own tests (tests/kernels.rs,
//! tests/jit.rs, runtime/burn) check them on the device. Here the f32
//! functions are Rust's (`f32::exp`, `exp_m1`, ...), so these figures bound
//! what the lowering loses, not what a GPU's `exp` adds.

mod common;

use egg::{Id, Symbol};
use foil_compiler::diff::derivative;
use foil_compiler::eval::eval_n;
use foil_compiler::ga::GaOptions;
use foil_compiler::hdfgd::{derive_split_adversarial, split, Granularity, SaResult, TermConstant};
use foil_compiler::lang::{Cmp, Expr, Func, Math};
use foil_compiler::lower::{lower_exprs, Lowered, SafeOp};
use foil_compiler::simplify::{simplify_all, Limits};

/// The arithmetic the interpreter needs, in f32 and f64.
trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn of(v: f64) -> Self;
    fn to(self) -> f64;
    fn call(f: Func, x: Self) -> Self;
    fn powf(self, k: Self) -> Self;
    fn powi(self, k: i32) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
}

/// SPEC `sign`: -1, 0 or 1, NaN kept.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

impl Real for f64 {
    fn of(v: f64) -> Self {
        v
    }
    fn to(self) -> f64 {
        self
    }
    fn call(f: Func, x: f64) -> f64 {
        match f {
            Func::Sign => sign(x),
            // The rest as `foil_compiler::eval` defines them.
            f => foil_compiler::eval::apply(f, x),
        }
    }
    fn powf(self, k: f64) -> f64 {
        f64::powf(self, k)
    }
    fn powi(self, k: i32) -> f64 {
        f64::powi(self, k)
    }
    fn min(self, o: f64) -> f64 {
        f64::min(self, o)
    }
    fn max(self, o: f64) -> f64 {
        f64::max(self, o)
    }
}

impl Real for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
    fn to(self) -> f64 {
        self as f64
    }
    fn call(f: Func, x: f32) -> f32 {
        match f {
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Log1p => x.ln_1p(),
            Func::Expm1 => x.exp_m1(),
            Func::Sqrt => x.sqrt(),
            Func::Abs => x.abs(),
            Func::Sign => sign(x as f64) as f32,
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            // No f32 versions in std: f64, rounded once (an ideal f32 erf).
            // std's f32 asinh is inf past f32::MAX/2 (foil::Float's and the
            // kernels' are not): f64's too.
            Func::Erf | Func::Erfi | Func::Asinh => foil_compiler::eval::apply(f, x as f64) as f32,
        }
    }
    fn powf(self, k: f32) -> f32 {
        f32::powf(self, k)
    }
    fn powi(self, k: i32) -> f32 {
        f32::powi(self, k)
    }
    fn min(self, o: f32) -> f32 {
        f32::min(self, o)
    }
    fn max(self, o: f32) -> f32 {
        f32::max(self, o)
    }
}

/// Every root of `l` at one point, each live operation in `R`.
fn run<R: Real>(l: &Lowered, names: &[Symbol], point: &[f64]) -> Vec<R> {
    let mut v: Vec<R> = vec![R::of(0.0); l.ops.len()];
    for (i, op) in l.ops.iter().enumerate() {
        if !l.live[i] {
            continue;
        }
        let a = |id: &Id| v[usize::from(*id)];
        let truth = |b: bool| R::of(b as u8 as f64);
        v[i] = match op {
            SafeOp::Leaf => match &l.nodes[Id::from(i)] {
                Math::Num(c) => R::of(c.into_inner()),
                Math::Pi => R::of(std::f64::consts::PI),
                Math::Euler => R::of(std::f64::consts::E),
                Math::Var(s) => R::of(point[names.iter().position(|n| n == s).expect("a named variable")]),
                other => panic!("leaf {other:?}"),
            },
            SafeOp::Add(p, q) => a(p) + a(q),
            SafeOp::Sub(p, q) => a(p) - a(q),
            SafeOp::Mul(p, q) => a(p) * a(q),
            SafeOp::Div(p, q) => a(p) / a(q),
            SafeOp::Neg(p) => -a(p),
            SafeOp::Call(f, p) => R::call(*f, a(p)),
            SafeOp::Min(p, q) => a(p).min(a(q)),
            SafeOp::Max(p, q) => a(p).max(a(q)),
            SafeOp::Powf(p, q) => a(p).powf(a(q)),
            SafeOp::Powi(p, k) => a(p).powi(*k),
            SafeOp::Product(fs) => fs.iter().skip(1).fold(a(&fs[0]), |acc, f| acc * a(f)),
            SafeOp::Compare(c, p, q) => truth(match c {
                Cmp::Lt => a(p) < a(q),
                Cmp::Le => a(p) <= a(q),
                Cmp::Gt => a(p) > a(q),
                Cmp::Ge => a(p) >= a(q),
            }),
            SafeOp::Where(c, p, q) => {
                if a(c).to() != 0.0 {
                    a(p)
                } else {
                    a(q)
                }
            }
            SafeOp::Softplus(p) => {
                let x = a(p);
                x.max(R::of(0.0)) + R::call(Func::Log1p, R::call(Func::Exp, -R::call(Func::Abs, x)))
            }
            SafeOp::NegExpm1(p) => -R::call(Func::Expm1, a(p)),
            // The product rounded once, and 0 for m = 0 at every x but NaN,
            // as the device's `erfi_times`, `sinh_times`, `cosh_times` and
            // `expm1_times` clamp x (an ideal f32 one; the f64 erfi
            // overflows from 26.6).
            SafeOp::Times(f, p, m) => match a(m).to() {
                0.0 if !a(p).to().is_nan() => R::of(0.0),
                m => R::of(m * foil_compiler::eval::apply(*f, a(p).to())),
            },
        };
    }
    l.roots.iter().map(|r| v[usize::from(*r)]).collect()
}

/// SPEC §5's scale.
fn error(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

/// A split function with its partials, both as the macros emit them
/// (simplified together) and as the run-time kernels do (raw derivatives).
struct SplitFn {
    name: String,
    vars: Vec<String>,
    exprs: Vec<Expr>,
    /// Per input, the range foil states for a numeric SA term (gelu_tanh's
    /// tanh term): beyond it the term's value is a linear continuation the
    /// derivation does not certify, so the IR's f64 value there is no
    /// reference for anything. Points beyond are left out, and counted.
    ranges: Vec<Option<(f64, f64)>>,
}

fn options() -> GaOptions {
    GaOptions { limits: Limits { time_limit: std::time::Duration::from_secs(10), ..Limits::default() }, ..GaOptions::default() }
}

fn with_partials(name: &str, f: Expr, vars: Vec<String>, simplified: bool) -> SplitFn {
    let raw: Vec<Expr> = vars.iter().map(|v| derivative(&f, v)).collect();
    let partials = if simplified { simplify_all(&raw.iter().collect::<Vec<_>>(), &options().limits).0 } else { raw };
    let mut exprs = vec![f];
    exprs.extend(partials);
    let ranges = vec![None; vars.len()];
    SplitFn { name: format!("{name}{}", if simplified { "" } else { " (raw partials)" }), vars, exprs, ranges }
}

fn sa(src: &str, simplified: bool) -> SplitFn {
    let f = foil_compiler::parse::parse(src).unwrap();
    let r = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &options()).unwrap();
    sa_with_partials(src, r, simplified)
}

fn sa_with_partials(src: &str, r: SaResult, simplified: bool) -> SplitFn {
    let vars = r.terms.iter().map(|t| t.var.clone()).collect();
    let mut f = with_partials(&format!("SA of {src}"), r.adversarial, vars, simplified);
    f.ranges = r.terms.iter().map(|t| t.numeric.as_ref().map(|n| (n.lo, n.hi))).collect();
    f
}

/// [`sa`] with simplified partials, where `src` derives with every term in
/// closed form (a numeric term holds only on its range, which
/// [`worst_errors`] takes).
fn closed_sa(src: &str) -> Option<SplitFn> {
    let f = foil_compiler::parse::parse(src).ok()?;
    let r = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &options()).ok()?;
    r.terms.iter().all(|t| t.numeric.is_none()).then(|| sa_with_partials(src, r, true))
}

fn hd_fgd(src: &str, simplified: bool) -> SplitFn {
    let f = foil_compiler::parse::parse(src).unwrap();
    let sp = split(&f, Granularity::Elementary).unwrap();
    let vars = sp.terms.iter().map(|t| t.var.clone()).collect();
    with_partials(&format!("F of {src}"), sp.lifted, vars, simplified)
}

/// The normalised quotients divide `e^E·s` by a denominator in [1, k]
/// (k terms, or its square in a partial): where the true value is within
/// that factor of f32::MAX, the numerator `h·(h·s)` (`h = e^(E/2)`, which
/// itself never overflows first) passes f32::MAX before the division brings
/// it back. Such a ±inf is counted and reported; any ±inf where the true
/// value is below f32::MAX/16 fails (before the halving, `e^E` alone
/// overflowed at 17 to 265 of tanh's SA and F outputs per 2^18 points over
/// [-88, 88]^4 where the value was far below f32::MAX).
const EARLY_OVERFLOW: f64 = f32::MAX as f64 / 16.0;

/// What a function's check leaves out, with the reason in [`MishSa`].
#[derive(Clone, Copy, Default)]
struct Exemptions {
    /// Points where this says the function is ill-conditioned (the ratio of
    /// its terms to the sum they cancel to) above `max_cancellation`.
    cancellation: Option<fn(&[f64]) -> f64>,
    max_cancellation: f64,
    /// How many results may be ±inf where the true value fits (an
    /// intermediate product overflowed).
    overflows: usize,
}

/// The worst case of one output over a point set.
#[derive(Clone, Debug, Default)]
struct Worst {
    error: f64,
    at: Vec<f32>,
    /// ±inf of the right sign where |want| > [`EARLY_OVERFLOW`].
    early_overflow: usize,
    /// Non-finite results where the true value fits in f32 (not early).
    overflow: usize,
    overflow_at: Vec<f32>,
    /// Points where the true value fits in f32 (the ones checked).
    checked: usize,
    /// Points with an input beyond its numeric term's stated range.
    beyond_range: usize,
    /// Points left out as ill-conditioned, and the worst error there.
    ill_conditioned: usize,
    ill_error: f64,
}

/// Worst error of each output (value, then each partial) of the lowered f32
/// form against f64 on the IR, over `n` independent points in [-r, r]^n,
/// where the f64 value fits in f32.
fn worst_errors(f: &SplitFn, n: usize, r: f64, exempt: Exemptions) -> Vec<Worst> {
    let names: Vec<Symbol> = f.vars.iter().map(|v| Symbol::from(v.as_str())).collect();
    let lowered = lower_exprs(&f.exprs.iter().collect::<Vec<_>>());
    let cols: Vec<Vec<f32>> = (0..names.len()).map(|i| foil_compiler::eval::scattered(n, 31 + i as u64, -r, r)).collect();
    let mut worst = vec![Worst::default(); f.exprs.len()];
    for e in 0..n {
        let point: Vec<f64> = cols.iter().map(|c| c[e] as f64).collect();
        if point.iter().zip(&f.ranges).any(|(u, r)| r.is_some_and(|(lo, hi)| !(*u >= lo && *u <= hi))) {
            worst.iter_mut().for_each(|w| w.beyond_range += 1);
            continue;
        }
        let got = run::<f32>(&lowered, &names, &point);
        // The same lowering in f64: a second f64 reference through a form
        // that does not cancel where the IR does.
        let again = run::<f64>(&lowered, &names, &point);
        let ill = exempt.cancellation.is_some_and(|c| !(c(&point) <= exempt.max_cancellation));
        for (k, expr) in f.exprs.iter().enumerate() {
            let want = eval_n(expr, &names, &point);
            if !want.is_finite() || want.abs() > f32::MAX as f64 {
                continue;
            }
            // f64 on the IR is a sound reference wherever the two agree.
            if !ill && again[k].is_finite() {
                assert!(error(again[k], want) <= 1e-9, "{}: output {k} at {point:?}: IR {want:e}, lowered form {:e} in f64", f.name, again[k]);
            }
            let (w, g) = (&mut worst[k], got[k] as f64);
            let err = if g.is_finite() { error(g, want) } else { f64::INFINITY };
            if ill {
                w.ill_conditioned += 1;
                w.ill_error = w.ill_error.max(err);
            } else if g.is_infinite() && want.abs() > EARLY_OVERFLOW && g.signum() == want.signum() {
                w.early_overflow += 1;
            } else if !g.is_finite() {
                w.overflow += 1;
                w.overflow_at = point.iter().map(|&p| p as f32).collect();
            } else if err > w.error || w.at.is_empty() {
                w.error = err;
                w.at = point.iter().map(|&p| p as f32).collect();
            }
            w.checked += !ill as usize;
        }
    }
    worst
}

fn assert_within(f: &SplitFn, n: usize, r: f64, bound: f64, exempt: Exemptions) {
    let worst = worst_errors(f, n, r, exempt);
    let mut report = format!("{} over [-{r}, {r}]^{}, {n} points:", f.name, f.vars.len());
    let mut ok = true;
    for (k, w) in worst.iter().enumerate() {
        let what = if k == 0 { "value".to_string() } else { format!("∂/∂{}", f.vars[k - 1]) };
        report += &format!("\n  {what:<8} worst {:.2e} at {:?} ({} checked, {} early overflow)", w.error, w.at, w.checked, w.early_overflow);
        if w.ill_conditioned > 0 {
            report += &format!("; {} ill-conditioned left out, worst {:.2e} there", w.ill_conditioned, w.ill_error);
        }
        if w.beyond_range > 0 {
            report += &format!("; {} beyond a numeric term's stated range left out", w.beyond_range);
        }
        if w.overflow > 0 {
            report += &format!("; {} overflowed, e.g. at {:?}", w.overflow, w.overflow_at);
        }
        // The exclusion stays an exception: at most 1% of the points.
        ok &= w.error <= bound && w.ill_conditioned * 100 <= w.checked + w.ill_conditioned && w.overflow <= exempt.overflows;
    }
    eprintln!("{report}");
    assert!(ok, "over {bound:e}: {report}");
}

/// The issue's case: tanh's SA at u ≈ (-21.39, 21.39, 23.92, -9.19), where
/// `e^u2 - e^-u1` cancels to 1.5e-3 of its terms, and a point where it
/// cancels to 2 ulp of u2 (2.6e5-fold). The IR evaluated as written in f32
/// loses 9e-4 at the second (so it does test cancellation); the lowered form
/// keeps 1e-6 at both (the rounding of its exponent u2 - m ≈ 30), every
/// partial included.
#[test]
fn the_reported_cancellation_is_gone() {
    let f = sa("tanh(x)", true);
    let names: Vec<Symbol> = f.vars.iter().map(|v| Symbol::from(v.as_str())).collect();
    let lowered = lower_exprs(&f.exprs.iter().collect::<Vec<_>>());
    let close = 21.39f32 + 2.0 * (21.39f32.next_up() - 21.39);
    for (u, cancels) in [([-21.39f32, 21.3932, 23.92, -9.19], false), ([-21.39f32, close, 23.92, -9.19], true)] {
        let u = u.map(|v| v as f64);
        let want = eval_n(&f.exprs[0], &names, &u);
        // The IR as written, every operation in f32.
        let naive = naive_f32(&f.exprs[0], &names, &u);
        let got = run::<f32>(&lowered, &names, &u);
        eprintln!(
            "u = {u:?}: want {want:e}, naive f32 {naive:e} (error {:.2e}), lowered f32 {:e} (error {:.2e})",
            error(naive, want),
            got[0],
            error(got[0] as f64, want)
        );
        if cancels {
            assert!(error(naive, want) > 1e-4, "the point does not cancel: {naive} vs {want}");
        }
        for (k, expr) in f.exprs.iter().enumerate() {
            let want = eval_n(expr, &names, &u);
            assert!(error(got[k] as f64, want) < 2e-6, "output {k}: {} vs {want}", got[k]);
        }
    }
}

/// The IR evaluated node by node in f32, with no rewriting.
fn naive_f32(e: &Expr, names: &[Symbol], point: &[f64]) -> f64 {
    let mut v: Vec<f32> = Vec::new();
    for node in e.as_ref() {
        let a = |id: &Id| v[usize::from(*id)];
        let r = match node {
            Math::Num(c) => c.into_inner() as f32,
            Math::Var(s) => point[names.iter().position(|n| n == s).unwrap()] as f32,
            Math::Add([p, q]) => a(p) + a(q),
            Math::Sub([p, q]) => a(p) - a(q),
            Math::Mul([p, q]) => a(p) * a(q),
            Math::Div([p, q]) => a(p) / a(q),
            Math::Neg(p) => -a(p),
            Math::Call(f, p) => f32::call(*f, a(p)),
            other => panic!("not in tanh's SA: {other:?}"),
        };
        v.push(r);
    }
    *v.last().unwrap() as f64
}

const POINTS: usize = 1 << 14;
/// SPEC §5's scale; the GPU tests hold the device kernels to the same bound.
const BOUND: f64 = 2e-5;

/// Mish's SA, `u1·N/D` with `N = 1 - e^-u2 - 1/(1 - e^-u3)` and
/// `D = 1 + 1/(1 - e^-u5) - e^-u4`, is singular on surfaces inside the box:
/// D = 0 (poles) and N = 0 (zeros). Near them N or D is a sum that cancels
/// to a small fraction of its terms, and an f32 evaluation carries each
/// term's rounding (its exponent's, 2^-24·|u|) times that ratio: exact in
/// the inputs, the surfaces are transcendental, so no rewriting removes it.
/// Points where N or D cancels more than 100-fold are left out of its bound
/// (at most 1% of them; counted, their worst error reported).
///
/// Over [-88, 88] a partial can also overflow in an intermediate quotient:
/// ∂/∂u5 divides by (1 - e^-u5)² inside its quotient by D², and near u5 = 0
/// with e^-u2 ≈ e^82 the inner quotient passes f32::MAX before the outer
/// brings it back (the normalisation scales one quotient level). Counted and
/// reported; at most 0.1% of the points.
struct MishSa;

impl MishSa {
    /// The SA the derivation gives, whose terms [`Self::cancellation`] reads.
    const FORM: &'static str = "u1*(1 - exp(-u2) - 1/(1 - exp(-u3)))/(1 + (1/(1 - exp(-u5)) - exp(-u4)))";

    /// max over N and D of (sum of |terms|)/|sum|, N's terms as the lowering
    /// subtracts them (`1 - 1/(1 - e^-u3)` is one quotient, `1/(1 - e^u3)`).
    fn cancellation(u: &[f64]) -> f64 {
        let n = [1.0 / (1.0 - u[2].exp()), -(-u[1]).exp()];
        let d = [1.0, 1.0 / (1.0 - (-u[4]).exp()), -(-u[3]).exp()];
        let ratio = |t: &[f64]| t.iter().map(|v| v.abs()).sum::<f64>() / t.iter().sum::<f64>().abs();
        ratio(&n).max(ratio(&d))
    }

    fn exemptions(n: usize) -> Exemptions {
        Exemptions { cancellation: Some(Self::cancellation), max_cancellation: 100.0, overflows: n / 1000 }
    }
}

/// Every suite SA and HD-FGD F (the rows whose SA is required), with every
/// partial, as the macros emit them (simplified) and as the run-time
/// kernels do (raw derivatives), at independent inputs over [-30, 30] and
/// [-88, 88].
#[test]
fn suite_split_functions_off_the_diagonal() {
    let rows: Vec<_> = foil_compiler::suite::embedded_suite().into_iter().filter(|r| r.sa_required).collect();
    assert_eq!(rows.len(), 6, "the suite's SA rows: tanh, sigmoid, silu, gelu, gelu_tanh, mish");
    for row in &rows {
        for simplified in [true, false] {
            let sa = sa(&row.expression, simplified);
            let sa_exempt = if row.name == "mish" {
                assert_eq!(foil_compiler::print::to_spec(&sa.exprs[0]), MishSa::FORM);
                MishSa::exemptions(POINTS)
            } else {
                Exemptions::default()
            };
            for (f, exempt) in [(sa, sa_exempt), (hd_fgd(&row.expression, simplified), Exemptions::default())] {
                assert_within(&f, POINTS, 30.0, BOUND, exempt);
                assert_within(&f, POINTS, 88.0, BOUND, exempt);
            }
        }
    }
}

/// `exprs` lowered and evaluated in f64 at `point` (variables u1, u2, ...)
/// against `foil_compiler::eval` on the IR: the rewrites keep values.
fn same_values(exprs: &[&str], point: &[f64]) -> Lowered {
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let names: Vec<Symbol> = (1..=point.len()).map(|i| Symbol::from(format!("u{i}").as_str())).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let got = run::<f64>(&lowered, &names, point);
    for (e, g) in parsed.iter().zip(&got) {
        let want = eval_n(e, &names, point);
        assert!((g - want).abs() <= 1e-12 * want.abs().max(1.0) || (g.is_nan() && want.is_nan()), "{e}: lowered {g}, IR {want}");
    }
    lowered
}

fn count(l: &Lowered, what: impl Fn(&SafeOp) -> bool) -> usize {
    l.ops.iter().zip(&l.live).filter(|(op, live)| **live && what(op)).count()
}

/// The worst of `error(x, got, want)` over the points `xs` of one
/// variable, `got` each root of `l` run in f32 and `want(x)` its
/// references (an error of `None` is skipped), with the point where it is.
fn worst_in_f32(
    l: &Lowered,
    names: &[Symbol],
    xs: impl IntoIterator<Item = f64>,
    want: impl Fn(f64) -> Vec<f64>,
    error: impl Fn(f64, f64, f64) -> Option<f64>,
) -> (f64, f64) {
    let (mut worst, mut at) = (0.0f64, 0.0);
    for x in xs {
        for (g, w) in run::<f32>(l, names, &[x]).iter().zip(want(x)) {
            if let Some(e) = error(x, *g as f64, w) {
                // A NaN error (a NaN result) is the worst, and stays so.
                let e = if e.is_nan() { f64::INFINITY } else { e };
                if e > worst {
                    (worst, at) = (e, x);
                }
            }
        }
    }
    (worst, at)
}

#[test]
fn cancelling_shapes_are_rewritten_and_keep_their_values() {
    let expm1 = |op: &SafeOp| matches!(op, SafeOp::Call(Func::Expm1, _));
    let exp = |op: &SafeOp| matches!(op, SafeOp::Call(Func::Exp, _));
    for point in [[0.3, -0.7, 2.5, 1.25], [-3.0, 3.0, 0.5, -0.5], [20.0, 19.5, -4.0, 7.0]] {
        // A difference, either way round and with signs through `neg`.
        let l = same_values(&["exp(u1) - exp(u2)", "-exp(u2) + exp(u1)", "exp(u2) - exp(u1)"], &point);
        // Built once: the two orders share one safe difference.
        assert_eq!(count(&l, expm1), 1);
        // A difference in a sum with other terms, and two pairs.
        let l = same_values(&["u3 + exp(u1) - exp(u2) + u4", "exp(u1) - exp(u2) + exp(u3) - exp(u4)"], &point);
        assert_eq!(count(&l, expm1), 2, "(u1, u2) in both, (u3, u4)");
        // A quotient of two differences, a log of one, a product with an exponential.
        let l =
            same_values(&["(exp(u1) - exp(u2))/(exp(u3) - exp(u4))", "log(exp(u1) - exp(u2)) + log(exp(u3) - exp(u4))", "exp(u3)*(exp(u1) - exp(u2))"], &point);
        assert_eq!(count(&l, expm1), 2, "the two differences, shared by all three");
        assert!(count(&l, |op| matches!(op, SafeOp::Call(Func::Log, _))) == 2);
        // c - c/(1 + t), rewritten as one quotient.
        same_values(&["1 - 1/(1 + exp(u1))", "2 - 2/(1 - exp(u2))", "u3 - 1/(1 + exp(-u4)) + 1"], &point);
        // Same-sign sums are left as they are.
        let l = same_values(&["exp(u1) + exp(u2)", "-exp(u1) - exp(u2)"], &point);
        assert_eq!((count(&l, expm1), count(&l, exp)), (0, 2));
    }
    // Where 1/(1 + t) rounds to c in f32, c - c/(1 + t) keeps its digits:
    // about 2e-9 and -4e-9 here, 0 when computed as written.
    let exprs = ["1 - 1/(1 + exp(u1))", "2 - 2/(1 - exp(u2))", "u3 - 1/(1 + exp(-u4)) + 1"].map(|e| foil_compiler::parse::parse(e).unwrap());
    let names: Vec<Symbol> = ["u1", "u2", "u3", "u4"].iter().map(|v| Symbol::from(*v)).collect();
    let u = [-20.0, -20.0, 0.0, 20.0];
    let got = run::<f32>(&lower_exprs(&exprs.iter().collect::<Vec<_>>()), &names, &u);
    for (e, g) in exprs.iter().zip(got) {
        let want = eval_n(e, &names, &u);
        assert!(((g as f64 - want) / want).abs() < 1e-6, "{e}: {g} vs {want}");
    }
    // Exactly 0 where the exponents are equal (where e^a - e^a would be inf - inf beyond 88.7).
    let e: Expr = foil_compiler::parse::parse("(exp(u1) - exp(u2))/(exp(u3) + exp(u4))").unwrap();
    let l = lower_exprs(&[&e]);
    let names: Vec<Symbol> = ["u1", "u2", "u3", "u4"].iter().map(|v| Symbol::from(*v)).collect();
    assert_eq!(run::<f32>(&l, &names, &[5.0, 5.0, 1.0, -2.0])[0], 0.0);
    assert_eq!(run::<f32>(&l, &names, &[-100.0, -100.0, -120.0, -130.0])[0], 0.0);
}

/// The partials of tanh's SA read `e^-u1` and `e^u2` anyway (as their
/// halves `e^((-u1 - m)/2)`, `e^((u2 - m)/2)`, each used as `h·(h·r)`):
/// their difference's `e^(max/2)` is taken as the larger of the two, not
/// computed again; the value alone computes it once. The denominator's two exponentials,
/// divided by the larger, are 1 and one computed exponential (the square of
/// `e^(-|u3 + u4|/2)`), which the partials' products `e^X·e^-|u3 + u4|` take
/// their half of.
#[test]
fn safe_differences_reuse_the_exponentials_a_gradient_has() {
    let f = sa("tanh(x)", true);
    let exps = |exprs: &[Expr]| count(&lower_exprs(&exprs.iter().collect::<Vec<_>>()), |op| matches!(op, SafeOp::Call(Func::Exp, _)));
    let expm1s = |exprs: &[Expr]| count(&lower_exprs(&exprs.iter().collect::<Vec<_>>()), |op| matches!(op, SafeOp::Call(Func::Expm1, _)));
    // Value: e^(max/2), one for the denominator's pair, and one expm1.
    assert_eq!((exps(&f.exprs[..1]), expm1s(&f.exprs[..1])), (2, 1));
    // Gradient: e^-u1 and e^u2 (shifted, halved; e^(X/2) is their max),
    // the denominator's pair as one, and one expm1: the 4 exponentials of
    // the cancelling form (before the safe form: 4 exponentials, no expm1).
    assert_eq!((exps(&f.exprs[1..]), expm1s(&f.exprs[1..])), (3, 1));
    // The four partials divide by D or D² through one reciprocal.
    let divs = count(&lower_exprs(&f.exprs[1..].iter().collect::<Vec<_>>()), |op| matches!(op, SafeOp::Div(..)));
    assert_eq!(divs, 1);
}

/// A maximum that one rewrite builds as `max(0, a)` and another as
/// `max(a, 0)` is one node, so a difference normalised by that same maximum
/// takes no exponential: mish's SA computed `e^(0.5·(max(0, -u4) -
/// max(-u4, 0)))`, which is 1, in its value and again in its gradient. No
/// suite split function keeps a self-difference or a maximum twice.
#[test]
fn a_maximum_is_one_node_and_a_difference_normalised_by_it_takes_no_exponential() {
    let transcendental = |l: &Lowered| count(l, |op| matches!(op, SafeOp::Call(Func::Exp | Func::Expm1, _) | SafeOp::NegExpm1(_)));
    let mish = sa("mish(x)", true);
    let (value, gradient) = (lower_exprs(&[&mish.exprs[0]]), lower_exprs(&mish.exprs[1..].iter().collect::<Vec<_>>()));
    // Value: e^(-u2 - m), 1 - e^-u3, e^-|u4| and the expm1 of the
    // denominator's pair, 1 - e^-u5 (5, and 6 with the e^0).
    assert_eq!((transcendental(&value), transcendental(&gradient)), (5, 11));
    for row in foil_compiler::suite::embedded_suite().into_iter().filter(|r| r.sa_required) {
        for f in [sa(&row.expression, true), hd_fgd(&row.expression, true)] {
            for l in [lower_exprs(&[&f.exprs[0]]), lower_exprs(&f.exprs[1..].iter().collect::<Vec<_>>())] {
                let live: Vec<(usize, &Math)> = l.nodes.as_ref().iter().enumerate().filter(|(i, _)| l.live[*i]).collect();
                for (i, node) in &live {
                    let op = &l.ops[*i];
                    assert!(!matches!(op, SafeOp::Sub(a, b) if a == b), "{}: node {i} is a self-difference", f.name);
                    if let Math::Max([a, b]) = node {
                        assert!(!live.iter().any(|(_, n)| **n == Math::Max([*b, *a]) && a != b), "{}: max of {a}, {b} twice", f.name);
                    }
                }
            }
        }
    }
}

/// A pair of exponentials divided by the larger, `e^(p - max(p, q))` and
/// `e^(q - max(p, q))`, is one exponential and a choice, and the merged
/// `e^(X + p - max(p, q))`, `e^(X + q - max(p, q))` are
/// `g·g`, `g = e^(X/2)·where(.., 1, e^(-|p - q|/2))`: the f32 values of
/// computing each directly to 3 ulp (the two halves' roundings and the
/// square's), at ties, at huge differences and at f32-sized inputs, with
/// no overflow or underflow that the direct form does not have (X and
/// |p - q| can each be beyond f32's exponential range where their
/// difference is not); NaN where an input is NaN.
#[test]
fn a_normalised_pair_of_exponentials_is_one_exponential_and_keeps_the_f32_values() {
    let exprs = [
        "exp(u1 - max(u1, u2))",
        "exp(u2 - max(u1, u2))",
        "exp(-max(0, u1))",
        "exp(u1 - max(0, u1))",
        "exp(u3 + (u1 - max(u1, u2)))",
        "exp((u2 - max(u1, u2)) + u3)",
    ]
    .map(|e| foil_compiler::parse::parse(e).unwrap());
    let l = lower_exprs(&exprs.iter().collect::<Vec<_>>());
    let exp = |op: &SafeOp| matches!(op, SafeOp::Call(Func::Exp, _));
    // e^(-|u1 - u2|/2), e^(-|u1|/2), and e^(u3/2).
    assert_eq!(count(&l, exp), 3);
    let names: Vec<Symbol> = ["u1", "u2", "u3"].iter().map(|v| Symbol::from(*v)).collect();
    let values = [0.0f32, -0.0, 1e-30, -3.5, 3.5, 20.0, -20.0, 88.0, -88.0, -104.0, 1e20, -1e20, f32::MAX, -f32::MAX];
    for &a in &values {
        for &c in &values {
            // X up to 176 with |p - q| up to 176 (tanh's SA and F over
            // [-88, 88]^4; beyond |p - q| = 174.6 the half e^(-|p - q|/2)
            // is subnormal and keeps fewer bits).
            for x in [0.0f32, -7.25, 60.0, 88.0, -88.0] {
                let got = run::<f32>(&l, &names, &[a as f64, c as f64, x as f64]);
                let m = a.max(c);
                // The exponents rounded as the lowering rounds them, the
                // exponential in f64.
                let exponents = [a - m, c - m, -(0f32.max(a)), a - 0f32.max(a), x + (a - m), (c - m) + x];
                for (k, (g, e)) in got.iter().zip(exponents).enumerate() {
                    let w = (e as f64).exp();
                    let ok = if w > f32::MAX as f64 {
                        g.is_infinite()
                    } else {
                        (*g as f64 - w).abs() <= 3.0 * f32::EPSILON as f64 * w + 2.0 * f32::from_bits(1) as f64
                    };
                    assert!(ok, "{}: at ({a:e}, {c:e}, {x:e}) {g:e} vs {w:e}", exprs[k]);
                }
            }
        }
        let nan = run::<f32>(&l, &names, &[f64::NAN, a as f64, 1.0]);
        assert!(nan.iter().all(|v| v.is_nan()), "NaN in u1 at u2 = {a:e}: {nan:?}");
    }
}

/// The denominator of a normalised pair, `e^(p - m) + e^(q - m)` with
/// `m = max(p, q)`, is `1 + e^-|p - q|`: no comparison or choice left, the
/// f32 value of the two choices summed (at ties, where both are 1; at
/// huge differences; NaN where an input is NaN), and `-(…) - (…)` likewise.
#[test]
fn a_normalised_pair_sums_to_one_plus_one_exponential() {
    let exprs =
        ["exp(u1 - max(u1, u2)) + exp(u2 - max(u1, u2))", "-exp(u1 - max(u1, u2)) - exp(u2 - max(u1, u2))"].map(|e| foil_compiler::parse::parse(e).unwrap());
    let l = lower_exprs(&exprs.iter().collect::<Vec<_>>());
    assert_eq!(count(&l, |op| matches!(op, SafeOp::Where(..) | SafeOp::Compare(..))), 0);
    assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(Func::Exp, _))), 1);
    let names: Vec<Symbol> = ["u1", "u2"].iter().map(|v| Symbol::from(*v)).collect();
    let values = [0.0f32, -0.0, 1e-30, -3.5, 3.5, 20.0, -20.0, 88.0, -104.0, 1e20, f32::MAX, -f32::MAX];
    for &a in &values {
        for &c in &values {
            let got = run::<f32>(&l, &names, &[a as f64, c as f64]);
            let m = a.max(c);
            let want = (a - m).exp() + (c - m).exp();
            assert_eq!((got[0].to_bits(), got[1].to_bits()), (want.to_bits(), (-want).to_bits()), "at ({a:e}, {c:e})");
        }
        let nan = run::<f32>(&l, &names, &[f64::NAN, a as f64]);
        assert!(nan.iter().all(|v| v.is_nan()), "NaN in u1 at u2 = {a:e}: {nan:?}");
    }
}

/// tanh of a softplus (mish's `tanh(log(1 + e^x))`, in each spelling the
/// IR has) and a division by its cosh (mish's derivative divides by
/// `cosh(..)^2`) are quotients in one exponential, `e^-|x|`, with no
/// logarithm and no other exponential; a division by any other cosh
/// (gelu_tanh's derivative), `sinh/cosh` and `log(cosh)` (logcosh and its
/// derivative) have no cosh left. Their f32 values are within a few ulps of
/// f64's on SPEC §5's scale from -100 to 100 (beyond |x| ≈ 89.4, where
/// cosh leaves f32, and where `e^-|x|` underflows), and NaN for a NaN
/// input.
#[test]
fn hyperbolic_forms_take_one_exponential_and_keep_the_f32_values() {
    let softplus_forms =
        ["tanh(log(1 + exp(u1)))", "tanh(log1p(exp(u1)))", "u1*tanh(log(exp(u1) + 1))", "1/cosh(log1p(exp(u1)))^2", "u1/cosh(log(1 + exp(u1)))"];
    let others = ["log(cosh(u1))", "sinh(u1)/cosh(u1)", "(1 + u1^2)/cosh(0.8*u1)^2", "u1/cosh(u1)"];
    let hyperbolic = |op: &SafeOp| matches!(op, SafeOp::Call(Func::Tanh | Func::Cosh | Func::Sinh, _));
    for point in [[-30.0], [-2.5], [-0.25], [0.0], [0.75], [3.0], [40.0]] {
        let l = same_values(&softplus_forms, &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(Func::Exp, _))), 1, "one e^-|u1| shared by all");
        assert_eq!(count(&l, |op| hyperbolic(op) || matches!(op, SafeOp::Call(Func::Log | Func::Log1p | Func::Expm1, _) | SafeOp::Softplus(_))), 0);
        let l = same_values(&others, &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(Func::Cosh | Func::Sinh, _))), 0);
    }
    let names = [Symbol::from("u1")];
    // f64 references: softplus without overflow, then the hyperbolics of it.
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
    let references: [(&[&str], &dyn Fn(f64) -> Vec<f64>); 2] = [
        (&softplus_forms, &|x| {
            let s = softplus(x);
            vec![s.tanh(), s.tanh(), x * s.tanh(), 1.0 / (s.cosh() * s.cosh()), x / s.cosh()]
        }),
        (&others, &|x: f64| vec![x.cosh().ln(), x.tanh(), (1.0 + x * x) / (0.8 * x).cosh().powi(2), x / x.cosh()]),
    ];
    for (exprs, want) in references {
        let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
        let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
        let xs = (-2000..=2000).map(|k| k as f64 * 0.05);
        let (worst, at) = worst_in_f32(&lowered, &names, xs, want, |_, g, w| Some(error(g, w)));
        assert!(worst < 4.0 * f32::EPSILON as f64, "{exprs:?}: worst error {worst:e} at x = {at}");
        assert!(run::<f32>(&lowered, &names, &[f64::NAN]).iter().all(|v| v.is_nan()));
    }
}

/// `c ± c·tanh(z)` (gelu_tanh's `1 + tanh(z)`, its HD-FGD partial
/// `0.5 + 0.5·tanh(z)`) is a quotient in one exponential with no tanh left,
/// and keeps its relative accuracy where tanh(z) → ∓1 and the sum as
/// written cancels (1 + tanh(-8) is 2.3e-7 in f32 as written, 2.25e-7
/// exactly): within a few ulps relative from -40 to 40 wherever the value
/// is a normal f32.
#[test]
fn one_plus_tanh_is_a_quotient_and_keeps_its_relative_accuracy() {
    let exprs = ["1 + tanh(u1)", "0.5 - 0.5*tanh(u1)", "u1*(3 + tanh(u1)*3)", "-2 - 2*tanh(u1)"];
    for point in [[-30.0], [-2.5], [0.0], [0.75], [40.0]] {
        let l = same_values(&exprs, &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(Func::Tanh, _))), 0);
    }
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let names = [Symbol::from("u1")];
    // 1 + tanh(x) = 2/(1 + e^-2x) and 1 - tanh(x) = 2/(1 + e^2x), without f64's own cancellation.
    let plus = |x: f64| 2.0 / (1.0 + (-2.0 * x).exp());
    // At the f32 input: e^2x magnifies x's own rounding |2x|-fold.
    let xs = (-4000..=4000).map(|k| (k as f64 * 0.01) as f32 as f64);
    let want = |x: f64| vec![plus(x), 0.5 * plus(-x), x * 3.0 * plus(x), -2.0 * plus(x)];
    let relative = |_, g: f64, w: f64| (w.abs() >= f32::MIN_POSITIVE as f64).then(|| ((g - w) / w).abs());
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, relative);
    assert!(worst < 4.0 * f32::EPSILON as f64, "worst relative error {worst:e} at x = {at}");
}

/// `a^(m + 1/2)` is a square root and multiplications, never a `powf`
/// (an exp2 of a log2 on GPUs), with the IR's values, NaN for a < 0
/// included, and within a few f32 ulps of f64 where it is finite.
#[test]
fn half_integer_powers_are_square_roots_and_products() {
    let exprs = ["(1 + u1^2)^1.5", "(1 + u1^2)^-1.5", "u1^2.5", "u1^-0.5", "(2 + u1)^4.5"];
    for point in [[-3.0], [-0.5], [0.25], [2.0], [40.0]] {
        let l = same_values(&exprs, &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Powf(..))), 0);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(Func::Sqrt, _))), 3, "one square root per base");
    }
    same_values(&exprs[..1], &[0.0]);
    same_values(&exprs[2..3], &[0.0]);
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let names = [Symbol::from("u1")];
    let xs = (-5000..=5000).map(|k| (k as f64 * 0.01) as f32 as f64);
    let want = |x: f64| parsed.iter().map(|e| eval_n(e, &names, &[x])).collect();
    let relative = |x, g: f64, w: f64| {
        if w.is_nan() || w == 0.0 || w.is_infinite() {
            assert!(g.is_nan() == w.is_nan(), "at {x}: {g} against {w}");
            return None;
        }
        Some(((g - w) / w).abs())
    };
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, relative);
    assert!(worst < 8.0 * f32::EPSILON as f64, "worst relative error {worst:e} at u1 = {at}");
}

/// Every suite GA's g', as emitted, in f32 against its f64 value over
/// [-30, 30] on SPEC §5's scale (the device tests' bound). The derivation
/// prints 1/f' instead of the derivative of g only where 1/f' adds
/// nonnegative terms: isru's 1/f' as simplified, s^2/(s - x^2/s) with
/// s = sqrt(1 + x^2), loses its digits in f32 as |x| grows (6e-5 at 30).
#[test]
fn suite_ga_derivatives_keep_their_f32_digits() {
    let names = [Symbol::from("x")];
    let mut checked = Vec::new();
    for row in foil_compiler::suite::embedded_suite() {
        let f = foil_compiler::parse::parse(&row.expression).unwrap();
        let Ok(ga) = foil_compiler::ga::derive_global_adversarial(&f, &options()) else { continue };
        if !ga.closed_form {
            continue;
        }
        let lowered = lower_exprs(&[&ga.adversarial_derivative]);
        let xs = (-3000..=3000).map(|k| (k as f64 * 0.01) as f32 as f64);
        let want = |x: f64| vec![eval_n(&ga.adversarial_derivative, &names, &[x])];
        let (worst, at) = worst_in_f32(&lowered, &names, xs, want, |_, g, w| Some(error(g, w)));
        assert!(worst <= 1e-5, "{}: g' = {} is off by {worst:e} at x = {at}", row.name, foil_compiler::print::to_spec(&ga.adversarial_derivative));
        checked.push(row.name);
    }
    assert_eq!(checked.len(), 12, "the suite's closed-form GAs: {checked:?}");
    let asinh = foil_compiler::ga::derive_global_adversarial(&foil_compiler::parse::parse("asinh(x)").unwrap(), &options()).unwrap();
    assert_eq!(foil_compiler::print::to_spec(&asinh.adversarial_derivative), "sqrt(1 + x*x)");
}

/// Every suite closed-form GA, and sixteen outside the suite, g and g′ each
/// lowered on its own as the kernels are, in f32 at ±10^(k/1000) from 1e-3
/// to f32::MAX and on [-20, 20] every 1/2000: finite wherever the value fits
/// in f32 (no early overflow), and
/// within 1e-5 on SPEC §5's scale. The value is f64 on the IR, or where that
/// overflows f64 as written (`log(2 + e^(2x))` from x = 355), the lowered
/// form in f64 (`Lowered::eval`). Before the products with sinh, cosh and
/// expm1 were one operation, tanh's g was inf from |x| = 44.72 (fits to
/// 45.4) and its g′ too (to 45.05), sigmoid(2x)'s g likewise; softsign's
/// and atan's g from 6.98e12 (to 1.0e13; lavapipe, which may reassociate
/// `c·(x·x·x)`, did not show atan's); bent_identity's g′ read 0 from
/// 2.27e38; `x - exp(-2*x)`'s g was inf past f32::MAX/2 and
/// `softplus(2*x)/2`'s from −44.36. `x + 0.001*sinh(x)`'s g, a difference
/// of logarithms as one log1p of a quotient near −1, was 2e-2 off at
/// x = −10. `tanh(x) + tanh(2*x)`'s and `tanh(x) + tanh(3*x)`'s g were inf
/// from 44.46 (they fit to about 45.4). `x + 0.1*tanh(x)`'s and `x +
/// 2*tanh(x)`'s g′, `(√11/22)·e^2x·(2/(e^2x + 1.86) - 2/(e^2x + 0.54))`,
/// kept e^2x outside the quotients (its factor √11/22 was not read as a
/// constant): NaN from x = 44 in f32 and from 354.3 in f64, so the
/// closed form did not certify there and the GA was numeric, as were
/// `0.01*x + tanh(x)`'s and `tanh(x) + 0.5*x`'s. The GAs of `x + c*asinh(x)`
/// and `x + c*isru(x)`, in v = x/(1 + sqrt(1 + x²)): `v·(v + 0.93)` was
/// pulled into `x·(v + 0.93)/(1 + S)`, inf from 1.76e38, and their g′ held
/// `x·(-2x)/(2·sqrt(1 + x²))` (NaN from 1.3e19) and `(x + x)/(2·S)`.
#[test]
fn ga_forms_are_finite_wherever_their_values_fit() {
    let mut xs: Vec<f64> = (-3000..=38_531).map(|k| 10f64.powf(k as f64 / 1000.0) as f32 as f64).collect();
    xs.extend((0..=40_000).map(|k| (k as f64 / 2000.0) as f32 as f64));
    xs.push(f32::MAX as f64);
    xs.extend(xs.clone().iter().map(|x| -x));
    let mut sources: Vec<String> = foil_compiler::suite::embedded_suite().into_iter().map(|row| row.expression).collect();
    sources.extend(
        [
            "selu(x)",
            "x + tanh(x)",
            "x - exp(-2*x)",
            "softplus(2*x)/2",
            "x + 0.001*sinh(x)",
            "tanh(x) + tanh(2*x)",
            "tanh(x) + tanh(3*x)",
            "tanh(x) + sigmoid(x)",
            "sigmoid(x) + sigmoid(2*x)",
            "x + 0.1*tanh(x)",
            "x + 2*tanh(x)",
            "0.01*x + tanh(x)",
            "tanh(x) + 0.5*x",
            "sign(x)*log(1 + abs(x))",
            "sign(x)*sqrt(abs(x))",
            "x + sign(x)*sqrt(abs(x))",
            "x + asinh(x)",
            "x + 0.5*asinh(x)",
            "x + 2*asinh(x)",
            "asinh(x) + 0.1*x",
            "x + 0.5*isru(x)",
            "x + 2*isru(x)",
            "isru(x) + 0.1*x",
            "x + 3*asinh(x)",
            "x + 10*isru(x)",
            // Partial fractions: logarithms of quadratics, rational g′.
            "x^5 + x^3 + x",
            "x + x^2/(1+x^2)",
            "x + 0.5*x/(1 + x^2)",
            "softsign(x)^3 + x",
            "log(1 + x^2) + 2*x",
            // A scaled exponential shared with an arctangent.
            "tanh(x) + tanh(x)^3/3",
            // Numeric: their closed forms' terms cancel for long
            // (`ga::MAX_F32_ROUNDING`), or the radicand is not c·(1 + x²)
            // (`integrate::algebraic::half_angle`).
            "asinh(x) + 0.05*x",
            "x + 30*asinh(x)",
            "asinh(2*x) + 0.1*x",
            "x + x/sqrt(4 + x^2)",
        ]
        .map(String::from),
    );
    let mut checked = 0;
    for src in &sources {
        let f = foil_compiler::parse::parse(src).unwrap();
        let Ok(ga) = foil_compiler::ga::derive_global_adversarial(&f, &options()) else { continue };
        if !ga.closed_form {
            continue;
        }
        for (what, e) in [("g", &ga.adversarial), ("g'", &ga.adversarial_derivative)] {
            let (worst, at) = worst_where_it_fits(e, &xs);
            assert!(worst <= 1e-5, "{src}: {what} = {} is off by {worst:e} at x = {at:e}", foil_compiler::print::to_spec(e));
        }
        checked += 1;
    }
    assert_eq!(checked, 12 + 31, "the suite's closed-form GAs and 31 more");
}

/// The activations' own f and f′ (what `activation!` and the trainer's
/// baseline kernels compute), over the GA forms' points (every third of
/// the logarithmic ones, and [-20, 20] every 1/200), to f32::MAX. Before
/// this test: isru's f′ held `x·(-2x/(2·sqrt(1 + x²)))` and bent_identity's
/// `x/(2·sqrt(1 + x²))`, whose `2·sqrt(…)` and `-2x` overflow from
/// f32::MAX/2 (NaN, and 1 instead of 1.5, from 1.7e38); sigmoid(2x)'s
/// `2e^(-2x)/(e^(-2x) + 1)²` was NaN below -1.7e38 (`-2x - 2·max(-2x, 0)`,
/// inf - inf); gelu_tanh's `x·(…x²)·sech²(z)` was inf·0 = NaN from
/// 1.5e13, where f′ is 1.
#[test]
fn activation_forms_are_finite_wherever_their_values_fit() {
    let xs = form_points();
    let limits = Limits::default();
    let mut failures = Vec::new();
    for row in foil_compiler::suite::embedded_suite() {
        let f = foil_compiler::parse::parse(&row.expression).unwrap();
        let (df, _) = foil_compiler::simplify::simplify(&derivative(&f, "x"), &limits);
        for (what, e) in [("f", &f), ("f'", &df)] {
            let (worst, at) = worst_where_it_fits(e, &xs);
            if !(worst <= 1e-5) {
                failures.push(format!("{}: {what} = {} is off by {worst:e} at x = {at:e}", row.expression, foil_compiler::print::to_spec(e)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The survey's activations (tests/survey.txt) as f and f′, lowered and
/// run in f32 at the points of the suite's test above: each within 1e-5 of
/// its value wherever that fits f32. The reference is f64 on the IR, and
/// where that is not finite or disagrees, the IR at 256 or 1024 bits (f64's own
/// overflow is no verdict: `log(sigmoid(x))`'s f′ as simplified,
/// `(e^-x + 1)·(e^-x/(e^-x + 1)²)`, is 0 in f64 below x ≈ -354 where it is
/// 1). The forms the lowering has no safe form for yet are listed, and
/// must still fail, so the list (and README → Not yet) stays true.
#[test]
fn survey_activation_forms_are_finite_wherever_their_values_fit() {
    // (expression, failing outputs, f being 0 and f′ 1, why): what README →
    // Not yet says.
    const NOT_YET: &[(&str, &[usize], &str)] = &[
        ("x + sin(3*x)^2/3", &[0, 1], "3x overflows f32 from 1.1e38; in f′ it is rounded to f32 too (1.3e-5 at x = 42.9)"),
        ("x + 0.3*sin(2*x)", &[0, 1], "2x overflows f32 from 1.7e38"),
        ("log(x + sqrt(x^2+1))", &[0], "x + sqrt(1 + x²) overflows f32 from 1.7e38"),
        ("x*exp(-x^2)", &[1], "e^(-x²)·(-2x²) is 0·inf from 1.3e19"),
        ("x/(1 + x^2)^(1/3)", &[1], "x² overflows from 2.3e19"),
        ("isru(x, 0.5)", &[1], "x² overflows from 2.6e19"),
        ("x + 2*x/sqrt(1 + 3*x^2)", &[1], "f′'s 12x overflows f32 from 9.9e37"),
        ("asinh(2*x) + 0.1*x", &[0], "2x overflows f32 from 1.7e38"),
        ("softplus(2*x)/2", &[0], "2x overflows f32 from 1.7e38"),
        ("bent_identity(x)^2", &[1], "2x overflows f32 from 1.7e38"),
        ("x*atan(x) + x", &[0], "x·atan(x) overflows f32 from 2.2e38"),
        ("sqrt(1 + x^2) + 1.5*x", &[0], "1.5x overflows f32 from 2.3e38"),
    ];
    let limits = Limits::default();
    let activation = |src: &str| {
        let f = foil_compiler::parse::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let (df, _) = foil_compiler::simplify::simplify(&derivative(&f, "x"), &limits);
        Some(SplitFn { name: src.to_string(), vars: vec!["x".into()], exprs: vec![f, df], ranges: vec![None] })
    };
    check_survey_forms(activation, NOT_YET);
}

/// [`first_failures_on_the_diagonal`] of one expression in x.
fn first_failure_where_it_fits(e: &Expr, xs: &[f64]) -> Option<(f64, f64, f64)> {
    first_failures_on_the_diagonal(&[e], &[Symbol::from("x")], xs).remove(0)
}

/// For each of `exprs` (in the variables `names`, lowered together as the
/// macros emit a gradient), the first of `xs` (in their order) where it
/// lowered and run in f32 at x in every variable is more than 1e-5 off its
/// value (SPEC §5's scale), that value fitting f32: (x, f32 result, value).
/// The value is f64 on the IR where the f32 result agrees with it; else the
/// IR at 256 bits (1024 to confirm a failure), or where that passes
/// astro-float's range, its overflow-safe form (the lowering's exact
/// identities alone, [`foil_compiler::lower::overflow_safe_forms`]) so;
/// where both pass it (an exponential of ±7.4e8 or more), the lowered
/// form in f64, as [`worst_where_it_fits`] takes it.
fn first_failures_on_the_diagonal(exprs: &[&Expr], names: &[Symbol], xs: &[f64]) -> Vec<Option<(f64, f64, f64)>> {
    let lowered = lower_exprs(exprs);
    let (safe, safe_roots) = foil_compiler::lower::overflow_safe_forms(exprs);
    let mut cc = astro_float::Consts::new().expect("astro-float's constants");
    let fails = |got: f64, want: f64| want.abs() <= f32::MAX as f64 && !(error(got, want) <= 1e-5);
    let mut first = vec![None; exprs.len()];
    for &x in xs {
        let point = vec![x; names.len()];
        let got = run::<f32>(&lowered, names, &point);
        for (i, e) in exprs.iter().enumerate() {
            let got = got[i] as f64;
            let near = eval_n(e, names, &point);
            if first[i].is_some() || (near.is_finite() && !fails(got, near)) {
                continue;
            }
            // 256 bits, and 1024 to confirm a failure: `x + sqrt(x^2 + 1)` at
            // x = -f32::MAX keeps 10^-77 of its terms' size, and at 256 bits
            // log(x + sqrt(x^2 + 1)) read 9e-4 off from x = -1e37.
            let mut want = |bits| match common::eval_big_finite(e, foil_compiler::lang::root(e), x, bits, &mut cc)
                .or_else(|| common::eval_big_finite(&safe, safe_roots[i], x, bits, &mut cc))
            {
                Some(v) => common::to_f64(&v),
                None => lowered.eval(names, &point)[i],
            };
            if fails(got, want(256)) {
                let want = want(1024);
                if fails(got, want) {
                    first[i] = Some((x, got, want));
                }
            }
        }
    }
    first
}

/// Every suite row's HD-FGD F and its partials, as the macros emit them
/// (the partials simplified and lowered together), on the diagonal (every
/// input x, where F is f) at the points of the activation forms' test:
/// within 1e-5 wherever the value fits f32. logcosh's F,
/// `log((e^u + e^-u)/2)`, was inf from u ≈ 88.7, where it is about 88 (the
/// off-diagonal test above takes only the six rows whose SA the suite
/// requires, to ±88).
#[test]
fn suite_hd_fgd_forms_are_finite_on_the_diagonal() {
    let xs = form_points();
    let mut failures = Vec::new();
    for row in foil_compiler::suite::embedded_suite() {
        let f = hd_fgd(&row.expression, true);
        failures.extend(split_failures_on_the_diagonal(&f, &xs).into_iter().map(|(_, failure)| failure));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each output of a split function (its value, then each partial) that
/// [`first_failures_on_the_diagonal`] finds off, lowered as the macros emit
/// them (the value alone, the partials together): its index, and what was
/// wrong where.
fn split_failures_on_the_diagonal(f: &SplitFn, xs: &[f64]) -> Vec<(usize, String)> {
    let names: Vec<Symbol> = f.vars.iter().map(|v| Symbol::from(v.as_str())).collect();
    let value = first_failures_on_the_diagonal(&[&f.exprs[0]], &names, xs);
    let partials = first_failures_on_the_diagonal(&f.exprs[1..].iter().collect::<Vec<_>>(), &names, xs);
    value
        .into_iter()
        .chain(partials)
        .enumerate()
        .filter_map(|(i, failure)| {
            let (x, got, want) = failure?;
            Some((i, format!("{}: output {i}, {}, is {got:e} at x = {x:e}, where it is {want:e}", f.name, foil_compiler::print::to_spec(&f.exprs[i]))))
        })
        .collect()
}

/// The survey's forms (`forms` of each expression of survey.txt, where it
/// gives one: the activation with its f′, or a split function with its
/// partials) on the diagonal at [`form_points`], every output within 1e-5
/// wherever its value fits f32, but those `not_yet` lists by expression
/// with the outputs that fail (README → Not yet), which must still fail,
/// exactly those, so that the list stays true.
fn check_survey_forms(forms: impl Fn(&str) -> Option<SplitFn>, not_yet: &[(&str, &[usize], &str)]) {
    let xs = form_points();
    let (mut failures, mut listed) = (Vec::new(), 0);
    for src in include_str!("survey.txt").lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let Some(f) = forms(src) else { continue };
        let found = split_failures_on_the_diagonal(&f, &xs);
        let outputs: Vec<usize> = found.iter().map(|(i, _)| *i).collect();
        match not_yet.iter().find(|(s, _, _)| *s == src) {
            Some((_, expected, why)) => {
                listed += 1;
                if outputs != *expected {
                    failures.push(format!("{}: outputs {outputs:?} fail, listed as {expected:?} ({why})", f.name));
                    failures.extend(found.into_iter().map(|(_, failure)| failure));
                }
            }
            None => failures.extend(found.into_iter().map(|(_, failure)| failure)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(listed, not_yet.len(), "an entry of the not-yet list names no survey expression with such a form");
}

/// A quotient of polynomials is evaluated in 1/x for |x| > 1 with every
/// coefficient the IR has: `1e-14·x³` is below 1e-12 of the others, and a
/// reading that trimmed it (as the integrator's polynomials do) would give
/// 1e-10 for 1e-4 at x = 1e10.
#[test]
fn quotients_of_polynomials_keep_their_small_coefficients() {
    for src in ["(x + 1e-14*x^3)/(1 + x^2)", "x^3/(1 + x^2 + 1e-15*x^4)", "log(1 + x^2 + 1e-14*x^4)"] {
        let e = foil_compiler::parse::parse(src).unwrap();
        assert_eq!(first_failure_where_it_fits(&e, &form_points()), None, "{src}");
    }
}

/// The points the forms' tests take, in order of |x|: ±10^(k/1000) for
/// every third k from 1e-3 to f32::MAX, f32::MAX itself, and [-20, 20]
/// every 1/200.
fn form_points() -> Vec<f64> {
    let mut xs: Vec<f64> = (-3000..=38_531).step_by(3).map(|k| 10f64.powf(k as f64 / 1000.0) as f32 as f64).collect();
    xs.extend((0..=4_000).map(|k| (k as f64 / 200.0) as f32 as f64));
    xs.push(f32::MAX as f64);
    xs.extend(xs.clone().iter().map(|x| -x));
    xs.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    xs
}

/// A quotient over a normalised sum's square or cube, whose exponent the
/// normalisation shifts twice or three times by max(e, 0): `-2x - 2·max(-2x,
/// 0)` was inf - inf = NaN once -2x overflowed (below -f32::MAX/2), where
/// the quotient is 0.
#[test]
fn twice_and_thrice_normalised_exponents_stay_finite() {
    let mut xs: Vec<f64> = (-3000..=38_531).step_by(7).map(|k| 10f64.powf(k as f64 / 1000.0) as f32 as f64).collect();
    xs.extend([f32::MAX as f64, 0.0, 0.5, 3.0]);
    xs.extend(xs.clone().iter().map(|x| -x));
    for src in ["exp(-2*x)/(1 + exp(-2*x))^2", "exp(-2*x)/(1 + exp(-2*x))^3"] {
        let e = foil_compiler::parse::parse(src).unwrap();
        let (worst, at) = worst_where_it_fits(&e, &xs);
        assert!(worst <= 1e-5, "{src} is off by {worst:e} at x = {at:e}");
    }
}

/// The worst error of `e` (in x) lowered and run in f32 at `xs`, against f64
/// on the IR, or on the lowered form where the IR is not finite (`log(c +
/// e^y)` past y ≈ 709.8), at the points where the value fits f32: an
/// infinity or NaN there is the worst.
fn worst_where_it_fits(e: &Expr, xs: &[f64]) -> (f64, f64) {
    let names = [Symbol::from("x")];
    let lowered = lower_exprs(&[e]);
    let want = |x: f64| {
        let v = eval_n(e, &names, &[x]);
        vec![if v.is_finite() { v } else { lowered.eval(&names, &[x])[0] }]
    };
    let fits = |_: f64, g: f64, w: f64| (w.abs() <= f32::MAX as f64).then(|| error(g, w));
    worst_in_f32(&lowered, &names, xs.iter().copied(), want, fits)
}

/// isru's g' is its 1/f' with the cancelling sum collected,
/// sqrt(1 + x²) + x²·sqrt(1 + x²) = (1 + x²)^(3/2): no division and no
/// difference. The derivative of g it replaces held (x·(0.625x + 0.25x³))/
/// (2·sqrt(1 + x²)), whose numerator, 0.25x⁴, overflowed from |x| ≈ 6.1e9:
/// inf where the true value (2.3e29 there) fits, up to 4.9e12; and from
/// 1.7e38, where 2·sqrt(1 + x²) overflows too, inf/inf = NaN. The collected
/// form is within 3 ulps of (1 + x²)^(3/2) up to where that passes f32::MAX
/// (|x| ≈ 4.9e12) and +inf beyond, out to f32::MAX.
#[test]
fn isrus_g_prime_is_its_reciprocal_with_the_sum_collected() {
    let f = foil_compiler::parse::parse("isru(x)").unwrap();
    let ga = foil_compiler::ga::derive_global_adversarial(&f, &options()).unwrap();
    let printed = foil_compiler::print::to_spec(&ga.adversarial_derivative);
    assert!(!printed.contains('/') && !printed.contains('-'), "isru's g' = {printed}");
    let names = [Symbol::from("x")];
    let lowered = lower_exprs(&[&ga.adversarial_derivative]);
    let mut xs: Vec<f64> = (-300..=385).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.extend([0.0, 134217727.0, 134217728.0, 6.1e9, 1e12, 4.8e12, 1.3e19, 1.96e38, 2e38, 3e38, f32::MAX as f64].map(|x: f64| x as f32 as f64));
    xs.extend(xs.clone().iter().map(|x| -x));
    let (mut finite, mut infinite) = (0, 0);
    for x in xs {
        let got = run::<f32>(&lowered, &names, &[x])[0] as f64;
        let want = (1.0 + x * x).powf(1.5);
        if want <= f32::MAX as f64 * (1.0 - 4.0 * f32::EPSILON as f64) {
            let ulps = ((got - want) / want).abs() / f32::EPSILON as f64;
            assert!(ulps <= 3.0, "g'({x:e}) = {got:e}, true {want:e}: {ulps} ulps");
            finite += 1;
        } else if want > f32::MAX as f64 * (1.0 + 4.0 * f32::EPSILON as f64) {
            assert_eq!(got, f64::INFINITY, "g'({x:e}) past f32::MAX");
            infinite += 1;
        }
    }
    assert!(finite > 500 && infinite > 100, "{finite} finite, {infinite} infinite");
}

/// A division by a literal is a multiplication by its reciprocal (a full
/// division per lane otherwise), within 1.5 f32 ulps of the quotient; a
/// literal numerator keeps its division.
#[test]
fn a_division_by_a_constant_is_a_product() {
    let exprs = ["u1/3", "(u1 + 1)/9", "atan(u1)/-0.7", "u1/4", "u1/sqrt(2)"];
    for point in [[-3.0], [-0.5], [0.25], [1e30]] {
        let l = same_values(&exprs, &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Div(..))), 0);
        let l = same_values(&["3/u1"], &point);
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Div(..))), 1);
    }
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let names = [Symbol::from("u1")];
    let xs = (-20000..=20000).map(|k| (k as f64 * 0.0137) as f32 as f64);
    // The quotient as f32 computes it from the same f32 numerator.
    let want = |x: f64| {
        let x = x as f32;
        [x / 3.0, (x + 1.0) / 9.0, x.atan() / -0.7, x / 4.0, x / 2f32.sqrt()].map(f64::from).to_vec()
    };
    let ulps = |_, g: f64, q: f64| (q != 0.0).then(|| ((g - q) / q).abs() / f32::EPSILON as f64);
    let (worst, _) = worst_in_f32(&lowered, &names, xs, want, ulps);
    assert!(worst <= 1.5, "worst {worst} ulps (of 2^-23) from the f32 quotient");
}

/// The live operations of `l` that read literals alone (a condition or a
/// `where` aside), each with its node.
fn operations_on_literals(l: &Lowered) -> Vec<String> {
    let literal = |id: Id| foil_compiler::lang::literal_value(&l.nodes[id]).is_some();
    (0..l.ops.len())
        .filter(|&i| l.live[i] && !matches!(l.ops[i], SafeOp::Leaf | SafeOp::Compare(..) | SafeOp::Where(..)))
        .filter(|&i| l.ops[i].operands().into_iter().all(literal))
        .map(|i| format!("{:?} = {:?}", l.ops[i], l.nodes[Id::from(i)]))
        .collect()
}

/// An operation on literals alone is lowered to the literal of its f64
/// value: gelu's SA divides by `sqrt(2)` and multiplies by `sqrt(pi)`,
/// softplus's g adds `log(2)`, and every lane computed them in f32. Over the
/// suite's GA g and g′ and SA functions with their partials, no live
/// operation reads literals alone.
#[test]
fn operations_on_literals_are_literals() {
    let exprs = ["u1*sqrt(2)", "u1 + log(2)", "sqrt(pi)*u1 + (1 + log(2))", "erf(u1/sqrt(2))*sqrt(pi)", "u1^(1/2)"];
    for point in [[-3.0], [0.25], [1e30]] {
        let l = same_values(&exprs, &point);
        assert_eq!(operations_on_literals(&l), Vec::<String>::new());
        // Only erf and the square root of u1 are left to call.
        assert_eq!(count(&l, |op| matches!(op, SafeOp::Call(..))), 2);
    }
    let mut lowered = 0;
    for row in foil_compiler::suite::embedded_suite() {
        let f = foil_compiler::parse::parse(&row.expression).unwrap();
        if let Ok(ga) = foil_compiler::ga::derive_global_adversarial(&f, &options()) {
            let l = lower_exprs(&[&ga.adversarial, &ga.adversarial_derivative]);
            assert_eq!(operations_on_literals(&l), Vec::<String>::new(), "GA of {}", row.name);
            lowered += 1;
        }
        if row.sa_required {
            let f = sa(&row.expression, true);
            let l = lower_exprs(&f.exprs.iter().collect::<Vec<_>>());
            assert_eq!(operations_on_literals(&l), Vec::<String>::new(), "SA of {}", row.name);
            lowered += 1;
        }
    }
    // 12 GAs (every suite row whose GA derives) and the 6 SAs the suite requires.
    assert_eq!(lowered, 18, "functions lowered");
}

/// A mirrored numeric term, g(x) = g(0) + s(x)·G(|x|), has the slope h(0)
/// at x = 0 (gelu_tanh's SA term: 1/t'(0) = sqrt(pi/2)); written with
/// `sign` and `abs`, whose derivatives are 0 at 0, its partial there was
/// 0, at an input a layer with zero bias and zero activations feeds.
#[test]
fn a_mirrored_numeric_term_keeps_its_slope_at_zero() {
    for simplified in [false, true] {
        let f = sa("gelu_tanh(x)", simplified);
        let names: Vec<Symbol> = f.vars.iter().map(|v| Symbol::from(v.as_str())).collect();
        let lowered = lower_exprs(&f.exprs.iter().collect::<Vec<_>>());
        // ∂SA/∂u2 = 0.5·u1·a'(u2), a'(0) = 1/t'(0) = sqrt(pi/2).
        let want = 0.5 * 1.5 * (std::f64::consts::PI / 2.0).sqrt();
        for u2 in [0.0, -0.0, 1e-30, -1e-30] {
            let point = [1.5, u2];
            let in_f64: Vec<f64> = f.exprs.iter().map(|e| eval_n(e, &names, &point)).collect();
            let in_f32: Vec<f32> = run::<f32>(&lowered, &names, &point);
            for (what, got) in [("f64", in_f64[2]), ("f32", in_f32[2] as f64)] {
                assert!(error(got, want) < 1e-6, "{}: ∂/∂u2 at u2 = {u2:e} in {what} is {got}, want {want}", f.name);
            }
        }
    }
}

/// logcosh's `log1p` argument, `expm1(-2|z|)/2`, is known to lie in
/// (-1/2, 0] (the kernels then take `log1p_half`); an `expm1` of a value
/// that may be positive is not.
#[test]
fn a_half_expm1_of_a_non_positive_value_is_recognised() {
    let recognised = |src: &str| {
        let f = foil_compiler::parse::parse(src).unwrap();
        let l = lower_exprs(&[&f]);
        let args: Vec<Id> = l
            .ops
            .iter()
            .zip(&l.live)
            .filter_map(|(op, live)| match op {
                SafeOp::Call(Func::Log1p, a) if *live => Some(*a),
                _ => None,
            })
            .collect();
        assert!(!args.is_empty(), "{src} has a log1p");
        args.iter().all(|a| foil_compiler::lower::half_expm1_of_non_positive(&l.nodes, &l.ops, *a))
    };
    assert!(recognised("log(cosh(x))"));
    assert!(recognised("log1p(expm1(-abs(x))/2)"));
    assert!(!recognised("log1p(expm1(x)/2)"));
    assert!(!recognised("log1p(expm1(-2*x)/2)"));
    assert!(!recognised("log1p(expm1(-abs(x))/3)"));
}

/// `c·atan(a) - c·atan(b)` is one arctangent with its half-turn correction
/// (bent_identity's g holds such a pair), with the f64 values kept and the
/// f32 ones within a few ulps of the difference on SPEC §5's scale, on both
/// sides of a·b = -1, where the correction switches on.
#[test]
fn a_difference_of_arctangents_is_one_arctangent() {
    let exprs = [
        "atan(u1) - atan(0.5*u1 - 3)",
        "2*(sqrt(3)*(atan(sqrt(3)*sqrt(u1*u1 + 1))/9)) + atan(sqrt(3)*(0.5*u1))*(sqrt(3)*(-2/9)) + u1",
        "atan(u1*u1) - atan(-u1)",
    ];
    let atan = |op: &SafeOp| matches!(op, SafeOp::Call(Func::Atan, _));
    for point in [[-40.0], [-3.0], [-1.0], [-0.3], [0.0], [0.7], [2.0], [6.0], [50.0]] {
        for e in exprs {
            let l = same_values(&[e], &point);
            assert_eq!(count(&l, atan), 1, "{e}");
        }
    }
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let names = [Symbol::from("u1")];
    let s3 = 3f64.sqrt();
    let want = |x: f64| {
        vec![
            x.atan() - (0.5 * x - 3.0).atan(),
            2.0 * s3 / 9.0 * (s3 * (x * x + 1.0).sqrt()).atan() - 2.0 * s3 / 9.0 * (s3 * 0.5 * x).atan() + x,
            (x * x).atan() + x.atan(),
        ]
    };
    let xs = (-40000..=40000).map(|k| (k as f64 * 0.0025) as f32 as f64);
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, |_, g, w| Some(error(g, w)));
    assert!(worst < 4.0 * f32::EPSILON as f64, "worst error {worst:e} at x = {at}");
}

/// The arctangents' arguments are clamped to ±2⁶², so bent_identity's g,
/// whose √3·√(x² + 1) passes f32::MAX from x = 1.96e38 (inf/inf = NaN in the
/// quotient before), is within a few ulps of f64 up to f32::MAX, and for
/// x < 0 wherever g fits. The clamps
/// bound the quotient's divisor, so it divides plainly; a clamp is only
/// where the argument's interval reaches 2⁶² (√3·S ≥ 0 needs no lower one).
#[test]
fn arctangent_arguments_are_clamped_so_no_difference_overflows() {
    let g =
        "2*(sqrt(3)*(atan(sqrt(3)*sqrt(u1*u1 + 1))/9)) + (0.26360014128128495 + (atan(sqrt(3)*(0.5*u1))*(sqrt(3)*(-2/9)) + 1/3*(-2*sqrt(u1*u1 + 1) + 4*u1)))";
    for point in [[0.0], [-0.5], [3.0], [-1e19], [1e20], [2e38], [-1.5e38]] {
        same_values(&[g], &point);
    }
    let parsed = foil_compiler::parse::parse(g).unwrap();
    let lowered = lower_exprs(&[&parsed]);
    let live = |f: &dyn Fn(&SafeOp) -> bool| lowered.ops.iter().zip(&lowered.live).filter(|(op, l)| **l && f(op)).count();
    assert_eq!((live(&|op| matches!(op, SafeOp::Min(..))), live(&|op| matches!(op, SafeOp::Max(..)))), (2, 1), "{:?}", lowered.ops);
    let beyond = foil_compiler::lower::beyond_division_range(&lowered);
    assert!(
        !lowered.ops.iter().zip(&lowered.live).any(|(op, l)| *l && matches!(op, SafeOp::Div(_, d) if beyond[usize::from(*d)])),
        "a divisor is still unbounded"
    );
    let names = [Symbol::from("u1")];
    let s3 = 3f64.sqrt();
    let want = |x: f64| {
        let s = (x * x + 1.0).sqrt();
        vec![2.0 * s3 / 9.0 * (s3 * s).atan() + 0.26360014128128495 - 2.0 * s3 / 9.0 * (s3 * 0.5 * x).atan() + (-2.0 * s + 4.0 * x) / 3.0]
    };
    let mut xs: Vec<f64> = (-300..=384).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.extend([1.96e38, 2.0e38, 2.2e38, 2.5e38, 3e38, f32::MAX as f64].map(|x: f64| x as f32 as f64));
    xs.extend(xs.clone().iter().filter(|x| **x <= 1.7e38).map(|x| -x).collect::<Vec<_>>());
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, |_, g, w| Some(error(g, w)));
    assert!(worst < 8.0 * f32::EPSILON as f64, "worst error {worst:e} at x = {at:e}");
}

/// `sqrt(c + k·y²)` is `√k·|y|` from |y| = 2²⁷·√(c/k) on, where y² would
/// overflow f32 from 1.8e19 while the root still fits: f64 values kept, f32
/// within 2 ulps of the f64 root up to 1e38, and isru's `x/sqrt(1 + x²)`
/// ±1 there instead of 0.
#[test]
fn a_root_of_a_large_square_is_its_magnitude() {
    let exprs = ["sqrt(1 + u1*u1)", "sqrt(u1^2 + 4)", "sqrt(2 + 3*(u1*u1))", "u1/sqrt(1 + u1*u1)"];
    for point in [[0.0], [-0.5], [3.0], [1.3e8], [-1.4e8], [1e9], [-1e19], [3e30]] {
        same_values(&exprs, &point);
    }
    let parsed: Vec<Expr> = exprs.iter().map(|e| foil_compiler::parse::parse(e).unwrap()).collect();
    let lowered = lower_exprs(&parsed.iter().collect::<Vec<_>>());
    let names = [Symbol::from("u1")];
    let mut xs: Vec<f64> = (-300..=380).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.extend(xs.clone().iter().map(|x| -x));
    xs.extend([134217727.0, 134217728.0, 134217740.0, -134217728.0, 134217728.0 * (2.0f64 / 3.0).sqrt()].map(|x: f64| x as f32 as f64));
    let want = |x: f64| vec![(1.0 + x * x).sqrt(), (x * x + 4.0).sqrt(), (2.0 + 3.0 * x * x).sqrt(), x / (1.0 + x * x).sqrt()];
    let ulps = |_, g: f64, w: f64| Some(((g - w) / w).abs() / f32::EPSILON as f64);
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, ulps);
    assert!(worst <= 2.0, "worst {worst} ulps at x = {at:e}");
}

/// Quotients over a divisor that is at least 1 by its form (`1 + u²` and
/// its root, which the f32 intervals, widened by an ulp, read as possibly
/// below 1), whose numerator overflows before the value does: a literal
/// factor goes outside (`2·u/(1 + u²)`, the HD-FGD partial of
/// `log(1 + x^2)`, was NaN from 1.7e38), a product's last factor inside
/// (`u·u/sqrt(1 + u²)`, inf from 1.8e19). Within 1e-5 of f64 (SPEC §5's
/// scale) from 1e-30 to f32::MAX.
#[test]
fn quotients_over_a_divisor_of_at_least_one_overflow_only_with_their_value() {
    let names = [Symbol::from("u1")];
    let mut xs: Vec<f64> = (-300..=383).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.push(f32::MAX as f64);
    xs.extend(xs.clone().iter().map(|x| -x));
    let cases: [(&str, fn(f64) -> f64); 4] = [
        ("2*u1/(1 + u1*u1)", |x| 2.0 * x / (1.0 + x * x)),
        ("(u1 + u1)/(1 + u1*u1)", |x| 2.0 * x / (1.0 + x * x)),
        ("-10*u1/sqrt(1 + u1*u1)", |x| -10.0 * x / (1.0 + x * x).sqrt()),
        ("u1*u1/sqrt(1 + u1*u1)", |x| x * x / (1.0 + x * x).sqrt()),
    ];
    for (src, value) in cases {
        let lowered = lower_exprs(&[&foil_compiler::parse::parse(src).unwrap()]);
        for &x in &xs {
            let want = value(x);
            let got = run::<f32>(&lowered, &names, &[x])[0] as f64;
            assert!(want.abs() > f32::MAX as f64 || error(got, want) <= 1e-5, "{src} at {x:e}: {got:e}, where it is {want:e}");
        }
    }
}

/// `1/(1 + a/b)` takes one division, `b/(b + a)`, with a literal factor of
/// b moved to a: bent_identity's g′ `1/(1 + x/(2·sqrt(1 + x²)))`. f64
/// values are kept at sample points, and bent_identity's f32 g′ is within 4
/// ulps of f64 from 1e-30 to f32::MAX (from 2.27e38, `S + x/2` overflowed
/// and g′ read 0 instead of 2/3 until its sum was halved; the nested form
/// read 1 from 1.7e38), and it is never NaN. A divisor that overflows on its
/// own, `3 + u1²` (the other order of the sum) and `u1² + 1`, keeps both
/// divisions: as one, `b/(b + a)` was inf/inf = NaN from |u1| = 1.8e19,
/// where the value is about 1.
#[test]
fn a_reciprocal_of_one_plus_a_quotient_takes_one_division() {
    let div = |op: &SafeOp| matches!(op, SafeOp::Div(..));
    let exprs = ["1/(1 + u1/(2*sqrt(1 + u1*u1)))", "1/(u1/(3 + u1*u1) + 1)", "1/(1 + u1/(u1*u1 + 1))"];
    for point in [[0.0], [-0.5], [0.75], [3.0], [-40.0], [1e5]] {
        let lowered = same_values(&exprs, &point);
        assert_eq!(count(&lowered, div), 1 + 2 + 2, "one division for the first expression, two for the others");
    }
    for src in &exprs[1..] {
        let parsed = foil_compiler::parse::parse(src).unwrap();
        let lowered = lower_exprs(&[&parsed]);
        for x in [1e19, 1.9e19, 1e30, f32::MAX as f64, -f32::MAX as f64] {
            let g = run::<f32>(&lowered, &[Symbol::from("u1")], &[x])[0];
            assert!((g - 1.0).abs() <= 1e-7, "{src} at {x:e}: {g}");
        }
    }
    let parsed = foil_compiler::parse::parse(exprs[0]).unwrap();
    let lowered = lower_exprs(&[&parsed]);
    let names = [Symbol::from("u1")];
    let mut xs: Vec<f64> = (-300..=383).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.extend((0..=64).map(|k| (2.2e38 + k as f64 * (f32::MAX as f64 - 2.2e38) / 64.0) as f32 as f64));
    xs.extend(xs.clone().iter().map(|x| -x));
    let want = |x: f64| vec![1.0 / (1.0 + x / (2.0 * (1.0 + x * x).sqrt()))];
    let ulps = |_, g: f64, w: f64| Some(((g - w) / w).abs() / f32::EPSILON as f64);
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, ulps);
    assert!(worst <= 4.0, "worst {worst} ulps at x = {at:e}");
    for x in [f32::MAX, -f32::MAX, 3e38, 1e-45] {
        let g = run::<f32>(&lowered, &names, &[x as f64])[0];
        assert!(!g.is_nan(), "NaN at {x:e}");
    }
}

/// `c·(k1·a + k2·b)` with constants, |c| ≤ 1, as `(c·k1)·a + (c·k2)·b`:
/// bent_identity's `(1/3)·(−2·S + 4·x)` takes one multiply fewer, keeps
/// its f64 values, and in f32 is finite (within 4 ulps of f64) up to
/// 2.5e38 where `(4/3)·x` still fits; the form before overflowed from
/// 8.5e37. A factor above 1 is left outside.
#[test]
fn a_constant_factor_moves_into_a_sum_of_scaled_terms() {
    let mul = |op: &SafeOp| matches!(op, SafeOp::Mul(..));
    let exprs = ["1/3*(-2*sqrt(1 + u1*u1) + 4*u1)", "(u1*3 + 2*exp(u1))*0.5", "3*(2*u1 + 5*sin(u1))"];
    for point in [[0.0], [-0.5], [0.75], [3.0], [-40.0], [60.0]] {
        same_values(&exprs, &point);
    }
    let lowered = same_values(&exprs[..1], &[2.0]);
    assert_eq!(count(&lowered, mul), 3, "u1·u1, −0.5·S and (4/3)·(−0.5·S + u1)");
    let lowered = same_values(&exprs[2..], &[2.0]);
    assert_eq!(count(&lowered, mul), 3, "a factor of 3 stays outside");
    let names = [Symbol::from("u1")];
    let parsed = foil_compiler::parse::parse(exprs[0]).unwrap();
    let lowered = lower_exprs(&[&parsed]);
    // To f32::MAX for x > 0, where the value, about (2/3)·x, fits (a
    // coefficient 4/3 on x overflowed from 2.55e38); for x < 0 as far as
    // it fits, about -2·|x|.
    let mut xs: Vec<f64> = (-300..=384).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).filter(|x| x.is_finite()).collect();
    xs.extend([2.55e38, 3e38, f32::MAX as f64].map(|x: f64| x as f32 as f64));
    xs.extend(xs.clone().iter().filter(|x| **x <= 1.7e38).map(|x| -x).collect::<Vec<_>>());
    let want = |x: f64| vec![(-2.0 * (1.0 + x * x).sqrt() + 4.0 * x) / 3.0];
    let ulps = |_, g: f64, w: f64| Some(((g - w) / w).abs() / f32::EPSILON as f64);
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, ulps);
    assert!(worst <= 4.0, "worst {worst} ulps at x = {at:e}");
}

/// The divisions device code must guard (Vulkan specifies f32 division for
/// divisors up to 2¹²⁶ only) are those whose divisor the intervals cannot
/// bound below 2¹²⁵ over every f32 input: `1 + e^-|u|` and `2 + sin(u)`
/// are bounded, `sqrt(1 + u²)` and `u` are not.
#[test]
fn divisors_beyond_the_division_range_are_the_unbounded_ones() {
    for (src, wide) in [("u1/(1 + exp(-abs(u1)))", false), ("u1/(2 + sin(u1))", false), ("u1/sqrt(1 + u1*u1)", true), ("sin(u1)/u1", true)] {
        let parsed = foil_compiler::parse::parse(src).unwrap();
        let lowered = lower_exprs(&[&parsed]);
        let beyond = foil_compiler::lower::beyond_division_range(&lowered);
        let divisors: Vec<bool> = lowered
            .ops
            .iter()
            .zip(&lowered.live)
            .filter_map(|(op, live)| match op {
                SafeOp::Div(_, b) if *live => Some(beyond[usize::from(*b)]),
                _ => None,
            })
            .collect();
        assert!(!divisors.is_empty() && divisors.iter().all(|w| *w == wide), "{src}: {divisors:?}");
    }
}

/// asinh's g, `0.5·(x·S + asinh(x))`: both x and S may pass 2⁶³, so the
/// constant goes onto x, `(0.5·x)·S + 0.5·asinh(x)`, and g in f32 is within
/// 4 ulps of f64 up to 2.5e19 (x·S alone overflowed from 1.8e19). A product
/// with a bounded factor keeps its constant outside.
#[test]
fn a_constant_factor_goes_into_a_product_that_could_overflow() {
    let exprs = ["0.5*(u1*sqrt(u1*u1 + 1) + asinh(u1))", "0.5*(u1*tanh(u1) + asinh(u1))"];
    for point in [[0.0], [-0.5], [0.75], [3.0], [-40.0], [1e10]] {
        same_values(&exprs, &point);
    }
    let mul = |op: &SafeOp| matches!(op, SafeOp::Mul(..));
    let lowered = same_values(&exprs[1..], &[2.0]);
    assert_eq!(count(&lowered, mul), 2, "u1·tanh(u1) and the 0.5 outside the sum");
    let names = [Symbol::from("u1")];
    let parsed = foil_compiler::parse::parse(exprs[0]).unwrap();
    let lowered = lower_exprs(&[&parsed]);
    let mut xs: Vec<f64> = (-300..=193).map(|k| 10f64.powf(k as f64 / 10.0) as f32 as f64).collect();
    xs.extend(xs.clone().iter().map(|x| -x).collect::<Vec<_>>());
    let want = |x: f64| vec![0.5 * (x * (1.0 + x * x).sqrt() + x.asinh())];
    let ulps = |_, g: f64, w: f64| Some(((g - w) / w).abs() / f32::EPSILON as f64);
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, ulps);
    assert!(worst <= 4.0, "worst {worst} ulps at x = {at:e}");
}

/// gelu's SA partial ∂/∂u2 = (√π/(2√2))·u1·e^(u2²/2) (as the macros emit it
/// and as the run-time kernels do): computed as h·(h·(c·u1)), h = e^(u2²/4),
/// it is finite wherever the true value fits in f32, down to the smallest
/// u1, and exactly 0 at u1 = 0 until h itself overflows (|u2| > 18.8). As
/// (h·(h·c))·u1 it was inf from |u2| = 13.3 for every small u1 (u1 = 1e-10,
/// u2 = 14: true value 2.3e32) and NaN at u1 = 0.
#[test]
fn a_factor_that_cannot_overflow_joins_the_halved_exponential() {
    let names = [Symbol::from("u1"), Symbol::from("u2")];
    // (A subnormal u1 keeps few digits through the constant factors.)
    let u1s = [0.0, 1.2e-38, 1e-30, 1e-20, 1e-10, 1e-3, 1.0, 1e3, 1e10];
    let u2s: Vec<f64> = (0..=1880).map(|k| k as f64 / 100.0).collect();
    for simplified in [true, false] {
        let f = sa("gelu(x)", simplified);
        let partial = &f.exprs[2];
        let lowered = lower_exprs(&[partial]);
        let (mut checked, mut zeros) = (0, 0);
        for &a in &u1s {
            for &b in &u2s {
                for point in [[a, b], [-a, b], [a, -b], [-a, -b]] {
                    let point = point.map(|v| v as f32 as f64);
                    let want = eval_n(partial, &names, &point);
                    if !(want.abs() <= f32::MAX as f64) {
                        continue;
                    }
                    let got = run::<f32>(&lowered, &names, &point)[0] as f64;
                    // The exponent u2²/2 ≤ 177 is rounded in a few f32 steps:
                    // up to ~5e-5 relative in e^(u2²/2); a subnormal result
                    // keeps its absolute digits.
                    assert!((got - want).abs() <= 1e-4 * want.abs() + 1e-43, "{}: ∂/∂u2 at {point:?}: {got:e}, true {want:e}", f.name);
                    checked += 1;
                    zeros += (point[0] == 0.0 && got == 0.0) as usize;
                }
            }
        }
        assert!(checked > 50_000 && zeros == 4 * u2s.len(), "{}: {checked} checked, {zeros} exact zeros", f.name);
    }
}

/// gelu's split value `u1·(0.5 + (π/4)·erfi(u2/√2))` and its ∂/∂u1
/// `0.5 + (π/4)·erfi(u2/√2)` for a small u1 against a large u2: erfi is one
/// operation with its multiplier (`SafeOp::Times`), the product over the
/// sum distributed, so the value is finite wherever its true value fits (1.6e11
/// at u1 = 1e-30, u2 = 14, where erfi alone is inf) and exactly 0 at u1 = 0
/// for every u2 (it was NaN from |u2| = 13.5). Each such product here is the
/// product rounded once (`run`), so this checks the form, and
/// `tests/kernels.rs` the device's function.
#[test]
fn a_product_with_erfi_overflows_only_where_it_does() {
    let names = [Symbol::from("u1"), Symbol::from("u2")];
    let u1s = [0.0, 1.2e-38, 1e-30, 1e-20, 1e-10, 1e-3, 1.0, 1e3, 1e10];
    let u2s: Vec<f64> = (0..=2000).map(|k| k as f64 / 100.0).chain([30.0, 1e3, 3e38]).collect();
    for simplified in [true, false] {
        let f = sa("gelu(x)", simplified);
        let lowered = lower_exprs(&[&f.exprs[0], &f.exprs[1]]);
        assert!(lowered.ops.iter().zip(&lowered.live).any(|(op, live)| *live && matches!(op, SafeOp::Times(Func::Erfi, ..))), "{}: no erfi product", f.name);
        let (mut checked, mut zeros) = (0, 0);
        for &a in &u1s {
            for &b in &u2s {
                for point in [[a, b], [-a, b], [a, -b], [-a, -b]] {
                    let point = point.map(|v| v as f32 as f64);
                    let got = run::<f32>(&lowered, &names, &point);
                    // 0 at u1 = 0, also where the f64 reference is 0·inf.
                    if point[0] == 0.0 {
                        assert!(got[0] == 0.0, "{}: value at {point:?}: {:e}, true 0", f.name, got[0]);
                        zeros += 1;
                    }
                    for (k, what) in ["value", "∂/∂u1"].iter().enumerate() {
                        let want = eval_n(&f.exprs[k], &names, &point);
                        if !(want.abs() <= f32::MAX as f64) {
                            continue;
                        }
                        let got = got[k] as f64;
                        // Relative to the larger of the value and the sum's
                        // first term (0.5·u1 or 0.5: the two terms cancel
                        // near u2 = -0.71), plus the f32 rounding of
                        // a = u2/√2 (two operations), which moves e^(a²) by
                        // up to 2a²·2⁻²³ = u2²·1.2e-7; a subnormal u1 keeps
                        // its absolute digits.
                        let first_term = 0.5 * if k == 0 { point[0].abs() } else { 1.0 };
                        let rel = 1e-6 + 3e-7 * point[1] * point[1];
                        assert!((got - want).abs() <= rel * want.abs().max(first_term) + 1e-44, "{}: {what} at {point:?}: {got:e}, true {want:e}", f.name);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 80_000 && zeros == 4 * u2s.len(), "{}: {checked} checked, {zeros} exact zeros", f.name);
    }
}

/// The distribution over a sum keeps a power of two K ≥ max(c, 1 + the other
/// terms' sizes) outside: `u1·(2 − erfi(u2))` at u1 = 3e38 is 3e37 where
/// erfi(u2) = 1.9, and is computed as `4·(0.5·u1 − erfi(u2)·(0.25·u1))`,
/// where `2·u1` would be inf; `u1·(0.5 − 0.5·erfi(u2))`, −1.35e38 there,
/// as `2·(0.25·u1 − erfi(u2)·(0.25·u1))`, where `0.5·u1·erfi(u2)` alone
/// would be inf. A sum with two erfi terms, `u1·(erfi(u2) − erfi(u3))`, is
/// not distributed: 0 at u2 = u3, where u1 times each term is inf.
#[test]
fn a_sum_with_erfi_is_distributed_with_a_power_of_two_outside() {
    let names = [Symbol::from("u1"), Symbol::from("u2"), Symbol::from("u3")];
    let erfi = |v: f64| foil_compiler::eval::apply(Func::Erfi, v);
    // erfi(u2) = 1.9 at u2 ≈ 1.0465.
    let y = (0..60).map(|k| 1.0 + k as f64 * 1e-3).min_by(|a, b| (erfi(*a) - 1.9).abs().total_cmp(&(erfi(*b) - 1.9).abs())).unwrap();
    for (src, outside) in [("u1*(2 - erfi(u2))", Some(4.0)), ("u1*(0.5 - 0.5*erfi(u2))", Some(2.0)), ("u1*(erfi(u2) - erfi(u3))", None)] {
        let f = foil_compiler::parse::parse(src).unwrap();
        let l = lower_exprs(&[&f]);
        let root = usize::from(l.roots[0]);
        let literal = |id: &Id| match &l.nodes[*id] {
            Math::Num(c) => Some(c.into_inner()),
            _ => None,
        };
        let constant_outside = match &l.ops[root] {
            SafeOp::Mul(p, q) => literal(p).or(literal(q)),
            _ => None,
        };
        assert_eq!(constant_outside, outside, "{src}: root {:?}", l.ops[root]);
        for x in [1.0, 1e30, 3e38] {
            let point = [x as f32 as f64, y as f32 as f64, y as f32 as f64];
            let want = eval_n(&f, &names, &point);
            let got = run::<f32>(&l, &names, &point)[0] as f64;
            assert!(want.abs() < f32::MAX as f64 && (got - want).abs() <= 1e-5 * want.abs(), "{src} at {point:?}: {got:e}, true {want:e}");
        }
    }
}

/// The expression computed as written, node by node in f32 (erfi as the
/// f64 one rounded once).
fn as_written(f: &Expr, names: &[Symbol], point: &[f64]) -> f32 {
    let mut v: Vec<f32> = Vec::with_capacity(f.as_ref().len());
    for node in f.as_ref() {
        let a = |id: &Id| v[usize::from(*id)];
        let x = match node {
            Math::Num(c) => c.into_inner() as f32,
            Math::Pi => std::f32::consts::PI,
            Math::Var(s) => point[names.iter().position(|n| n == s).expect("a named variable")] as f32,
            Math::Add([p, q]) => a(p) + a(q),
            Math::Sub([p, q]) => a(p) - a(q),
            Math::Mul([p, q]) => a(p) * a(q),
            Math::Div([p, q]) => a(p) / a(q),
            Math::Neg(p) => -a(p),
            Math::Pow([p, q]) => a(p).powf(a(q)),
            Math::Call(func, p) => f32::call(*func, a(p)),
            other => panic!("{other:?} in a test shape"),
        };
        v.push(x);
    }
    *v.last().expect("a node")
}

/// Products and sums with erfi in several shapes, at every combination of
/// 28 inputs from 0 and ±1e-30 to ±3e38: the lowered f32 form is NaN, or ±inf
/// where the f64 value fits in f32, only where the expression computed as
/// written is too, and it is finite at some points where the
/// written one is not (gelu's shape among them).
#[test]
fn products_with_erfi_are_no_worse_than_as_written_in_any_shape() {
    let names = [Symbol::from("u1"), Symbol::from("u2"), Symbol::from("u3")];
    let shapes = [
        "u1*(0.5 + 0.25*pi*erfi(u2/sqrt(2)))",
        "u1*(2 - erfi(u2))",
        "u1*(0.5 - 0.5*erfi(u2)) + u3",
        "u3*(u1*erfi(u2))",
        "erfi(u2)*u1/u3",
        "(u1 + erfi(u2))*u3",
        "u1*u3*erfi(u2)*0.125",
        "3*(u1*erfi(u2))",
        "exp(-u3^2)*erfi(u2)*u1",
        "u1*(erfi(u2) - erfi(u3))",
    ];
    // 1.2 and 1.35: the erfi terms of the second and first shape pass 1 in
    // magnitude there while their sums stay below it (cancelling).
    let values = [0.0, 1e-30, 1e-3, 0.5, 1.0, 1.2, 1.35, 3.0, 9.6, 12.0, 14.0, 1e3, 1e30, 3e38];
    let signed: Vec<f64> = values.iter().flat_map(|&v| [v, -v]).collect();
    let mut better = 0;
    for src in shapes {
        let f = foil_compiler::parse::parse(src).unwrap();
        let l = lower_exprs(&[&f]);
        let mut checked = 0;
        for &a in &signed {
            for &b in &signed {
                for &c in &signed {
                    let point = [a, b, c].map(|v| v as f32 as f64);
                    let want = eval_n(&f, &names, &point);
                    if want.is_nan() {
                        continue;
                    }
                    let (got, plain) = (run::<f32>(&l, &names, &point)[0], as_written(&f, &names, &point));
                    let fails = |y: f32| y.is_nan() || (y.is_infinite() && want.abs() < f32::MAX as f64 * (1.0 - 2f64.powi(-20)));
                    assert!(!fails(got) || fails(plain), "{src} at {point:?}: {got}, as written {plain}, true {want:e}");
                    better += (fails(plain) && !fails(got)) as usize;
                    checked += 1;
                }
            }
        }
        assert!(checked > 5_000, "{src}: {checked} checked");
    }
    assert!(better > 100, "finite at {better} points where the written form is not");
}

/// Points over f32's line: a fine grid on [-100, 100] and 10^(k/10) out to
/// 10^38, both signs, each rounded to f32.
fn wide_f32_points() -> Vec<f64> {
    let mut xs: Vec<f64> = (-5000..=5000).map(|k| k as f64 * 0.02).collect();
    for k in -40..=380 {
        let m = 10f64.powf(k as f64 / 10.0);
        xs.extend([m, -m]);
    }
    xs.into_iter().map(|x| x as f32 as f64).collect()
}

/// `log(c + e^y)` (a GA's g from partial fractions in e^(kx): `x - e^-2x`,
/// `x - 0.5·e^-x`) is `log(c) + softplus(y - log(c))`: as written, e^y
/// overflows f32 from y ≈ 88.7, where the value is about y. A difference of
/// two such logarithms of one y (`x + tanh(x)`, `x + sigmoid(x)`) is
/// `log1p((a - c)/(e^y + c))`: as written inf - inf from there, and as two
/// softpluses still inf - inf where y itself overflows (2x, x > 1.7e38).
/// `y - log(c + e^y)` is `-softplus(log(c) - y)`: as written it is −inf
/// from y ≈ 88.7 in f32, and y minus a shifted softplus cancels to c·e^-y
/// (1.3e-5 off at y = 511). A line plus one softplus of a line at the root
/// (`x - e^-2x`'s and `softplus(x) + 0.1x`'s g) is then one line on each
/// side of the softplus's kink plus its bounded tail: as softpluses, 2x
/// overflowed past f32::MAX/2 and 10x past f32::MAX/10, and 10x − 9.09x
/// cancelled (2.0e-6 at x = 8.36). Each is finite out to ±f32::MAX, within
/// 1e-6.
#[test]
fn logarithms_of_c_plus_an_exponential_are_shifted_softpluses_or_one_log1p() {
    let names = [Symbol::from("x")];
    // log(c + e^y) in f64 without overflow, written independently.
    let log_c_plus_exp = |c: f64, y: f64| if y > 0.0 { y + (c * (-y).exp()).ln_1p() } else { (c + y.exp()).ln() };
    let mut xs = wide_f32_points();
    xs.extend([2e38, -2e38, 3e38, -3e38, f32::MAX as f64, -(f32::MAX as f64)]);
    let cases: [(&str, Box<dyn Fn(f64) -> f64>, fn(&SafeOp) -> bool); 6] = [
        ("0.5*log(2 + exp(2*x)) - 1", Box::new(move |x| 0.5 * log_c_plus_exp(2.0, 2.0 * x) - 1.0), |op| matches!(op, SafeOp::Where(..))),
        ("log(exp(x) + 0.5)", Box::new(move |x| log_c_plus_exp(0.5, x)), |op| matches!(op, SafeOp::Softplus(_))),
        (
            "0.25*sqrt(2)*(log(exp(2*x) + 5.82842712474619) - log(exp(2*x) + 0.1715728752538099)) + x",
            Box::new(move |x| 0.25 * 2f64.sqrt() * (log_c_plus_exp(5.82842712474619, 2.0 * x) - log_c_plus_exp(0.1715728752538099, 2.0 * x)) + x),
            |op| matches!(op, SafeOp::Call(Func::Log1p, _)),
        ),
        (
            "x + 0.2*sqrt(5)*(-log(exp(x) + 0.38196601125010515) + log(exp(x) + 2.618033988749895))",
            Box::new(move |x| x + 0.2 * 5f64.sqrt() * (log_c_plus_exp(2.618033988749895, x) - log_c_plus_exp(0.38196601125010515, x))),
            |op| matches!(op, SafeOp::Call(Func::Log1p, _)),
        ),
        // y - log(c + e^y) (x + 2e^x's g) cancels to c·e^-y: a softplus.
        (
            "x - log(exp(x) + 0.5) + 2.405465108108164",
            Box::new(|x: f64| if x > 0.0 { -(0.5 * (-x).exp()).ln_1p() } else { x - (x.exp() + 0.5).ln() } + 2.405465108108164),
            |op| matches!(op, SafeOp::Softplus(_)),
        ),
        // c a constant expression, as the integrator prints 1/11
        // (softplus(x) + 0.1x's g).
        (
            "log(exp(x) + 1/11)*(-100/11) + (10*x + 1.484159698647488)",
            Box::new(move |x| -100.0 / 11.0 * log_c_plus_exp(1.0 / 11.0, x) + 10.0 * x + 1.484159698647488),
            |op| matches!(op, SafeOp::Where(..)),
        ),
    ];
    for (src, want, shape) in cases {
        let e = foil_compiler::parse::parse(src).unwrap();
        let lowered = lower_exprs(&[&e]);
        assert!(count(&lowered, shape) >= 1, "{src}: not rewritten: {:?}", lowered.ops);
        // Wherever the value fits in f32 (10x's past -f32::MAX/10 does not);
        // an inf there counts as infinitely off.
        let (worst, at) = worst_in_f32(&lowered, &names, xs.iter().copied(), |x| vec![want(x)], |_, g, w| (w.abs() <= f32::MAX as f64).then(|| error(g, w)));
        assert!(worst <= 1e-6, "{src}: off by {worst:e} at x = {at}");
    }
}

/// A constant below 1 times a sum holding an exponential, at the root
/// (`softplus(2x)/2`'s g as printed, `x + 0.5·(log 2 + 1 - e^-2x)`), goes
/// onto the exponential, which is then applied in halves: e^-2x alone
/// overflowed from x = -44.36, where the value fits to -44.7. Finite
/// wherever the value fits in f32, and within 1e-6, over the wide points
/// and 2,001 points on [-45, -44].
#[test]
fn a_constant_below_one_reaches_the_exponential_it_scales() {
    let names = [Symbol::from("x")];
    let e = foil_compiler::parse::parse("x + 0.5*(log(2) + 1 - exp(-2*x))").unwrap();
    let lowered = lower_exprs(&[&e]);
    let mut xs = wide_f32_points();
    xs.extend((0..=2000).map(|k| (-45.0 + k as f64 / 2000.0) as f32 as f64));
    let want = |x: f64| vec![x + 0.5 * (2f64.ln() + 1.0 - (-2.0 * x).exp())];
    let (worst, at) = worst_in_f32(&lowered, &names, xs, want, |_, g, w| (w.abs() <= f32::MAX as f64).then(|| error(g, w)));
    assert!(worst <= 1e-6, "off by {worst:e} at x = {at}");
}

/// A product of exponentials times a difference of quotients, g′ of `x +
/// tanh(x)` as printed, is distributed over the quotients, each then
/// divided through by its largest exponential: as written it is inf·0 from
/// 2x ≈ 88.7, where its value is about 1. So is a product with one quotient
/// of literal numerator (`x + softplus(x)`'s g′).
#[test]
fn an_exponential_times_quotients_goes_into_their_numerators() {
    let names = [Symbol::from("x")];
    let cases: [(&str, fn(f64) -> f64); 2] = [
        ("sqrt(2)*(0.25*exp(2*x)*(2/(exp(2*x) + 5.82842712474619) - 2/(exp(2*x) + 0.1715728752538099))) + 1", |x| 1.0 / (1.0 + 1.0 / x.cosh().powi(2))),
        ("exp(x)*(-0.5/(exp(x) + 0.5)) + 1", |x| {
            let e = (-x.abs()).exp();
            if x > 0.0 {
                (e + 1.0) / (e + 2.0)
            } else {
                (1.0 + e) / (1.0 + 2.0 * e)
            }
        }),
    ];
    for (src, want) in cases {
        let e = foil_compiler::parse::parse(src).unwrap();
        let lowered = lower_exprs(&[&e]);
        let (worst, at) = worst_in_f32(&lowered, &names, wide_f32_points(), |x| vec![want(x)], |_, g, w| Some(error(g, w)));
        assert!(worst <= 1e-6, "{src}: off by {worst:e} at x = {at}");
    }
}

/// A squareplus, `s·(x ± sqrt(x² + c))/2`, has a GA that is a polynomial in
/// x and S = sqrt(x² + c), `x³/6 + 2x + 7/3 − (2/3 + x²/6)·S` for s = 1,
/// c = 4, whose terms cancel as x → +∞ (−∞ for the minus sign), where g
/// grows like x: in f32 it was 1.1e-4 off at x = 30, 1.3e-3 at 98, and
/// lost every digit near 3000; its g′ likewise. The lowering's Euler
/// substitution writes both as Laurent polynomials in u = (x + S)/2. The
/// reference is derived here by hand: for f = (x + S)/2 = u, with
/// x = u − c/(4u), g′ = dx/du = 1 + c/(4u²) and
/// g = ∫ (1 + c/(4u²))² du = u − c/(2u) − c²/(48u³) + (7/6)·√c (g(0) =
/// f(0) = √c/2), u computed as (c/2)/(S − x) for x < 0; a factor s, an
/// inner affine map k·x + d (a shifted squareplus's S is the root of a
/// quadratic with a linear term) and the mirror f(x) = −squareplus(−x)
/// follow. It is checked against the
/// derivation's own g and g′ in f64 on [−4, 4], then the f32 lowering
/// against it at ±10^(k/1000) from 10⁻³ to f32::MAX: finite wherever the
/// value fits, and within 2e-6 (SPEC §5's scale; the worst, 1.46e-6, is
/// near x = 0 for s = 0.5, c = 4, where the constant 7/3 meets terms of
/// about 4).
#[test]
fn squareplus_gas_keep_their_digits_out_to_f32_max() {
    let names = [Symbol::from("x")];
    let mut xs: Vec<f64> = (-3000..=38_531).map(|k| 10f64.powf(k as f64 / 1000.0) as f32 as f64).collect();
    xs.push(f32::MAX as f64);
    xs.extend(xs.clone().iter().map(|x| -x));
    xs.push(0.0);
    // (source, scale s, c, mirrored, k, d: f(x) = ±s·sp(±(k·x + d)))
    let mut cases: Vec<(String, f64, f64, bool, f64, f64)> = Vec::new();
    for s in [1.0, 2.0, 0.5] {
        for c in [1.0, 4.0, 0.25] {
            cases.push((format!("{s}*(x + sqrt(x^2 + {c}))/2"), s, c, false, 1.0, 0.0));
            cases.push((format!("{s}*(x - sqrt(x^2 + {c}))/2"), s, c, true, 1.0, 0.0));
        }
    }
    cases.push(("sqrt(1 + x^2) + x".into(), 2.0, 1.0, false, 1.0, 0.0));
    cases.push(("2*x + sqrt(4*x^2 + 1)".into(), 2.0, 1.0, false, 2.0, 0.0));
    cases.push(("(x + 1 + sqrt((x + 1)^2 + 4))/2".into(), 1.0, 4.0, false, 1.0, 1.0));
    cases.push(("(x + 1 - sqrt((x + 1)^2 + 4))/2".into(), 1.0, 4.0, true, 1.0, 1.0));
    cases.push(("x - 0.5 + sqrt(x^2 - x + 1.25)".into(), 2.0, 1.0, false, 1.0, -0.5));
    for (src, s, c, mirrored, k, d) in &cases {
        let (s, c, k, d) = (*s, *c, *k, *d);
        let sign = if *mirrored { -1.0 } else { 1.0 };
        // The unscaled squareplus sp = u, its g and g' at t; with t = ±(k·x + d),
        // f = ±s·sp(t): g' = g_sp'(t)/(s·k), g = ±g_sp(t)/(s·k²) + C.
        let u = |t: f64| {
            let r = (t * t + c).sqrt();
            if t >= 0.0 {
                0.5 * (t + r)
            } else {
                0.5 * c / (r - t)
            }
        };
        let g_sp = |t: f64| {
            let u = u(t);
            u - c / (2.0 * u) - c * c / (48.0 * u * u * u) + 7.0 / 6.0 * c.sqrt()
        };
        let dg_sp = |t: f64| 1.0 + c / (4.0 * u(t) * u(t));
        let f0 = sign * s * u(sign * d);
        let constant = f0 - sign * g_sp(sign * d) / (s * k * k);
        let t = |x: f64| sign * (k * x + d);
        let reference = |x: f64| [sign * g_sp(t(x)) / (s * k * k) + constant, dg_sp(t(x)) / (s * k)];
        let f = foil_compiler::parse::parse(src).unwrap();
        let ga = foil_compiler::ga::derive_global_adversarial(&f, &options()).unwrap();
        assert!(ga.closed_form, "{src}");
        for (i, (what, e)) in [("g", &ga.adversarial), ("g'", &ga.adversarial_derivative)].into_iter().enumerate() {
            for j in -400..=400 {
                let x = j as f64 / 100.0;
                let (derived, by_hand) = (eval_n(e, &names, &[x]), reference(x)[i]);
                assert!(error(derived, by_hand) < 1e-12, "{src}: {what}({x}) = {derived} derived, {by_hand} by hand");
            }
            let lowered = lower_exprs(&[e]);
            let fits = |_: f64, g: f64, w: f64| (w.abs() <= f32::MAX as f64).then(|| error(g, w));
            let (worst, at) = worst_in_f32(&lowered, &names, xs.iter().copied(), |x| vec![reference(x)[i]], fits);
            assert!(worst <= 2e-6, "{src}: {what} = {} is off by {worst:e} at x = {at:e}", foil_compiler::print::to_spec(e));
        }
    }
}

/// The substitution rewrites a polynomial in x and S = sqrt(k·x² + c) only
/// where its terms cancel as x → ±∞ and it is a Laurent polynomial in u,
/// and keeps its value: the lowered form in f64 against the IR in f64 on
/// [−4, 4], where neither loses digits. A genuine small leading term
/// (1e-14·x³) is not mistaken for rounding, and `x − S/2` (bent_identity's
/// g), whose terms do not cancel, keeps its form.
#[test]
fn polynomials_in_x_and_its_root_are_rewritten_only_where_their_terms_cancel() {
    let names = [Symbol::from("x")];
    let rewritten = |l: &Lowered| count(l, |op| matches!(op, SafeOp::Compare(Cmp::Ge, ..))) > 0;
    for (src, rewrite) in [
        ("x^3 - (1 + x^2)*sqrt(1 + x^2)", true),
        ("x*sqrt(x^2 + 2) - x^2", true),
        ("(x^2 + 3)/sqrt(x^2 + 3) - x", true),
        ("1/(sqrt(x*x + 1) + x)", true),
        ("(2*x)^2 + 1 - 2*x*sqrt(4*x^2 + 1) + 0.5", true),
        ("x/3*sqrt(x*x + 4) - (0.5 + x*(x/6))*sqrt(x*x + 4)/(0.5*sqrt(4 + x*x))", true),
        ("1e-14*x^3 + sqrt(x^2 + 1) - x", false),
        ("x - sqrt(x^2 + 1)/2", false),
        ("x*sqrt(x^2 + 1)", false),
        ("x^3 - x*(x^2 + 1)", false),
    ] {
        let e: Expr = foil_compiler::parse::parse(src).unwrap();
        let l = lower_exprs(&[&e]);
        assert_eq!(rewritten(&l), rewrite, "{src}");
        for j in -400..=400 {
            let x = j as f64 / 100.0;
            let (got, want) = (l.eval(&names, &[x])[0], eval_n(&e, &names, &[x]));
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{src} at {x}: {got} lowered, {want} as written");
        }
    }
}

/// Leaky variants, `f(x) + 0.01·x`: g = ∫1/f′ is a term of slope about 100
/// less one of nearly the same slope near 0, where g's slope is about 1
/// (`atan(x) + 0.01*x`: `100·x − 995.04·atan(0.0995·x)`), and sigmoid's
/// also subtracts its anchor constant, 453.0, from logarithms of about
/// 453. As lowered before, in f32 on [−10, 10]: 5.5e-5 (sigmoid's g),
/// 2.1e-5 (atan's), 1.7e-5 (softsign's), against the kernels' 1e-5. Where
/// the estimated rounding error passes 128 ulps the kernel is a piecewise
/// polynomial fitted to the root: g and g′ within 5e-6 on [−40, 40] (every
/// 1/256) and from 40 to ±f32::MAX, against f64 on the IR (which loses at
/// most about 1e-13 near 0). The suite's closed-form GAs have no such
/// cancellation, and no fit.
#[test]
fn where_a_gas_terms_cancel_near_zero_its_kernel_is_a_fitted_polynomial() {
    let fitted = |l: &Lowered| count(l, |op| matches!(op, SafeOp::Compare(Cmp::Le, ..))) > 0;
    let mut xs: Vec<f64> = (-10_240..=10_240).map(|k| k as f64 / 256.0).collect();
    let tail: Vec<f64> = (1602..=38_531).map(|k| 10f64.powf(k as f64 / 1000.0) as f32 as f64).chain([f32::MAX as f64]).collect();
    xs.extend(tail.iter().flat_map(|&m| [m, -m]));
    for src in ["sigmoid(x) + 0.01*x", "atan(x) + 0.01*x", "softsign(x) + 0.01*x", "atan(x) + 0.05*x"] {
        let f = foil_compiler::parse::parse(src).unwrap();
        let ga = foil_compiler::ga::derive_global_adversarial(&f, &options()).unwrap();
        let lowered = lower_exprs(&[&ga.adversarial]);
        assert!(fitted(&lowered), "{src}: g is fitted near 0");
        for (what, e) in [("g", &ga.adversarial), ("g'", &ga.adversarial_derivative)] {
            let (worst, at) = worst_where_it_fits(e, &xs);
            assert!(worst <= 5e-6, "{src}: {what} is off by {worst:e} at x = {at:e}");
        }
    }
    for row in foil_compiler::suite::embedded_suite() {
        let f = foil_compiler::parse::parse(&row.expression).unwrap();
        let Ok(ga) = foil_compiler::ga::derive_global_adversarial(&f, &options()) else { continue };
        for e in [&ga.adversarial, &ga.adversarial_derivative] {
            assert!(!fitted(&lower_exprs(&[e])), "{}: {} is not fitted", row.expression, foil_compiler::print::to_spec(e));
        }
    }
}

/// Why a survey split form is not yet finite where it fits (README → Not
/// yet): the reasons [`SURVEY_F_NOT_YET`] and [`SURVEY_SA_NOT_YET`] give.
const SCALED_INPUT: &str = "a scaled input (2x, 3x) or a term of a sum passes f32::MAX before the value, from |x| ≈ 1.1e38";
const POWER_OF_INPUT: &str = "a power of an input overflows inside a quotient whose value fits (x³ and x⁴ from |x| ≈ 3.6e9, x² from 5.4e18)";
const TERMS_OF_DIFFERENT_INPUTS: &str = "terms that take different inputs cancel on the diagonal (1e-5 lost from |x| ≈ 180 to 530)";
const NEAR_THE_POLE: &str = "1 - c·e^(kx) cancels in f32 within about 3e-4 of the SA's pole";

/// The survey's HD-FGD F whose outputs are not yet finite where they fit.
const SURVEY_F_NOT_YET: &[(&str, &[usize], &str)] = &[
    ("(1 - exp(-2*x))/(1 + exp(-2*x))", &[0, 1, 2], SCALED_INPUT),
    ("(x + abs(x))/2 + 0.01*x", &[0], SCALED_INPUT),
    ("(x + sqrt(x^2 + 1))/2", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("(x + sqrt(x^2 + 4))/2 + 0.1*x", &[0], SCALED_INPUT),
    ("asinh(2*x) + 0.1*x", &[0], SCALED_INPUT),
    ("bent_identity(x)^2", &[1, 2], SCALED_INPUT),
    ("log(cosh(x)) + 1.2*x", &[0], SCALED_INPUT),
    ("log(cosh(x)) + x", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("log(x + sqrt(x^2+1))", &[0], "as the activation's own f: inf from 1.7e38"),
    ("logcosh(x) + x", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("softplus(2*x)/2", &[0], SCALED_INPUT),
    ("sqrt(1 + x^2) + 1.5*x", &[0], SCALED_INPUT),
    ("sqrt(x^2+4)/2 + x/2", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("tanh(2*x)", &[0, 1, 2, 3, 4], SCALED_INPUT),
    ("x + 0.3*sin(2*x)", &[0, 2], SCALED_INPUT),
    ("x + 2*x/sqrt(1 + 3*x^2)", &[3], "3x² overflows inside a quotient from 5.4e18"),
    ("x + sin(3*x)^2/3", &[0, 2], "as the activation's own f and f′: 3x rounded to f32 (1.3e-5 at 42.9), and overflowing from 1.1e38"),
    ("x + sqrt(1 + x^2)", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("x + sqrt(x^2 + 1) - 1", &[0], TERMS_OF_DIFFERENT_INPUTS),
    ("x + x^2/(1+x^2)", &[0, 3], POWER_OF_INPUT),
    ("x*atan(x) + x", &[0], SCALED_INPUT),
    ("x*sigmoid(2*x)", &[2], SCALED_INPUT),
    ("x/(1 + x^2)^(1/3)", &[2], POWER_OF_INPUT),
    ("x^3/(1 + x^2)", &[0, 1, 2], POWER_OF_INPUT),
    ("x^3/(1+x^2) + x", &[0, 1, 2], POWER_OF_INPUT),
];

/// The survey's SA (those with every term in closed form) whose outputs are
/// not yet finite where they fit.
const SURVEY_SA_NOT_YET: &[(&str, &[usize], &str)] = &[
    ("(1 - exp(-2*x))/(1 + exp(-2*x))", &[0, 1, 2], NEAR_THE_POLE),
    ("0.5*x*(1+tanh(x))", &[0], SCALED_INPUT),
    ("asinh(2*x) + 0.1*x", &[0, 1], POWER_OF_INPUT),
    ("gelu(x)", &[0, 1, 2], "erfi's f32 rounding, 1.1e-5 at x ≈ 12 (README: gelu's SA)"),
    ("gelu(x) + 0.2*x", &[0, 1, 2], "erfi's f32 rounding, 1.1e-5 at x ≈ 12 (README: gelu's SA)"),
    ("sigmoid(x - 2)", &[0, 1], NEAR_THE_POLE),
    ("tanh(2*x)", &[0, 1, 2, 3, 4], SCALED_INPUT),
    ("x + 0.5*asinh(x - 1)", &[0, 2], POWER_OF_INPUT),
    ("x + asinh(x)^2", &[2], "a product passes f32::MAX where the value is within a factor 2 of it, from 5.5e12"),
    ("x*sigmoid(1.702*x)", &[0, 1, 2], NEAR_THE_POLE),
    ("x*sigmoid(2*x)", &[0, 1, 2], NEAR_THE_POLE),
    ("x/(1 + x^2)^(1/3)", &[2], POWER_OF_INPUT),
    ("x^3/(1 + x^2)", &[0, 1, 2], POWER_OF_INPUT),
    ("x^3/(1+x^2) + x", &[0, 1, 2], POWER_OF_INPUT),
];

/// The survey's HD-FGD F with their partials on the diagonal, to f32::MAX.
/// Compositions of tanh (`tanh(x/2)`, `tanh(x)^3`, `x + tanh(x)^2`, …) had
/// partials ±inf from |u| ≈ 85 to 90 where they are bounded: the chain
/// rule's products kept a sum of exponentials and the quotient it scales in
/// different factors (`S·(0.5·u·(e^v/D²))`, `(S/D)·(2e^v/D)`), which are
/// one quotient now ([`foil_compiler::lower`]'s `pulled_into_a_factor`,
/// `merged_quotient`).
#[test]
fn survey_hd_fgd_forms_are_finite_on_the_diagonal() {
    check_survey_forms(|src| Some(hd_fgd(src, true)), SURVEY_F_NOT_YET);
}

/// The survey's SA whose terms are all in closed form, with their partials,
/// on the diagonal to f32::MAX (the tanh compositions above had the same
/// ±inf from |u| ≈ 85).
#[test]
fn survey_sa_forms_are_finite_on_the_diagonal() {
    check_survey_forms(closed_sa, SURVEY_SA_NOT_YET);
}
