//! Small-sample statistics for `foil compare`: mean ± sample standard
//! deviation, the 95 % confidence interval of a mean (Student's t), and
//! Welch's unequal-variance t-test.

/// Mean and sample standard deviation (n − 1); (NaN, NaN) for no values,
/// std 0 for one.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

/// Half-width of the 95 % confidence interval of the mean of `v`
/// (t₀.₉₇₅ with n − 1 degrees of freedom × s/√n); NaN below two values.
pub fn ci95_half_width(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    let (_, s) = mean_std(v);
    t_quantile(0.975, (v.len() - 1) as f64) * s / (v.len() as f64).sqrt()
}

/// Welch's t-test of mean(a) ≠ mean(b).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    /// (mean(a) − mean(b)) / sqrt(s_a²/n_a + s_b²/n_b).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Welch's test; None below two values on either side. Two samples without
/// any spread give p = 1 when their means are equal and p = 0 otherwise.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ((ma, sa), (mb, sb)) = (mean_std(a), mean_std(b));
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        let p = if ma == mb { 1.0 } else { 0.0 };
        return Some(Welch { t: if ma == mb { 0.0 } else { (ma - mb).signum() * f64::INFINITY }, df: (a.len() + b.len() - 2) as f64, p });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
    Some(Welch { t, df, p: 2.0 * t_sf(t.abs(), df) })
}

/// P(T > t) for Student's t with `df` degrees of freedom (t ≥ 0).
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The `p` quantile of Student's t (p in (0.5, 1)), by bisection on [`t_sf`].
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1e3f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 1.0 - t_sf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The regularised incomplete beta function I_x(a, b) (Numerical Recipes'
/// continued fraction, modified Lentz).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let s = G[1..].iter().enumerate().fold(G[0], |s, (i, g)| s + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + s.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    /// Against SciPy 1.17: `scipy.stats.t.ppf(0.975, df)`.
    #[test]
    fn t_quantiles_match_scipy() {
        for (df, q) in [(1.0, 12.70620474), (2.0, 4.30265273), (4.0, 2.77644511), (9.0, 2.26215716), (30.0, 2.04227246)] {
            let got = t_quantile(0.975, df);
            assert!(close(got, q, 1e-7), "df {df}: {got} vs {q}");
        }
    }

    /// Against SciPy 1.17: `2 * scipy.stats.t.sf(t, df)` and
    /// `scipy.stats.ttest_ind(b, a, equal_var=False)`.
    #[test]
    fn welch_and_p_values_match_scipy() {
        assert!(close(2.0 * t_sf(2.0, 10.0), 0.07338803477074037, 1e-9));
        assert!(close(2.0 * t_sf(0.5, 3.3), 0.6485350763995584, 1e-9));
        let a = [0.9211, 0.9180, 0.9275, 0.9160, 0.9230];
        let b = [0.9443, 0.9390, 0.9500, 0.9410, 0.9470];
        let w = welch(&b, &a).unwrap();
        assert!(close(w.t, 8.208461170062195, 1e-9) && close(w.df, 7.999347024329474, 1e-9), "{w:?}");
        assert!(close(w.p, 3.628697461064893e-05, 1e-6), "{w:?}");
        let w = welch(&[2.0, 4.0, 6.0, 8.0, 11.0], &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!(close(w.t, 1.866277899263374, 1e-9) && close(w.df, 5.573280030949771, 1e-9) && close(w.p, 0.11499016052991898, 1e-7), "{w:?}");
        // Symmetric in sign; degenerate inputs are answered, not NaN.
        assert!(close(welch(&a, &b).unwrap().t, -8.208461170062195, 1e-9));
        assert_eq!(welch(&[1.0], &a), None);
        assert_eq!(welch(&[0.5, 0.5], &[0.5, 0.5]).unwrap().p, 1.0);
        assert_eq!(welch(&[0.5, 0.5], &[0.7, 0.7]).unwrap().p, 0.0);
    }

    #[test]
    fn mean_std_and_confidence_interval() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(close(m, 3.0, 1e-15) && close(s, 2.5f64.sqrt(), 1e-15));
        // 2.776445 · sqrt(2.5) / sqrt(5)
        assert!(close(ci95_half_width(&[1.0, 2.0, 3.0, 4.0, 5.0]), 2.77644511 * 0.5f64.sqrt(), 1e-7));
        assert!(ci95_half_width(&[1.0]).is_nan() && mean_std(&[]).0.is_nan());
    }
}
