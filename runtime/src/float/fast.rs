//! f32 `exp`, `exp_m1`, `sinh`, `cosh`, `tanh`, `erf` and `erfi` without
//! branches or library calls, so that a loop applying a generated activation
//! to a slice vectorises (std's f32 functions are calls into libm, one element
//! at a time). Accuracy: within 2 ulp of the true value (2.5 for tanh, 6 for
//! erf, 8 for erfi)
//! wherever the result is a normal f32, tested against f64 below on every
//! 257th f32; ±inf exactly where the true value exceeds f32's range, NaN in
//! gives NaN. erfi is the kernels' algorithm (`kernels::math::erfi`) with
//! this file's `exp`.
//!
//! The method is the classical one (Cody–Waite reduction x = n·ln2 + r with a
//! two-part ln2, a minimax polynomial for e^r on |r| ≤ ln2/2, scaling by 2^n
//! through the exponent bits). Two scalings of 2^(n/2) each keep results
//! that land in the subnormal range (and the overflow to inf) exact.

/// 1.5·2^23: adding and subtracting it rounds an f32 below 2^22 to an integer.
const ROUND: f32 = 12_582_912.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that n·LN2_HI is exact for |n| < 2^9.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// 2^k for an integer k in [-126, 127], from its exponent bits.
#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// e^r − 1 for |r| ≤ ln2/2 (Cephes' expf polynomial, as e^r − 1).
#[inline(always)]
fn expm1_reduced(r: f32) -> f32 {
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5.000_000_1e-1;
    p * (r * r) + r
}

/// e^x · 2^scale (scale a small integer: the halving in `sinh`/`cosh` is
/// folded into the exponent, so it costs no rounding of x).
#[inline(always)]
fn exp_scaled(x: f32, scale: i32) -> f32 {
    let (p, k) = exp_parts(x, scale);
    times_pow2(p, k)
}

/// (p, k) with e^x·2^scale = p·2^k, p in [0.7, 1.5] (the reduction of
/// [`exp_scaled`]), so that a multiplier m can join p before the scaling:
/// (m·p)·2^k overflows only where m·e^x·2^scale does.
#[inline(always)]
fn exp_parts(x: f32, scale: i32) -> (f32, i32) {
    // Below -104 e^x·2^scale is 0 in f32 for the scales used here (0 and
    // -1), and from 177 m·e^x/2 is inf for every normal m (2⁻¹²⁶·e^177/2 >
    // f32::MAX; to 176.75 it fits). The clamp keeps n in range (n·LN2_HI
    // exact, k ≤ 254 for scale -1; 255 for scale 0 makes one factor 2¹²⁸ =
    // inf, which e^177 is, so a multiplier takes scale -1), and NaN stays NaN
    // through it.
    let xc = x.clamp(-104.0, 177.0);
    let shifted = xc * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + expm1_reduced(r);
    // n as an integer from the bits that hold it (n + 1.5·2^23 has n in its
    // low mantissa bits): `n as i32`, a saturating cast, was a compare and
    // two conditional moves per value. For NaN the bits are NaN's: k is
    // some integer of magnitude below 2^31 - 2^29 (no overflow below), and p
    // carries the NaN.
    let k = (shifted.to_bits() as i32 - ROUND.to_bits() as i32) + scale;
    (p, k)
}

/// v·2^k for k in [-151, 254], in two exact steps of 2^(k/2): the clamp of
/// [`exp_parts`] gives the ends without a branch (e^-104·2^scale rounds to
/// 0, e^89.5·2^scale and above to inf: the tests' edges). A branch here kept
/// a loop over f64 values cast to f32 (the host programs') from vectorising.
#[inline(always)]
fn times_pow2(v: f32, k: i32) -> f32 {
    let k1 = k / 2;
    v * pow2i(k1) * pow2i(k - k1)
}

#[inline(always)]
pub fn exp(x: f32) -> f32 {
    exp_scaled(x, 0)
}

/// e^x − 1, accurate near 0 (where e^x − 1 cancels).
#[inline(always)]
pub fn exp_m1(x: f32) -> f32 {
    expm1_times(x, 1.0)
}

