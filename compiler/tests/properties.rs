//! Properties over random expression trees in `x` (built with
//! [`Builder`], depth ≤ 5): simplification keeps values, GA never panics and
//! is right whenever it answers, SA never panics.
//!
//! Values are computed by this file's own evaluator and derivatives by finite
//! differences; nothing here calls `foil_compiler::eval` or `verify`.

use egg::Id;
use foil_compiler::build::Builder;
use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::hdfgd::{derive_split_adversarial, Granularity, TermConstant};
use foil_compiler::lang::{Cmp, Expr, Func, Math};
use foil_compiler::print::to_spec;
use foil_compiler::simplify::{simplify, Limits};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::time::Duration;

#[derive(Debug, Clone)]
enum T {
    X,
    Lit(f64),
    Add(Box<T>, Box<T>),
    Sub(Box<T>, Box<T>),
    Mul(Box<T>, Box<T>),
    Div(Box<T>, Box<T>),
    Neg(Box<T>),
    Exp(Box<T>),
    Log1p(Box<T>),
    /// sqrt(a^2 + c), c > 0
    SqrtSq(Box<T>, f64),
    Tanh(Box<T>),
    Sinh(Box<T>),
    Atan(Box<T>),
    Erf(Box<T>),
}

fn leaf() -> impl Strategy<Value = T> {
    prop_oneof![
        4 => Just(T::X),
        1 => prop_oneof![Just(1.0), Just(2.0), Just(-1.0), Just(0.5), Just(-0.25), Just(3.0), (-30i32..=30).prop_map(|k| k as f64 / 10.0)]
            .prop_map(T::Lit),
    ]
}

fn tree() -> impl Strategy<Value = T> {
    // Depth ≤ 5 levels of operators above the leaves.
    tree_of_depth(5, 24)
}

fn tree_of_depth(depth: u32, size: u32) -> impl Strategy<Value = T> {
    leaf().prop_recursive(depth, size, 2, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            (b(), b()).prop_map(|(l, r)| T::Add(l, r)),
            (b(), b()).prop_map(|(l, r)| T::Sub(l, r)),
            (b(), b()).prop_map(|(l, r)| T::Mul(l, r)),
            (b(), b()).prop_map(|(l, r)| T::Div(l, r)),
            b().prop_map(T::Neg),
            b().prop_map(T::Exp),
            b().prop_map(T::Log1p),
            (b(), prop_oneof![Just(1.0), Just(0.5), Just(2.0), Just(4.0)]).prop_map(|(a, c)| T::SqrtSq(a, c)),
            b().prop_map(T::Tanh),
            b().prop_map(T::Sinh),
            b().prop_map(T::Atan),
            b().prop_map(T::Erf),
        ]
    })
}

fn build_into(b: &mut Builder, t: &T) -> Id {
    match t {
        T::X => b.var("x"),
        T::Lit(v) => b.num(*v),
        T::Add(l, r) => {
            let (l, r) = (build_into(b, l), build_into(b, r));
            b.add_(l, r)
        }
        T::Sub(l, r) => {
            let (l, r) = (build_into(b, l), build_into(b, r));
            b.sub(l, r)
        }
        T::Mul(l, r) => {
            let (l, r) = (build_into(b, l), build_into(b, r));
            b.mul(l, r)
        }
        T::Div(l, r) => {
            let (l, r) = (build_into(b, l), build_into(b, r));
            b.div(l, r)
        }
        T::Neg(a) => {
            let a = build_into(b, a);
            b.neg(a)
        }
        T::Exp(a) => {
            let a = build_into(b, a);
            b.call(Func::Exp, a)
        }
        T::Log1p(a) => {
            let a = build_into(b, a);
            b.call(Func::Log1p, a)
        }
        T::SqrtSq(a, c) => {
            let a = build_into(b, a);
            let sq = b.powi(a, 2);
            let c = b.num(*c);
            let s = b.add_(sq, c);
            b.call(Func::Sqrt, s)
        }
        T::Tanh(a) => {
            let a = build_into(b, a);
            b.call(Func::Tanh, a)
        }
        T::Sinh(a) => {
            let a = build_into(b, a);
            b.call(Func::Sinh, a)
        }
        T::Atan(a) => {
            let a = build_into(b, a);
            b.call(Func::Atan, a)
        }
        T::Erf(a) => {
            let a = build_into(b, a);
            b.call(Func::Erf, a)
        }
    }
}

