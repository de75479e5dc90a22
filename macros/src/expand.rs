//! From an [`Invocation`] to the items the macros generate, or to a
//! compile error spanned on the user's tokens.

use crate::invocation::Invocation;
use crate::spec_text::error_between;
use foil_compiler::diff::derivative;
use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, require_x, GaOptions};
use foil_compiler::lang::Expr;
use foil_compiler::print::to_spec;
use foil_compiler::simplify::{simplify, Limits};
use proc_macro2::TokenStream;
use quote::quote;
use std::time::Duration;

/// The e-graph limits for macros: bounded by iterations and nodes only, never
/// in practice by time, so that the same source always expands to the same
/// code (a wall-clock cut-off would depend on machine load).
fn deterministic_limits() -> Limits {
    Limits { time_limit: Duration::from_secs(10), ..Limits::default() }
}

/// `activation!(Name = f)`.
pub fn activation(input: TokenStream) -> syn::Result<TokenStream> {
    let inv = Invocation::parse(input)?;
    inv.option("", &[])?;
    let f = parse_source(&inv)?;
    require_x(&f).map_err(|e| derive_error(&inv, e))?;
    let (df, _) = simplify(&derivative(&f, "x"), &deterministic_limits());
    Ok(activation_impl(&inv, &f, &df, None))
}

/// `adversarial!(Name = f [, mode = global | split])`.
pub fn adversarial(input: TokenStream) -> syn::Result<TokenStream> {
    let inv = Invocation::parse(input)?;
    match inv.option("mode", &["mode"])? {
        None => {}
        Some(m) if m == "global" => {}
        // SA is a function of n inputs, so it will implement a trait of its
        // own; it waits for `foil_compiler::hdfgd`.
        Some(m) if m == "split" => {
            return Err(syn::Error::new(m.span(), "`mode = split` is not available yet in this build of foil (it needs the HD-FGD split, `foil_compiler::hdfgd`)"));
        }
        Some(m) => return Err(syn::Error::new(m.span(), format!("unknown mode `{m}`; expected `global` or `split`"))),
    }
    let f = parse_source(&inv)?;
    let opts = GaOptions { limits: deterministic_limits(), ..GaOptions::default() };
    let ga = derive_global_adversarial(&f, &opts).map_err(|e| derive_error(&inv, e))?;
    let source = to_spec(&ga.input);
    Ok(activation_impl(&inv, &ga.adversarial, &ga.adversarial_derivative, Some(&source)))
}

fn parse_source(inv: &Invocation) -> syn::Result<Expr> {
    foil_compiler::parse::parse(&inv.source.text).map_err(|e| {
        let (start, end) = inv.source.locate(e.span.offset(), e.span.len());
        let help = miette::Diagnostic::help(&e).map(|h| format!("; help: {h}")).unwrap_or_default();
        error_between(start, end, format!("{}{help}", e.message))
    })
}

/// A refused derivation, spanned on the whole expression. The CLI's wording
/// names CLI flags, so the refusals with a macro remedy are worded here.
fn derive_error(inv: &Invocation, e: DeriveError) -> syn::Error {
    let message = match &e {
        DeriveError::DerivativeZeros { derivative, zeros } => format!(
            "no global adversarial: f' = {derivative} vanishes at {}, so 1/f' has a pole there; help: use `mode = split`",
            zeros.describe("x")
        ),
        DeriveError::FlatDerivative { interval } => format!(
            "no global adversarial: f' ≡ 0 on {} (f is constant there, so 1/f' does not exist); help: use `mode = split` or another activation",
            interval.describe("x")
        ),
        other => other.to_string(),
    };
    syn::Error::new_spanned(&inv.expression_tokens, message)
}

/// `pub struct Name;` with `Activation` (value `value`, derivative `deriv`)
/// and, given the source f, `Adversarial`.
fn activation_impl(inv: &Invocation, value: &Expr, deriv: &Expr, source: Option<&str>) -> TokenStream {
    let name = &inv.name;
    let name_str = name.to_string();
    let (expression, derivative) = (to_spec(value), to_spec(deriv));
    let value_body = foil_compiler::emit::rust_scalar_body(value, &["x"]);
    let deriv_body = foil_compiler::emit::rust_scalar_body(deriv, &["x"]);
    let doc = match source {
        Some(f) => format!("Global adversarial of `{f}`: `g(x) = {expression}`, `g'(x) = {derivative}`."),
        None => format!("`f(x) = {expression}`, `f'(x) = {derivative}`."),
    };
    let adversarial = source.map(|f| {
        quote! {
            impl ::foil::Adversarial for #name {
                const SOURCE: &'static str = #f;
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct #name;

        impl ::foil::Activation for #name {
            const NAME: &'static str = #name_str;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The `Adversarial` half cannot run end to end before the integrator
    /// lands, so its shape is checked here.
    #[test]
    fn adversarial_items_are_well_formed() {
        let inv = Invocation::parse(quote!(AtanGa = atan(x))).unwrap();
        let g: Expr = "(+ x (/ (^ x 3) 3))".parse().unwrap();
        let dg: Expr = "(+ 1 (^ x 2))".parse().unwrap();
        let file: syn::File = syn::parse2(activation_impl(&inv, &g, &dg, Some("atan(x)"))).unwrap();
        let impls: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Impl(i) => Some(quote!(#i).to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(impls.len(), 2);
        assert!(impls[1].contains(":: foil :: Adversarial") && impls[1].contains("\"atan(x)\""), "{}", impls[1]);
    }

    #[test]
    fn split_mode_is_reserved_not_ignored() {
        let e = adversarial(quote!(S = x * sigmoid(x), mode = split)).unwrap_err();
        assert!(e.to_string().contains("not available yet"), "{e}");
    }
}
