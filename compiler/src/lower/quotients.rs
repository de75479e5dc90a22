//! Quotients over sums of exponentials divided through by their largest
//! exponential, with the exponential factors around them pulled in first,
//! so that neither side overflows where the quotient fits in f32 (the
//! normalisation [`normalise_exp_quotients`] of the parent module's
//! pipeline).

use super::{constant_value, exponent_difference, max_of, minus_abs, reaches_exp, rebuild_bottom_up, signed_expm1, signed_terms, MAX_SUM_NODES};
use crate::build::Builder;
use crate::lang::{Func, Math};
use egg::Id;
use std::collections::HashMap;

/// Quotients whose denominator is a signed sum of exponentials, e.g. the SA of
/// tanh `(e^u2 - e^-u1)/(-e^-u3 - e^u4)`, overflow to inf/inf = NaN once an
/// exponent passes f32's ~88.7, although the quotient itself is moderate.
/// Each such quotient is rewritten with numerator and denominator divided by
/// `e^m`, `m` the largest exponent of the denominator (and 0 when a
/// non-exponential term is present): every denominator term is then ≤ 1 in
/// magnitude with one equal to ±1 (no overflow, and no spurious underflow to
/// 0), and the numerator overflows only where the quotient does. `e^(a-m)`
/// is also more accurate than `e^a / e^m`: `a - m` is exact when `a ≈ m`.
///
/// `1 - e^a` and `e^a - 1` alone are left to the `expm1` lowering, which is
/// accurate near `a = 0` (the SA poles) and only overflows to ±inf, so the
/// quotient goes to 0 without a NaN.
pub(super) fn normalise_exp_quotients(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let roots = rebuild_bottom_up(b, roots, pull_into_quotients);
    rebuild_bottom_up(b, &roots, |b, node| match node {
        Math::Div([num, den]) => normalised_quotient(b, num, den).unwrap_or_else(|| b.add(node)),
        node => b.add(node),
    })
}

/// `E · (p / q)` as `(E · p) / q` when `E` holds exponentials, so that the
/// normalisation of the quotient also scales `E` (`e^89 · (u/(1 - e^89)^2)`
/// would otherwise be inf · 0). Only into a quotient over exponentials,
/// which the normalisation divides through: `(x/D)·(x/D + 0.93)` with
/// `D = 1 + sqrt(1 + x²)` (`x + 0.5*isru(x)`'s g) became
/// `x·(x/D + 0.93)/D`, inf from 1.76e38 where the product is about 1.9.
/// Through other factors too ([`pulled_into_a_factor`]). `node`'s children
/// are already pulled.
fn pull_into_quotients(b: &mut Builder, node: Math) -> Id {
    let Math::Mul([p, q]) = node else { return b.add(node) };
    if let Some(pulled) = pulled_into_a_factor(b, p, q, PULL_DEPTH).or_else(|| pulled_into_a_factor(b, q, p, PULL_DEPTH)) {
        return pulled;
    }
    match (b.node(p).clone(), b.node(q).clone()) {
        (_, Math::Add([u, v]) | Math::Sub([u, v])) if exponential_monomial(b, p) => distribute_over_quotients(b, p, q, u, v).unwrap_or_else(|| b.add(node)),
        (Math::Add([u, v]) | Math::Sub([u, v]), _) if exponential_monomial(b, q) => distribute_over_quotients(b, q, p, u, v).unwrap_or_else(|| b.add(node)),
        _ => b.add(node),
    }
}

/// `num/den`, a quotient over a power of the same sum in `num` merged into
/// one: `(a/D)/D` is `a/D²`, which the normalisation divides through once by
/// e^(2m). Divided twice by e^m, the second scaled again the factor of a
/// that the first had (`(S·2e^v)/D/D`, `x + tanh(x)^2`'s F partial: S was
/// left as it was, inf from 88.7 where the value is 2).
fn merged_quotient(b: &mut Builder, num: Id, den: Id) -> Id {
    if let Math::Div([a, c]) = *b.node(num) {
        let ((base, j), (base_den, k)) = (power_of_sum(b, c), power_of_sum(b, den));
        if base == base_den && j + k <= 4 && reaches_exp(b, base) {
            let k = b.num((j + k) as f64);
            let power = b.add(Math::Pow([base, k]));
            return b.add(Math::Div([a, power]));
        }
    }
    b.add(Math::Div([num, den]))
}

