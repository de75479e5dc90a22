//! The generated cubecl kernels on wgpu against an f64 reference computed
//! independently of the emitted code: `foil_compiler::eval` on the derived IR
//! (`EXPRESSION`) and its symbolic derivative (`DERIVATIVE`, `PARTIALS`).
//!
//! Without an adapter every test prints `SKIP: no wgpu adapter` and passes,
//! unless `FOIL_REQUIRE_GPU=1`, where it fails instead.

use egg::Symbol;
use foil::kernels::{Client, Launch};
use foil::runtime::launch::{backward_on, forward_on, split_backward_on, split_forward_on};
use foil::{adversarial, hd_fgd, GpuActivation, GpuSplitActivation, SplitActivation};

// Every suite activation with a GA, and selu's (a named activation, no
// suite row), whose g multiplies 1 − e^-x by a constant below 1.
adversarial!(TanhGa = tanh(x));
adversarial!(SigmoidGa = sigmoid(x));
adversarial!(SoftplusGa = softplus(x));
adversarial!(SoftsignGa = softsign(x));
adversarial!(EluGa = elu(x, 1));
adversarial!(LeakyReluGa = leaky_relu(x, 0.01));
adversarial!(AtanGa = atan(x));
adversarial!(AsinhGa = asinh(x));
adversarial!(IsruGa = x / sqrt(1 + x ^ 2));
adversarial!(BentIdentityGa = (sqrt(x ^ 2 + 1) - 1) / 2 + x);
adversarial!(Sigmoid2xGa = sigmoid(2 * x));
adversarial!(Expm1Ga = exp(x) - 1);
adversarial!(SeluGa = selu(x));
// Not suite rows: GAs whose g is a logarithm of an exponential sum
// (`f32_edge_cases_of_exponential_sums`).
adversarial!(PlusTanhGa = x + tanh(x));
adversarial!(PlusTenthTanhGa = x + 0.1 * tanh(x));
adversarial!(MinusExpGa = x - exp(-2 * x));
// GAs written in v = x/(1 + sqrt(1 + x²)) (`f32_edge_cases_of_root_sums`).
adversarial!(PlusAsinhGa = x + asinh(x));
adversarial!(PlusHalfAsinhGa = x + 0.5 * asinh(x));
adversarial!(LeakyAsinhGa = asinh(x) + 0.1 * x);
adversarial!(PlusHalfIsruGa = x + 0.5 * isru(x));
// PyTorch's Softplus(beta = 2): its g, x + 0.5·(1.69 − e^(−2x)), scales an
// exponential by a constant below 1.
adversarial!(SoftplusBeta2Ga = softplus(2 * x) / 2);
// Leaky variants: g is a term of slope about 100 less one of nearly the
// same slope near 0, fitted there by a piecewise polynomial.
adversarial!(LeakySigmoidGa = sigmoid(x) + 0.01 * x);
adversarial!(LeakyAtanGa = atan(x) + 0.01 * x);
adversarial!(LeakySoftsignGa = softsign(x) + 0.01 * x);
// A squareplus (Barron 2021), b = 4: its g, a polynomial in x and
// sqrt(x² + 4), cancels as x → +∞ as written (`squareplus_ga_kernel_keeps_its_digits`).
adversarial!(SquareplusGa = (x + sqrt(x ^ 2 + 4)) / 2);

// Every suite activation with an SA.
adversarial!(TanhSa = tanh(x), mode = split);
adversarial!(SigmoidSa = sigmoid(x), mode = split);
adversarial!(SiluSa = x * sigmoid(x), mode = split);
adversarial!(GeluSa = gelu(x), mode = split);
adversarial!(MishSa = mish(x), mode = split);
// Its tanh(x + 0.044715x³) term has no closed form: a numeric piecewise
// polynomial, the kernels' own fit of 2 pieces (242 distinct operations
// with the partials).
adversarial!(GeluTanhSa = gelu_tanh(x), mode = split);

// The lifted F of an HD-FGD split of every suite row with an SA (4 inputs for tanh).
hd_fgd!(TanhF = tanh(x));
hd_fgd!(SigmoidF = sigmoid(x));
hd_fgd!(SiluF = x * sigmoid(x));
hd_fgd!(GeluF = gelu(x));
hd_fgd!(GeluTanhF = gelu_tanh(x));
hd_fgd!(MishF = mish(x));

// erfi and erf on their own: the `#[cube]` helpers every kernel with them calls.
foil::activation!(ErfiFn = erfi(x));
foil::activation!(ErfFn = erf(x));
// atan on its own: the `#[cube]` `atan` (one reduction, one polynomial).
foil::activation!(AtanFn = atan(x));
// asinh and softplus on their own: the `#[cube]` `asinh` and `log1p_unit`
// (a softplus's log1p(e^-|x|)) every kernel with them calls.
foil::activation!(AsinhFn = asinh(x));
foil::activation!(SoftplusFn = softplus(x));
// logcosh on its own: the `#[cube]` `log1p_half` (its log1p(expm1(-2|x|)/2)).
foil::activation!(LogcoshFn = log(cosh(x)));
// sin and cos on their own: the `#[cube]` `sin`/`cos` (argument reduction).
foil::activation!(SinFn = sin(x));
foil::activation!(CosFn = cos(x));

mod common;
use common::gpu::{
    agrees_with_scalar, as_the_device_read, box_points, client, gelu_tanh_term_beyond_range, grid, mish_sa_ill_conditioned, parse, reference, scattered,
    signed_pairs, subnormal_exponential, widths_agree, Errors, POINTS, SPLIT_POINTS, SPLIT_TOL, TOL,
};

/// Forward and backward of a one-input activation; returns the report lines and
/// whether it passed: within the tolerance, no NaN, and ±inf only where the
/// true value is beyond f32 (no early overflow: SPEC's f32 kernels stay
/// finite wherever the true value fits).
fn check_ga<A: GpuActivation>(client: &Client, x: &[f32]) -> (String, bool) {
    let n = x.len();
    let names = [Symbol::from("x")];
    let want_y = reference(&parse(A::EXPRESSION), &names, &[x]);
    let want_d = reference(&parse(A::DERIVATIVE), &names, &[x]);
    // grad_out varies in sign and magnitude; the backward result is compared to grad_out·g'.
    let g: Vec<f32> = (0..n).map(|i| [1.0f32, -0.5, 2.0, 0.25][i % 4]).collect();
    let y4 = forward_on::<A>(client, x, Launch::new(n, 4).unwrap()).unwrap();
    let y1 = forward_on::<A>(client, x, Launch::new(n, 1).unwrap()).unwrap();
    let d4 = backward_on::<A>(client, x, &g, Launch::new(n, 4).unwrap()).unwrap();
    let d1 = backward_on::<A>(client, x, &g, Launch::new(n, 1).unwrap()).unwrap();
    let (mut fe, mut be) = (Errors::default(), Errors::default());
    for i in 0..n {
        fe.add(x[i] as f64, y4[i], want_y[i]);
        // g·g' with g' itself beyond f32 is ±inf whatever g.
        if want_d[i].abs() <= f32::MAX as f64 {
            be.add(x[i] as f64, d4[i], g[i] as f64 * want_d[i]);
        }
    }
    let agree = widths_agree(&y4, &y1) && widths_agree(&d4, &d1);
    let ok = fe.passed() && be.passed() && agree && fe.early_overflow + be.early_overflow == 0;
    let mut s = format!("{}\n  {}\n  {}\n  vec4 ≈ vec1: {agree}", A::NAME, fe.line("forward"), be.line("backward"));
    for b in fe.bad.iter().chain(&be.bad).take(5) {
        s += &format!("\n  BAD {b}");
    }
    (s, ok)
}

