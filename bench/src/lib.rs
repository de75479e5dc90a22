//! `foil-bench`: foil against its competitors, each pair measured in the same
//! run. Sections: derivation vs SymPy ([`derive`]), device kernels vs burn's
//! fused and unfused tensor ops and a device memcpy ([`kernels`]), the host
//! scalar path vs burn-flex op composition ([`flex`]), training step time per
//! mode ([`train`]).
//!
//! Every figure is the median of several repetitions after warm-up. A
//! section that cannot run here (no python3/sympy, no adapter) says why in its
//! `skipped` field instead of failing the report; a goal that is missed is
//! reported as `met: false`, never hidden.

mod burn_expr;
mod derive;
mod flex;
mod kernels;
pub use kernels::{Probe, Probes};
mod train;

/// Opening a device, waiting for it and timing on it: shared by the kernel
/// section and `foil-bandwidth`.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
pub mod gpu {
    use foil::cubecl::{self, prelude::*};
    use foil::kernels::{Client, Handle};

    /// How this build's wgpu kernels (foil's and burn's) reach the driver:
    /// with the `vulkan` feature cubecl compiles them to SPIR-V itself on a
    /// Vulkan adapter (buffers addressed through 64-bit pointers); without
    /// it, to WGSL, which wgpu's naga translates. `open` appends it to the
    /// adapter's name, so every report says which path its figures are of.
    pub const WGPU_SHADERS: &str = if cfg!(feature = "vulkan") { "SPIR-V by cubecl" } else { "WGSL through naga" };

    /// The client of `which`, the device, and the adapter's own name
    /// ("NVIDIA H200", "llvmpipe (LLVM …)"): which hardware the figures are of.
    pub fn open(which: super::BenchDevice) -> Result<(Client, cubecl::Device, String), String> {
        let device = match which {
            #[cfg(feature = "wgpu")]
            super::BenchDevice::Wgpu => cubecl::Device::wgpu(cubecl::device::WgpuDeviceKind::DefaultDevice).map_err(|e| format!("no wgpu adapter: {e}"))?,
            #[cfg(feature = "cuda")]
            super::BenchDevice::Cuda => cubecl::Device::cuda(0).map_err(|e| format!("no CUDA device: {e}"))?,
            #[allow(unreachable_patterns)]
            other => return Err(format!("this build has no {other:?} runtime (rebuild with --features {})", format!("{other:?}").to_lowercase())),
        };
        // Client creation can still panic when the adapter request fails.
        let d = device.clone();
        let client = std::panic::catch_unwind(move || d.client()).map_err(|_| "the device was found but its client could not be created".to_string())?;
        let mut name = client.properties().identity.name.clone();
        if which == super::BenchDevice::Wgpu {
            name = format!("{name} [{WGPU_SHADERS}]");
        }
        Ok((client, device, name))
    }

    /// Waits for everything queued on `client`.
    pub fn sync(client: &Client) -> Result<(), String> {
        cubecl::future::block_on(client.sync()).map_err(|e| format!("device sync failed: {e:?}"))
    }

    /// Device-side seconds of `f` (the GPU's timestamps around the passes it
    /// queued: no submission or host wait in them), or `None` where the
    /// device keeps no timestamps (cubecl then times on the host). `f` must
    /// wait for its own work.
    pub fn device_seconds(client: &Client, f: &mut dyn FnMut() -> Result<(), String>) -> Result<Option<f64>, String> {
        let window = client.profile_start().map_err(|e| format!("device profiling failed to start: {e:?}"))?;
        if let Err(e) = f() {
            client.profile_abandon(window);
            return Err(e);
        }
        let d = client.profile_end(window).map_err(|e| format!("device profiling failed: {e:?}"))?;
        if d.timing_method() != cubecl::profile::TimingMethod::Device {
            return Ok(None);
        }
        Ok(cubecl::future::block_on(d.resolve()).map(|t| t.duration().as_secs_f64()))
    }