/// A divisor as `(sum, k)` for `sum^k`, k whole from 1 to 4 (the powers
/// [`normalised_quotient`] divides through by e^(k·m)), else `(id, 1)`.
fn power_of_sum(b: &Builder, id: Id) -> (Id, u32) {
    match *b.node(id) {
        Math::Pow([sum, k]) => match b.value(k) {
            Some(k) if (1.0..=4.0).contains(&k) && k == k.trunc() => (sum, k as u32),
            _ => (id, 1),
        },
        _ => (id, 1),
    }
}

/// How many products [`pulled_into_a_factor`] looks through.
const PULL_DEPTH: usize = 8;

/// `p·q` with `p` taken into the numerator of a quotient over exponentials
/// that `q` is or has among its factors (through up to `depth` products):
/// `S·(0.5·u·(e^v/D²))` as `0.5·u·((S·e^v)/D²)`, so that the normalisation
/// scales S and e^v together (the F partials of `tanh(x/2)`, `tanh(x)^3`,
/// `0.5*x*(1+tanh(x))` were ±inf from |u| ≈ 85 to 90, where they are
/// bounded). Over a literal numerator only where `p` multiplies an
/// exponential ([`exponential_degree`]): `e^x·(-0.5/(e^x + 0.5))` (`x +
/// softplus(x)`'s g′) is inf·0 from x ≈ 88.7 as written, while `(x +
/// 1)·(2/D)` gains nothing, nor does a bounded quotient (`sigmoid(x)^2`'s
/// f′, `(2/D)·(e^-x/D²)`, took an exponential more as one quotient over
/// D³). `None` where `p` holds no exponential or `q` no such quotient.
fn pulled_into_a_factor(b: &mut Builder, p: Id, q: Id, depth: usize) -> Option<Id> {
    if !holds_exp(b, p) {
        return None;
    }
    match *b.node(q) {
        Math::Div([a, c]) if (b.value(a).is_none() || exponential_degree(b, p) > 0) && reaches_exp(b, c) => {
            let num = pull_into_quotients(b, Math::Mul([p, a]));
            Some(merged_quotient(b, num, c))
        }
        Math::Mul([r, s]) if depth > 0 => {
            let (r, s) = match pulled_into_a_factor(b, p, r, depth - 1) {
                Some(r) => (r, s),
                None => (r, pulled_into_a_factor(b, p, s, depth - 1)?),
            };
            Some(b.add(Math::Mul([r, s])))
        }
        _ => None,
    }
}

/// `E·(u/c ± v/d)` as `(E·u)/c ± (E·v)/d`, for `E` a product of literals
/// and exponentials: a GA's g′ from a difference of logarithms,
/// `0.25·e^2x·(2/(e^2x + 5.8) - 2/(e^2x + 0.17))` (`x + tanh(x)`), is
/// inf·0 from 2x ≈ 88.7 as written, while each quotient with `E` in its
/// numerator normalises to a value near 2. `None` when the terms of `sum`
/// are not both quotients over exponential sums.
fn distribute_over_quotients(b: &mut Builder, e: Id, sum: Id, u: Id, v: Id) -> Option<Id> {
    let (Math::Div([a, c]), Math::Div([a2, d])) = (b.node(u).clone(), b.node(v).clone()) else { return None };
    if !(holds_exp(b, c) && holds_exp(b, d)) {
        return None;
    }
    let (eu, ev) = (b.add(Math::Mul([e, a])), b.add(Math::Mul([e, a2])));
    let (qu, qv) = (b.add(Math::Div([eu, c])), b.add(Math::Div([ev, d])));
    Some(match *b.node(sum) {
        Math::Add(_) => b.add(Math::Add([qu, qv])),
        _ => b.add(Math::Sub([qu, qv])),
    })
}

