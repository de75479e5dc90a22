//! A quotient of polynomials in one variable whose numerator passes
//! f32::MAX before the quotient does. `x^3/(1 + x^2)` is inf from
//! |x| ≈ 7e12, where x³ overflows and the value is about x; its derivative,
//! `(x·((x² + 1)·3x) + x³·(-2x))/(x² + 1)²`, from 3.3e9 (x⁴ terms); and
//! `x^2/(1 + x^2)` is inf/inf = NaN from 1.8e19. For |x| > 1 such a
//! quotient N/D (degrees p ≥ 2 and q ≥ 1) is evaluated in t = 1/x, which
//! lies in [-1, 1]:
//!
//! ```text
//! N(x)/D(x) = x^(p−q) · Ñ(t)/D̃(t),   Ñ(t) = t^p·N(1/t),  D̃(t) = t^q·D(1/t)
//! ```
//!
//! with Ñ and D̃ in Horner form, their coefficients N's and D's reversed (the
//! terms a derivative cancels, 3x⁴ − 2x⁴, collected), and the power of x
//! multiplied in one factor at a time onto the bounded quotient, so that
//! nothing overflows before the value does. For |x| ≤ 1 the quotient keeps
//! its form. Likewise the logarithm of a polynomial of even degree d ≥ 2,
//! `log(P(x)) = d·log|x| + log(P̃(t))`: a GA's partial fractions hold
//! `log(x² ± b·x + c)` in pairs whose difference is small (`x^5 + x^3 +
//! x`'s g is bounded, about 0.57 at infinity, and was inf - inf = NaN from
//! |x| ≈ 1.8e19, where x² overflows).

use super::{constant_value, rebuild_bottom_up, Builder};
use crate::lang::{Cmp, Func, Math};
use egg::{Id, Symbol};

/// A polynomial's coefficients from the constant up, as the IR's own f64
/// arithmetic gives them: nothing is trimmed (the integrator's `Poly` drops
/// a coefficient below 1e-12 of the largest, and `x + 1e-14*x^3` would lose
/// the term that dominates from |x| ≈ 1e7).
#[derive(Clone, Debug)]
struct Poly(Vec<f64>);

impl Poly {
    fn constant(c: f64) -> Self {
        Poly(vec![c]).stripped()
    }

    /// Without the zero coefficients at the top.
    fn stripped(mut self) -> Self {
        while self.0.last() == Some(&0.0) {
            self.0.pop();
        }
        self
    }

    /// The degree (0 for a constant and for 0).
    fn deg(&self) -> usize {
        self.0.len().saturating_sub(1)
    }

    fn coef(&self, i: usize) -> f64 {
        self.0.get(i).copied().unwrap_or(0.0)
    }

    fn add(&self, o: &Poly, sign: f64) -> Poly {
        Poly((0..self.0.len().max(o.0.len())).map(|i| self.coef(i) + sign * o.coef(i)).collect()).stripped()
    }

    fn scale(&self, k: f64) -> Poly {
        Poly(self.0.iter().map(|c| c * k).collect()).stripped()
    }

    fn mul(&self, o: &Poly) -> Poly {
        if self.0.is_empty() || o.0.is_empty() {
            return Poly(Vec::new());
        }
        let mut r = vec![0.0; self.0.len() + o.0.len() - 1];
        for (i, a) in self.0.iter().enumerate() {
            for (j, c) in o.0.iter().enumerate() {
                r[i + j] += a * c;
            }
        }
        Poly(r).stripped()
    }
}

/// Degrees above this are not read as polynomials (a numeric GA's pieces
/// are polynomials of degree up to 24, and are not quotients).
const MAX_DEGREE: usize = 12;

pub(super) fn polynomials_at_large_arguments(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| match node {
        Math::Div([n, d]) => quotient(b, node, n, d),
        Math::Call(Func::Log, p) => logarithm(b, node, p, 0.0),
        Math::Call(Func::Log1p, p) => logarithm(b, node, p, 1.0),
        node => b.add(node),
    })
}