    /// The f32 values of the device buffer `h`, read back.
    pub fn read(client: &Client, h: Handle) -> Result<Vec<f32>, String> {
        let bytes = client.read_one(h).map_err(|e| format!("read back failed: {e:?}"))?;
        Ok(f32::from_bytes(&bytes).to_vec())
    }

    /// The median device seconds ([`device_seconds`]) of each of `fs` over
    /// `reps` rounds, each round running them in turn so that they see the
    /// same machine load; `None` where the device keeps no timestamps.
    pub fn median_device_seconds(client: &Client, reps: usize, fs: &mut [&mut dyn FnMut() -> Result<(), String>]) -> Result<Option<Vec<f64>>, String> {
        let mut times = vec![Vec::with_capacity(reps.max(1)); fs.len()];
        for _ in 0..reps.max(1) {
            for (f, t) in fs.iter_mut().zip(&mut times) {
                match device_seconds(client, *f)? {
                    Some(s) => t.push(s),
                    None => return Ok(None),
                }
            }
        }
        Ok(Some(times.into_iter().map(super::median).collect()))
    }
}

use clap::ValueEnum;
use serde_json::{json, Value};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchDevice {
    /// cubecl/burn on wgpu (Vulkan, Metal, DX12; Mesa lavapipe on a CPU-only machine).
    Wgpu,
    /// cubecl/burn on CUDA (needs a build with `--features cuda`).
    Cuda,
}

/// foil-bench: foil against its competitors (SymPy, burn fused and unfused,
/// a device memcpy, burn-flex, the training step), each pair measured in the
/// same run, every ratio with its goal. Outside the shipped `foil` binary.
#[derive(clap::Parser, Debug)]
#[command(name = "foil-bench", version)]
pub struct BenchArgs {
    /// 1M elements per kernel (1M and 16M in the memcpy sweep) and few
    /// repetitions: about 5 minutes on a 2-core machine in release, most of
    /// it the memcpy sweep (4 min 37 s on 2026-12-04); without it: 1M, 16M
    /// and 64M elements.
    #[arg(long)]
    pub quick: bool,
    /// Fewer repetitions still and the smallest sizes: checks that every
    /// section runs (what the tests use in a debug build); figures are noisy.
    #[arg(long, conflicts_with = "quick")]
    pub smoke: bool,
    /// Output: text for people (the goals table first), json for tools.
    #[arg(long, value_enum, default_value = "text")]
    pub format: BenchFormat,
    /// Where the kernel section runs, and the training section's second
    /// backend (the MLP's baseline and GA steps, `ga_step_overhead_device`;
    /// flex is always timed).
    #[arg(long, value_enum, default_value = "wgpu")]
    pub device: BenchDevice,
    /// Run only these sections (repeatable; default: all). The others report
    /// `skipped` and contribute no goals.
    #[arg(long, value_enum)]
    pub section: Vec<BenchSection>,
    /// Sweep only these kernels against memcpy (repeatable; default: every
    /// suite kernel). A label as the JSON's `kernel` writes it, e.g.
    /// `--kernel 'tanh SA'`: the macro kernel and the JIT kernel of that name.
    /// For comparing two builds on one kernel in minutes, not for the goals.
    #[arg(long, value_name = "LABEL")]
    pub kernel: Vec<String>,
    /// Sweep your own functions against memcpy instead of the suite's
    /// kernels (the kernels section only; no goal counts them). FILE has one
    /// per line: a label, a tab, F in u1, u2, … (SPEC syntax), and
    /// optionally a tab and ∂F/∂ui for every input, tab-separated (else foil
    /// differentiates F). Each runs as a run-time (JIT) kernel, kind
    /// `probe`. For weighing a form before changing the compiler (see
    /// bench/README.md: the forms of gelu_tanh's SA term).
    #[arg(long, value_name = "FILE", value_parser = kernels::read_probes)]
    pub probe: Option<kernels::Probes>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchSection {
    Derive,
    Kernels,
    Flex,
    Training,
}

/// How much work each section does.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: &'static str,
    pub warmup: usize,
    pub reps: usize,
    /// Element counts for the comparisons with burn (kernels, flex).
    pub sizes: &'static [usize],
    /// Element counts for the memcpy sweep over every suite kernel.
    pub sweep_sizes: &'static [usize],
    /// Per-expression limit for SymPy, seconds.
    pub sympy_timeout_s: f64,
    /// Training steps timed per (model, mode).
    pub train_steps: usize,
    /// Seconds of timed pairs each memcpy-sweep case runs at least (more
    /// repetitions than `reps` where a case is short: 1M on a fast device).
    pub sweep_min_seconds: f64,
    pub device: BenchDevice,
    /// The sweep's kernels by label; empty: all.
    pub kernels: Vec<String>,
    /// `--probe`: sweep these functions instead of the suite's kernels.
    pub probe: Option<kernels::Probes>,
}