/// m·(e^x − 1), finite wherever the product is: e^x alone passes f32::MAX
/// from x = 88.72, where a product with |m| < 1 still fits (selu's g,
/// 0.569·(1 − e^-x), to x = −89.3). m joins e^x before its scaling by a
/// power of two ([`exp_parts`]), and m = 0 gives 0 at every x but NaN. With
/// m = 1 (inlined, so the multiplies by 1 fold) this is [`exp_m1`].
#[inline(always)]
pub fn expm1_times(x: f32, m: f32) -> f32 {
    // Taylor to x^8 on |x| ≤ 0.5: the next term is below 2e-9 relative.
    let small = {
        let p = 1.0f32 / 40320.0;
        let p = p * x + 1.0 / 5040.0;
        let p = p * x + 1.0 / 720.0;
        let p = p * x + 1.0 / 120.0;
        let p = p * x + 1.0 / 24.0;
        let p = p * x + 1.0 / 6.0;
        let p = p * x + 0.5;
        p * (x * x) + x
    };
    // e^x = 2·(e^x/2): scale -1 keeps both steps of 2^k within f32's
    // exponents up to the clamp (m = 0 is 0 there, not 0·inf).
    let (p, k) = exp_parts(x, -1);
    let large = beyond_64(x, m * (2.0 * times_pow2(p, k) - 1.0), 2.0 * times_pow2(m * p, k));
    if x.abs() <= 0.5 {
        m * small
    } else {
        large
    }
}

/// `far` from 64 on, else `near`: a product m·e^a·(1 + ε) with |ε| ≤ e^-64
/// (below f32's resolution) is formed as `near`, m times the rounded value,
/// where e^a cannot overflow, and as `far`, m joining e^a before its scaling
/// by a power of two, beyond: `near` rounds once fewer after the
/// exponential's own error (expm1_times(0.5, 1e-10) was 3.05 ulp off with
/// `far` alone), `far` overflows only where the product does.
#[inline(always)]
fn beyond_64(a: f32, near: f32, far: f32) -> f32 {
    if a < 64.0 {
        near
    } else {
        far
    }
}

/// sinh(x) = e^|x|/2 − e^−|x|/2 with the sign of x; a Taylor series below 1.
#[inline(always)]
pub fn sinh(x: f32) -> f32 {
    sinh_times(x, 1.0)
}

/// m·sinh(x), finite wherever the product is: sinh alone passes f32::MAX
/// from |x| = 89.4, where m·sinh(x) for |m| < 1 still fits (tanh's g,
/// 0.25·sinh(2x), to x = 45.4). m joins e^|x|/2 before its scaling by a power
/// of two ([`exp_parts`]), and m = 0 gives 0 at every x but NaN. With m = 1
/// (inlined, so the multiplies by 1 fold) this is [`sinh`].
#[inline(always)]
pub fn sinh_times(x: f32, m: f32) -> f32 {
    let a = x.abs();
    // Odd Taylor to x^11 on |x| < 1: the next term is below 1e-9 relative.
    let x2 = x * x;
    let small = {
        let p = 1.0f32 / 39_916_800.0;
        let p = p * x2 + 1.0 / 362_880.0;
        let p = p * x2 + 1.0 / 5040.0;
        let p = p * x2 + 1.0 / 120.0;
        let p = p * x2 + 1.0 / 6.0;
        x + x * x2 * p
    };
    let large = odd(x, half_exp_pair(a, -0.25, m));
    if a < 1.0 {
        m * small
    } else {
        large
    }
}

/// cosh(x) = e^|x|/2 + e^−|x|/2.
#[inline(always)]
pub fn cosh(x: f32) -> f32 {
    cosh_times(x, 1.0)
}

/// m·cosh(x), finite wherever the product is, as [`sinh_times`] is (tanh's
/// g′, 0.5 + 0.5·cosh(2x), to x = 45.05); [`cosh`] with m = 1.
#[inline(always)]
pub fn cosh_times(x: f32, m: f32) -> f32 {
    half_exp_pair(x.abs(), 0.25, m)
}