/// A product of constants and at least one exponential. A constant may be
/// an expression (`x + 0.1*tanh(x)`'s g′ scales `e^2x` by √11/22): read as a
/// literal factor only, it left that g′ NaN from x = 44 in f32.
fn exponential_monomial(b: &Builder, id: Id) -> bool {
    let mut stack = vec![id];
    let mut any = false;
    while let Some(id) = stack.pop() {
        match *b.node(id) {
            Math::Call(Func::Exp, _) => any = true,
            Math::Mul([p, q]) => stack.extend([p, q]),
            _ if constant_value(b, id).is_some() => {}
            _ => return false,
        }
    }
    any
}

/// A sum of exponentials, or a product with such a factor.
fn holds_exp(b: &Builder, id: Id) -> bool {
    let mut stack = vec![id];
    while let Some(id) = stack.pop() {
        match *b.node(id) {
            Math::Add(_) | Math::Sub(_) | Math::Neg(_) | Math::Call(Func::Exp, _) => return true,
            Math::Mul([p, q]) => stack.extend([p, q]),
            Math::Div([p, _]) => stack.push(p),
            _ => {}
        }
    }
    false
}

/// The terms of a signed sum (through `+`, `-`, `neg` and literal factors):
/// the exponents of its exponential terms, and whether any other term exists.
/// With `products`, a product of two sums counts as its factors' terms (a
/// numerator, whose factors [`Scaling`] scales separately).
fn exp_terms(b: &Builder, id: Id, products: bool, exponents: &mut Vec<Id>, other: &mut bool) {
    let sum_like = |id: Id| matches!(b.node(id), Math::Add(_) | Math::Sub(_) | Math::Neg(_) | Math::Call(Func::Exp, _));
    match *b.node(id) {
        Math::Add([p, q]) | Math::Sub([p, q]) => {
            exp_terms(b, p, products, exponents, other);
            exp_terms(b, q, products, exponents, other);
        }
        Math::Neg(p) => exp_terms(b, p, products, exponents, other),
        Math::Mul([p, q]) if b.value(p).is_some() => exp_terms(b, q, products, exponents, other),
        Math::Mul([p, q]) if b.value(q).is_some() => exp_terms(b, p, products, exponents, other),
        Math::Mul([p, q]) if products && sum_like(p) && sum_like(q) => {
            exp_terms(b, p, products, exponents, other);
            exp_terms(b, q, products, exponents, other);
        }
        Math::Call(Func::Exp, e) => exponents.push(e),
        _ => *other = true,
    }
}

fn normalised_quotient(b: &mut Builder, num: Id, den: Id) -> Option<Id> {
    // A power of a sum is divided through by e^(k·m): `(e^a + e^b)^2` in the
    // partial derivatives of an SA.
    let (sum, power) = power_of_sum(b, den);
    let (mut exponents, mut other) = (Vec::new(), false);
    exp_terms(b, sum, false, &mut exponents, &mut other);
    if exponents.is_empty() {
        return None;
    }
    let (mut num_exponents, mut num_other) = (Vec::new(), false);
    exp_terms(b, num, true, &mut num_exponents, &mut num_other);
    if let Some((a, c)) = two_exp_difference(b, sum) {
        // `1 - e^a` over a numerator without exponentials is left to the
        // `expm1` lowering (it only overflows to ±inf, and the quotient to 0).
        let one_minus_exp = b.value(a) == Some(0.0) || b.value(c) == Some(0.0);
        if power == 1 && num_exponents.is_empty() && one_minus_exp {
            return None;
        }
        // (e^a - e^c)·e^-max(a, c) is sign(c - a)·expm1(-|c - a|): exactly 0
        // where a = c and accurate near it (the SA poles, `1 - e^u` at u = 0),
        // with c - a formed from the exponents themselves.
        let d = exponent_difference(b, c, a);
        let m = max_of(b, a, c);
        let neg_m = b.add(Math::Neg(m));
        let scale = b.add(Math::Call(Func::Exp, neg_m));
        let scaled_sum = signed_expm1(b, d);
        let mut memo = HashMap::new();
        let num = Scaling { m, scale, memo: &mut memo }.scaled(b, num, power);
        let den = if power == 1 {
            scaled_sum
        } else {
            let k = b.num(power as f64);
            b.add(Math::Pow([scaled_sum, k]))
        };
        return Some(b.add(Math::Div([num, den])));
    }
    if other || num_other {
        exponents.push(b.num(0.0));
    }
    exponents.sort();
    exponents.dedup();
    let m = exponents[1..].iter().fold(exponents[0], |acc, &e| max_of(b, acc, e));
    let neg_m = b.add(Math::Neg(m));
    let scale = b.add(Math::Call(Func::Exp, neg_m));
    let mut memo = HashMap::new();
    let mut scaling = Scaling { m, scale, memo: &mut memo };
    let num = scaling.scaled(b, num, power);
    let sum = scaling.scaled(b, sum, 1);
    let den = if power == 1 {
        sum
    } else {
        let k = b.num(power as f64);
        b.add(Math::Pow([sum, k]))
    };
    Some(b.add(Math::Div([num, den])))
}

