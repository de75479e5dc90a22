//! `#[cube]` helpers for the functions whose GPU builtins (or cubecl
//! polyfills) are not accurate or not safe in f32. Generated kernels call
//! these instead of the builtins, lane-wise over `Vector<F, N>`:
//!
//! - `log1p`, `expm1`: cubecl lowers them to `ln(1 + x)` / `exp(x) - 1`,
//!   which lose every digit for tiny |x|; here series near 0 (the GPU `exp`
//!   and `log` are not accurate enough near 0 and 1 for the Kahan/Goldberg
//!   corrections: lavapipe's exp(-1e-40) is 1 - 2⁻²⁴).
//! - `tanh` on `expm1`, `sinh` and `cosh` on a split exponential e^(|x|/2), so they
//!   are accurate near 0 and overflow only where the true value does, and
//!   `sinh_times`, `cosh_times`, `expm1_times`, m·sinh(x), m·cosh(x) and
//!   m·(e^x - 1), likewise.
//! - `log1p_unit`: ln(1 + t) for t in [0, 1] (a softplus's tail) as one
//!   polynomial, no division or logarithm; `log1p_half` likewise for u in
//!   [-1/2, 0] (logcosh's `log1p(expm1(-2|z|)/2)`).
//! - `asinh`: no cancellation for negative x, no overflow of x² for large x,
//!   one logarithm.
//! - `erf`: the cubecl polyfill has an *absolute* error of 1.5e-7, which is a
//!   large relative error near 0; here x times a rational in x², no exp.
//! - `erfi`: no builtin; x·e^(x²)·(Dawson rational), with x² carried exactly
//!   (within 7.7 ulp with foil's host exp; see the function), and
//!   `erfi_times`, m·erfi(x), which overflows only where the product does.
//! - `atan`: Vulkan specifies the builtin to 4096 ulps only, and lavapipe's
//!   is 347 ulps off near 0; here one reduction (one division) and one
//!   polynomial.
//! - `sign`: no builtin exists.
//! - `sin`, `cos`: the argument reduced modulo 2π first (Cody–Waite), since
//!   Vulkan specifies the builtins only inside [-π, π] (absolute error
//!   2⁻¹¹): NVIDIA's drifted to 2e-5 by |x| = 100 (H200, 2026-12-04).
//! - `div`: a quotient whose divisor exceeds 2¹²⁶ in magnitude, where Vulkan
//!   leaves division unspecified: NVIDIA's driver computes a·(1/b), and 1/b
//!   flushes to 0 there (isru's g′ was NaN, bent_identity's g′ 0 at 1e38).
//!   Emitted only where the compiler's intervals cannot bound the divisor
//!   (`foil_compiler::lower::beyond_division_range`).
//!
//! Every helper keeps NaN as NaN and returns ±0 for ±0 where the function is odd.
//!
//! Their polynomials of more than three terms go by Estrin's scheme: the
//! pairs c_2i + c_2i+1·x ([`pair`]) are independent, and only their
//! combination in powers of x² waits on a chain, about half of Horner's or
//! less, for a squaring or two more. lavapipe runs a lane's code straight
//! through, and there the chain is what a compute-bound kernel waits on
//! (bench/README.md, 2026-12-05).

use cubecl::prelude::*;

/// `v` as a vector of `F` with every lane equal.
#[cube]
fn splat<F: Float, N: Size>(#[comptime] v: f32) -> Vector<F, N> {
    Vector::<F, N>::new(F::new(v))
}

/// c0 + c1·x: one pair of Estrin's scheme (see the module docs).
#[cube]
fn pair<F: Float, N: Size>(x: Vector<F, N>, #[comptime] c0: f32, #[comptime] c1: f32) -> Vector<F, N> {
    splat::<F, N>(c0) + x * splat::<F, N>(c1)
}