/// m·(h + c/h) with h = e^a/2 (a ≥ 0), finite wherever the result is
/// ([`beyond_64`]: from a = 64 on, c/h is below f32's resolution of h).
#[inline(always)]
fn half_exp_pair(a: f32, c: f32, m: f32) -> f32 {
    let (p, k) = exp_parts(a, -1);
    let h = times_pow2(p, k);
    beyond_64(a, m * (h + c / h), times_pow2(m * p, k))
}

/// tanh(x) = −expm1(−2|x|) / (2 + expm1(−2|x|)) with the sign of x: no
/// overflow, and no cancellation near 0. Within 2.5 ulp (the error of
/// expm1 carries through the quotient).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp_m1(-2.0 * x.abs());
    (-e / (2.0 + e)).copysign(x)
}

/// The constants of erf's rational form, shared by the host [`erf`] and the
/// `#[cube]` erf (`kernels::math::erf`), which spells the same values.
pub mod erf_rational {
    /// erf(x) = x·P(t)/Q(t), t = x² (ascending powers, Q(0) = 1), fitted for
    /// the least maximum relative error on t ∈ [0, ONE_FROM²] by
    /// `scripts/erf-rational.py`: 5.4e-8 with these f32 values. Every
    /// coefficient is positive, so no sum cancels.
    pub const P: [f32; 6] = [1.128_379_1, 0.188_769_18, 0.052_571_71, 0.003_705_522_5, 0.000_285_341_1, 2.087_224_9e-6];
    pub const Q: [f32; 6] = [1.0, 0.500_625_13, 0.113_468_155, 0.014_848_274, 0.001_151_270_6, 3.849_817_6e-5];
    /// From here on erf rounds to ±1 in f32 (erfc(3.875) = 2.0e-8 < 2⁻²⁵).
    pub const ONE_FROM: f32 = 3.875;
}

/// Degree 5 by Estrin's scheme, with t² and t⁴ given (P and Q share them).
#[inline(always)]
fn estrin_5(c: &[f32; 6], t: f32, t2: f32, t4: f32) -> f32 {
    ((c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)) + t4 * (c[4] + c[5] * t)
}

/// erf(x) = x·P(x²)/Q(x²) ([`erf_rational`]) below |x| = 3.875, ±1 from
/// there: the kernels' algorithm (`kernels::math::erf`), operation for
/// operation. No exponential and one division, so a loop over it vectorises:
/// 16–17× faster than libm's erff over a slice (`cargo bench -p foil-bench
/// --bench host_erf`). Within
/// 6 ulp on every 257th f32, and within 3.9e-7 of erf in relative error at
/// every positive normal f32 below 3.875 (all of them, run once: 3.8e-7 at
/// x = 0.523), 3.4e-7 absolute near ±1; capped at 1, which the rounding
/// passes from |x| ≈ 3.4 on. NaN and ±0 pass through; odd.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    use erf_rational::{ONE_FROM, P, Q};
    let a = x.abs();
    let t = a * a;
    let t2 = t * t;
    let t4 = t2 * t2;
    let r = a * (estrin_5(&P, t, t2, t4) / estrin_5(&Q, t, t2, t4));
    let r = if r > 1.0 { 1.0 } else { r };
    // Past ONE_FROM, t⁴ overflows from |x| ≈ 4.3e4 and r is NaN; it is not taken.
    odd(x, if a >= ONE_FROM { 1.0 } else { r })
}

