//! Dataset loaders producing flat, normalised `f32` buffers.
//!
//! Every loader validates its input completely and reports problems as a
//! [`DataError`] naming the offending file, because the usual failure is a
//! half-finished download or a mislabelled file, and the path is what the
//! user needs to fix it. No input, however corrupt, makes a loader panic.

mod error;
mod file;

pub mod cifar;
pub mod idx;
pub mod mnist;

pub use cifar::{Cifar10, Cifar100, CifarSplit};
pub use error::DataError;
pub use file::MAX_FILE_BYTES;
pub use mnist::{Mnist, Split};

/// Maps pixel bytes `0..=255` onto `[0, 1]`, the input range the models expect.
fn normalise(pixels: &[u8]) -> Vec<f32> {
    pixels.iter().map(|&p| f32::from(p) / 255.0).collect()
}
