//! Source for an [`Expr`], in two targets that share one lowering:
//!
//! - scalar Rust, generic over `::foil::Float` ([`rust_scalar_fn`],
//!   [`rust_scalar_body`], [`rust_scalar_multi`]);
//! - cubecl `#[cube]` code over `Vector<F, N>` ([`cube_body`],
//!   [`cube_multi`]): operators on vectors, `where` as a lane-wise
//!   `select_many`, `min`/`max` as the prelude functions, and the functions
//!   whose GPU builtins are inaccurate or unsafe in f32 (`log1p`, `expm1`,
//!   `tanh`, `sinh`, `cosh`, `asinh`, `erf`, `erfi`, `sign`) as calls to the
//!   `#[cube]` helpers in `::foil::kernels::math`.
//!
//! A subexpression shared in the e-graph is computed once, in a `let`, also
//! across the several outputs of a gradient; an operation read once is
//! written where it is read (up to a nesting depth), and leaves (variables,
//! literals) are inlined. The numerically safe form is
//! chosen here rather than in the IR, because the printed form is picked for
//! cost and readability, the emitted one for f32: `x^2`, `x^3` become
//! multiplications, `log(1 + a)` becomes `ln_1p(a)`, `exp(a) - 1` becomes
//! `exp_m1(a)`, and `log(1 + exp(a))` becomes the softplus form
//! `max(a, 0) + log1p(exp(-|a|))`, which never overflows.
//!
//! ```
//! use foil_compiler::{emit::rust_scalar_fn, lang::Expr};
//! let f: Expr = "(log (+ 1 (exp x)))".parse().unwrap();
//! let src = rust_scalar_fn("softplus", &f, &["x"]).to_string();
//! assert!(src.contains("ln_1p") && src.contains("max"));
//! ```

use crate::build::Builder;
use crate::lang::{literal_value, root, Expr, Math};
use egg::{Id, Language};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

/// What the emitted code is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Scalar Rust over `F: ::foil::Float`.
    Rust,
    /// cubecl `#[cube]` code over `Vector<F, N>` (`F: Float`, `N: Size`).
    Cube,
}

/// `pub fn NAME<F: ::foil::Float>(x: F) -> F { ... }`, one parameter per name
/// in `vars` (in that order).
pub fn rust_scalar_fn(name: &str, expr: &Expr, vars: &[&str]) -> TokenStream {
    let name = Ident::new(name, Span::call_site());
    let params = vars.iter().map(|v| Ident::new(v, Span::call_site()));
    let body = rust_scalar_body(expr, vars);
    quote! {
        #[allow(clippy::all, unused_parens)]
        pub fn #name<F: ::foil::Float>(#(#params: F),*) -> F { #body }
    }
}

