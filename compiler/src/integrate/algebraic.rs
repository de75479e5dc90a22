//! The algebraic specialist: integrands in Q(x)[s], s = sqrt(q(x)) with one
//! quadratic or linear q. Elements are kept as `r1 + r2·s` (r1, r2 rational
//! in x); a reciprocal uses the conjugate, (a + b s)⁻¹ = (a - b s)/(a² - b² q),
//! which is what "rationalising 1/f'" means. With no square root at all this
//! is the plain rational-function case; with a linear q, t = s makes it one
//! ([`linear_root`]); with q = c·(1 + x²), where the parts r1 and r2·s do
//! not integrate apart (poles the conjugate brought in, or an even r2 that
//! is not a polynomial), the half-angle variable v = x/(1 + s/√c) makes it
//! one ([`half_angle`]).

use super::{
    constant_value,
    poly::{cancel_common, distinct_roots, Poly},
    rational, readable, Outcome,
};
use crate::build::Builder;
use crate::lang::{Expr, Func, Math};
use egg::{Id, Symbol};

/// A rational function `n/d`.
#[derive(Clone, Debug)]
struct Rat {
    n: Poly,
    d: Poly,
}

impl Rat {
    fn poly(p: Poly) -> Rat {
        Rat { n: p, d: Poly::constant(1.0) }
    }
    fn constant(c: f64) -> Rat {
        Rat::poly(Poly::constant(c))
    }
    fn is_zero(&self) -> bool {
        self.n.is_zero()
    }
    /// Monic denominator; exact polynomial quotients collapse (`q²/q = q`).
    fn normalized(self) -> Option<Rat> {
        if self.d.is_zero() {
            return None;
        }
        if self.n.is_zero() {
            return Some(Rat::constant(0.0));
        }
        let lead = self.d.lead();
        let (n, d) = (self.n.scale(1.0 / lead), self.d.scale(1.0 / lead));
        if d.deg() > 0 && !n.is_zero() {
            let (q, r) = n.divrem(&d);
            if r.is_zero() {
                return Some(Rat::poly(q));
            }
        }
        // `q/q⁴ = 1/q³` too: a common factor cancelled exactly here is one the
        // roots of d need not find, which for d = q⁴ (fourfold roots) they
        // find only to 1e-4, leaving noise of 1e-7 (isru's 1/f′).
        if n.deg() > 0 && d.deg() > n.deg() {
            let (k, r) = d.divrem(&n);
            if r.is_zero() {
                let lead = k.lead();
                return Some(Rat { n: Poly::constant(1.0 / lead), d: k.scale(1.0 / lead) });
            }
        }
        Some(Rat { n, d })
    }
    fn add(&self, o: &Rat) -> Option<Rat> {
        if self.d == o.d {
            return Rat { n: self.n.add(&o.n), d: self.d.clone() }.normalized();
        }
        // One denominator a multiple of the other: over the larger one alone.
        for (small, large) in [(self, o), (o, self)] {
            if large.d.deg() > small.d.deg() {
                let (k, r) = large.d.divrem(&small.d);
                if r.is_zero() {
                    return Rat { n: small.n.mul(&k).add(&large.n), d: large.d.clone() }.normalized();
                }
            }
        }
        Rat { n: self.n.mul(&o.d).add(&o.n.mul(&self.d)), d: self.d.mul(&o.d) }.normalized()
    }
    fn mul(&self, o: &Rat) -> Option<Rat> {
        Rat { n: self.n.mul(&o.n), d: self.d.mul(&o.d) }.normalized()
    }
    fn scale(&self, k: f64) -> Rat {
        Rat { n: self.n.scale(k), d: self.d.clone() }
    }
    fn recip(&self) -> Option<Rat> {
        Rat { n: self.d.clone(), d: self.n.clone() }.normalized()
    }
    /// Common factors of n and d cancelled (keeps degrees, and root finding, small).
    fn reduced(self) -> Rat {
        if self.d.deg() < 1 || self.n.is_zero() {
            return self;
        }
        let (n, d) = cancel_common(&self.n, &self.d);
        Rat { n, d }.normalized().expect("a factor of d is never all of d's zero")
    }
    fn as_poly(&self) -> Option<&Poly> {
        (self.d.deg() == 0).then_some(&self.n)
    }
}