const M: usize = 1 << 20;

impl Plan {
    fn from_args(a: &BenchArgs) -> Self {
        let (device, kernels, probe) = (a.device, a.kernel.clone(), a.probe.clone());
        if a.smoke {
            Plan {
                name: "smoke",
                warmup: 1,
                reps: 2,
                sizes: &[1 << 16],
                sweep_sizes: &[1 << 16],
                sympy_timeout_s: 2.0,
                train_steps: 2,
                sweep_min_seconds: 0.0,
                device,
                kernels,
                probe,
            }
        } else if a.quick {
            Plan {
                name: "quick",
                warmup: 2,
                reps: 5,
                sizes: &[M],
                sweep_sizes: &[M, 16 * M],
                sympy_timeout_s: 10.0,
                train_steps: 101,
                sweep_min_seconds: 0.25,
                device,
                kernels,
                probe,
            }
        } else {
            Plan {
                name: "full",
                warmup: 3,
                reps: 10,
                sizes: &[M, 16 * M, 64 * M],
                sweep_sizes: &[M, 16 * M, 64 * M],
                sympy_timeout_s: 60.0,
                train_steps: 201,
                sweep_min_seconds: 0.5,
                device,
                kernels,
                probe,
            }
        }
    }
}

/// Peak memory bandwidth of the device in bytes/s, when the caller states it
/// (`FOIL_BENCH_PEAK_BYTES_PER_S`; `scripts/gpu-check.sh` sets it for an H200).
pub fn stated_peak() -> Option<f64> {
    std::env::var("FOIL_BENCH_PEAK_BYTES_PER_S").ok()?.parse().ok().filter(|p: &f64| *p > 0.0)
}

/// tanh's GA kernel, which `foil-bandwidth` also times beside its copies.
pub use acts::{GeluTanhSa, TanhGa};

