//! From an [`Invocation`] to the items the macros generate, or to a
//! compile error spanned on the user's tokens.

use crate::invocation::Invocation;
use crate::items::{activation_items, activation_kernels, split_items, split_kernels, SplitFn};
use crate::spec_text::error_between;
use foil_compiler::diff::derivative;
use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, require_x, GaOptions};
use foil_compiler::hdfgd::{derive_split_adversarial, split, Granularity, TermConstant};
use foil_compiler::lang::Expr;
use foil_compiler::print::to_spec;
use foil_compiler::simplify::{simplify, Limits};
use proc_macro2::TokenStream;

fn deterministic_limits() -> Limits {
    crate::items::macro_limits()
}

/// `activation!(Name = f)`.
pub fn activation(input: TokenStream) -> syn::Result<TokenStream> {
    let inv = Invocation::parse(input)?;
    inv.option("", &[])?;
    let f = parse_source(&inv)?;
    require_x(&f).map_err(|e| derive_error(&inv, e))?;
    let (df, _) = simplify(&derivative(&f, "x"), &deterministic_limits());
    activation_impl(&inv, &f, &df, None)
}

/// `adversarial!(Name = f [, mode = global | split])`.
pub fn adversarial(input: TokenStream) -> syn::Result<TokenStream> {
    let inv = Invocation::parse(input)?;
    let split_mode = match inv.option("mode", &["mode"])? {
        None => false,
        Some(m) if m == "global" => false,
        Some(m) if m == "split" => true,
        Some(m) => return Err(syn::Error::new(m.span(), format!("unknown mode `{m}`; expected `global` or `split`"))),
    };
    let f = parse_source(&inv)?;
    let opts = GaOptions { limits: deterministic_limits(), ..GaOptions::default() };
    if split_mode {
        // SA is a function of n inputs: it implements `SplitActivation`.
        let sa = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts).map_err(|e| derive_error(&inv, e))?;
        let vars = sa.terms.iter().map(|t| t.var.clone()).collect();
        // What the kernels evaluate: each numeric term's own f32 fit.
        let sf = SplitFn::new(sa.kernel, vars, &opts.limits);
        return split_impl(&inv, &to_spec(&f), "Split adversarial", &sf);
    }
    let ga = derive_global_adversarial(&f, &opts).map_err(|e| derive_error(&inv, e))?;
    let source = to_spec(&ga.input);
    let (g, dg) = ga.kernel_pair();
    activation_impl(&inv, g, dg, Some(&source))
}

/// `hd_fgd!(Name = f)`: the lifted F(u1..un) of f's HD-FGD split.
pub fn hd_fgd(input: TokenStream) -> syn::Result<TokenStream> {
    let inv = Invocation::parse(input)?;
    inv.option("", &[])?;
    let f = parse_source(&inv)?;
    let sp = split(&f, Granularity::Elementary).map_err(|e| derive_error(&inv, e))?;
    let vars = sp.terms.iter().map(|t| t.var.clone()).collect();
    let sf = SplitFn::new(sp.lifted, vars, &deterministic_limits());
    split_impl(&inv, &to_spec(&f), "HD-FGD split F", &sf)
}

fn split_impl(inv: &Invocation, source: &str, what: &str, sf: &SplitFn) -> syn::Result<TokenStream> {
    let mut all = vec![&sf.expression];
    all.extend(sf.partials.iter());
    size_guard(inv, &all)?;
    let name = inv.name.to_string();
    let mut out = split_items(&name, source, what, sf);
    out.extend(split_kernels(&name, sf));
    Ok(out)
}

/// Refuse what rustc cannot compile, with the reason, instead of crashing it.
fn size_guard(inv: &Invocation, exprs: &[&Expr]) -> syn::Result<()> {
    use crate::items::{check_size, MAX_OPERATIONS, MAX_TEMPORARIES};
    check_size(exprs).map_err(|size| {
        let why = if size.operations > MAX_OPERATIONS {
            format!("{} distinct operations, more than the {MAX_OPERATIONS} foil emits as one function (its build time grows with them)", size.operations)
        } else {
            format!("{} named temporaries, more than the {MAX_TEMPORARIES} rustc compiles in one function (its debug info overflows)", size.temporaries)
        };
        syn::Error::new_spanned(
            &inv.expression_tokens,
            format!("the derived function has {why}; help: `foil emit` prints it, and the trainer's run-time kernels (`foil train --act`) take it; or pick a form with a closed-form adversarial"),
        )
    })
}

