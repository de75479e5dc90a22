//! The code of one expression (or of several sharing subexpressions), in
//! two targets, from the compiler's safe-form lowering
//! ([`foil_compiler::lower`]):
//!
//! - scalar Rust, generic over `::foil::Float` ([`rust_scalar_fn`],
//!   [`rust_scalar_body`], [`rust_scalar_multi`]);
//! - cubecl `#[cube]` code over `Vector<F, N>` ([`cube_body`],
//!   [`cube_multi`]): operators on vectors, `where` as a lane-wise
//!   `select_many`, `min`/`max` as the prelude functions, and the functions
//!   whose GPU builtins are inaccurate or unsafe in f32 as calls to the
//!   `#[cube]` helpers in `::foil::kernels::math`.
//!
//! A subexpression shared in the e-graph is computed once, in a `let`, also
//! across the several outputs of a gradient; an operation read once is
//! written where it is read (up to a nesting depth), and leaves (variables,
//! literals) are inlined. [`crate::items`] wraps these bodies into the
//! structs and impls the macros expand to.
//!
//! ```
//! use foil_codegen::expression::rust_scalar_fn;
//! use foil_compiler::lang::Expr;
//! let f: Expr = "(log (+ 1 (exp x)))".parse().unwrap();
//! let src = rust_scalar_fn("softplus", &f, &["x"]).to_string();
//! assert!(src.contains("ln_1p") && src.contains("max"));
//! ```

use egg::Id;
use foil_compiler::lang::{Cmp, Expr, Func, Math};
use foil_compiler::lower::{lower_exprs, Lowered, SafeOp};
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

/// How deep single-use operations nest inside one emitted expression before
/// the emitter names one with a `let`: readable, and far from rustc's limits
/// (a 20,000-term sum is a chain of single uses).
const INLINE_DEPTH: usize = 12;

