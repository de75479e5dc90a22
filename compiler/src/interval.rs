//! Outward-rounded interval arithmetic over f64, and interval evaluation of
//! expressions: the ground on which [`crate::certify`] proves its bounds.
//!
//! Why not a crate: the compiler runs inside every user's build (the proc
//! macros), and `inari`, the maintained IEEE 1788 implementation, needs GMP
//! and MPFR compiled from C for its transcendental functions and
//! `target-cpu=haswell`. This module needs neither: every endpoint is the
//! round-to-nearest result widened outward with `f64::next_up`/`next_down`.
//!
//! **Arithmetic** (`+ - * /`, `sqrt`): IEEE 754 rounds to nearest, so the
//! exact result lies within half an ulp of the computed one, and one step of
//! `next_down`/`next_up` encloses it (subnormals included: the error there is
//! half the subnormal spacing, which one step also covers).
//!
//! **Elementary functions** come from the `libm` crate (a pure-Rust port of
//! musl, the same code on every platform, unlike `f64::exp`, which calls the
//! platform's library). Its documented accuracy, with the bound we assume
//! (deliberately two to four times the documented one, as the documents
//! state bounds for the algorithm, not for every rounding of its last steps):
//!
//! | function | documented (musl / FreeBSD msun) | assumed |
//! |---|---|---|
//! | exp, log, log1p, expm1, sin, cos, atan | < 1 ulp | [`ULP_BASIC`] = 4 ulp |
//! | sinh, cosh, tanh, asinh | < 2.5 ulp (built from expm1/log1p) | [`ULP_COMPOUND`] = 8 ulp |
//! | erf | < 1 ulp | [`ULP_COMPOUND`] = 8 ulp |
//! | erfi ([`crate::eval::erfi`], foil's own) | sum of ≤ 90 positive terms, each rounded once: ≤ 100 ulp; asymptotic tail truncated below 1e-16 | relative [`ERFI_REL`] = 1e-12 |
//!
//! Beyond those bounds, each function's known range is enforced (tanh, erf
//! in [-1, 1], cosh ≥ 1, exp ≥ 0, ...), which never loosens an enclosure.
//!
//! An interval whose end is NaN is *invalid*: some point of it is outside
//! the function's domain (log of a negative number, division by an interval
//! holding 0). Certification treats an invalid result as "not proven here".

use crate::lang::{Cmp, Expr, Func, Math};

/// Assumed error of libm's exp, log, log1p, expm1, sin, cos, atan, in ulps.
pub const ULP_BASIC: u32 = 4;
/// Assumed error of libm's sinh, cosh, tanh, asinh, erf, in ulps.
pub const ULP_COMPOUND: u32 = 8;
/// Assumed relative error of foil's own erfi.
pub const ERFI_REL: f64 = 1e-12;

/// A closed interval `[lo, hi]` of the extended reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct I {
    pub lo: f64,
    pub hi: f64,
}

/// The next f64 down (one ulp), with -inf fixed.
fn dn(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        x
    } else {
        x.next_down()
    }
}

/// The next f64 up (one ulp), with +inf fixed.
fn up(x: f64) -> f64 {
    if x == f64::INFINITY {
        x
    } else {
        x.next_up()
    }
}

fn dn_by(mut x: f64, n: u32) -> f64 {
    // A library result that overflowed to +inf for a lower end: the true
    // value is within the stated error of f64::MAX, one more step covers it.
    for _ in 0..n + u32::from(x == f64::INFINITY) {
        x = dn(x);
    }
    x
}

fn up_by(mut x: f64, n: u32) -> f64 {
    for _ in 0..n + u32::from(x == f64::NEG_INFINITY) {
        x = up(x);
    }
    x
}

/// `0 · ±inf = 0` at interval ends (IEEE 1788): an end at infinity bounds
/// values that are all finite.
fn mul_end(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        0.0
    } else {
        a * b
    }
}