/// The constants of erfi's rational form, shared by the host [`erfi`], and by
/// whoever composes the same function from other ops (the benchmark's burn
/// version); the `#[cube]` erfi (`kernels::math::erfi`) spells the same values.
pub mod erfi_rational {
    /// G(t) = e^-t·erfi(√t)/√t ≈ P/Q (ascending powers of t, Q monic), minimax
    /// in relative error on t ∈ [0, 91.6] (fitted by Remez in mpmath, then
    /// rounded to f32 one coefficient at a time, re-fitting the rest).
    pub const P: [f32; 8] = [9.184283e5, 5.0711438e4, 3.6900273e4, 4.4500703e3, 5.9903754e2, 6.707160e1, 2.850297e0, 5.6418353e-1];
    pub const Q: [f32; 9] = [8.1393594e5, 5.875642e5, 2.0737389e5, 4.748609e4, 7.9373135e3, 9.7944836e2, 1.1618134e2, 4.549081e0, 1.0];
    /// e^t = e^(t − EXP_SHIFT)·EXP_SCALE for t > EXP_SHIFT: EXP_SHIFT is a
    /// multiple of 2⁻¹⁷ (so t − EXP_SHIFT is exact for t < 128) and EXP_SCALE
    /// is e^EXP_SHIFT to 2e-14.
    pub const EXP_SHIFT: f32 = 5.647204e1;
    pub const EXP_SCALE: f32 = 3.3534714e24;
    /// |x| is clamped to this before anything else. erfi overflows f32 from
    /// 9.568 on, and m·erfi(x) for every nonzero f32 m from |x| ≈ 14.0
    /// (1.4e-45·erfi(14.0) = 3.4e38); the clamped computation overflows there
    /// by itself, and P and Q stay finite (t⁸ ≤ 6.6e18).
    pub const CLAMP: f32 = 15.0;
    /// |x| rounded to a multiple of 1/GRID_STEPS has an exact square below 16.
    pub const GRID_STEPS: f32 = 256.0;
}
use erfi_rational::{EXP_SCALE, EXP_SHIFT, GRID_STEPS, P as ERFI_P, Q as ERFI_Q};

/// Estrin's scheme, P of degree 7 and monic Q of degree 8.
#[inline(always)]
fn estrin_7_8(p: &[f32; 8], q: &[f32; 9], t: f32) -> (f32, f32) {
    let t2 = t * t;
    let t4 = t2 * t2;
    let pp = ((p[0] + p[1] * t) + t2 * (p[2] + p[3] * t)) + t4 * ((p[4] + p[5] * t) + t2 * (p[6] + p[7] * t));
    let qq = ((q[0] + q[1] * t) + t2 * (q[2] + q[3] * t)) + t4 * (((q[4] + q[5] * t) + t2 * (q[6] + q[7] * t)) + t4);
    (pp, qq)
}

/// The rational part of erfi at a = |x| ≤ CLAMP: erfi(a) = e^t·r with
/// t = fl(a²) and r = a·G(t)·(1 + lo), where G(t) = e^-t·erfi(√t)/√t
/// (Dawson's function D(√t)·2/(√π·√t)) is a rational P₇/Q₈ and lo = a² − t
/// exactly (a² − ah² = (a + ah)(a − ah), ah on a 2⁻⁸ grid so ah² is exact).
#[inline(always)]
fn erfi_reduced(a: f32) -> (f32, f32) {
    let t = a * a;
    let (p, q) = estrin_7_8(&ERFI_P, &ERFI_Q, t);
    let g = p / q;
    // floor(a·256)/256 as the kernel computes it. a ∈ [0, CLAMP], so a·256
    // is below 2^22, where adding and subtracting 1.5·2^23 rounds it to an
    // integer; one less where that rounded up. No call (f32::floor is one
    // on x86-64 without SSE4.1) and no saturating cast (a compare and two
    // conditional moves per value); NaN stays NaN, as it is through t.
    let scaled = a * GRID_STEPS;
    let nearest = (scaled + ROUND) - ROUND;
    let ah = (if nearest > scaled { nearest - 1.0 } else { nearest }) * (1.0 / GRID_STEPS);
    let lo = (ah * ah - t) + (a + ah) * (a - ah);
    let r = a * g;
    (r + r * lo, t)
}

/// `r` with the sign of `x`, `x` itself at ±0 and NaN (odd functions
/// computed on |x|).
#[inline(always)]
fn odd(x: f32, r: f32) -> f32 {
    if x < 0.0 {
        -r
    } else if x > 0.0 {
        r
    } else {
        x
    }
}

