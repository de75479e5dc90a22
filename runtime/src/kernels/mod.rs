//! The GPU side of a generated activation: the traits the macros implement
//! with `#[cube]` math ([`CubeActivation`] for one input, [`CubeSplitActivation`]
//! for n), the generic kernels that launch any implementor ([`forward`],
//! [`backward`], [`split_forward`], [`split_backward`]), the launch geometry,
//! and the `#[cube]` math helpers the generated code calls ([`math`]).
//!
//! Kernels are element-wise over `Vector<f32, N>`; `launch.vector_size` (N)
//! must divide `launch.len`. Backward kernels are fused: they read x (or
//! u1..un) and grad_out and write grad_in (or every ∂/∂ui) in one pass.
//!
//! Kernels generated at run time from foil IR, rather than by the macros,
//! live in `foil-burn` (`foil_burn::jit`) and call the same [`math`].

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
        let vector_size = client.io_optimized_vector_sizes(core::mem::size_of::<f32>()).filter(|&v| matches!(v, 1 | 2 | 4) && len % v == 0).max().unwrap_or(1);
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

/// The lane-wise device math of a one-input activation: `#[cube]` functions
/// over `Vector<F, N>` that kernels inline. `activation!` and `adversarial!`
/// implement it with `#[cube] impl`; [`forward`] and [`backward`] are the
/// element-wise kernels over any implementor.
///
/// The kernels are generic here rather than emitted per activation, so an
/// activation costs its users' builds only its own math (the launch glue of
/// two `#[cube(launch_unchecked)]` kernels was ~30 ms of rustc per macro
/// invocation), and the launch code is compiled only for activations that
/// are launched.
#[cube]
pub trait CubeActivation: Send + Sync + 'static {
    /// f, lane-wise.
    fn value<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N>;
    /// f', lane-wise.
    fn derivative<F: Float, N: Size>(x: Vector<F, N>) -> Vector<F, N>;
}

/// `y = f(x)`, element-wise.
#[cube(launch_unchecked)]
pub fn forward<A: CubeActivation, F: Float, N: Size>(x: &[Vector<F, N>], y: &mut [Vector<F, N>]) {
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = A::value::<F, N>(x[ABSOLUTE_POS]);
    }
}

/// `grad_in = grad_out · f'(x)`, element-wise, in one pass.
#[cube(launch_unchecked)]
pub fn backward<A: CubeActivation, F: Float, N: Size>(x: &[Vector<F, N>], grad_out: &[Vector<F, N>], grad_in: &mut [Vector<F, N>]) {
    if ABSOLUTE_POS < x.len() {
        grad_in[ABSOLUTE_POS] = grad_out[ABSOLUTE_POS] * A::derivative::<F, N>(x[ABSOLUTE_POS]);
    }
}

/// An [`Activation`] with device kernels: `y = f(x)` and the fused
/// `grad_in = grad_out · f'(x)`, on f32 buffers of at least `launch.len` values.
/// The launches are queued on `client`; read the outputs back (or `sync`) to wait.
///
/// Every [`CubeActivation`] has it, through [`forward`] and [`backward`].
pub trait GpuActivation: Activation {
    fn launch_forward(client: &Client, x: &Handle, y: &Handle, launch: Launch) -> Result<(), RuntimeError>;
    fn launch_backward(client: &Client, x: &Handle, grad_out: &Handle, grad_in: &Handle, launch: Launch) -> Result<(), RuntimeError>;
}

impl<A: Activation + CubeActivation> GpuActivation for A {
    fn launch_forward(client: &Client, x: &Handle, y: &Handle, launch: Launch) -> Result<(), RuntimeError> {
        if launch.len == 0 {
            return Ok(());
        }
        launch.check("x", x)?;
        launch.check("y", y)?;
        let (count, dim) = launch.geometry(client);
        // SAFETY: both buffers hold `launch.len` f32 (checked above); the
        // kernel guards its index.
        unsafe { forward::launch_unchecked::<A, f32>(client, count, dim, launch.vector_size, launch.arg(x), launch.arg(y)) };
        Ok(())
    }

    fn launch_backward(client: &Client, x: &Handle, grad_out: &Handle, grad_in: &Handle, launch: Launch) -> Result<(), RuntimeError> {
        if launch.len == 0 {
            return Ok(());
        }
        launch.check("x", x)?;
        launch.check("grad_out", grad_out)?;
        launch.check("grad_in", grad_in)?;
        let (count, dim) = launch.geometry(client);
        // SAFETY: as in `launch_forward`.
        unsafe { backward::launch_unchecked::<A, f32>(client, count, dim, launch.vector_size, launch.arg(x), launch.arg(grad_out), launch.arg(grad_in)) };
        Ok(())
    }
}