impl I {
    /// The invalid interval.
    pub const NAI: I = I { lo: f64::NAN, hi: f64::NAN };
    pub const ENTIRE: I = I { lo: f64::NEG_INFINITY, hi: f64::INFINITY };

    /// `[lo, hi]`; invalid when either end is NaN or lo > hi.
    pub fn new(lo: f64, hi: f64) -> I {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            I::NAI
        } else {
            I { lo, hi }
        }
    }

    pub fn point(x: f64) -> I {
        I::new(x, x)
    }

    /// The smallest interval holding the real number nearest to `x`'s
    /// rounding: for constants like π given as their f64 rounding.
    pub fn around(x: f64) -> I {
        I::new(dn(x), up(x))
    }

    pub fn is_valid(&self) -> bool {
        !(self.lo.is_nan() || self.hi.is_nan())
    }

    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// Largest |x| over the interval (the magnitude).
    pub fn mag(&self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    /// Smallest |x| over the interval (the mignitude).
    pub fn mig(&self) -> f64 {
        if self.contains(0.0) {
            0.0
        } else {
            self.lo.abs().min(self.hi.abs())
        }
    }

    pub fn hull(&self, o: &I) -> I {
        if !self.is_valid() || !o.is_valid() {
            return I::NAI;
        }
        I::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }

    /// The intersection (both enclose the same quantity); invalid stays invalid.
    pub fn meet(&self, o: &I) -> I {
        if !self.is_valid() || !o.is_valid() {
            return I::NAI;
        }
        let (lo, hi) = (self.lo.max(o.lo), self.hi.min(o.hi));
        // Disjoint enclosures of one quantity cannot both be right: say so.
        if lo > hi {
            I::NAI
        } else {
            I { lo, hi }
        }
    }

    pub fn neg(&self) -> I {
        I::new(-self.hi, -self.lo)
    }

    pub fn add(&self, o: &I) -> I {
        let mut r = I::new(dn(self.lo + o.lo), up(self.hi + o.hi));
        // The sign of a sum of same-signed terms is known exactly.
        if self.lo >= 0.0 && o.lo >= 0.0 {
            r.lo = r.lo.max(0.0);
        }
        if self.hi <= 0.0 && o.hi <= 0.0 {
            r.hi = r.hi.min(0.0);
        }
        r
    }

    pub fn sub(&self, o: &I) -> I {
        self.add(&o.neg())
    }

    /// x·x for one x: never negative, which `mul` of two independent
    /// intervals cannot know ([-2, 2]·[-2, 2] = [-4, 4]; x² ∈ [0, 4]).
    pub fn square(&self) -> I {
        let mut r = self.mul(self);
        if r.is_valid() && self.lo <= 0.0 && self.hi >= 0.0 {
            r.lo = 0.0;
        }
        r
    }

    pub fn mul(&self, o: &I) -> I {
        if !self.is_valid() || !o.is_valid() {
            return I::NAI;
        }
        // Two points whose product f64 holds exactly (the residual a·b - p
        // is 0): the point itself. A break point's |x| written as s·x, s =
        // ±1, then stays exactly on the break.
        if self.lo == self.hi && o.lo == o.hi {
            let p = mul_end(self.lo, o.lo);
            if p.is_finite() && (p == 0.0 || self.lo.mul_add(o.lo, -p) == 0.0) {
                return I::point(p);
            }
        }
        let p = [mul_end(self.lo, o.lo), mul_end(self.lo, o.hi), mul_end(self.hi, o.lo), mul_end(self.hi, o.hi)];
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut r = I::new(dn(lo), up(hi));
        if (self.lo >= 0.0 && o.lo >= 0.0) || (self.hi <= 0.0 && o.hi <= 0.0) {
            r.lo = r.lo.max(0.0);
        }
        if (self.lo >= 0.0 && o.hi <= 0.0) || (self.hi <= 0.0 && o.lo >= 0.0) {
            r.hi = r.hi.min(0.0);
        }
        r
    }

    /// Multiplication by an exact integer (Taylor recurrences).
    pub fn scale(&self, k: f64) -> I {
        self.mul(&I::point(k))
    }

    pub fn sqr(&self) -> I {
        let a = I::new(self.mig(), self.mag());
        let mut r = a.mul(&a);
        r.lo = r.lo.max(0.0);
        r
    }

    /// `1/self`; invalid when 0 is in the interval.
    pub fn recip(&self) -> I {
        self.div_into(&I::point(1.0))
    }

    /// `n / self`.
    fn div_into(&self, n: &I) -> I {
        if !self.is_valid() || !n.is_valid() || self.contains(0.0) {
            return I::NAI;
        }
        let q = |a: f64, b: f64| {
            if a == 0.0 {
                0.0
            } else if b.is_infinite() && a.is_infinite() {
                f64::NAN
            } else {
                a / b
            }
        };
        let p = [q(n.lo, self.lo), q(n.lo, self.hi), q(n.hi, self.lo), q(n.hi, self.hi)];
        if p.iter().any(|v| v.is_nan()) {
            return I::NAI;
        }
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut r = I::new(dn(lo), up(hi));
        let pos = self.lo > 0.0;
        if (n.lo >= 0.0 && pos) || (n.hi <= 0.0 && !pos) {
            r.lo = r.lo.max(0.0);
        } else if (n.hi <= 0.0 && pos) || (n.lo >= 0.0 && !pos) {
            r.hi = r.hi.min(0.0);
        }
        r
    }

    pub fn div(&self, o: &I) -> I {
        o.div_into(self)
    }

    /// `self^n` for an integer n (negative: the reciprocal).
    pub fn powi(&self, n: i64) -> I {
        if n < 0 {
            return self.powi(-n).recip();
        }
        if n == 0 {
            return I::point(1.0);
        }
        // |x|^n by squaring, on a nonnegative interval (monotone there).
        let pos_pow = |a: I| {
            let (mut acc, mut base, mut e) = (I::point(1.0), a, n);
            while e > 0 {
                if e & 1 == 1 {
                    acc = acc.mul(&base);
                }
                base = base.mul(&base);
                e >>= 1;
            }
            acc
        };
        if n % 2 == 0 {
            return pos_pow(I::new(self.mig(), self.mag()));
        }
        // Odd: monotone increasing.
        let lo = if self.lo >= 0.0 { pos_pow(I::point(self.lo)).lo } else { -pos_pow(I::point(-self.lo)).hi };
        let hi = if self.hi >= 0.0 { pos_pow(I::point(self.hi)).hi } else { -pos_pow(I::point(-self.hi)).lo };
        I::new(lo, hi)
    }

    fn monotone_inc(&self, f: fn(f64) -> f64, ulps: u32) -> I {
        if !self.is_valid() {
            return I::NAI;
        }
        I::new(dn_by(f(self.lo), ulps), up_by(f(self.hi), ulps))
    }

    pub fn exp(&self) -> I {
        let mut r = self.monotone_inc(libm::exp, ULP_BASIC);
        r.lo = r.lo.max(0.0);
        r
    }

    pub fn expm1(&self) -> I {
        let mut r = self.monotone_inc(libm::expm1, ULP_BASIC);
        r.lo = r.lo.max(-1.0);
        r
    }

    /// Natural log; invalid when any point is negative.
    pub fn log(&self) -> I {
        if !(self.lo >= 0.0) {
            return I::NAI;
        }
        self.monotone_inc(libm::log, ULP_BASIC)
    }

    pub fn log1p(&self) -> I {
        if !(self.lo >= -1.0) {
            return I::NAI;
        }
        self.monotone_inc(libm::log1p, ULP_BASIC)
    }

    pub fn sqrt(&self) -> I {
        if !(self.lo >= 0.0) {
            return I::NAI;
        }
        // IEEE sqrt is correctly rounded: one ulp each way.
        let mut r = self.monotone_inc(f64::sqrt, 1);
        r.lo = r.lo.max(0.0);
        r
    }

    pub fn atan(&self) -> I {
        let h = std::f64::consts::FRAC_PI_2.next_up();
        let r = self.monotone_inc(libm::atan, ULP_BASIC);
        I::new(r.lo.max(-h), r.hi.min(h))
    }

    pub fn sinh(&self) -> I {
        self.monotone_inc(libm::sinh, ULP_COMPOUND)
    }

    pub fn tanh(&self) -> I {
        let r = self.monotone_inc(libm::tanh, ULP_COMPOUND);
        I::new(r.lo.max(-1.0), r.hi.min(1.0))
    }

    pub fn asinh(&self) -> I {
        self.monotone_inc(libm::asinh, ULP_COMPOUND)
    }

    pub fn erf(&self) -> I {
        let r = self.monotone_inc(libm::erf, ULP_COMPOUND);
        I::new(r.lo.max(-1.0), r.hi.min(1.0))
    }

    pub fn erfi(&self) -> I {
        if !self.is_valid() {
            return I::NAI;
        }
        let widen = |v: f64, dir: f64| {
            if v.is_infinite() {
                v
            } else {
                v + dir * (ERFI_REL * v.abs()) + dir * f64::MIN_POSITIVE
            }
        };
        let (a, b) = (crate::eval::erfi(self.lo), crate::eval::erfi(self.hi));
        // erfi overflows f64 past |x| ≈ 26.6, where it returns ±inf: a lower
        // end that overflowed is still above f64::MAX.
        let a = if a == f64::INFINITY { f64::MAX } else { widen(a, -1.0) };
        let b = if b == f64::NEG_INFINITY { -f64::MAX } else { widen(b, 1.0) };
        I::new(dn(a), up(b))
    }

    pub fn cosh(&self) -> I {
        if !self.is_valid() {
            return I::NAI;
        }
        let (m, mm) = (self.mig(), self.mag());
        let lo = if m == 0.0 { 1.0 } else { dn_by(libm::cosh(m), ULP_COMPOUND).max(1.0) };
        I::new(lo, up_by(libm::cosh(mm), ULP_COMPOUND))
    }

    pub fn abs(&self) -> I {
        I::new(self.mig(), self.mag())
    }

    pub fn sign(&self) -> I {
        if !self.is_valid() {
            return I::NAI;
        }
        let s = |v: f64| crate::eval::sign(v);
        I::new(s(self.lo), s(self.hi))
    }

    pub fn sin(&self) -> I {
        use std::f64::consts::{FRAC_PI_2, TAU};
        self.periodic(libm::sin, FRAC_PI_2, -FRAC_PI_2, TAU)
    }

    pub fn cos(&self) -> I {
        use std::f64::consts::{PI, TAU};
        self.periodic(libm::cos, 0.0, PI, TAU)
    }

    /// sin or cos: ±1 where the interval may hold a maximum (`top + k·period`)
    /// or minimum (`bottom + k·period`), else the ends (monotone between).
    fn periodic(&self, f: fn(f64) -> f64, top: f64, bottom: f64, period: f64) -> I {
        if !self.is_valid() {
            return I::NAI;
        }
        if !(self.lo.is_finite() && self.hi.is_finite()) || self.hi - self.lo >= period {
            return I::new(-1.0, 1.0);
        }
        // Is some `at + k·period` in [lo, hi]? The quotients carry rounding
        // (and π's) of ~1e-16·|k|; the slack of 1e-9·(1 + |k|) errs on the
        // side of "maybe", which only loosens the result to ±1.
        let may_hold = |at: f64| {
            let (a, b) = ((self.lo - at) / period, (self.hi - at) / period);
            let slack = 1e-9 * (1.0 + a.abs().max(b.abs()));
            (b + slack).floor() >= (a - slack).ceil()
        };
        let (fa, fb) = (f(self.lo), f(self.hi));
        let lo = if may_hold(bottom) { -1.0 } else { dn_by(fa.min(fb), ULP_BASIC).max(-1.0) };
        let hi = if may_hold(top) { 1.0 } else { up_by(fa.max(fb), ULP_BASIC).min(1.0) };
        I::new(lo, hi)
    }

    pub fn min(&self, o: &I) -> I {
        if !self.is_valid() || !o.is_valid() {
            return I::NAI;
        }
        I::new(self.lo.min(o.lo), self.hi.min(o.hi))
    }

    pub fn max(&self, o: &I) -> I {
        if !self.is_valid() || !o.is_valid() {
            return I::NAI;
        }
        I::new(self.lo.max(o.lo), self.hi.max(o.hi))
    }

    /// `a^b`, real: an integer exponent on any base, else a positive base.
    pub fn pow(&self, b: &I) -> I {
        if b.lo == b.hi && b.lo == b.lo.round() && b.lo.abs() < 1e9 {
            return self.powi(b.lo as i64);
        }
        if !(self.lo >= 0.0) {
            return I::NAI;
        }
        b.mul(&self.log()).exp()
    }

    pub fn apply(&self, f: Func) -> I {
        match f {
            Func::Exp => self.exp(),
            Func::Log => self.log(),
            Func::Log1p => self.log1p(),
            Func::Expm1 => self.expm1(),
            Func::Sqrt => self.sqrt(),
            Func::Abs => self.abs(),
            Func::Sign => self.sign(),
            Func::Sin => self.sin(),
            Func::Cos => self.cos(),
            Func::Atan => self.atan(),
            Func::Sinh => self.sinh(),
            Func::Cosh => self.cosh(),
            Func::Tanh => self.tanh(),
            Func::Asinh => self.asinh(),
            Func::Erf => self.erf(),
            Func::Erfi => self.erfi(),
        }
    }
}

