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
mod train;

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
    /// 1M elements per kernel and few repetitions (under 2 minutes on a 2-core
    /// machine in release); without it: 1M, 16M and 64M elements.
    #[arg(long)]
    pub quick: bool,
    /// Fewer repetitions still and the smallest sizes: checks that every
    /// section runs (what the tests use in a debug build); figures are noisy.
    #[arg(long, conflicts_with = "quick")]
    pub smoke: bool,
    /// Output: text for people (the goals table first), json for tools.
    #[arg(long, value_enum, default_value = "text")]
    pub format: BenchFormat,
    /// Where the kernel section runs.
    #[arg(long, value_enum, default_value = "wgpu")]
    pub device: BenchDevice,
}

/// How much work each section does.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub name: &'static str,
    pub warmup: usize,
    pub reps: usize,
    /// Element counts for the kernel and flex sections.
    pub sizes: &'static [usize],
    /// Per-expression limit for SymPy, seconds.
    pub sympy_timeout_s: f64,
    /// Training steps timed per (model, mode).
    pub train_steps: usize,
    pub device: BenchDevice,
}

const M: usize = 1 << 20;

impl Plan {
    fn from_args(a: &BenchArgs) -> Self {
        let (name, warmup, reps, sizes, sympy_timeout_s, train_steps): (_, _, _, &'static [usize], _, _) = if a.smoke {
            ("smoke", 1, 2, &[1 << 16], 2.0, 2)
        } else if a.quick {
            ("quick", 2, 5, &[M], 10.0, 4)
        } else {
            ("full", 3, 10, &[M, 16 * M, 64 * M], 60.0, 10)
        };
        Plan { name, warmup, reps, sizes, sympy_timeout_s, train_steps, device: a.device }
    }
}

/// The activations the kernel and flex sections run (SPEC names: tanh-GA,
/// sigmoid-GA, gelu-SA), and the identity kernel the memcpy figure uses.
pub(crate) mod acts {
    foil::adversarial!(TanhGa = tanh(x));
    foil::adversarial!(SigmoidGa = sigmoid(x));
    foil::adversarial!(GeluSa = gelu(x), mode = split);
    foil::activation!(DeviceCopy = x);
}

/// Deterministic inputs in [-4, 4] (xorshift), distinct per input index.
pub fn inputs(n: usize, seed: u64) -> Vec<f32> {
    foil_compiler::eval::scattered(n, seed, -4.0, 4.0)
}


/// Largest |a - b| / max(1, |b|) over every gradient.
pub fn max_rel_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y))
        .map(|(&p, &q)| (p as f64 - q as f64).abs() / (q as f64).abs().max(1.0))
        .fold(0.0, f64::max)
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
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
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
    let sections = [
        ("derive", derive::run(&plan)),
        ("kernels", kernels::run(&plan)),
        ("flex", flex::run(&plan)),
        ("training", train::run(&plan)),
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
        }
        // The headline ratios also sit at the top level under their own names.
        if let Some(g) = section.get("goals").and_then(Value::as_array) {
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
    let mut out = format!("foil-bench ({} mode, {} build, {} host threads)\n", r["mode"].as_str().unwrap_or(""), r["profile"].as_str().unwrap_or(""), r["host_threads"]);
    out += &format!("kernel device: {}\n\n", r["kernels"]["device"].as_str().unwrap_or("n/a"));
    out += "| ratio | value | goal | met | note |\n|---|---|---|---|---|\n";
    for g in r["goals"].as_array().into_iter().flatten() {
        let met = match g["met"].as_bool() {
            Some(true) => "yes",
            Some(false) => "MISSED",
            None => "not measured",
        };
        out += &format!("| {} | {} | {} {} | {} | {} |\n", g["key"].as_str().unwrap_or(""), fmt_num(&g["value"]), g["goal_is"].as_str().unwrap_or(""), fmt_num(&g["goal"]), met, g["note"].as_str().unwrap_or(""));
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
    }
    out += &format!("\ntotal {:.1} s\n", r["seconds"].as_f64().unwrap_or(0.0));
    out
}