/// `r` with the sign of `x` (`x` itself at ±0 and NaN), for odd functions
/// computed on |x|.
#[cube]
fn odd<F: Float, N: Size>(x: Vector<F, N>, r: Vector<F, N>) -> Vector<F, N> {
    let zero = Vector::<F, N>::zero();
    select_many(x.less_than(&zero), -r, select_many(x.greater_than(&zero), r, x))
}

/// sign(x): -1, 0 or 1 (±0 and NaN pass through).
#[cube]
pub fn sign<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    odd::<F, N>(x, splat::<F, N>(1.0))
}

/// ln(1 + x), accurate for tiny |x|: 2·atanh(s) with s = x/(2 + x) as a
/// series for |x| < 0.5 (|s| ≤ 1/3, 9 terms, truncation < 1e-9), `ln(1 + x)`
/// above. (Goldberg's ln(u)·x/(u - 1) needs an ln that is accurate near 1,
/// which GPU `log` is not.)
#[cube]
pub fn log1p<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let one = splat::<F, N>(1.0);
    let s = x / (splat::<F, N>(2.0) + x);
    let s2 = s * s;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let p01 = pair::<F, N>(s2, 1.0, 1.0 / 3.0);
    let p23 = pair::<F, N>(s2, 1.0 / 5.0, 1.0 / 7.0);
    let p45 = pair::<F, N>(s2, 1.0 / 9.0, 1.0 / 11.0);
    let p67 = pair::<F, N>(s2, 1.0 / 13.0, 1.0 / 15.0);
    let p = ((p01 + s4 * p23) + s8 * (p45 + s4 * p67)) + s8 * s8 * splat::<F, N>(1.0 / 17.0);
    let series = splat::<F, N>(2.0) * s * p;
    select_many(x.abs().less_than(&splat::<F, N>(0.5)), series, (x + one).ln())
}

/// ln(1 + t) for t in [0, 1], the e^-|a| of a softplus: t·P(t), with P the
/// degree-9 Chebyshev fit of ln(1 + t)/t on [0, 1] (relative error 5.2e-9;
/// 2.5 ulps in f32 with its rounding, near t = 1). Ten multiply-adds and
/// two squarings where [`log1p`] spends a division, its series and a
/// logarithm on every lane.
/// The coefficients: `mpmath.chebyfit(lambda t: mpmath.log1p(t)/t, [0, 1], 10)`.
#[cube]
pub fn log1p_unit<F: Float, N: Size>(t: Vector<F, N>) -> Vector<F, N> {
    let t2 = t * t;
    let t4 = t2 * t2;
    let p01 = pair::<F, N>(t, 0.999_999_994_656_291_98, -0.499_998_926_480_632_8);
    let p23 = pair::<F, N>(t, 0.333_297_104_989_177_5, -0.249_516_162_628_720_74);
    let p45 = pair::<F, N>(t, 0.196_632_742_572_048_05, -0.152_696_670_743_632_88);
    let p67 = pair::<F, N>(t, 0.105_436_237_954_195_26, -0.056_373_612_830_107_328);
    let p89 = pair::<F, N>(t, 0.019_542_527_261_014_102, -0.003_176_057_018_431_959_7);
    let p = (p01 + t2 * p23) + t4 * ((p45 + t2 * p67) + t4 * p89);
    t * p
}

