//! The exponential-polynomial specialist.
//!
//! Canonical form: a quotient of sums of terms `c·x^k·exp(g·x² + a·x)` with
//! complex `c`, `g`, `a`. sinh/cosh/tanh become real exponentials, sin/cos
//! conjugate imaginary ones, so `1/(1 - tanh(x)^2)` cancels to
//! `(e^x + e^-x)²/4` by plain coefficient arithmetic. A single-term
//! denominator divides through; otherwise, when all exponents are integer
//! multiples of one real rate, `u = exp(a₀x)` makes it a rational function.
//! Terms integrate by parts (or, Gaussian ones, to erf/erfi), and the result
//! is turned back into real sinh/cosh/sin/cos form.

use super::{constant_value, poly::Poly, rational, readable, Outcome};
use crate::build::Builder;
use crate::lang::{Expr, Func, Math};
use egg::{Id, Symbol};
use num_complex::Complex64 as C;

const TOL: f64 = 1e-12;
/// The most terms a product may form before its like terms merge: a bound
/// on time (merging is quadratic). A sum of 40 tanh(k·x)/k put over one
/// denominator took a minute here and has no closed form anyway (from 5
/// terms its denominator's degree, 30, is past what the roots resolve).
const MAX_PRODUCT_TERMS: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Term {
    c: C,
    k: i32,
    g: C,
    a: C,
}

fn close(p: C, q: C) -> bool {
    (p - q).norm() <= TOL * p.norm().max(q.norm()).max(1.0)
}

impl Term {
    fn same_shape(&self, o: &Term) -> bool {
        self.k == o.k && close(self.g, o.g) && close(self.a, o.a)
    }
    fn is_plain_power(&self) -> bool {
        self.g.norm() == 0.0 && self.a.norm() == 0.0
    }
}

/// A sum of terms, like terms merged, cancelled ones dropped.
#[derive(Clone, Debug, Default)]
struct Sum(Vec<Term>);

impl Sum {
    fn constant(c: C) -> Sum {
        Sum(vec![Term { c, k: 0, g: C::default(), a: C::default() }]).normalized()
    }
    fn normalized(self) -> Sum {
        let mut out: Vec<Term> = Vec::new();
        let scale = self.0.iter().fold(0.0f64, |m, t| m.max(t.c.norm()));
        for t in self.0 {
            match out.iter_mut().find(|o| o.same_shape(&t)) {
                Some(o) => o.c += t.c,
                None => out.push(t),
            }
        }
        out.retain(|t| t.c.norm() > TOL * scale);
        Sum(out)
    }
    fn add(&self, o: &Sum) -> Sum {
        Sum(self.0.iter().chain(&o.0).copied().collect()).normalized()
    }
    fn scale(&self, k: C) -> Sum {
        Sum(self.0.iter().map(|t| Term { c: t.c * k, ..*t }).collect()).normalized()
    }
    /// `None` past [`MAX_PRODUCT_TERMS`].
    fn mul(&self, o: &Sum) -> Option<Sum> {
        if self.0.len() * o.0.len() > MAX_PRODUCT_TERMS {
            return None;
        }
        let mut v = Vec::with_capacity(self.0.len() * o.0.len());
        for p in &self.0 {
            for q in &o.0 {
                v.push(Term { c: p.c * q.c, k: p.k + q.k, g: p.g + q.g, a: p.a + q.a });
            }
        }
        Some(Sum(v).normalized())
    }
    fn same(&self, o: &Sum) -> bool {
        self.0.len() == o.0.len() && self.0.iter().all(|t| o.0.iter().any(|u| t.same_shape(u) && close(t.c, u.c)))
    }
}

/// `n/d`, kept with `d = 1` whenever `d` is a single term.
#[derive(Clone, Debug)]
struct Frac {
    n: Sum,
    d: Sum,
}