fn parse_source(inv: &Invocation) -> syn::Result<Expr> {
    foil_compiler::parse::parse(&inv.source.text).map_err(|e| {
        let (start, end) = inv.source.locate(e.span.offset(), e.span.len());
        let help = e.help.as_deref().map(|h| format!("; help: {h}")).unwrap_or_default();
        error_between(start, end, format!("{}{help}", e.message))
    })
}

/// A refused derivation, spanned on the whole expression. The CLI's wording
/// names CLI flags, so the refusals with a macro remedy are worded here.
fn derive_error(inv: &Invocation, e: DeriveError) -> syn::Error {
    let message = match &e {
        DeriveError::DerivativeZeros { derivative, zeros } => {
            format!("no global adversarial: f' = {derivative} vanishes at {}, so 1/f' has a pole there; help: use `mode = split`", zeros.describe("x"))
        }
        DeriveError::FlatDerivative { intervals, .. } => format!(
            "no global adversarial: f' ≡ 0 on {} (f is constant there, so 1/f' does not exist); help: use `mode = split` or another activation",
            intervals.iter().map(|i| i.describe("x")).collect::<Vec<_>>().join(" and ")
        ),
        other => other.to_string(),
    };
    syn::Error::new_spanned(&inv.expression_tokens, message)
}

/// The scalar items and the kernels of a one-input activation.
fn activation_impl(inv: &Invocation, value: &Expr, deriv: &Expr, source: Option<&str>) -> syn::Result<TokenStream> {
    size_guard(inv, &[value, deriv])?;
    let name = inv.name.to_string();
    let mut out = activation_items(&name, value, deriv, source);
    out.extend(activation_kernels(&name, value, deriv));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// The `Adversarial` half cannot run end to end before the integrator
    /// lands, so its shape is checked here.
    #[test]
    fn adversarial_items_are_well_formed() {
        let inv = Invocation::parse(quote!(AtanGa = atan(x))).unwrap();
        let g: Expr = "(+ x (/ (^ x 3) 3))".parse().unwrap();
        let dg: Expr = "(+ 1 (^ x 2))".parse().unwrap();
        let file: syn::File = syn::parse2(activation_impl(&inv, &g, &dg, Some("atan(x)")).unwrap()).unwrap();
        let impls: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Impl(i) => Some(quote!(#i).to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(impls.len(), 2);
        assert!(impls[0].contains(":: foil :: Activation"), "{}", impls[0]);
        assert!(impls[1].contains(":: foil :: Adversarial") && impls[1].contains("\"atan(x)\""), "{}", impls[1]);
        // The device math sits in an anonymous const (`const _: () = { .. }`).
        let device = file.items.iter().find_map(|i| match i {
            syn::Item::Const(c) if matches!(c.ident.to_string().as_str(), "_") => Some(quote!(#c).to_string()),
            _ => None,
        });
        let device = device.expect("a `const _` with the device math");
        assert!(device.contains(":: foil :: kernels :: CubeActivation for AtanGa"), "{device}");
    }

    /// Fuzz find: a raw identifier as the type name made codegen panic
    /// (`Ident::new("r#t")`); each macro must accept it.
    #[test]
    fn raw_identifier_names_expand() {
        for out in [
            activation(quote!(r#t = x ^ 5 + x)),
            adversarial(quote!(r#t = x ^ 5 + x)),
            adversarial(quote!(r#type = tanh(x), mode = split)),
            hd_fgd(quote!(r#t = x * sigmoid(x))),
        ] {
            let out = out.unwrap();
            let file: syn::File = syn::parse2(out.clone()).unwrap_or_else(|e| panic!("{e}: {out}"));
            let text = out.to_string();
            assert!(text.contains("CubeActivation") || text.contains("CubeSplitActivation"), "{out}");
            assert!(!file.items.is_empty());
        }
    }

    #[test]
    fn split_mode_emits_a_split_activation() {
        let out = adversarial(quote!(S = x * sigmoid(x), mode = split)).unwrap().to_string();
        assert!(out.contains(":: foil :: SplitActivation") && out.contains("const TERMS : usize = 2usize"), "{out}");
        assert!(out.contains(":: foil :: kernels :: CubeSplitActivation for S"), "{out}");
    }
}
