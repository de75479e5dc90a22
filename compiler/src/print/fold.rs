//! Folding named activations back: recognise a subtree that is an instance of
//! an activation's definition, with each parameter bound consistently, and
//! produce the call `name(args)`.
//!
//! Templates are the parser's own parsed definitions, so an instance is exactly
//! what the parser builds for the call. The one subtlety is negation: the
//! builder simplifies `-(arg)` when substituting (`-(-y)` → `y`, `-(2)` → `-2`,
//! `-(a - b)` → `b - a`), so a template `-x` also matches those forms, binding
//! `x` to "the negation of" the subtree found.

use super::{negate, Callee, Converter, Op, P};
use crate::activations::NamedActivation;
use crate::build::Builder;
use crate::lang::{root, Expr, Math};
use crate::parse::templates;
use egg::{Id, Language, Symbol};
use std::sync::OnceLock;

/// One matchable form of an activation: its definition with a suffix of its
/// optional parameters replaced by their defaults (so `elu(x)`, whose `1*`
/// folded away during expansion, is still recognised).
struct Variant {
    act: &'static NamedActivation,
    expr: Expr,
    /// The parameters still free in `expr`, in call order.
    free: Vec<Symbol>,
}

fn variants() -> &'static [Variant] {
    static VARIANTS: OnceLock<Vec<Variant>> = OnceLock::new();
    VARIANTS.get_or_init(|| {
        let mut out = Vec::new();
        for t in templates() {
            let optional = t.act.params.iter().filter(|(_, d)| d.is_some()).count();
            for defaulted in 0..=optional {
                let keep = t.params.len() - defaulted;
                let defaults: Vec<(Symbol, f64)> = t.params[keep..].iter().zip(&t.act.params[keep..]).map(|(s, (_, d))| (*s, d.unwrap_or(0.0))).collect();
                let mut b = Builder::new();
                let r = b.substitute(&t.expr, root(&t.expr), &|b, s| defaults.iter().find(|(p, _)| *p == s).map(|(_, v)| b.num(*v)));
                out.push(Variant { act: t.act, expr: b.finish_at(r), free: t.params[..keep].to_vec() });
            }
        }
        out
    })
}

/// What a parameter is bound to in the expression being printed.
#[derive(Clone, Copy)]
enum Bound {
    Is(Id),
    /// The builder's negation of the subtree.
    NegOf(Id),
}

/// The shortest named form of the subtree `id`, if any variant matches.
pub(super) fn fold(conv: &mut Converter, id: Id) -> Option<P> {
    let mut best: Option<(usize, P)> = None;
    for v in variants() {
        let mut binds = vec![None; v.free.len()];
        let matched = Matcher { expr: conv.expr, v, binds: &mut binds }.node(root(&v.expr), id);
        if !matched {
            continue;
        }
        let mut args: Vec<P> = binds
            .iter()
            .map(|b| match b.expect("every free parameter occurs in its definition") {
                Bound::Is(i) => conv.convert(i),
                Bound::NegOf(i) => builder_negation(conv, i),
            })
            .collect();
        args.extend(v.act.params[v.free.len()..].iter().map(|(_, d)| P::Num(d.unwrap_or(0.0))));
        // Trailing arguments equal to their defaults are left out.
        while args.len() > 1 && matches!((args.last(), v.act.params[args.len() - 1].1), (Some(P::Num(a)), Some(d)) if *a == d) {
            args.pop();
        }
        let named = P::Call(Callee::Activation(v.act.name), args);
        let len = super::text(&named).len();
        if best.as_ref().is_none_or(|(l, _)| len < *l) {
            best = Some((len, named));
        }
    }
    best.map(|(_, p)| p)
}

/// The argument whose builder negation is the subtree `id` (what the parser
/// would read back to exactly that subtree).
fn builder_negation(conv: &mut Converter, id: Id) -> P {
    match conv.expr[id] {
        Math::Sub([a, b]) => P::Bin(Op::Sub, Box::new(conv.convert(b)), Box::new(conv.convert(a))),
        _ => negate(conv.convert(id)),
    }
}

struct Matcher<'a> {
    expr: &'a Expr,
    v: &'a Variant,
    binds: &'a mut [Option<Bound>],
}

impl Matcher<'_> {
    /// Does template node `t` match expression node `e`?
    fn node(&mut self, t: Id, e: Id) -> bool {
        match &self.v.expr[t] {
            Math::Var(s) => self.bind(*s, Bound::Is(e)),
            Math::Neg(inner) => match (&self.expr[e], &self.v.expr[*inner]) {
                (Math::Neg(ei), _) => self.node(*inner, *ei),
                (_, Math::Var(s)) => self.bind(*s, Bound::NegOf(e)),
                _ => false,
            },
            tn => {
                let en = &self.expr[e];
                tn.matches(en) && tn.children().iter().zip(en.children()).all(|(tc, ec)| self.node(*tc, *ec))
            }
        }
    }

    fn bind(&mut self, s: Symbol, b: Bound) -> bool {
        let Some(i) = self.v.free.iter().position(|p| *p == s) else { return false };
        match self.binds[i] {
            None => {
                self.binds[i] = Some(b);
                true
            }
            Some(old) => consistent(self.expr, old, b),
        }
    }
}

/// Do two bindings denote the same argument?
fn consistent(expr: &Expr, a: Bound, b: Bound) -> bool {
    match (a, b) {
        (Bound::Is(x), Bound::Is(y)) | (Bound::NegOf(x), Bound::NegOf(y)) => same(expr, x, y),
        (Bound::Is(x), Bound::NegOf(y)) | (Bound::NegOf(y), Bound::Is(x)) => is_builder_negation(expr, x, y),
    }
}

/// Is `x` what the builder makes of `-(y)`?
fn is_builder_negation(expr: &Expr, x: Id, y: Id) -> bool {
    match (&expr[x], &expr[y]) {
        (_, Math::Neg(z)) => same(expr, x, *z),
        (Math::Num(a), Math::Num(b)) => a.into_inner() == -b.into_inner(),
        (Math::Sub([p, q]), Math::Sub([q2, p2])) => same(expr, *p, *p2) && same(expr, *q, *q2),
        (Math::Neg(z), _) => same(expr, *z, y),
        _ => false,
    }
}

/// Structural equality of two subtrees of `expr`.
fn same(expr: &Expr, a: Id, b: Id) -> bool {
    a == b || {
        let (na, nb) = (&expr[a], &expr[b]);
        na.matches(nb) && na.children().iter().zip(nb.children()).all(|(x, y)| same(expr, *x, *y))
    }
}