/// The statements and tail expression of [`rust_scalar_fn`], for callers that
/// supply their own signature (trait methods). Parameters named in `vars`
/// must be in scope as values of a type `F: ::foil::Float`.
pub fn rust_scalar_body(expr: &Expr, vars: &[&str]) -> TokenStream {
    let (stmts, results) = emit_ssa(&[expr], vars, Target::Rust);
    let result = &results[0];
    quote! { #stmts #result }
}

/// Several outputs over the same inputs (a gradient), sharing every common
/// subexpression: the statements, then one value expression per output.
pub fn rust_scalar_multi(exprs: &[&Expr], vars: &[&str]) -> (TokenStream, Vec<TokenStream>) {
    emit_ssa(exprs, vars, Target::Rust)
}

/// The body of a `#[cube]` function of `vars: Vector<F, N>` returning
/// `Vector<F, N>` (statements and tail expression).
pub fn cube_body(expr: &Expr, vars: &[&str]) -> TokenStream {
    let (stmts, results) = emit_ssa(&[expr], vars, Target::Cube);
    let result = &results[0];
    quote! { #stmts #result }
}

/// [`rust_scalar_multi`] for `#[cube]` code.
pub fn cube_multi(exprs: &[&Expr], vars: &[&str]) -> (TokenStream, Vec<TokenStream>) {
    emit_ssa(exprs, vars, Target::Cube)
}

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

/// How deep single-use operations nest inside one emitted expression before
/// the emitter names one with a `let`: readable, and far from rustc's limits
/// (a 20,000-term sum is a chain of single uses).
const INLINE_DEPTH: usize = 12;

fn emit_ssa(exprs: &[&Expr], vars: &[&str], target: Target) -> (TokenStream, Vec<TokenStream>) {
    let Lowered { nodes: expr, ops, roots, live } = lower_exprs(exprs);
    let named = named_operations(&ops, &live, &roots);
    let mut e = Emitter { expr: &expr, ops: &ops, target, out: TokenStream::new(), inline: vec![None; ops.len()] };
    for (i, op) in ops.iter().enumerate() {
        if live[i] && !matches!(op, SafeOp::Leaf) {
            let rhs = e.rhs(op);
            if named[i] {
                let t = temp(Id::from(i));
                e.out.extend(quote! { let #t = #rhs; });
            } else {
                // Calls bind tighter than anything they sit in; the rest
                // keep their precedence with parentheses.
                let call = matches!(op, SafeOp::Call(..) | SafeOp::Call2(..)) || (target == Target::Rust && matches!(op, SafeOp::Powi(..)));
                e.inline[i] = Some(if call { rhs } else { quote! { (#rhs) } });
            }
        }
    }
    if target == Target::Rust {
        // Parameters the expression does not read would warn in user code
        // (kernel modules allow `unused_variables` instead).
        for v in vars {
            if !expr.as_ref().iter().any(|n| matches!(n, Math::Var(s) if s.as_str() == *v)) {
                let v = Ident::new(v, Span::call_site());
                e.out.extend(quote! { let _ = #v; });
            }
        }
    }
    let results = roots.iter().map(|&r| e.number(r)).collect();
    (e.out, results)
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
    let mut pulled: std::collections::HashMap<Id, Id> = std::collections::HashMap::new();
    let roots: Vec<Id> = roots.iter().map(|&r| pull_into_quotients(b, r, &mut pulled)).collect();
    let mut done: std::collections::HashMap<Id, Id> = std::collections::HashMap::new();
    roots.iter().map(|&r| normalise_node(b, r, &mut done)).collect()
}

/// `E · (p / q)` as `(E · p) / q` when `E` holds exponentials, so that the
/// normalisation of the quotient also scales `E` (`e^89 · (u/(1 - e^89)^2)`
/// would otherwise be inf · 0).
fn pull_into_quotients(b: &mut Builder, id: Id, done: &mut std::collections::HashMap<Id, Id>) -> Id {
    if let Some(&n) = done.get(&id) {
        return n;
    }
    let node = b.node(id).clone().map_children(|c| pull_into_quotients(b, c, done));
    let new = match node {
        Math::Mul([p, q]) => match (b.node(p).clone(), b.node(q).clone()) {
            (_, Math::Div([a, c])) if holds_exp(b, p) && b.value(a).is_none() => {
                let num = b.add(Math::Mul([p, a]));
                let num = pull_into_quotients(b, num, done);
                b.add(Math::Div([num, c]))
            }
            (Math::Div([a, c]), _) if holds_exp(b, q) && b.value(a).is_none() => {
                let num = b.add(Math::Mul([a, q]));
                let num = pull_into_quotients(b, num, done);
                b.add(Math::Div([num, c]))
            }
            _ => b.add(node),
        },
        node => b.add(node),
    };
    done.insert(id, new);
    new
}

/// A sum of exponentials, or a product with such a factor.
fn holds_exp(b: &Builder, id: Id) -> bool {
    match *b.node(id) {
        Math::Add(_) | Math::Sub(_) | Math::Neg(_) | Math::Exp(_) => true,
        Math::Mul([p, q]) => holds_exp(b, p) || holds_exp(b, q),
        Math::Div([p, _]) => holds_exp(b, p),
        _ => false,
    }
}

fn normalise_node(b: &mut Builder, id: Id, done: &mut std::collections::HashMap<Id, Id>) -> Id {
    if let Some(&n) = done.get(&id) {
        return n;
    }
    let node = b.node(id).clone().map_children(|c| normalise_node(b, c, done));
    let new = match node {
        Math::Div([num, den]) => normalised_quotient(b, num, den).unwrap_or_else(|| b.add(node)),
        node => b.add(node),
    };
    done.insert(id, new);
    new
}

/// The terms of a signed sum (through `+`, `-`, `neg` and literal factors):
/// the exponents of its exponential terms, and whether any other term exists.
/// With `products`, a product of two sums counts as its factors' terms (a
/// numerator, whose factors [`Scaling`] scales separately).
fn exp_terms(b: &Builder, id: Id, products: bool, exponents: &mut Vec<Id>, other: &mut bool) {
    let sum_like = |id: Id| matches!(b.node(id), Math::Add(_) | Math::Sub(_) | Math::Neg(_) | Math::Exp(_));
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
        Math::Exp(e) => exponents.push(e),
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
        let scale = b.add(Math::Exp(neg_m));
        let abs = b.add(Math::Abs(a));
        let neg_abs = b.add(Math::Neg(abs));
        let small = b.add(Math::Expm1(neg_abs));
        let sgn = b.add(Math::Sign(a));
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
    let scale = b.add(Math::Exp(neg_m));
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
        (Some(1.0), &Math::Exp(a), _, _) => Some((a, 1.0)),
        (_, _, &Math::Exp(a), Some(1.0)) => Some((a, -1.0)),
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
            Math::Exp(e) => {
                let shift = if n == 1 {
                    self.m
                } else {
                    let k = b.num(n as f64);
                    b.add(Math::Mul([k, self.m]))
                };
                let shifted = b.add(Math::Sub([e, shift]));
                b.add(Math::Exp(shifted))
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

/// The operation emitted for one node, after the safe-form rewrites. Names
/// of functions are those of `::foil::Float` (`ln_1p`, `exp_m1`, `signum`,
/// `powf`, ...); operands are node ids of [`Lowered::nodes`].
#[derive(Clone, Debug)]
pub enum SafeOp {
    /// Variable or literal: inlined where used.
    Leaf,
    Bin(&'static str, Id, Id),
    Neg(Id),
    /// `F::name(a)` for a `Float` method of one argument.
    Call(&'static str, Id),
    /// `F::name(a, b)` (`min`, `max`, `powf`).
    Call2(&'static str, Id, Id),
    Powi(Id, i32),
    Mul(Vec<Id>),
    Cmp(&'static str, Id, Id),
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
            SafeOp::Bin(_, a, b) | SafeOp::Call2(_, a, b) | SafeOp::Cmp(_, a, b) => vec![*a, *b],
            SafeOp::Mul(v) => v.clone(),
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
            Math::Add([a, b]) => SafeOp::Bin("+", a, b),
            Math::Sub([a, b]) => match (&expr[a], lit(b), lit(a), &expr[b]) {
                (Math::Exp(inner), Some(1.0), _, _) => SafeOp::Call("exp_m1", *inner),
                // 1 - exp(a) cancels near a = 0 (the poles of split adversarials).
                (_, _, Some(1.0), Math::Exp(inner)) => SafeOp::NegExpm1(*inner),
                _ => SafeOp::Bin("-", a, b),
            },
            Math::Mul([a, b]) => SafeOp::Bin("*", a, b),
            Math::Div([a, b]) => SafeOp::Bin("/", a, b),
            Math::Neg(a) => SafeOp::Neg(a),
            Math::Pow([a, b]) => power(a, b, lit(b)),
            Math::Log(a) => match expr[a] {
                Math::Add([p, q]) if lit(p) == Some(1.0) => log1p(q),
                Math::Add([p, q]) if lit(q) == Some(1.0) => log1p(p),
                _ => SafeOp::Call("ln", a),
            },
            Math::Log1p(a) => log1p(a),
            Math::Min([a, b]) => SafeOp::Call2("min", a, b),
            Math::Max([a, b]) => SafeOp::Call2("max", a, b),
            Math::Lt([a, b]) => SafeOp::Cmp("<", a, b),
            Math::Le([a, b]) => SafeOp::Cmp("<=", a, b),
            Math::Gt([a, b]) => SafeOp::Cmp(">", a, b),
            Math::Ge([a, b]) => SafeOp::Cmp(">=", a, b),
            Math::Where([c, a, b]) => SafeOp::Where(c, a, b),
            ref unary => SafeOp::Call(float_method(unary), unary.children()[0]),
        })
        .collect()
}

/// log1p(a), or the softplus form when a = exp(b) (log1p(exp(b)) overflows for b > 88).
fn log1p(expr: &Expr, a: Id) -> SafeOp {
    match expr[a] {
        Math::Exp(b) => SafeOp::Softplus(b),
        _ => SafeOp::Call("ln_1p", a),
    }
}

fn power(a: Id, b: Id, exponent: Option<f64>) -> SafeOp {
    match exponent {
        Some(2.0) => SafeOp::Mul(vec![a, a]),
        Some(3.0) => SafeOp::Mul(vec![a, a, a]),
        Some(0.5) => SafeOp::Call("sqrt", a),
        Some(n) if n == n.trunc() && n.abs() <= i32::MAX as f64 => SafeOp::Powi(a, n as i32),
        _ => SafeOp::Call2("powf", a, b),
    }
}

/// The `Float` method for a unary node.
fn float_method(node: &Math) -> &'static str {
    match node {
        Math::Exp(_) => "exp",
        Math::Log(_) => "ln",
        Math::Log1p(_) => "ln_1p",
        Math::Expm1(_) => "exp_m1",
        Math::Sqrt(_) => "sqrt",
        Math::Abs(_) => "abs",
        Math::Sign(_) => "signum",
        Math::Sin(_) => "sin",
        Math::Cos(_) => "cos",
        Math::Atan(_) => "atan",
        Math::Sinh(_) => "sinh",
        Math::Cosh(_) => "cosh",
        Math::Tanh(_) => "tanh",
        Math::Asinh(_) => "asinh",
        Math::Erf(_) => "erf",
        Math::Erfi(_) => "erfi",
        other => unreachable!("not a unary function: {other:?}"),
    }
}

/// How many `let`s the emitted code of `exprs` holds (the same for both
/// targets), without emitting it: what the macros' size guard bounds.
pub fn temporaries(exprs: &[&Expr]) -> usize {
    let Lowered { ops, roots, live, .. } = lower_exprs(exprs);
    named_operations(&ops, &live, &roots).iter().filter(|&&n| n).count()
}

/// Which live operations the emitted code names with a `let`. A value read
/// once is written where it is read (an SSA chain of `let`s per operation is
/// hard to read, and a long one overflows rustc's stack), unless that would
/// nest deeper than [`INLINE_DEPTH`]; shared values get a name.
fn named_operations(ops: &[SafeOp], live: &[bool], roots: &[Id]) -> Vec<bool> {
    let uses = textual_uses(ops, live, roots);
    let (mut named, mut depth) = (vec![false; ops.len()], vec![0usize; ops.len()]);
    for (i, op) in ops.iter().enumerate() {
        if live[i] && !matches!(op, SafeOp::Leaf) {
            let d = 1 + op.operands().iter().map(|c| depth[usize::from(*c)]).max().unwrap_or(0);
            if uses[i] == 1 && d <= INLINE_DEPTH {
                depth[i] = d;
            } else {
                named[i] = true;
            }
        }
    }
    named
}

/// How many times each node's value is written out in the emitted code: once
/// per operand slot of a live operation and per root; softplus and small
/// powers write their operand more than once, so they count as two.
fn textual_uses(ops: &[SafeOp], live: &[bool], roots: &[Id]) -> Vec<usize> {
    let mut uses = vec![0usize; ops.len()];
    for r in roots {
        uses[usize::from(*r)] += 1;
    }
    for (op, _) in ops.iter().zip(live).filter(|(_, l)| **l) {
        let weight = if matches!(op, SafeOp::Softplus(_) | SafeOp::Powi(..)) { 2 } else { 1 };
        for c in op.operands() {
            uses[usize::from(c)] += weight;
        }
    }
    uses
}

/// Nodes the root reaches through the lowered operations (a rewrite such as
/// `ln_1p` can make the `1 + a` node dead).
fn live_nodes(ops: &[SafeOp], roots: &[Id]) -> Vec<bool> {
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

/// `inner` for a token stream that is one parenthesised group `(inner)`:
/// an argument needs no parentheses of its own.
fn unparenthesised(ts: TokenStream) -> TokenStream {
    let mut it = ts.clone().into_iter();
    match (it.next(), it.next()) {
        (Some(proc_macro2::TokenTree::Group(g)), None) if g.delimiter() == proc_macro2::Delimiter::Parenthesis => g.stream(),
        _ => ts,
    }
}

fn temp(id: Id) -> Ident {
    format_ident!("t{}", usize::from(id))
}

struct Emitter<'a> {
    expr: &'a Expr,
    ops: &'a [SafeOp],
    target: Target,
    out: TokenStream,
    /// The parenthesised expression of each node written where it is used.
    inline: Vec<Option<TokenStream>>,
}

impl Emitter<'_> {
    fn is_bool(&self, id: Id) -> bool {
        matches!(self.ops[usize::from(id)], SafeOp::Cmp(..))
    }

    fn cube(&self) -> bool {
        self.target == Target::Cube
    }

    /// A literal of the target's value type.
    fn literal(&self, v: f64) -> TokenStream {
        match self.target {
            Target::Rust => float_literal(v),
            Target::Cube => cube_literal(v),
        }
    }

    /// A value of the target's value type for node `id` (comparisons used as
    /// numbers are 0/1, as in the f64 evaluator).
    fn number(&self, id: Id) -> TokenStream {
        if self.is_bool(id) {
            let t = self.named(id);
            return match self.target {
                Target::Rust => quote! { (if #t { F::one() } else { F::zero() }) },
                Target::Cube => quote! { select_many(#t, Vector::<F, N>::new(F::new(1.0)), Vector::<F, N>::zero()) },
            };
        }
        self.operand(id)
    }

    /// A condition (`bool`, or `Vector<bool, N>` lane-wise) for node `id`.
    fn condition(&self, id: Id) -> TokenStream {
        if self.is_bool(id) {
            let t = self.named(id);
            return quote! { #t };
        }
        let v = self.number(id);
        match self.target {
            Target::Rust => quote! { (#v != F::zero()) },
            Target::Cube => quote! { #v.not_equal(&Vector::<F, N>::zero()) },
        }
    }

    fn operand(&self, id: Id) -> TokenStream {
        match &self.expr[id] {
            Math::Var(s) => {
                let v = Ident::new(s.as_str(), Span::call_site());
                quote! { #v }
            }
            Math::Pi => self.literal(std::f64::consts::PI),
            Math::Euler => self.literal(std::f64::consts::E),
            Math::Num(c) => self.literal(c.into_inner()),
            _ => self.named(id),
        }
    }

    /// An operation's value: its expression when written in place, else its `let`.
    fn named(&self, id: Id) -> TokenStream {
        match &self.inline[usize::from(id)] {
            Some(expr) => expr.clone(),
            None => {
                let t = temp(id);
                quote! { #t }
            }
        }
    }

    /// `name(a)` for a unary function of the target.
    fn call(&self, f: &str, a: TokenStream) -> TokenStream {
        if !self.cube() {
            let f = Ident::new(f, Span::call_site());
            let a = unparenthesised(a);
            return quote! { F::#f(#a) };
        }
        // Builtins that are exact enough on every backend are methods; the
        // rest go through foil's helpers.
        let helper = match f {
            "ln_1p" => "log1p",
            "exp_m1" => "expm1",
            "signum" => "sign",
            "tanh" | "sinh" | "cosh" | "asinh" | "erf" | "erfi" => f,
            _ => {
                // A method's receiver keeps its parentheses: `(x * 2).exp()`.
                let f = Ident::new(f, Span::call_site());
                return quote! { #a.#f() };
            }
        };
        let helper = Ident::new(helper, Span::call_site());
        let a = unparenthesised(a);
        quote! { ::foil::kernels::math::#helper::<F, N>(#a) }
    }

    fn rhs(&self, op: &SafeOp) -> TokenStream {
        let n = |id: &Id| self.number(*id);
        match op {
            SafeOp::Leaf => unreachable!("leaves are inlined"),
            SafeOp::Bin(sym, a, b) => {
                let sym: TokenStream = sym.parse().expect("operator token");
                let (a, b) = (n(a), n(b));
                quote! { #a #sym #b }
            }
            SafeOp::Neg(a) => {
                let a = n(a);
                quote! { -#a }
            }
            SafeOp::Call(f, a) => self.call(f, n(a)),
            SafeOp::Call2(f, a, b) => {
                let (a, b) = (n(a), unparenthesised(n(b)));
                match (self.target, *f) {
                    (Target::Cube, "powf") => quote! { #a.powf(#b) },
                    (Target::Cube, _) => {
                        let (f, a) = (Ident::new(f, Span::call_site()), unparenthesised(a));
                        quote! { #f(#a, #b) }
                    }
                    (Target::Rust, _) => {
                        let (f, a) = (Ident::new(f, Span::call_site()), unparenthesised(a));
                        quote! { F::#f(#a, #b) }
                    }
                }
            }
            SafeOp::Powi(a, k) => {
                let a = n(a);
                match self.target {
                    Target::Rust => {
                        let k = Literal::i32_unsuffixed(*k);
                        quote! { F::powi(#a, #k) }
                    }
                    // Small integer powers as products (no pow of a negative base).
                    Target::Cube if k.unsigned_abs() <= 8 && *k != 0 => {
                        let fs = (1..k.unsigned_abs()).map(|_| a.clone());
                        let product = quote! { #a #(* #fs)* };
                        if *k < 0 {
                            quote! { Vector::<F, N>::new(F::new(1.0)) / (#product) }
                        } else {
                            product
                        }
                    }
                    Target::Cube => {
                        let k = cube_literal(*k as f64);
                        quote! { #a.powf(#k) }
                    }
                }
            }
            SafeOp::Mul(factors) => {
                // `#(..)**` would read as a repetition without separator.
                let mut fs = factors.iter().map(n);
                let first = fs.next().expect("a product has factors");
                quote! { #first #(* #fs)* }
            }
            SafeOp::Cmp(sym, a, b) => {
                let (a, b) = (n(a), n(b));
                match self.target {
                    Target::Rust => {
                        let sym: TokenStream = sym.parse().expect("comparison token");
                        quote! { #a #sym #b }
                    }
                    Target::Cube => {
                        let method = match *sym {
                            "<" => "less_than",
                            "<=" => "less_equal",
                            ">" => "greater_than",
                            _ => "greater_equal",
                        };
                        let method = Ident::new(method, Span::call_site());
                        quote! { #a.#method(&#b) }
                    }
                }
            }
            SafeOp::Where(c, a, b) => {
                let (c, a, b) = (self.condition(*c), n(a), n(b));
                match self.target {
                    Target::Rust => quote! { if #c { #a } else { #b } },
                    // Lane-wise; both sides are evaluated (their NaNs are not selected).
                    Target::Cube => quote! { select_many(#c, #a, #b) },
                }
            }
            SafeOp::NegExpm1(a) => {
                let e = self.call("exp_m1", n(a));
                quote! { -#e }
            }
            SafeOp::Softplus(a) => {
                let a = n(a);
                match self.target {
                    Target::Rust => quote! { F::max(#a, F::zero()) + F::ln_1p(F::exp(-F::abs(#a))) },
                    Target::Cube => {
                        quote! { max(#a, Vector::<F, N>::zero()) + ::foil::kernels::math::log1p::<F, N>((-#a.abs()).exp()) }
                    }
                }
            }
        }
    }
}

/// `F::from_f64(v)`, with the sign outside the literal token (a literal token
/// may not carry a minus sign).
fn float_literal(v: f64) -> TokenStream {
    if !v.is_finite() {
        return if v > 0.0 { quote! { F::from_f64(f64::INFINITY) } } else { quote! { F::from_f64(f64::NEG_INFINITY) } };
    }
    let lit = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote! { F::from_f64(-#lit) }
    } else {
        quote! { F::from_f64(#lit) }
    }
}

/// `Vector::<F, N>::new(F::new(v))`: cubecl constants are f32 literals.
fn cube_literal(v: f64) -> TokenStream {
    let v = v as f32;
    let lit = if v.is_finite() {
        let l = Literal::f32_suffixed(v.abs());
        if v.is_sign_negative() {
            quote! { -#l }
        } else {
            quote! { #l }
        }
    } else if v > 0.0 {
        quote! { f32::INFINITY }
    } else {
        quote! { f32::NEG_INFINITY }
    };
    quote! { Vector::<F, N>::new(F::new(#lit)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> String {
        rust_scalar_body(&s.parse().unwrap(), &["x"]).to_string()
    }

    #[test]
    fn safe_forms() {
        assert!(body("(log (+ 1 (exp x)))").contains("F :: ln_1p (F :: exp (- F :: abs (x)))"), "{}", body("(log (+ 1 (exp x)))"));
        assert!(body("(log (+ 1 (sin x)))").contains("F :: ln_1p (F :: sin (x))"), "{}", body("(log (+ 1 (sin x)))"));
        assert!(body("(- (exp x) 1)").contains("F :: exp_m1 (x)"));
        assert!(body("(- 1 (exp x))").contains("- F :: exp_m1 (x)"), "{}", body("(- 1 (exp x))"));
        assert!(body("(^ x 2)").contains("x * x"), "{}", body("(^ x 2)"));
        assert!(body("(^ x 3)").contains("x * x * x"));
        assert!(body("(^ x 5)").contains("F :: powi (x , 5)"));
        assert!(body("(^ x 0.7)").contains("F :: powf"));
    }

    #[test]
    fn shared_subexpressions_are_computed_once() {
        let b = body("(+ (exp x) (* 2 (exp x)))");
        assert_eq!(b.matches("F :: exp").count(), 1, "{b}");
    }

    #[test]
    fn values_read_once_are_written_in_place() {
        let b = body("(+ (* 0.5 x) (* 0.25 (sinh (* 2 x))))");
        assert!(!b.contains("let "), "{b}");
        assert!(b.contains("F :: sinh (F :: from_f64 (2f64) * x)") || b.contains("F :: sinh (x * F :: from_f64 (2f64))"), "{b}");
        // A long chain is cut into named pieces, never nested without bound.
        let mut sum = String::from("x");
        for k in 0..200 {
            sum = format!("(+ {sum} (* {k} (sin x)))");
        }
        let b = body(&sum);
        let lets = b.matches("let ").count();
        assert!((200 / INLINE_DEPTH..=200).contains(&lets), "{lets} lets: {b}");
    }

    #[test]
    fn dead_nodes_after_rewrite_are_not_emitted() {
        let b = body("(log (+ 1 x))");
        assert!(!b.contains('+'), "{b}");
    }

    #[test]
    fn comparisons_are_conditions_or_numbers() {
        let b = body("(where (> x 0) x (* 0.1 x))");
        assert!(b.contains("if (x > F :: from_f64 (0f64))"), "{b}");
        // A comparison read twice is named, and read as a condition.
        let b = body("(+ (where (> x 0) x 1) (> x 0))");
        assert!(b.contains("let t") && b.contains("if t"), "{b}");
        let b = body("(* (> x 0) x)");
        assert!(b.contains("F :: one ()"), "{b}");
    }

    #[test]
    fn unused_parameters_are_consumed() {
        let f = rust_scalar_fn("c", &"2".parse().unwrap(), &["x"]).to_string();
        assert!(f.contains("let _ = x"), "{f}");
    }

    fn cube(s: &str) -> String {
        cube_body(&s.parse().unwrap(), &["x"]).to_string()
    }

    #[test]
    fn cube_forms() {
        let b = cube("(where (> x 0) x (* 0.1 x))");
        assert!(b.contains("select_many") && b.contains("greater_than"), "{b}");
        let b = cube("(+ (max x 0) (tanh x))");
        assert!(b.contains("max (x") && b.contains(":: foil :: kernels :: math :: tanh"), "{b}");
        let b = cube("(log (+ 1 (exp x)))");
        assert!(b.contains("log1p") && !b.contains(". ln ()"), "{b}");
        let b = cube("(^ x -2)");
        assert!(b.contains("/ (x * x)"), "{b}");
        // An inlined operand keeps its parentheses as a method's receiver.
        let b = cube("(exp (* 2 x))");
        assert!(b.contains(") . exp ()"), "{b}");
        let b = cube("(^ (+ x 1) 0.7)");
        assert!(b.contains(") . powf ("), "{b}");
    }

    #[test]
    fn gradients_share_subexpressions() {
        let a: Expr = "(* (exp u1) u2)".parse().unwrap();
        let b: Expr = "(+ (exp u1) 1)".parse().unwrap();
        let (stmts, results) = rust_scalar_multi(&[&a, &b], &["u1", "u2"]);
        assert_eq!(results.len(), 2);
        assert_eq!(stmts.to_string().matches("F :: exp").count(), 1, "{stmts}");
    }
}