/// A sum of exactly two terms of opposite sign, each an exponential or the
/// literal 1 (`e^0`), as `(a, c)` for `e^a - e^c`: `1 - e^u` is `(0, u)`,
/// `-e^u3 + e^u4` is `(u4, u3)`.
fn two_exp_difference(b: &mut Builder, id: Id) -> Option<(Id, Id)> {
    let mut terms = Vec::new();
    signed_terms(b, id, &mut terms);
    let [(p, p_negative), (q, q_negative)] = terms[..] else { return None };
    if p_negative == q_negative {
        return None;
    }
    let mut exponent = |t: Id| match *b.node(t) {
        Math::Call(Func::Exp, a) => Some(a),
        _ if b.value(t) == Some(1.0) => Some(b.num(0.0)),
        _ => None,
    };
    let (a, c) = (exponent(p)?, exponent(q)?);
    if a == c {
        return None;
    }
    Some(if p_negative { (c, a) } else { (a, c) })
}

/// Multiplication by `e^-(n·m)` pushed into sums, onto exponentials
/// (`e^a · e^-m = e^(a-m)`) and spread over the factors of products, so that
/// no intermediate overflows.
struct Scaling<'a> {
    m: Id,
    /// The node `e^-m`.
    scale: Id,
    memo: &'a mut HashMap<(Id, u32), Id>,
}