/// ln(1 + u) for u in [-1/2, 0], logcosh's `log1p(expm1(-2|z|)/2)`: u·P(u),
/// with P the degree-9 Chebyshev fit of ln(1 + u)/u on [-1/2, 0] (relative
/// error 4.1e-9). Ten multiply-adds and two squarings where [`log1p`]
/// spends a division, its series and a logarithm on every lane. The
/// coefficients: `mpmath.chebyfit(lambda u: mpmath.log1p(u)/u, [-0.5, 0], 10)`.
#[cube]
pub fn log1p_half<F: Float, N: Size>(u: Vector<F, N>) -> Vector<F, N> {
    let u2 = u * u;
    let u4 = u2 * u2;
    let p01 = pair::<F, N>(u, 0.999_999_996_996_519_8, -0.500_001_198_584_125_77);
    let p23 = pair::<F, N>(u, 0.333_255_162_001_425_12, -0.251_956_794_261_093_58);
    let p45 = pair::<F, N>(u, 0.175_440_772_680_563_33, -0.340_746_471_305_813_81);
    let p67 = pair::<F, N>(u, -0.590_088_702_501_445_78, -1.959_870_572_486_405_7);
    let p89 = pair::<F, N>(u, -2.458_961_877_926_996_1, -1.733_611_947_352_159_7);
    let p = (p01 + u2 * p23) + u4 * ((p45 + u2 * p67) + u4 * p89);
    u * p
}

/// e^x - 1, accurate for tiny |x|: x·p(x) for |x| < 0.5, with p the
/// degree-6 Chebyshev fit of (e^x - 1)/x on [-0.5, 0.5] (relative error
/// 3.7e-9, 6 % of an f32 ulp; the Taylor polynomial needs degree 8 for the
/// same, and every split kernel's difference of exponentials pays for each
/// term), `exp(x) - 1` above. (Kahan's (u - 1)·x/ln(u) needs exp and ln
/// accurate near 0 and 1, which GPU builtins are not.) The coefficients:
/// `mpmath.chebyfit(lambda x: mpmath.expm1(x)/x, [-0.5, 0.5], 7)`.
#[cube]
pub fn expm1<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let one = splat::<F, N>(1.0);
    select_many(x.abs().less_than(&splat::<F, N>(0.5)), expm1_series::<F, N>(x), x.exp() - one)
}

/// [`expm1`]'s series, x·p(x), for |x| < 0.5.
#[cube]
fn expm1_series<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let x2 = x * x;
    let p01 = pair::<F, N>(x, 1.0, 0.500_000_042_592_054_4);
    let p23 = pair::<F, N>(x, 0.166_666_671_394_938_02, 0.041_665_304_193_438_314);
    let p45 = pair::<F, N>(x, 0.008_333_182_071_584_195, 0.001_399_777_337_959_033_2);
    let p = p01 + x2 * (p23 + x2 * (p45 + x2 * splat::<F, N>(0.000_199_621_762_266_955)));
    x * p
}

/// m·(e^x - 1), finite wherever the product is (e^x alone passes f32::MAX
/// from x = 88.72, where a product with |m| < 1 still fits: selu's g,
/// 0.569·(1 - e^-x), to x = -89.3), and -m at x = -inf, 0 for m = 0 at
/// every x but NaN. [`expm1_series`] below |x| = 0.5; above, m·e^x as
/// [`scaled_exp`], with x clamped to 177 (NaN kept), where m·e^x is past
/// f32::MAX for every normal m and its halves stay finite.
#[cube]
pub fn expm1_times<F: Float, N: Size>(x: Vector<F, N>, m: Vector<F, N>) -> Vector<F, N> {
    let xc = select_many(x.greater_than(&splat::<F, N>(177.0)), splat::<F, N>(177.0), x);
    select_many(x.abs().less_than(&splat::<F, N>(0.5)), m * expm1_series::<F, N>(x), scaled_exp::<F, N>(xc, m) - m)
}

/// tanh(|x|) = -t/(2 + t) with t = expm1(-2|x|) ∈ (-1, 0]: no cancellation
/// near 0, exactly ±1 for large |x|, never inf/inf.
#[cube]
pub fn tanh<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let t = expm1::<F, N>(splat::<F, N>(-2.0) * x.abs());
    odd::<F, N>(x, -t / (splat::<F, N>(2.0) + t))
}

