//! erfi in f64 for the host `Float` (no std or libm function exists).
//!
//! The compiler keeps its own f64 erfi as the reference the kernel tests
//! check against; this one is the runtime's, so that the kernel runtime
//! needs no symbolic engine.

/// erfi(x) = 2/√π ∫₀ˣ e^{t²} dt: the Maclaurin series (all terms positive,
/// no cancellation) up to |x| = 6, the asymptotic series
/// e^{x²}/(x√π) · Σ (2k-1)!!/(2x²)^k beyond; ±inf past |x| ≈ 26.64, where
/// the value leaves f64.
pub fn erfi(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() || ax == 0.0 {
        return x;
    }
    if ax > 26.7 {
        return x.signum() * f64::INFINITY;
    }
    let two_over_sqrt_pi = 2.0 / core::f64::consts::PI.sqrt();
    let r = if ax <= 6.0 {
        let x2 = ax * ax;
        // term_n = x^(2n+1)/n!, summed as term_n/(2n+1).
        let (mut term, mut sum, mut n) = (ax, ax, 0u32);
        loop {
            n += 1;
            term *= x2 / n as f64;
            let t = term / (2 * n + 1) as f64;
            sum += t;
            if t <= sum * 1e-17 {
                break;
            }
        }
        two_over_sqrt_pi * sum
    } else {
        let inv = 1.0 / (2.0 * ax * ax);
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        for k in 1..40 {
            term *= (2 * k - 1) as f64 * inv;
            sum += term;
            if term < 1e-17 {
                break;
            }
        }
        0.5 * two_over_sqrt_pi * (ax * ax).exp() / ax * sum
    };
    x.signum() * r
}
