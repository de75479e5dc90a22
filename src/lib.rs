//! foil: hand it an activation expression, get back its adversarial function,
//! its HD-FGD split, verified in f64.
//!
//! This root crate re-exports the workspace crates and owns the `foil` binary.

pub use foil_compiler as compiler;
pub use foil_runtime as runtime;
pub mod cli;
pub mod suite;
