//! foil-bandwidth: where the wgpu path loses memory bandwidth. An identity
//! copy of `--elements` f32 (default 64M: 512 MiB read and written), timed
//! by the GPU's timestamps, for every vector width (1, 2, 4), cube size
//! (128 to 1024 units) and number of vectors per unit (1, 2, 4, 8, grid-
//! strided so a warp's loads stay contiguous). The macro kernels launch
//! width 4, 256 units, one vector per unit; if another shape copies faster,
//! that is the lever.
//!
//! On an H200 (2026-12-04) that shape moved 1.14 TB/s, CUDA's copy 3.68:
//! `scripts/gpu-check.sh` runs this beside foil-bench so the next device
//! session reads the answer rather than guessing. Every copy is read back
//! and compared; a wrong one is an error (exit 1), not a fast figure.
//!
//! Then foil's tanh GA, forward then backward as a training step launches
//! them, at the same elements and the kernels' own launch, timed the same
//! way: the rate the HBM-peak goal reads, beside the copy's, from one small
//! binary (`scripts/gpu-check.sh` runs it built for WGSL and for SPIR-V).
//! Its every output is compared with the scalar Rust of the same kernel.
//!
//! Last, gelu_tanh's SA step (forward, then backward with its two partials)
//! at each vector width, 1, 2 and 4, at up to 16M elements. It is the one
//! kernel far from the copy's speed on the H200 (0.32–0.36 × memcpy at 16M
//! on 2026-12-04), and compute-bound there: is it the registers that four
//! elements per unit take? Each width's outputs are compared with the
//! scalar Rust too.
//!
//! Prints JSON: the device, the sizes, one case per shape, the fastest,
//! `tanh_ga` and `gelu_tanh_sa_by_width`.

use clap::Parser;
use foil::cubecl::{self, prelude::*};
use foil::kernels::{Client, Handle, Launch};
use foil::{Activation, GpuActivation, GpuSplitActivation, SplitActivation};
use foil_bench::gpu::{median_device_seconds, open, read, sync};
use foil_bench::{BenchDevice, GeluTanhSa, TanhGa};
use serde_json::json;

#[derive(Parser)]
#[command(name = "foil-bandwidth", version, about = "Identity-copy bandwidth on wgpu by launch shape (GPU timestamps)")]
struct Args {
    /// f32 elements copied per launch (a multiple of 32).
    #[arg(long, default_value_t = 64 << 20)]
    elements: usize,
    /// Timed launches per shape (the median is reported), after 2 untimed.
    #[arg(long, default_value_t = 5)]
    reps: usize,
}

/// `dst = src`, each unit copying `per_unit` vectors `units` apart (all the
/// units launched), so that neighbouring units touch neighbouring vectors.
#[cube(launch_unchecked)]
fn copy<F: Float, N: Size>(src: &[Vector<F, N>], dst: &mut [Vector<F, N>], #[comptime] per_unit: usize) {
    let units = CUBE_COUNT * (CUBE_DIM as usize);
    #[unroll]
    for i in 0..per_unit {
        let at = ABSOLUTE_POS + i * units;
        if at < src.len() {
            dst[at] = src[at];
        }
    }
}

fn launch(client: &Client, src: &Handle, dst: &Handle, elements: usize, width: usize, cube: u32, per_unit: usize) {
    let vectors = elements / width;
    let units = vectors.div_ceil(per_unit);
    let dim = CubeDim::new_1d(cube);
    let count = cubecl::calculate_cube_count_elemwise(client, units.max(1), dim);
    // SAFETY: both buffers hold `elements` f32; the kernel guards its index.
    unsafe {
        copy::launch_unchecked::<f32>(
            client,
            count,
            dim,
            width,
            BufferArg::from_raw_parts(src.clone(), vectors),
            BufferArg::from_raw_parts(dst.clone(), vectors),
            per_unit,
        )
    };
}

