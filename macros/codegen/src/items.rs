//! The items `activation!`, `adversarial!` and `hd_fgd!` generate, as token
//! streams, so that the macros and `foil emit` print the same code.
//!
//! For a one-input activation `Name`:
//! - scalar ([`activation_items`]): `pub struct Name;` implementing
//!   `::foil::Activation` (and `::foil::Adversarial` for a GA);
//! - kernels ([`activation_kernels`]): `#[cube] impl ::foil::kernels::CubeActivation
//!   for Name`, its `value`/`derivative` over `Vector<F, N>`; the runtime's
//!   generic kernels `forward` (y = f(x)) and `backward` (grad_in =
//!   grad_out · f'(x), fused) launch it, and give `Name` `GpuActivation`.
//!
//! For an n-input split function (SA, or the lifted F of HD-FGD) the same
//! pair: [`split_items`] (`::foil::SplitActivation`) and [`split_kernels`]
//! (`#[cube] impl ::foil::kernels::CubeSplitActivation`: F, and every
//! grad_out · ∂F/∂ui in one pass; the runtime's generic `split_forward` and
//! `split_backward` launch it over n buffers and give `GpuSplitActivation`).

use crate::expression::{cube_body, cube_multi, rust_scalar_body, rust_scalar_multi};
use foil_compiler::diff::derivative;
use foil_compiler::lang::Expr;
use foil_compiler::print::to_spec;
use foil_compiler::simplify::{simplify_all, Limits};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The e-graph limits of the macros (and of `foil emit`, which prints what
/// they generate): bounded by iterations and nodes, never in practice by
/// time, so that the same source always expands to the same code.
pub fn macro_limits() -> Limits {
    Limits { time_limit: std::time::Duration::from_secs(10), ..Limits::default() }
}

/// The most distinct operations one generated activation may hold (value and
/// derivatives together), a bound on build time: gelu_tanh's SA, whose term
/// is a numeric piecewise polynomial, is emitted (242 with the kernels' own
/// fit of 2 pieces; 342 with the certified fit's 4 by Estrin's scheme,
/// 352 by Horner's, since its pieces share one evaluation, 797 before; 3,754
/// as 23 mirrored pieces, 6,933 before that, 8 s to build in debug on this
/// 2-core machine, derivation included); five shifted gelu_tanh terms, fitted on both sides (14,259,
/// tests/ui/sa_too_large.rs), are refused.
pub const MAX_OPERATIONS: usize = 12_000;

/// The most named temporaries (`let`s) one generated function may hold:
/// rustc's debug info for nested `let` scopes overflows its stack at about
/// 8,000 (measured on rustc 1.95 before single-use values were written in
/// place). The two functions above have 1,520 and 2,451.
pub const MAX_TEMPORARIES: usize = 4_000;

/// Why a derived function is too large to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge {
    pub operations: usize,
    pub temporaries: usize,
}

/// `Err` when `exprs` together hold more than [`MAX_OPERATIONS`] distinct
/// operations, or their emitted code more than [`MAX_TEMPORARIES`] `let`s.
pub fn check_size(exprs: &[&Expr]) -> Result<(), TooLarge> {
    let mut b = foil_compiler::build::Builder::new();
    for e in exprs {
        b.copy(e, foil_compiler::lang::root(e));
    }
    let operations = b.nodes().as_ref().len();
    // The count of operations bounds the lets from above: skip the lowering
    // when it already refuses.
    let temporaries = if operations > MAX_OPERATIONS { 0 } else { crate::expression::temporaries(exprs) };
    if operations > MAX_OPERATIONS || temporaries > MAX_TEMPORARIES {
        return Err(TooLarge { operations, temporaries });
    }
    Ok(())
}

