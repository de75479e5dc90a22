//! Locating the real zeros of a function given as an f64 closure: the zeros of
//! f' (why GA is refused) and the break points of piecewise expressions.
//!
//! The search scans [-SCAN, SCAN] on a fine grid plus a geometric grid out to
//! ±1e6, finds sign changes (bracketed, then bisected to 1e-12) and isolated
//! touching zeros (local minima of |f| that reach 0, refined by golden
//! section), and recognises a periodic family when the zeros are evenly spaced
//! and the function repeats with that period.
//!
//! ```
//! use foil_compiler::zeros::find_zeros;
//! let z = find_zeros(&|x: f64| x * x - 2.0);
//! assert_eq!(z.zeros.len(), 2);
//! assert!((z.zeros[1] - 2f64.sqrt()).abs() < 1e-9);
//! ```

use serde::Serialize;

/// Half-width of the fine scan: beyond it only the geometric grid looks.
pub const SCAN: f64 = 32.0;
const FINE_STEP: f64 = 1.0 / 64.0;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Zeros {
    /// Zeros found, ascending (for a periodic family: those in [-SCAN, SCAN]).
    pub zeros: Vec<f64>,
    /// `Some((first, period))`: the zeros are `first + k*period` for all integers k.
    pub periodic: Option<(f64, f64)>,
}

impl Zeros {
    pub fn is_empty(&self) -> bool {
        self.zeros.is_empty()
    }

    /// A sentence naming the zeros, e.g. `x ≈ -1.27846454` or `x = 1.5707963 + k*3.1415927`.
    pub fn describe(&self, var: &str) -> String {
        if let Some((first, period)) = self.periodic {
            return format!("{var} = {} + k*{} for every integer k", fmt9(first), fmt9(period));
        }
        // Every zero: a refusal names them all.
        self.zeros.iter().map(|z| format!("{var} ≈ {}", fmt9(*z))).collect::<Vec<_>>().join(", ")
    }
}

/// A number to 9 decimals, trailing zeros trimmed.
pub fn fmt9(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The grid the scan evaluates: fine in the middle, geometric outside.
fn grid() -> Vec<f64> {
    let mut xs = Vec::new();
    let mut t = 1e6;
    while t > SCAN {
        xs.push(-t);
        t /= 1.05;
    }
    let n = (2.0 * SCAN / FINE_STEP) as i64;
    for i in 0..=n {
        xs.push(-SCAN + i as f64 * FINE_STEP);
    }
    let mut t = SCAN * 1.05;
    while t < 1e6 {
        xs.push(t);
        t *= 1.05;
    }
    xs
}

/// Every zero of `f` that the scan can see. NaN samples are skipped (outside
/// the function's domain); exact zeros on a plateau (underflow at large |x|,
/// where f only tends to 0) are not zeros.
pub fn find_zeros(f: &dyn Fn(f64) -> f64) -> Zeros {
    find_zeros_with_breaks(f, &[])
}

/// [`find_zeros`] for a piecewise function: a sign change at one of `breaks`
/// (a jump through 0, as `sign(x)` makes) counts as a zero too.
pub fn find_zeros_with_breaks(f: &dyn Fn(f64) -> f64, breaks: &[f64]) -> Zeros {
    find_zeros_refined(f, None, breaks)
}

/// [`find_zeros_with_breaks`], with `df` (the derivative of f) to place
/// touching zeros: |f| has its minimum where df changes sign, which bisection
/// finds to 1e-13, while minimising |f| directly stalls near √ε ≈ 1e-8.
pub fn find_zeros_refined(f: &dyn Fn(f64) -> f64, df: Option<&dyn Fn(f64) -> f64>, breaks: &[f64]) -> Zeros {
    let xs = grid();
    let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
    let mut zeros = Vec::new();
    for i in 0..xs.len() - 1 {
        let (a, b, fa, fb) = (xs[i], xs[i + 1], ys[i], ys[i + 1]);
        if !fa.is_finite() || !fb.is_finite() {
            continue;
        }
        if fa == 0.0 {
            // Only isolated exact zeros count: a neighbour on each side is nonzero.
            let left = if i > 0 { ys[i - 1] } else { f64::NAN };
            if left != 0.0 && fb != 0.0 && left.is_finite() {
                zeros.push(a);
            }
            continue;
        }
        if fa.signum() != fb.signum() && fb != 0.0 {
            let z = bisect(f, a, b, fa);
            if crosses_continuously(f, z) || breaks.iter().any(|&bp| (bp - z).abs() <= 1e-9 * bp.abs().max(1.0)) {
                zeros.push(z);
            }
        }
    }
    // Touching zeros: a local minimum of |f| between grid points that reaches ~0.
    for i in 1..xs.len() - 1 {
        let (l, m, r) = (ys[i - 1].abs(), ys[i].abs(), ys[i + 1].abs());
        if !(l.is_finite() && m.is_finite() && r.is_finite()) || m == 0.0 || m >= l || m >= r {
            continue;
        }
        if ys[i - 1].signum() != ys[i].signum() || ys[i + 1].signum() != ys[i].signum() {
            continue; // a sign change, found above
        }
        let mut x = golden_min(&|x| f(x).abs(), xs[i - 1], xs[i + 1]);
        if let Some(df) = df {
            let (a, b) = (xs[i - 1], xs[i + 1]);
            let (da, db) = (df(a), df(b));
            if da.is_finite() && db.is_finite() && da.signum() != db.signum() {
                x = bisect(df, a, b, da);
            }
        }
        let scale = l.max(r);
        if f(x).abs() <= 1e-12 * scale {
            zeros.push(x);
        }
    }
    zeros.sort_by(|a, b| a.total_cmp(b));
    zeros.dedup_by(|a, b| (*a - *b).abs() < 1e-7 * a.abs().max(1.0));
    let periodic = detect_period(f, &zeros);
    if periodic.is_some() {
        zeros.retain(|z| z.abs() <= SCAN);
    }
    Zeros { zeros, periodic }
}

/// A genuine zero, not a jump: f shrinks towards z as a continuous function
/// does. Rounding artefacts (a term that overflows to inf and flips the sign
/// of a tiny f') and jump discontinuities fail this.
fn crosses_continuously(f: &dyn Fn(f64) -> f64, z: f64) -> bool {
    let h = 1e-4 * z.abs().max(1.0);
    let (a, b, c) = (f(z - h), f(z + h), f(z));
    a.is_finite() && b.is_finite() && c.is_finite() && a.signum() != b.signum() && a.abs().min(b.abs()) >= 100.0 * c.abs()
}

fn bisect(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64, mut fa: f64) -> f64 {
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            break;
        }
        let fm = f(m);
        if fm == 0.0 {
            return m;
        }
        if !fm.is_finite() {
            break;
        }
        if fm.signum() == fa.signum() {
            a = m;
            fa = fm;
        } else {
            b = m;
        }
        if (b - a).abs() <= 1e-13 * m.abs().max(1.0) {
            break;
        }
    }
    0.5 * (a + b)
}

