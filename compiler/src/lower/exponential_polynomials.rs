//! Logarithms and products of (Laurent) polynomials in one exponential
//! e^y, with the largest power of e^y taken out on each side of 0 so that
//! no exponential left inside passes 1 (`log(e^2x·(e^2x + 0.32) + 0.19)`,
//! a GA's partial fractions, overflowed from 2x ≈ 88.7 in f32).

use super::{constant_value, f32_enclosure, may_exceed, reachable_nodes, rebuild_bottom_up, rebuild_replacing, signed_sum};
use crate::build::Builder;
use crate::lang::{Cmp, Func, Math};
use egg::Id;

/// `log(P(e^y))` with P a (Laurent) polynomial whose powers of e^y span
/// at least 2, lowest and highest coefficients positive (GA's partial
/// fractions in `u = e^(ax)` with a quadratic factor: `tanh(x) + tanh(2x)`
/// has `log(e^2x·(e^2x + 0.32) + 0.19)`), as `where(y ≥ 0, hi·y +
/// log(Σ cₖ·e^((k - hi)·y)), lo·y + log(Σ cₖ·e^((k - lo)·y)))`: each
/// branch's exponentials are at most 1. As written, `e^(2y)` overflows from
/// 2y ≈ 88.7 in f32 (that g was inf from x = 22.18, its value about 4x
/// there). Exact on both sides, so the certificate's tails may use it.
pub(super) fn logarithms_of_exponential_polynomials(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let id = b.add(node);
        let Math::Call(Func::Log, argument) = *b.node(id) else { return id };
        let mut y = None;
        let Some(p) = exponential_polynomial(b, argument, &mut y) else { return id };
        let (Some(y), Some((lo, hi))) = (y, p.span()) else { return id };
        // A span of 1 is a softplus ([`super::shifted_softpluses`], [`super::lower`]).
        if hi - lo < 2 || !(p.coefficient(hi) > 0.0 && p.coefficient(lo) > 0.0) || p.c.iter().any(|v| !v.is_finite()) {
            return id;
        }
        let above = shifted_logarithm(b, &p, y, hi);
        let below = shifted_logarithm(b, &p, y, lo);
        let zero = b.num(0.0);
        let non_negative = b.add(Math::Compare(Cmp::Ge, [y, zero]));
        b.add(Math::Where([non_negative, above, below]))
    })
}

/// `s·y + log(Σ cₖ·e^((k - s)·y))`: `log(P(e^y))` with `e^(s·y)` taken out.
fn shifted_logarithm(b: &mut Builder, p: &ExpPoly, y: Id, s: i32) -> Id {
    let sum = shifted_sum(b, p, y, s);
    let log = b.add(Math::Call(Func::Log, sum));
    let power = b.num(s as f64);
    let line = b.mul(power, y);
    b.add_(line, log)
}

/// `Σ cₖ·e^((k - s)·y)`: P(e^y)/e^(s·y), each term built with its sign.
fn shifted_sum(b: &mut Builder, p: &ExpPoly, y: Id, s: i32) -> Id {
    let terms: Vec<(Id, bool)> = (0..p.c.len())
        .filter(|&k| p.c[k] != 0.0)
        .map(|k| {
            let magnitude = b.num(p.c[k].abs());
            let term = match k as i32 + p.low - s {
                0 => magnitude,
                d => {
                    let rate = b.num(d as f64);
                    let exponent = b.mul(rate, y);
                    let e = b.call(Func::Exp, exponent);
                    b.mul(magnitude, e)
                }
            };
            (term, p.c[k] < 0.0)
        })
        .collect();
    signed_sum(b, terms)
}

