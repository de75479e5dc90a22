//! burn 0.22 integration: foil activations as one fused burn op with a
//! hand-written backward, modules built on it, and network rewriting
//! (SPEC §6).
//!
//! - [`program`]: re-export of [`crate::program`] (foil IR → register program).
//! - [`kernel`]: [`ActivationKernel`], an n-input F with its partials.
//! - [`ops`]: the backend extension (`Flex` + `Autodiff`; a Cube impl slots in).
//! - [`modules`]: burn modules: an activation, the dense `Linear → F` layer.
//! - [`rewrite`]: which kernel each activation site gets, per mode.

pub mod kernel;
pub mod modules;
pub mod ops;
pub use crate::program;
pub mod rewrite;

pub use kernel::{ActivationKernel, ScalarActivation};
pub use modules::{Activation, DenseAct};
pub use ops::{activation, activation_backward, FoilActivationOps};
pub use rewrite::{Mode, RewriteError, Rewriter};