fn golden_min(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    for _ in 0..120 {
        if f(c) < f(d) {
            b = d;
        } else {
            a = c;
        }
        c = b - g * (b - a);
        d = a + g * (b - a);
        if (b - a).abs() < 1e-13 {
            break;
        }
    }
    0.5 * (a + b)
}

/// Evenly spaced zeros across the fine scan and `f(x + P) = f(x)` (P the spacing or twice it).
fn detect_period(f: &dyn Fn(f64) -> f64, zeros: &[f64]) -> Option<(f64, f64)> {
    let inner: Vec<f64> = zeros.iter().copied().filter(|z| z.abs() <= SCAN).collect();
    if inner.len() < 6 {
        return None;
    }
    let gaps: Vec<f64> = inner.windows(2).map(|w| w[1] - w[0]).collect();
    let gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    if gaps.iter().any(|g| (g - gap).abs() > 1e-7 * gap) {
        return None;
    }
    for period in [gap, 2.0 * gap] {
        let repeats = (0..32).all(|k| {
            let x = -7.3 + k as f64 * 0.471;
            let (a, b) = (f(x), f(x + period));
            (a - b).abs() <= 1e-9 * a.abs().max(1.0)
        });
        if repeats {
            let first = inner.iter().copied().find(|z| *z >= -1e-12).unwrap_or(inner[0]);
            let first = first - (first / gap).floor() * gap; // smallest nonnegative member
            return Some((first, gap));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_simple_touching_and_periodic_zeros() {
        let z = find_zeros(&|x: f64| (x + 1.2785).powi(3) * (x - 0.5).powi(2) + 0.0);
        assert_eq!(z.zeros.len(), 2, "{z:?}");
        assert!((z.zeros[0] + 1.2785).abs() < 1e-6 && (z.zeros[1] - 0.5).abs() < 1e-6, "{z:?}");
        let c = find_zeros(&|x: f64| x.cos());
        let (first, period) = c.periodic.expect("cos is periodic");
        assert!((first - std::f64::consts::FRAC_PI_2).abs() < 1e-9 && (period - std::f64::consts::PI).abs() < 1e-9);
        // tanh' underflows to exactly 0 for large |x|: not a zero.
        assert!(find_zeros(&|x: f64| 1.0 - x.tanh().powi(2)).is_empty());
        assert!(find_zeros(&|x: f64| x.exp()).is_empty());
    }
}