/// The macro-generated kernels: every suite kernel (the memcpy sweep), of
/// which tanh-GA, sigmoid-GA and gelu-SA (SPEC names) are also compared with
/// burn, and the identity kernel the memcpy figures use.
pub(crate) mod acts {
    // The GA of every suite row that has one.
    foil::adversarial!(TanhGa = tanh(x));
    foil::adversarial!(SigmoidGa = sigmoid(x));
    foil::adversarial!(SoftplusGa = softplus(x));
    foil::adversarial!(SoftsignGa = softsign(x));
    foil::adversarial!(EluGa = elu(x, 1));
    foil::adversarial!(LeakyReluGa = leaky_relu(x, 0.01));
    foil::adversarial!(AtanGa = atan(x));
    foil::adversarial!(AsinhGa = asinh(x));
    foil::adversarial!(IsruGa = x / sqrt(1 + x ^ 2));
    foil::adversarial!(BentIdentityGa = (sqrt(x ^ 2 + 1) - 1) / 2 + x);
    foil::adversarial!(Sigmoid2xGa = sigmoid(2 * x));
    foil::adversarial!(Expm1Ga = exp(x) - 1);
    // The SA and the HD-FGD F of every row whose SA the suite requires.
    foil::adversarial!(TanhSa = tanh(x), mode = split);
    foil::adversarial!(SigmoidSa = sigmoid(x), mode = split);
    foil::adversarial!(SiluSa = x * sigmoid(x), mode = split);
    foil::adversarial!(GeluSa = gelu(x), mode = split);
    foil::adversarial!(GeluTanhSa = gelu_tanh(x), mode = split);
    foil::adversarial!(MishSa = mish(x), mode = split);
    foil::hd_fgd!(TanhF = tanh(x));
    foil::hd_fgd!(SigmoidF = sigmoid(x));
    foil::hd_fgd!(SiluF = x * sigmoid(x));
    foil::hd_fgd!(GeluF = gelu(x));
    foil::hd_fgd!(GeluTanhF = gelu_tanh(x));
    foil::hd_fgd!(MishF = mish(x));
    foil::activation!(DeviceCopy = x);

    /// `$m!(ga: Type = "label", …; split: Type = "label", …)` over the kernels
    /// above, labelled as the suite table names their rows (the kernel
    /// section checks the list against the table).
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    macro_rules! suite_kernels {
        ($m:ident) => {
            $m!(ga: TanhGa = "tanh GA", SigmoidGa = "sigmoid GA", SoftplusGa = "softplus GA", SoftsignGa = "softsign GA",
                EluGa = "elu GA", LeakyReluGa = "leaky_relu GA", AtanGa = "atan GA", AsinhGa = "asinh GA", IsruGa = "isru GA",
                BentIdentityGa = "bent_identity GA", Sigmoid2xGa = "sigmoid_2x GA", Expm1Ga = "expm1 GA";
                split: TanhSa = "tanh SA", SigmoidSa = "sigmoid SA", SiluSa = "silu SA", GeluSa = "gelu SA", GeluTanhSa = "gelu_tanh SA",
                MishSa = "mish SA", TanhF = "tanh F", SigmoidF = "sigmoid F", SiluF = "silu F", GeluF = "gelu F",
                GeluTanhF = "gelu_tanh F", MishF = "mish F")
        };
    }
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    pub(crate) use suite_kernels;
}

/// Deterministic inputs in [-4, 4] (xorshift), distinct per input index.
pub fn inputs(n: usize, seed: u64) -> Vec<f32> {
    foil_compiler::eval::scattered(n, seed, -4.0, 4.0)
}

/// Largest |a - b| / max(1, |b|) over every element of every output (SPEC §5's scale).
pub fn max_rel_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter().zip(b).flat_map(|(x, y)| x.iter().zip(y)).map(|(&p, &q)| (p as f64 - q as f64).abs() / (q as f64).abs().max(1.0)).fold(0.0, f64::max)
}