/// Runs `step` once, compares its `outputs` with `scalar` (SPEC §5's 1e-5,
/// mixed scale: an error names `what`), then times it by the GPU's
/// timestamps: the median seconds of `reps`, and the error.
fn checked_step_seconds(
    client: &Client,
    reps: usize,
    what: &str,
    step: &dyn Fn() -> Result<(), String>,
    outputs: &[&Handle],
    scalar: &[Vec<f32>],
) -> Result<(f64, f64), String> {
    step()?;
    let got = outputs.iter().map(|&h| read(client, h.clone())).collect::<Result<Vec<_>, String>>()?;
    let error = foil_bench::max_rel_diff(&got, scalar);
    if !(error <= 1e-5) {
        return Err(format!("{what}: an output is off the scalar Rust by {error:e} (mixed; SPEC scale 1e-5)"));
    }
    let s = median_device_seconds(
        client,
        reps,
        &mut [&mut || {
            step()?;
            sync(client)
        }],
    )?
    .ok_or("the device keeps no timestamps")?[0];
    Ok((s, error))
}

/// tanh's GA forward then backward over `n` of the bench's inputs with
/// grad_out = 1, the step's five arrays of f32 (20·n bytes), timed by the
/// GPU's timestamps (median of `reps`), its outputs checked against the
/// scalar Rust within SPEC §5's 1e-5; `fraction_of_peak` of the stated HBM
/// peak, as foil-bench states it.
fn tanh_ga(client: &Client, n: usize, reps: usize) -> Result<serde_json::Value, String> {
    let x = foil_bench::inputs(n, 1);
    let upload = |v: &[f32]| client.create_from_slice(f32::as_bytes(v));
    let (xh, gh, yh, gxh) = (upload(&x), upload(&vec![1.0; n]), upload(&vec![f32::NAN; n]), upload(&vec![f32::NAN; n]));
    let launch = Launch::for_client(client, n);
    let step = || -> Result<(), String> {
        TanhGa::launch_forward(client, &xh, &yh, launch).map_err(|e| e.to_string())?;
        TanhGa::launch_backward(client, &xh, &gh, &gxh, launch).map_err(|e| e.to_string())
    };
    let scalar = vec![x.iter().map(|&v| TanhGa::value(v)).collect(), x.iter().map(|&v| TanhGa::derivative(v)).collect()];
    let (s, error) = checked_step_seconds(client, reps, "tanh GA", &step, &[&yh, &gxh], &scalar)?;
    let bytes = 20 * n;
    let peak = foil_bench::stated_peak();
    Ok(json!({
        "elements": n, "bytes": bytes, "vector_size": launch.vector_size, "device_ms": s * 1e3, "gbps": bytes as f64 / s / 1e9,
        "fraction_of_peak": peak.map(|p| bytes as f64 / s / p), "max_mixed_error_vs_scalar": error,
    }))
}

/// The most elements [`gelu_tanh_sa_by_width`] runs: the H200 figure it
/// revisits is at 16M, and its scalar reference costs host time per element.
const WIDTH_PROBE_ELEMENTS: usize = 16 << 20;