impl Frac {
    fn of(n: Sum) -> Frac {
        Frac { n, d: Sum::constant(C::new(1.0, 0.0)) }
    }
    fn normalized(self) -> Option<Frac> {
        if self.d.0.is_empty() {
            return None; // division by zero
        }
        if let [t] = self.d.0[..] {
            let n = Sum(self.n.0.iter().map(|u| Term { c: u.c / t.c, k: u.k - t.k, g: u.g - t.g, a: u.a - t.a }).collect());
            return Some(Frac::of(n.normalized()));
        }
        Some(self)
    }
    fn add(&self, o: &Frac) -> Option<Frac> {
        if self.d.same(&o.d) {
            return Frac { n: self.n.add(&o.n), d: self.d.clone() }.normalized();
        }
        Frac { n: self.n.mul(&o.d)?.add(&o.n.mul(&self.d)?), d: self.d.mul(&o.d)? }.normalized()
    }
    fn neg(&self) -> Frac {
        Frac { n: self.n.scale(C::new(-1.0, 0.0)), d: self.d.clone() }
    }
    fn mul(&self, o: &Frac) -> Option<Frac> {
        Frac { n: self.n.mul(&o.n)?, d: self.d.mul(&o.d)? }.normalized()
    }
    fn recip(&self) -> Option<Frac> {
        Frac { n: self.d.clone(), d: self.n.clone() }.normalized()
    }
    fn powi(&self, n: i32) -> Option<Frac> {
        let base = if n < 0 { self.recip()? } else { self.clone() };
        (0..n.unsigned_abs()).try_fold(Frac::of(Sum::constant(C::new(1.0, 0.0))), |acc, _| acc.mul(&base))
    }
    /// `exp(self)` when self is a polynomial of degree ≤ 2 in x.
    fn exp(&self) -> Option<Frac> {
        if !self.d.same(&Sum::constant(C::new(1.0, 0.0))) {
            return None;
        }
        let mut t = Term { c: C::new(1.0, 0.0), k: 0, g: C::default(), a: C::default() };
        for u in &self.n.0 {
            match (u.is_plain_power(), u.k) {
                (true, 0) => t.c *= u.c.exp(),
                (true, 1) => t.a += u.c,
                (true, 2) => t.g += u.c,
                _ => return None,
            }
        }
        Some(Frac::of(Sum(vec![t])))
    }
}

/// Canonical form of the subtree `id`, or `None` if it is outside the class.
fn convert(expr: &Expr, id: Id, var: Symbol) -> Option<Frac> {
    let one = C::new(1.0, 0.0);
    let i = C::new(0.0, 1.0);
    if let Some(v) = constant_value(expr, id) {
        return Some(Frac::of(Sum::constant(C::new(v, 0.0))));
    }
    let sub = |c: Id| convert(expr, c, var);
    Some(match &expr[id] {
        Math::Var(s) if *s == var => Frac::of(Sum(vec![Term { c: one, k: 1, g: C::default(), a: C::default() }])),
        Math::Add([p, q]) => sub(*p)?.add(&sub(*q)?)?,
        Math::Sub([p, q]) => sub(*p)?.add(&sub(*q)?.neg())?,
        Math::Neg(p) => sub(*p)?.neg(),
        Math::Mul([p, q]) => sub(*p)?.mul(&sub(*q)?)?,
        Math::Div([p, q]) => sub(*p)?.mul(&sub(*q)?.recip()?)?,
        Math::Pow([p, q]) => {
            let n = constant_value(expr, *q);
            match (n, &expr[*p]) {
                (Some(n), _) if n == n.round() && n.abs() <= 16.0 => sub(*p)?.powi(n as i32)?,
                (None, Math::Euler) => sub(*q)?.exp()?,
                _ => {
                    // c^y = exp(y·log c) for a positive constant base.
                    let base = constant_value(expr, *p).filter(|b| *b > 0.0)?;
                    sub(*q)?.mul(&Frac::of(Sum::constant(C::new(base.ln(), 0.0))))?.exp()?
                }
            }
        }
        Math::Call(Func::Exp, p) => sub(*p)?.exp()?,
        Math::Call(Func::Expm1, p) => sub(*p)?.exp()?.add(&Frac::of(Sum::constant(-one)))?,
        Math::Call(Func::Sinh, p) | Math::Call(Func::Cosh, p) | Math::Call(Func::Tanh, p) => {
            let arg = sub(*p)?;
            let (e, ei) = (arg.exp()?, arg.neg().exp()?);
            let (plus, minus) = (e.add(&ei)?, e.add(&ei.neg())?);
            let half = Frac::of(Sum::constant(C::new(0.5, 0.0)));
            match &expr[id] {
                Math::Call(Func::Sinh, _) => minus.mul(&half)?,
                Math::Call(Func::Cosh, _) => plus.mul(&half)?,
                _ => minus.mul(&plus.recip()?)?,
            }
        }
        Math::Call(Func::Sin, p) | Math::Call(Func::Cos, p) => {
            let arg = sub(*p)?.mul(&Frac::of(Sum::constant(i)))?;
            let (e, ei) = (arg.exp()?, arg.neg().exp()?);
            match &expr[id] {
                Math::Call(Func::Cos, _) => e.add(&ei)?.mul(&Frac::of(Sum::constant(C::new(0.5, 0.0))))?,
                _ => e.add(&ei.neg())?.mul(&Frac::of(Sum::constant(-i * 0.5)))?,
            }
        }
        _ => return None,
    })
}

