//! An exact normal form for proving identities (SPEC §5 "exact"): an
//! expression becomes a quotient N/D of polynomials whose monomials are
//! `x^k · exp(P(x)) · Π atoms`, with exact rational coefficients, where an
//! atom is `sqrt(Q)` (reduced by sqrt(Q)² = Q) or an opaque function of a
//! normal form (`atan(..)`, `log(..)`, `erf(..)`, π). The expression is 0
//! wherever it is defined when N reduces to the zero polynomial.
//!
//! Why not the e-graph alone: proving `(2 + 2cosh x)·e^(−x)/(1 + e^(−x))² = 1`
//! or `(0.625 + 0.75x²)·√(x²+1)·(1+x²)^(−3/2) + … = 1` takes expanding and
//! collecting polynomial products, which rewriting explores exponentially
//! and a normal form does in one pass. The e-graph
//! ([`crate::simplify::rewrites_to_zero`]) is tried too; either proof counts.
//!
//! **Soundness.** Every step is an identity on the reals wherever both
//! sides are defined: ring arithmetic, e^a·e^b = e^(a+b), sinh/cosh/tanh in
//! exponentials, sqrt(Q)² = Q, sqrt(c·Q) = sqrt(c)·sqrt(Q) for c > 0.
//! Literals mean the decimal they print as (`0.01` is 1/100), which is what
//! the printed expressions say. Anything else (piecewise constructs, an
//! overflowing coefficient) makes the conversion fail, and nothing is
//! claimed. Opaque atoms are treated as independent unknowns, so a zero
//! found with them holds for every value they take.

use crate::lang::{Expr, Func, Math};
use egg::Id;
use std::collections::{BTreeMap, HashMap};

/// An exact rational `n/d`, d > 0, in lowest terms; `None` on overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Q(i128, i128);

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Q {
    const ZERO: Q = Q(0, 1);
    const ONE: Q = Q(1, 1);

    fn new(n: i128, d: i128) -> Option<Q> {
        if d == 0 {
            return None;
        }
        let g = gcd(n, d).max(1);
        let (n, d) = (n / g, d / g);
        Some(if d < 0 { Q(n.checked_neg()?, d.checked_neg()?) } else { Q(n, d) })
    }
    fn int(n: i128) -> Q {
        Q(n, 1)
    }
    fn add(self, o: Q) -> Option<Q> {
        let g = gcd(self.1, o.1).max(1);
        let (a, b) = (self.1 / g, o.1 / g);
        Q::new(self.0.checked_mul(b)?.checked_add(o.0.checked_mul(a)?)?, self.1.checked_mul(b)?)
    }
    fn mul(self, o: Q) -> Option<Q> {
        let (g1, g2) = (gcd(self.0, o.1).max(1), gcd(o.0, self.1).max(1));
        Q::new((self.0 / g1).checked_mul(o.0 / g2)?, (self.1 / g2).checked_mul(o.1 / g1)?)
    }
    fn neg(self) -> Q {
        Q(-self.0, self.1)
    }
    fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// The exact value of a literal as the decimal it prints as.
    fn of_f64(v: f64) -> Option<Q> {
        if !v.is_finite() {
            return None;
        }
        // Display never uses an exponent: "0.0001", "12.5", "300".
        let s = format!("{v}");
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        if int.len() + frac.len() > 36 {
            return None;
        }
        let digits: i128 = format!("{int}{frac}").parse().ok()?;
        Q::new(digits, 10i128.checked_pow(frac.len() as u32)?)
    }
    /// √self when self is the square of a rational.
    fn sqrt_exact(self) -> Option<Q> {
        let r = |v: i128| {
            if v < 0 {
                return None;
            }
            let s = (v as f64).sqrt().round() as i128;
            (s.checked_mul(s)? == v).then_some(s)
        };
        Q::new(r(self.0)?, r(self.1)?)
    }
}

/// Sparse polynomial in x with rational coefficients: (degree, coefficient).
type XPoly = Vec<(u32, Q)>;

/// x^k · exp(E) · Π atom^power, the unit of a polynomial.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Mono {
    k: u32,
    exp: XPoly,
    atoms: Vec<(usize, u32)>,
}

impl Mono {
    fn one() -> Mono {
        Mono { k: 0, exp: Vec::new(), atoms: Vec::new() }
    }
}