/// `r1 + r2·s`.
#[derive(Clone, Debug)]
struct Elem {
    r1: Rat,
    r2: Rat,
}

/// Conversion state: the one radicand, fixed by the first square root met.
struct Ctx<'a> {
    expr: &'a Expr,
    var: Symbol,
    q: Option<Poly>,
}

impl Elem {
    fn rat(r: Rat) -> Elem {
        Elem { r1: r, r2: Rat::constant(0.0) }
    }
    fn add(&self, o: &Elem) -> Option<Elem> {
        Some(Elem { r1: self.r1.add(&o.r1)?, r2: self.r2.add(&o.r2)? })
    }
    fn neg(&self) -> Elem {
        Elem { r1: self.r1.scale(-1.0), r2: self.r2.scale(-1.0) }
    }
    fn mul(&self, o: &Elem, q: &Option<Poly>) -> Option<Elem> {
        let mut r1 = self.r1.mul(&o.r1)?;
        if !self.r2.is_zero() && !o.r2.is_zero() {
            r1 = r1.add(&self.r2.mul(&o.r2)?.mul(&Rat::poly(q.clone()?))?)?;
        }
        let r2 = self.r1.mul(&o.r2)?.add(&self.r2.mul(&o.r1)?)?;
        Some(Elem { r1, r2 })
    }
    fn recip(&self, q: &Option<Poly>) -> Option<Elem> {
        if self.r2.is_zero() {
            return Some(Elem::rat(self.r1.recip()?));
        }
        let q = Rat::poly(q.clone()?);
        let norm = self.r1.mul(&self.r1)?.add(&self.r2.mul(&self.r2)?.mul(&q)?.scale(-1.0))?;
        let inv = norm.reduced().recip()?;
        Some(Elem { r1: self.r1.mul(&inv)?, r2: self.r2.scale(-1.0).mul(&inv)? })
    }
    fn powi(&self, n: i32, q: &Option<Poly>) -> Option<Elem> {
        let base = if n < 0 { self.recip(q)? } else { self.clone() };
        (0..n.unsigned_abs()).try_fold(Elem::rat(Rat::constant(1.0)), |acc, _| acc.mul(&base, q))
    }
}

impl Ctx<'_> {
    fn convert(&mut self, id: Id) -> Option<Elem> {
        if let Some(v) = constant_value(self.expr, id) {
            return Some(Elem::rat(Rat::constant(v)));
        }
        Some(match self.expr[id].clone() {
            Math::Var(s) if s == self.var => Elem::rat(Rat::poly(Poly::x())),
            Math::Add([p, r]) => self.convert(p)?.add(&self.convert(r)?)?,
            Math::Sub([p, r]) => self.convert(p)?.add(&self.convert(r)?.neg())?,
            Math::Neg(p) => self.convert(p)?.neg(),
            Math::Mul([p, r]) => {
                let (a, c) = (self.convert(p)?, self.convert(r)?);
                a.mul(&c, &self.q)?
            }
            Math::Div([p, r]) => {
                let (a, c) = (self.convert(p)?, self.convert(r)?);
                a.mul(&c.recip(&self.q)?, &self.q)?
            }
            Math::Call(Func::Sqrt, p) => self.sqrt_pow(p, 1)?,
            Math::Pow([p, r]) => {
                let n = constant_value(self.expr, r)?;
                let twice = 2.0 * n;
                if twice != twice.round() || twice.abs() > 32.0 {
                    return None;
                }
                if n == n.round() {
                    let base = self.convert(p)?;
                    base.powi(n as i32, &self.q)?
                } else {
                    self.sqrt_pow(p, twice as i32)?
                }
            }
            _ => return None,
        })
    }

    /// `radicand^(k/2)` for odd k: the radicand must be a positive multiple of q.
    fn sqrt_pow(&mut self, radicand: Id, k: i32) -> Option<Elem> {
        let r = self.convert(radicand)?;
        if !r.r2.is_zero() {
            return None;
        }
        let p = r.r1.as_poly()?.clone();
        if p.is_zero() || p.deg() > 2 {
            return None;
        }
        if p.deg() == 0 {
            return Some(Elem::rat(Rat::constant(p.coef(0).powf(k as f64 / 2.0))));
        }
        let q = self.q.get_or_insert_with(|| p.clone()).clone();
        // p = λ·q with λ > 0, so sqrt(p) = sqrt(λ)·s.
        let lambda = p.lead() / q.lead();
        if lambda <= 0.0 || p.deg() != q.deg() || !p.sub(&q.scale(lambda)).is_zero() {
            return None;
        }
        let s = Elem { r1: Rat::constant(0.0), r2: Rat::constant(lambda.sqrt()) };
        s.powi(k, &self.q)
    }
}

