//! Element-wise kernels, forward + backward: foil's fused cubecl kernels vs
//! burn computing the same expression with its own tensor ops under autodiff,
//! fused (`Fusion<CubeBackend>`, burn's default on CubeCL: the bar) and
//! unfused (`CubeBackend`), vs a device copy of the same bytes.
//!
//! One timed step is forward then backward, then a device sync. foil's
//! backward is seeded with grad_out = 1, which is what burn's `backward`
//! seeds the output with, so both compute the same values; foil still reads
//! grad_out from memory (its kernel's contract), burn does not (its seed is
//! a constant), and the byte count below is foil's.
//!
//! memcpy: an identity kernel (`activation!(DeviceCopy = x)`) over a buffer
//! whose read + write bytes equal foil's read + write bytes for the step.

use super::{goal, BenchDevice, Plan};
use serde_json::{json, Value};

#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod device {
    use super::super::acts::{DeviceCopy, GeluSa, SigmoidGa, TanhGa};
    use super::super::burn_expr::time_forward_backward;
    use super::super::{inputs, median_seconds, Plan};
    use foil::{Activation, GpuActivation, GpuSplitActivation, SplitActivation};
    use burn_cubecl::{Cube, CubeBackend};
    use foil_compiler::lang::Expr;
    use foil::cubecl::{self, prelude::*};
    use foil::kernels::{Client, Handle, Launch};
    use serde_json::{json, Value};

    pub fn open(which: super::BenchDevice) -> Result<(Client, cubecl::Device, String), String> {
        let device = match which {
            #[cfg(feature = "wgpu")]
            super::BenchDevice::Wgpu => cubecl::Device::wgpu(cubecl::device::WgpuDeviceKind::DefaultDevice).map_err(|e| format!("no wgpu adapter: {e}"))?,
            #[cfg(feature = "cuda")]
            super::BenchDevice::Cuda => cubecl::Device::cuda(0).map_err(|e| format!("no CUDA device: {e}"))?,
            #[allow(unreachable_patterns)]
            other => return Err(format!("this build has no {other:?} runtime (rebuild with --features {})", format!("{other:?}").to_lowercase())),
        };
        let name = format!("{device:?}");
        // Client creation can still panic when the adapter request fails.
        let d = device.clone();
        let client = std::panic::catch_unwind(move || d.client()).map_err(|_| "the device was found but its client could not be created".to_string())?;
        Ok((client, device, name))
    }

    fn sync(client: &Client) -> Result<(), String> {
        cubecl::future::block_on(client.sync()).map_err(|e| format!("device sync failed: {e:?}"))
    }

    fn upload(client: &Client, v: &[f32]) -> Handle {
        client.create_from_slice(f32::as_bytes(v))
    }

    fn read(client: &Client, h: Handle) -> Result<Vec<f32>, String> {
        let bytes = client.read_one(h).map_err(|e| format!("read back failed: {e:?}"))?;
        Ok(f32::from_bytes(&bytes).to_vec())
    }

    /// What a case measured on the foil side: time, bytes moved, and the
    /// input gradients (for the agreement check against burn).
    pub struct FoilRun {
        pub seconds: f64,
        pub bytes: usize,
        pub grads: Vec<Vec<f32>>,
    }

    pub fn foil_ga<A: GpuActivation>(client: &Client, x: &[f32], plan: &Plan) -> Result<FoilRun, String> {
        let n = x.len();
        let launch = Launch::for_client(client, n);
        let (xh, gh) = (upload(client, x), upload(client, &vec![1.0f32; n]));
        let (yh, gih) = (client.empty(n * 4), client.empty(n * 4));
        let seconds = median_seconds(plan.warmup, plan.reps, || {
            A::launch_forward(client, &xh, &yh, launch).map_err(|e| e.to_string())?;
            A::launch_backward(client, &xh, &gh, &gih, launch).map_err(|e| e.to_string())?;
            sync(client)
        })?;
        // forward: x in, y out; backward: x and grad_out in, grad_in out.
        Ok(FoilRun { seconds, bytes: 5 * n * 4, grads: vec![read(client, gih)?] })
    }

    pub fn foil_sa<A: GpuSplitActivation>(client: &Client, us: &[Vec<f32>], plan: &Plan) -> Result<FoilRun, String> {
        let n = us[0].len();
        let t = A::TERMS;
        let launch = Launch::for_client(client, n);
        let uh: Vec<Handle> = us.iter().map(|u| upload(client, u)).collect();
        let gh = upload(client, &vec![1.0f32; n]);
        let yh = client.empty(n * 4);
        let gih: Vec<Handle> = (0..t).map(|_| client.empty(n * 4)).collect();
        let seconds = median_seconds(plan.warmup, plan.reps, || {
            A::launch_forward(client, &uh, &yh, launch).map_err(|e| e.to_string())?;
            A::launch_backward(client, &uh, &gh, &gih, launch).map_err(|e| e.to_string())?;
            sync(client)
        })?;
        // forward: t in, 1 out; backward: t + 1 in, t out.
        let grads = gih.into_iter().map(|h| read(client, h)).collect::<Result<_, _>>()?;
        Ok(FoilRun { seconds, bytes: (3 * t + 2) * n * 4, grads })
    }

    /// The identity kernel over `bytes / 8` f32 (read + write = `bytes`).
    pub fn memcpy(client: &Client, bytes: usize, plan: &Plan) -> Result<f64, String> {
        let m = (bytes / 8) / 4 * 4;
        let launch = Launch::for_client(client, m);
        let src = upload(client, &vec![0.5f32; m]);
        let dst = client.empty(m * 4);
        median_seconds(plan.warmup, plan.reps, || {
            DeviceCopy::launch_forward(client, &src, &dst, launch).map_err(|e| e.to_string())?;
            sync(client)
        })
    }

    pub fn burn_fused(expr: &Expr, vars: &[String], data: &[Vec<f32>], device: &cubecl::Device, plan: &Plan) -> Result<(f64, Vec<Vec<f32>>), String> {
        time_forward_backward::<Cube>(expr, vars, data, device, plan)
    }

    pub fn burn_unfused(expr: &Expr, vars: &[String], data: &[Vec<f32>], device: &cubecl::Device, plan: &Plan) -> Result<(f64, Vec<Vec<f32>>), String> {
        time_forward_backward::<CubeBackend>(expr, vars, data, device, plan)
    }

    /// One (activation, size) case: every competitor, its figures and ratios.
    pub fn case(label: &str, client: &Client, device: &cubecl::Device, n: usize, plan: &Plan, peak: Option<f64>) -> Result<Value, String> {
        let (expr_src, vars, data, foil) = match label {
            "tanh-GA" | "sigmoid-GA" => {
                let x = inputs(n, 1);
                let (src, run) = if label == "tanh-GA" {
                    (TanhGa::EXPRESSION, foil_ga::<TanhGa>(client, &x, plan)?)
                } else {
                    (SigmoidGa::EXPRESSION, foil_ga::<SigmoidGa>(client, &x, plan)?)
                };
                (src, vec!["x".to_string()], vec![x], run)
            }
            _ => {
                let us: Vec<Vec<f32>> = (0..GeluSa::TERMS).map(|i| inputs(n, 2 + i as u64)).collect();
                let run = foil_sa::<GeluSa>(client, &us, plan)?;
                (GeluSa::EXPRESSION, (1..=GeluSa::TERMS).map(|i| format!("u{i}")).collect(), us, run)
            }
        };
        let expr = foil_compiler::parse::parse(expr_src).map_err(|e| format!("{label}: its EXPRESSION does not parse: {e}"))?;
        let (fused_s, fused_grads) = burn_fused(&expr, &vars, &data, device, plan)?;
        let (unfused_s, _) = burn_unfused(&expr, &vars, &data, device, plan)?;
        let memcpy_s = memcpy(client, foil.bytes, plan)?;
        let gbps = |s: f64| foil.bytes as f64 / s / 1e9;
        Ok(json!({
            "activation": label,
            "elements": n,
            "inputs": vars.len(),
            "bytes": foil.bytes,
            "foil_ms": foil.seconds * 1e3,
            "burn_fused_ms": fused_s * 1e3,
            "burn_unfused_ms": unfused_s * 1e3,
            "memcpy_ms": memcpy_s * 1e3,
            "foil_gbps": gbps(foil.seconds),
            "memcpy_gbps": gbps(memcpy_s),
            "foil_fraction_of_peak": peak.map(|p| foil.bytes as f64 / foil.seconds / p),
            "vs_burn_fused": fused_s / foil.seconds,
            "vs_burn_unfused": unfused_s / foil.seconds,
            "vs_memcpy": memcpy_s / foil.seconds,
            "max_rel_diff_vs_burn": super::super::max_rel_diff(&foil.grads, &fused_grads),
        }))
    }
}