/// Three-valued comparison: `[1, 1]` true on all of the intervals, `[0, 0]`
/// false on all, `[0, 1]` undecided.
pub fn compare(cmp: Cmp, a: &I, b: &I) -> I {
    if !a.is_valid() || !b.is_valid() {
        return I::NAI;
    }
    let (t, f) = match cmp {
        Cmp::Lt => (a.hi < b.lo, a.lo >= b.hi),
        Cmp::Le => (a.hi <= b.lo, a.lo > b.hi),
        Cmp::Gt => (a.lo > b.hi, a.hi <= b.lo),
        Cmp::Ge => (a.lo >= b.hi, a.hi < b.lo),
    };
    match (t, f) {
        (true, _) => I::point(1.0),
        (_, true) => I::point(0.0),
        _ => I::new(0.0, 1.0),
    }
}

/// The value of a constant node as an enclosing interval.
pub fn constant(node: &Math) -> Option<I> {
    match node {
        // A literal means its f64 value exactly (it prints back to it).
        Math::Num(c) => Some(I::point(c.into_inner())),
        Math::Pi => Some(I::around(std::f64::consts::PI)),
        Math::Euler => Some(I::around(std::f64::consts::E)),
        _ => None,
    }
}

/// Every node of `expr` evaluated over the interval `x` for each variable
/// (`env` gives the interval of a variable); the last is the root. A `where`
/// whose condition is undecided on `x` takes the hull of both branches.
pub fn eval_nodes(expr: &Expr, env: &dyn Fn(egg::Symbol) -> I) -> Vec<I> {
    let mut v: Vec<I> = Vec::with_capacity(expr.as_ref().len());
    for node in expr.as_ref() {
        let at = |id: &egg::Id| v[usize::from(*id)];
        let r = match node {
            Math::Num(_) | Math::Pi | Math::Euler => constant(node).unwrap(),
            Math::Var(s) => env(*s),
            Math::Add([a, b]) => at(a).add(&at(b)),
            Math::Sub([a, b]) => at(a).sub(&at(b)),
            // The same node twice is a square, not two independent factors.
            Math::Mul([a, b]) if a == b => at(a).square(),
            Math::Mul([a, b]) => at(a).mul(&at(b)),
            Math::Div([a, b]) => at(a).div(&at(b)),
            Math::Pow([a, b]) => at(a).pow(&at(b)),
            Math::Neg(a) => at(a).neg(),
            Math::Call(f, a) => at(a).apply(*f),
            Math::Min([a, b]) => at(a).min(&at(b)),
            Math::Max([a, b]) => at(a).max(&at(b)),
            Math::Compare(c, [a, b]) => compare(*c, &at(a), &at(b)),
            Math::Where([c, a, b]) => {
                let c = at(c);
                if !c.is_valid() {
                    I::NAI
                } else if !c.contains(0.0) {
                    at(a)
                } else if c.lo == 0.0 && c.hi == 0.0 {
                    at(b)
                } else {
                    at(a).hull(&at(b))
                }
            }
        };
        v.push(r);
    }
    v
}

