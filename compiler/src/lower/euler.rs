//! Euler's substitution for polynomials in `x` and `S = sqrt(k·x² + c)`
//! (k, c > 0; a quadratic with a linear term is one in its shifted variable,
//! `k·x² + b·x + c₀ = k·(x + b/2k)² + c` with c = c₀ − b²/4k > 0, as a
//! shifted squareplus's is): with `y = √k·x` and `u = (y + S)/2`,
//!
//! ```text
//! y = u − c/(4u),   S = u + c/(4u),
//! ```
//!
//! so a rational expression in x and S is a rational function of u, and
//! where it is a Laurent polynomial `Σ a_j·u^j` its terms no longer cancel
//! as x → ±∞. The GA of a squareplus, `f = (x + sqrt(x² + 4))/2`, is
//! `g = x³/6 + 2x + 7/3 − (2/3 + x²/6)·S`: x³/6 and x²·S/6 cancel for
//! positive x, where g ≈ x, and in f32 g lost all its digits by x ≈ 3000
//! (relative error about x²·10⁻⁷). As `u − 2/u − 1/(3u³) + 7/3` it keeps
//! them to f32::MAX. u and `v = (S − y)/2 = c/(4u)` are computed on each
//! side without cancellation ([`half_sum_and_gap`]), and the negative
//! powers of u as powers of v.
//!
//! Only subtrees whose terms grow faster than their value at +∞ or at −∞
//! (a sum whose terms cancel asymptotically) are rewritten, and only where
//! the result is a Laurent polynomial: `x − S/2` (bent_identity's g) keeps
//! its form.

use super::{rebuild_replacing, Builder};
use crate::lang::{Cmp, Func, Math};
use egg::{Id, Symbol};

/// A coefficient below this fraction of the magnitudes that summed to it is
/// rounding left over from an exact cancellation: the IR's constants are
/// f64, so nothing below that is determined by it.
const CANCELLED: f64 = 1e-12;

/// Laurent polynomials longer than this are not read (a power tower would
/// otherwise build thousands of coefficients).
const MAX_TERMS: usize = 24;

/// `Σ coeff[i]·u^(lo + i)`, each coefficient with a bound on the magnitudes
/// whose sum it is (what its rounding is relative to). Not
/// [`crate::integrate`]'s `Poly`: that trims relative to its largest
/// coefficient, which would drop a genuine small leading term
/// (`1e-14·x³ + S`), whose growth is what decides the rewrite.
#[derive(Clone, Debug)]
struct Laurent {
    lo: i32,
    coeff: Vec<(f64, f64)>,
}

impl Laurent {
    fn constant(v: f64) -> Self {
        Laurent { lo: 0, coeff: vec![(v, v.abs())] }.trimmed()
    }

    /// `Σ coeffs[i]·u^(lo + i)`, each coefficient exact.
    fn from_coefficients(lo: i32, coeffs: &[f64]) -> Self {
        Laurent { lo, coeff: coeffs.iter().map(|&v| (v, v.abs())).collect() }.trimmed()
    }

    fn is_zero(&self) -> bool {
        self.coeff.is_empty()
    }

    /// The same coefficients (their bounds aside).
    fn same_as(&self, o: &Laurent) -> bool {
        self.lo == o.lo && self.coeff.len() == o.coeff.len() && self.coeff.iter().zip(&o.coeff).all(|(a, b)| a.0 == b.0)
    }

    fn is_one(&self) -> bool {
        self.same_as(&Laurent::constant(1.0))
    }

    /// Exact cancellations to zero, and no zeros at either end.
    fn trimmed(mut self) -> Self {
        for c in &mut self.coeff {
            if c.0.abs() <= CANCELLED * c.1 {
                *c = (0.0, 0.0);
            }
        }
        while self.coeff.last().is_some_and(|c| c.0 == 0.0) {
            self.coeff.pop();
        }
        let lead = self.coeff.iter().take_while(|c| c.0 == 0.0).count();
        self.coeff.drain(..lead);
        self.lo += lead as i32;
        if self.coeff.is_empty() {
            self.lo = 0;
        }
        self
    }

