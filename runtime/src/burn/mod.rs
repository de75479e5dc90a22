//! burn 0.22 integration: foil activations as one fused burn op with a
//! hand-written backward, modules built on it, and network rewriting
//! (SPEC §6).
//!
//! - [`program`]: foil IR compiled to a flat f32 register program (host).
//! - [`kernel`]: [`ActivationKernel`], an n-input F with its partials.
//! - [`ops`]: the backend extension (`Flex` + `Autodiff`; a Cube impl slots in).
//! - [`modules`]: burn modules: an activation, the dense `Linear → F` layer.
//! - [`rewrite`]: which kernel each activation site gets, per mode.

pub mod kernel;
pub mod modules;
pub mod ops;
pub mod program;
pub mod rewrite;

pub use kernel::{ActivationKernel, ScalarActivation};
pub use modules::{Activation, DenseAct};
pub use ops::{activation, activation_backward, FoilActivationOps};
pub use rewrite::{Mode, RewriteError, Rewriter};
