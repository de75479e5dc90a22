//! The scalar type generated activations are generic over.
//!
//! Only what emitted code calls: the macros emit `F::exp(t)`-style calls, so
//! every `Math` node and every operation of the compiler's safe form
//! (`erfi_times`, `sinh_times`, `cosh_times`, `expm1_times`) needs a method
//! here, and nothing else does.

use core::ops::{Add, Div, Mul, Neg, Sub};

pub trait Float: Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self> {
    /// Literals are emitted as f64 and rounded once to `Self`.
    fn from_f64(v: f64) -> Self;
    fn zero() -> Self;
    fn one() -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp_m1(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    /// SPEC `sign`: -1, 0 or 1 (std's `signum` is 1 at +0).
    fn signum(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn atan(self) -> Self;
    fn sinh(self) -> Self;
    fn cosh(self) -> Self;
    fn tanh(self) -> Self;
    fn asinh(self) -> Self;
    fn erf(self) -> Self;
    fn erfi(self) -> Self;
    /// `m·erfi(self)`, finite wherever the product is (erfi alone overflows
    /// where a small m keeps the product in range): the compiler's
    /// `SafeOp::Times(Func::Erfi, ..)`.
    fn erfi_times(self, m: Self) -> Self;
    /// `m·sinh(self)`, finite wherever the product is: `SafeOp::Times(Func::Sinh, ..)`.
    fn sinh_times(self, m: Self) -> Self;
    /// `m·cosh(self)`, finite wherever the product is: `SafeOp::Times(Func::Cosh, ..)`.
    fn cosh_times(self, m: Self) -> Self;
    /// `m·(e^self − 1)`, finite wherever the product is: `SafeOp::Times(Func::Expm1, ..)`.
    fn expm1_times(self, m: Self) -> Self;
    fn powi(self, n: i32) -> Self;
    fn powf(self, e: Self) -> Self;
    fn min(self, other: Self) -> Self;
    fn max(self, other: Self) -> Self;
}

mod fast;
mod special;

pub use fast::{erf_rational, erfi_rational};

#[rustfmt::skip]
macro_rules! impl_float {
    ($t:ty, $erf:path, $erfi:expr, $erfi_times:expr, exp: $exp:path, exp_m1: $exp_m1:path, sinh: $sinh:path, cosh: $cosh:path, tanh: $tanh:path,
     sinh_times: $sinh_times:expr, cosh_times: $cosh_times:expr, expm1_times: $expm1_times:expr) => {
        impl Float for $t {
            fn from_f64(v: f64) -> Self { v as $t }
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            #[inline]
            fn exp(self) -> Self { $exp(self) }
            fn ln(self) -> Self { <$t>::ln(self) }
            fn ln_1p(self) -> Self { <$t>::ln_1p(self) }
            #[inline]
            fn exp_m1(self) -> Self { $exp_m1(self) }
            fn sqrt(self) -> Self { <$t>::sqrt(self) }
            fn abs(self) -> Self { <$t>::abs(self) }
            fn signum(self) -> Self {
                if self > 0.0 { 1.0 } else if self < 0.0 { -1.0 } else { self }
            }
            fn sin(self) -> Self { <$t>::sin(self) }
            fn cos(self) -> Self { <$t>::cos(self) }
            fn atan(self) -> Self { <$t>::atan(self) }
            #[inline]
            fn sinh(self) -> Self { $sinh(self) }
            #[inline]
            fn cosh(self) -> Self { $cosh(self) }
            #[inline]
            fn tanh(self) -> Self { $tanh(self) }
            // std's asinh is ln_1p(|x| + |x|/(hypot(1, 1/|x|) + 1/|x|)), about
            // ln_1p(2|x|): inf past MAX/2, where asinh is 89 (f32). Past
            // 2^(digits/2 + 1), √(x² + 1) is |x| in this precision and asinh(x) =
            // ln|x| + ln 2 (the next term, 1/(4x²), is below half an ulp).
            fn asinh(self) -> Self {
                let a = self.abs();
                if a > (1u64 << (<$t>::MANTISSA_DIGITS / 2 + 1)) as $t {
                    (a.ln() + core::f64::consts::LN_2 as $t).copysign(self)
                } else {
                    <$t>::asinh(self)
                }
            }
            #[inline]
            fn erf(self) -> Self { $erf(self) }
            #[inline]
            fn erfi(self) -> Self { ($erfi)(self) }
            #[inline]
            fn erfi_times(self, m: Self) -> Self { ($erfi_times)(self, m) }
            #[inline]
            fn sinh_times(self, m: Self) -> Self { ($sinh_times)(self, m) }
            #[inline]
            fn cosh_times(self, m: Self) -> Self { ($cosh_times)(self, m) }
            #[inline]
            fn expm1_times(self, m: Self) -> Self { ($expm1_times)(self, m) }
            fn powi(self, n: i32) -> Self { <$t>::powi(self, n) }
            fn powf(self, e: Self) -> Self { <$t>::powf(self, e) }
            fn min(self, other: Self) -> Self { <$t>::min(self, other) }
            fn max(self, other: Self) -> Self { <$t>::max(self, other) }
        }
    };
}

// f64 multiplies plainly: its erfi overflows only from |x| = 26.6, its sinh,
// cosh and exp from 710, past every f32 input's product (f32 code is what the
// kernels and the trainer run).
impl_float!(f64, libm::erf, special::erfi, |x: f64, m: f64| m * special::erfi(x),
    exp: f64::exp, exp_m1: f64::exp_m1, sinh: f64::sinh, cosh: f64::cosh, tanh: f64::tanh,
    sinh_times: |x: f64, m: f64| m * x.sinh(), cosh_times: |x: f64, m: f64| m * x.cosh(),
    expm1_times: |x: f64, m: f64| m * x.exp_m1());
// The exponential family, erf and erfi are foil's own (`fast`): no library
// calls, so loops over generated activations vectorise (erfi was the f64
// series rounded once, ~140 ns per value), and erf is the kernels' algorithm.
impl_float!(f32, fast::erf, fast::erfi, fast::erfi_times,
    exp: fast::exp, exp_m1: fast::exp_m1, sinh: fast::sinh, cosh: fast::cosh, tanh: fast::tanh,
    sinh_times: fast::sinh_times, cosh_times: fast::cosh_times, expm1_times: fast::expm1_times);

#[cfg(test)]
mod tests {
    use super::Float;

    #[test]
    fn sign_is_zero_at_zero() {
        assert_eq!(Float::signum(0.0f32), 0.0);
        assert_eq!(Float::signum(-2.0f64), -1.0);
        assert!(Float::signum(f64::NAN).is_nan());
    }

    /// asinh within 2 ulps of the f64 truth from 1e-30 to f32::MAX (std's f32
    /// asinh was inf from f32::MAX/2), and finite at f64::MAX.
    #[test]
    fn asinh_is_finite_and_accurate_to_the_largest_float() {
        let mut xs: Vec<f32> = (-3000..=3853).map(|k| 10f64.powf(k as f64 / 100.0) as f32).collect();
        xs.extend([8192.0, 8193.0, 16384.0, 1.7e38, 3e38, f32::MAX]);
        for x in xs.iter().flat_map(|&x| [x, -x]) {
            let (got, want) = (Float::asinh(x) as f64, (x as f64).asinh());
            let ulp = f32::EPSILON as f64 * (want.abs() as f32).max(f32::MIN_POSITIVE) as f64;
            assert!((got - want).abs() <= 2.0 * ulp, "asinh({x:e}) = {got:e}, not {want:e}");
        }
        assert_eq!(Float::asinh(f64::MAX), f64::MAX.ln() + core::f64::consts::LN_2);
        assert!((Float::asinh(1e300f64) - 1e300f64.asinh()).abs() <= 4.0 * f64::EPSILON * 691.5);
    }

    #[test]
    fn erf_and_erfi_are_odd_and_agree_across_widths() {
        for &x in &[0.25f64, 1.0, 2.5] {
            assert!((Float::erf(x as f32) as f64 - Float::erf(x)).abs() < 1e-6);
            assert!(((Float::erfi(x as f32) as f64 - Float::erfi(x)) / Float::erfi(x)).abs() < 1e-6);
            assert_eq!(Float::erfi(-x), -Float::erfi(x));
        }
    }
}