/// erfi(x) = x·e^(x²)·G(x²) ([`erfi_reduced`]): [`erfi_times`] with m = 1.
/// Within 7.7 ulp of the truth on every 257th f32 (the scratch study of the
/// single-exponential form measured 7.82 over every f32); +inf exactly where
/// erfi exceeds f32 (|x| ≥ 9.568); NaN, ±0 pass through; odd.
#[inline(always)]
pub fn erfi(x: f32) -> f32 {
    erfi_times(x, 1.0)
}

/// m·erfi(x), finite wherever the product is: erfi(x) alone passes f32::MAX
/// from |x| = 9.568, where m·erfi(x) for |m| < 1 still fits (to |x| ≈ 13.4
/// for the least normal m), and m = 0 gives 0 at every x but NaN. The
/// exponential is split in halves h = e^((t − s)/2) (t − s exact for
/// |x| < 13.5, halving exact), applied as `h·(h·(r·m))`, then E = e^s: every
/// partial product is at most the result in magnitude, so none overflows
/// first. m·r is formed first, so a product below 2⁻¹²⁶ (|m| ≲ 3e-37 at
/// large |x|) keeps only a subnormal's digits. G is fitted up to |x| = 9.57;
/// beyond, where only |m| < 1 keeps the product finite, its relative error
/// grows to 1.7e-6 at |x| = 13.4.
#[inline(always)]
pub fn erfi_times(x: f32, m: f32) -> f32 {
    let a = x.abs();
    let a = if a > erfi_rational::CLAMP { erfi_rational::CLAMP } else { a };
    let (r, t) = erfi_reduced(a);
    let big = t > EXP_SHIFT;
    let h = exp((t - if big { EXP_SHIFT } else { 0.0 }) * 0.5);
    (h * (h * (odd(x, r) * m))) * if big { EXP_SCALE } else { 1.0 }
}

