//! foil activations in burn 0.22: one fused op per activation with a
//! hand-written backward, modules built on it, and network rewriting
//! (SPEC §6). Any expression works: g, F and SA are derived by
//! `foil-compiler` at run time.
//!
//! - [`program`]: foil IR (F and its partials) compiled from the compiler's
//!   safe-form lowering into one flat register program; the host (Flex)
//!   evaluator runs it.
//! - [`jit`]: cubecl kernels specialised on such a program at kernel-compile
//!   time (one forward, one fused backward), for burn's CubeCL backends;
//!   [`jit_launch`] runs them on plain f32 slices.
//! - [`kernel`]: [`ActivationKernel`], an n-input F with its partials
//!   (a program, or a macro activation's native code).
//! - [`ops`]: the backend extension (`Flex`, `Autodiff`, `Cube`, `Fusion`).
//! - [`modules`]: burn modules: [`ActivationLayer`], the dense `Linear → F` layer.
//! - [`rewrite`]: which kernel each activation site gets, per mode.

pub mod jit;
pub mod jit_launch;
pub mod kernel;
pub mod modules;
pub mod ops;
pub mod program;
pub mod rewrite;

pub use kernel::ActivationKernel;
pub use modules::{ActivationLayer, DenseAct, SplitParam};
pub use ops::{activation, activation_backward, FoilActivationOps};
pub use rewrite::{Mode, RewriteError, Rewriter};