    /// The highest exponent (None for zero).
    fn top(&self) -> Option<i32> {
        (!self.is_zero()).then(|| self.lo + self.coeff.len() as i32 - 1)
    }

    fn at(&self, k: i32) -> (f64, f64) {
        usize::try_from(k - self.lo).ok().and_then(|i| self.coeff.get(i).copied()).unwrap_or((0.0, 0.0))
    }

    fn add(&self, o: &Laurent) -> Option<Laurent> {
        if self.is_zero() {
            return Some(o.clone());
        }
        if o.is_zero() {
            return Some(self.clone());
        }
        let lo = self.lo.min(o.lo);
        let hi = self.top()?.max(o.top()?);
        let coeff = (lo..=hi)
            .map(|k| {
                let (a, b) = (self.at(k), o.at(k));
                (a.0 + b.0, a.1 + b.1)
            })
            .collect();
        Laurent { lo, coeff }.trimmed().bounded()
    }

    fn scale(&self, k: f64) -> Option<Laurent> {
        Laurent { lo: self.lo, coeff: self.coeff.iter().map(|c| (c.0 * k, c.1 * k.abs())).collect() }.trimmed().bounded()
    }

    fn mul(&self, o: &Laurent) -> Option<Laurent> {
        if self.is_zero() || o.is_zero() {
            return Some(Laurent::constant(0.0));
        }
        let mut coeff = vec![(0.0, 0.0); self.coeff.len() + o.coeff.len() - 1];
        for (i, a) in self.coeff.iter().enumerate() {
            for (j, b) in o.coeff.iter().enumerate() {
                coeff[i + j].0 += a.0 * b.0;
                coeff[i + j].1 += a.1 * b.1;
            }
        }
        Laurent { lo: self.lo.checked_add(o.lo)?, coeff }.trimmed().bounded()
    }

    /// Itself, if short enough and finite.
    fn bounded(self) -> Option<Laurent> {
        (self.coeff.len() <= MAX_TERMS && self.lo.abs() <= MAX_TERMS as i32 && self.coeff.iter().all(|c| c.0.is_finite() && c.1.is_finite())).then_some(self)
    }

    /// `self / d` where d divides it exactly (the remainder cancelled to
    /// rounding), else None: long division of the polynomials in u that
    /// are left once each side's lowest power is taken out (both trimmed,
    /// so d's lowest coefficient is not zero).
    fn divided_by(&self, d: &Laurent) -> Option<Laurent> {
        if self.is_zero() {
            return Some(self.clone());
        }
        let (a, b) = (&self.coeff, &d.coeff);
        if b.is_empty() || a.len() < b.len() {
            return None;
        }
        let top = b.len() - 1;
        let lead = b[top].0;
        let mut r = a.clone();
        let mut q = vec![(0.0, 0.0); a.len() - top];
        for i in (0..q.len()).rev() {
            let c = r[i + top].0 / lead;
            q[i] = (c, r[i + top].1 / lead.abs());
            for (j, bj) in b.iter().enumerate() {
                r[i + j].0 -= c * bj.0;
                r[i + j].1 += c.abs() * bj.1;
            }
            r[i + top].0 = 0.0;
        }
        if r.iter().any(|c| c.0.abs() > CANCELLED * c.1) {
            return None;
        }
        Laurent { lo: self.lo.checked_sub(d.lo)?, coeff: q }.trimmed().bounded()
    }
}

/// `k·(x + shift)² + c` with k, c > 0: what `S` is the root of. Below,
/// "x" is x + shift.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Quadratic {
    var: Symbol,
    k: f64,
    c: f64,
    shift: f64,
}

/// How a reading takes the variable: as itself (to recognise a
/// [`Quadratic`]), or through u with S as an atom.
#[derive(Clone, Copy)]
enum Mode<'a> {
    Plain(Symbol),
    Euler(Quadratic, &'a [Option<Reading>]),
}

/// A subtree as a function of u (of x in [`Mode::Plain`]): `num/den`,
/// whether it holds S, and whether a sum in it cancels as x → ±∞.
#[derive(Clone, Debug)]
struct Reading {
    num: Laurent,
    den: Laurent,
    root: bool,
    cancels: bool,
}