/// h = e^(a/2) and (m/2·h)·(h ± 1/h³) = m·(e^a ± e^-a)/2 for a ≥ 0: one
/// exponential and one division, finite wherever the result is: h·h/2
/// does not overflow before cosh and sinh do (|x| ≈ 89.4; e^a alone
/// overflows at 88.72), and m/2·h is formed first, so a product with a
/// small m fits as far as its value does. h³ overflows past a ≈ 59, where
/// 1/h³ = 0 is below f32's resolution of h anyway.
#[cube]
fn half_exp_pair<F: Float, N: Size>(a: Vector<F, N>, #[comptime] sign: f32, half_m: Vector<F, N>) -> Vector<F, N> {
    let h = (a * splat::<F, N>(0.5)).exp();
    let r = splat::<F, N>(sign) / (h * h * h);
    (half_m * h) * (h + r)
}

/// |x| clamped to 177 (NaN kept): where h = e^(a/2) stays finite, so that
/// [`half_exp_pair`] with m = 0 is 0, not 0·inf (for every normal m,
/// m·e^177/2 is past f32::MAX).
#[cube]
fn abs_within_exp_range<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let a = x.abs();
    select_many(a.greater_than(&splat::<F, N>(177.0)), splat::<F, N>(177.0), a)
}

/// The odd Maclaurin polynomial of sinh to x⁷, for |x| < 0.5 (truncation
/// 1.0e-8 relative, 0.17 ulp, where the difference of exponentials would
/// cancel); ±0 stays ±0.
#[cube]
fn sinh_series<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let x2 = x * x;
    let x4 = x2 * x2;
    let p01 = pair::<F, N>(x2, 1.0, 1.0 / 6.0);
    let p23 = pair::<F, N>(x2, 1.0 / 120.0, 1.0 / 5040.0);
    x * (p01 + x4 * p23)
}

/// sinh: [`sinh_series`] below 0.5, [`half_exp_pair`] above (h - 1/h³
/// amplifies the error of h at most 3.3-fold, at 0.5).
#[cube]
pub fn sinh<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let a = x.abs();
    let large = odd::<F, N>(x, half_exp_pair::<F, N>(a, -1.0, splat::<F, N>(0.5)));
    select_many(a.less_than(&splat::<F, N>(0.5)), sinh_series::<F, N>(x), large)
}

/// m·sinh(x), finite wherever the product is (sinh alone passes f32::MAX
/// from |x| = 89.4, where a product with |m| < 1 still fits: tanh's g,
/// 0.25·sinh(2x), to x = 45.4), and 0 for m = 0 at every x but NaN.
#[cube]
pub fn sinh_times<F: Float, N: Size>(x: Vector<F, N>, m: Vector<F, N>) -> Vector<F, N> {
    let a = abs_within_exp_range::<F, N>(x);
    let large = odd::<F, N>(x, half_exp_pair::<F, N>(a, -1.0, m * splat::<F, N>(0.5)));
    select_many(a.less_than(&splat::<F, N>(0.5)), m * sinh_series::<F, N>(x), large)
}

/// cosh: [`half_exp_pair`]'s sum, no cancellation anywhere.
#[cube]
pub fn cosh<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    half_exp_pair::<F, N>(x.abs(), 1.0, splat::<F, N>(0.5))
}

/// m·cosh(x), finite wherever the product is, as [`sinh_times`] is (tanh's
/// g′, 0.5 + 0.5·cosh(2x), to x = 45.05).
#[cube]
pub fn cosh_times<F: Float, N: Size>(x: Vector<F, N>, m: Vector<F, N>) -> Vector<F, N> {
    half_exp_pair::<F, N>(abs_within_exp_range::<F, N>(x), 1.0, m * splat::<F, N>(0.5))
}