/// gelu_tanh's SA forward then backward (grad_out = 1) over `n` of the
/// bench's inputs (u1, u2 as foil-bench's seeds 2 and 3), at vector width 1,
/// 2 and 4, timed by the GPU's timestamps (median of `reps`); every width's
/// outputs checked against the scalar Rust within SPEC §5's 1e-5.
fn gelu_tanh_sa_by_width(client: &Client, n: usize, reps: usize) -> Result<serde_json::Value, String> {
    let u = [foil_bench::inputs(n, 2), foil_bench::inputs(n, 3)];
    let mut scalar = vec![Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n)];
    let mut grad = [0.0f32; 2];
    for (&a, &b) in u[0].iter().zip(&u[1]) {
        scalar[0].push(GeluTanhSa::value(&[a, b]));
        GeluTanhSa::gradient(&[a, b], &mut grad);
        scalar[1].push(grad[0]);
        scalar[2].push(grad[1]);
    }
    let upload = |v: &[f32]| client.create_from_slice(f32::as_bytes(v));
    let inputs = [upload(&u[0]), upload(&u[1])];
    let grad_out = upload(&vec![1.0; n]);
    let bytes = 4 * n * (3 * GeluTanhSa::TERMS + 2);
    let mut widths = Vec::new();
    for width in [1usize, 2, 4] {
        let launch = Launch::new(n, width).map_err(|e| e.to_string())?;
        let (y, grads) = (upload(&vec![f32::NAN; n]), [upload(&vec![f32::NAN; n]), upload(&vec![f32::NAN; n])]);
        let step = || -> Result<(), String> {
            GeluTanhSa::launch_forward(client, &inputs, &y, launch).map_err(|e| e.to_string())?;
            GeluTanhSa::launch_backward(client, &inputs, &grad_out, &grads, launch).map_err(|e| e.to_string())
        };
        let what = format!("gelu_tanh SA at vector width {width}");
        let (s, error) = checked_step_seconds(client, reps, &what, &step, &[&y, &grads[0], &grads[1]], &scalar)?;
        widths.push(json!({ "vector_size": width, "device_ms": s * 1e3, "gbps": bytes as f64 / s / 1e9, "max_mixed_error_vs_scalar": error }));
    }
    Ok(json!({ "elements": n, "bytes": bytes, "widths": widths }))
}

fn run(args: &Args) -> Result<serde_json::Value, String> {
    if args.elements == 0 || args.elements % 32 != 0 {
        return Err(format!("--elements {}: must be a positive multiple of 32", args.elements));
    }
    let (client, _, name) = open(BenchDevice::Wgpu)?;
    let n = args.elements;
    let data: Vec<f32> = (0..n).map(|i| (i % 65_521) as f32).collect();
    let src = client.create_from_slice(f32::as_bytes(&data));
    let bytes = 8 * n;
    let mut cases = Vec::new();
    for width in [1usize, 2, 4] {
        for cube in [128u32, 256, 512, 1024] {
            for per_unit in [1usize, 2, 4, 8] {
                // A destination of NaN, copied into once, compared element by element.
                let dst = client.create_from_slice(f32::as_bytes(&vec![f32::NAN; n]));
                launch(&client, &src, &dst, n, width, cube, per_unit);
                let got = read(&client, dst.clone())?;
                if let Some(i) = (0..n).find(|&i| got[i].to_bits() != data[i].to_bits()) {
                    return Err(format!("width {width}, cube {cube}, {per_unit} per unit: element {i} is {} not {}", got[i], data[i]));
                }
                launch(&client, &src, &dst, n, width, cube, per_unit);
                sync(&client)?;
                let s = median_device_seconds(
                    &client,
                    args.reps,
                    &mut [&mut || {
                        launch(&client, &src, &dst, n, width, cube, per_unit);
                        sync(&client)
                    }],
                )?
                .ok_or("the device keeps no timestamps")?[0];
                cases.push(
                    json!({ "vector_width": width, "cube_dim": cube, "vectors_per_unit": per_unit, "device_ms": s * 1e3, "gbps": bytes as f64 / s / 1e9 }),
                );
            }
        }
    }
    let best = cases.iter().max_by(|a, b| a["gbps"].as_f64().unwrap_or(0.0).total_cmp(&b["gbps"].as_f64().unwrap_or(0.0))).cloned();
    let shipped = cases.iter().find(|c| c["vector_width"] == 4 && c["cube_dim"] == 256 && c["vectors_per_unit"] == 1).cloned();
    drop(src);
    let tanh_ga = tanh_ga(&client, n, args.reps)?;
    let by_width = gelu_tanh_sa_by_width(&client, n.min(WIDTH_PROBE_ELEMENTS), args.reps)?;
    Ok(json!({
        "device": name, "elements": n, "bytes": bytes, "timed_by": "GPU timestamps (cubecl profile window), median", "reps": args.reps,
        "shipped_shape": shipped, "fastest": best, "cases": cases, "tanh_ga": tanh_ga, "gelu_tanh_sa_by_width": by_width,
    }))
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok(v) => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
        Err(e) => {
            eprintln!("foil-bandwidth: {e}");
            std::process::exit(1);
        }
    }
}