impl Reading {
    fn constant(v: f64) -> Option<Reading> {
        v.is_finite().then(|| Reading { num: Laurent::constant(v), den: Laurent::constant(1.0), root: false, cancels: false })
    }

    fn of(num: Laurent, root: bool) -> Reading {
        Reading { num, den: Laurent::constant(1.0), root, cancels: false }
    }

    /// The value of a constant reading.
    fn value(&self) -> Option<f64> {
        let one_term = |l: &Laurent| match l.coeff.as_slice() {
            [] => Some(0.0),
            [(v, _)] if l.lo == 0 => Some(*v),
            _ => None,
        };
        Some(one_term(&self.num)? / one_term(&self.den)?).filter(|v| v.is_finite())
    }

    /// `num/den` with the division done where it is exact: always for a
    /// monomial den, and where den divides num.
    fn new(num: Laurent, den: Laurent, root: bool, cancels: bool) -> Option<Reading> {
        if den.is_zero() {
            return None;
        }
        let (num, den) = match num.divided_by(&den) {
            Some(q) => (q, Laurent::constant(1.0)),
            None => (num, den),
        };
        Some(Reading { num, den, root, cancels })
    }

    /// How fast it grows at +∞ (u ≈ y) and at −∞ (u ≈ c/(4|y|)), as powers
    /// of |x|; None for zero.
    fn growth(&self) -> [Option<i32>; 2] {
        if self.num.is_zero() {
            return [None, None];
        }
        [Some(self.num.top().unwrap_or(0) - self.den.top().unwrap_or(0)), Some(self.den.lo - self.num.lo)]
    }

    fn sum(&self, o: &Reading, sign: f64) -> Option<Reading> {
        let (num, den) = if self.den.same_as(&o.den) {
            (self.num.add(&o.num.scale(sign)?)?, self.den.clone())
        } else {
            (self.num.mul(&o.den)?.add(&o.num.mul(&self.den)?.scale(sign)?)?, self.den.mul(&o.den)?)
        };
        let mut r = Reading::new(num, den, self.root || o.root, self.cancels || o.cancels)?;
        let (g, gp, go) = (r.growth(), self.growth(), o.growth());
        r.cancels |= (0..2).any(|end| gp[end].max(go[end]) > g[end]);
        Some(r)
    }

    fn product(&self, o: &Reading) -> Option<Reading> {
        Reading::new(self.num.mul(&o.num)?, self.den.mul(&o.den)?, self.root || o.root, self.cancels || o.cancels)
    }

    fn quotient(&self, o: &Reading) -> Option<Reading> {
        Reading::new(self.num.mul(&o.den)?, self.den.mul(&o.num)?, self.root || o.root, self.cancels || o.cancels)
    }

    fn power(&self, n: i32) -> Option<Reading> {
        let base = if n < 0 { Reading::constant(1.0)?.quotient(self)? } else { self.clone() };
        (0..n.unsigned_abs()).try_fold(Reading::constant(1.0)?, |acc, _| acc.product(&base))
    }
}

/// Every node's reading in `mode`, children before parents (a builder's
/// nodes come in that order).
fn readings(b: &Builder, mode: Mode) -> Vec<Option<Reading>> {
    let n = b.nodes().as_ref().len();
    let mut out: Vec<Option<Reading>> = Vec::with_capacity(n);
    for i in 0..n {
        let r = reading(b, Id::from(i), &out, mode);
        out.push(r);
    }
    out
}