/// asinh(|x|) in one logarithm and no division: a·P(a²) below 0.5, with P
/// the degree-5 Chebyshev fit of asinh(√y)/√y on [0, 0.25] (relative error
/// 1.2e-9; 1.5 ulps in f32 with its rounding), ln(a + √(a² + 1)) up to 1e4
/// (an argument of at least 1.6: no cancellation, 3.5 ulps at worst with a
/// correctly rounded ln, near 0.55), ln(a) + ln 2 above, where a² would
/// overflow and √(a² + 1) = a in f32. The coefficients:
/// `mpmath.chebyfit(lambda y: mpmath.asinh(mpmath.sqrt(y))/mpmath.sqrt(y), [0, 0.25], 6)`.
/// (log1p(a + a²/(1 + √(1 + a²))) before: two divisions and two
/// logarithms per lane, which the GA kernels of asinh and isru paid.)
#[cube]
pub fn asinh<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let one = splat::<F, N>(1.0);
    let a = x.abs();
    let y = a * a;
    let y2 = y * y;
    let p01 = pair::<F, N>(y, 0.999_999_998_815_476_4, -0.166_666_324_585_344_92);
    let p23 = pair::<F, N>(y, 0.074_983_808_942_108_87, -0.044_358_320_653_813_61);
    let p45 = pair::<F, N>(y, 0.028_060_197_241_619_58, -0.013_074_415_236_259_125);
    let p = p01 + y2 * (p23 + y2 * p45);
    let moderate = a.less_than(&splat::<F, N>(1e4));
    let log_argument = select_many(moderate, a + (y + one).sqrt(), a);
    let large = select_many(moderate, Vector::<F, N>::zero(), splat::<F, N>(core::f32::consts::LN_2));
    let r = select_many(a.less_than(&splat::<F, N>(0.5)), a * p, log_argument.ln() + large);
    odd::<F, N>(x, r)
}

/// atan(x) on |x| reduced, with one division, to s in [−tan(π/8), tan(π/8)]:
/// s = a for a ≤ tan(π/8), (a − 1)/(a + 1) + π/4 up to tan(3π/8), and
/// −1/a + π/2 beyond, where atan(s) = s + s·z·Q(z), z = s², Q of degree 4:
/// `mpmath.chebyfit(lambda z: (mpmath.atan(mpmath.sqrt(z)) - mpmath.sqrt(z))/(z*mpmath.sqrt(z)), [0, mpmath.tan(mpmath.pi/8)**2], 5)`
/// (1.6e-8 in Q, 2.8e-9 relative in atan): within 1.30 ulps on lavapipe
/// (`atan_helper_is_within_two_ulps`). a is clamped to 2²⁵ first, where
/// π/2 − 1/a already rounds to π/2, so the divisor stays inside Vulkan's
/// division range; ±inf gives ±π/2, and NaN stays NaN (`odd`). Vulkan
/// specifies the builtin to 4096 ulps; lavapipe's is 347 ulps off at
/// x = 3.9e-3 and gives +0 for −0, which a GA such as
/// `100·x − 995.04·atan(0.0995·x)` (`atan(x) + 0.01·x`'s) amplifies
/// twentyfold.
#[cube]
pub fn atan<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let one = splat::<F, N>(1.0);
    let zero = Vector::<F, N>::zero();
    let a = min(x.abs(), splat::<F, N>(33_554_432.0));
    let far = a.greater_than(&splat::<F, N>(2.414_213_7));
    let mid = a.greater_than(&splat::<F, N>(0.414_213_57));
    let num = select_many(far, -one, select_many(mid, a - one, a));
    let den = select_many(far, a, select_many(mid, a + one, one));
    let s = num / den;
    let z = s * s;
    let z2 = z * z;
    let q = pair::<F, N>(z, -0.333_333_317_611_685_2, 0.199_995_404_836_489_64)
        + z2 * (pair::<F, N>(z, -0.142_639_555_979_847_6, 0.107_437_314_907_910_84) + z2 * splat::<F, N>(-0.064_519_282_081_217_49));
    let offset = select_many(far, splat::<F, N>(core::f32::consts::FRAC_PI_2), select_many(mid, splat::<F, N>(core::f32::consts::FRAC_PI_4), zero));
    odd::<F, N>(x, offset + (s + (s * z) * q))
}