#[cfg(test)]
mod tests {
    /// Units in the last place between an f32 and the f64 truth, measured at
    /// the truth's own f32 spacing.
    fn ulps(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() { 0.0 } else { f64::INFINITY };
        }
        if (want.abs() > f32::MAX as f64) || got.is_infinite() {
            let agree = got.is_infinite() && want.abs() > f32::MAX as f64 * (1.0 + 2f64.powi(-25)) && got.signum() as f64 == want.signum();
            return if agree { 0.0 } else { f64::INFINITY };
        }
        let spacing = (want.abs().max(f32::MIN_POSITIVE as f64) as f32).to_bits();
        let ulp = (f32::from_bits(spacing + 1) - f32::from_bits(spacing)) as f64;
        (got as f64 - want).abs() / ulp
    }

    /// Every 257th f32 bit pattern (about 16.7 million values), plus the edges.
    fn check(name: &str, fast: fn(f32) -> f32, truth: fn(f64) -> f64, max_ulps: f64) {
        let mut worst = (0.0f64, 0.0f32);
        #[rustfmt::skip]
        let edges = [0.0f32, -0.0, 1e-40, -1e-40, 1e-7, 0.5, -0.5, 1.0, -1.0, 88.72, 88.7229, -87.34, -103.97, -104.0, 89.5, -89.5, f32::MAX, f32::MIN, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        for x in (0..u32::MAX / 257).map(|i| f32::from_bits(i * 257)).chain(edges) {
            let want = truth(x as f64);
            // Results in the subnormal range are only as exact as their spacing.
            if want != 0.0 && want.abs() < f32::MIN_POSITIVE as f64 {
                let got = fast(x) as f64;
                assert!((got - want).abs() <= 2f64.powi(-148), "{name}({x:e}) = {got:e}, want {want:e}");
                continue;
            }
            let u = ulps(fast(x), want);
            if u > worst.0 {
                worst = (u, x);
            }
        }
        assert!(worst.0 <= max_ulps, "{name}: {} ulp at x = {:e} (got {:e}, want {:e})", worst.0, worst.1, fast(worst.1), truth(worst.1 as f64));
    }

    #[test]
    fn exp_within_2_ulp() {
        check("exp", super::exp, f64::exp, 2.0);
    }

    #[test]
    fn exp_m1_within_2_ulp() {
        check("exp_m1", super::exp_m1, f64::exp_m1, 2.0);
    }

    #[test]
    fn sinh_within_2_ulp() {
        check("sinh", super::sinh, f64::sinh, 2.0);
    }

    #[test]
    fn cosh_within_2_ulp() {
        check("cosh", super::cosh, f64::cosh, 2.0);
    }

    #[test]
    fn tanh_within_2_5_ulp() {
        check("tanh", super::tanh, f64::tanh, 2.5);
    }

    /// Against the runtime's f64 erfi (series, ~1e-15 relative): 7.68 ulp at
    /// worst (the scratch study of the single-exponential form measured 7.82
    /// over every f32); 6.82 ulp with the kernel's multiply-adds fused.
    #[test]
    fn erfi_within_8_ulp() {
        check("erfi", super::erfi, super::super::special::erfi, 8.0);
        check("erfi with fused multiply-adds", erfi_fused, super::super::special::erfi, 8.0);
    }

    /// erfi as the kernel computes it where the shader compiler contracts
    /// every multiply-add into an `fma` rounded once (cubecl does, and NVIDIA
    /// rounds once): `kernels::math::erfi_times` with m = 1, Estrin's pairs
    /// and steps, `lo` and `r + r·lo` fused, with this file's `exp`.
    fn erfi_fused(x: f32) -> f32 {
        use super::erfi_rational::{CLAMP, EXP_SCALE, EXP_SHIFT, P, Q};
        let a = if x.abs() > CLAMP { CLAMP } else { x.abs() };
        let t = a * a;
        let (t2, t4) = (t * t, t * t * (t * t));
        let pair = |c: &[f32], k: usize| t.mul_add(c[k + 1], c[k]);
        let p = t4.mul_add(t2.mul_add(pair(&P, 6), pair(&P, 4)), t2.mul_add(pair(&P, 2), pair(&P, 0)));
        let q = t4.mul_add(t2.mul_add(pair(&Q, 6), pair(&Q, 4)) + t4, t2.mul_add(pair(&Q, 2), pair(&Q, 0)));
        let xh = (a * 256.0).floor() * 0.003_906_25;
        let lo = (a + xh).mul_add(a - xh, xh.mul_add(xh, -t));
        let r = a * (p / q);
        let r = r.mul_add(lo, r);
        let big = t > EXP_SHIFT;
        let h = super::exp((t - if big { EXP_SHIFT } else { 0.0 }) * 0.5);
        (h * (h * super::odd(x, r))) * if big { EXP_SCALE } else { 1.0 }
    }

    /// erf against libm's f64 erf: within 6 ulp on every 257th f32 (±1
    /// exactly past 3.875, never above 1 in magnitude); its fit, the f32
    /// coefficients evaluated in f64, within 5.4e-8 relative, and the f32
    /// arithmetic within 3.9e-7 relative, on every 256th f32 of [1e-6,
    /// 3.875]: the bounds its doc states. The same bound holds for the
    /// kernel as NVIDIA runs it: cubecl contracts each pair and each step of
    /// Estrin's scheme into an `fma`, evaluated here with `mul_add`.
    #[test]
    fn erf_within_its_stated_bounds() {
        use super::erf_rational::{ONE_FROM, P, Q};
        check("erf", super::erf, libm::erf, 6.0);
        let in_f64 = |c: &[f32; 6], t: f64| c.iter().rev().fold(0.0, |acc, &ck| acc * t + ck as f64);
        // fma(t4, fma(t, c5, c4), fma(t2, fma(t, c3, c2), fma(t, c1, c0))),
        // the order of the kernel's shader after cubecl's contraction.
        let fused = |c: &[f32; 6], t: f32, t2: f32, t4: f32| t4.mul_add(t.mul_add(c[5], c[4]), t2.mul_add(t.mul_add(c[3], c[2]), t.mul_add(c[1], c[0])));
        let (mut fit, mut relative, mut relative_fused) = (0.0f64, 0.0f64, 0.0f64);
        for x in (1e-6f32.to_bits()..ONE_FROM.to_bits()).step_by(256).map(f32::from_bits) {
            let want = libm::erf(x as f64);
            let t = x as f64 * x as f64;
            fit = fit.max((x as f64 * in_f64(&P, t) / in_f64(&Q, t) - want).abs() / want);
            let got = super::erf(x);
            relative = relative.max((got as f64 - want).abs() / want);
            assert!(got <= 1.0 && super::erf(-x) == -got, "erf({x}) = {got}");
            let (t, t2) = (x * x, x * x * (x * x));
            let got_fused = x * (fused(&P, t, t2, t2 * t2) / fused(&Q, t, t2, t2 * t2));
            relative_fused = relative_fused.max((got_fused as f64 - want).abs() / want);
        }
        assert!(fit <= 5.4e-8, "fit {fit:e}");
        assert!(relative <= 3.9e-7, "f32 arithmetic {relative:e}");
        assert!(relative_fused <= 3.9e-7, "f32 arithmetic with fused multiply-adds {relative_fused:e}");
        for x in [ONE_FROM, 4.0, 1e5, f32::MAX, f32::INFINITY] {
            assert_eq!((super::erf(x), super::erf(-x)), (1.0, -1.0), "at {x}");
        }
    }

    /// m·sinh(x), m·cosh(x) and m·(e^x − 1) against m times f64's, for multipliers from 0
    /// and the least normal f32 to 1e10 and every 4099th f32 with |x| ≤ 200:
    /// ±inf exactly where the product exceeds f32 (checked to 2⁻²⁵ of
    /// f32::MAX), exact zeros for m = 0, and within 3 ulp elsewhere (2.93,
    /// 2.94 and 2.70 at worst), plus
    /// what a subnormal result can keep. Fails for a plain m·sinh(x), inf
    /// from |x| = 89.4 whatever m (0·inf = NaN at m = 0).
    #[test]
    fn exponential_family_times_are_finite_wherever_the_product_is() {
        let ms = [1.0f32, -1.0, 0.5, 0.25, -0.785, 3.0, 1e10, 1e-3, 1e-10, 1e-30, -1e-36, f32::MIN_POSITIVE, 0.0, -0.0];
        let cases: [(&str, fn(f32, f32) -> f32, fn(f64) -> f64); 3] =
            [("sinh", super::sinh_times, f64::sinh), ("cosh", super::cosh_times, f64::cosh), ("expm1", super::expm1_times, f64::exp_m1)];
        for (name, times, truth) in cases {
            let xs = (0..u32::MAX / 4099).map(|i| f32::from_bits(i * 4099)).filter(|x| x.abs() <= 200.0);
            let (mut checked, mut overflowed, mut worst) = (0usize, 0usize, 0.0f64);
            for x in xs.chain([0.0, -0.0, 0.5, 1.0, -1.0, 88.72, 89.4, 89.5, -89.5, 90.8, 176.0, 177.0, 200.0, -200.0]) {
                for &m in &ms {
                    let got = times(x, m) as f64;
                    let want = m as f64 * truth(x as f64);
                    if m == 0.0 || want == 0.0 {
                        assert!(got == 0.0, "{name}_times({x:e}, {m:e}) = {got:e}, want 0");
                        continue;
                    }
                    if want.abs() > f32::MAX as f64 * (1.0 + 2f64.powi(-25)) {
                        assert!(got.is_infinite() && got.signum() == want.signum(), "{name}_times({x:e}, {m:e}) = {got:e}, want {want:e}");
                        overflowed += 1;
                        continue;
                    }
                    if want.abs() > f32::MAX as f64 * (1.0 - 2f64.powi(-22)) {
                        continue; // the last few ulp below f32::MAX may round either way
                    }
                    let ulps = (got - want).abs() / (want.abs() * 2f64.powi(-24));
                    if want.abs() >= f32::MIN_POSITIVE as f64 {
                        worst = worst.max(ulps);
                    }
                    let tolerance = want.abs() * 3.0 * 2f64.powi(-24) + 2f64.powi(-149);
                    assert!((got - want).abs() <= tolerance, "{name}_times({x:e}, {m:e}) = {got:e}, want {want:e}");
                    checked += 1;
                }
            }
            eprintln!("{name}_times: {checked} checked, worst {worst:.2} ulp, {overflowed} overflowed");
            assert!(checked > 100_000 && overflowed > 1_000, "{name}: {checked} checked, {overflowed} overflowed");
            for &m in &ms {
                for x in [f32::INFINITY, f32::NEG_INFINITY] {
                    let got = times(x, m);
                    let want = m as f64 * truth(x as f64);
                    let ok = if m == 0.0 { got == 0.0 } else { got as f64 == want };
                    assert!(ok, "{name}_times({x}, {m:e}) = {got:e}");
                }
                assert!(times(f32::NAN, m).is_nan());
            }
        }
    }

    /// m·erfi(x) against m times the f64 erfi, for multipliers from 0 and the
    /// least normal f32 to 1e10 and every 4099th f32 with |x| ≤ 16: ±inf
    /// exactly where the product exceeds f32 (checked to 2⁻²⁵ of f32::MAX),
    /// exact zeros for m = 0, within 12 ulp where G is fitted (|x| ≤ 9.57),
    /// 2e-6 beyond, plus what a subnormal r or m·r can keep. Fails for a plain
    /// m·erfi(x), which is inf·0 = NaN at m = 0 and |x| > 9.57.
    #[test]
    fn erfi_times_is_finite_wherever_the_product_is() {
        let erfi = super::super::special::erfi;
        let ms = [1.0f32, -1.0, 0.5, -0.785, 3.0, 1e10, 1e-3, 1e-10, 1e-20, 1e-30, -1e-36, f32::MIN_POSITIVE, 0.0, -0.0];
        let xs = (0..u32::MAX / 4099).map(|i| f32::from_bits(i * 4099)).filter(|x| x.abs() <= 16.0);
        let (mut checked, mut overflowed) = (0usize, 0usize);
        for x in xs.chain([0.0, -0.0, 9.568, 13.36, -13.36, 15.0, 16.0, -16.0]) {
            for &m in &ms {
                let got = super::erfi_times(x, m) as f64;
                let want = m as f64 * erfi(x as f64);
                if m == 0.0 || x == 0.0 {
                    assert!(got == 0.0, "erfi_times({x:e}, {m:e}) = {got:e}, want 0");
                    continue;
                }
                if want.abs() > f32::MAX as f64 * (1.0 + 2f64.powi(-25)) {
                    assert!(got.is_infinite() && got.signum() == want.signum(), "erfi_times({x:e}, {m:e}) = {got:e}, want {want:e}");
                    overflowed += 1;
                    continue;
                }
                if want.abs() > f32::MAX as f64 * (1.0 - 2f64.powi(-22)) {
                    continue; // the last few ulp below f32::MAX may round either way
                }
                let fitted = x.abs() <= 9.57;
                let ulps = 12.0 * 2f64.powi(-24);
                // r = |x|·G(x²) and m·r: a subnormal one keeps 2⁻¹⁴⁹ absolute.
                let r = (erfi(x as f64) * (-(x as f64) * (x as f64)).exp()).abs();
                let smallest = r.min(r * (m as f64).abs());
                let subnormal = if smallest < f32::MIN_POSITIVE as f64 { 2f64.powi(-149) / smallest } else { 0.0 };
                let tolerance = want.abs() * (ulps + if fitted { 0.0 } else { 2e-6 } + subnormal) + 2f64.powi(-149);
                assert!((got - want).abs() <= tolerance, "erfi_times({x:e}, {m:e}) = {got:e}, want {want:e}");
                checked += 1;
            }
        }
        assert!(checked > 100_000 && overflowed > 1_000, "{checked} checked, {overflowed} overflowed");
        // ±inf: 0 for m = 0 (|x| is clamped), else ±inf; NaN stays NaN.
        for &m in &ms {
            for x in [f32::INFINITY, f32::NEG_INFINITY] {
                let got = super::erfi_times(x, m);
                let ok = if m == 0.0 { got == 0.0 } else { got.is_infinite() && got.signum() == (x * m).signum() };
                assert!(ok, "erfi_times({x}, {m:e}) = {got:e}");
            }
            assert!(super::erfi_times(f32::NAN, m).is_nan());
        }
    }
}