/// `expr` (in the one variable `var`) over the interval `x`.
pub fn eval1(expr: &Expr, var: &str, x: I) -> I {
    let s = egg::Symbol::from(var);
    *eval_nodes(expr, &|v| if v == s { x } else { I::NAI }).last().unwrap_or(&I::NAI)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A product of two points stays a point only where f64 holds it
    /// exactly; otherwise it is widened to enclose the real product.
    #[test]
    fn a_product_of_points_is_a_point_only_when_exact() {
        assert_eq!(I::point(2.0).mul(&I::point(-1.0)), I::point(-2.0));
        assert_eq!(I::point(3.0).mul(&I::point(0.0)), I::point(0.0));
        let inexact = I::point(0.1).mul(&I::point(0.1));
        assert!(inexact.lo < inexact.hi && inexact.lo <= 0.1 * 0.1 && inexact.hi >= 0.1 * 0.1, "{inexact:?}");
        let huge = I::point(1e300).mul(&I::point(1e10));
        assert_eq!(huge.hi, f64::INFINITY, "{huge:?}");
    }

    /// A node multiplied by itself is a square: never negative, so
    /// `sqrt(x·x + 1)` has an enclosure over every f32 (two independent
    /// factors of [-M, M] would give [-M², M²] and sqrt of it none).
    #[test]
    fn a_node_times_itself_is_a_square() {
        // Enclosures are widened outward by an ulp where they round.
        let near = |r: I, lo: f64, hi: f64| r.lo <= lo && r.lo >= lo - 1e-12 && r.hi >= hi && r.hi <= hi + 1e-12;
        assert!(near(I::new(-2.0, 3.0).square(), 0.0, 9.0), "{:?}", I::new(-2.0, 3.0).square());
        assert!(near(I::new(-3.0, -2.0).square(), 4.0, 9.0), "{:?}", I::new(-3.0, -2.0).square());
        assert!(I::new(-2.0, 3.0).mul(&I::new(-2.0, 3.0)).lo <= -6.0);
        assert!(!I::NAI.square().is_valid());
        let e = crate::parse::parse("sqrt(x*x + 1)").unwrap();
        let m = f32::MAX as f64;
        let r = *eval_nodes(&e, &|_| I::new(-m, m)).last().unwrap();
        assert!(r.is_valid() && r.lo <= 1.0 && r.lo >= 0.0 && r.hi >= m, "{r:?}");
        // Two different nodes stay independent: u1·u2 over [-1, 1] reaches -1.
        let e = crate::parse::parse("u1*u2").unwrap();
        assert!(eval_nodes(&e, &|_| I::new(-1.0, 1.0)).last().unwrap().lo <= -1.0);
    }

    /// Each function's enclosure over many small intervals holds the f64
    /// value at interior points (a point inside gives a value inside).
    #[test]
    fn enclosures_hold_interior_values() {
        let fs: Vec<(Func, f64, f64)> = vec![
            (Func::Exp, -700.0, 700.0),
            (Func::Log, 1e-300, 1e300),
            (Func::Log1p, -0.999, 1e10),
            (Func::Expm1, -50.0, 700.0),
            (Func::Sqrt, 0.0, 1e300),
            (Func::Sin, -1e6, 1e6),
            (Func::Cos, -1e6, 1e6),
            (Func::Atan, -1e20, 1e20),
            (Func::Sinh, -700.0, 700.0),
            (Func::Cosh, -700.0, 700.0),
            (Func::Tanh, -30.0, 30.0),
            (Func::Asinh, -1e300, 1e300),
            (Func::Erf, -7.0, 7.0),
            (Func::Erfi, -26.0, 26.0),
        ];
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for (f, lo, hi) in fs {
            for _ in 0..2000 {
                let a = lo + (hi - lo) * rnd();
                let w = 10f64.powf(-12.0 * rnd()) * a.abs().max(1.0);
                let x = I::new(a, (a + w).min(hi));
                let r = x.apply(f);
                for t in [0.0, 0.3, 0.5, 0.9, 1.0] {
                    let p = x.lo + t * (x.hi - x.lo);
                    let v = crate::eval::apply(f, p);
                    assert!(r.contains(v), "{f}: {v} at {p} outside {r:?} for {x:?}");
                }
            }
        }
    }

    #[test]
    fn sin_finds_extrema_inside_and_is_monotone_between() {
        let r = I::new(1.0, 2.0).sin();
        assert_eq!(r.hi, 1.0, "π/2 is inside");
        assert!(r.lo <= 1f64.sin() && r.lo > 0.84);
        let r = I::new(0.1, 0.2).cos();
        assert!(r.hi < 1.0 && r.contains(0.15f64.cos()));
        // Far out: still within ±1 and enclosing.
        let x = 1e5 + 0.25;
        assert!(I::point(x).sin().contains(x.sin()));
    }

    #[test]
    fn arithmetic_encloses_and_keeps_signs() {
        let a = I::new(1e-200, 2e-200);
        let p = a.mul(&a);
        assert!(p.lo >= 0.0, "a product of positives is not negative: {p:?}");
        assert!(I::new(-1.0, 1.0).recip().lo.is_nan(), "1/[−1, 1] is invalid");
        let q = I::point(1.0).div(&I::point(3.0));
        assert!(q.lo < 1.0 / 3.0 && q.hi > 1.0 / 3.0 && q.hi - q.lo < 1e-15);
        let s = I::new(-2.0, 3.0).powi(2);
        assert!(s.lo == 0.0 && s.contains(9.0) && s.hi < 9.0 + 1e-14, "{s:?}");
        let c = I::new(-3.0, 2.0).powi(3);
        assert!(c.contains(-27.0) && c.contains(8.0) && !c.contains(-28.0));
        assert_eq!(compare(Cmp::Lt, &I::new(0.0, 1.0), &I::point(1.0)), I::new(0.0, 1.0));
        assert_eq!(compare(Cmp::Lt, &I::new(0.0, 0.5), &I::point(1.0)), I::point(1.0));
        assert_eq!(I::new(0.0, 1.0).mul(&I::new(1.0, f64::INFINITY)), I::new(0.0, f64::INFINITY));
    }

    #[test]
    fn expressions_evaluate_to_enclosures() {
        let e: Expr = "(where (< x 0) (exp x) (+ 1 x))".parse().unwrap();
        let r = eval1(&e, "x", I::new(-1.0, 1.0));
        assert!(r.contains(1f64.exp().recip()) && r.contains(2.0));
        let r = eval1(&e, "x", I::new(0.5, 1.0));
        assert!(r.lo >= 1.5 - 1e-15, "decided branch only: {r:?}");
    }
}