/// A product of integer powers of polynomials in one exponential `E = e^y`,
/// `C·Π Pᵢ(E)^nᵢ` with two or more factors that grow with |y| (GA's derivatives
/// of partial fractions in `u = e^(ax)`: `tanh(x) + tanh(2x)`'s g′ holds
/// `(2E + a)·(c·E)/(E·(E + a) + b)` and `E·(k/(1 + (pE + q)²))`), that may
/// pass f32::MAX on the way, as `where(y ≥ 0, C·e^(D⁺·y)·Π Sᵢ⁺^nᵢ, C·e^(D⁻·y)·Π
/// Sᵢ⁻^nᵢ)`: each factor divided by its highest power of E above 0 and by
/// its lowest below, so every exponential left in a factor is at most 1,
/// and the powers collected into one exponential, which the halving of
/// products takes ([`super::halved_exponential_products`]). As written the
/// numerator passed f32::MAX from x = 22.2, where the value is about 1;
/// `tanh(x) + tanh(3x)`'s `e^2x·(0.25/e^4x)` from x = -22.18. A product of
/// exponentials alone is one exponential, with no `where`. Exact on both
/// sides.
pub(super) fn products_of_exponential_polynomials(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_replacing(
        b,
        roots,
        |b, id| {
            if !matches!(b.node(id), Math::Mul(_) | Math::Div(_)) {
                return None;
            }
            let mut y = None;
            let (c, factors) = exponential_factors(b, id, &mut y)?;
            let y = y?;
            // Two factors (with multiplicity) that grow with |y|.
            let growing: i32 = factors.iter().filter(|(p, _)| p.span().is_some_and(|s| s != (0, 0))).map(|(_, n)| n.abs()).sum();
            // Only where an exponential in it may pass f32::MAX (sech's
            // 2e^-|z|/(1 + e^-2|z|) is safe as it is).
            let overflowing = |n: Id| matches!(b.node(n), Math::Call(Func::Exp, _)) && may_exceed(f32_enclosure(b, n), f32::MAX as f64);
            if growing < 2 || !c.is_finite() || !reachable_nodes(b, &[id]).into_iter().any(overflowing) {
                return None;
            }
            let above = product_with_power_out(b, c, &factors, y, true);
            if factors.iter().all(|(p, _)| p.terms() <= 1) {
                // Exponentials only: one, the same on both sides.
                return Some(above);
            }
            let below = product_with_power_out(b, c, &factors, y, false);
            let zero = b.num(0.0);
            let non_negative = b.add(Math::Compare(Cmp::Ge, [y, zero]));
            Some(b.add(Math::Where([non_negative, above, below])))
        },
        |b, node| b.add(node),
    )
}

/// `e^(D·y)·(C·Π Sᵢ^nᵢ)` with Sᵢ = Pᵢ(e^y)/e^(sᵢ·y), sᵢ each factor's
/// highest power (`high`) or lowest, and D = Σ nᵢ·sᵢ. C goes into the first
/// sum of the numerator, so that the exponential's halving (`h·(h·r)`)
/// meets no lone constant: `2e^2x·(0.125 + 0.125e^-4x)` as
/// `(h·h·2)·S` passed f32::MAX at x = 44.06, where the value fits to 45.4.
fn product_with_power_out(b: &mut Builder, c: f64, factors: &[(ExpPoly, i32)], y: Id, high: bool) -> Id {
    let (mut power, mut numerator, mut denominator) = (0i32, Vec::new(), Vec::new());
    // C goes into the first sum of the numerator, else its first factor.
    let carrier = factors.iter().position(|(p, n)| *n > 0 && p.terms() > 1).or_else(|| factors.iter().position(|(_, n)| *n > 0));
    let mut scale = Some(c);
    for (i, (p, n)) in factors.iter().enumerate() {
        let Some((lo, hi)) = p.span() else { continue };
        let s = if high { hi } else { lo };
        power += n * s;
        let scaled = match (Some(i) == carrier, scale) {
            (true, Some(c)) => {
                scale = None;
                ExpPoly { low: p.low, c: p.c.iter().map(|v| c * v).collect() }
            }
            _ => p.clone(),
        };
        for k in 0..n.unsigned_abs() {
            let sum = shifted_sum(b, if k == 0 { &scaled } else { p }, y, s);
            if *n > 0 {
                numerator.push(sum)
            } else {
                denominator.push(sum)
            }
        }
    }
    let mut r = b.num(scale.unwrap_or(1.0));
    for n in numerator {
        r = b.mul(r, n);
    }
    if let Some(d) = denominator.into_iter().reduce(|p, q| b.mul(p, q)) {
        r = b.add(Math::Div([r, d]));
    }
    if power == 0 {
        return r;
    }
    let rate = b.num(power as f64);
    let exponent = b.mul(rate, y);
    let e = b.call(Func::Exp, exponent);
    b.mul(e, r)
}

/// `C` and the factors `(Pᵢ's coefficients, nᵢ)` of `id` as a product of
/// integer powers of polynomials in one exponential (see
/// [`exponential_polynomial`]), read through products, quotients,
/// negations and powers with a whole exponent of at most 8.
fn exponential_factors(b: &Builder, id: Id, y: &mut Option<Id>) -> Option<(f64, Vec<(ExpPoly, i32)>)> {
    match *b.node(id) {
        Math::Mul([p, q]) | Math::Div([p, q]) => {
            let divide = matches!(b.node(id), Math::Div(_));
            let (cp, mut fp) = exponential_factors(b, p, y)?;
            let (cq, fq) = exponential_factors(b, q, y)?;
            fp.extend(fq.into_iter().map(|(poly, n)| (poly, if divide { -n } else { n })));
            Some((if divide { cp / cq } else { cp * cq }, fp))
        }
        Math::Neg(p) => exponential_factors(b, p, y).map(|(c, f)| (-c, f)),
        Math::Pow([p, k]) => {
            let k = b.value(k).filter(|k| k.fract() == 0.0 && k.abs() <= 8.0)? as i32;
            let (c, f) = exponential_factors(b, p, y)?;
            Some((c.powi(k), f.into_iter().map(|(poly, n)| (poly, n * k)).collect()))
        }
        _ => {
            let p = exponential_polynomial(b, id, y)?;
            match (p.terms(), p.span()) {
                (0, _) => Some((0.0, Vec::new())),
                (1, Some((0, 0))) => Some((p.coefficient(0), Vec::new())),
                _ => Some((1.0, vec![(p, 1)])),
            }
        }
    }
}

