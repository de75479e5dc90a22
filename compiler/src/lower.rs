//! The safe-form lowering: expressions hash-consed into one node list and
//! each node given the operation that computes it without overflow or
//! cancellation in f32. Every code generator reads this typed form: the
//! macros' Rust and `#[cube]` code (`foil-codegen`), and the run-time
//! register programs and JIT kernels (`foil-burn`).
//!
//! The safe form is chosen here rather than in the IR, because the printed
//! form is picked for cost and readability, the emitted one for f32: `x^2`,
//! `x^3` become products, `log(1 + a)` becomes `log1p(a)`, `exp(a) - 1`
//! becomes `expm1(a)`, `log(1 + exp(a))` becomes the softplus form
//! `max(a, 0) + log1p(exp(-|a|))`, which never overflows, and quotients of
//! exponential sums are divided through by their largest exponential.
//!
//! ```
//! use foil_compiler::{lang::{Expr, Func}, lower::{lower_exprs, SafeOp}};
//! let f: Expr = "(log (+ 1 (exp x)))".parse().unwrap();
//! let lowered = lower_exprs(&[&f]);
//! let root = usize::from(lowered.roots[0]);
//! assert!(matches!(lowered.ops[root], SafeOp::Softplus(_)));
//! # let _ = Func::Exp;
//! ```

use crate::build::Builder;
use crate::lang::{literal_value, root, Cmp, Expr, Func, Math};
use egg::{Id, Language};

/// Several expressions hash-consed into one node list and lowered to their
/// numerically safe operations: what every emitter (the macros' code, and
/// the runtime's register programs for run-time kernels) is generated from.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The shared nodes; operands precede their users.
    pub nodes: Expr,
    /// One [`SafeOp`] per node of `nodes`, same index.
    pub ops: Vec<SafeOp>,
    /// The node of each input expression, in order.
    pub roots: Vec<Id>,
    /// Whether a root reaches the node through `ops` (a rewrite such as
    /// `ln_1p` can make the `1 + a` node dead).
    pub live: Vec<bool>,
}

/// Hash-cons `exprs` into one node list (a parsed or hand-built RecExpr may
/// repeat a subtree, and the outputs of a gradient share most of theirs) and
/// pick the safe f32 form of every node.
pub fn lower_exprs(exprs: &[&Expr]) -> Lowered {
    let mut b = Builder::new();
    let roots: Vec<Id> = exprs.iter().map(|e| b.copy(e, root(e))).collect();
    let roots = normalise_exp_quotients(&mut b, &roots);
    let nodes = b.nodes().clone();
    let ops = lower(&nodes);
    let live = live_nodes(&ops, &roots);
    Lowered { nodes, ops, roots, live }
}

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
fn normalise_exp_quotients(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let roots = rebuild_bottom_up(b, roots, pull_into_quotients);
    rebuild_bottom_up(b, &roots, |b, node| match node {
        Math::Div([num, den]) => normalised_quotient(b, num, den).unwrap_or_else(|| b.add(node)),
        node => b.add(node),
    })
}

/// Rebuild what `roots` reach, children before parents: `rebuild` gets each
/// node with its children already rebuilt and returns the node's new id.
///
/// Iterative: derived expressions can be thousands of levels deep (a
/// recursive walk overflowed the stack of a macro expansion there).
fn rebuild_bottom_up(b: &mut Builder, roots: &[Id], mut rebuild: impl FnMut(&mut Builder, Math) -> Id) -> Vec<Id> {
    let mut new: std::collections::HashMap<Id, Id> = std::collections::HashMap::new();
    let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
    while let Some((id, children_done)) = stack.pop() {
        if new.contains_key(&id) {
            continue;
        }
        let node = b.node(id).clone();
        if !children_done {
            stack.push((id, true));
            stack.extend(node.children().iter().rev().filter(|c| !new.contains_key(c)).map(|&c| (c, false)));
            continue;
        }
        let node = node.map_children(|c| new[&c]);
        let id2 = rebuild(b, node);
        new.insert(id, id2);
    }
    roots.iter().map(|r| new[r]).collect()
}

