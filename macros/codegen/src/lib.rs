//! What foil's macros expand to, as token streams, so that the proc-macro
//! crate stays a thin shell and `foil emit`, the fuzz targets and the tests
//! run the very same code:
//!
//! - [`expression`]: one expression's code (scalar Rust over `::foil::Float`,
//!   or `#[cube]` code over `Vector<F, N>`) from the compiler's safe-form
//!   lowering;
//! - [`items`]: the structs and trait impls an invocation generates, around
//!   those expressions;
//! - [`expand`]: the macros themselves (`activation!`, `adversarial!`,
//!   `hd_fgd!`) from input tokens to items, with every error a compile error
//!   on the user's tokens ([`invocation`] and [`spec_text`] read the input).
//!
//! Generated code names the facade (`::foil::Activation`, `::foil::kernels`,
//! `::foil::cubecl`): it compiles in a crate that depends on `foil`.

pub mod expand;
pub mod expression;
pub mod invocation;
pub mod items;
pub mod spec_text;

/// The check the `macro_input` fuzz target runs on each input.
#[doc(hidden)]
pub mod fuzz_check;
