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
//! terms a derivative cancels, 3x⁴ − 2x⁴, collected; the coefficients are
//! [`super::euler`]'s plain readings, which drop only what cancelled
//! exactly, so `1e-14·x³` beside x stays), and the power of x
//! multiplied in one factor at a time onto the bounded quotient, so that
//! nothing overflows before the value does. For |x| ≤ 1 the quotient keeps
//! its form. Likewise the logarithm of a polynomial of even degree d ≥ 2,
//! `log(P(x)) = d·log|x| + log(P̃(t))`: a GA's partial fractions hold
//! `log(x² ± b·x + c)` in pairs whose difference is small (`x^5 + x^3 +
//! x`'s g is bounded, about 0.57 at infinity, and was inf - inf = NaN from
//! |x| ≈ 1.8e19, where x² overflows).

use super::{euler, rebuild_replacing, Builder};
use crate::lang::{Cmp, Func, Math};
use egg::{Id, Symbol};

pub(super) fn polynomials_at_large_arguments(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let nodes = b.nodes().as_ref();
    // Only where a quotient by other than a literal, or a logarithm, is.
    let candidate = nodes.iter().any(|n| match n {
        Math::Div([_, d]) => b.value(*d).is_none(),
        Math::Call(Func::Log | Func::Log1p, _) => true,
        _ => false,
    });
    if !candidate {
        return roots.to_vec();
    }
    let mut vars: Vec<Symbol> = nodes.iter().filter_map(|n| if let Math::Var(s) = n { Some(*s) } else { None }).collect();
    vars.sort();
    vars.dedup();
    let mut roots = roots.to_vec();
    for var in vars {
        let polynomials = euler::polynomials_in(b, var);
        let coefficients = |id: Id| polynomials.get(usize::from(id)).cloned().flatten();
        let replace = |b: &mut Builder, id: Id| match *b.node(id) {
            Math::Div([n, d]) => quotient(b, id, var, &coefficients(n)?, &coefficients(d)?),
            Math::Call(Func::Log, p) => logarithm(b, id, var, coefficients(p)?),
            Math::Call(Func::Log1p, p) => {
                let mut c = coefficients(p)?;
                c[0] += 1.0;
                logarithm(b, id, var, c)
            }
            _ => None,
        };
        roots = rebuild_replacing(b, &roots, replace, |b, node| b.add(node));
    }
    roots
}

/// `N(x)/D(x)` at `id` (coefficients from the constant up) with deg N ≥ 2
/// and deg D ≥ 1, as `where(|x| ≤ 1, N/D, x^(p−q)·Ñ(t)/D̃(t))`.
fn quotient(b: &mut Builder, id: Id, var: Symbol, n: &[f64], d: &[f64]) -> Option<Id> {
    let (p, q) = (n.len() - 1, d.len() - 1);
    if p < 2 || q < 1 {
        return None;
    }
    let (x, t) = variable_and_reciprocal(b, var);
    let numerator = reversed_horner(b, n, t);
    let denominator = reversed_horner(b, d, t);
    let mut large = b.div(numerator, denominator);
    for _ in q..p {
        large = b.mul(x, large);
    }
    for _ in p..q {
        large = b.mul(t, large);
    }
    Some(beyond_one(b, id, x, large))
}

/// `log(P(x))` at `id` (`log1p`'s with its 1 added), d = deg P even and at
/// least 2, as `where(|x| ≤ 1, log(P(x)), d·log|x| + log(P̃(t)))` (x^d is
/// |x|^d).
fn logarithm(b: &mut Builder, id: Id, var: Symbol, p: Vec<f64>) -> Option<Id> {
    let d = p.len() - 1;
    if d < 2 || d % 2 != 0 {
        return None;
    }
    let (x, t) = variable_and_reciprocal(b, var);
    let reversed = reversed_horner(b, &p, t);
    let log_reversed = b.call(Func::Log, reversed);
    let magnitude = b.call(Func::Abs, x);
    let log_magnitude = b.call(Func::Log, magnitude);
    let degree = b.num(d as f64);
    let power = b.mul(degree, log_magnitude);
    let large = b.add_(power, log_reversed);
    Some(beyond_one(b, id, x, large))
}

/// x and t = 1/x.
fn variable_and_reciprocal(b: &mut Builder, var: Symbol) -> (Id, Id) {
    let x = b.add(Math::Var(var));
    let one = b.num(1.0);
    (x, b.div(one, x))
}

/// `where(|x| ≤ 1, as_written, large)`.
fn beyond_one(b: &mut Builder, as_written: Id, x: Id, large: Id) -> Id {
    let magnitude = b.call(Func::Abs, x);
    let one = b.num(1.0);
    let small = b.add(Math::Compare(Cmp::Le, [magnitude, one]));
    b.add(Math::Where([small, as_written, large]))
}

/// `t^deg(p)·p(1/t)` in Horner form: p's coefficients from the constant up,
/// `((c₀·t + c₁)·t + …)·t + c_deg`.
fn reversed_horner(b: &mut Builder, p: &[f64], t: Id) -> Id {
    let mut acc = b.num(p[0]);
    for &c in &p[1..] {
        let scaled = b.mul(acc, t);
        let c = b.num(c);
        acc = b.add_(scaled, c);
    }
    acc
}