/// Σ coefficient · monomial, no zero coefficients.
type Poly = BTreeMap<Mono, Q>;

/// An atom: `sqrt(Q)` with its radicand, or an opaque function by key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    Sqrt(Poly),
    Opaque(String),
}

#[derive(Clone, Debug)]
struct Frac {
    n: Poly,
    d: Poly,
}

struct Canon {
    atoms: Vec<Atom>,
}

fn xpoly_add(a: &XPoly, b: &XPoly) -> Option<XPoly> {
    let mut m: BTreeMap<u32, Q> = a.iter().copied().collect();
    for &(k, c) in b {
        let e = m.entry(k).or_insert(Q::ZERO);
        *e = e.add(c)?;
    }
    Some(m.into_iter().filter(|(_, c)| !c.is_zero()).collect())
}

fn constant(c: Q) -> Poly {
    let mut p = Poly::new();
    if !c.is_zero() {
        p.insert(Mono::one(), c);
    }
    p
}

/// The most monomials a normal form may hold: a bound on time and memory.
/// Nested activations expand geometrically (tanh nested 10 deep, whose
/// 1/f' is proven even here, peaks at about 230 MB; 11 deep would pass
/// 600 MB). Past it the form is not built, which is "not proven", never
/// "nonzero".
const MAX_MONOMIALS: usize = 1 << 16;

/// Adds c·m to `r` in place, dropping a monomial whose coefficient cancels.
fn add_term(r: &mut Poly, m: Mono, c: Q) -> Option<()> {
    use std::collections::btree_map::Entry;
    match r.entry(m) {
        Entry::Occupied(mut o) => {
            let v = o.get().add(c)?;
            if v.is_zero() {
                o.remove();
            } else {
                *o.get_mut() = v;
            }
        }
        Entry::Vacant(v) if !c.is_zero() => {
            v.insert(c);
        }
        Entry::Vacant(_) => {}
    }
    Some(())
}

fn poly_add(a: &Poly, b: &Poly) -> Option<Poly> {
    let mut r = a.clone();
    for (m, c) in b {
        add_term(&mut r, m.clone(), *c)?;
    }
    (r.len() <= MAX_MONOMIALS).then_some(r)
}

fn poly_scale(a: &Poly, k: Q) -> Option<Poly> {
    let mut r = Poly::new();
    for (m, c) in a {
        let v = c.mul(k)?;
        if !v.is_zero() {
            r.insert(m.clone(), v);
        }
    }
    Some(r)
}

/// A plain polynomial in x (no exponentials, no atoms)?
fn as_xpoly(p: &Poly) -> Option<XPoly> {
    p.iter().map(|(m, c)| (m.exp.is_empty() && m.atoms.is_empty()).then_some((m.k, *c))).collect()
}

impl Canon {
    fn atom(&mut self, a: Atom) -> usize {
        if let Some(i) = self.atoms.iter().position(|b| *b == a) {
            return i;
        }
        self.atoms.push(a);
        self.atoms.len() - 1
    }

    fn poly_mul(&self, a: &Poly, b: &Poly) -> Option<Poly> {
        let mut r = Poly::new();
        for (ma, ca) in a {
            for (mb, cb) in b {
                let c = ca.mul(*cb)?;
                for (m, k) in self.mono_mul(ma, mb)? {
                    add_term(&mut r, m, k.mul(c)?)?;
                }
                if r.len() > MAX_MONOMIALS {
                    return None;
                }
            }
        }
        Some(r)
    }

    /// The product of two monomials, with sqrt atoms reduced (a polynomial).
    fn mono_mul(&self, a: &Mono, b: &Mono) -> Option<Poly> {
        let mut atoms: BTreeMap<usize, u32> = a.atoms.iter().copied().collect();
        for &(i, p) in &b.atoms {
            *atoms.entry(i).or_insert(0) += p;
        }
        let mut reduced = constant(Q::ONE);
        let mut kept = Vec::new();
        for (i, p) in atoms {
            match &self.atoms[i] {
                Atom::Sqrt(radicand) if p >= 2 => {
                    for _ in 0..p / 2 {
                        reduced = self.poly_mul(&reduced, radicand)?;
                    }
                    if p % 2 == 1 {
                        kept.push((i, 1));
                    }
                }
                _ => kept.push((i, p)),
            }
        }
        let base = Mono { k: a.k.checked_add(b.k)?, exp: xpoly_add(&a.exp, &b.exp)?, atoms: kept };
        let unit: Poly = std::iter::once((base, Q::ONE)).collect();
        if reduced == constant(Q::ONE) {
            Some(unit)
        } else {
            // Radicands hold no sqrt atom of their own, so this recursion ends.
            self.poly_mul(&reduced, &unit)
        }
    }