/// The specialist's entry point.
pub fn integrate(expr: &Expr, root: Id, var: Symbol, b: &mut Builder) -> Outcome {
    let mut ctx = Ctx { expr, var, q: None };
    let Some(e) = ctx.convert(root) else { return Outcome::NotMine };
    let e = Elem { r1: e.r1.reduced(), r2: e.r2.reduced() };
    let x = b.add(Math::Var(var));
    if let Some(q) = ctx.q.as_ref().filter(|q| q.deg() == 1) {
        return linear_root(&e, q, b, x).map_or(Outcome::NoClosedForm, Outcome::Found);
    }
    let whole = |b: &mut Builder, q: &Poly| half_angle(&e, q, b, x).map_or(Outcome::NoClosedForm, Outcome::Found);
    if let Some(q) = ctx.q.as_ref().filter(|_| !e.r2.is_zero()) {
        if has_pole_inside(&e, q) {
            return whole(b, q);
        }
    }
    let mut parts = Vec::new();
    if !e.r1.is_zero() {
        match rational::integrate(&e.r1.n, &e.r1.d, b, x, false) {
            Some(p) => parts.push(p),
            None => return Outcome::NotMine,
        }
    }
    if !e.r2.is_zero() {
        let q = ctx.q.as_ref().expect("r2 ≠ 0 only after a square root");
        match radical_part(&e.r2, q, b, x) {
            Some(p) => parts.push(p),
            None => return whole(b, q),
        }
    }
    Outcome::Found(b.sum(parts))
}

/// Whether r1 or r2 has a real pole where q > 0. In GA's integrands (1/f′
/// with no zero of f′) such a pole is one the conjugate brought in, and r1
/// and r2·s cancel it only in exact arithmetic: `x + asinh(x)`'s 1/f′ =
/// s/(s + 1) becomes (q - s)/x², whose parts integrate to x - 1/x + … and
/// a root's part with +1/x: NaN at 0 in floating point.
fn has_pole_inside(e: &Elem, q: &Poly) -> bool {
    [&e.r1.d, &e.r2.d].into_iter().filter(|d| d.deg() > 0).flat_map(distinct_roots).any(|(r, _)| r.im == 0.0 && q.eval_c(r).re > 0.0)
}

