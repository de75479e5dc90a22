//! Dense real polynomials (ascending coefficients) and numeric complex roots.
//!
//! Coefficients are f64: the specialists work numerically and the self-check
//! in `check` is what makes a result trustworthy, so tolerances here only need
//! to separate "exactly cancelling" from "genuinely present".

use num_complex::Complex64 as C;

/// Coefficients below this fraction of the largest one are treated as zero.
pub const REL_TOL: f64 = 1e-12;

#[derive(Clone, Debug, PartialEq)]
pub struct Poly(pub Vec<f64>);

impl Poly {
    pub fn zero() -> Self {
        Poly(vec![])
    }
    pub fn constant(c: f64) -> Self {
        Poly(vec![c]).trimmed()
    }
    pub fn x() -> Self {
        Poly(vec![0.0, 1.0])
    }
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    /// Degree (`0` for the zero polynomial as well; check `is_zero`).
    pub fn deg(&self) -> usize {
        self.0.len().saturating_sub(1)
    }
    pub fn lead(&self) -> f64 {
        *self.0.last().unwrap_or(&0.0)
    }
    pub fn coef(&self, i: usize) -> f64 {
        *self.0.get(i).unwrap_or(&0.0)
    }
    pub fn max_abs(&self) -> f64 {
        self.0.iter().fold(0.0, |m, c| m.max(c.abs()))
    }

    /// Drop coefficients that are rounding noise relative to `scale`.
    pub fn trimmed_rel(mut self, scale: f64) -> Self {
        for c in &mut self.0 {
            if c.abs() <= REL_TOL * scale {
                *c = 0.0;
            }
        }
        while self.0.last() == Some(&0.0) {
            self.0.pop();
        }
        self
    }
    pub fn trimmed(self) -> Self {
        let s = self.max_abs();
        self.trimmed_rel(s)
    }

    pub fn add(&self, o: &Poly) -> Poly {
        let n = self.0.len().max(o.0.len());
        let scale = self.max_abs().max(o.max_abs());
        Poly((0..n).map(|i| self.coef(i) + o.coef(i)).collect()).trimmed_rel(scale)
    }
    pub fn scale(&self, k: f64) -> Poly {
        Poly(self.0.iter().map(|c| c * k).collect()).trimmed()
    }
    pub fn sub(&self, o: &Poly) -> Poly {
        self.add(&o.scale(-1.0))
    }
    pub fn mul(&self, o: &Poly) -> Poly {
        if self.is_zero() || o.is_zero() {
            return Poly::zero();
        }
        let mut r = vec![0.0; self.0.len() + o.0.len() - 1];
        for (i, a) in self.0.iter().enumerate() {
            for (j, b) in o.0.iter().enumerate() {
                r[i + j] += a * b;
            }
        }
        Poly(r).trimmed()
    }
    pub fn powi(&self, n: usize) -> Poly {
        (0..n).fold(Poly::constant(1.0), |acc, _| acc.mul(self))
    }
    pub fn eval_c(&self, z: C) -> C {
        self.0.iter().rev().fold(C::new(0.0, 0.0), |acc, c| acc * z + c)
    }
    pub fn derivative(&self) -> Poly {
        Poly(self.0.iter().enumerate().skip(1).map(|(i, c)| c * i as f64).collect())
    }
    /// `self(inner(x))`.
    pub fn compose(&self, inner: &Poly) -> Poly {
        self.0.iter().rev().fold(Poly::zero(), |acc, c| acc.mul(inner).add(&Poly::constant(*c)))
    }
    /// `self(-x)`.
    pub fn reflect(&self) -> Poly {
        Poly(self.0.iter().enumerate().map(|(i, c)| if i % 2 == 1 { -c } else { *c }).collect())
    }
    /// The even-degree and odd-degree parts.
    pub fn even_odd(&self) -> (Poly, Poly) {
        let pick = |odd: usize| Poly(self.0.iter().enumerate().map(|(i, c)| if i % 2 == odd { *c } else { 0.0 }).collect()).trimmed();
        (pick(0), pick(1))
    }