    fn frac_add(&self, a: &Frac, b: &Frac) -> Option<Frac> {
        if a.d == b.d {
            return Some(Frac { n: poly_add(&a.n, &b.n)?, d: a.d.clone() });
        }
        Some(Frac { n: poly_add(&self.poly_mul(&a.n, &b.d)?, &self.poly_mul(&b.n, &a.d)?)?, d: self.poly_mul(&a.d, &b.d)? })
    }

    fn frac_mul(&self, a: &Frac, b: &Frac) -> Option<Frac> {
        Some(Frac { n: self.poly_mul(&a.n, &b.n)?, d: self.poly_mul(&a.d, &b.d)? })
    }

    fn frac_recip(&self, a: &Frac) -> Option<Frac> {
        if a.n.is_empty() {
            return None;
        }
        // A single-monomial denominator with only exponentials divides through.
        Some(Frac { n: a.d.clone(), d: a.n.clone() })
    }

    fn frac_neg(&self, a: &Frac) -> Frac {
        Frac { n: a.n.iter().map(|(m, c)| (m.clone(), c.neg())).collect(), d: a.d.clone() }
    }

    fn frac_powi(&self, a: &Frac, n: i64) -> Option<Frac> {
        let base = if n < 0 { self.frac_recip(a)? } else { a.clone() };
        let mut acc = Frac { n: constant(Q::ONE), d: constant(Q::ONE) };
        for _ in 0..n.unsigned_abs().min(64) {
            acc = self.frac_mul(&acc, &base)?;
        }
        (n.unsigned_abs() <= 64).then_some(acc)
    }

    /// a as a polynomial (denominator a nonzero constant), if it is one.
    fn as_poly(&self, a: &Frac) -> Option<Poly> {
        let [(m, c)] = a.d.iter().collect::<Vec<_>>()[..] else { return None };
        if *m != Mono::one() {
            return None;
        }
        poly_scale(&a.n, Q::new(c.1, c.0)?)
    }

    /// exp(a) for a polynomial in x; otherwise an opaque atom.
    fn exp(&mut self, a: &Frac) -> Option<Frac> {
        if let Some(e) = self.as_poly(a).as_ref().and_then(as_xpoly) {
            let m = Mono { k: 0, exp: e, atoms: Vec::new() };
            return Some(Frac { n: std::iter::once((m, Q::ONE)).collect(), d: constant(Q::ONE) });
        }
        Some(self.opaque("exp", a))
    }

    fn opaque(&mut self, name: &str, a: &Frac) -> Frac {
        let i = self.atom(Atom::Opaque(format!("{name}({:?}/{:?})", a.n, a.d)));
        let m = Mono { k: 0, exp: Vec::new(), atoms: vec![(i, 1)] };
        Frac { n: std::iter::once((m, Q::ONE)).collect(), d: constant(Q::ONE) }
    }

    /// sqrt(a) for a polynomial a = c·P (|c| pulled out: √|c| exact or an
    /// atom), P's leading coefficient ±1: `sqrt(-x)` is its own atom, whose
    /// square is -x (a signed square root's GA, `4/3·x·sqrt(-x)` for x < 0).
    fn sqrt(&mut self, a: &Frac) -> Option<Frac> {
        let Some(p) = self.as_poly(a) else { return Some(self.opaque("sqrt", a)) };
        if p.is_empty() {
            return Some(Frac { n: Poly::new(), d: constant(Q::ONE) });
        }
        // Normalise the radicand so that its leading coefficient is ±1.
        let signed = *p.iter().next_back().map(|(_, c)| c)?;
        let lead = if signed.0 < 0 { signed.neg() } else { signed };
        let monic = poly_scale(&p, Q::new(lead.1, lead.0)?)?;
        let root_c = match lead.sqrt_exact() {
            Some(r) => Frac { n: constant(r), d: constant(Q::ONE) },
            None => self.sqrt_atom(constant(lead)),
        };
        if monic == constant(Q::ONE) {
            return Some(root_c);
        }
        let s = self.sqrt_atom(monic);
        self.frac_mul(&root_c, &s)
    }