/// The specialist's entry point.
pub fn integrate(expr: &Expr, root: Id, var: Symbol, b: &mut Builder) -> Outcome {
    let Some(f) = convert(expr, root, var) else { return Outcome::NotMine };
    let x = b.add(Math::Var(var));
    if f.d.0.len() == 1 {
        return match integrate_sum(&f.n) {
            Ok(r) => r.emit(b, x).map_or(Outcome::NotMine, Outcome::Found),
            Err(o) => o,
        };
    }
    substitute_exponential(&f, b, x)
}

/// An antiderivative before conversion to real form.
#[derive(Default)]
struct Antiderivative {
    sum: Sum,
    log_abs_x: C,
    /// `coef · ∫exp(g x² + a x) dx` for real g ≠ 0, a.
    gaussians: Vec<(C, f64, f64)>,
}

fn integrate_sum(s: &Sum) -> Result<Antiderivative, Outcome> {
    let mut out = Antiderivative::default();
    let mut terms = Vec::new();
    for t in &s.0 {
        if t.g.norm() != 0.0 {
            if t.g.im.abs() > TOL * t.g.norm() || t.a.im.abs() > TOL * t.a.norm().max(1.0) || t.k < 0 {
                return Err(Outcome::NoClosedForm);
            }
            let (sum, base) = gaussian_power(t.k, t.g.re, t.a.re);
            terms.extend(sum.scale(t.c).0);
            out.gaussians.push((t.c * base, t.g.re, t.a.re));
        } else if t.a.norm() == 0.0 {
            if t.k == -1 {
                out.log_abs_x += t.c;
            } else {
                terms.push(Term { c: t.c / (t.k + 1) as f64, k: t.k + 1, ..*t });
            }
        } else if t.k < 0 {
            return Err(Outcome::NoClosedForm); // exponential integral
        } else {
            // ∫x^k e^{ax} = e^{ax} Σ_j (-1)^j k!/(k-j)! x^{k-j} / a^{j+1}.
            let mut coef = t.c / t.a;
            for j in 0..=t.k {
                terms.push(Term { c: coef, k: t.k - j, ..*t });
                coef *= -((t.k - j) as f64) / t.a;
            }
        }
    }
    out.sum = Sum(terms).normalized();
    Ok(out)
}

/// ∫x^k e^G, G = g x² + a x, as (elementary part, multiple of ∫e^G):
/// I(k) = x^{k-1}e^G/(2g) - (k-1)/(2g)·I(k-2) - a/(2g)·I(k-1).
fn gaussian_power(k: i32, g: f64, a: f64) -> (Sum, C) {
    if k == 0 {
        return (Sum::default(), C::new(1.0, 0.0));
    }
    let e = Term { c: C::new(1.0 / (2.0 * g), 0.0), k: k - 1, g: C::new(g, 0.0), a: C::new(a, 0.0) };
    let mut sum = Sum(vec![e]);
    let mut base = C::default();
    let (s1, b1) = gaussian_power(k - 1, g, a);
    sum = sum.add(&s1.scale(C::new(-a / (2.0 * g), 0.0)));
    base += b1 * (-a / (2.0 * g));
    if k >= 2 {
        let (s2, b2) = gaussian_power(k - 2, g, a);
        sum = sum.add(&s2.scale(C::new(-((k - 1) as f64) / (2.0 * g), 0.0)));
        base += b2 * (-((k - 1) as f64) / (2.0 * g));
    }
    (sum, base)
}

/// A real term `coef · x^k · exp(g x² + alpha x) · osc`.
struct RealTerm {
    coef: f64,
    k: i32,
    g: f64,
    alpha: f64,
    osc: Osc,
}

#[derive(Clone, Copy, PartialEq)]
enum Osc {
    None,
    Cosh,
    Sinh,
    /// cos(beta x + rho) or, with `sin`, sin(beta x + rho).
    Trig {
        beta: f64,
        rho: f64,
        sin: bool,
    },
}

impl Antiderivative {
    fn emit(&self, b: &mut Builder, x: Id) -> Option<Id> {
        let mut reals = real_terms(&self.sum)?;
        pair_hyperbolic(&mut reals);
        // Plain powers of x first, lowest degree first: `x/2 + sinh(2*x)/4`.
        reals.sort_by_key(|t| (t.g != 0.0 || t.alpha != 0.0 || t.osc != Osc::None, t.k));
        let mut parts: Vec<Id> = reals.iter().map(|t| emit_term(b, x, t)).collect();
        if self.log_abs_x.norm() > 0.0 {
            let ax = b.call(Func::Abs, x);
            let l = b.call(Func::Log, ax);
            parts.push(readable::scaled(b, self.log_abs_x.re, l));
        }
        for &(coef, g, a) in &self.gaussians {
            parts.push(emit_gaussian(b, x, coef.re, g, a));
        }
        Some(b.sum(parts))
    }
}