/// ∫ (r1 + r2·s) dx for s = sqrt(c·(1 + x²)), c > 0, as one rational
/// function of v = x/(1 + S), S = sqrt(1 + x²), the tangent of half the
/// angle atan(x): x = 2v/(1 - v²), S = (1 + v²)/(1 - v²). Poles that cancel
/// between r1 and r2·s cancel in it first, and a non-polynomial even r2
/// (`x + c*asinh(x)`, `x + c*isru(x)`) needs no other method. v is bounded
/// (|v| < 1) and has no cancellation for any x, as the Euler substitutions
/// t = S ± x have as x → ∓∞; the integral's growth, its part over powers
/// of 1 - v² (x → ±∞), is written back in x and S by [`edge_terms`].
///
/// Other radicands are not taken. With a linear term (`asinh(x + 1)`) the
/// simplifier expands the square, and the lowering's f32 forms for large
/// |x| read only `c + k·x²`. For a·x² + c with a > c, the variable and the
/// root scaled to this form pass f32::MAX before x does (the GA of
/// `asinh(2*x) + 0.1*x` had a g′ of NaN from f32::MAX/2, where it is 10);
/// with a < c the simplifier writes (a/c)·x² as `x*(x*k)`, whose f32
/// intervals reach below 0, and the lowering's large-|x| form of the root
/// that rests on them is not made (`x + x/sqrt(4 + x^2)`'s g′ was inf from
/// 3.7e19).
fn half_angle(e: &Elem, q: &Poly, b: &mut Builder, x: Id) -> Option<Id> {
    let c = q.coef(0);
    if q.deg() != 2 || q.coef(1) != 0.0 || c <= 0.0 || q.coef(2) != c {
        return None;
    }
    let one_minus_v2 = Poly(vec![1.0, 0.0, -1.0]);
    let one_plus_v2 = Poly(vec![1.0, 0.0, 1.0]);
    // p(x) for x = 2v/(1 - v²), times (1 - v²)^deg p: Σ pᵢ (2v)ⁱ (1 - v²)^(deg p - i).
    let homogenised = |p: &Poly| {
        let k = p.deg();
        p.0.iter().enumerate().fold(Poly::zero(), |acc, (i, &pi)| acc.add(&Poly(vec![0.0, 2.0]).powi(i).mul(&one_minus_v2.powi(k - i)).scale(pi)))
    };
    // r·(the factor r carries) as (rational in v, power of 1 - v²):
    // dx = 2(1 + v²)/(1 - v²)² dv and s = √c·(1 + v²)/(1 - v²).
    let in_v = |r: &Rat, factor: Poly, power: i32| {
        let rat = Rat { n: homogenised(&r.n).mul(&factor), d: homogenised(&r.d) }.normalized()?;
        Some((rat, r.d.deg() as i32 - r.n.deg() as i32 + power))
    };
    let mut terms = Vec::new();
    if !e.r1.is_zero() {
        terms.push(in_v(&e.r1, one_plus_v2.scale(2.0), -2)?);
    }
    if !e.r2.is_zero() {
        terms.push(in_v(&e.r2, one_plus_v2.powi(2).scale(2.0 * c.sqrt()), -3)?);
    }
    let lowest = terms.iter().map(|t| t.1).min()?;
    let mut sum = Rat::constant(0.0);
    for (rat, power) in terms {
        sum = sum.add(&rat.mul(&Rat::poly(one_minus_v2.powi((power - lowest) as usize)))?)?;
    }
    let sum = sum.reduced();
    let big_s = root_of(&q.scale(1.0 / c), b, x);
    let one = b.num(1.0);
    let one_plus_s = b.add_(one, big_s);
    let v = b.div(x, one_plus_s);
    if lowest >= 0 {
        return rational::integrate(&sum.n.mul(&one_minus_v2.powi(lowest as usize)), &sum.d, b, v, false);
    }
    // sum.n/(sum.d·(1 - v²)^m) = quotient + B/sum.d + A/(1 - v²)^m, with
    // deg A < 2m and deg B < deg sum.d (sum.d has no root at ±1: the
    // homogenised polynomials do not vanish there).
    let m = (-lowest) as usize;
    let edge = one_minus_v2.powi(m);
    let (quotient, rest) = sum.n.divrem(&sum.d.mul(&edge));
    let (a_part, b_part) = split_fraction(&rest, &edge, &sum.d)?;
    let inner = rational::integrate(&b_part.add(&quotient.mul(&sum.d)), &sum.d, b, v, false)?;
    let edges = edge_terms(&a_part, m, b, x, big_s)?;
    Some(b.add_(inner, edges))
}

