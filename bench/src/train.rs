//! Training: the time of one optimisation step (forward, loss, backward,
//! Adam update) per mode, for the MLP and the ViT of `foil train` (their
//! default sizes), f = tanh(x), batch 64 from the embedded MNIST sample.
//!
//! On flex (the CPU backend `foil train` defaults to), every mode; on the
//! bench's `--device` (wgpu or cuda), the MLP's baseline and GA.

use super::{goal, median_ratio, median_seconds, BenchDevice, Plan};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use foil_burn::Mode;
use foil_train::models::{Model, ModelConfig, ModelKind};
use foil_train::{cross_entropy, BackendKind, Dataset, Placement, Stabilizer};
use serde_json::{json, Value};

const BATCH: usize = 64;
const ACT: &str = "tanh(x)";

/// One optimisation step of a fresh model of `mode`, as a closure: each call
/// runs forward, loss, backward and Adam on the same batch and waits for it.
fn stepper(kind: ModelKind, (depth, width): (usize, usize), mode: Mode, data: &Dataset, device: &Device) -> Result<impl FnMut() -> Result<(), String>, String> {
    // Split layers in the form `foil train` runs by default.
    let split = Stabilizer::DEFAULT.split_param(mode, None);
    let cfg = ModelConfig {
        kind,
        act: ACT.into(),
        mode,
        depth,
        width,
        channels: data.channels,
        side: data.side,
        classes: data.classes,
        split,
        allow_singular_sa: false,
    };
    device.seed(1);
    let mut model: Option<Model> = Some(cfg.init(device).map_err(|e| e.to_string())?);
    let mut optim = AdamConfig::new().init();
    let p = data.channels * data.side * data.side;
    let b = BATCH.min(data.train_len());
    let labels: Vec<i64> = data.train_labels[..b].iter().map(|&l| l as i64).collect();
    let x = Tensor::<4>::from_data(TensorData::new(data.train_images[..b * p].to_vec(), [b, data.channels, data.side, data.side]), device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [b]), device);
    Ok(move || {
        let m = model.take().ok_or("the model was lost in a failed step")?;
        let loss = cross_entropy(m.forward(x.clone()), y.clone());
        // Reading the loss waits for the step's work, as the trainer does.
        let value: f32 = loss.clone().into_scalar();
        if !value.is_finite() {
            return Err(format!("the loss is {value}"));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        model = Some(optim.step(1e-3, m, grads));
        Ok::<_, String>(())
    })
}

/// Step times per mode, milliseconds, and the GA overhead: GA and baseline
/// steps run in alternation and the overhead is the median of the
/// per-pair ratios minus 1, so that both see the same machine load (timed
/// one mode after the other, a single model's baseline moved 1.2 → 12 ms
/// between runs on the shared 2-core machine). `every_mode`: HD-FGD's and
/// SA's steps too, each timed on its own.
fn model_steps(
    kind: ModelKind,
    size: (usize, usize),
    data: &Dataset,
    device: &Device,
    plan: &Plan,
    every_mode: bool,
    errors: &mut Vec<String>,
) -> (serde_json::Map<String, Value>, Option<f64>) {
    let mut ms = serde_json::Map::new();
    let warmup = plan.warmup.min(2);
    let pair = stepper(kind, size, Mode::Baseline, data, device).and_then(|base| Ok((base, stepper(kind, size, Mode::Ga, data, device)?)));
    let overhead = match pair.and_then(|(base, ga)| median_ratio(warmup, plan.train_steps, 0.0, base, ga)) {
        Ok(super::Ratio { a: base_s, b: ga_s, b_over_a: ratio, .. }) => {
            ms.insert(format!("{}_ms", Mode::Baseline.as_str()), json!(base_s * 1e3));
            ms.insert(format!("{}_ms", Mode::Ga.as_str()), json!(ga_s * 1e3));
            Some(ratio - 1.0)
        }
        Err(e) => {
            errors.push(format!("baseline/ga: {e}"));
            None
        }
    };
    for mode in Mode::ALL.into_iter().filter(|m| every_mode && !matches!(m, Mode::Baseline | Mode::Ga)) {
        match stepper(kind, size, mode, data, device).and_then(|step| median_seconds(warmup, plan.train_steps, step)) {
            Ok(s) => {
                ms.insert(format!("{}_ms", mode.as_str()), json!(s * 1e3));
            }
            Err(e) => errors.push(format!("{}: {e}", mode.as_str())),
        }
    }
    (ms, overhead)
}