    /// Quotient and remainder; the remainder is trimmed relative to the
    /// dividend, so an exact division leaves an exactly zero remainder.
    pub fn divrem(&self, d: &Poly) -> (Poly, Poly) {
        assert!(!d.is_zero(), "division by the zero polynomial");
        let scale = self.max_abs();
        let mut r = self.0.clone();
        if r.len() < d.0.len() {
            return (Poly::zero(), self.clone());
        }
        let mut q = vec![0.0; r.len() - d.0.len() + 1];
        for i in (0..q.len()).rev() {
            let c = r[i + d.deg()] / d.lead();
            q[i] = c;
            for (j, dc) in d.0.iter().enumerate() {
                r[i + j] -= c * dc;
            }
            r[i + d.deg()] = 0.0;
        }
        (Poly(q).trimmed(), Poly(r).trimmed_rel(scale.max(REL_TOL)))
    }

    /// All complex roots with multiplicity (closed forms up to degree 2,
    /// Aberth–Ehrlich iteration with Newton polishing beyond).
    pub fn roots(&self) -> Vec<C> {
        let p = self.clone().trimmed();
        match p.deg() {
            _ if p.is_zero() => vec![],
            0 => vec![],
            1 => vec![C::new(-p.0[0] / p.0[1], 0.0)],
            2 => quadratic_roots(p.0[2], p.0[1], p.0[0]),
            _ => aberth(&p),
        }
    }
}

/// Roots of a x² + b x + c without cancellation in the smaller one.
fn quadratic_roots(a: f64, b: f64, c: f64) -> Vec<C> {
    let disc = b * b - 4.0 * a * c;
    if disc >= 0.0 {
        let s = disc.sqrt();
        let q = -0.5 * (b + if b >= 0.0 { s } else { -s });
        if q == 0.0 {
            return vec![C::new(0.0, 0.0), C::new(0.0, 0.0)];
        }
        vec![C::new(q / a, 0.0), C::new(c / q, 0.0)]
    } else {
        let re = -b / (2.0 * a);
        let im = (-disc).sqrt() / (2.0 * a.abs());
        vec![C::new(re, im), C::new(re, -im)]
    }
}

fn aberth(p: &Poly) -> Vec<C> {
    let n = p.deg();
    let dp = p.derivative();
    // Cauchy bound for the initial circle; offset angles avoid symmetric stalls.
    let radius = 1.0 + p.0[..n].iter().fold(0.0f64, |m, c| m.max((c / p.lead()).abs()));
    let mut z: Vec<C> = (0..n).map(|k| C::from_polar(radius * 0.5, 2.0 * std::f64::consts::PI * k as f64 / n as f64 + 0.4)).collect();
    for _ in 0..200 {
        let mut worst = 0.0f64;
        for i in 0..n {
            let pv = p.eval_c(z[i]);
            if pv.norm() == 0.0 {
                continue;
            }
            let ratio = pv / dp.eval_c(z[i]);
            let repulsion: C = (0..n).filter(|&j| j != i).map(|j| 1.0 / (z[i] - z[j])).sum();
            let w = ratio / (1.0 - ratio * repulsion);
            if w.is_finite() {
                z[i] -= w;
                worst = worst.max(w.norm() / z[i].norm().max(1.0));
            }
        }
        if worst < 1e-14 {
            break;
        }
    }
    for r in &mut z {
        for _ in 0..3 {
            let d = dp.eval_c(*r);
            if d.norm() == 0.0 {
                break;
            }
            let step = p.eval_c(*r) / d;
            if step.is_finite() {
                *r -= step;
            }
        }
    }
    z
}