/// Median wall time in seconds of `reps` runs of `f`, after `warmup` runs.
/// `f` must itself wait for whatever it queued (device sync), so that the
/// wall time is the work's time.
pub fn median_seconds<E>(warmup: usize, reps: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<f64, E> {
    for _ in 0..warmup {
        f()?;
    }
    let mut times = Vec::with_capacity(reps.max(1));
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(median(times))
}

/// The median of `v` (the upper one of an even count); `v` must not be empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Medians of `a`'s and `b`'s wall times in seconds, and the median of the
/// per-repetition ratios b/a: the two run in alternation (order swapped every
/// repetition), so that both see the same machine load. At least `reps`
/// repetitions, and more until the timed pairs add up to `min_seconds`
/// (at most [`MAX_REPS`]): a short case's median then rests on more pairs
/// than a long one's. As for [`median_seconds`], each must wait for its own
/// work.
pub fn median_ratio<E>(
    warmup: usize,
    reps: usize,
    min_seconds: f64,
    mut a: impl FnMut() -> Result<(), E>,
    mut b: impl FnMut() -> Result<(), E>,
) -> Result<Ratio, E> {
    for _ in 0..warmup {
        a()?;
        b()?;
    }
    let timed = |f: &mut dyn FnMut() -> Result<(), E>| -> Result<f64, E> {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    };
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut spent = 0.0;
    while ratios.len() < reps.max(1) || (spent < min_seconds && ratios.len() < MAX_REPS) {
        let (x, y) = if ratios.len() % 2 == 0 {
            let x = timed(&mut a)?;
            (x, timed(&mut b)?)
        } else {
            let y = timed(&mut b)?;
            (timed(&mut a)?, y)
        };
        spent += x + y;
        ta.push(x);
        tb.push(y);
        ratios.push(y / x);
    }
    Ok(Ratio { reps: ratios.len(), a: median(ta), b: median(tb), b_over_a: median(ratios) })
}

/// The most repetitions [`median_ratio`] adds to reach its `min_seconds`.
pub const MAX_REPS: usize = 200;

/// What [`median_ratio`] measured: the medians of each side's seconds and
/// of the per-repetition ratios b/a, over `reps` repetitions.
#[derive(Clone, Copy, Debug)]
pub struct Ratio {
    pub reps: usize,
    pub a: f64,
    pub b: f64,
    pub b_over_a: f64,
}

/// One headline ratio: its value, the goal, whether the goal is met. `higher`
/// says which way is better (speed-ups: higher; overheads: lower).
pub fn goal(key: &str, value: Option<f64>, target: f64, higher: bool, note: &str) -> Value {
    let met = value.map(|v| if higher { v >= target } else { v <= target });
    json!({ "key": key, "value": value, "goal": target, "goal_is": if higher { "at least" } else { "at most" }, "met": met, "note": note })
}

/// Runs every section; the report as text or JSON.
pub fn run(a: &BenchArgs) -> String {
    let plan = Plan::from_args(a);
    let t0 = Instant::now();
    let chosen = |s: BenchSection| a.section.is_empty() || a.section.contains(&s);
    // Each section's own wall time, so that a budgeted run (gpu-check.sh)
    // can be sized by where its time goes.
    let section = |s: BenchSection, run: &dyn Fn(&Plan) -> Value| {
        if !chosen(s) {
            return json!({ "skipped": "not selected (--section)", "cases": [] });
        }
        let t = Instant::now();
        let mut v = run(&plan);
        if let Value::Object(m) = &mut v {
            m.insert("seconds".into(), json!(t.elapsed().as_secs_f64()));
        }
        v
    };
    let sections = [
        ("derive", section(BenchSection::Derive, &derive::run)),
        ("kernels", section(BenchSection::Kernels, &kernels::run)),
        ("flex", section(BenchSection::Flex, &flex::run)),
        ("training", section(BenchSection::Training, &train::run)),
    ];
    let mut report = serde_json::Map::new();
    report.insert("command".into(), json!("bench"));
    report.insert("mode".into(), json!(plan.name));
    report.insert("profile".into(), json!(if cfg!(debug_assertions) { "debug" } else { "release" }));
    report.insert("host_threads".into(), json!(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)));
    let mut goals = Vec::new();
    for (name, section) in sections {
        if let Some(g) = section.get("goals").and_then(Value::as_array) {
            goals.extend(g.iter().cloned());
            // The headline ratios also sit at the top level under their own names.
            for item in g {
                if let (Some(k), Some(v)) = (item["key"].as_str(), item.get("value")) {
                    report.insert(k.to_string(), v.clone());
                }
            }
        }
        report.insert(name.into(), section);
    }
    report.insert("goals".into(), Value::Array(goals));
    report.insert("seconds".into(), json!(t0.elapsed().as_secs_f64()));
    let report = Value::Object(report);
    match a.format {
        BenchFormat::Json => format!("{report:#}\n"),
        BenchFormat::Text => text(&report),
    }
}