/// Re(Σ terms): conjugate exponentials fold into one cos/sin with a phase.
fn real_terms(s: &Sum) -> Option<Vec<RealTerm>> {
    let mut out = Vec::new();
    let mut used = vec![false; s.0.len()];
    for (i, t) in s.0.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        if t.g.im.abs() > TOL * t.g.norm().max(1.0) {
            return None;
        }
        let (g, alpha, beta) = (t.g.re, t.a.re, t.a.im);
        if beta.abs() <= TOL * t.a.norm().max(1.0) {
            out.push(RealTerm { coef: t.c.re, k: t.k, g, alpha, osc: Osc::None });
            continue;
        }
        // C·e^{i|β|x} with C = c (β > 0) or conj(c) (β < 0), summed over the pair.
        let orient = |u: &Term| if u.a.im > 0.0 { u.c } else { u.c.conj() };
        let mut total = orient(t);
        for (j, u) in s.0.iter().enumerate().skip(i + 1) {
            if !used[j] && u.k == t.k && close(u.g, t.g) && close(u.a, t.a.conj()) {
                used[j] = true;
                total += orient(u);
            }
        }
        // Re(total·e^{iβx}) = |total|·cos(βx + φ), φ = ρ + m·π/2 with ρ chosen simple.
        let (mag, phi) = (total.norm(), total.arg());
        let (rho, m) = simple_phase(phi);
        let (sign, sin) = match m.rem_euclid(4) {
            0 => (1.0, false),
            1 => (-1.0, true),
            2 => (-1.0, false),
            _ => (1.0, true),
        };
        out.push(RealTerm { coef: sign * mag, k: t.k, g, alpha, osc: Osc::Trig { beta: beta.abs(), rho, sin } });
    }
    Some(out)
}

/// Split φ = ρ + m·π/2 preferring ρ = 0, then a simple fraction, then the smallest |ρ|.
fn simple_phase(phi: f64) -> (f64, i32) {
    let candidates: Vec<(f64, i32)> = (-4..=4).map(|m| (phi - m as f64 * std::f64::consts::FRAC_PI_2, m)).collect();
    let zero = candidates.iter().find(|(r, _)| r.abs() < 1e-11);
    let simple = candidates.iter().find(|(r, _)| r.abs() <= std::f64::consts::PI && readable::as_fraction(*r, 12).is_some());
    let smallest = candidates.iter().min_by(|a, b| a.0.abs().total_cmp(&b.0.abs()));
    let (r, m) = *zero.or(simple).or(smallest).expect("nine candidates");
    (if zero.is_some() { 0.0 } else { r }, m)
}

/// c·e^{αx} + d·e^{-αx} with |c| = |d| becomes 2c·cosh(αx) or 2c·sinh(αx).
fn pair_hyperbolic(terms: &mut Vec<RealTerm>) {
    let mut i = 0;
    while i < terms.len() {
        let t = &terms[i];
        if t.osc == Osc::None && t.g == 0.0 && t.alpha > 0.0 {
            let partner = terms.iter().position(|u| {
                u.osc == Osc::None
                    && u.g == 0.0
                    && u.k == t.k
                    && close(C::new(u.alpha, 0.0), C::new(-t.alpha, 0.0))
                    && (u.coef.abs() - t.coef.abs()).abs() <= 1e-9 * t.coef.abs()
            });
            if let Some(j) = partner {
                let osc = if terms[j].coef.signum() == t.coef.signum() { Osc::Cosh } else { Osc::Sinh };
                let coef = 2.0 * t.coef;
                terms[i] = RealTerm { coef, k: t.k, g: 0.0, alpha: t.alpha, osc };
                terms.remove(j);
                if j < i {
                    i -= 1;
                }
            }
        }
        i += 1;
    }
}