    fn sqrt_atom(&mut self, radicand: Poly) -> Frac {
        let i = self.atom(Atom::Sqrt(radicand));
        let m = Mono { k: 0, exp: Vec::new(), atoms: vec![(i, 1)] };
        Frac { n: std::iter::once((m, Q::ONE)).collect(), d: constant(Q::ONE) }
    }

    fn convert(&mut self, e: &Expr, id: Id, memo: &mut HashMap<Id, Frac>) -> Option<Frac> {
        if let Some(f) = memo.get(&id) {
            return Some(f.clone());
        }
        let one = || constant(Q::ONE);
        let of_poly = |p: Poly| Frac { n: p, d: constant(Q::ONE) };
        let r = match &e[id] {
            Math::Num(c) => of_poly(constant(Q::of_f64(c.into_inner())?)),
            Math::Pi => {
                let i = self.atom(Atom::Opaque("pi".into()));
                of_poly(std::iter::once((Mono { k: 0, exp: Vec::new(), atoms: vec![(i, 1)] }, Q::ONE)).collect())
            }
            Math::Euler => self.exp(&of_poly(one()))?,
            Math::Var(_) => of_poly(std::iter::once((Mono { k: 1, exp: Vec::new(), atoms: Vec::new() }, Q::ONE)).collect()),
            Math::Add([a, b]) => {
                let (a, b) = (self.convert(e, *a, memo)?, self.convert(e, *b, memo)?);
                self.frac_add(&a, &b)?
            }
            Math::Sub([a, b]) => {
                let (a, b) = (self.convert(e, *a, memo)?, self.convert(e, *b, memo)?);
                let nb = self.frac_neg(&b);
                self.frac_add(&a, &nb)?
            }
            Math::Mul([a, b]) => {
                let (a, b) = (self.convert(e, *a, memo)?, self.convert(e, *b, memo)?);
                self.frac_mul(&a, &b)?
            }
            Math::Div([a, b]) => {
                let (a, b) = (self.convert(e, *a, memo)?, self.convert(e, *b, memo)?);
                let rb = self.frac_recip(&b)?;
                self.frac_mul(&a, &rb)?
            }
            Math::Neg(a) => {
                let a = self.convert(e, *a, memo)?;
                self.frac_neg(&a)
            }
            Math::Pow([a, b]) => {
                let base = self.convert(e, *a, memo)?;
                let k = crate::integrate::constant_value(e, *b)?;
                if k == k.round() && k.abs() <= 64.0 {
                    self.frac_powi(&base, k as i64)?
                } else if (2.0 * k) == (2.0 * k).round() && k.abs() <= 64.0 {
                    // a^(m/2) = sqrt(a)^m
                    let s = self.sqrt(&base)?;
                    self.frac_powi(&s, (2.0 * k) as i64)?
                } else {
                    return None;
                }
            }
            Math::Call(f, a) => {
                let a = self.convert(e, *a, memo)?;
                match f {
                    Func::Exp => self.exp(&a)?,
                    Func::Expm1 => {
                        let ex = self.exp(&a)?;
                        self.frac_add(&ex, &of_poly(constant(Q::int(-1))))?
                    }
                    Func::Sinh | Func::Cosh | Func::Tanh => {
                        let (p, m) = (self.exp(&a)?, self.exp(&self.frac_neg(&a))?);
                        let nm = self.frac_neg(&m);
                        let (minus, plus) = (self.frac_add(&p, &nm)?, self.frac_add(&p, &m)?);
                        let half = of_poly(constant(Q::new(1, 2)?));
                        match f {
                            Func::Sinh => self.frac_mul(&minus, &half)?,
                            Func::Cosh => self.frac_mul(&plus, &half)?,
                            _ => {
                                let r = self.frac_recip(&plus)?;
                                self.frac_mul(&minus, &r)?
                            }
                        }
                    }
                    Func::Sqrt => self.sqrt(&a)?,
                    // Piecewise: not an identity of smooth functions.
                    Func::Abs | Func::Sign => return None,
                    other => self.opaque(other.name(), &a),
                }
            }
            Math::Min(_) | Math::Max(_) | Math::Where(_) | Math::Compare(..) => return None,
        };
        memo.insert(id, r.clone());
        Some(r)
    }
}