fn build(t: &T) -> Expr {
    let mut b = Builder::new();
    let r = build_into(&mut b, t);
    b.finish_at(r)
}

/// This file's evaluator, with an optional relative perturbation of every
/// intermediate result (`perturb(k)` for node k) to measure conditioning.
fn ev_with(e: &Expr, x: f64, perturb: &dyn Fn(usize) -> f64) -> f64 {
    let nodes = e.as_ref();
    let mut v: Vec<f64> = Vec::with_capacity(nodes.len());
    for (k, n) in nodes.iter().enumerate() {
        let a = |i: &Id| v[usize::from(*i)];
        let r = match n {
            Math::Add([p, q]) => a(p) + a(q),
            Math::Sub([p, q]) => a(p) - a(q),
            Math::Mul([p, q]) => a(p) * a(q),
            Math::Div([p, q]) => a(p) / a(q),
            Math::Pow([p, q]) => {
                let (b, k) = (a(p), a(q));
                if k == k.trunc() && k.abs() <= 64.0 {
                    b.powi(k as i32)
                } else {
                    b.powf(k)
                }
            }
            Math::Neg(p) => -a(p),
            Math::Call(Func::Exp, p) => a(p).exp(),
            Math::Call(Func::Log, p) => a(p).ln(),
            Math::Call(Func::Log1p, p) => a(p).ln_1p(),
            Math::Call(Func::Expm1, p) => a(p).exp_m1(),
            Math::Call(Func::Sqrt, p) => a(p).sqrt(),
            Math::Call(Func::Abs, p) => a(p).abs(),
            // A mirrored numeric result is sign(x)·G(|x|); ±0 and NaN pass through.
            Math::Call(Func::Sign, p) => {
                let s = a(p);
                if s == 0.0 || s.is_nan() {
                    s
                } else {
                    s.signum()
                }
            }
            Math::Call(Func::Sin, p) => a(p).sin(),
            Math::Call(Func::Cos, p) => a(p).cos(),
            Math::Call(Func::Atan, p) => a(p).atan(),
            Math::Call(Func::Sinh, p) => a(p).sinh(),
            Math::Call(Func::Cosh, p) => a(p).cosh(),
            Math::Call(Func::Tanh, p) => a(p).tanh(),
            Math::Call(Func::Asinh, p) => a(p).asinh(),
            Math::Call(Func::Erf, p) => libm::erf(a(p)),
            Math::Call(Func::Erfi, p) => erfi(a(p)),
            Math::Pi => std::f64::consts::PI,
            Math::Euler => std::f64::consts::E,
            Math::Num(c) => c.into_inner(),
            Math::Var(_) => x,
            // Numeric (no closed form) results are piecewise polynomials.
            Math::Compare(Cmp::Lt, [p, q]) => f64::from(a(p) < a(q)),
            Math::Compare(Cmp::Le, [p, q]) => f64::from(a(p) <= a(q)),
            Math::Compare(Cmp::Gt, [p, q]) => f64::from(a(p) > a(q)),
            Math::Compare(Cmp::Ge, [p, q]) => f64::from(a(p) >= a(q)),
            Math::Where([c, p, q]) => {
                if a(c) != 0.0 {
                    a(p)
                } else {
                    a(q)
                }
            }
            Math::Min([p, q]) => a(p).min(a(q)),
            Math::Max([p, q]) => a(p).max(a(q)),
        };
        v.push(r * (1.0 + perturb(k)));
    }
    *v.last().unwrap()
}

fn ev(e: &Expr, x: f64) -> f64 {
    ev_with(e, x, &|_| 0.0)
}

/// The value at `x` is trustworthy to ~1e-10: perturbing every intermediate
/// result by 1e-13 (relative, several sign patterns) moves it by less than that.
fn well_conditioned(e: &Expr, x: f64) -> bool {
    let v = ev(e, x);
    (1..=6u64).all(|seed| {
        let p = ev_with(e, x, &|k| {
            let h = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(seed.wrapping_mul(0xBF58_476D_1CE4_E5B9));
            if (h >> 29) & 1 == 0 {
                1e-13
            } else {
                -1e-13
            }
        });
        p.is_finite() && (p - v).abs() <= 1e-10 * v.abs().max(1.0)
    })
}

