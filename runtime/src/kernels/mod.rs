//! The GPU side of a generated activation: the traits whose launch functions
//! the macros implement (each over `#[cube(launch_unchecked)]` kernels emitted
//! into a module next to the activation), the launch geometry, and the
//! `#[cube]` math helpers those kernels call ([`math`]).
//!
//! Kernels are element-wise over `Vector<f32, N>`; `launch.vector_size` (N)
//! must divide `launch.len`. Backward kernels are fused: they read x (or
//! u1..un) and grad_out and write grad_in (or every ∂/∂ui) in one pass.
//!
//! [`jit`] holds the kernels generated at run time from foil IR instead.

pub mod jit;
pub mod math;

use crate::{Activation, RuntimeError, SplitActivation};
use cubecl::prelude::*;

pub use cubecl::client::Client;
pub use cubecl::server::Handle;

/// How many f32 values a launch covers, and the vector width it reads them with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Launch {
    pub len: usize,
    pub vector_size: usize,
}

impl Launch {
    /// `vector_size` must be 1, 2 or 4 and divide `len`.
    pub fn new(len: usize, vector_size: usize) -> Result<Self, RuntimeError> {
        if !matches!(vector_size, 1 | 2 | 4) || len % vector_size != 0 {
            return Err(RuntimeError::VectorSize { len, vector_size });
        }
        Ok(Launch { len, vector_size })
    }

    /// The largest vector size the client prefers for f32 that divides `len`.
    pub fn for_client(client: &Client, len: usize) -> Self {
        let vector_size = client
            .io_optimized_vector_sizes(core::mem::size_of::<f32>())
            .filter(|&v| matches!(v, 1 | 2 | 4) && len % v == 0)
            .max()
            .unwrap_or(1);
        Launch { len, vector_size }
    }

    /// Number of `Vector<f32, N>` elements.
    pub fn vectors(&self) -> usize {
        self.len / self.vector_size
    }

    /// Cube count and dimension for an element-wise launch over [`Self::vectors`].
    pub fn geometry(&self, client: &Client) -> (CubeCount, CubeDim) {
        let dim = CubeDim::new_1d(256);
        let count = cubecl::calculate_cube_count_elemwise(client, self.vectors().max(1), dim);
        (count, dim)
    }

    /// Refuse a handle smaller than `len` f32 values (the kernels are launched
    /// unchecked, so an undersized buffer would be read out of bounds).
    pub fn check(&self, what: &'static str, handle: &Handle) -> Result<(), RuntimeError> {
        let need = (self.len * core::mem::size_of::<f32>()) as u64;
        if handle.size_in_used() < need {
            return Err(RuntimeError::BufferTooSmall { what, bytes: handle.size_in_used(), need });
        }
        Ok(())
    }

    /// `handle` as the slice argument of a kernel over `Vector<f32, N>`.
    ///
    /// # Safety
    /// The handle must hold at least `len` f32 values ([`Self::check`]).
    pub unsafe fn arg(&self, handle: &Handle) -> BufferArg {
        unsafe { BufferArg::from_raw_parts(handle.clone(), self.vectors()) }
    }
}

/// An [`Activation`] with device kernels: `y = f(x)` and the fused
/// `grad_in = grad_out · f'(x)`, on f32 buffers of at least `launch.len` values.
/// The launches are queued on `client`; read the outputs back (or `sync`) to wait.
pub trait GpuActivation: Activation {
    fn launch_forward(client: &Client, x: &Handle, y: &Handle, launch: Launch) -> Result<(), RuntimeError>;
    fn launch_backward(client: &Client, x: &Handle, grad_out: &Handle, grad_in: &Handle, launch: Launch) -> Result<(), RuntimeError>;
}

/// A [`SplitActivation`] with device kernels over its `TERMS` inputs: the
/// value, and every partial derivative times `grad_out` in one pass.
pub trait GpuSplitActivation: SplitActivation {
    /// `inputs.len() == TERMS`.
    fn launch_forward(client: &Client, inputs: &[Handle], y: &Handle, launch: Launch) -> Result<(), RuntimeError>;
    /// `grads[i] = grad_out · ∂F/∂ui`; `inputs.len() == grads.len() == TERMS`.
    fn launch_backward(client: &Client, inputs: &[Handle], grad_out: &Handle, grads: &[Handle], launch: Launch) -> Result<(), RuntimeError>;
}

/// Checks shared by the generated split launchers.
pub fn check_terms(terms: usize, what: &'static str, got: usize) -> Result<(), RuntimeError> {
    if got != terms {
        return Err(RuntimeError::Terms { what, expected: terms, got });
    }
    Ok(())
}