/// x − k·2π with k = round(x/2π), 2π taken in three parts whose low 12
/// bits are zero (6.28125 + 0.0019350052 + 3.0199160e-7, 2π within 7.1e-15),
/// so every k·part is exact for |k| < 2¹² (|x| < 25,700): the result is in
/// [-π, π] within an ulp of itself there, its error growing as k·ulp(part 3)
/// beyond. NaN and ±inf give NaN, as sin and cos of them are.
#[cube]
fn reduced_mod_two_pi<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let k = (x * splat::<F, N>(0.15915493667125702)).round();
    let r = x - k * splat::<F, N>(6.28125);
    let r = r - k * splat::<F, N>(0.0019350051879882812);
    r - k * splat::<F, N>(3.019916050561733e-7)
}

/// sin, on the argument reduced into [-π, π] where the builtin is specified.
#[cube]
pub fn sin<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    reduced_mod_two_pi::<F, N>(x).sin()
}

/// cos, on the argument reduced into [-π, π] where the builtin is specified.
#[cube]
pub fn cos<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    reduced_mod_two_pi::<F, N>(x).cos()
}

/// a / b with both scaled by 1/4 where |b| > 2¹²⁶: Vulkan specifies f32
/// division for 2⁻¹²⁶ ≤ |b| ≤ 2¹²⁶ only, and NVIDIA's driver gives a·0
/// past it. The scaling is exact unless a·(1/4) falls below 2⁻¹²⁶, where the
/// quotient by such a b is below f32's smallest normal anyway.
#[cube]
pub fn div<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    let s = select_many(b.abs().greater_than(&splat::<F, N>(8.507059e37)), splat::<F, N>(0.25), splat::<F, N>(1.0));
    (a * s) / (b * s)
}

/// erf(x) = x·P(x²)/Q(x²) for |x| < 3.875, ±1 beyond, where erf rounds to
/// ±1 in f32: the host's algorithm and constants (`float::fast::erf`,
/// `erf_rational`), whose doc and tests give its bounds (3.9e-7 relative,
/// 3.4e-7 absolute near ±1). cubecl contracts each multiply-add of P and Q
/// into an `fma`, which a driver may round once (NVIDIA) or twice; the
/// host's test holds both to that bound. No
/// exponential: the Maclaurin series and Abramowitz–Stegun 7.1.26 pair it
/// replaced took as many other operations and an exp on every lane (gelu's
/// plain kernel was compute-bound on lavapipe, bench/README.md,
/// 2026-12-06). Its tail keeps less than that pair's `1 − poly·e^(−x²)`
/// (1.5e-7 absolute), which a cancelling `1 + erf(x)` (gelu for x ≪ 0)
/// shows.
#[cube]
pub fn erf<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    let one = splat::<F, N>(1.0);
    let a = x.abs();
    let t = a * a;
    let t2 = t * t;
    let t4 = t2 * t2;
    let p = (pair::<F, N>(t, 1.128_379_1, 0.188_769_18) + t2 * pair::<F, N>(t, 0.052_571_71, 0.003_705_522_5))
        + t4 * pair::<F, N>(t, 0.000_285_341_1, 2.087_224_9e-6);
    let q = (pair::<F, N>(t, 1.0, 0.500_625_13) + t2 * pair::<F, N>(t, 0.113_468_155, 0.014_848_274)) + t4 * pair::<F, N>(t, 0.001_151_270_6, 3.849_817_6e-5);
    let r = a * (p / q);
    // Past 3.875 (where t⁴ overflows, from |x| ≈ 4.3e4, p/q is NaN) the
    // select drops r; a NaN x compares false and stays NaN.
    let r = select_many(r.greater_than(&one), one, r);
    odd::<F, N>(x, select_many(a.greater_equal(&splat::<F, N>(3.875)), one, r))
}