/// A split function on the diagonal u1 = … = un = x (where HD-FGD evaluates
/// it).
fn check_sa<A: GpuSplitActivation>(client: &Client, n: usize, tol: f64) -> (String, bool) {
    check_split::<A>(client, "diagonal", &vec![grid(n); A::TERMS], tol, &|_| false, 0)
}

/// A split function at `cols` (column i: input u_i), forward and every
/// partial on the device (vector widths 4 and 1 agreeing: `widths_agree`), and
/// the scalar Rust `value`/`gradient` at f32, against f64 on the IR. Points
/// `skip` names are left out (counted); up to `allowed_bad` results may be
/// non-finite where the f64 value fits (an intermediate overflow; counted).
fn check_split<A: GpuSplitActivation>(
    client: &Client,
    label: &str,
    cols: &[Vec<f32>],
    tol: f64,
    skip: &dyn Fn(&[f64]) -> bool,
    allowed_bad: usize,
) -> (String, bool) {
    let n = cols[0].len();
    let names: Vec<Symbol> = (1..=A::TERMS).map(|i| Symbol::from(format!("u{i}").as_str())).collect();
    let refs: Vec<&[f32]> = cols.iter().map(|v| v.as_slice()).collect();
    let g: Vec<f32> = (0..n).map(|i| [1.0f32, -0.5, 2.0, 0.25][i % 4]).collect();
    let y4 = split_forward_on::<A>(client, &refs, Launch::new(n, 4).unwrap()).unwrap();
    let y1 = split_forward_on::<A>(client, &refs, Launch::new(n, 1).unwrap()).unwrap();
    let d4 = split_backward_on::<A>(client, &refs, &g, Launch::new(n, 4).unwrap()).unwrap();
    let d1 = split_backward_on::<A>(client, &refs, &g, Launch::new(n, 1).unwrap()).unwrap();
    let points: Vec<Vec<f32>> = (0..n).map(|i| refs.iter().map(|c| c[i]).collect()).collect();
    let skipped: Vec<bool> = points.iter().map(|u| skip(&u.iter().map(|&v| v as f64).collect::<Vec<_>>())).collect();
    let mut wants = vec![reference(&parse(A::EXPRESSION), &names, &refs)];
    wants.extend(A::PARTIALS.iter().map(|p| reference(&parse(p), &names, &refs)));
    let (mut device, mut scalar) = (vec![Errors::default(); A::TERMS + 1], vec![Errors::default(); A::TERMS + 1]);
    let mut grad = vec![0.0f32; A::TERMS];
    for (i, u) in points.iter().enumerate().filter(|(i, _)| !skipped[*i]) {
        device[0].add_point(u, y4[i], wants[0][i]);
        scalar[0].add_point(u, A::value(u), wants[0][i]);
        A::gradient(u, &mut grad);
        for k in 0..A::TERMS {
            // The device returns g·∂: where ∂ itself is beyond f32 it is
            // ±inf before the multiply, whatever g (not an early overflow).
            if wants[k + 1][i].abs() <= f32::MAX as f64 {
                device[k + 1].add_point(u, d4[k][i], g[i] as f64 * wants[k + 1][i]);
            }
            scalar[k + 1].add_point(u, grad[k], wants[k + 1][i]);
        }
    }
    let agree = widths_agree(&y4, &y1) && (0..A::TERMS).all(|k| widths_agree(&d4[k], &d1[k]));
    let left_out = skipped.iter().filter(|s| **s).count();
    let mut s = format!("{} ({} terms, {label}, {n} points, {left_out} ill-conditioned left out)", A::NAME, A::TERMS);
    let mut ok = agree;
    for (k, (dev, host)) in device.iter().zip(&scalar).enumerate() {
        let what = if k == 0 { "forward".to_string() } else { format!("backward d/du{k}") };
        s += &format!("\n  {}\n  {}", dev.line(&what), host.line(&format!("scalar Rust {what}")));
        ok &= dev.mixed <= tol && host.mixed <= tol && dev.bad.len() <= allowed_bad && host.bad.len() <= allowed_bad;
        for b in dev.bad.iter().chain(&host.bad).take(3) {
            s += &format!("\n  BAD {b}");
        }
    }
    s += &format!("\n  vec4 ≈ vec1: {agree}");
    (s, ok)
}

/// Every split function at 2^18 independent points over [-r, r]^n.
fn off_diagonal(client: &Client, r: f64) -> Vec<(String, bool)> {
    let label = format!("independent over [-{r}, {r}]");
    macro_rules! check {
        ($a:ty, $skip:expr, $bad:expr) => {
            check!($a, $skip, $bad, SPLIT_TOL)
        };
        ($a:ty, $skip:expr, $bad:expr, $tol:expr) => {{
            let cols = box_points(<$a>::TERMS, SPLIT_POINTS, r, 17);
            check_split::<$a>(client, &label, &cols, $tol, $skip, $bad)
        }};
    }
    fn no_skip(_: &[f64]) -> bool {
        false
    }
    vec![
        check!(TanhSa, &no_skip, 0),
        check!(SigmoidSa, &no_skip, 0),
        check!(SiluSa, &no_skip, 0),
        // erfi(u2/√2) ~ e^(u2²/2): the rounding of u2/√2 alone moves it by
        // u2²·2^-24 ≈ 1e-5 at |u2| ≈ 13; within SPLIT_TOL since the rational erfi.
        check!(GeluSa, &no_skip, 0),
        check!(GeluTanhSa, &gelu_tanh_term_beyond_range, 0),
        // Near its singular surfaces (see `mish_sa_ill_conditioned`); over
        // [-88, 88] a nested quotient of ∂/∂u5 can overflow first (≤ 0.1%).
        check!(MishSa, &mish_sa_ill_conditioned, SPLIT_POINTS / 1000),
        check!(TanhF, &no_skip, 0),
        check!(SigmoidF, &no_skip, 0),
        check!(SiluF, &no_skip, 0),
        check!(GeluF, &no_skip, 0),
        check!(GeluTanhF, &no_skip, 0),
        check!(MishF, &subnormal_exponential, 0),
    ]
}

fn report(results: Vec<(String, bool)>) {
    let mut failed = Vec::new();
    for (s, ok) in &results {
        println!("{}{s}", if *ok { "" } else { "FAIL " });
        if !ok {
            failed.push(s.lines().next().unwrap_or("").to_string());
        }
    }
    assert!(failed.is_empty(), "failed: {failed:?}");
}