fn emit_term(b: &mut Builder, x: Id, t: &RealTerm) -> Id {
    let mut factors = Vec::new();
    if t.k > 0 {
        factors.push(b.powi(x, t.k));
    }
    let linear = |b: &mut Builder, s: f64| readable::scaled(b, s, x);
    match t.osc {
        Osc::Cosh | Osc::Sinh => {
            let arg = linear(b, t.alpha);
            factors.push(b.call(if t.osc == Osc::Cosh { Func::Cosh } else { Func::Sinh }, arg));
        }
        _ => {
            if t.g != 0.0 || t.alpha != 0.0 {
                let arg = readable::poly_desc(b, &[0.0, t.alpha, t.g], x);
                factors.push(b.call(Func::Exp, arg));
            }
            if let Osc::Trig { beta, rho, sin } = t.osc {
                let bx = linear(b, beta);
                let arg = if rho == 0.0 {
                    bx
                } else {
                    let r = readable::constant(b, rho);
                    b.add_(bx, r)
                };
                factors.push(b.call(if sin { Func::Sin } else { Func::Cos }, arg));
            }
        }
    }
    let mut prod = factors.into_iter().reduce(|p, q| b.mul(p, q)).unwrap_or_else(|| b.num(1.0));
    if t.k < 0 {
        let xk = b.powi(x, -t.k);
        prod = b.div(prod, xk);
    }
    readable::scaled(b, t.coef, prod)
}

/// coef·∫exp(g x² + a x) dx by completing the square.
fn emit_gaussian(b: &mut Builder, x: Id, coef: f64, g: f64, a: f64) -> Id {
    let h = g.abs();
    let shift = a / (2.0 * g);
    let factor = coef * (-a * a / (4.0 * g)).exp() * std::f64::consts::PI.sqrt() / (2.0 * h.sqrt());
    let arg = readable::poly_desc(b, &[h.sqrt() * shift, h.sqrt()], x);
    let f = b.call(if g > 0.0 { Func::Erfi } else { Func::Erf }, arg);
    readable::scaled(b, factor, f)
}

/// ∫R(e^{a₀x})dx = ∫R(u)/(a₀u) du when every term is `c·exp(n·a₀·x)`.
fn substitute_exponential(f: &Frac, b: &mut Builder, x: Id) -> Outcome {
    let all: Vec<&Term> = f.n.0.iter().chain(&f.d.0).collect();
    let simple = all.iter().all(|t| t.k == 0 && t.g.norm() == 0.0 && t.a.im == 0.0 && t.c.im.abs() <= TOL * t.c.norm());
    if !simple {
        return Outcome::NotMine; // plain rational functions belong to the algebraic specialist
    }
    let Some(a0) = all.iter().map(|t| t.a.re.abs()).filter(|a| *a > 0.0).min_by(|p, q| p.total_cmp(q)) else {
        return Outcome::NotMine;
    };
    let steps = |t: &Term| {
        let n = t.a.re / a0;
        ((n - n.round()).abs() < 1e-9).then_some(n.round() as i32)
    };
    let (Some(ns), Some(ds)) = (f.n.0.iter().map(steps).collect::<Option<Vec<_>>>(), f.d.0.iter().map(steps).collect::<Option<Vec<_>>>()) else {
        return Outcome::NotMine;
    };
    let low = ns.iter().chain(&ds).copied().min().unwrap_or(0).min(0);
    let laurent = |s: &Sum, steps: &[i32]| {
        let mut v = vec![0.0; (steps.iter().map(|n| n - low).max().unwrap_or(0) + 1) as usize];
        for (t, n) in s.0.iter().zip(steps) {
            v[(n - low) as usize] += t.c.re;
        }
        Poly(v)
    };
    // N(u)·u^low / (D(u)·u^low) / (a₀u): the u^low factors cancel.
    let num = laurent(&f.n, &ns).scale(1.0 / a0);
    let den = laurent(&f.d, &ds).mul(&Poly(vec![0.0, 1.0]));
    let arg = readable::scaled(b, a0, x);
    let u = b.call(Func::Exp, arg);
    rational::integrate(&num, &den, b, u, true).map_or(Outcome::NotMine, Outcome::Found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A product past MAX_PRODUCT_TERMS is not formed (merging its like
    /// terms is quadratic); one inside it is, like terms merged.
    #[test]
    fn products_past_the_term_bound_are_not_formed() {
        let sum = |n: usize| Sum((0..n).map(|k| Term { c: C::new(1.0, 0.0), k: 0, g: C::default(), a: C::new(k as f64, 0.0) }).collect());
        let side = (MAX_PRODUCT_TERMS as f64).sqrt() as usize;
        // (Σ e^(kx))², k < side: 2·side - 1 distinct rates.
        assert_eq!(sum(side).mul(&sum(side)).map(|p| p.0.len()), Some(2 * side - 1));
        assert!(sum(side + 1).mul(&sum(side)).is_none());
    }
}