impl Scaling<'_> {
    fn scaled(&mut self, b: &mut Builder, id: Id, n: u32) -> Id {
        if n == 0 {
            return id;
        }
        if let Some(&s) = self.memo.get(&(id, n)) {
            return s;
        }
        let new = match *b.node(id) {
            Math::Add([p, q]) => {
                let (p, q) = (self.scaled(b, p, n), self.scaled(b, q, n));
                b.add(Math::Add([p, q]))
            }
            Math::Sub([p, q]) => {
                let (p, q) = (self.scaled(b, p, n), self.scaled(b, q, n));
                b.add(Math::Sub([p, q]))
            }
            Math::Neg(p) => {
                let p = self.scaled(b, p, n);
                b.add(Math::Neg(p))
            }
            Math::Call(Func::Exp, e) => {
                let shifted = self.shifted_exponent(b, e, n);
                b.add(Math::Call(Func::Exp, shifted))
            }
            // Both factors hold exponentials: each takes its share, in
            // proportion to the exponentials it multiplies (a bounded
            // quotient takes none: `(S/D)·(2e^v)` over D scales 2e^v, where
            // S/D scaled again underflowed as 2e^v overflowed).
            Math::Mul([p, q]) if holds_exp(b, p) && holds_exp(b, q) => {
                let (dp, dq) = (exponential_degree(b, p), exponential_degree(b, q));
                let share = if dp + dq == 0 { n.div_ceil(2) } else { (n * dp).div_ceil(dp + dq) };
                let (p, q) = (self.scaled(b, p, share), self.scaled(b, q, n - share));
                b.add(Math::Mul([p, q]))
            }
            // Scale the factor that holds the exponentials.
            Math::Mul([p, q]) if holds_exp(b, q) => {
                let q = self.scaled(b, q, n);
                b.add(Math::Mul([p, q]))
            }
            Math::Mul([p, q]) if holds_exp(b, p) => {
                let p = self.scaled(b, p, n);
                b.add(Math::Mul([p, q]))
            }
            Math::Div([p, q]) if holds_exp(b, p) => {
                let p = self.scaled(b, p, n);
                b.add(Math::Div([p, q]))
            }
            _ => {
                let once = if b.value(id) == Some(1.0) { self.scale } else { b.add(Math::Mul([id, self.scale])) };
                self.scaled_more(b, once, n - 1)
            }
        };
        self.memo.insert((id, n), new);
        new
    }

    /// `e - n·m`; for n ≥ 2 where m = max(e, 0), as `min(e, 0) - (n - 1)·max(e,
    /// 0)` (`-|e|` for n = 2): equal, and finite where e is ±inf, where
    /// `e - n·m` is inf - inf. sigmoid(2x)'s f′, `2e^(-2x)/(e^(-2x) + 1)²`,
    /// was NaN below x = -f32::MAX/2, where `-2x` overflows and f′ is 0.
    /// (n = 1 keeps `e - m`: the pairing of normalised exponentials reads
    /// that shift, [`super::split_shift`].)
    fn shifted_exponent(&self, b: &mut Builder, e: Id, n: u32) -> Id {
        let m = self.m;
        let max_with_zero = matches!(*b.node(m), Math::Max([p, q]) if (p == e && b.value(q) == Some(0.0)) || (q == e && b.value(p) == Some(0.0)));
        if max_with_zero && n >= 2 {
            return match n {
                2 => minus_abs(b, e),
                _ => {
                    let zero = b.num(0.0);
                    let low = b.add(Math::Min([e, zero]));
                    let k = b.num(n as f64 - 1.0);
                    let high = b.add(Math::Mul([k, m]));
                    b.add(Math::Sub([low, high]))
                }
            };
        }
        let shift = if n == 1 {
            m
        } else {
            let k = b.num(n as f64);
            b.add(Math::Mul([k, m]))
        };
        b.add(Math::Sub([e, shift]))
    }

    /// `id · e^-(n·m)` by repeated multiplication (for factors without exponentials).
    fn scaled_more(&mut self, b: &mut Builder, id: Id, n: u32) -> Id {
        (0..n).fold(id, |acc, _| b.add(Math::Mul([acc, self.scale])))
    }
}

/// How many factors of exponentials `id` multiplies: 1 for an exponential or
/// a sum of them, added over products, multiplied by whole powers, less the
/// divisor's in a quotient (none below 0: a normalised quotient is bounded).
/// Read through at most [`MAX_SUM_NODES`] nodes, as [`reaches_exp`] looks.
fn exponential_degree(b: &Builder, id: Id) -> u32 {
    fn degree(b: &Builder, id: Id, budget: &mut usize) -> u32 {
        if *budget == 0 {
            return 0;
        }
        *budget -= 1;
        match *b.node(id) {
            Math::Call(Func::Exp, _) => 1,
            Math::Add([p, q]) | Math::Sub([p, q]) => degree(b, p, budget).max(degree(b, q, budget)),
            Math::Neg(p) => degree(b, p, budget),
            Math::Mul([p, q]) => degree(b, p, budget) + degree(b, q, budget),
            Math::Div([p, q]) => degree(b, p, budget).saturating_sub(degree(b, q, budget)),
            Math::Pow([p, k]) => match b.value(k) {
                Some(k) if k.fract() == 0.0 && (1.0..=8.0).contains(&k) => k as u32 * degree(b, p, budget),
                _ => 0,
            },
            _ => 0,
        }
    }
    let mut budget = MAX_SUM_NODES;
    degree(b, id, &mut budget)
}