/// [`check_ga`] of every suite GA kernel and selu's at `x`.
fn check_every_ga(client: &Client, x: &[f32]) -> Vec<(String, bool)> {
    vec![
        check_ga::<TanhGa>(client, x),
        check_ga::<SigmoidGa>(client, x),
        check_ga::<SoftplusGa>(client, x),
        check_ga::<SoftsignGa>(client, x),
        check_ga::<EluGa>(client, x),
        check_ga::<LeakyReluGa>(client, x),
        check_ga::<AtanGa>(client, x),
        check_ga::<AsinhGa>(client, x),
        check_ga::<IsruGa>(client, x),
        check_ga::<BentIdentityGa>(client, x),
        check_ga::<Sigmoid2xGa>(client, x),
        check_ga::<Expm1Ga>(client, x),
        check_ga::<SeluGa>(client, x),
    ]
}

/// Every suite GA kernel on [-30, 30], and three leaky variants', whose
/// terms cancel near 0 as written (5.5e-5, 2.1e-5 and 1.7e-5 in f32 before
/// their kernels were fitted there; atan's and softsign's, 4e-5 just
/// outside their fits with lavapipe's own atan).
#[test]
fn global_adversarial_kernels_match_f64() {
    let Some(client) = client() else { return };
    let x = grid(POINTS);
    let mut results = check_every_ga(&client, &x);
    results.push(check_ga::<LeakySigmoidGa>(&client, &x));
    results.push(check_ga::<LeakyAtanGa>(&client, &x));
    results.push(check_ga::<LeakySoftsignGa>(&client, &x));
    report(results);
}

/// The same kernels from 1e-3 to f32::MAX on both sides, 4,000 points a
/// decade (±10^(k/4000), so each overflow threshold is met within 0.06 %),
/// and ±f32::MAX: finite wherever the true value fits. Before, tanh's g was
/// ±inf from |x| = 44.72 (its value fits to 45.4) and its g′ too (to 45.05),
/// sigmoid(2x)'s g from 44.72, selu's from −88.72 (to −89.3), softsign's
/// and atan's from 6.98e12 (to 1.0e13), where `sinh(2x)`, `cosh(2x)`,
/// `e^-x` and `x³` passed f32::MAX before their constant factors brought
/// them back; bent_identity's g′ read 0 instead of 2/3 from 2.27e38. Beyond
/// the suite, x + tanh(x) and softplus(2x)/2 (−inf from x = −44.36); x −
/// e^(−2x), whose g as written overflows f64 from x = 355, is checked
/// against maths that does not in `f32_edge_cases_of_exponential_sums`.
#[test]
fn global_adversarial_kernels_are_finite_wherever_their_values_fit() {
    let Some(client) = client() else { return };
    let mut x: Vec<f32> = (-12_000..=154_124).map(|k| 10f64.powf(k as f64 / 4000.0) as f32).collect();
    x.push(f32::MAX);
    x.extend(x.clone().iter().map(|v| -v));
    assert!(x.iter().all(|v| v.is_finite()) && x.len() % 4 == 0, "finite points, a multiple of the vector width 4");
    let mut results = check_every_ga(&client, &x);
    results.push(check_ga::<PlusTanhGa>(&client, &x));
    results.push(check_ga::<SoftplusBeta2Ga>(&client, &x));
    report(results);
}

#[test]
fn split_adversarial_kernels_match_f64() {
    let Some(client) = client() else { return };
    report(vec![
        check_sa::<TanhSa>(&client, POINTS, TOL),
        check_sa::<SigmoidSa>(&client, POINTS, TOL),
        check_sa::<SiluSa>(&client, POINTS, TOL),
        // gelu's SA holds erfi(u/√2) and e^(u²/2): for |u| ≈ 13 the exponent
        // u²/2 ≈ 90 carries a rounding error of ~90·6e-8, so f32 itself cannot
        // do better than ~1e-5 there (measured 1.39e-5 at u = -13.50 on
        // lavapipe with the rational erfi; 2.1e-5 with the series it replaced).
        check_sa::<GeluSa>(&client, POINTS, 2e-5),
        check_sa::<MishSa>(&client, POINTS, TOL),
        // Its numeric term's pieces near the f32 horizon (|u| ≈ 10, values
        // ~1e37) are degree-19 polynomials evaluated in f32 across a wide
        // dynamic range: measured 1.43e-5 in ∂/∂u2 there (1.0e-5 at degree
        // 15; the forward went from 1.06e-5 to 8.6e-6), so the split bound.
        // Its ∂/∂u1 = 0.5·(1 + a(u2)) counts early overflows (inf where the
        // reference fits): the reference beyond |u2| = 10.22 is the kernels'
        // linear continuation of a, which passes f32::MAX at 11.18. The true
        // a is 2.2e9·f32::MAX there (a passes f32::MAX at 10.357), so inf is
        // the f32 value of the true function at every such point
        // (bench/results/2026-12-06-gelu-tanh-tail/).
        check_sa::<GeluTanhSa>(&client, POINTS, SPLIT_TOL),
    ]);
}

/// erfi and erf through their kernels (forward: the helper; backward: its
/// derivative, (2/√π)e^(±x²)) against f64, on 2²² points over [-10, 10]
/// (erfi overflows f32 at |x| = 9.568) and on every f32 of [9.5, 9.6]
/// around the overflow, at the SPEC scale.
#[test]
fn erfi_and_erf_helpers_match_f64() {
    let Some(client) = client() else { return };
    let n = 1 << 22;
    let mut x: Vec<f32> = (0..n).map(|i| (-10.0 + 20.0 * i as f64 / (n - 1) as f64) as f32).collect();
    let (lo, hi) = (9.5f32.to_bits(), 9.6f32.to_bits());
    x.extend((lo..hi).step_by(8).map(f32::from_bits));
    x.truncate(x.len() / 4 * 4);
    report(vec![check_ga::<ErfiFn>(&client, &x), check_ga::<ErfFn>(&client, &x)]);
}

/// The atan helper against f64 in f32 ulps (of the correctly rounded
/// value) at every 512th positive f32 and its negative, from the smallest
/// subnormal to f32::MAX, and ±inf (±π/2): within 2 ulps (1.30 at x =
/// 0.52 on lavapipe), odd, ±0 kept. lavapipe's builtin, which the kernels
/// called before, was 347 ulps off at x = 3.9e-3 and gave +0 for −0.
#[test]
fn atan_helper_is_within_two_ulps() {
    let Some(client) = client() else { return };
    let mut x: Vec<f32> = (1..f32::INFINITY.to_bits()).step_by(512).map(f32::from_bits).collect();
    x.extend(x.clone().iter().map(|v| -v));
    x.extend([f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0]);
    x.truncate(x.len() / 4 * 4);
    let g = vec![1.0f32; x.len()];
    let (y, _) = forward_and_backward::<AtanFn>(&client, &x, &g);
    let (mut worst, mut at) = (0.0f64, 0.0f32);
    for (&xi, &yi) in x.iter().zip(&y) {
        let want = (xi as f64).atan();
        let rounded = want as f32;
        let ulp = (f32::from_bits(rounded.abs().to_bits() + 1) - rounded.abs()) as f64;
        let ulps = (yi as f64 - want).abs() / ulp;
        assert!(yi.is_finite() && (yi == 0.0) == (xi == 0.0) && yi.is_sign_negative() == xi.is_sign_negative(), "atan({xi}) = {yi}");
        if ulps > worst {
            (worst, at) = (ulps, xi);
        }
    }
    println!("atan: {worst:.2} ulps at x = {at:e} ({} points)", x.len());
    assert!(worst <= 2.0, "atan is {worst} ulps off at x = {at:e}");
}

