//! foil: activation functions and their adversarials, derived and verified
//! at compile time, with fused cubecl kernels.
//!
//! ```
//! foil::activation!(Softsign = x / (1 + abs(x)));
//! use foil::Activation;
//! assert_eq!(Softsign::value(1.0f64), 0.5);
//! assert_eq!(Softsign::derivative(1.0f32), 0.25);
//!
//! foil::adversarial!(TanhGa = tanh(x));
//! assert_eq!(TanhGa::EXPRESSION, "0.5*x + 0.25*sinh(2*x)");
//! ```
//!
//! This crate is what a user depends on: the macros ([`activation!`],
//! [`adversarial!`], [`hd_fgd!`], which run foil's symbolic compiler at build
//! time) and the kernel runtime their generated code is written against
//! ([`runtime`]: the traits, [`Float`], the cubecl launch kernels and
//! `forward_host`/`backward_host`). It carries no command line, trainer or
//! benchmark: those are `foil-cli`, `foil-train` and `foil-bench`.
//!
//! Features: `wgpu` (default) and `cuda` select the cubecl runtimes the host
//! helpers launch on.

// Generated code names `::foil::Float`; this makes that path valid in this
// crate too (unit tests, doc tests).
extern crate self as foil;

pub use foil_macros::{activation, adversarial, hd_fgd};
pub use foil_runtime as runtime;
/// The cubecl the generated kernels are written against (`::foil::cubecl::...`),
/// so that a crate depending only on `foil` can hold generated activations.
pub use foil_runtime::cubecl;
pub use foil_runtime::kernels::{self, CubeActivation, CubeSplitActivation, GpuActivation, GpuSplitActivation};
pub use foil_runtime::{Activation, Adversarial, Float, RuntimeError, SplitActivation};