/// A, B with n = A·d + B·e, deg A < deg e, deg B < deg d, for coprime e and
/// d and deg n < deg e + deg d: one square linear system.
fn split_fraction(n: &Poly, e: &Poly, d: &Poly) -> Option<(Poly, Poly)> {
    let (ka, kb) = (e.deg(), d.deg());
    let size = ka + kb;
    let columns: Vec<Poly> = (0..ka).map(|i| Poly::x().powi(i).mul(d)).chain((0..kb).map(|i| Poly::x().powi(i).mul(e))).collect();
    let matrix: Vec<Vec<f64>> = (0..size).map(|row| columns.iter().map(|c| c.coef(row)).collect()).collect();
    let sol = solve(matrix, (0..size).map(|row| n.coef(row)).collect())?;
    Some((Poly(sol[..ka].to_vec()).trimmed(), Poly(sol[ka..].to_vec()).trimmed()))
}

/// ∫ A(v)/(1 - v²)^m dv (deg A < 2m) in x and S, where 1 - v² = 2/(1 + S),
/// v/(1 - v²) = x/2 and atanh(v) = asinh(x)/2: every term stays finite and
/// free of cancellation as |x| grows, which terms in 1/(1 ∓ v) would not.
fn edge_terms(a: &Poly, m: usize, b: &mut Builder, x: Id, big_s: Id) -> Option<Id> {
    let (even, odd) = a.even_odd();
    let in_t = |p: Poly| p.compose(&Poly(vec![1.0, -1.0])); // u = v² = 1 - t
    let one_plus_s = Poly(vec![1.0, 1.0]);
    // Σ of polynomials in S (alone, and times x), and the asinh(x) and log(1 + S) coefficients.
    let (mut in_s, mut times_x, mut asinh, mut log) = (Poly::zero(), Poly::zero(), 0.0, 0.0);
    // Odd part v·O(v²): ½∫O(1 - t)·t^-m (-dt), with t^k = ((1 + S)/2)^-k.
    for (j, o) in in_t(halve(&odd, 1)).0.iter().enumerate() {
        let k = j as i32 - m as i32 + 1;
        if k == 0 {
            log += 0.5 * o; // -½·log t = ½·log(1 + S) - ½·log 2
        } else {
            in_s = in_s.add(&one_plus_s.powi((-k) as usize).scale(-0.5 * o / k as f64 / 2f64.powi(-k)));
        }
    }
    // Even part E(v²) = Σ e'ⱼ·t^j: ∫ dv/(1 - v²)^k by I_k = v/(2(k-1)(1 - v²)^(k-1)) + (2k-3)/(2(k-1))·I_(k-1),
    // I_1 = atanh(v), and v/(1 - v²)^i = x·(1 + S)^(i-1)/2^i.
    for (j, e) in in_t(halve(&even, 0)).0.iter().enumerate() {
        if j >= m {
            return None; // deg A ≥ 2m: not a proper part
        }
        let mut weight = *e;
        for k in (2..=m - j).rev() {
            let i = k - 1;
            times_x = times_x.add(&one_plus_s.powi(i - 1).scale(weight / (2.0 * i as f64) / 2f64.powi(i as i32)));
            weight *= (2.0 * k as f64 - 3.0) / (2.0 * i as f64);
        }
        asinh += 0.5 * weight;
    }
    let mut parts = Vec::new();
    if !in_s.is_zero() {
        parts.push(readable::poly(b, &in_s.0, big_s));
    }
    if !times_x.is_zero() {
        let p = readable::poly(b, &times_x.0, big_s);
        parts.push(b.mul(x, p));
    }
    let scale = a.max_abs();
    if asinh.abs() > 1e-12 * scale {
        let f = b.call(Func::Asinh, x);
        parts.push(readable::scaled(b, asinh, f));
    }
    if log.abs() > 1e-12 * scale {
        let one = b.num(1.0);
        let arg = b.add_(one, big_s);
        let f = b.call(Func::Log, arg);
        parts.push(readable::scaled(b, log, f));
    }
    Some(b.sum(parts))
}