fn reading(b: &Builder, id: Id, known: &[Option<Reading>], mode: Mode) -> Option<Reading> {
    let at = |c: Id| known[usize::from(c)].as_ref();
    let constant_arg = |c: Id| at(c).and_then(Reading::value);
    match *b.node(id) {
        Math::Num(_) | Math::Pi | Math::Euler => Reading::constant(b.value(id)?),
        Math::Var(s) => match mode {
            Mode::Plain(v) if v == s => Some(Reading::of(Laurent::from_coefficients(1, &[1.0]), false)),
            Mode::Euler(q, _) if q.var == s => {
                let rk = q.k.sqrt();
                Some(Reading::of(Laurent::from_coefficients(-1, &[-q.c / (4.0 * rk), -q.shift, 1.0 / rk]).bounded()?, false))
            }
            _ => None,
        },
        Math::Add([p, q]) => at(p)?.sum(at(q)?, 1.0),
        Math::Sub([p, q]) => at(p)?.sum(at(q)?, -1.0),
        Math::Neg(p) => Reading::constant(0.0)?.sum(at(p)?, -1.0),
        Math::Mul([p, q]) => at(p)?.product(at(q)?),
        Math::Div([p, q]) => at(p)?.quotient(at(q)?),
        Math::Pow([p, e]) => {
            let e = constant_arg(e)?;
            match constant_arg(p) {
                Some(base) => Reading::constant(base.powf(e)),
                None if e == e.trunc() && e.abs() <= 8.0 => at(p)?.power(e as i32),
                None => None,
            }
        }
        Math::Call(Func::Sqrt, a) => match (constant_arg(a), mode) {
            (Some(v), _) => Reading::constant(v.sqrt()),
            (None, Mode::Euler(q, plain)) if quadratic(plain, q.var, a) == Some(q) => {
                Some(Reading::of(Laurent::from_coefficients(-1, &[q.c / 4.0, 0.0, 1.0]).bounded()?, true))
            }
            _ => None,
        },
        Math::Call(f, a) => Reading::constant(crate::eval::apply(f, constant_arg(a)?)),
        _ => None,
    }
}

/// Each node's coefficients, from the constant up (the top one not 0),
/// where it is a polynomial in `var` of degree 1 or more: the plain
/// readings, whose sums drop only what cancelled exactly (a trimming
/// relative to the largest coefficient would lose `1e-14·x³` beside x).
/// What [`super::rational`] evaluates in 1/x.
pub(super) fn polynomials_in(b: &Builder, var: Symbol) -> Vec<Option<Vec<f64>>> {
    readings(b, Mode::Plain(var))
        .into_iter()
        .map(|r| {
            let r = r?;
            let top = r.num.top()?;
            (r.den.is_one() && r.num.lo >= 0 && top >= 1).then(|| (0..=top).map(|k| r.num.at(k).0).collect())
        })
        .collect()
}

/// The [`Quadratic`] in `var` that node `a` is, from its plain reading.
fn quadratic(plain: &[Option<Reading>], var: Symbol, a: Id) -> Option<Quadratic> {
    let r = plain.get(usize::from(a))?.as_ref()?;
    if !r.den.is_one() || r.num.lo != 0 {
        return None;
    }
    let &[(c0, _), (b, _), (k, _)] = r.num.coeff.as_slice() else { return None };
    let (shift, c) = (b / (2.0 * k), c0 - b * b / (4.0 * k));
    (k > 0.0 && c > 0.0 && shift.is_finite() && (c / k).is_finite()).then_some(Quadratic { var, k, c, shift })
}

/// Every subtree of `roots` that is a polynomial in x and one
/// `S = sqrt(k·x² + c)` and whose terms cancel as x → ±∞, as the Laurent
/// polynomial in u it is (the module's docs). Where no square root of a
/// variable's expression is, nothing is read.
pub(super) fn euler_substitution(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let nodes = b.nodes().as_ref();
    let has_root = nodes.iter().any(|n| matches!(n, Math::Call(Func::Sqrt, a) if !matches!(nodes[usize::from(*a)], Math::Num(_))));
    if !has_root {
        return roots.to_vec();
    }
    let mut vars: Vec<Symbol> = nodes.iter().filter_map(|n| if let Math::Var(s) = n { Some(*s) } else { None }).collect();
    vars.dedup();
    let mut roots = roots.to_vec();
    for var in vars {
        let mut plain = readings(b, Mode::Plain(var));
        let mut found: Vec<Quadratic> = Vec::new();
        for n in b.nodes().as_ref() {
            if let Math::Call(Func::Sqrt, a) = n {
                if let Some(q) = quadratic(&plain, var, *a).filter(|q| !found.contains(q)) {
                    found.push(q);
                }
            }
        }
        for q in found {
            // Read again only where a rewrite has added nodes since.
            if plain.len() != b.nodes().as_ref().len() {
                plain = readings(b, Mode::Plain(var));
            }
            let euler = readings(b, Mode::Euler(q, &plain));
            let mut halves = None;
            let replace = |b: &mut Builder, id: Id| {
                let r = euler.get(usize::from(id))?.as_ref()?;
                (r.cancels && r.root && r.den.is_one()).then(|| laurent_in_u(b, q, &r.num, &mut halves))?
            };
            roots = rebuild_replacing(b, &roots, replace, |b, node| b.add(node));
        }
    }
    roots
}

