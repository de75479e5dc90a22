//! f32 `exp`, `exp_m1`, `sinh`, `cosh` and `tanh` without branches or library
//! calls, so that a loop applying a generated activation to a slice
//! vectorises (std's f32 functions are calls into libm, one element at a
//! time). Accuracy: within 2 ulp of the true value (2.5 for tanh) wherever
//! the result is a normal f32, tested against f64 below on every 257th f32;
//! ±inf exactly where the true value exceeds f32's range, NaN in gives NaN.
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
    // Beyond these e^x·2^scale is 0 or inf in f32 for the scales used here
    // (0 and -1); the clamp keeps n in range (NaN stays NaN through it).
    let xc = x.clamp(-104.0, 89.5);
    let n = (xc * LOG2E + ROUND) - ROUND;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 + expm1_reduced(r);
    // NaN casts to 0, so the scaling stays finite and p carries the NaN.
    let k = n as i32 + scale;
    let k1 = k / 2;
    let y = p * pow2i(k1) * pow2i(k - k1);
    if x < -104.0 {
        0.0
    } else if x > 89.5 {
        f32::INFINITY
    } else {
        y
    }
}

#[inline(always)]
pub fn exp(x: f32) -> f32 {
    exp_scaled(x, 0)
}

/// e^x − 1, accurate near 0 (where e^x − 1 cancels).
#[inline(always)]
pub fn exp_m1(x: f32) -> f32 {
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
    let large = exp(x) - 1.0;
    if x.abs() <= 0.5 {
        small
    } else {
        large
    }
}

/// sinh(x) = e^|x|/2 − e^−|x|/2 with the sign of x; a Taylor series below 1.
#[inline(always)]
pub fn sinh(x: f32) -> f32 {
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
    let h = exp_scaled(a, -1);
    let large = (h - 0.25 / h).copysign(x);
    if a < 1.0 {
        small
    } else {
        large
    }
}

/// cosh(x) = e^|x|/2 + e^−|x|/2.
#[inline(always)]
pub fn cosh(x: f32) -> f32 {
    let h = exp_scaled(x.abs(), -1);
    h + 0.25 / h
}

/// tanh(x) = −expm1(−2|x|) / (2 + expm1(−2|x|)) with the sign of x: no
/// overflow, and no cancellation near 0. Within 2.5 ulp (the error of
/// expm1 carries through the quotient).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp_m1(-2.0 * x.abs());
    (-e / (2.0 + e)).copysign(x)
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
}