/// The coefficients of a polynomial in x² (shift 0) or of p/x in x² (shift 1).
fn halve(p: &Poly, shift: usize) -> Poly {
    Poly(p.0.iter().skip(shift).step_by(2).copied().collect())
}

/// ∫ (r1 + r2·s) dx for s = sqrt(a·x + c), a linear radicand: with t = s,
/// x = (t² - c)/a and dx = (2t/a)·dt, one rational function of t ≥ 0,
/// whose poles that cancel between r1 and r2 cancel before it is
/// integrated. A signed square root's GA, `sign(x)*sqrt(abs(x))`, is
/// ∫2·sqrt(-x) dx = ∫-4t² dt for x < 0; `x + sign(x)*sqrt(abs(x))`'s is
/// ∫4t²/(2t + 1) dt for x > 0 (as r1 + r2·s, each has a pole at x = 1/4).
fn linear_root(e: &Elem, q: &Poly, b: &mut Builder, x: Id) -> Option<Id> {
    let (c, a) = (q.coef(0), q.coef(1));
    let x_of_t = Poly(vec![-c / a, 0.0, 1.0 / a]);
    let in_t = |r: &Rat, dx: Poly| Rat { n: r.n.compose(&x_of_t).mul(&dx), d: r.d.compose(&x_of_t) }.normalized();
    let f = in_t(&e.r1, Poly(vec![0.0, 2.0 / a]))?.add(&in_t(&e.r2, Poly(vec![0.0, 0.0, 2.0 / a]))?)?.reduced();
    let s = root_of(q, b, x);
    rational::integrate(&f.n, &f.d, b, s, true)
}

/// ∫ r2·sqrt(q): the polynomial part by undetermined coefficients, the odd
/// part (q = a x² + c) by w = sqrt(q).
fn radical_part(r2: &Rat, q: &Poly, b: &mut Builder, x: Id) -> Option<Id> {
    let s = root_of(q, b, x);
    if let Some(p) = r2.as_poly() {
        return polynomial_times_root(&p.scale(1.0 / r2.d.coef(0)), q, b, x, s);
    }
    // Make the denominator even: n(x)d(-x) / (d(x)d(-x)).
    let (n, d) = if r2.d.reflect() == r2.d { (r2.n.clone(), r2.d.clone()) } else { (r2.n.mul(&r2.d.reflect()), r2.d.mul(&r2.d.reflect())) };
    let (n_even, n_odd) = n.even_odd();
    let mut parts = Vec::new();
    if !n_even.is_zero() {
        let (poly, rem) = n_even.divrem(&d);
        if !rem.is_zero() {
            return None; // even non-polynomial part: needs Euler substitutions
        }
        parts.push(polynomial_times_root(&poly, q, b, x, s)?);
    }
    if !n_odd.is_zero() {
        parts.push(odd_times_root(&n_odd, &d, q, b, s)?);
    }
    Some(b.sum(parts))
}

/// `sqrt(q(x))`, the s the results are written in.
fn root_of(q: &Poly, b: &mut Builder, x: Id) -> Id {
    let qx = readable::poly_desc(b, &q.0, x);
    b.call(Func::Sqrt, qx)
}