/// The lane-wise device math of a split function F(u1..un): `#[cube]`
/// functions over the n inputs, in order, as a `Sequence` (its length is
/// known when the kernel is compiled). `adversarial!(.., mode = split)` and
/// `hd_fgd!` implement it; [`split_forward`] and [`split_backward`] are the
/// kernels over any implementor (generic for the reason given at
/// [`CubeActivation`]).
#[cube]
pub trait CubeSplitActivation: Send + Sync + 'static {
    /// F(u1..un), lane-wise.
    fn value<F: Float, N: Size>(u: &Sequence<Vector<F, N>>) -> Vector<F, N>;
    /// grad_out · ∂F/∂ui for every i, lane-wise, over shared subexpressions.
    fn gradient<F: Float, N: Size>(u: &Sequence<Vector<F, N>>, grad_out: Vector<F, N>) -> Sequence<Vector<F, N>>;
}

/// `y = F(u1..un)`, element-wise; `inputs` holds the n buffers in order.
#[cube(launch_unchecked)]
pub fn split_forward<A: CubeSplitActivation, F: Float, N: Size>(inputs: &Sequence<Box<[Vector<F, N>]>>, y: &mut [Vector<F, N>]) {
    if ABSOLUTE_POS < y.len() {
        let mut u = Sequence::new();
        #[unroll]
        for i in 0..inputs.len() {
            u.push(inputs.index(i)[ABSOLUTE_POS]);
        }
        y[ABSOLUTE_POS] = A::value::<F, N>(&u);
    }
}

/// `grads[i] = grad_out · ∂F/∂ui` for every i, element-wise, in one pass.
#[cube(launch_unchecked)]
pub fn split_backward<A: CubeSplitActivation, F: Float, N: Size>(
    inputs: &Sequence<Box<[Vector<F, N>]>>,
    grad_out: &[Vector<F, N>],
    grads: &mut Sequence<Box<[Vector<F, N>]>>,
) {
    if ABSOLUTE_POS < grad_out.len() {
        let mut u = Sequence::new();
        #[unroll]
        for i in 0..inputs.len() {
            u.push(inputs.index(i)[ABSOLUTE_POS]);
        }
        let g = A::gradient::<F, N>(&u, grad_out[ABSOLUTE_POS]);
        #[unroll]
        for i in 0..inputs.len() {
            grads.index_mut(i)[ABSOLUTE_POS] = *g.index(i);
        }
    }
}

/// A [`SplitActivation`] with device kernels over its `TERMS` inputs: the
/// value, and every partial derivative times `grad_out` in one pass.
///
/// Every [`CubeSplitActivation`] has it, through [`split_forward`] and
/// [`split_backward`].
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

impl<A: SplitActivation + CubeSplitActivation> GpuSplitActivation for A {
    fn launch_forward(client: &Client, inputs: &[Handle], y: &Handle, launch: Launch) -> Result<(), RuntimeError> {
        check_terms(A::TERMS, "inputs", inputs.len())?;
        if launch.len == 0 {
            return Ok(());
        }
        for h in inputs {
            launch.check("input", h)?;
        }
        launch.check("y", y)?;
        let (count, dim) = launch.geometry(client);
        let mut args = SequenceArg::new();
        for h in inputs {
            // SAFETY: checked above to hold `launch.len` f32.
            args.push(unsafe { launch.arg(h) });
        }
        // SAFETY: every buffer holds `launch.len` f32 (checked above); the
        // kernel guards its index.
        unsafe { split_forward::launch_unchecked::<A, f32>(client, count, dim, launch.vector_size, args, launch.arg(y)) };
        Ok(())
    }

    fn launch_backward(client: &Client, inputs: &[Handle], grad_out: &Handle, grads: &[Handle], launch: Launch) -> Result<(), RuntimeError> {
        check_terms(A::TERMS, "inputs", inputs.len())?;
        check_terms(A::TERMS, "grads", grads.len())?;
        if launch.len == 0 {
            return Ok(());
        }
        for h in inputs.iter().chain(grads) {
            launch.check("input or grad", h)?;
        }
        launch.check("grad_out", grad_out)?;
        let (count, dim) = launch.geometry(client);
        let (mut ins, mut outs) = (SequenceArg::new(), SequenceArg::new());
        // SAFETY (both loops): checked above to hold `launch.len` f32.
        for h in inputs {
            ins.push(unsafe { launch.arg(h) });
        }
        for h in grads {
            outs.push(unsafe { launch.arg(h) });
        }
        // SAFETY: as in `launch_forward`.
        unsafe { split_backward::launch_unchecked::<A, f32>(client, count, dim, launch.vector_size, ins, launch.arg(grad_out), outs) };
        Ok(())
    }
}