/// `Σ a_j·u^j` in the powers of `u/√k` and `v/√k` ([`half_sum_and_gap`]),
/// the negative ones through `u^-1 = (4/c)·v`: 1/u itself is about
/// 4|y|/c as x → −∞, and u about y as x → +∞, which overflow before
/// the terms do where c < 4 or k > 1; u/√k and v/√k are about |x|.
/// `None` where a coefficient so scaled is not finite.
fn laurent_in_u(b: &mut Builder, q: Quadratic, l: &Laurent, halves: &mut Option<(Id, Id)>) -> Option<Id> {
    let rk = q.k.sqrt();
    let mut terms = Vec::new();
    for (i, &(a, _)) in l.coeff.iter().enumerate() {
        let j = l.lo + i as i32;
        let a = if j < 0 { a * (4.0 * rk / q.c).powi(-j) } else { a * rk.powi(j) };
        if !a.is_finite() {
            return None;
        }
        terms.push((j, a));
    }
    let (u, v) = *halves.get_or_insert_with(|| half_sum_and_gap(b, q));
    let mut sum = Vec::new();
    for (j, a) in terms {
        if a == 0.0 {
            continue;
        }
        if j == 0 {
            sum.push(b.num(a));
            continue;
        }
        let base = if j > 0 { u } else { v };
        let power = if j.abs() == 1 {
            base
        } else {
            let n = b.num(j.unsigned_abs() as f64);
            b.add(Math::Pow([base, n]))
        };
        sum.push(if a == 1.0 {
            power
        } else {
            let a = b.num(a);
            b.add(Math::Mul([a, power]))
        });
    }
    Some(b.sum(sum))
}

/// u/√k = (x + S/√k)/2 and v/√k = (S/√k − x)/2 (their product c/(4k)),
/// x taken as `x + shift`,
/// each without cancellation on either side of 0: the one that is a sum
/// there as `0.5·x + S/(2√k)`, which overflows only where the value does,
/// the other as c/(4k) over it. S/(2√k) is `sqrt(c/(4k) + 0.25·(x·x))`,
/// the form [`super::roots_of_large_squares`] makes `0.5·|x|` where x²
/// would overflow.
fn half_sum_and_gap(b: &mut Builder, q: Quadratic) -> (Id, Id) {
    let x = b.add(Math::Var(q.var));
    let x = if q.shift == 0.0 {
        x
    } else {
        let shift = b.num(q.shift);
        b.add(Math::Add([x, shift]))
    };
    let xx = b.add(Math::Mul([x, x]));
    let quarter = b.num(0.25);
    let quarter_xx = b.add(Math::Mul([quarter, xx]));
    let product = b.num(q.c / (4.0 * q.k));
    let radicand = b.add(Math::Add([product, quarter_xx]));
    let half_s = b.add(Math::Call(Func::Sqrt, radicand));
    let zero = b.num(0.0);
    let non_negative = b.add(Math::Compare(Cmp::Ge, [x, zero]));
    let half = b.num(0.5);
    let half_x = b.add(Math::Mul([half, x]));
    let half_sum = b.add(Math::Add([half_s, half_x]));
    let half_gap = b.add(Math::Sub([half_s, half_x]));
    let (u_below, v_above) = (b.add(Math::Div([product, half_gap])), b.add(Math::Div([product, half_sum])));
    let u = b.add(Math::Where([non_negative, half_sum, u_below]));
    let v = b.add(Math::Where([non_negative, v_above, half_gap]));
    (u, v)
}
