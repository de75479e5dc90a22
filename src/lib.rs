//! foil: hand it an activation expression, get back its adversarial function,
//! its HD-FGD split, verified in f64.
//!
//! This root crate re-exports the workspace crates and owns the `foil` binary.
//! It also holds the traits that the `activation!` and `adversarial!` macros
//! implement, since the code they generate names `::foil::...`.
//!
//! ```
//! foil::activation!(Softsign = x / (1 + abs(x)));
//! use foil::Activation;
//! assert_eq!(Softsign::value(1.0f64), 0.5);
//! assert_eq!(Softsign::derivative(1.0f32), 0.25);
//! ```

// Generated code names `::foil::Float`; this makes that path valid in this
// crate too (unit tests, doc tests).
extern crate self as foil;

pub use foil_compiler as compiler;
pub use foil_runtime as runtime;
#[cfg(feature = "train")]
pub mod bench;
pub mod cli;
#[cfg(feature = "train")]
pub mod fetch;
#[cfg(feature = "train")]
pub mod native;
pub mod suite;
#[cfg(feature = "train")]
pub mod train_cli;

pub use foil_runtime::kernels::{self, CubeActivation, CubeSplitActivation, GpuActivation, GpuSplitActivation};
pub use foil_runtime::{Activation, Adversarial, Float, RuntimeError, SplitActivation};
pub use foil_macros::{activation, adversarial, hd_fgd};
/// The cubecl the generated kernels are written against (`::foil::cubecl::...`),
/// so that a crate depending only on `foil` can hold generated activations.
pub use foil_runtime::cubecl;
