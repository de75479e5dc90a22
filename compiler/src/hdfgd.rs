//! HD-FGD (SPEC §3) and split adversarial (SPEC §4).
//!
//! f is written as a combination rule C over atoms, f(x) = C(t1(x), …, tn(x)),
//! each atom one occurrence of `x` or of a function applied to something
//! (`exp(-x)`, `erf(x/sqrt(2))`, taken whole when its argument is not
//! arithmetic of further atoms); named activations and the
//! hyperbolic functions are first expanded to exponentials (the default
//! granularity). The lift is F(u1, …, un) = C(t1(u1), …, tn(un)) and the split
//! adversarial is SA(u1, …, un) = C(a1(u1), …, an(un)) with ai = ∫ 1/ti'.
//!
//! ```
//! use foil_compiler::hdfgd::{split, Granularity};
//! let f = "(tanh x)".parse().unwrap();
//! let s = split(&f, Granularity::Elementary).unwrap();
//! assert_eq!(s.terms.len(), 4); // (e^u1 - e^-u2)/(e^u3 + e^-u4)
//! ```

use crate::build::Builder;
use crate::diff::derivative;
use crate::error::DeriveError;
use crate::eval::{eval1, eval_n};
use crate::ga::{derive_global_adversarial, require_x, GaOptions, VAR};
use crate::lang::{is_constant, root, Expr, Func, Math, Requirement};
use crate::verify::Verification;
use egg::{Id, Symbol};
use serde::Serialize;
use std::collections::HashMap;

/// How finely f is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Granularity {
    /// Hyperbolic functions expanded to exponentials; atoms are x and φ(ax+b).
    #[default]
    Elementary,
    /// Functions are kept whole: atoms are x and φ(ax+b) for any φ, tanh included.
    Functions,
}

impl Granularity {
    pub const ALL: &'static [Granularity] = &[Granularity::Elementary, Granularity::Functions];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Elementary => "elementary",
            Granularity::Functions => "functions",
        }
    }
}

/// How each term's antiderivative is fixed (SPEC §4 option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TermConstant {
    /// The plain antiderivative, constant 0.
    #[default]
    Plain,
    /// ai(0) = ti(0), as GA anchors g.
    Anchored,
}

/// One term of the split: `var` is the lifted input for the occurrence `term`.
#[derive(Clone, Debug)]
pub struct Term {
    pub var: String,
    /// ti, as a function of `x`.
    pub term: Expr,
}

#[derive(Clone, Debug)]
pub struct Split {
    /// f as the split sees it (after expansion).
    pub expanded: Expr,
    pub terms: Vec<Term>,
    /// C over placeholders `t1..tn` (internal; not SPEC syntax).
    pub rule: Expr,
    /// F(u1..un) = C(t1(u1), …, tn(un)).
    pub lifted: Expr,
}

/// A place where the split adversarial is not real and finite.
#[derive(Clone, Debug, Serialize)]
pub struct Singularity {
    /// `denominator`, `log`, `sqrt` or `power`.
    pub kind: &'static str,
    /// The subexpression that reaches 0 (or goes negative), in SPEC syntax.
    pub expression: String,
    /// A point where it does, by variable.
    pub at: Vec<(String, f64)>,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct TermAdversarial {
    pub var: String,
    pub term: Expr,
    /// ai(ui).
    pub adversarial: Expr,
    /// False when ai was integrated numerically (a piecewise polynomial).
    pub closed_form: bool,
    /// For a numeric ai: bound on its error over its range.
    pub error_bound: Option<f64>,
    pub verification: Verification,
    /// How ai' = 1/ti' is verified: exact, certified on a range, or sampled.
    pub certificate: crate::certify::Certificate,
    /// For a numeric ai: its pieces, range and continuation.
    pub numeric: Option<crate::ga::NumericSummary>,
    /// ai as the f32 kernels evaluate it, where that is its own fit (in ui).
    pub kernel: Option<crate::ga::KernelForm>,
}

#[derive(Clone, Debug)]
pub struct SaResult {
    pub input: Expr,
    /// f', simplified when first asked for ([`SaResult::derivative`]): only
    /// reports show it, and the macros, which run the engine unoptimised in
    /// debug builds, never ask.
    derivative: std::sync::OnceLock<Expr>,
    /// The limits f' is simplified within.
    limits: crate::simplify::Limits,
    pub split: Split,
    pub terms: Vec<TermAdversarial>,
    /// SA(u1..un).
    pub adversarial: Expr,
    /// SA as the f32 kernels evaluate it: `adversarial` with each numeric
    /// term's kernel fit ([`TermAdversarial::kernel`]) in its place; the
    /// same expression where no term has one.
    pub kernel: Expr,
    pub singularities: Vec<Singularity>,
    /// Largest |F(x, …, x) - f(x)| relative, over the verification grid.
    pub split_max_rel_error: f64,
}

impl SaResult {
    /// f', simplified.
    pub fn derivative(&self) -> &Expr {
        self.derivative.get_or_init(|| crate::simplify::simplify(&derivative(&self.input, VAR), &self.limits).0)
    }

