//! foil's symbolic compiler: parse an activation, differentiate it, derive its
//! global adversarial (GA) or its HD-FGD split and split adversarial (SA),
//! verify every result in f64, and extract the cheapest equivalent form.
//!
//! The compiler has no GPU dependency; `foil-macros` and `foil-runtime` consume it.

pub mod activations;
pub mod build;
pub mod canon;
pub mod certify;
pub mod diff;
pub mod error;
pub mod eval;
/// Checks shared by the fuzz targets and the corpus replay test.
#[doc(hidden)]
pub mod fuzzing;
pub mod ga;
pub mod hdfgd;
pub mod integrate;
pub mod interval;
pub mod lang;
pub mod lower;
pub mod numeric;
pub mod parse;
pub mod piecewise;
pub mod print;
pub mod simplify;
pub mod suite;
pub mod taylor;
pub mod verify;
pub mod zeros;
