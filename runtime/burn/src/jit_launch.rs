//! Host helpers for the run-time kernels of [`crate::jit`]: upload f32
//! slices, launch, read back (the counterparts of `foil_runtime::launch`
//! for macro-generated kernels).

use foil_runtime::kernels::Client;
use foil_runtime::launch::{default_client, empty, read, same_len, upload};
use foil_runtime::RuntimeError;

use crate::jit::{JitKernel, PackedLayout};

/// A run-time kernel's forward on the default device: `x` in the packed
/// layout, the result `[outer, c, inner]` (see [`crate::jit`]).
pub fn jit_forward_host(kernel: &JitKernel, x: &[f32], layout: PackedLayout) -> Result<Vec<f32>, RuntimeError> {
    let client = default_client()?;
    jit_forward_on(&client, kernel, x, layout)
}

/// A run-time kernel's fused backward on the default device: grad_x, in the
/// layout of `x`.
pub fn jit_backward_host(kernel: &JitKernel, x: &[f32], grad_out: &[f32], layout: PackedLayout) -> Result<Vec<f32>, RuntimeError> {
    let client = default_client()?;
    jit_backward_on(&client, kernel, x, grad_out, layout)
}

pub fn jit_forward_on(client: &Client, kernel: &JitKernel, x: &[f32], layout: PackedLayout) -> Result<Vec<f32>, RuntimeError> {
    same_len("x", layout.input_len(), x.len())?;
    if layout.output_len() == 0 {
        return Ok(Vec::new());
    }
    let (xh, yh) = (upload(client, x), empty(client, layout.output_len()));
    kernel.launch_forward(client, &xh, &yh, layout)?;
    read(client, yh, layout.output_len())
}

pub fn jit_backward_on(client: &Client, kernel: &JitKernel, x: &[f32], grad_out: &[f32], layout: PackedLayout) -> Result<Vec<f32>, RuntimeError> {
    same_len("x", layout.input_len(), x.len())?;
    same_len("grad_out", layout.output_len(), grad_out.len())?;
    if layout.output_len() == 0 {
        return Ok(Vec::new());
    }
    let (xh, gh, oh) = (upload(client, x), upload(client, grad_out), empty(client, x.len()));
    kernel.launch_backward(client, &xh, &gh, &oh, layout)?;
    read(client, oh, x.len())
}