/// `expr` with each literal that is within 4 ulps of a fraction p/q
/// (q ≤ 1000) but not equal to it written as `p/q`: constant folding in f64
/// turns `2·√3·√3/9` into 0.666…63, which no exact proof can use. The caller
/// adopts the result only when it proves exact, so a coincidental
/// neighbour of a fraction is never kept without proof.
pub fn snap_fractions(expr: &Expr) -> Expr {
    let mut b = crate::build::Builder::new();
    let nodes = expr.as_ref();
    let mut ids: Vec<Id> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let new = match node {
            Math::Num(c) => match near_fraction(c.into_inner()) {
                Some((p, q)) => {
                    let (pn, qn) = (b.num(p), b.num(q));
                    b.add(Math::Div([pn, qn]))
                }
                None => b.add(node.clone()),
            },
            other => b.add(egg::Language::map_children(other.clone(), |c| ids[usize::from(c)])),
        };
        ids.push(new);
    }
    b.finish_at(*ids.last().expect("a nonempty expression"))
}

/// (p, q) with |v − p/q| ≤ 4 ulp(v), q in 2..=1000, v not already p/q.
fn near_fraction(v: f64) -> Option<(f64, f64)> {
    if v == v.round() || !v.is_finite() || v.abs() > 1e6 {
        return None;
    }
    let ulp = v.abs().next_up() - v.abs();
    (2..=1000).map(|q| q as f64).find_map(|q| {
        let p = (v * q).round();
        let exact = Q::of_f64(v).zip(Q::new(p as i128, q as i128)).is_some_and(|(a, b)| a == b);
        ((p / q - v).abs() <= 4.0 * ulp && !exact).then_some((p, q))
    })
}

/// `expr` as its normal form reads, where that is a polynomial (the
/// denominator a nonzero constant): Σ c·x^k·e^(E(x))·Π sqrt(R)^p over the
/// variable `var`, with rational c. `None` for a quotient, an opaque
/// function (π aside) or an overflowing coefficient. Every step is an
/// identity where `expr` is defined, so this is `expr` with its sums
/// collected: isru's 1/f' = 1/((s - x²/s)/s²), s = sqrt(1 + x²), whose
/// difference cancels in f32 for large |x|, reads s + x²·s.
///
/// ```
/// let e = foil_compiler::parse::parse("1/((sqrt(1 + x*x) - x*x/sqrt(1 + x*x))/sqrt(1 + x*x)^2)").unwrap();
/// let p = foil_compiler::canon::polynomial_form(&e, "x").unwrap();
/// let at = |x: f64| foil_compiler::eval::eval1(&p, "x", x);
/// assert!((at(3.0) - 10f64.powf(1.5)).abs() < 1e-12 * 10f64.powf(1.5));
/// assert!(!foil_compiler::print::to_spec(&p).contains('/'));
/// ```
pub fn polynomial_form(expr: &Expr, var: &str) -> Option<Expr> {
    let mut c = Canon { atoms: Vec::new() };
    let mut memo = HashMap::new();
    let f = c.convert(expr, crate::lang::root(expr), &mut memo)?;
    let p = c.as_poly(&f)?;
    let mut b = crate::build::Builder::new();
    let sum = c.poly_expr(&mut b, &p, var)?;
    Some(b.finish_at(sum))
}

impl Canon {
    fn poly_expr(&self, b: &mut crate::build::Builder, p: &Poly, var: &str) -> Option<Id> {
        let mut terms = Vec::new();
        for (m, q) in p {
            let mut factors = vec![b.num(q.0 as f64 / q.1 as f64)];
            if m.k > 0 {
                let x = b.var(var);
                factors.push(b.powi(x, m.k as i32));
            }
            if !m.exp.is_empty() {
                let e: Poly = m.exp.iter().map(|&(k, c)| (Mono { k, exp: Vec::new(), atoms: Vec::new() }, c)).collect();
                let e = self.poly_expr(b, &e, var)?;
                factors.push(b.call(Func::Exp, e));
            }
            for &(i, power) in &m.atoms {
                let a = match &self.atoms[i] {
                    Atom::Sqrt(r) => {
                        let r = self.poly_expr(b, r, var)?;
                        b.call(Func::Sqrt, r)
                    }
                    Atom::Opaque(name) if name == "pi" => b.add(Math::Pi),
                    Atom::Opaque(_) => return None,
                };
                factors.push(b.powi(a, power as i32));
            }
            let first = factors[0];
            let term = factors[1..].iter().fold(first, |acc, &f| b.mul(acc, f));
            terms.push(term);
        }
        Some(b.sum(terms))
    }
}

