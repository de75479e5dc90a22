//! What foil-generated activations run on. No symbolic engine here: the
//! macros' generated code, and the run-time kernels of `foil-burn`, are
//! written against this crate.
//!
//! - the traits the macros implement ([`Activation`], [`Adversarial`],
//!   [`SplitActivation`]), over the scalar [`Float`] (f32 and f64; its f32
//!   transcendentals make no library calls, so host loops vectorise);
//! - their GPU side ([`kernels`]): the `#[cube]` math traits
//!   `CubeActivation`/`CubeSplitActivation`, the generic launch kernels
//!   (`forward`, fused `backward`, and the n-input split versions) and the
//!   accurate f32 math helpers generated code calls ([`kernels::math`]);
//! - host helpers that run those kernels ([`launch`]: `forward_host`, ...),
//!   and [`default_client`], which reports a missing adapter as an error.

pub mod kernels;
pub mod launch;

mod activation;
mod error;
mod float;

pub use activation::{Activation, Adversarial, SplitActivation};
/// The cubecl the generated kernels are written against.
pub use cubecl;
pub use error::RuntimeError;
pub use float::{erf_rational, erfi_rational, Float};
pub use launch::{backward_host, default_client, forward_host, split_backward_host, split_forward_host};