/// The user's type name as an identifier. A raw identifier (`r#t`, as
/// `Ident::to_string` writes it) must be rebuilt as raw: `Ident::new` panics
/// on the `r#` prefix (found by the `macro_input` fuzz target).
fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// `pub struct Name;` with `Activation` (value `value`, derivative `deriv`)
/// and, given the source f, `Adversarial`.
pub fn activation_items(name: &str, value: &Expr, deriv: &Expr, source: Option<&str>) -> TokenStream {
    let name_id = ident(name);
    let (expression, derivative) = (to_spec(value), to_spec(deriv));
    let value_body = rust_scalar_body(value, &["x"]);
    let deriv_body = rust_scalar_body(deriv, &["x"]);
    let doc = match source {
        Some(f) => format!("Global adversarial of `{f}`: `g(x) = {expression}`, `g'(x) = {derivative}`. Device math: its `CubeActivation` impl."),
        None => format!("`f(x) = {expression}`, `f'(x) = {derivative}`. Device math: its `CubeActivation` impl."),
    };
    let adversarial = source.map(|f| {
        quote! {
            impl ::foil::Adversarial for #name_id {
                const SOURCE: &'static str = #f;
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct #name_id;

        impl ::foil::Activation for #name_id {
            const NAME: &'static str = #name;
            const EXPRESSION: &'static str = #expression;
            const DERIVATIVE: &'static str = #derivative;
            #[inline]
            #[allow(clippy::all, unused_parens)]
            fn value<F: ::foil::Float>(x: F) -> F { #value_body }
            #[inline]
            #[allow(clippy::all, unused_parens)]
            fn derivative<F: ::foil::Float>(x: F) -> F { #deriv_body }
        }

        #adversarial
    }
}

/// The `#[cube]` math of a one-input activation, `impl CubeActivation for
/// Name`; the runtime's generic kernels launch it (`GpuActivation` follows).
pub fn activation_kernels(name: &str, value: &Expr, deriv: &Expr) -> TokenStream {
    let name_id = ident(name);
    let value_body = cube_body(value, &["x"]);
    let deriv_body = cube_body(deriv, &["x"]);
    device_math(
        quote! {
            #[cube]
            pub fn value<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> { #value_body }

            #[cube]
            pub fn derivative<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N> { #deriv_body }
        },
        quote! {
            impl ::foil::kernels::CubeActivation for #name_id {
                fn value<F: __Float, N: __Size>(x: __Vector<F, N>) -> __Vector<F, N> { __foil_cube_math::value::<F, N>(x) }
                fn derivative<F: __Float, N: __Size>(x: __Vector<F, N>) -> __Vector<F, N> { __foil_cube_math::derivative::<F, N>(x) }
            }
        },
    )
}

/// The layout both kinds of device math share: `math` (`#[cube]` functions
/// written against cubecl's prelude) in a module `__foil_cube_math`, and
/// `cube_impl` (the trait impl, which calls them, with the prelude's types
/// as `__Float`, `__Size`, `__Vector`, `__Sequence`) beside it.
///
/// Everything sits in an anonymous const, so nothing is added to the user's
/// namespace, and the prelude is glob-imported only inside the inner module:
/// imported beside `Name`, its traits (`Tanh`, `Exp`, …) would shadow a
/// user's activation of the same name.
fn device_math(math: TokenStream, cube_impl: TokenStream) -> TokenStream {
    quote! {
        #[allow(non_snake_case, unused_variables, unused_parens, unused_imports, clippy::all)]
        const _: () = {
            mod __foil_cube_math {
                use ::foil::cubecl;
                use ::foil::cubecl::prelude::*;
                #math
            }

            use ::foil::cubecl;
            use ::foil::cubecl::prelude::{Float as __Float, Sequence as __Sequence, Size as __Size, Vector as __Vector};
            use ::foil::cubecl::frontend::DerefExpand as _;

            #[::foil::cubecl::cube]
            #cube_impl
        };
    }
}

/// A split function ready for emission: F over `vars` and its partials.
pub struct SplitFn {
    pub expression: Expr,
    pub vars: Vec<String>,
    pub partials: Vec<Expr>,
}

impl SplitFn {
    /// Differentiate `expression` in each of `vars` and simplify the
    /// partials together (they share the quotient's denominator and more).
    pub fn new(expression: Expr, vars: Vec<String>, limits: &Limits) -> Self {
        let raw: Vec<Expr> = vars.iter().map(|v| derivative(&expression, v)).collect();
        let (partials, _) = simplify_all(&raw.iter().collect::<Vec<_>>(), limits);
        SplitFn { expression, vars, partials }
    }
}

/// `pub struct Name;` implementing `::foil::SplitActivation`.
pub fn split_items(name: &str, source: &str, what: &str, f: &SplitFn) -> TokenStream {
    let name_id = ident(name);
    let n = f.vars.len();
    let vars: Vec<&str> = f.vars.iter().map(String::as_str).collect();
    let var_ids: Vec<Ident> = vars.iter().map(|v| ident(v)).collect();
    let idx = 0..n;
    let expression = to_spec(&f.expression);
    let partials: Vec<String> = f.partials.iter().map(to_spec).collect();
    let value_body = rust_scalar_body(&f.expression, &vars);
    let (grad_stmts, grad_results) = rust_scalar_multi(&f.partials.iter().collect::<Vec<_>>(), &vars);
    let gidx = 0..n;
    let doc = format!("{what} of `{source}` over {n} inputs: `{expression}`. Device math: its `CubeSplitActivation` impl.");
    let load = quote! { #(let #var_ids = u[#idx];)* };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct #name_id;

        impl ::foil::SplitActivation for #name_id {
            const NAME: &'static str = #name;
            const EXPRESSION: &'static str = #expression;
            const SOURCE: &'static str = #source;
            const TERMS: usize = #n;
            const PARTIALS: &'static [&'static str] = &[#(#partials),*];
            #[inline]
            #[allow(clippy::all, unused_parens)]
            fn value<F: ::foil::Float>(u: &[F]) -> F {
                assert_eq!(u.len(), #n, "{} takes {} inputs", #name, #n);
                #load
                #value_body
            }
            #[inline]
            #[allow(clippy::all, unused_parens)]
            fn gradient<F: ::foil::Float>(u: &[F], grad: &mut [F]) {
                assert_eq!(u.len(), #n, "{} takes {} inputs", #name, #n);
                assert_eq!(grad.len(), #n, "{} has {} partial derivatives", #name, #n);
                #load
                #grad_stmts
                #(grad[#gidx] = #grad_results;)*
            }
        }
    }
}

/// The `#[cube]` math of a split function, `impl CubeSplitActivation for
/// Name`: F and every grad_out · ∂F/∂ui in one pass; the runtime's generic
/// kernels launch it (`GpuSplitActivation` follows).
pub fn split_kernels(name: &str, f: &SplitFn) -> TokenStream {
    let name_id = ident(name);
    let vars: Vec<&str> = f.vars.iter().map(String::as_str).collect();
    let var_ids: Vec<Ident> = vars.iter().map(|v| ident(v)).collect();
    let value_body = cube_body(&f.expression, &vars);
    let (grad_stmts, grad_results) = cube_multi(&f.partials.iter().collect::<Vec<_>>(), &vars);
    let idx: Vec<usize> = (0..vars.len()).collect();
    device_math(
        quote! {
            #[cube]
            pub fn value<F: Float, N: Size>(#(#var_ids: Vector<F, N>),*) -> Vector<F, N> { #value_body }

            #[cube]
            pub fn gradient<F: Float, N: Size>(#(#var_ids: Vector<F, N>,)* grad_out: Vector<F, N>) -> Sequence<Vector<F, N>> {
                #grad_stmts
                let mut grads = Sequence::new();
                #(grads.push(grad_out * (#grad_results));)*
                grads
            }
        },
        quote! {
            impl ::foil::kernels::CubeSplitActivation for #name_id {
                fn value<F: __Float, N: __Size>(u: &__Sequence<__Vector<F, N>>) -> __Vector<F, N> {
                    __foil_cube_math::value::<F, N>(#(*u.index(#idx)),*)
                }
                fn gradient<F: __Float, N: __Size>(u: &__Sequence<__Vector<F, N>>, grad_out: __Vector<F, N>) -> __Sequence<__Vector<F, N>> {
                    __foil_cube_math::gradient::<F, N>(#(*u.index(#idx),)* grad_out)
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use foil_compiler::build::Builder;
    use foil_compiler::lang::Math;

    /// `t_{k+1} = t_k·t_k + t_k`: every value read three times, so each
    /// needs a `let`; `n` steps hold about 2n operations.
    fn shared_chain(n: usize) -> Expr {
        let mut b = Builder::new();
        let mut t = b.var("x");
        for _ in 0..n {
            let sq = b.add(Math::Mul([t, t]));
            t = b.add(Math::Add([sq, t]));
        }
        b.finish_at(t)
    }

    #[test]
    fn size_limits_count_operations_and_temporaries() {
        let small = shared_chain(100);
        assert_eq!(check_size(&[&small]), Ok(()));
        // Few enough operations, too many named temporaries.
        let lets = shared_chain(MAX_TEMPORARIES + 10);
        let e = check_size(&[&lets]).unwrap_err();
        assert!(e.operations <= MAX_OPERATIONS && e.temporaries > MAX_TEMPORARIES, "{e:?}");
        // Too many operations: refused before anything is emitted.
        let ops = shared_chain(MAX_OPERATIONS);
        let e = check_size(&[&ops]).unwrap_err();
        assert!(e.operations > MAX_OPERATIONS && e.temporaries == 0, "{e:?}");
    }
}
