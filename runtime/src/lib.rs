//! Runtime support for foil-compiled activation functions.
//!
//! - the traits the macros implement ([`Activation`], [`Adversarial`],
//!   [`SplitActivation`], over the scalar [`Float`]) and their GPU side
//!   ([`kernels`]: `GpuActivation`, `GpuSplitActivation`, cubecl math helpers);
//! - host helpers that run those kernels ([`launch`]: `forward_host`, ...);
//! - foil IR compiled at run time ([`program`]) into a host evaluator and into
//!   GPU kernels specialised on it ([`kernels::jit`]);
//! - the data layer ([`data`]): loaders for the small image datasets (MNIST,
//!   CIFAR-10/100) that examples and end-to-end tests train on.

pub mod data;
pub mod kernels;
pub mod launch;
pub mod program;

mod activation;
mod error;
mod float;

pub use activation::{Activation, Adversarial, SplitActivation};
pub use error::RuntimeError;
pub use float::Float;
pub use launch::{
    backward_host, default_client, forward_host, jit_backward_host, jit_forward_host, split_backward_host, split_forward_host,
};
/// The cubecl the generated kernels are written against.
pub use cubecl;

/// burn integration (fused ops, modules, §6 rewriting) — `train` feature.
#[cfg(feature = "train")]
pub mod burn;
/// Training, checkpoints, metrics, plots — `train` feature.
#[cfg(feature = "train")]
pub mod train;