/// sin and cos with their derivatives against f64 at the SPEC scale: 2²¹
/// points over [-25,000, 25,000] (where the reduction modulo 2π is exact)
/// and every 4096th f32 of [-8, 8]. Vulkan specifies the builtins inside
/// [-π, π] only: NVIDIA's sin drifted to 2e-5 by |x| = 100 before the
/// helpers reduced the argument (H200, 2026-12-04).
#[test]
fn sin_and_cos_helpers_match_f64() {
    let Some(client) = client() else { return };
    let n = 1 << 21;
    let mut x: Vec<f32> = (0..n).map(|i| (-25_000.0 + 50_000.0 * i as f64 / (n - 1) as f64) as f32).collect();
    for sign in [1.0f32, -1.0] {
        x.extend((0..8.0f32.to_bits()).step_by(1 << 12).map(|b| sign * f32::from_bits(b)));
    }
    x.truncate(x.len() / 4 * 4);
    report(vec![check_ga::<SinFn>(&client, &x), check_ga::<CosFn>(&client, &x)]);
}

/// asinh and softplus with their derivatives against f64 at the SPEC
/// scale: 2²¹ points over [-100, 100], every 4th f32 around asinh's branch
/// points (|x| = 0.5, where its polynomial meets ln(a + √(a² + 1)), and
/// 1e4, where ln(a) + ln 2 takes over), and magnitudes from 1e-30 to 1e30
/// of both signs (x·x overflows past 1.8e19; softplus and logcosh, whose
/// f64 references overflow beyond, to 700).
#[test]
fn asinh_and_softplus_helpers_match_f64() {
    let Some(client) = client() else { return };
    let n = 1 << 21;
    let mut x: Vec<f32> = (0..n).map(|i| (-100.0 + 200.0 * i as f64 / (n - 1) as f64) as f32).collect();
    for (lo, hi) in [(0.49f32, 0.51f32), (9990.0, 10010.0)] {
        for sign in [1.0f32, -1.0] {
            x.extend((lo.to_bits()..hi.to_bits()).step_by(4).map(|b| sign * f32::from_bits(b)));
        }
    }
    for k in -300..=300 {
        let m = 10f64.powf(k as f64 / 10.0) as f32;
        x.extend([m, -m]);
    }
    x.truncate(x.len() / 4 * 4);
    // The f64 reference log(1 + exp(x)) is inf past x ≈ 709.8, where softplus is x.
    let mut within: Vec<f32> = x.iter().copied().filter(|v| v.abs() <= 700.0).collect();
    within.truncate(within.len() / 4 * 4);
    report(vec![check_ga::<AsinhFn>(&client, &x), check_ga::<SoftplusFn>(&client, &within), check_ga::<LogcoshFn>(&client, &within)]);
}

/// Issue 14: every suite SA and HD-FGD F with all its partials at
/// independent inputs (where training takes them once the tied blocks
/// drift), over [-30, 30] and over [-88, 88] wherever the f64 value fits in
/// f32, device kernels and scalar Rust, within 2e-5 on SPEC §5's scale.
#[test]
fn split_kernels_off_the_diagonal() {
    let Some(client) = client() else { return };
    let mut results = off_diagonal(&client, 30.0);
    results.extend(off_diagonal(&client, 88.0));
    report(results);
}

/// ±0, subnormals, ±inf, NaN, ±88.72, ±89, ±1e4, ±f32::MAX and tiny values
/// through every suite GA's kernels and scalar Rust.
/// gelu_tanh's SA term is mirrored, a(u) = s·G(s·u) with s = ±1; its
/// slope at u2 = ±0 is 1/t'(0) = sqrt(pi/2), so ∂SA/∂u2 = 0.5·u1·sqrt(pi/2)
/// there, on the device and in the scalar Rust. (Written with sign(u)·G(|u|)
/// the partial was 0 at exactly 0; the IR itself was wrong, so the f64
/// reference of the other checks agreed with it.)
#[test]
fn gelu_tanh_sa_keeps_its_slope_at_zero() {
    let Some(client) = client() else { return };
    let u1 = [1.5f32, 1.5, -2.0, -2.0];
    let u2 = [0.0f32, -0.0, 0.0, -0.0];
    let g = [1.0f32; 4];
    let d = split_backward_on::<GeluTanhSa>(&client, &[&u1, &u2], &g, Launch::new(4, 1).unwrap()).unwrap();
    let mut grad = [0.0f32; 2];
    for i in 0..4 {
        let want = 0.5 * u1[i] as f64 * (std::f64::consts::PI / 2.0).sqrt();
        GeluTanhSa::gradient(&[u1[i], u2[i]], &mut grad);
        for (what, got) in [("device", d[1][i]), ("scalar Rust", grad[1])] {
            assert!((got as f64 - want).abs() <= 1e-6 * want.abs(), "{what}: ∂/∂u2 at ({}, {:?}) is {got}, want {want}", u1[i], u2[i]);
        }
    }
}

/// Forward and backward of a one-input activation at vector width 4.
fn forward_and_backward<A: GpuActivation>(client: &Client, x: &[f32], g: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let l = Launch::new(x.len(), 4).unwrap();
    (forward_on::<A>(client, x, l).unwrap(), backward_on::<A>(client, x, g, l).unwrap())
}