/// erfi(x) = 2/√π ∫₀ˣ e^{t²} dt: [`erfi_times`] with m = 1, so +inf exactly
/// where erfi exceeds f32 (|x| ≥ 9.568). Within 7.7 ulp (4.6e-7 on the SPEC
/// scale) on every 257th f32 with foil's host exp (`foil_runtime::float`,
/// the same algorithm); ≤ 3.7e-6 with lavapipe's exp (exp2(y·log2 e), whose
/// own error grows with |y|).
#[cube]
pub fn erfi<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> {
    erfi_times::<F, N>(x, splat::<F, N>(1.0))
}

/// m·erfi(x), finite wherever the product is: erfi alone passes f32::MAX from
/// |x| = 9.568, where m·erfi(x) for |m| < 1 still fits (to |x| ≈ 13.4 for
/// the least normal m; u1·erfi(u2/√2) in gelu's split), and m = 0 gives 0 at
/// every x but NaN (|x| is clamped to 15, where the product exceeds f32 for
/// every nonzero m; P and Q stay finite there).
///
/// erfi(x) = e^t·r with t = fl(x²) and r from [`erfi_reduced`], applied as
/// [`scaled_exp`]`(t, r·m)`. m·r is formed first, so a product below 2⁻¹²⁶
/// (|m| ≲ 3e-37 at large |x|) keeps a subnormal's digits (none on NVIDIA,
/// which flushes them). Beyond G's fit (|x| > 9.57, where only |m| < 1 keeps
/// the product finite) G's error grows to 1.7e-6 at |x| = 13.4.
/// 48 add/sub/mul, 1 division, 1 exp, 1 floor; 11 compares/selects/abs/neg.
#[cube]
pub fn erfi_times<F: Float, N: Size>(x: Vector<F, N>, m: Vector<F, N>) -> Vector<F, N> {
    let a0 = x.abs();
    let a = select_many(a0.greater_than(&splat::<F, N>(15.0)), splat::<F, N>(15.0), a0);
    let t = a * a;
    let r = erfi_reduced::<F, N>(a, t);
    scaled_exp::<F, N>(t, odd::<F, N>(x, r) * m)
}

/// m·e^t, every partial product at most the result in magnitude, so none
/// overflows first: e^t = e^(t − s)·E for t > s, with s a multiple of 2⁻¹⁷
/// (so t − s is exact for t < 184, past which m·e^t exceeds f32 for every
/// normal m; callers clamp t to 225 at most) chosen so that E = e^s is
/// an f32 to 2e-14 (a smaller exp argument is also a more accurate one where
/// exp is exp2(y·log2 e), as on lavapipe); e^(t − s) is applied in halves
/// h = e^((t − s)/2) (halving exact), as `h·(h·m)`, and then E.
#[cube]
fn scaled_exp<F: Float, N: Size>(t: Vector<F, N>, m: Vector<F, N>) -> Vector<F, N> {
    let big = t.greater_than(&splat::<F, N>(5.647204e1));
    let h = ((t - select_many(big, splat::<F, N>(5.647204e1), Vector::<F, N>::zero())) * splat::<F, N>(0.5)).exp();
    (h * (h * m)) * select_many(big, splat::<F, N>(3.3534714e24), splat::<F, N>(1.0))
}