    pub fn singular(&self) -> bool {
        !self.singularities.is_empty()
    }

    /// Every term's adversarial in closed form?
    pub fn closed_form(&self) -> bool {
        self.terms.iter().all(|t| t.closed_form)
    }
}

/// The lifted variable names `u1..un`.
pub fn lifted_var(i: usize) -> String {
    format!("u{}", i + 1)
}

/// Expand hyperbolic functions to exponentials and fold exp∘log, so atoms are
/// as fine as the expression allows.
fn expand_to_exponentials(expr: &Expr) -> Expr {
    let mut b = Builder::new();
    let mut memo: HashMap<Id, Id> = HashMap::new();
    let r = expand(expr, root(expr), &mut b, &mut memo);
    b.finish_at(r)
}

fn exp_of(b: &mut Builder, a: Id) -> Id {
    match b.node(a).clone() {
        Math::Call(Func::Log, inner) => inner,
        Math::Neg(n) => match b.node(n).clone() {
            Math::Call(Func::Log, inner) => {
                let one = b.num(1.0);
                b.div(one, inner)
            }
            _ => b.call(Func::Exp, a),
        },
        _ => b.call(Func::Exp, a),
    }
}

/// Expanding φ(a) into exp(±a) only helps when exp(a) is itself a good atom
/// (a linear) or folds away (a = log(..), as in mish). Otherwise φ(a) stays
/// whole: one term instead of four that are no easier to integrate.
fn expands_to_atoms(expr: &Expr, a: Id) -> bool {
    if matches!(expr[a], Math::Call(Func::Log, _)) {
        return true;
    }
    let sub = crate::build::subtree(expr, a);
    let d = derivative(&sub, VAR);
    is_constant(&d, root(&d))
}

fn expand(expr: &Expr, id: Id, b: &mut Builder, memo: &mut HashMap<Id, Id>) -> Id {
    if let Some(&r) = memo.get(&id) {
        return r;
    }
    let r = match expr[id].clone() {
        Math::Call(Func::Tanh, a) | Math::Call(Func::Sinh, a) | Math::Call(Func::Cosh, a) if expands_to_atoms(expr, a) => {
            let ea = expand(expr, a, b, memo);
            let p = exp_of(b, ea);
            let na = b.neg(ea);
            let m = exp_of(b, na);
            match expr[id] {
                Math::Call(Func::Tanh, _) => {
                    let n = b.sub(p, m);
                    let d = b.add_(p, m);
                    b.div(n, d)
                }
                Math::Call(Func::Sinh, _) => {
                    let n = b.sub(p, m);
                    let two = b.num(2.0);
                    b.div(n, two)
                }
                _ => {
                    let n = b.add_(p, m);
                    let two = b.num(2.0);
                    b.div(n, two)
                }
            }
        }
        Math::Call(Func::Exp, a) => {
            let ea = expand(expr, a, b, memo);
            exp_of(b, ea)
        }
        node => {
            let node = egg::Language::map_children(node, |c| expand(expr, c, b, memo));
            b.rebuild(node)
        }
    };
    memo.insert(id, r);
    r
}

/// The operators a combination rule is made of (SPEC §3: "the arithmetic around them").
fn is_arithmetic(expr: &Expr, node: &Math) -> bool {
    match node {
        Math::Add(_) | Math::Sub(_) | Math::Mul(_) | Math::Div(_) | Math::Neg(_) => true,
        Math::Pow([_, e]) => is_constant(expr, *e),
        _ => false,
    }
}

/// Split `f` into atoms and a combination rule (SPEC §3).
pub fn split(f: &Expr, granularity: Granularity) -> Result<Split, DeriveError> {
    require_x(f)?;
    let expanded = match granularity {
        Granularity::Elementary => expand_to_exponentials(f),
        Granularity::Functions => f.clone(),
    };
    let mut terms: Vec<Term> = Vec::new();
    let mut b = Builder::new();
    let r = lift(&expanded, root(&expanded), &mut b, &mut terms);
    let rule = b.finish_at(r);
    let lifted = instantiate(&rule, &terms, |t, _| t.term.clone());
    Ok(Split { expanded, terms, rule, lifted })
}

/// Rebuild the combination around atoms, numbering atom occurrences left to right.
fn lift(expr: &Expr, id: Id, b: &mut Builder, terms: &mut Vec<Term>) -> Id {
    if is_constant(expr, id) {
        return b.copy(expr, id);
    }
    let node = expr[id].clone();
    // Anything that is not arithmetic is an atom: x, φ(ax+b), and φ(g(x)) for
    // nonlinear g, taken whole since C is arithmetic only (SPEC §3).
    if !is_arithmetic(expr, &node) {
        let placeholder = format!("t{}", terms.len() + 1);
        terms.push(Term { var: lifted_var(terms.len()), term: crate::build::subtree(expr, id) });
        return b.var(&placeholder);
    }
    let node = egg::Language::map_children(node, |c| lift(expr, c, b, terms));
    b.rebuild(node)
}

/// C with placeholder ti replaced by `value(term_i, i)` expressed in ui.
fn instantiate(rule: &Expr, terms: &[Term], value: impl Fn(&Term, usize) -> Expr) -> Expr {
    let mut b = Builder::new();
    let mut ids: HashMap<Symbol, Id> = HashMap::new();
    for (i, t) in terms.iter().enumerate() {
        let v = value(t, i);
        let ui = Symbol::from(t.var.as_str());
        let x = Symbol::from(VAR);
        let id = b.substitute(&v, root(&v), &|bb, s| (s == x).then(|| bb.var(ui.as_str())));
        ids.insert(Symbol::from(format!("t{}", i + 1)), id);
    }
    let r = b.substitute(rule, root(rule), &|_, s| ids.get(&s).copied());
    b.finish_at(r)
}

/// Derive the split adversarial of `f` (SPEC §4), verifying every term.
pub fn derive_split_adversarial(f: &Expr, granularity: Granularity, constant: TermConstant, opts: &GaOptions) -> Result<SaResult, DeriveError> {
    let sp = split(f, granularity)?;
    crate::ga::check_domain(f, VAR)?;
    let mut terms = Vec::with_capacity(sp.terms.len());
    let mut adversarials_in_x = Vec::with_capacity(sp.terms.len());
    let mut kernels_in_x = Vec::with_capacity(sp.terms.len());
    // Equal atoms share one derivation.
    let mut cache: HashMap<String, crate::ga::GaResult> = HashMap::new();
    for t in &sp.terms {
        let key = t.term.to_string();
        let ga = match cache.get(&key) {
            Some(g) => g.clone(),
            None => {
                let term_opts = GaOptions {
                    anchor: match constant {
                        TermConstant::Plain => None,
                        TermConstant::Anchored => Some(0.0),
                    },
                    ..opts.clone()
                };
                let g = derive_global_adversarial(&t.term, &term_opts).map_err(|e| match e {
                    DeriveError::DerivativeZeros { zeros, .. } => DeriveError::TermNotMonotone { term: crate::print::to_spec(&t.term), zeros },
                    DeriveError::FlatDerivative { intervals, .. } => DeriveError::TermFlat { term: crate::print::to_spec(&t.term), intervals },
                    other => other,
                })?;
                cache.insert(key, g.clone());
                g
            }
        };
        terms.push(TermAdversarial {
            var: t.var.clone(),
            term: t.term.clone(),
            adversarial: rename_x(&ga.adversarial, &t.var),
            closed_form: ga.closed_form,
            error_bound: ga.error_bound,
            verification: ga.verification,
            certificate: ga.certificate,
            numeric: ga.numeric,
            kernel: ga.kernel.as_ref().map(|k| crate::ga::KernelForm {
                adversarial: rename_x(&k.adversarial, &t.var),
                adversarial_derivative: rename_x(&k.adversarial_derivative, &t.var),
                ..k.clone()
            }),
        });
        kernels_in_x.push(ga.kernel.map(|k| k.adversarial));
        adversarials_in_x.push(ga.adversarial);
    }
    let adversarial_raw = instantiate(&sp.rule, &sp.terms, |_, i| adversarials_in_x[i].clone());
    let (adversarial, _) = crate::simplify::simplify(&adversarial_raw, &opts.limits);
    let kernel = if kernels_in_x.iter().any(Option::is_some) {
        let raw = instantiate(&sp.rule, &sp.terms, |_, i| kernels_in_x[i].clone().unwrap_or_else(|| adversarials_in_x[i].clone()));
        crate::simplify::simplify(&raw, &opts.limits).0
    } else {
        adversarial.clone()
    };
    let singularities = find_singularities(&adversarial);
    let split_max_rel_error = split_error(f, &sp);
    if split_max_rel_error > 1e-9 {
        return Err(DeriveError::Verification { reason: format!("F(x, …, x) differs from f(x) by {split_max_rel_error:.3e} (relative)") });
    }
    Ok(SaResult {
        input: f.clone(),
        derivative: std::sync::OnceLock::new(),
        limits: opts.limits.clone(),
        split: sp,
        terms,
        adversarial,
        kernel,
        singularities,
        split_max_rel_error,
    })
}

fn rename_x(e: &Expr, to: &str) -> Expr {
    let mut b = Builder::new();
    let x = Symbol::from(VAR);
    let r = b.substitute(e, root(e), &|bb, s| (s == x).then(|| bb.var(to)));
    b.finish_at(r)
}

/// max |F(x,…,x) - f(x)| / max(1, |f(x)|) over the verification grid.
pub fn split_error(f: &Expr, sp: &Split) -> f64 {
    let names: Vec<Symbol> = sp.terms.iter().map(|t| Symbol::from(t.var.as_str())).collect();
    let mut worst = 0.0f64;
    for x in crate::verify::sample_points(&[]) {
        let fx = eval1(f, VAR, x);
        let fl = eval_n(&sp.lifted, &names, &vec![x; names.len()]);
        if fx.is_finite() {
            let e = (fl - fx).abs() / fx.abs().max(1.0);
            worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
        }
    }
    worst
}

/// Where the recombined function stops being real and finite: denominators
/// that reach 0, log/sqrt arguments and the bases of powers that are not
/// whole that reach 0 or go negative ([`crate::lang::requirement`]).
pub fn find_singularities(sa: &Expr) -> Vec<Singularity> {
    let mut out: Vec<Singularity> = Vec::new();
    for node in sa.as_ref() {
        let Some((need, arg)) = crate::lang::requirement(sa, node) else { continue };
        let kind = match node {
            Math::Call(f, _) => f.name(),
            Math::Pow(_) => "power",
            _ => "denominator",
        };
        let e = crate::build::subtree(sa, arg);
        if is_constant(&e, root(&e)) {
            continue;
        }
        let text = crate::print::to_spec(&e);
        if out.iter().any(|s| s.expression == text && s.kind == kind) {
            continue;
        }
        if let Some(at) = reaches_zero(&e, need != Requirement::NonZero) {
            let place = at.iter().map(|(v, x)| format!("{v} = {}", crate::zeros::fmt9(*x))).collect::<Vec<_>>().join(", ");
            let what = match (node, need) {
                (Math::Call(Func::Log, _), _) => "the argument of log reaches 0 and goes negative",
                (Math::Call(_, _), _) => "the argument of sqrt goes negative",
                (Math::Pow(_), Requirement::NonZero) => "the base of a negative power reaches 0",
                (Math::Pow(_), _) => "the base of a power that is not whole reaches 0 or goes negative",
                _ => "the denominator reaches 0",
            };
            out.push(Singularity { kind, description: format!("{what}: {text} = 0 at {place}"), expression: text, at });
        }
    }
    out
}

/// A point where `e` is 0 (or, with `negative_too`, where it changes sign), if any.
fn reaches_zero(e: &Expr, negative_too: bool) -> Option<Vec<(String, f64)>> {
    let vars = crate::lang::variables(e);
    let names: Vec<String> = vars.iter().map(|s| s.to_string()).collect();
    let eval_at = |p: &[f64]| eval_n(e, &vars, p);
    if vars.len() == 1 {
        let z = crate::zeros::find_zeros(&|u| eval_at(&[u]));
        if let Some(&u) = z.zeros.first() {
            return Some(vec![(names[0].clone(), u)]);
        }
        if negative_too && (-64..=64).any(|k| eval_at(&[k as f64 / 4.0]) < 0.0) {
            let u = (-64..=64).map(|k| k as f64 / 4.0).find(|&u| eval_at(&[u]) < 0.0).unwrap();
            return Some(vec![(names[0].clone(), u)]);
        }
        return None;
    }
    // Several variables: sample [-8, 8]^k deterministically; a sign change
    // between two samples brackets a zero on the segment joining them.
    let k = vars.len();
    let (mut pos, mut neg): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (Vec::new(), Vec::new());
    for i in 0..4096usize {
        let p: Vec<f64> = (0..k).map(|j| (((i * (2 * j + 3) + j * 7919) as f64 * 0.618_033_988_749_895).fract() - 0.5) * 16.0).collect();
        let v = eval_at(&p);
        if v == 0.0 {
            return Some(names.iter().cloned().zip(p).collect());
        }
        if v > 0.0 && pos.len() < 8 {
            pos.push(p);
        } else if v < 0.0 && neg.len() < 8 {
            neg.push(p);
        }
        if pos.len() == 8 && neg.len() == 8 {
            break;
        }
    }
    // Bisect along segments joining a positive and a negative sample; a sign
    // change through a pole (1/(1 - exp(-u)) at u = 0) is not a zero, so try
    // another pair when the end point is not small.
    for p in &pos {
        for n in &neg {
            let (mut a, mut b) = (p.clone(), n.clone());
            let scale = eval_at(&a).abs().max(eval_at(&b).abs());
            for _ in 0..100 {
                let m: Vec<f64> = a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect();
                if eval_at(&m) > 0.0 {
                    a = m;
                } else {
                    b = m;
                }
            }
            if eval_at(&a).abs() <= 1e-9 * scale.max(1.0) {
                return Some(names.iter().cloned().zip(a).collect());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A power whose exponent is not whole is singular where its base
    /// reaches 0 or goes negative; a negative whole power where its base
    /// reaches 0; a positive whole power never.
    #[test]
    fn powers_that_are_not_whole_are_singularities_where_their_base_reaches_0() {
        let kinds = |src: &str| find_singularities(&crate::parse::parse(src).unwrap()).iter().map(|s| s.kind).collect::<Vec<_>>();
        assert_eq!(kinds("(1 - exp(-u1))^0.5 + u2"), ["power"]);
        assert_eq!(kinds("(1 - exp(-u1))^(-0.5) + u2"), ["power"]);
        assert_eq!(kinds("(u1 - 1)^(-2) + u2"), ["power"]);
        assert!(kinds("(1 + exp(-u1))^0.5 + (1 + u2^2)^(-0.5) + (u1 - 1)^3").is_empty());
        let s = &find_singularities(&crate::parse::parse("(1 - exp(-u1))^0.5").unwrap())[0];
        assert_eq!(s.at, [("u1".to_string(), 0.0)]);
    }
}