/// `N(x)/D(x)` with deg N ≥ 2 and deg D ≥ 1, as `where(|x| ≤ 1, N/D,
/// x^(p−q)·Ñ(t)/D̃(t))`.
fn quotient(b: &mut Builder, node: Math, n: Id, d: Id) -> Id {
    let mut var = None;
    let (Some(np), Some(dp)) = (polynomial(b, n, &mut var), polynomial(b, d, &mut var)) else { return b.add(node) };
    if np.deg() < 2 || dp.deg() < 1 {
        return b.add(node);
    }
    let Some((x, t)) = var.map(|v| variable_and_reciprocal(b, v)) else { return b.add(node) };
    let numerator = reversed_horner(b, &np, t);
    let denominator = reversed_horner(b, &dp, t);
    let mut large = b.div(numerator, denominator);
    for _ in dp.deg()..np.deg() {
        large = b.mul(x, large);
    }
    for _ in np.deg()..dp.deg() {
        large = b.mul(t, large);
    }
    beyond_one(b, node, x, large)
}

/// `log(P(x))` (or `log1p`, `plus` 1), d = deg P even and at least 2, as
/// `where(|x| ≤ 1, log(P(x)), d·log|x| + log(P̃(t)))` (x^d is |x|^d).
fn logarithm(b: &mut Builder, node: Math, p: Id, plus: f64) -> Id {
    let mut var = None;
    let Some(poly) = polynomial(b, p, &mut var).map(|p| p.add(&Poly::constant(plus), 1.0)).filter(|p| p.deg() >= 2 && p.deg() % 2 == 0) else {
        return b.add(node);
    };
    let Some((x, t)) = var.map(|v| variable_and_reciprocal(b, v)) else { return b.add(node) };
    let reversed = reversed_horner(b, &poly, t);
    let log_reversed = b.call(Func::Log, reversed);
    let magnitude = b.call(Func::Abs, x);
    let log_magnitude = b.call(Func::Log, magnitude);
    let d = b.num(poly.deg() as f64);
    let power = b.mul(d, log_magnitude);
    let large = b.add_(power, log_reversed);
    beyond_one(b, node, x, large)
}

/// x and t = 1/x.
fn variable_and_reciprocal(b: &mut Builder, var: Symbol) -> (Id, Id) {
    let x = b.add(Math::Var(var));
    let one = b.num(1.0);
    (x, b.div(one, x))
}

/// `where(|x| ≤ 1, node, large)`.
fn beyond_one(b: &mut Builder, node: Math, x: Id, large: Id) -> Id {
    let as_written = b.add(node);
    let magnitude = b.call(Func::Abs, x);
    let one = b.num(1.0);
    let small = b.add(Math::Compare(Cmp::Le, [magnitude, one]));
    b.add(Math::Where([small, as_written, large]))
}

/// `t^deg(p)·p(1/t)` in Horner form: p's coefficients from the constant up,
/// `((c₀·t + c₁)·t + …)·t + c_deg`.
fn reversed_horner(b: &mut Builder, p: &Poly, t: Id) -> Id {
    let mut acc = b.num(p.coef(0));
    for i in 1..=p.deg() {
        let scaled = b.mul(acc, t);
        let c = b.num(p.coef(i));
        acc = b.add_(scaled, c);
    }
    acc
}

/// The polynomial at `id` in one variable (`var`, set by the first one
/// met): sums, products, literal and constant factors, whole powers up to
/// the 8th, and division by a constant; `None` for anything else.
fn polynomial(b: &Builder, id: Id, var: &mut Option<Symbol>) -> Option<Poly> {
    if let Some(v) = constant_value(b, id) {
        return v.is_finite().then(|| Poly::constant(v));
    }
    let p = match *b.node(id) {
        Math::Var(s) => {
            if var.is_some_and(|v| v != s) {
                return None;
            }
            *var = Some(s);
            Poly(vec![0.0, 1.0])
        }
        Math::Add([p, q]) => polynomial(b, p, var)?.add(&polynomial(b, q, var)?, 1.0),
        Math::Sub([p, q]) => polynomial(b, p, var)?.add(&polynomial(b, q, var)?, -1.0),
        Math::Neg(p) => polynomial(b, p, var)?.scale(-1.0),
        Math::Mul([p, q]) => polynomial(b, p, var)?.mul(&polynomial(b, q, var)?),
        Math::Div([p, q]) => {
            let c = constant_value(b, q).filter(|c| *c != 0.0 && c.is_finite())?;
            polynomial(b, p, var)?.scale(1.0 / c)
        }
        Math::Pow([p, k]) => {
            let k = b.value(k).filter(|k| k.fract() == 0.0 && (0.0..=8.0).contains(k))?;
            let p = polynomial(b, p, var)?;
            (0..k as usize).fold(Poly::constant(1.0), |acc, _| acc.mul(&p))
        }
        _ => return None,
    };
    (p.deg() <= MAX_DEGREE && p.0.iter().all(|c| c.is_finite())).then_some(p)
}