/// ∫ P·s = Q·s + λ∫dx/s, from P·q = Q'·q + Q·q'/2 + λ.
fn polynomial_times_root(p: &Poly, q: &Poly, b: &mut Builder, x: Id, s: Id) -> Option<Id> {
    if q.deg() != 2 {
        return None; // a linear q is [`linear_root`]'s
    }
    let target = p.mul(q);
    let m = p.deg() + 3; // unknowns: Q_0..Q_{n+1}, λ
    let n_eq = target.deg() + 1;
    let dq = q.derivative();
    // Column j: the polynomial contributed by the unknown j.
    let mut columns: Vec<Poly> = (0..m - 1)
        .map(|j| {
            let mut basis = vec![0.0; j + 1];
            basis[j] = 1.0;
            let e = Poly(basis);
            e.derivative().mul(q).add(&e.mul(&dq).scale(0.5))
        })
        .collect();
    columns.push(Poly::constant(1.0));
    let a: Vec<Vec<f64>> = (0..n_eq).map(|row| columns.iter().map(|c| c.coef(row)).collect()).collect();
    let rhs: Vec<f64> = (0..n_eq).map(|row| target.coef(row)).collect();
    let sol = solve(a, rhs)?;
    let (qcoef, lambda) = (&sol[..m - 1], sol[m - 1]);
    let mut parts = Vec::new();
    let qpoly = Poly(qcoef.to_vec()).trimmed();
    if !qpoly.is_zero() {
        let qe = readable::poly(b, &qpoly.0, x);
        parts.push(b.mul(qe, s));
    }
    if lambda.abs() > 1e-12 * p.max_abs() {
        let inv = inverse_root(q, b, x, s)?;
        parts.push(readable::scaled(b, lambda, inv));
    }
    Some(b.sum(parts))
}

/// ∫ dx / sqrt(a x² + b x + c) for a > 0.
fn inverse_root(q: &Poly, b: &mut Builder, x: Id, s: Id) -> Option<Id> {
    let (c0, c1, c2) = (q.coef(0), q.coef(1), q.coef(2));
    if c2 <= 0.0 {
        return None;
    }
    let disc = 4.0 * c2 * c0 - c1 * c1;
    let ra = c2.sqrt();
    if disc > 0.0 {
        let rd = disc.sqrt();
        let arg = readable::poly_desc(b, &[c1 / rd, 2.0 * c2 / rd], x);
        let f = b.call(Func::Asinh, arg);
        Some(readable::scaled(b, 1.0 / ra, f))
    } else if disc < 0.0 {
        // log|2ax + b + 2√a·s| / √a.
        let lin = readable::poly_desc(b, &[c1, 2.0 * c2], x);
        let rs = readable::scaled(b, 2.0 * ra, s);
        let sum = b.add_(lin, rs);
        let abs = b.call(Func::Abs, sum);
        let f = b.call(Func::Log, abs);
        Some(readable::scaled(b, 1.0 / ra, f))
    } else {
        None
    }
}

/// ∫ (n/d)·s for odd n, even d and q = a x² + c: with w = s, x dx = w dw/a,
/// x² = (w² - c)/a this is ∫ (n/x)(x²)/d(x²) · w² /a dw, rational in w.
fn odd_times_root(n: &Poly, d: &Poly, q: &Poly, b: &mut Builder, s: Id) -> Option<Id> {
    if q.deg() != 2 || q.coef(1) != 0.0 {
        return None;
    }
    let (a, c) = (q.coef(2), q.coef(0));
    let x2 = Poly(vec![-c / a, 0.0, 1.0 / a]);
    let num_w = halve(n, 1).compose(&x2).mul(&Poly(vec![0.0, 0.0, 1.0 / a]));
    let den_w = halve(d, 0).compose(&x2);
    rational::integrate(&num_w, &den_w, b, s, true)
}

/// Gaussian elimination with partial pivoting; least-squares is not needed
/// because the system from undetermined coefficients is square.
fn solve(mut a: Vec<Vec<f64>>, mut rhs: Vec<f64>) -> Option<Vec<f64>> {
    let n = rhs.len();
    if a.iter().any(|r| r.len() != n) {
        return None;
    }
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        rhs.swap(col, piv);
        for row in 0..n {
            if row != col {
                let f = a[row][col] / a[col][col];
                for k in col..n {
                    a[row][k] -= f * a[col][k];
                }
                rhs[row] -= f * rhs[col];
            }
        }
    }
    Some((0..n).map(|i| rhs[i] / a[i][i]).collect())
}