/// erfi by its power series (|x| ≤ 12).
fn erfi(x: f64) -> f64 {
    if x.abs() > 12.0 {
        return f64::NAN;
    }
    let (x2, mut term, mut sum) = (x * x, x, 0.0);
    for n in 0..2000 {
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() <= 1e-18 * sum.abs() {
            break;
        }
        term *= x2 / (n + 1) as f64;
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

/// The 8-point central difference of f at x with step h, and what f's own
/// rounding (1 ulp at each of its points) can move it by.
fn fd8(f: &dyn Fn(f64) -> f64, x: f64, h: f64) -> (f64, f64) {
    const C: [f64; 4] = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
    let (mut s, mut most) = (0.0, 0.0f64);
    for (k, c) in C.iter().enumerate() {
        let k = (k + 1) as f64;
        let (up, down) = (f(x + k * h), f(x - k * h));
        s += c * (up - down);
        most = most.max(up.abs()).max(down.abs());
    }
    // 2.1 ≥ 2·Σ|c|.
    (s / h, f64::EPSILON * most * 2.1 / h)
}

/// A finite-difference derivative that agrees with itself at two steps (to
/// 1e-9 relative) and stands above f's rounding, or `None` where finite
/// differences cannot be trusted.
fn trusted_derivative(f: &dyn Fn(f64) -> f64, x: f64) -> Option<f64> {
    for h in [0.02, 0.005, 0.05] {
        let ((a, _), (b, rounding)) = (fd8(f, x, h), fd8(f, x, h / 2.0));
        // Two steps can agree on noise, so they must also stand above it.
        if a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-9 * b.abs() && rounding <= 1e-8 * b.abs() {
            return Some(b);
        }
    }
    None
}

fn points() -> Vec<f64> {
    (0..41).map(|i| -4.0 + 8.0 * (i as f64 + 0.381_966) / 41.0).collect()
}

/// E-graph limits small enough that a case runs quickly in debug.
fn small_limits() -> Limits {
    Limits { node_limit: 1500, iter_limit: 4, time_limit: Duration::from_millis(30) }
}

fn opts() -> GaOptions {
    GaOptions { anchor: Some(0.0), regularize: None, limits: small_limits() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, max_shrink_iters: 200, ..ProptestConfig::default() })]

    /// (a) simplify keeps the value wherever the input is finite (and its own
    /// value is not dominated by rounding).
    #[test]
    fn simplify_preserves_values(t in tree()) {
        let e = build(&t);
        let (s, _) = simplify(&e, &small_limits());
        for x in points().into_iter().chain([0.0, 1.0, -1.0]) {
            let a = ev(&e, x);
            if !a.is_finite() || !well_conditioned(&e, x) {
                continue;
            }
            let b = ev(&s, x);
            prop_assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "at x = {}: input {} = {}, simplified {} = {}", x, to_spec(&e), a, to_spec(&s), b
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, max_shrink_iters: 100, ..ProptestConfig::default() })]

    /// (b) GA never panics, and whenever it answers, g' = 1/f' on [-4, 4]
    /// ([`ga_is_right`]).
    #[test]
    fn ga_is_right_whenever_it_answers(t in tree()) {
        ga_is_right(&build(&t))?;
    }
}

/// Whenever GA answers for `f`, g' = 1/f' by finite differences on
/// [-4, 4] (1e-6 · max(1, |1/f'|), SPEC §5's scale) and g(0) = f(0).
fn ga_is_right(f: &Expr) -> Result<(), TestCaseError> {
    if let Ok(ga) = derive_global_adversarial(f, &opts()) {
        let g = &ga.adversarial;
        let (fv, gv) = (|x: f64| ev(f, x), |x: f64| ev(g, x));
        let (f0, g0) = (fv(0.0), gv(0.0));
        prop_assert!((g0 - f0).abs() <= 1e-9 * f0.abs().max(1.0), "g(0) = {} but f(0) = {}: f = {}, g = {}", g0, f0, to_spec(f), to_spec(g));
        for x in points() {
            let (Some(df), Some(dg)) = (trusted_derivative(&fv, x), trusted_derivative(&gv, x)) else { continue };
            let want = 1.0 / df;
            // SPEC §5's scale, max(1, |1/f'|): where 1/f' underflows
            // (exp(-exp(x)) at x = 4 is 1e-28) an absolute error of
            // 1e-14 is an accepted answer, not a wrong one.
            prop_assert!(
                (dg - want).abs() <= 1e-6 * want.abs().max(1.0),
                "at x = {}: g' = {} but 1/f' = {}: f = {}, g = {}",
                x,
                dg,
                want,
                to_spec(f),
                to_spec(g)
            );
        }
    }
    Ok(())
}