/// A Laurent polynomial in one exponential `E = e^y`: `Σ cₖ·E^(k + low)`.
#[derive(Clone, Debug, PartialEq)]
struct ExpPoly {
    low: i32,
    c: Vec<f64>,
}

impl ExpPoly {
    fn constant(v: f64) -> Self {
        ExpPoly { low: 0, c: vec![v] }
    }
    /// The lowest and highest powers of E with a coefficient other than 0.
    fn span(&self) -> Option<(i32, i32)> {
        let mut nonzero = (0..self.c.len()).filter(|&k| self.c[k] != 0.0).map(|k| k as i32 + self.low);
        let lo = nonzero.next()?;
        Some((lo, nonzero.last().unwrap_or(lo)))
    }
    fn terms(&self) -> usize {
        self.c.iter().filter(|v| **v != 0.0).count()
    }
    fn coefficient(&self, power: i32) -> f64 {
        usize::try_from(power - self.low).ok().and_then(|k| self.c.get(k).copied()).unwrap_or(0.0)
    }
    fn combine(&self, o: &ExpPoly, sign: f64) -> ExpPoly {
        let low = self.low.min(o.low);
        let high = (self.low + self.c.len() as i32).max(o.low + o.c.len() as i32);
        ExpPoly { low, c: (low..high).map(|k| self.coefficient(k) + sign * o.coefficient(k)).collect() }
    }
    fn mul(&self, o: &ExpPoly) -> ExpPoly {
        let mut c = vec![0.0; self.c.len() + o.c.len() - 1];
        for (i, u) in self.c.iter().enumerate() {
            for (j, v) in o.c.iter().enumerate() {
                c[i + j] += u * v;
            }
        }
        ExpPoly { low: self.low + o.low, c }
    }
}

/// `(k, t)` of an exponent `k·t` read through products with a literal and
/// negations (`2*x` is (2, x), `-(2*x)` is (-2, x)).
fn rate_of(b: &Builder, a: Id) -> (f64, Id) {
    match *b.node(a) {
        Math::Mul([k, t]) if b.value(k).is_some() => {
            let (r, base) = rate_of(b, t);
            (b.value(k).unwrap_or(1.0) * r, base)
        }
        Math::Neg(t) => {
            let (r, base) = rate_of(b, t);
            (-r, base)
        }
        _ => (1.0, a),
    }
}

/// `id` as a Laurent polynomial in one exponential `E = e^y` (`y` set by the
/// first exponential met; every exponential must be `e^(k·y)` with k whole),
/// read through sums, differences, negations, products, whole powers of at
/// most 8 and divisions by one term; at most 16 powers of E apart. `None`
/// for anything else.
fn exponential_polynomial(b: &Builder, id: Id, y: &mut Option<Id>) -> Option<ExpPoly> {
    if let Some(v) = constant_value(b, id) {
        return Some(ExpPoly::constant(v));
    }
    let p = match *b.node(id) {
        Math::Call(Func::Exp, a) => {
            let (r, base) = rate_of(b, a);
            if y.is_some_and(|y| y != base) || r.fract() != 0.0 || r.abs() > 16.0 {
                return None;
            }
            *y = Some(base);
            ExpPoly { low: r as i32, c: vec![1.0] }
        }
        Math::Add([p, q]) => exponential_polynomial(b, p, y)?.combine(&exponential_polynomial(b, q, y)?, 1.0),
        Math::Sub([p, q]) => exponential_polynomial(b, p, y)?.combine(&exponential_polynomial(b, q, y)?, -1.0),
        Math::Neg(p) => ExpPoly::constant(0.0).combine(&exponential_polynomial(b, p, y)?, -1.0),
        Math::Mul([p, q]) => exponential_polynomial(b, p, y)?.mul(&exponential_polynomial(b, q, y)?),
        Math::Div([p, q]) => {
            let q = exponential_polynomial(b, q, y)?;
            // By one term only: c·E^k divides through.
            let (lo, hi) = q.span()?;
            if lo != hi {
                return None;
            }
            exponential_polynomial(b, p, y)?.mul(&ExpPoly { low: -lo, c: vec![1.0 / q.coefficient(lo)] })
        }
        Math::Pow([p, k]) => {
            let k = b.value(k).filter(|k| k.fract() == 0.0 && (0.0..=8.0).contains(k))? as usize;
            let p = exponential_polynomial(b, p, y)?;
            (0..k).fold(ExpPoly::constant(1.0), |acc, _| acc.mul(&p))
        }
        _ => return None,
    };
    p.span().is_none_or(|(lo, hi)| hi - lo <= 16).then_some(p)
}
