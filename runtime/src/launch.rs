//! Host helpers: upload f32 slices, launch a generated activation's kernels on
//! the default device, read the result back. Plus the adapter probe, which
//! reports a missing adapter as an error instead of panicking.

use crate::kernels::{Client, GpuActivation, GpuSplitActivation, Handle, Launch};
use crate::RuntimeError;
use cubecl::prelude::*;

/// A client for the default device: wgpu when the `wgpu` feature is on (the
/// default), else CUDA device 0 with the `cuda` feature. `Err(NoDevice)` when
/// there is no adapter or no runtime compiled in; never panics.
pub fn default_client() -> Result<Client, RuntimeError> {
    let device = default_device()?;
    // Client creation can still panic (the device request fails).
    quiet(move || device.client()).ok_or_else(|| RuntimeError::NoDevice("the device was found but its client could not be created".into()))
}

#[cfg(feature = "wgpu")]
fn default_device() -> Result<cubecl::Device, RuntimeError> {
    cubecl::Device::wgpu(cubecl::device::WgpuDeviceKind::DefaultDevice).map_err(|e| RuntimeError::NoDevice(format!("no wgpu adapter: {e}")))
}

#[cfg(all(feature = "cuda", not(feature = "wgpu")))]
fn default_device() -> Result<cubecl::Device, RuntimeError> {
    cubecl::Device::cuda(0).map_err(|e| RuntimeError::NoDevice(format!("no CUDA device: {e}")))
}

#[cfg(not(any(feature = "wgpu", feature = "cuda")))]
fn default_device() -> Result<cubecl::Device, RuntimeError> {
    Err(RuntimeError::NoDevice("this build has no cubecl runtime (enable the `wgpu` or `cuda` feature)".into()))
}

/// Run `f`, turning a panic into `None` without printing it.
fn quiet<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Option<T> {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(f);
    std::panic::set_hook(prev);
    r.ok()
}

pub fn upload(client: &Client, v: &[f32]) -> Handle {
    client.create_from_slice(f32::as_bytes(v))
}

pub fn empty(client: &Client, len: usize) -> Handle {
    client.empty(len * core::mem::size_of::<f32>())
}

pub fn read(client: &Client, h: Handle, len: usize) -> Result<Vec<f32>, RuntimeError> {
    let bytes = client.read_one(h).map_err(|e| RuntimeError::Server(format!("{e:?}")))?;
    let mut v = f32::from_bytes(&bytes).to_vec();
    v.truncate(len);
    Ok(v)
}

pub fn same_len(what: &'static str, want: usize, got: usize) -> Result<(), RuntimeError> {
    if want != got {
        return Err(RuntimeError::Length { what, expected: want, got });
    }
    Ok(())
}

/// f(x) on the default device.
pub fn forward_host<A: GpuActivation>(x: &[f32]) -> Result<Vec<f32>, RuntimeError> {
    let client = default_client()?;
    forward_on::<A>(&client, x, Launch::for_client(&client, x.len()))
}

/// grad_out · f'(x) on the default device.
pub fn backward_host<A: GpuActivation>(x: &[f32], grad_out: &[f32]) -> Result<Vec<f32>, RuntimeError> {
    let client = default_client()?;
    backward_on::<A>(&client, x, grad_out, Launch::for_client(&client, x.len()))
}

/// The most bytes one buffer of a host call holds: the device's
/// `max_page_size` (128 MiB on Mesa lavapipe, whose allocation of 160 MiB
/// fails), and at most 256 MiB. NVIDIA's Vulkan driver reports a 2 GiB page
/// but refused a 2 GiB upload (H200, driver 580.159, 2026-12-04); 256 MiB
/// buffers are what foil-bench allocates and fills there at 64M elements.
pub fn max_piece_bytes(client: &Client) -> usize {
    const CAP: u64 = 256 << 20;
    client.properties().memory.max_page_size.min(CAP) as usize
}

/// The pieces one host call is launched in: a buffer larger than
/// [`max_piece_bytes`] is split into consecutive ranges, each a multiple of
/// the vector size, so a long slice gives its result instead of an
/// allocation error. Element-wise kernels make the split exact.
fn pieces(client: &Client, launch: Launch) -> Vec<(core::ops::Range<usize>, Launch)> {
    let per_piece = (max_piece_bytes(client) / core::mem::size_of::<f32>() / launch.vector_size * launch.vector_size).max(launch.vector_size);
    (0..launch.len)
        .step_by(per_piece)
        .map(|start| {
            let end = (start + per_piece).min(launch.len);
            (start..end, Launch { len: end - start, vector_size: launch.vector_size })
        })
        .collect()
}