fn emit_ssa(exprs: &[&Expr], vars: &[&str], target: Target) -> (TokenStream, Vec<TokenStream>) {
    let lowered = lower_exprs(exprs);
    let wide = foil_compiler::lower::beyond_division_range(&lowered);
    let Lowered { nodes: expr, ops, roots, live } = lowered;
    let named = named_operations(&ops, &live, &roots);
    let mut e = Emitter { expr: &expr, ops: &ops, target, out: TokenStream::new(), inline: vec![None; ops.len()], wide };
    for (i, op) in ops.iter().enumerate() {
        if live[i] && !matches!(op, SafeOp::Leaf) {
            let rhs = e.rhs(op);
            if named[i] {
                let t = temp(Id::from(i));
                e.out.extend(quote! { let #t = #rhs; });
            } else {
                // Calls bind tighter than anything they sit in; the rest
                // keep their precedence with parentheses.
                let call = matches!(op, SafeOp::Call(..) | SafeOp::Min(..) | SafeOp::Max(..) | SafeOp::Powf(..))
                    || (target == Target::Rust && matches!(op, SafeOp::Powi(..)));
                e.inline[i] = Some(if call {
                    rhs
                } else {
                    quote! { (#rhs) }
                });
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
    /// Nodes that may exceed Vulkan's division range (device code guards a
    /// division by one).
    wide: Vec<bool>,
}

impl Emitter<'_> {
    fn is_bool(&self, id: Id) -> bool {
        matches!(self.ops[usize::from(id)], SafeOp::Compare(..))
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

    /// `f(a)` in the target.
    fn call(&self, f: Func, a: TokenStream) -> TokenStream {
        match self.target {
            Target::Rust => {
                let f = float_method(f);
                let a = unparenthesised(a);
                quote! { F::#f(#a) }
            }
            Target::Cube => match cube_helper(f) {
                Some(helper) => {
                    let a = unparenthesised(a);
                    quote! { ::foil::kernels::math::#helper::<F, N>(#a) }
                }
                None => {
                    // A method's receiver keeps its parentheses: `(x * 2).exp()`.
                    let f = float_method(f);
                    quote! { #a.#f() }
                }
            },
        }
    }

    /// `f(a, b)` for `min`, `max`, `powf`, in the target.
    fn call2(&self, f: &str, a: TokenStream, b: TokenStream) -> TokenStream {
        let (f, b) = (Ident::new(f, Span::call_site()), unparenthesised(b));
        match (self.target, f.to_string().as_str()) {
            (Target::Cube, "powf") => quote! { #a.powf(#b) },
            (Target::Cube, _) => {
                let a = unparenthesised(a);
                quote! { #f(#a, #b) }
            }
            (Target::Rust, _) => {
                let a = unparenthesised(a);
                quote! { F::#f(#a, #b) }
            }
        }
    }

    fn rhs(&self, op: &SafeOp) -> TokenStream {
        let n = |id: &Id| self.number(*id);
        match op {
            SafeOp::Leaf => unreachable!("leaves are inlined"),
            SafeOp::Add(a, b) => {
                let (a, b) = (n(a), n(b));
                quote! { #a + #b }
            }
            SafeOp::Sub(a, b) => {
                let (a, b) = (n(a), n(b));
                quote! { #a - #b }
            }
            SafeOp::Mul(a, b) => {
                let (a, b) = (n(a), n(b));
                quote! { #a * #b }
            }
            SafeOp::Div(a, b) => {
                let wide = self.wide[usize::from(*b)];
                let (a, b) = (n(a), n(b));
                match self.target {
                    // Vulkan leaves f32 division unspecified past |b| = 2^126.
                    Target::Cube if wide => {
                        let (a, b) = (unparenthesised(a), unparenthesised(b));
                        quote! { ::foil::kernels::math::div::<F, N>(#a, #b) }
                    }
                    _ => quote! { #a / #b },
                }
            }
            SafeOp::Neg(a) => {
                let a = n(a);
                quote! { -#a }
            }
            // logcosh's log1p(expm1(-2|z|)/2): an argument in (-1/2, 0],
            // where the device's polynomial `log1p_half` applies.
            SafeOp::Call(Func::Log1p, a) if self.target == Target::Cube && foil_compiler::lower::half_expm1_of_non_positive(self.expr, self.ops, *a) => {
                let a = unparenthesised(n(a));
                quote! { ::foil::kernels::math::log1p_half::<F, N>(#a) }
            }
            SafeOp::Call(f, a) => self.call(*f, n(a)),
            SafeOp::Min(a, b) => self.call2("min", n(a), n(b)),
            SafeOp::Max(a, b) => self.call2("max", n(a), n(b)),
            SafeOp::Powf(a, b) => self.call2("powf", n(a), n(b)),
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
                            quote! { ::foil::kernels::math::div::<F, N>(Vector::<F, N>::new(F::new(1.0)), #product) }
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
            SafeOp::Product(factors) => {
                // `#(..)**` would read as a repetition without separator.
                let mut fs = factors.iter().map(n);
                let first = fs.next().expect("a product has factors");
                quote! { #first #(* #fs)* }
            }
            SafeOp::Compare(cmp, a, b) => {
                let (a, b) = (n(a), n(b));
                match self.target {
                    Target::Rust => {
                        let sym: TokenStream = cmp.symbol().parse().expect("comparison token");
                        quote! { #a #sym #b }
                    }
                    Target::Cube => {
                        let method = match cmp {
                            Cmp::Lt => quote! { less_than },
                            Cmp::Le => quote! { less_equal },
                            Cmp::Gt => quote! { greater_than },
                            Cmp::Ge => quote! { greater_equal },
                        };
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
                let e = self.call(Func::Expm1, n(a));
                quote! { -#e }
            }
            SafeOp::Times(f, a, m) => {
                let (a, m) = (unparenthesised(n(a)), unparenthesised(n(m)));
                // `erfi_times`, `sinh_times`, `cosh_times`, `expm1_times`: the same name in
                // `foil::Float` and in the kernels' math.
                let name = format_ident!("{}_times", f.name());
                match self.target {
                    Target::Rust => quote! { F::#name(#a, #m) },
                    Target::Cube => quote! { ::foil::kernels::math::#name::<F, N>(#a, #m) },
                }
            }
            SafeOp::Softplus(a) => {
                let a = n(a);
                match self.target {
                    Target::Rust => quote! { F::max(#a, F::zero()) + F::ln_1p(F::exp(-F::abs(#a))) },
                    Target::Cube => {
                        quote! { max(#a, Vector::<F, N>::zero()) + ::foil::kernels::math::log1p_unit::<F, N>((-#a.abs()).exp()) }
                    }
                }
            }
        }
    }
}

/// The `::foil::Float` method computing `f`: Rust's name for it where Rust
/// names it differently from SPEC §1.
fn float_method(f: Func) -> Ident {
    let name = match f {
        Func::Log => "ln",
        Func::Log1p => "ln_1p",
        Func::Expm1 => "exp_m1",
        Func::Sign => "signum",
        _ => f.name(),
    };
    Ident::new(name, Span::call_site())
}

/// The `::foil::kernels::math` helper computing `f` in `#[cube]` code (named
/// as in SPEC §1), where the GPU builtin is inaccurate or unsafe in f32 or
/// missing; `None` where the builtin method of [`float_method`] is exact
/// enough on every backend.
fn cube_helper(f: Func) -> Option<Ident> {
    match f {
        Func::Log1p
        | Func::Expm1
        | Func::Sign
        | Func::Tanh
        | Func::Sinh
        | Func::Cosh
        | Func::Asinh
        | Func::Erf
        | Func::Erfi
        | Func::Sin
        | Func::Cos
        | Func::Atan => Some(Ident::new(f.name(), Span::call_site())),
        Func::Exp | Func::Log | Func::Sqrt | Func::Abs => None,
    }
}

/// `F::from_f64(v)`, with the sign outside the literal token (a literal token
/// may not carry a minus sign).
fn float_literal(v: f64) -> TokenStream {
    if !v.is_finite() {
        return if v > 0.0 {
            quote! { F::from_f64(f64::INFINITY) }
        } else {
            quote! { F::from_f64(f64::NEG_INFINITY) }
        };
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
        assert!(b.contains("F :: sinh_times (F :: from_f64 (2f64) * x , F :: from_f64 (0.25f64))"), "{b}");
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
        // Divisions by unbounded divisors go through the helper that keeps
        // divisors past 2^126 exact.
        let b = cube("(^ x -2)");
        assert!(b.contains("math :: div :: < F , N > (Vector :: < F , N > :: new (F :: new (1.0)) , x * x)"), "{b}");
        let b = cube("(/ (sin x) x)");
        assert!(b.contains("math :: div") && b.contains("math :: sin") && !b.contains(" / "), "{b}");
        // A divisor the intervals bound (1 + e^-|x| is in [1, 2]) divides plainly.
        let b = cube("(/ x (+ 1 (exp (neg (abs x)))))");
        assert!(b.contains(" / ") && !b.contains("math :: div"), "{b}");
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