#[test]
fn f32_edge_cases() {
    let Some(client) = client() else { return };
    #[rustfmt::skip]
    let x: Vec<f32> = vec![
        // Past |x| ≈ 1.8e19 x·x overflows: `sqrt(1 + x·x)` (asinh's g′,
        // bent_identity's and isru's roots) is lowered to |x| from 2^27 on,
        // and bent_identity's g (NaN there before) and g′ keep their values.
        // Up to 1e38 here; bent_identity's g and isru's g′ beyond 1e38 are
        // checked below.
        0.0, -0.0, 1e-40, -1e-40, f32::MIN_POSITIVE, 1e-7, -1e-7, 88.72, -88.72, 89.0, -89.0, 100.0, -100.0, 1e4, -1e4, 1e15, -1e15,
        1e18, -1e18, 1e19, -1e19, 2e19, -2e19, 3e20, -3e20, 1e25, -1e25, 1e30, -1e30, 1e37, -1e37, 5e37, -5e37, 1e38, -1e38,
        // isru's g′ fits to 4.9e12; the derivative of g it replaced was inf
        // from 6.1e9.
        1e10, -1e10, 4e12, -4e12,
        f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::NAN, f32::NAN,
    ];
    let checked = x.len() - 5;
    let n = x.len();
    let g = vec![1.0f32; n];
    let mut problems = Vec::new();
    macro_rules! edge {
        ($($a:ty),*) => {$({
            let (y, d) = forward_and_backward::<$a>(&client, &x, &g);
            println!("{:<16} y  {:?}\n{:<16} dy {:?}", <$a as foil::Activation>::NAME, y, "", d);
            // NaN in: the kernels do what the scalar Rust does (NaN out, except
            // where a `where` selects a constant branch, as in ELU's g').
            use foil::Activation as _;
            let (cy, cd) = (<$a>::value(f32::NAN), <$a>::derivative(f32::NAN));
            if y[n - 1].is_nan() != cy.is_nan() || d[n - 1].is_nan() != cd.is_nan() || !y[n - 1].is_nan() {
                problems.push(format!("{}: NaN gives ({}, {}) on the device, ({cy}, {cd}) in Rust", <$a as foil::Activation>::NAME, y[n - 1], d[n - 1]));
            }
            for i in 0..checked {
                // The scalar Rust emitted from the same IR agrees with the
                // device; a device that flushes subnormal inputs (Vulkan lets
                // it; NVIDIA's driver does) is held to the values at ±0.
                use foil::Activation as _;
                let at = |v: f32| (<$a>::value(v), <$a>::derivative(v));
                let (xi, (sy, sd)) = as_the_device_read(x[i], at, |&(sy, sd)| agrees_with_scalar(y[i], sy) && agrees_with_scalar(d[i], sd));
                let xv = xi as f64;
                for (what, dev, host) in [("value", y[i], sy), ("derivative", d[i], sd)] {
                    if !agrees_with_scalar(dev, host) {
                        problems.push(format!("{} {what} at {xv:e}: device {dev}, scalar Rust {host}", <$a as foil::Activation>::NAME));
                    }
                }
                let e = parse(<$a as foil::Activation>::EXPRESSION);
                let want = foil_compiler::eval::eval1(&e, "x", xv);
                let mut err = Errors::default();
                err.add(xv, y[i], want);
                let de = parse(<$a as foil::Activation>::DERIVATIVE);
                err.add(xv, d[i], foil_compiler::eval::eval1(&de, "x", xv));
                if !err.passed() {
                    problems.push(format!("{} at {xv:e}: {}", <$a as foil::Activation>::NAME, err.line("")));
                }
            }
        })*};
    }
    edge!(TanhGa, SigmoidGa, SoftplusGa, SoftsignGa, EluGa, LeakyReluGa, AtanGa, AsinhGa, IsruGa, BentIdentityGa, Sigmoid2xGa, Expm1Ga, SeluGa);
    // bent_identity's g, about (2/3)·x, fits to f32::MAX, and so does its
    // sum, (4/3)·(−0.5·S + x) (as (4/3)·x it overflowed from 2.55e38). Its
    // arctangents' arguments are clamped to ±2⁶², so √3·S overflowing from
    // 1.96e38 no longer makes inf/inf = NaN there.
    let far: Vec<f32> = vec![1.96e38, 2e38, 2.2e38, 2.5e38, 2.8e38, 3e38, 3.2e38, f32::MAX];
    let y = forward_on::<BentIdentityGa>(&client, &far, Launch::new(far.len(), 4).unwrap()).unwrap();
    let e = parse(<BentIdentityGa as foil::Activation>::EXPRESSION);
    let mut err = Errors::default();
    for (&xi, &yi) in far.iter().zip(&y) {
        err.add(xi as f64, yi, foil_compiler::eval::eval1(&e, "x", xi as f64));
    }
    if !err.passed() || y.iter().any(|v| !v.is_finite()) {
        problems.push(format!("BentIdentityGa beyond 1e38: {y:?}: {}", err.line("")));
    }
    // isru's g′ = (1 + x²)^(3/2) passes f32::MAX from |x| ≈ 4.9e12: +inf
    // there on both sides (the derivative of g it replaced was inf/inf = NaN
    // from 1.7e38).
    let far: Vec<f32> = far.iter().flat_map(|&v| [v, -v]).collect();
    let d = backward_on::<IsruGa>(&client, &far, &vec![1.0; far.len()], Launch::new(far.len(), 4).unwrap()).unwrap();
    if d.iter().any(|&v| v != f32::INFINITY) {
        problems.push(format!("IsruGa g′ beyond 1e38: {d:?}"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// GAs whose g is a logarithm of an exponential sum, `log(c + e^(2x))`
/// (partial fractions in e^(2x)), past 2x ≈ 88.7 where e^(2x) overflows f32
/// and out to f32::MAX: the device matches maths written independently
/// (x + c·tanh(x): g = x − s·atanh(s·tanh(x)) with s = √(c/(1 + c)), g′ =
/// 1/(1 + c·sech²x), c = 1 and 0.1; x − e^(−2x): g = log(2 + e^(2x))/2 − 1 −
/// log(3)/2, g′ = 1/(1 + 2e^(−2x))), within 1e-5 on the mixed scale. As
/// written, g was inf (and inf − inf = NaN for x + tanh(x)) from x ≈ 44.4,
/// and x + tanh(x)'s g′ inf·0 = NaN; x + 0.1·tanh(x) had no closed form
/// until its g′'s factor √11/22 was read as a constant.
/// Checked over [−300, 300] and ±10^(k/10) to 1e38, ±2e38, ±3e38, ±f32::MAX.
#[test]
fn f32_edge_cases_of_exponential_sums() {
    let Some(client) = client() else { return };
    let x = edge_points();
    let g = vec![1.0f32; x.len()];
    // (g, g′) in f64, without overflow.
    let plus_tanh = |c: f64| {
        move |x: f64| {
            let (s, sech) = ((c / (1.0 + c)).sqrt(), 1.0 / x.cosh());
            (x - s * (s * x.tanh()).atanh(), 1.0 / (1.0 + c * sech * sech))
        }
    };
    let (plus_tanh, plus_tenth_tanh) = (plus_tanh(1.0), plus_tanh(0.1));
    let minus_exp = |x: f64| {
        let log_2_plus_e2x = if x > 0.0 { 2.0 * x + (2.0 * (-2.0 * x).exp()).ln_1p() } else { (2.0 + (2.0 * x).exp()).ln() };
        (0.5 * log_2_plus_e2x - 1.0 - 0.5 * 3f64.ln(), 1.0 / (1.0 + 2.0 * (-2.0 * x).exp()))
    };
    let cases: [(&str, (Vec<f32>, Vec<f32>), &dyn Fn(f64) -> (f64, f64)); 3] = [
        ("PlusTanhGa", forward_and_backward::<PlusTanhGa>(&client, &x, &g), &plus_tanh),
        ("PlusTenthTanhGa", forward_and_backward::<PlusTenthTanhGa>(&client, &x, &g), &plus_tenth_tanh),
        ("MinusExpGa", forward_and_backward::<MinusExpGa>(&client, &x, &g), &minus_exp),
    ];
    // NaN or an inf where the true value fits fails (x − e^(−2x)'s g was
    // inf past |x| = f32::MAX/2, where 2x overflows, until its softplus's
    // line joined x's).
    let problems: Vec<String> = cases.into_iter().filter_map(|(name, outputs, maths)| against_maths(name, &x, &outputs, maths)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// GAs whose integrals the half-angle variable v = x/(1 + sqrt(1 + x²))
/// takes, against maths written independently: x + c·asinh(x) has
/// g = x − c·asinh(x) + c²·∫dθ/(cosh θ + c) (x = sinh θ, v = tanh(θ/2)),
/// the last 2c²/√(1 − c²)·atan(v·√((1 − c)/(1 + c))) for c < 1, c²·v for
/// c = 1 and 2c²/√(c² − 1)·atanh(v·√((c − 1)/(c + 1))) for c > 1;
/// asinh(x) + 0.1·x is ten times x + 10·asinh(x)'s; g′ = 1/f′ throughout.
/// x + 0.5·isru(x)'s g is checked against its IR in f64, its g′ against
/// 1/(1 + 0.5/(1 + x²)^(3/2)). Within 1e-5 on the mixed scale, no NaN and
/// no early overflow, over [−300, 300] and ±10^(k/10) to 1e38, ±2e38,
/// ±3e38 and ±f32::MAX (std's f32 asinh is inf past f32::MAX/2; the
/// kernels' is not).
#[test]
fn f32_edge_cases_of_root_sums() {
    let Some(client) = client() else { return };
    let x = edge_points();
    let g = vec![1.0f32; x.len()];
    let plus_asinh = |c: f64| {
        move |x: f64| {
            let s = (1.0 + x * x).sqrt();
            let v = x / (1.0 + s);
            let rest = match c {
                _ if c < 1.0 => 2.0 * c * c / (1.0 - c * c).sqrt() * (v * ((1.0 - c) / (1.0 + c)).sqrt()).atan(),
                _ if c > 1.0 => 2.0 * c * c / (c * c - 1.0).sqrt() * (v * ((c - 1.0) / (c + 1.0)).sqrt()).atanh(),
                _ => v,
            };
            (x - c * x.asinh() + rest, s / (s + c))
        }
    };
    let (plus_asinh, plus_half_asinh, plus_ten_asinh) = (plus_asinh(1.0), plus_asinh(0.5), plus_asinh(10.0));
    let leaky_asinh = |x: f64| {
        let (g, dg) = plus_ten_asinh(x);
        (10.0 * g, 10.0 * dg)
    };
    let isru_g = parse(<PlusHalfIsruGa as foil::Activation>::EXPRESSION);
    let plus_half_isru = |x: f64| {
        let q = 1.0 + x * x;
        (foil_compiler::eval::eval1(&isru_g, "x", x), 1.0 / (1.0 + 0.5 / (q * q.sqrt())))
    };
    let cases: [(&str, (Vec<f32>, Vec<f32>), &dyn Fn(f64) -> (f64, f64)); 4] = [
        ("PlusAsinhGa", forward_and_backward::<PlusAsinhGa>(&client, &x, &g), &plus_asinh),
        ("PlusHalfAsinhGa", forward_and_backward::<PlusHalfAsinhGa>(&client, &x, &g), &plus_half_asinh),
        ("LeakyAsinhGa", forward_and_backward::<LeakyAsinhGa>(&client, &x, &g), &leaky_asinh),
        ("PlusHalfIsruGa", forward_and_backward::<PlusHalfIsruGa>(&client, &x, &g), &plus_half_isru),
    ];
    let problems: Vec<String> = cases.into_iter().filter_map(|(name, outputs, maths)| against_maths(name, &x, &outputs, maths)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// [−300, 300], ±10^(k/10) to 1e38, ±2e38, ±3e38 and ±f32::MAX: a
/// multiple of the vector width 4.
fn edge_points() -> Vec<f32> {
    let mut x: Vec<f32> = grid(1 << 12).iter().map(|v| v * 10.0).collect();
    for k in 0..=380 {
        let m = 10f32.powf(k as f32 / 10.0);
        x.extend([m, -m]);
    }
    x.extend([2e38, -2e38, 3e38, -3e38, f32::MAX, -f32::MAX]);
    x
}

/// A GA kernel's forward and backward (with grad_out 1) at `x` against
/// `maths`, (g, g′) in f64 written independently of the IR: the report
/// line, and what failed (over the tolerance, a NaN, an early overflow),
/// if anything.
fn against_maths(name: &str, x: &[f32], (y, d): &(Vec<f32>, Vec<f32>), maths: &dyn Fn(f64) -> (f64, f64)) -> Option<String> {
    let mut err = Errors::default();
    for (i, &xi) in x.iter().enumerate() {
        let (want_y, want_d) = maths(xi as f64);
        err.add(xi as f64, y[i], want_y);
        err.add(xi as f64, d[i], want_d);
    }
    println!("{name}: {}", err.line(""));
    (!err.passed() || err.early_overflow > 0).then(|| format!("{name}: {}; {:?}", err.line(""), err.bad.iter().take(5).collect::<Vec<_>>()))
}

/// The squareplus GA kernel (b = 4) against maths derived independently
/// of foil: with u = (x + S)/2, S = sqrt(x² + 4), f = u and
/// x = u − 1/u, so g′ = dx/du = 1 + 1/u² and g = ∫(1 + 1/u²)² du =
/// u − 2/u − 1/(3u³) + 7/3 (g(0) = f(0) = 1), u taken as 2/(S − x) for
/// x < 0. As written, g = x³/6 + 2x + 7/3 − (2/3 + x²/6)·S cancels for
/// positive x (every digit gone near x = 3000, inf from 8e12) and so does
/// g′; the f64 IR does too, so the other tests' reference cannot check
/// it there. Within 1e-5 on the mixed scale, no NaN and no early overflow,
/// over [−300, 300] and ±10^(k/100) from 1e-3 to f32::MAX.
#[test]
fn squareplus_ga_kernel_keeps_its_digits() {
    let Some(client) = client() else { return };
    let mut x: Vec<f32> = grid(1 << 12).iter().map(|v| v * 10.0).collect();
    let mut tail: Vec<f32> = (-300..=3853).map(|k| 10f64.powf(k as f64 / 100.0) as f32).collect();
    tail.push(f32::MAX);
    x.extend(tail.iter().flat_map(|&m| [m, -m]));
    x.extend([0.0, -0.0]);
    assert!(x.len() % 4 == 0, "a multiple of the vector width 4");
    let g = vec![1.0f32; x.len()];
    let outputs = forward_and_backward::<SquareplusGa>(&client, &x, &g);
    let maths = |x: f64| {
        let s = (x * x + 4.0).sqrt();
        let u = if x >= 0.0 { 0.5 * (x + s) } else { 2.0 / (s - x) };
        (u - 2.0 / u - 1.0 / (3.0 * u * u * u) + 7.0 / 3.0, 1.0 + 1.0 / (u * u))
    };
    if let Some(problem) = against_maths("SquareplusGa", &x, &outputs, &maths) {
        panic!("{problem}");
    }
}

/// Every suite SA on the diagonal u1 = … = un = u at extreme inputs: beyond
/// |u| ≈ 88.7 its exponentials overflow f32, and the emitted quotients must
/// be normalised (no inf/inf). Device results match the f64 reference where
/// that is finite (|u| ≤ 700), are never NaN for a number in, equal the
/// scalar Rust `value`/`gradient`, and NaN in gives NaN out.
#[test]
fn split_kernels_at_extreme_inputs() {
    let Some(client) = client() else { return };
    #[rustfmt::skip]
    let mut u: Vec<f32> = vec![
        0.0, -0.0, 1e-40, -1e-40, f32::MIN_POSITIVE, 1e-7, -1e-7, 1.0, 30.0, -30.0, 88.0, -88.0, 88.72, -88.72, 89.0, -89.0,
        100.0, -100.0, 700.0, -700.0, 1e3, -1e3, 1e4, -1e4, 1e30, -1e30, f32::MAX, -f32::MAX,
    ];
    let finite = u.len();
    u.extend([f32::NAN, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
    let n = u.len();
    let g = vec![1.0f32; n];
    let mut problems = Vec::new();
    fn run<A: GpuSplitActivation>(client: &Client, u: &[f32], g: &[f32], finite: usize, problems: &mut Vec<String>) {
        let n = u.len();
        let names: Vec<Symbol> = (1..=A::TERMS).map(|i| Symbol::from(format!("u{i}").as_str())).collect();
        let refs: Vec<&[f32]> = vec![u; A::TERMS];
        let l = Launch::new(n, 4).unwrap();
        let y = split_forward_on::<A>(client, &refs, l).unwrap();
        let d = split_backward_on::<A>(client, &refs, g, l).unwrap();
        println!("{:<12} u  {:?}\n{:<12} y  {:?}", A::NAME, u, "", y);
        let mut outputs = vec![(A::EXPRESSION, y)];
        outputs.extend(A::PARTIALS.iter().copied().zip(d));
        for (k, (expr, got)) in outputs.iter().enumerate() {
            let want = reference(&parse(expr), &names, &refs);
            let mut err = Errors::default();
            for i in 0..finite {
                let what = if k == 0 { "value".to_string() } else { format!("d/du{k}") };
                // Below 1e-6 the f64 reference itself cancels at the SA poles
                // (1 - e^u is 0 in f64 for |u| < 1.1e-16, giving +inf for -1e40,
                // and 0/0 at u = 0 exactly); above 300 its squared
                // exponentials (e^2u) overflow f64.
                if (1e-6..=300.0).contains(&u[i].abs()) {
                    err.add(u[i] as f64, got[i], want[i]);
                } else if u[i].abs() > 300.0 && got[i].is_nan() {
                    problems.push(format!("{} {what} at u = {:e}: NaN", A::NAME, u[i]));
                }
                // The scalar Rust emitted from the same IR gives the same
                // numbers (at ±0 for a subnormal u, on a device that flushes
                // subnormal inputs).
                let scalar_at = |v: f32| {
                    let point = vec![v; A::TERMS];
                    if k == 0 {
                        A::value(&point)
                    } else {
                        let mut grad = vec![0.0f32; A::TERMS];
                        A::gradient(&point, &mut grad);
                        grad[k - 1]
                    }
                };
                let (_, scalar) = as_the_device_read(u[i], scalar_at, |&s| agrees_with_scalar(got[i], s));
                if !agrees_with_scalar(got[i], scalar) {
                    problems.push(format!("{} {what} at u = {:e}: device {} but scalar Rust {}", A::NAME, u[i], got[i], scalar));
                }
            }
            if !err.passed() {
                problems.push(format!("{}: {} {:?}", A::NAME, err.line(expr), err.bad));
            }
            for i in finite..finite + 2 {
                if !got[i].is_nan() {
                    problems.push(format!("{} output {k}: NaN in gives {}", A::NAME, got[i]));
                }
            }
        }
    }
    run::<TanhSa>(&client, &u, &g, finite, &mut problems);
    run::<SigmoidSa>(&client, &u, &g, finite, &mut problems);
    run::<SiluSa>(&client, &u, &g, finite, &mut problems);
    run::<GeluSa>(&client, &u, &g, finite, &mut problems);
    run::<MishSa>(&client, &u, &g, finite, &mut problems);
    run::<GeluTanhSa>(&client, &u, &g, finite, &mut problems);
    run::<TanhF>(&client, &u, &g, finite, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// u1 from 0 and 1e-30 to 1e10 and 3e38 (normal only: NVIDIA flushes
/// subnormals), against large u2.
const SMALL_U1: [f32; 8] = [0.0, 1e-30, 1e-20, 1e-10, 1e-3, 1.0, 1e10, 3e38];

/// gelu's SA partial ∂/∂u2 = (√π/(2√2))·u1·e^(u2²/2) on the device, off the
/// diagonal: a small u1 against a large u2. The kernel multiplies u1 in
/// between the two halves of the exponential, so the partial is finite
/// wherever its true value fits in f32 (it was inf from |u2| = 13.3 for every
/// small u1: 2.3e32 at u1 = 1e-10, u2 = 14) and exactly 0 at u1 = 0 up to
/// |u2| = 18.8, where e^(u2²/4) itself overflows.
#[test]
fn gelu_sa_partial_keeps_a_small_u1_against_a_large_u2() {
    let Some(client) = client() else { return };
    let (u1, u2) = signed_pairs(&SMALL_U1, (0..=94).map(|k| k as f32 * 0.2));
    let n = u1.len();
    let g = vec![1.0f32; n];
    let refs: Vec<&[f32]> = vec![&u1, &u2];
    let d = split_backward_on::<GeluSa>(&client, &refs, &g, Launch::new(n, 4).unwrap()).unwrap();
    let names = [Symbol::from("u1"), Symbol::from("u2")];
    let want = reference(&parse(GeluSa::PARTIALS[1]), &names, &refs);
    let (mut checked, mut bad) = (0, Vec::new());
    for i in 0..n {
        if !(want[i].abs() <= f32::MAX as f64) {
            continue;
        }
        checked += 1;
        // ~5e-5 relative from the f32 rounding of the exponent u2²/2 ≤ 177.
        let ok = ((d[1][i] as f64) - want[i]).abs() <= 1e-4 * want[i].abs() + 1e-37;
        if !ok || (u1[i] == 0.0 && d[1][i] != 0.0) {
            bad.push(format!("∂/∂u2 at ({:e}, {}): device {:e}, true {:e}", u1[i], u2[i], d[1][i], want[i]));
        }
    }
    assert!(checked > 2000 && bad.is_empty(), "{checked} checked; {bad:#?}");
}

/// gelu's SA value u1·(0.5 + (π/4)·erfi(u2/√2)) and its ∂/∂u1 on the device,
/// off the diagonal: erfi is one operation with its multiplier
/// (`math::erfi_times`), so both are finite wherever their true values fit
/// (the value is 1.6e11 at u1 = 1e-30, u2 = 14, where erfi alone is inf), and
/// the value is exactly 0 at u1 = 0 for every u2 (it was NaN from
/// |u2| = 13.5), and finite at u1 = 3e38 where the sum cancels a term that
/// u1 alone takes past f32::MAX (−2.3e38 at u2 = −1.4).
#[test]
fn gelu_sa_value_keeps_a_small_u1_against_a_large_u2() {
    let Some(client) = client() else { return };
    let (u1, u2) = signed_pairs(&SMALL_U1, (0..=100).map(|k| k as f32 * 0.2).chain([30.0, 1e3, 1e30]));
    let n = u1.len();
    let g = vec![1.0f32; n];
    let refs: Vec<&[f32]> = vec![&u1, &u2];
    let launch = Launch::new(n, 4).unwrap();
    let y = split_forward_on::<GeluSa>(&client, &refs, launch).unwrap();
    let d = split_backward_on::<GeluSa>(&client, &refs, &g, launch).unwrap();
    let names = [Symbol::from("u1"), Symbol::from("u2")];
    let want_y = reference(&parse(GeluSa::EXPRESSION), &names, &refs);
    let want_d = reference(&parse(GeluSa::PARTIALS[0]), &names, &refs);
    let (mut checked, mut bad) = (0, Vec::new());
    for i in 0..n {
        if u1[i] == 0.0 && y[i] != 0.0 {
            bad.push(format!("value at (0, {}): device {:e}, true 0", u2[i], y[i]));
        }
        for (what, got, want, first_term) in [("value", y[i], want_y[i], 0.5 * u1[i].abs() as f64), ("∂/∂u1", d[0][i], want_d[i], 0.5)] {
            if !(want.abs() <= f32::MAX as f64) {
                continue;
            }
            checked += 1;
            // The f32 rounding of u2/√2 moves e^(u2²/2) by up to u2²·1.2e-7
            // (lavapipe's exp adds its own); relative to the larger of the
            // value and the sum's first term, which cancel near u2 = -0.71.
            let u = u2[i] as f64;
            let rel = 1e-5 + 3e-7 * u * u;
            if !((got as f64 - want).abs() <= rel * want.abs().max(first_term) + 1e-37) {
                bad.push(format!("{what} at ({:e}, {}): device {:e}, true {:e}", u1[i], u2[i], got, want));
            }
        }
    }
    assert!(checked > 3000 && bad.is_empty(), "{checked} checked; {bad:#?}");
}

/// Lengths that 4 does not divide get the largest dividing vector size.
#[test]
fn host_helpers_pick_a_dividing_vector_size() {
    if client().is_none() {
        return;
    }
    for n in [1usize, 3, 6, 1003] {
        let x = scattered(n, n as u64);
        let y = foil::runtime::forward_host::<AtanGa>(&x).unwrap();
        let d = foil::runtime::backward_host::<AtanGa>(&x, &vec![1.0; n]).unwrap();
        for i in 0..n {
            let v = x[i] as f64;
            let (want_y, want_d) = (v + v * v * v / 3.0, 1.0 + v * v);
            assert!(((y[i] as f64 - want_y) / want_y.abs().max(1.0)).abs() < TOL, "n={n} x={v}: {} want {want_y}", y[i]);
            assert!(((d[i] as f64 - want_d) / want_d).abs() < TOL, "n={n} x={v}: {} want {want_d}", d[i]);
        }
    }
    assert!(Launch::new(6, 4).is_err());
}

/// A slice longer than one buffer of a host call (`max_piece_bytes`:
/// lavapipe's 128 MiB page, where one 160 MiB buffer fails to allocate; on
/// NVIDIA 256 MiB, where a 2 GiB page was refused) is launched in pieces by
/// the host helpers: every element, either side of each piece boundary
/// included, is the activation's value, for a one-input kernel and a split one.
#[test]
fn host_helpers_launch_long_slices_in_pieces() {
    let Some(client) = client() else { return };
    let per_piece = foil::runtime::launch::max_piece_bytes(&client) / 4;
    let n = per_piece + 4 * 1001;
    let x: Vec<f32> = (0..n).map(|i| ((i % 4001) as f32 - 2000.0) * 1e-3).collect();
    let ones = vec![1.0f32; n];
    // Every 997th element, and 64 either side of each boundary.
    let checked: Vec<usize> = (0..n).step_by(997).chain((1..=n / per_piece).flat_map(|k| k * per_piece - 64..(k * per_piece + 64).min(n))).collect();
    let rel = |got: f32, want: f64| ((got as f64 - want) / want.abs().max(1.0)).abs();

    let y = foil::runtime::forward_host::<AtanGa>(&x).unwrap();
    let d = foil::runtime::backward_host::<AtanGa>(&x, &ones).unwrap();
    assert_eq!((y.len(), d.len()), (n, n));
    for &i in &checked {
        let v = x[i] as f64;
        assert!(rel(y[i], v + v * v * v / 3.0) < TOL, "atan GA at element {i} (x = {v}): {}", y[i]);
        assert!(rel(d[i], 1.0 + v * v) < TOL, "atan GA' at element {i} (x = {v}): {}", d[i]);
    }
    drop((y, d));

    // sigmoid's F has one input: F(u) = sigmoid(u), ∂F/∂u = σ(1 − σ).
    assert_eq!(SigmoidF::TERMS, 1);
    let f = foil::runtime::split_forward_host::<SigmoidF>(&[&x]).unwrap();
    let g = foil::runtime::split_backward_host::<SigmoidF>(&[&x], &ones).unwrap();
    assert_eq!((f.len(), g.len(), g[0].len()), (n, 1, n));
    for &i in &checked {
        let s = 1.0 / (1.0 + (-(x[i] as f64)).exp());
        assert!(rel(f[i], s) < TOL, "sigmoid F at element {i}: {} want {s}", f[i]);
        assert!(rel(g[0][i], s * (1.0 - s)) < TOL, "sigmoid ∂F at element {i}: {} want {}", g[0][i], s * (1.0 - s));
    }
}

/// hd_fgd!: the lifted F on the device; on the diagonal F(x, …, x) = tanh(x)
/// and the partials sum to tanh'(x).
#[test]
fn hd_fgd_kernels_match_f64() {
    assert_eq!(TanhF::TERMS, 4);
    let mut g = [0.0f64; 4];
    TanhF::gradient(&[0.3f64; 4], &mut g);
    assert!((TanhF::value(&[0.3f64; 4]) - 0.3f64.tanh()).abs() < 1e-15);
    assert!((g.iter().sum::<f64>() - (1.0 - 0.3f64.tanh().powi(2))).abs() < 1e-14);
    let Some(client) = client() else { return };
    report(vec![check_sa::<TanhF>(&client, POINTS, TOL)]);
}
