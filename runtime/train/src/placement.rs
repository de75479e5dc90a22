//! Where a run trains: the burn backend and how many data-parallel replicas.
//!
//! With `devices = N` every batch is cut into N contiguous shards; replica i
//! runs forward and backward on shard i in its own thread (on device i), its
//! gradients move to the first device, are summed in replica order (so a run
//! stays deterministic) and ONE optimizer step updates the model there. Each
//! shard's loss is weighted by its share of the batch, so the summed gradient
//! is the gradient of the batch mean, as with one device.
//!
//! burn's Flex backend has one device (the host); N replicas on it are N
//! threads sharing the CPU. On wgpu/cuda the replicas go to the adapters
//! found, round-robin when fewer exist than were asked for.

use ::burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::TrainError;

/// The burn backend a run trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend.
    Flex,
    /// burn's CubeCL backend through wgpu (Vulkan, Metal, DX12; lavapipe on a CPU-only machine).
    Wgpu,
    /// burn's CubeCL backend on CUDA.
    Cuda,
}

impl BackendKind {
    pub const ALL: &'static [BackendKind] = &[BackendKind::Flex, BackendKind::Wgpu, BackendKind::Cuda];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A backend and a replica count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub backend: BackendKind,
    pub devices: usize,
}

impl Default for Placement {
    fn default() -> Self {
        Placement { backend: BackendKind::Flex, devices: 1 }
    }
}

impl Placement {
    pub fn new(backend: BackendKind, devices: usize) -> Self {
        Placement { backend, devices }
    }

    /// One autodiff device per replica; the first holds the model and the
    /// optimizer. Fails (never panics) when the backend is not compiled in
    /// or has no device.
    pub fn replica_devices(&self) -> Result<Vec<Device>, TrainError> {
        let unavailable = |reason: String| TrainError::Device { backend: self.backend, reason };
        if self.devices == 0 {
            return Err(unavailable("the number of devices must be at least 1".into()));
        }
        let physical: Vec<Device> = match self.backend {
            BackendKind::Flex => vec![Device::flex()],
            BackendKind::Wgpu => wgpu_devices().map_err(unavailable)?,
            BackendKind::Cuda => cuda_devices().map_err(unavailable)?,
        };
        Ok((0..self.devices).map(|i| physical[i % physical.len()].clone().autodiff()).collect())
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_devices() -> Result<Vec<Device>, String> {
    use ::burn::tensor::{DeviceKind, DeviceType};
    // Probe through cubecl first: burn's device constructors are lazy and
    // panic on first use when there is no adapter.
    foil_runtime::default_client().map_err(|e| e.to_string())?;
    let found: Vec<Device> = Device::enumerate(DeviceType::Wgpu).into_iter().collect();
    Ok(if found.is_empty() { vec![Device::wgpu(DeviceKind::DefaultDevice)] } else { found })
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_devices() -> Result<Vec<Device>, String> {
    Err("this foil was built without the `wgpu` feature".into())
}

#[cfg(feature = "cuda")]
fn cuda_devices() -> Result<Vec<Device>, String> {
    use ::burn::tensor::DeviceType;
    let found: Vec<Device> = Device::enumerate(DeviceType::Cuda).into_iter().collect();
    if found.is_empty() {
        return Err("no CUDA device found".into());
    }
    Ok(found)
}

#[cfg(not(feature = "cuda"))]
fn cuda_devices() -> Result<Vec<Device>, String> {
    Err("this foil was built without the `cuda` feature (cargo build --features cuda)".into())
}