fn fmt_num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => "n/a".into(),
    }
}

/// The report for people: the goals table, then each section's cases.
fn text(r: &Value) -> String {
    let mut out =
        format!("foil-bench ({} mode, {} build, {} host threads)\n", r["mode"].as_str().unwrap_or(""), r["profile"].as_str().unwrap_or(""), r["host_threads"]);
    out += &format!("kernel device: {}\n\n", r["kernels"]["device"].as_str().unwrap_or("n/a"));
    out += "| ratio | value | goal | met | note |\n|---|---|---|---|---|\n";
    for g in r["goals"].as_array().into_iter().flatten() {
        let met = match g["met"].as_bool() {
            Some(true) => "yes",
            Some(false) => "MISSED",
            None => "not measured",
        };
        out += &format!(
            "| {} | {} | {} {} | {} | {} |\n",
            g["key"].as_str().unwrap_or(""),
            fmt_num(&g["value"]),
            g["goal_is"].as_str().unwrap_or(""),
            fmt_num(&g["goal"]),
            met,
            g["note"].as_str().unwrap_or("")
        );
    }
    for section in ["derive", "kernels", "flex", "training"] {
        let s = &r[section];
        out += &format!("\n## {section}\n");
        if let Some(why) = s["skipped"].as_str() {
            out += &format!("skipped: {why}\n");
        }
        for e in s["errors"].as_array().into_iter().flatten() {
            out += &format!("ERROR: {}\n", e.as_str().unwrap_or(""));
        }
        if let Some(note) = s["note"].as_str() {
            out += &format!("{note}\n");
        }
        for case in s["cases"].as_array().into_iter().flatten() {
            let fields: Vec<String> = case
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", if v.is_number() { fmt_num(v) } else { v.to_string().trim_matches('"').to_string() }))
                .collect();
            out += &format!("- {}\n", fields.join(" "));
        }
        if let Some(sweep) = s["sweep"].as_array().filter(|v| !v.is_empty()) {
            out += "\nevery suite kernel, forward + backward, against a memcpy of the same bytes:\n\n";
            out += "| kernel | kind | elements | kernel ms | memcpy ms | vs memcpy | met |\n|---|---|---|---|---|---|---|\n";
            for c in sweep {
                out += &format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    c["kernel"].as_str().unwrap_or(""),
                    c["kind"].as_str().unwrap_or(""),
                    c["elements"],
                    fmt_num(&c["foil_ms"]),
                    fmt_num(&c["memcpy_ms"]),
                    fmt_num(&c["vs_memcpy"]),
                    if c["met"] == true { "yes" } else { "MISSED" }
                );
            }
        }
    }
    out += &format!("\ntotal {:.1} s\n", r["seconds"].as_f64().unwrap_or(0.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At least `reps` repetitions; more, up to MAX_REPS, while the timed
    /// pairs add up to less than `min_seconds` (instant closures never
    /// reach a second, so they run MAX_REPS times); the two alternate.
    #[test]
    fn median_ratio_repeats_short_cases_until_their_time_is_spent() {
        let (mut na, mut nb) = (0, 0);
        let r = median_ratio::<()>(2, 5, 0.0, || Ok(na += 1), || Ok(nb += 1)).unwrap();
        assert_eq!((r.reps, na, nb), (5, 7, 7));
        let (mut na, mut nb) = (0, 0);
        let r = median_ratio::<()>(0, 5, 1.0, || Ok(na += 1), || Ok(nb += 1)).unwrap();
        assert_eq!((r.reps, na, nb), (MAX_REPS, MAX_REPS, MAX_REPS));
        assert!(median_ratio::<&str>(0, 5, 0.0, || Ok(()), || Err("b failed")).is_err());
    }
}