/// A model by its name in the report, and the size (depth, width) `foil
/// train` uses by default for it.
type TimedModel = (&'static str, ModelKind, (usize, usize));
const MLP: TimedModel = ("mlp", ModelKind::Mlp, (2, 128));
const VIT: TimedModel = ("vit", ModelKind::Vit, (2, 32));

/// `models`' steps on `backend`: their cases, and the worst model's GA
/// overhead (None when no model measured one).
fn backend_cases(
    backend: BackendKind,
    models: &[TimedModel],
    data: &Dataset,
    plan: &Plan,
    every_mode: bool,
    cases: &mut Vec<Value>,
    errors: &mut Vec<String>,
) -> Option<f64> {
    let device = match Placement::new(backend, 1).replica_devices() {
        Ok(d) => d[0].clone(),
        Err(e) => {
            errors.push(format!("{}: {e}", backend.as_str()));
            return None;
        }
    };
    let mut worst: Option<f64> = None;
    for &(name, kind, size) in models {
        let mut model_errors = Vec::new();
        let (ms, overhead) = model_steps(kind, size, data, &device, plan, every_mode, &mut model_errors);
        errors.extend(model_errors.into_iter().map(|e| format!("{} {name} {e}", backend.as_str())));
        if let Some(o) = overhead {
            worst = Some(worst.map_or(o, |w: f64| w.max(o)));
        }
        let mut case = json!({ "model": name, "backend": backend.as_str(), "batch": BATCH, "ga_overhead": overhead });
        case.as_object_mut().expect("object").extend(ms);
        cases.push(case);
    }
    worst
}

/// Both models on flex (every mode; the goal `ga_step_overhead`), then the
/// MLP's baseline/GA pair on the bench's `--device`
/// (`ga_step_overhead_device`, the GPU's bar). The MLP is the model whose
/// step the activation weighs most in; the ViT's step on lavapipe (a
/// CPU-only machine's wgpu) takes 170 ms, which would multiply the
/// section's time.
pub fn run(plan: &Plan) -> Value {
    let flex_note =
        "worst model on flex (the CPU backend `foil train` defaults to): median over alternating pairs of GA step time / baseline step time, minus 1";
    let device = match plan.device {
        BenchDevice::Wgpu => BackendKind::Wgpu,
        BenchDevice::Cuda => BackendKind::Cuda,
    };
    let device_note = format!("MLP on {} (--device): median over alternating pairs of GA step time / baseline step time, minus 1", device.as_str());
    let goals = |flex: Option<f64>, on_device: Option<f64>| {
        json!([goal("ga_step_overhead", flex, 0.03, false, flex_note), goal("ga_step_overhead_device", on_device, 0.03, false, &device_note)])
    };
    let mut data = match Dataset::mnist_embedded() {
        Ok(d) => d,
        Err(e) => return json!({ "skipped": format!("no training data: {e}"), "cases": [], "goals": goals(None, None) }),
    };
    data.truncate(Some(BATCH), Some(1));
    let (mut cases, mut errors) = (Vec::new(), Vec::new());
    let flex = backend_cases(BackendKind::Flex, &[MLP, VIT], &data, plan, true, &mut cases, &mut errors);
    // A machine without the device reports it under `device_skipped`, as
    // the kernel section does, not as an error of the measurement.
    let mut device_errors = Vec::new();
    let on_device = backend_cases(device, &[MLP], &data, plan, false, &mut cases, &mut device_errors);
    let mut report = json!({
        "note": format!("f = {ACT}, batch {BATCH}, step = forward + loss + backward + Adam; flex: every mode; {}: the MLP's baseline and GA", device.as_str()),
        "cases": cases,
        "errors": errors,
        "goals": goals(flex, on_device),
    });
    if !device_errors.is_empty() {
        report["device_skipped"] = json!(device_errors.join("; "));
    }
    report
}