/// r = a·G(t)·(1 + lo) for a = |x| ≤ 15 and t = fl(a²): erfi(a) = e^t·r.
/// G(t) = e^{-t}·erfi(√t)/√t (= (2/√π)·D(√t)/√t, D Dawson's function) ≈
/// P₇(t)/Q₈(t), minimax in relative error on t ∈ [0, 91.6] (past the overflow
/// of erfi at |x| = 9.568), by Estrin's scheme (positive coefficients: no
/// cancellation). e^{a²} = e^t·(1 + lo) with lo = a² − t exactly: with xh = a
/// on a 2⁻⁸ grid (12 bits below 16, so xh² is exact), a² − xh² =
/// (a + xh)(a − xh). Without it the rounding of a² alone costs up to 4e-6
/// near the overflow.
#[cube]
fn erfi_reduced<F: Float, N: Size>(a: Vector<F, N>, t: Vector<F, N>) -> Vector<F, N> {
    let t2 = t * t;
    let t4 = t2 * t2;
    let p = ((splat::<F, N>(9.184283e5) + splat::<F, N>(5.0711438e4) * t) + t2 * (splat::<F, N>(3.6900273e4) + splat::<F, N>(4.4500703e3) * t))
        + t4 * ((splat::<F, N>(5.9903754e2) + splat::<F, N>(6.707160e1) * t) + t2 * (splat::<F, N>(2.850297e0) + splat::<F, N>(5.6418353e-1) * t));
    let q = ((splat::<F, N>(8.1393594e5) + splat::<F, N>(5.875642e5) * t) + t2 * (splat::<F, N>(2.0737389e5) + splat::<F, N>(4.748609e4) * t))
        + t4 * (((splat::<F, N>(7.9373135e3) + splat::<F, N>(9.7944836e2) * t) + t2 * (splat::<F, N>(1.1618134e2) + splat::<F, N>(4.549081e0) * t)) + t4);
    let g = p / q;
    // lo = x² − t, exactly.
    let xh = (a * splat::<F, N>(256.0)).floor() * splat::<F, N>(0.003_906_25);
    let lo = (xh * xh - t) + (a + xh) * (a - xh);
    let r = a * g;
    r + r * lo
}

#[cfg(test)]
mod tests {
    /// The literals of a `#[cube]` function in this file, in order, from
    /// its calls of `call` (`"splat::<F, N>("`, or `"pair::<F, N>(t, "`,
    /// whose two coefficients both count).
    fn literals(name: &str, call: &str) -> Vec<f32> {
        let src = include_str!("math.rs");
        let body = &src[src.find(&format!("fn {name}<")).expect(name)..];
        let body = &body[..body.find("\n}\n").expect("end of the function")];
        body.split(call)
            .skip(1)
            .flat_map(|s| s[..s.find(')').expect(")")].split(", ").map(|v| v.replace('_', "").parse().expect("a literal")).collect::<Vec<f32>>())
            .collect()
    }

    /// The `#[cube]` erfi spells its constants as literals; they are the
    /// host's (`erfi_rational`), in order, so both sides compute one function.
    #[test]
    fn erfi_literals_are_the_host_constants() {
        use crate::erfi_rational::{CLAMP, EXP_SCALE, EXP_SHIFT, GRID_STEPS, P, Q};
        let splats = |name: &str| literals(name, "splat::<F, N>(");
        assert_eq!(splats("erfi"), [1.0]);
        assert_eq!(splats("erfi_times"), [CLAMP, CLAMP]);
        assert_eq!(splats("scaled_exp"), [EXP_SHIFT, EXP_SHIFT, 0.5, EXP_SCALE, 1.0]);
        let mut reduced = P.to_vec();
        reduced.extend(&Q[..8]);
        reduced.extend([GRID_STEPS, 1.0 / GRID_STEPS]);
        assert_eq!(splats("erfi_reduced"), reduced);
    }

    /// The `#[cube]` erf spells the host's constants (`erf_rational`), in
    /// order, so both sides compute one function (its bounds are tested on
    /// the host's, `float::fast`).
    #[test]
    fn erf_literals_are_the_host_constants() {
        use crate::erf_rational::{ONE_FROM, P, Q};
        assert_eq!(literals("erf", "pair::<F, N>(t, "), [P, Q].concat());
        assert_eq!(literals("erf", "splat::<F, N>("), [1.0, ONE_FROM]);
    }
}
