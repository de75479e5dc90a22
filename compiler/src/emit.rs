//! Rust source for an [`Expr`]: a generic scalar function over `::foil::Float`.
//!
//! One `let` per distinct operation (SSA), so a subexpression shared in the
//! e-graph is computed once; leaves (variables, literals) are inlined. The
//! numerically safe form is chosen here rather than in the IR, because the
//! printed form is picked for cost and readability, the emitted one for f32:
//! `x^2`, `x^3` become multiplications, other integer powers `powi`,
//! `log(1 + a)` becomes `ln_1p(a)` and `exp(a) - 1` becomes `exp_m1(a)`.
//!
//! ```
//! use foil_compiler::{emit::rust_scalar_fn, lang::Expr};
//! let f: Expr = "(log (+ 1 (exp x)))".parse().unwrap();
//! let src = rust_scalar_fn("softplus", &f, &["x"]).to_string();
//! assert!(src.contains("ln_1p"));
//! ```

use crate::lang::{literal_value, root, subtree, Expr, Math};
use egg::{Id, Language};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

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
    // Hash-cons first: a parsed or hand-built RecExpr may repeat a subtree.
    let expr = &subtree(expr, root(expr));
    let ops = lower(expr);
    let top = root(expr);
    let live = live_nodes(&ops, top);
    let mut e = Emitter { expr, ops: &ops, out: TokenStream::new() };
    for (i, op) in ops.iter().enumerate() {
        if live[i] && !matches!(op, Op::Leaf) {
            let t = temp(Id::from(i));
            let rhs = e.rhs(op);
            e.out.extend(quote! { let #t = #rhs; });
        }
    }
    // Parameters the expression does not read would warn in user code.
    for v in vars {
        if !expr.as_ref().iter().any(|n| matches!(n, Math::Var(s) if s.as_str() == *v)) {
            let v = Ident::new(v, Span::call_site());
            e.out.extend(quote! { let _ = #v; });
        }
    }
    let result = e.number(top);
    let out = e.out;
    quote! { #out #result }
}

/// The operation emitted for one node, after the safe-form rewrites.
#[derive(Clone, Debug)]
enum Op {
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
}

impl Op {
    fn operands(&self) -> Vec<Id> {
        match self {
            Op::Leaf => vec![],
            Op::Neg(a) | Op::Call(_, a) | Op::Powi(a, _) => vec![*a],
            Op::Bin(_, a, b) | Op::Call2(_, a, b) | Op::Cmp(_, a, b) => vec![*a, *b],
            Op::Mul(v) => v.clone(),
            Op::Where(c, a, b) => vec![*c, *a, *b],
        }
    }
}

/// One [`Op`] per node of `expr`, indices preserved.
fn lower(expr: &Expr) -> Vec<Op> {
    let lit = |id: Id| literal_value(&expr[id]);
    expr.as_ref()
        .iter()
        .map(|node| match *node {
            Math::Num(_) | Math::Pi | Math::Euler | Math::Var(_) => Op::Leaf,
            Math::Add([a, b]) => Op::Bin("+", a, b),
            Math::Sub([a, b]) => match (&expr[a], lit(b)) {
                (Math::Exp(inner), Some(1.0)) => Op::Call("exp_m1", *inner),
                _ => Op::Bin("-", a, b),
            },
            Math::Mul([a, b]) => Op::Bin("*", a, b),
            Math::Div([a, b]) => Op::Bin("/", a, b),
            Math::Neg(a) => Op::Neg(a),
            Math::Pow([a, b]) => power(a, b, lit(b)),
            Math::Log(a) => match expr[a] {
                Math::Add([p, q]) if lit(p) == Some(1.0) => Op::Call("ln_1p", q),
                Math::Add([p, q]) if lit(q) == Some(1.0) => Op::Call("ln_1p", p),
                _ => Op::Call("ln", a),
            },
            Math::Min([a, b]) => Op::Call2("min", a, b),
            Math::Max([a, b]) => Op::Call2("max", a, b),
            Math::Lt([a, b]) => Op::Cmp("<", a, b),
            Math::Le([a, b]) => Op::Cmp("<=", a, b),
            Math::Gt([a, b]) => Op::Cmp(">", a, b),
            Math::Ge([a, b]) => Op::Cmp(">=", a, b),
            Math::Where([c, a, b]) => Op::Where(c, a, b),
            ref unary => Op::Call(float_method(unary), unary.children()[0]),
        })
        .collect()
}

fn power(a: Id, b: Id, exponent: Option<f64>) -> Op {
    match exponent {
        Some(2.0) => Op::Mul(vec![a, a]),
        Some(3.0) => Op::Mul(vec![a, a, a]),
        Some(0.5) => Op::Call("sqrt", a),
        Some(n) if n == n.trunc() && n.abs() <= i32::MAX as f64 => Op::Powi(a, n as i32),
        _ => Op::Call2("powf", a, b),
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

/// Nodes the root reaches through the lowered operations (a rewrite such as
/// `ln_1p` can make the `1 + a` node dead).
fn live_nodes(ops: &[Op], top: Id) -> Vec<bool> {
    let mut live = vec![false; ops.len()];
    live[usize::from(top)] = true;
    for i in (0..ops.len()).rev() {
        if live[i] {
            for c in ops[i].operands() {
                live[usize::from(c)] = true;
            }
        }
    }
    live
}

fn temp(id: Id) -> Ident {
    format_ident!("t{}", usize::from(id))
}

struct Emitter<'a> {
    expr: &'a Expr,
    ops: &'a [Op],
    out: TokenStream,
}

impl Emitter<'_> {
    fn is_bool(&self, id: Id) -> bool {
        matches!(self.ops[usize::from(id)], Op::Cmp(..))
    }

    /// A value of type `F` for node `id` (comparisons used as numbers are 0/1,
    /// as in the f64 evaluator).
    fn number(&self, id: Id) -> TokenStream {
        if self.is_bool(id) {
            let t = temp(id);
            return quote! { (if #t { F::one() } else { F::zero() }) };
        }
        self.operand(id)
    }

    /// A condition of type `bool` for node `id`.
    fn condition(&self, id: Id) -> TokenStream {
        if self.is_bool(id) {
            let t = temp(id);
            return quote! { #t };
        }
        let v = self.number(id);
        quote! { (#v != F::zero()) }
    }

    fn operand(&self, id: Id) -> TokenStream {
        match &self.expr[id] {
            Math::Var(s) => {
                let v = Ident::new(s.as_str(), Span::call_site());
                quote! { #v }
            }
            Math::Pi => quote! { F::from_f64(::core::f64::consts::PI) },
            Math::Euler => quote! { F::from_f64(::core::f64::consts::E) },
            Math::Num(c) => float_literal(c.into_inner()),
            _ => {
                let t = temp(id);
                quote! { #t }
            }
        }
    }

    fn rhs(&self, op: &Op) -> TokenStream {
        let n = |id: &Id| self.number(*id);
        match op {
            Op::Leaf => unreachable!("leaves are inlined"),
            Op::Bin(sym, a, b) => {
                let sym: TokenStream = sym.parse().expect("operator token");
                let (a, b) = (n(a), n(b));
                quote! { #a #sym #b }
            }
            Op::Neg(a) => {
                let a = n(a);
                quote! { -#a }
            }
            Op::Call(f, a) => {
                let f = Ident::new(f, Span::call_site());
                let a = n(a);
                quote! { F::#f(#a) }
            }
            Op::Call2(f, a, b) => {
                let f = Ident::new(f, Span::call_site());
                let (a, b) = (n(a), n(b));
                quote! { F::#f(#a, #b) }
            }
            Op::Powi(a, k) => {
                let a = n(a);
                let k = Literal::i32_unsuffixed(*k);
                quote! { F::powi(#a, #k) }
            }
            Op::Mul(factors) => {
                // `#(..)**` would read as a repetition without separator.
                let mut fs = factors.iter().map(n);
                let first = fs.next().expect("a product has factors");
                quote! { #first #(* #fs)* }
            }
            Op::Cmp(sym, a, b) => {
                let sym: TokenStream = sym.parse().expect("comparison token");
                let (a, b) = (n(a), n(b));
                quote! { #a #sym #b }
            }
            Op::Where(c, a, b) => {
                let (c, a, b) = (self.condition(*c), n(a), n(b));
                quote! { if #c { #a } else { #b } }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> String {
        rust_scalar_body(&s.parse().unwrap(), &["x"]).to_string()
    }

    #[test]
    fn safe_forms() {
        assert!(body("(log (+ 1 (exp x)))").contains("F :: ln_1p (t"), "{}", body("(log (+ 1 (exp x)))"));
        assert!(body("(- (exp x) 1)").contains("F :: exp_m1 (x)"));
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
    fn dead_nodes_after_rewrite_are_not_emitted() {
        let b = body("(log (+ 1 x))");
        assert!(!b.contains('+'), "{b}");
    }

    #[test]
    fn comparisons_are_conditions_or_numbers() {
        let b = body("(where (> x 0) x (* 0.1 x))");
        assert!(b.contains("if t"), "{b}");
        let b = body("(* (> x 0) x)");
        assert!(b.contains("F :: one ()"), "{b}");
    }

    #[test]
    fn unused_parameters_are_consumed() {
        let f = rust_scalar_fn("c", &"2".parse().unwrap(), &["x"]).to_string();
        assert!(f.contains("let _ = x"), "{f}");
    }
}