/// Is `expr` identically 0 wherever it is defined, by its normal form?
/// `false` means "not proven", never "nonzero".
pub fn is_zero(expr: &Expr) -> bool {
    let mut c = Canon { atoms: Vec::new() };
    let mut memo = HashMap::new();
    c.convert(expr, crate::lang::root(expr), &mut memo).is_some_and(|f| f.n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero(s: &str) -> bool {
        is_zero(&crate::parse::parse(s).unwrap())
    }

    /// A normal form past MAX_MONOMIALS is not built: "not proven". The
    /// product of (1 + e^(2^j x)) over j < n has 2^n monomials (every subset
    /// sum of the rates is distinct), so it minus itself in another order is
    /// proven 0 at n = 15 (32,768) and not at n = 17 (131,072).
    #[test]
    fn normal_forms_past_the_monomial_bound_are_not_proven() {
        let product = |n: u32, rev: bool| {
            let mut js: Vec<u32> = (0..n).collect();
            if rev {
                js.reverse();
            }
            js.iter().map(|j| format!("(1 + exp({}*x))", 1u64 << j)).collect::<Vec<_>>().join("*")
        };
        let same = |n: u32| zero(&format!("{} - {}", product(n, false), product(n, true)));
        assert!(same(15));
        assert!(2usize.pow(17) > MAX_MONOMIALS && !same(17));
    }

    #[test]
    fn proves_identities_of_the_suite() {
        // sigmoid: g' = 2 + 2cosh(x), f' = e^-x/(e^-x + 1)².
        assert!(zero("(2 + 2*cosh(x))*(exp(-x)/(exp(-x) + 1)^2) - 1"));
        // tanh, with the double angle.
        assert!(zero("(0.5 + 0.5*cosh(2*x))/cosh(x)^2 - 1"));
        // isru: square roots reduce.
        assert!(zero(
            "((0.625 + x*(0.75*x))*sqrt(x*x + 1) + (2*(x*(0.625*x + 0.25*x^3)/(2*sqrt(x*x + 1))) + 0.375/sqrt(x*x + 1))) \
             * ((sqrt(1 + x*x) + x*(-2*x/(2*sqrt(1 + x*x))))/sqrt(1 + x*x)^2) - 1"
        ));
        // Decimal literals are exact: 0.01·100 = 1.
        assert!(zero("0.01*100 - 1"));
        assert!(zero("sqrt(3)*sqrt(3) - 3"));
        assert!(zero("sqrt(4*x*x + 4)/2 - sqrt(x*x + 1)"));
        assert!(zero("atan(x + 1) - atan(1 + x)"));
    }

    #[test]
    fn does_not_prove_what_is_false() {
        assert!(!zero("(2 + 2*cosh(x))*(exp(-x)/(exp(-x) + 1)^2) - 1.0000001"));
        assert!(!zero("sqrt(x*x) - x"), "√(x²) = |x|, not x");
        assert!(!zero("1.333333333333333*3 - 4"), "a rounded 4/3 is not 4/3");
        assert!(!zero("abs(x) - x"));
        assert!(!zero("exp(x + 1) - exp(1)*exp(x) + 1e-30"));
    }

    #[test]
    fn snapping_turns_folded_fractions_back() {
        let e = crate::parse::parse("1.333333333333333*x - 0.33333333333333326 + 0.5").unwrap();
        assert_eq!(crate::print::to_spec(&snap_fractions(&e)), "4/3*x - 1/3 + 0.5");
        assert!(is_zero(&snap_fractions(&crate::parse::parse("1.333333333333333*(3*x) - 4*x").unwrap())));
        assert!(!zero("1.333333333333333*(3*x) - 4*x"));
    }
}