/// f(x) on `client` with an explicit launch (`launch.len == x.len()`).
pub fn forward_on<A: GpuActivation>(client: &Client, x: &[f32], launch: Launch) -> Result<Vec<f32>, RuntimeError> {
    same_len("x", launch.len, x.len())?;
    let mut y = Vec::with_capacity(x.len());
    for (range, piece) in pieces(client, launch) {
        let (xh, yh) = (upload(client, &x[range.clone()]), empty(client, range.len()));
        A::launch_forward(client, &xh, &yh, piece)?;
        y.extend(read(client, yh, range.len())?);
    }
    Ok(y)
}

/// grad_out · f'(x) on `client` with an explicit launch.
pub fn backward_on<A: GpuActivation>(client: &Client, x: &[f32], grad_out: &[f32], launch: Launch) -> Result<Vec<f32>, RuntimeError> {
    same_len("x", launch.len, x.len())?;
    same_len("grad_out", x.len(), grad_out.len())?;
    let mut grad_in = Vec::with_capacity(x.len());
    for (range, piece) in pieces(client, launch) {
        let (xh, gh, oh) = (upload(client, &x[range.clone()]), upload(client, &grad_out[range.clone()]), empty(client, range.len()));
        A::launch_backward(client, &xh, &gh, &oh, piece)?;
        grad_in.extend(read(client, oh, range.len())?);
    }
    Ok(grad_in)
}

/// F(u1..un) on the default device; `inputs.len() == A::TERMS`, all of one length.
pub fn split_forward_host<A: GpuSplitActivation>(inputs: &[&[f32]]) -> Result<Vec<f32>, RuntimeError> {
    let client = default_client()?;
    let len = inputs.first().map_or(0, |u| u.len());
    split_forward_on::<A>(&client, inputs, Launch::for_client(&client, len))
}

/// Every grad_out · ∂F/∂ui on the default device.
pub fn split_backward_host<A: GpuSplitActivation>(inputs: &[&[f32]], grad_out: &[f32]) -> Result<Vec<Vec<f32>>, RuntimeError> {
    let client = default_client()?;
    split_backward_on::<A>(&client, inputs, grad_out, Launch::for_client(&client, grad_out.len()))
}

fn check_split_inputs(terms: usize, inputs: &[&[f32]], len: usize) -> Result<(), RuntimeError> {
    crate::kernels::check_terms(terms, "inputs", inputs.len())?;
    inputs.iter().try_for_each(|u| same_len("input", len, u.len()))
}

pub fn split_forward_on<A: GpuSplitActivation>(client: &Client, inputs: &[&[f32]], launch: Launch) -> Result<Vec<f32>, RuntimeError> {
    check_split_inputs(A::TERMS, inputs, launch.len)?;
    let mut y = Vec::with_capacity(launch.len);
    for (range, piece) in pieces(client, launch) {
        let hs: Vec<Handle> = inputs.iter().map(|u| upload(client, &u[range.clone()])).collect();
        let yh = empty(client, range.len());
        A::launch_forward(client, &hs, &yh, piece)?;
        y.extend(read(client, yh, range.len())?);
    }
    Ok(y)
}

pub fn split_backward_on<A: GpuSplitActivation>(client: &Client, inputs: &[&[f32]], grad_out: &[f32], launch: Launch) -> Result<Vec<Vec<f32>>, RuntimeError> {
    check_split_inputs(A::TERMS, inputs, launch.len)?;
    same_len("grad_out", launch.len, grad_out.len())?;
    let mut grads = vec![Vec::with_capacity(launch.len); A::TERMS];
    for (range, piece) in pieces(client, launch) {
        let hs: Vec<Handle> = inputs.iter().map(|u| upload(client, &u[range.clone()])).collect();
        let gh = upload(client, &grad_out[range.clone()]);
        let outs: Vec<Handle> = (0..A::TERMS).map(|_| empty(client, range.len())).collect();
        A::launch_backward(client, &hs, &gh, &outs, piece)?;
        for (grad, h) in grads.iter_mut().zip(outs) {
            grad.extend(read(client, h, range.len())?);
        }
    }
    Ok(grads)
}
