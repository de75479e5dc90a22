//! Errors of the GPU layer.

/// Why a kernel could not be launched or its result read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// No adapter/device: tests print a SKIP line on this.
    #[error("{0}")]
    NoDevice(String),
    #[error("vector size {vector_size} does not divide length {len} (or is not 1, 2 or 4)")]
    VectorSize { len: usize, vector_size: usize },
    #[error("{what}: {got} values, expected {expected}")]
    Length { what: &'static str, expected: usize, got: usize },
    #[error("{what}: {got} buffers, expected {expected} (one per term)")]
    Terms { what: &'static str, expected: usize, got: usize },
    #[error("{what}: buffer of {bytes} bytes, the launch needs {need}")]
    BufferTooSmall { what: &'static str, bytes: u64, need: u64 },
    #[error("device error: {0}")]
    Server(String),
    /// A packed layout that does not fit the kernel or the kernels' indexing.
    #[error("packed layout {0}")]
    Layout(String),
}