/// `E · (p / q)` as `(E · p) / q` when `E` holds exponentials, so that the
/// normalisation of the quotient also scales `E` (`e^89 · (u/(1 - e^89)^2)`
/// would otherwise be inf · 0). `node`'s children are already pulled.
fn pull_into_quotients(b: &mut Builder, node: Math) -> Id {
    match node {
        Math::Mul([p, q]) => match (b.node(p).clone(), b.node(q).clone()) {
            (_, Math::Div([a, c])) if holds_exp(b, p) && b.value(a).is_none() => {
                let num = pull_into_quotients(b, Math::Mul([p, a]));
                b.add(Math::Div([num, c]))
            }
            (Math::Div([a, c]), _) if holds_exp(b, q) && b.value(a).is_none() => {
                let num = pull_into_quotients(b, Math::Mul([a, q]));
                b.add(Math::Div([num, c]))
            }
            _ => b.add(node),
        },
        node => b.add(node),
    }
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
    let (sum, power) = match *b.node(den) {
        Math::Pow([s, k]) => match b.value(k) {
            Some(k) if k >= 1.0 && k <= 4.0 && k == k.trunc() => (s, k as u32),
            _ => (den, 1),
        },
        _ => (den, 1),
    };
    let (mut exponents, mut other) = (Vec::new(), false);
    exp_terms(b, sum, false, &mut exponents, &mut other);
    if exponents.is_empty() {
        return None;
    }
    let (mut num_exponents, mut num_other) = (Vec::new(), false);
    exp_terms(b, num, true, &mut num_exponents, &mut num_other);
    if let Some((a, sign)) = one_minus_exp(b, sum) {
        if power == 1 && num_exponents.is_empty() {
            return None;
        }
        // (1 - e^a)·e^-max(a, 0) is -expm1(a) for a ≤ 0 and expm1(-a) for
        // a > 0: sign(a)·expm1(-|a|), accurate near the pole a = 0 too.
        let zero = b.num(0.0);
        let m = b.add(Math::Max([a, zero]));
        let neg_m = b.add(Math::Neg(m));
        let scale = b.add(Math::Call(Func::Exp, neg_m));
        let abs = b.add(Math::Call(Func::Abs, a));
        let neg_abs = b.add(Math::Neg(abs));
        let small = b.add(Math::Call(Func::Expm1, neg_abs));
        let sgn = b.add(Math::Call(Func::Sign, a));
        let mut scaled_sum = b.add(Math::Mul([sgn, small]));
        if sign < 0.0 {
            scaled_sum = b.add(Math::Neg(scaled_sum));
        }
        let mut memo = std::collections::HashMap::new();
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
    let m = exponents[1..].iter().fold(exponents[0], |acc, &e| b.add(Math::Max([acc, e])));
    let neg_m = b.add(Math::Neg(m));
    let scale = b.add(Math::Call(Func::Exp, neg_m));
    let mut memo = std::collections::HashMap::new();
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

/// `1 - e^a` as `(a, 1)`, `e^a - 1` as `(a, -1)`.
fn one_minus_exp(b: &Builder, id: Id) -> Option<(Id, f64)> {
    let Math::Sub([p, q]) = *b.node(id) else { return None };
    match (b.value(p), b.node(q), b.node(p), b.value(q)) {
        (Some(1.0), &Math::Call(Func::Exp, a), _, _) => Some((a, 1.0)),
        (_, _, &Math::Call(Func::Exp, a), Some(1.0)) => Some((a, -1.0)),
        _ => None,
    }
}

/// Multiplication by `e^-(n·m)` pushed into sums, onto exponentials
/// (`e^a · e^-m = e^(a-m)`) and spread over the factors of products, so that
/// no intermediate overflows.
struct Scaling<'a> {
    m: Id,
    /// The node `e^-m`.
    scale: Id,
    memo: &'a mut std::collections::HashMap<(Id, u32), Id>,
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
                let shift = if n == 1 {
                    self.m
                } else {
                    let k = b.num(n as f64);
                    b.add(Math::Mul([k, self.m]))
                };
                let shifted = b.add(Math::Sub([e, shift]));
                b.add(Math::Call(Func::Exp, shifted))
            }
            // Both factors hold exponentials: each takes its share.
            Math::Mul([p, q]) if holds_exp(b, p) && holds_exp(b, q) => {
                let (p, q) = (self.scaled(b, p, n.div_ceil(2)), self.scaled(b, q, n / 2));
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

    /// `id · e^-(n·m)` by repeated multiplication (for factors without exponentials).
    fn scaled_more(&mut self, b: &mut Builder, id: Id, n: u32) -> Id {
        (0..n).fold(id, |acc, _| b.add(Math::Mul([acc, self.scale])))
    }
}

/// The operation that computes one node, after the safe-form rewrites;
/// operands are node ids of [`Lowered::nodes`].
#[derive(Clone, Debug, PartialEq)]
pub enum SafeOp {
    /// Variable or literal: inlined where used.
    Leaf,
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Neg(Id),
    /// An elementary function (`log1p(a)` for `log(1 + a)`, `expm1(a)` for
    /// `exp(a) - 1`, `sqrt(a)` for `a^0.5`).
    Call(Func, Id),
    Min(Id, Id),
    Max(Id, Id),
    /// `a^b`, real `b`.
    Powf(Id, Id),
    /// `a^k`, integer `k` other than 2 and 3.
    Powi(Id, i32),
    /// A product of several factors (`a·a` for `a^2`, `a·a·a` for `a^3`).
    Product(Vec<Id>),
    /// 0 or 1 as a number, a boolean as a condition.
    Compare(Cmp, Id, Id),
    /// `where(c, a, b)`: `a` where `c` is nonzero (or true), else `b`.
    Where(Id, Id, Id),
    /// log(1 + exp(a)) as max(a, 0) + log1p(exp(-|a|)).
    Softplus(Id),
    /// 1 - exp(a) as -expm1(a).
    NegExpm1(Id),
}

impl SafeOp {
    /// The nodes this operation reads.
    pub fn operands(&self) -> Vec<Id> {
        match self {
            SafeOp::Leaf => vec![],
            SafeOp::Neg(a) | SafeOp::Call(_, a) | SafeOp::Powi(a, _) | SafeOp::Softplus(a) | SafeOp::NegExpm1(a) => vec![*a],
            SafeOp::Add(a, b)
            | SafeOp::Sub(a, b)
            | SafeOp::Mul(a, b)
            | SafeOp::Div(a, b)
            | SafeOp::Min(a, b)
            | SafeOp::Max(a, b)
            | SafeOp::Powf(a, b)
            | SafeOp::Compare(_, a, b) => vec![*a, *b],
            SafeOp::Product(v) => v.clone(),
            SafeOp::Where(c, a, b) => vec![*c, *a, *b],
        }
    }
}

/// One [`SafeOp`] per node of `expr`, indices preserved.
fn lower(expr: &Expr) -> Vec<SafeOp> {
    let lit = |id: Id| literal_value(&expr[id]);
    let log1p = |a: Id| log1p(expr, a);
    expr.as_ref()
        .iter()
        .map(|node| match *node {
            Math::Num(_) | Math::Pi | Math::Euler | Math::Var(_) => SafeOp::Leaf,
            Math::Add([a, b]) => SafeOp::Add(a, b),
            Math::Sub([a, b]) => match (&expr[a], lit(b), lit(a), &expr[b]) {
                (Math::Call(Func::Exp, inner), Some(1.0), _, _) => SafeOp::Call(Func::Expm1, *inner),
                // 1 - exp(a) cancels near a = 0 (the poles of split adversarials).
                (_, _, Some(1.0), Math::Call(Func::Exp, inner)) => SafeOp::NegExpm1(*inner),
                _ => SafeOp::Sub(a, b),
            },
            Math::Mul([a, b]) => SafeOp::Mul(a, b),
            Math::Div([a, b]) => SafeOp::Div(a, b),
            Math::Neg(a) => SafeOp::Neg(a),
            Math::Pow([a, b]) => power(a, b, lit(b)),
            Math::Call(Func::Log, a) => match expr[a] {
                Math::Add([p, q]) if lit(p) == Some(1.0) => log1p(q),
                Math::Add([p, q]) if lit(q) == Some(1.0) => log1p(p),
                _ => SafeOp::Call(Func::Log, a),
            },
            Math::Call(Func::Log1p, a) => log1p(a),
            Math::Call(f, a) => SafeOp::Call(f, a),
            Math::Min([a, b]) => SafeOp::Min(a, b),
            Math::Max([a, b]) => SafeOp::Max(a, b),
            Math::Compare(c, [a, b]) => SafeOp::Compare(c, a, b),
            Math::Where([c, a, b]) => SafeOp::Where(c, a, b),
        })
        .collect()
}

/// log1p(a), or the softplus form when a = exp(b) (log1p(exp(b)) overflows for b > 88).
fn log1p(expr: &Expr, a: Id) -> SafeOp {
    match expr[a] {
        Math::Call(Func::Exp, b) => SafeOp::Softplus(b),
        _ => SafeOp::Call(Func::Log1p, a),
    }
}

fn power(a: Id, b: Id, exponent: Option<f64>) -> SafeOp {
    match exponent {
        Some(2.0) => SafeOp::Product(vec![a, a]),
        Some(3.0) => SafeOp::Product(vec![a, a, a]),
        Some(0.5) => SafeOp::Call(Func::Sqrt, a),
        Some(n) if n == n.trunc() && n.abs() <= i32::MAX as f64 => SafeOp::Powi(a, n as i32),
        _ => SafeOp::Powf(a, b),
    }
}

/// Nodes the root reaches through the lowered operations (a rewrite such as
/// `ln_1p` can make the `1 + a` node dead).
pub fn live_nodes(ops: &[SafeOp], roots: &[Id]) -> Vec<bool> {
    let mut live = vec![false; ops.len()];
    for r in roots {
        live[usize::from(*r)] = true;
    }
    for i in (0..ops.len()).rev() {
        if live[i] {
            for c in ops[i].operands() {
                live[usize::from(c)] = true;
            }
        }
    }
    live
}

