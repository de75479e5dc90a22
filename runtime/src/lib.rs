//! Runtime support for foil-compiled activation functions.
//!
//! For now this crate holds only the data layer ([`data`]): loaders for the
//! small image datasets (MNIST, CIFAR-10/100) that examples and end-to-end
//! tests train on. It is deliberately plain Rust with no tensor backend; the
//! burn/cubecl integration that turns these buffers into tensors and runs
//! compiled activations on them comes in a later step.

pub mod data;
pub mod burn;
pub mod train;
