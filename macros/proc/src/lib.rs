//! `activation!` and `adversarial!`: parse an activation written in SPEC §1
//! syntax (as Rust tokens or a string literal), derive what is asked at
//! compile time with `foil-compiler`, and emit a unit struct implementing
//! `foil::Activation` (and `foil::Adversarial`). Use them through `foil`,
//! which holds the traits the generated code names.
//!
//! Errors are compile errors on the user's tokens; the macros never panic
//! (a panic in the compiler becomes an "internal error" compile error).
//!
//! This crate is only the entry points: the expansion lives in
//! `foil-codegen` (`foil_codegen::expand`), which `foil emit`, the fuzz
//! targets and the tests call directly.

use foil_codegen::expand;
use proc_macro::TokenStream;

/// `activation!(Name = EXPRESSION)`: `pub struct Name;` implementing
/// `foil::Activation` with value EXPRESSION and its simplified derivative.
///
/// EXPRESSION is SPEC syntax in variable `x`: Rust tokens (`x*sigmoid(1.702*x)`,
/// `x^3`, `where(x > 0, x, 0.1*x)`) or a string literal.
#[proc_macro]
pub fn activation(input: TokenStream) -> TokenStream {
    guarded(input, expand::activation)
}

/// `adversarial!(Name = f)`: the global adversarial g of f (SPEC §2) as a
/// `foil::Activation` (value g, derivative g') that is also
/// `foil::Adversarial` with `SOURCE` = f. Refused, at compile time, where f'
/// vanishes. `mode = split`: the split adversarial SA(u1..un), a
/// `foil::SplitActivation`. Both also carry their `#[cube]` device math
/// (`foil::CubeActivation`, or `foil::CubeSplitActivation` for n inputs),
/// which the runtime's generic kernels launch (`foil::GpuActivation`,
/// `foil::GpuSplitActivation`).
#[proc_macro]
pub fn adversarial(input: TokenStream) -> TokenStream {
    guarded(input, expand::adversarial)
}

/// `hd_fgd!(Name = EXPRESSION)`: the HD-FGD split of EXPRESSION (SPEC §3),
/// as `pub struct Name;` implementing `foil::SplitActivation` (the lifted
/// F(u1..un) and its partials) and `foil::CubeSplitActivation` (its kernels' math).
#[proc_macro]
pub fn hd_fgd(input: TokenStream) -> TokenStream {
    guarded(input, expand::hd_fgd)
}

fn guarded(input: TokenStream, expand: fn(proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let result = std::panic::catch_unwind(|| expand(input));
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => e.to_compile_error(),
        Err(panic) => {
            let what = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("unknown panic");
            syn::Error::new(proc_macro2::Span::call_site(), format!("internal error in foil (please report): {what}")).to_compile_error()
        }
    };
    tokens.into()
}