/// The case a random seed found: f = tanh(erf(x) + sinh(2)) at x = 3.879,
/// where f = 0.99981 and f' = 1.26e-10. f's rounding, 1.1e-16, is 1e-4 of
/// the stencil's differences at h = 0.01; the steps 0.02 and 0.01 gave the
/// same f' to 13 digits, 2.5e-6 off the true value (which foil's g' matches
/// to 1e-14), and [`trusted_derivative`] took it. It now leaves out a step
/// whose rounding alone could move the difference by 1e-8.
#[test]
fn finite_differences_drowned_in_rounding_are_not_trusted() {
    let f = foil_compiler::parse::parse("tanh(erf(x) + sinh(2))").unwrap();
    let x = -4.0 + 8.0 * (40.0 + 0.381_966) / 41.0;
    assert_eq!(trusted_derivative(&|x| ev(&f, x), x), None);
    ga_is_right(&f).unwrap();
    // Where f' stands above f's rounding every point is still checked.
    assert!(points().into_iter().all(|x| trusted_derivative(&f64::tanh, x).is_some()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, max_shrink_iters: 100, ..ProptestConfig::default() })]

    /// (c) SA never panics (an Err is an answer).
    #[test]
    fn sa_never_panics(t in tree()) {
        let f = build(&t);
        let _ = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts());
    }
}

/// Random trees per shard of (d). Four shards run as four tests, in
/// parallel under the default test harness: 4 × 150 = 600 trees per CI run
/// (a fresh random sample each local run; CI fixes the seed). Measured in debug on this 2-core machine
/// shared with a fuzzer: 4 × 300 took 217 s wall (107 s CPU, ~90 ms a tree),
/// dominated by the few trees whose terms have no closed form (numeric
/// antiderivatives: exp(tanh(x)) alone takes ~7 s). The fuzz run of the
/// `derive` target (fuzz/) covers the same check on ~170,000 inputs.
const DERIVE_CASES_PER_SHARD: u32 = 150;

/// (d) Through the fuzz targets' own check
/// (`foil_compiler::fuzzing::check_derive_expr`): GA and SA never panic, no
/// call exceeds the time bound, and every claimed result re-verifies.
fn derive_check(t: &T) {
    let f = build(t);
    foil_compiler::fuzzing::check_derive_expr(&f, &to_spec(&f), &small_limits());
}

/// Shard `k`'s config. Under a fixed `PROPTEST_RNG_SEED` (`.ci/run` sets
/// one, so CI is reproducible) each shard offsets it, so the four shards
/// still draw four different samples instead of one sample four times.
fn shard_config(k: u64) -> ProptestConfig {
    let mut config = ProptestConfig { cases: DERIVE_CASES_PER_SHARD, max_shrink_iters: 100, ..ProptestConfig::default() };
    if let RngSeed::Fixed(seed) = config.rng_seed {
        config.rng_seed = RngSeed::Fixed(seed.wrapping_add(k));
    }
    config
}

/// One shard of (d): a proptest of its own with [`shard_config`]`(k)`.
macro_rules! derive_shard {
    ($name:ident, $k:expr) => {
        proptest! {
            #![proptest_config(shard_config($k))]
            #[test]
            fn $name(t in tree_of_depth(3, 8)) { derive_check(&t) }
        }
    };
}

derive_shard!(derive_is_sound_shard_1, 1);
derive_shard!(derive_is_sound_shard_2, 2);
derive_shard!(derive_is_sound_shard_3, 3);
derive_shard!(derive_is_sound_shard_4, 4);