/// Distinct roots with multiplicities: nearby roots (as a numerically multiple
/// root splits into) are merged at their mean, which is accurate even when the
/// individual members are not; near-real means become exactly real.
pub fn distinct_roots(p: &Poly) -> Vec<(C, usize)> {
    let roots = p.roots();
    let mut used = vec![false; roots.len()];
    let mut out = Vec::new();
    for i in 0..roots.len() {
        if used[i] {
            continue;
        }
        let tol = 1e-5 * roots[i].norm().max(1.0);
        let members: Vec<usize> = (i..roots.len()).filter(|&j| !used[j] && (roots[j] - roots[i]).norm() < tol).collect();
        for &j in &members {
            used[j] = true;
        }
        let mut mean: C = members.iter().map(|&j| roots[j]).sum::<C>() / members.len() as f64;
        // A root of multiplicity m is a simple root of the (m-1)-th derivative:
        // Newton there restores full accuracy (Aberth converges only linearly).
        if members.len() > 1 {
            let mut d = p.clone();
            let mut dd = p.derivative();
            for _ in 1..members.len() {
                d = dd.clone();
                dd = dd.derivative();
            }
            for _ in 0..4 {
                let step = d.eval_c(mean) / dd.eval_c(mean);
                if !step.is_finite() {
                    break;
                }
                mean -= step;
            }
        }
        if mean.im.abs() < 1e-9 * mean.norm().max(1.0) {
            mean.im = 0.0;
        }
        out.push((mean, members.len()));
    }
    out
}

/// `n/d` with the factors of d (found through its roots) that also divide n
/// cancelled.
pub fn cancel_common(n: &Poly, d: &Poly) -> (Poly, Poly) {
    let (mut n, mut d) = (n.clone(), d.clone());
    for (r, m) in distinct_roots(&d) {
        if r.im < 0.0 {
            continue;
        }
        let factor = if r.im == 0.0 { Poly(vec![-r.re, 1.0]) } else { Poly(vec![r.norm_sqr(), -2.0 * r.re, 1.0]) };
        for _ in 0..m {
            let ((qn, rn), (qd, rd)) = (n.divrem(&factor), d.divrem(&factor));
            if rn.max_abs() > 1e-9 * n.max_abs() || rd.max_abs() > 1e-9 * d.max_abs() {
                break;
            }
            (n, d) = (qn, qd);
        }
    }
    (n, d)
}

/// Taylor coefficients of a complex polynomial about `r` (repeated synthetic division).
pub fn taylor_at(coeffs: &[C], r: C, count: usize) -> Vec<C> {
    let mut cur: Vec<C> = coeffs.to_vec();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if cur.is_empty() {
            out.push(C::new(0.0, 0.0));
            continue;
        }
        // Divide cur by (x - r): remainder is cur(r).
        let mut q = vec![C::new(0.0, 0.0); cur.len().saturating_sub(1)];
        let mut acc = C::new(0.0, 0.0);
        for i in (0..cur.len()).rev() {
            acc = acc * r + cur[i];
            if i > 0 {
                q[i - 1] = acc;
            }
        }
        out.push(acc);
        cur = q;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_cubic_with_complex_pair() {
        // (x - 2)(x² + 1)
        let p = Poly(vec![-2.0, 1.0, -2.0, 1.0]);
        let mut r = distinct_roots(&p);
        r.sort_by(|a, b| a.0.im.partial_cmp(&b.0.im).unwrap());
        assert_eq!(r.len(), 3);
        assert!((r[0].0 - C::new(0.0, -1.0)).norm() < 1e-12);
        assert!((r[1].0 - C::new(2.0, 0.0)).norm() < 1e-12);
    }

    #[test]
    fn double_root_is_merged() {
        let p = Poly(vec![1.0, 2.0, 1.0]).mul(&Poly(vec![-3.0, 1.0]));
        let r = distinct_roots(&p);
        assert!(r.iter().any(|&(z, m)| m == 2 && (z + 1.0).norm() < 1e-9), "{r:?}");
    }

    #[test]
    fn exact_division_leaves_zero_remainder() {
        let q = Poly(vec![1.0, 0.0, 1.0]);
        let (d, r) = q.mul(&q).divrem(&q);
        assert!(r.is_zero());
        assert_eq!(d, q);
    }
}