/// Peak memory bandwidth of the device in bytes/s, when the caller states it
/// (`FOIL_BENCH_PEAK_BYTES_PER_S`; `scripts/gpu-bench.sh` sets it for an H200).
fn stated_peak() -> Option<f64> {
    std::env::var("FOIL_BENCH_PEAK_BYTES_PER_S").ok()?.parse().ok().filter(|p: &f64| *p > 0.0)
}

/// The worst case over `cases` of `key` (the headline: every case must meet the goal).
fn worst(cases: &[Value], key: &str) -> Option<f64> {
    cases.iter().filter_map(|c| c[key].as_f64()).reduce(f64::min)
}

pub fn run(plan: &Plan) -> Value {
    let note_fused = "worst case over activations and sizes: burn fused time / foil time";
    let goals = |cases: &[Value]| {
        json!([
            goal("kernel_vs_burn_fused", worst(cases, "vs_burn_fused"), 1.0, true, note_fused),
            goal("kernel_vs_burn_unfused", worst(cases, "vs_burn_unfused"), 3.0, true, "worst case: burn unfused time / foil time"),
            goal("kernel_vs_memcpy", worst(cases, "vs_memcpy"), 0.8, true, "worst case: memcpy time of the same bytes / foil time"),
        ])
    };
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    {
        let (client, device, name) = match device::open(plan.device) {
            Ok(d) => d,
            Err(why) => return json!({ "skipped": why, "device": Value::Null, "cases": [], "goals": goals(&[]) }),
        };
        let mut cases = Vec::new();
        let mut errors = Vec::new();
        for &n in plan.sizes {
            for label in ["tanh-GA", "sigmoid-GA", "gelu-SA"] {
                // An allocation the device cannot serve (64M elements, burn's
                // autodiff keeping every intermediate of a long composition)
                // panics inside the runtime: report it as this case's error.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| device::case(label, &client, &device, n, plan, stated_peak())));
                match run {
                    Ok(Ok(c)) => cases.push(c),
                    Ok(Err(e)) => errors.push(format!("{label} at {n} elements: {e}")),
                    Err(p) => errors.push(format!(
                        "{label} at {n} elements: the runtime panicked (out of device memory?): {}",
                        p.downcast_ref::<String>().map(String::as_str).or(p.downcast_ref::<&str>().copied()).unwrap_or("no message")
                    )),
                }
            }
        }
        let kind = match plan.device {
            BenchDevice::Wgpu => "wgpu (on a machine without a GPU this is Mesa lavapipe, a CPU Vulkan driver: CPU figures, not GPU figures)",
            BenchDevice::Cuda => "cuda",
        };
        json!({ "device": format!("{kind}: {name}"), "cases": cases, "errors": errors, "goals": goals(&cases) })
    }
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    {
        let _ = (plan, stated_peak);
        json!({ "skipped": "built without a cubecl runtime (features wgpu or cuda)", "device": Value::Null, "cases": [], "goals": goals(&[]) })
    }
}
