//! `foil train`, `foil compare` and `foil plot`: the training commands, kept
//! out of `cli.rs` so that file only routes to them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use foil_burn::{Mode, Rewriter};
use foil_train::metrics::EpochMetrics;
use foil_train::models::{ModelConfig, ModelKind};
use foil_train::{self as rt, BackendKind, Dataset, Observer, Placement, TrainConfig, TrainError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::choice::choice;
use crate::outcome::{rewrite_message, train_message, Exit, Outcome};

/// Model and data options shared by `train` and `compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    #[arg(long, value_parser = choice::<ModelKind>(), default_value = "mlp")]
    pub model: ModelKind,
    /// The activation f, in x (SPEC §1 syntax), e.g. 'x*sigmoid(x)', or the
    /// bare name of one ('tanh', 'gelu').
    #[arg(long, allow_hyphen_values = true, default_value = "tanh(x)")]
    pub act: String,
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Hidden layers (MLP), residual blocks (ResNet) or transformer blocks (ViT).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Hidden width (MLP), channels (ResNet) or embedding size (ViT).
    #[arg(long)]
    pub width: Option<usize>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Adam's learning rate [default: 1e-3 for baseline and GA, 3e-4 for
    /// HD-FGD and SA, whose split layers blow up at 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// A directory with MNIST IDX files or CIFAR-10 binaries (default: the embedded 8k/2k MNIST subset).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Train on the first N training images only.
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    pub test_limit: Option<usize>,
    #[arg(long, value_parser = choice::<BackendKind>(), default_value = "flex")]
    pub device: BackendKind,
    /// Data-parallel replicas: each batch is split across N devices (N threads
    /// on flex, which has one device; round-robin over the adapters found on a GPU backend).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub devices: usize,
}

impl ModelArgs {
    fn placement(&self) -> Placement {
        Placement::new(self.device, self.devices)
    }
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub common: ModelArgs,
    #[arg(long, value_parser = choice::<Mode>(), default_value = "baseline")]
    pub mode: Mode,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory: checkpoints, metrics.csv, metrics.json, PNG plots.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from the newest checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub common: ModelArgs,
    /// Comma-separated modes.
    #[arg(long, value_delimiter = ',', value_parser = choice::<Mode>(), default_value = "baseline,ga,hdfgd,sa")]
    pub modes: Vec<Mode>,
    /// Seeds 0..N per mode.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Accuracy for the "epochs to target" column.
    #[arg(long, default_value_t = 0.9)]
    pub target: f64,
    /// Where runs and the overlay plot go.
    #[arg(long, default_value = "foil-compare")]
    pub out: PathBuf,
    #[arg(long)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// The activation, in x.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    #[arg(long)]
    pub out: PathBuf,
    /// Plot over [-R, R].
    #[arg(long, default_value_t = 2.0)]
    pub range: f64,
}

fn defaults(kind: ModelKind) -> (usize, usize) {
    match kind {
        ModelKind::Mlp => (2, 128),
        ModelKind::Resnet => (2, 16),
        ModelKind::Vit => (2, 32),
    }
}

fn config(c: &ModelArgs, mode: Mode, seed: u64, data: &Dataset) -> TrainConfig {
    let kind = c.model;
    let (d, w) = defaults(kind);
    let model = ModelConfig {
        kind,
        act: c.act.clone(),
        mode,
        depth: c.depth.unwrap_or(d),
        width: c.width.unwrap_or(w),
        channels: data.channels,
        side: data.side,
        classes: data.classes,
    };
    TrainConfig {
        batch_size: c.batch_size.max(1),
        learning_rate: c.lr.unwrap_or(rt::default_learning_rate(mode)),
        train_limit: c.train_limit,
        test_limit: c.test_limit,
        ..TrainConfig::new(model, c.epochs, seed)
    }
}

/// Everything that can fail before training, in the order a user wants to
/// hear it: the rewrite the maths refuses, an unusable --out, the device, then the data.
fn prepare(common: &ModelArgs, modes: &[Mode], out: &Path) -> Result<Dataset, Outcome> {
    for &m in modes {
        check_rewrite(&common.act, m)?;
    }
    rt::check_out_dir(out).map_err(train_error)?;
    common.placement().replica_devices().map_err(train_error)?;
    load_data(common)
}

fn load_data(c: &ModelArgs) -> Result<Dataset, Outcome> {
    let mut d = match &c.data {
        None => Dataset::mnist_embedded(),
        Some(dir) => Dataset::from_dir(dir),
    }
    .map_err(|e| Outcome::fail(Exit::of_data(&e), format!("dataset: {e}")))?;
    d.truncate(c.train_limit, c.test_limit);
    Ok(d)
}

/// Validates the activation and mode before anything is written.
fn check_rewrite(act: &str, mode: Mode) -> Result<(), Outcome> {
    Rewriter::new(act)
        .and_then(|mut r| r.plan(mode, 2).map(|_| ()))
        .map_err(|e| Outcome::fail(Exit::of_rewrite(&e), format!("--act '{act}' --mode {mode}: {}", rewrite_message(&e))))
}

/// indicatif progress: one bar per epoch with loss and throughput.
struct Bars {
    bar: Option<ProgressBar>,
    quiet: bool,
    label: String,
}

impl Bars {
    fn new(quiet: bool, label: String) -> Self {
        Bars { bar: None, quiet, label }
    }
}

impl Observer for Bars {
    fn resumed(&mut self, from_epoch: usize, path: &Path) {
        if !self.quiet {
            eprintln!("{}resuming after epoch {from_epoch} from {}", self.label, path.display());
        }
    }
    fn epoch_start(&mut self, epoch: usize, epochs: usize, batches: usize) {
        if self.quiet {
            return;
        }
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}epoch {epoch}/{epochs}", self.label));
        bar.enable_steady_tick(Duration::from_millis(250));
        self.bar = Some(bar);
    }
    fn batch(&mut self, done: usize, loss: f64, ips: f64) {
        if let Some(b) = &self.bar {
            b.set_position(done as u64);
            b.set_message(format!("loss {loss:.4}  {ips:.0} img/s"));
        }
    }
    fn epoch_end(&mut self, m: &EpochMetrics) {
        if let Some(b) = self.bar.take() {
            b.finish_with_message(format!(
                "train loss {:.4}  test loss {:.4}  test acc {:.4}  {:.1}s ({:.0} img/s)",
                m.train_loss, m.test_loss, m.test_accuracy, m.seconds, m.images_per_second
            ));
        }
    }
}

fn train_error(e: TrainError) -> Outcome {
    Outcome::fail(Exit::of_train(&e), train_message(&e))
}

pub fn train(a: &TrainArgs) -> Outcome {
    let mode = a.mode;
    let data = match prepare(&a.common, &[mode], &a.out) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let cfg = config(&a.common, mode, a.seed, &data);
    let mut bars = Bars::new(a.quiet, String::new());
    match rt::train(&cfg, &data, &a.out, a.resume, &a.common.placement(), &mut bars) {
        Err(e) => train_error(e),
        Ok(s) => {
            let mut out = format!(
                "trained {} ({} {}, depth {}, width {}) on {} for {} epochs, seed {}, {}{}\n",
                a.common.act,
                format!("{:?}", cfg.model.kind).to_lowercase(),
                mode,
                cfg.model.depth,
                cfg.model.width,
                data.name,
                cfg.epochs,
                cfg.seed,
                placement_text(&a.common.placement()),
                s.resumed_from.map(|e| format!(" (resumed after epoch {e})")).unwrap_or_default()
            );
            out += "| epoch | train loss | test loss | test acc | s |\n|---|---|---|---|---|\n";
            for m in &s.history {
                out += &format!("| {} | {:.4} | {:.4} | {:.4} | {:.1} |\n", m.epoch, m.train_loss, m.test_loss, m.test_accuracy, m.seconds);
            }
            if let Some((epoch, batch)) = s.diverged {
                return Outcome {
                    exit: Exit::Internal,
                    stdout: out,
                    stderr: format!(
                        "error: training diverged: the loss became non-finite in epoch {epoch}, batch {batch} (--lr {}); the run stopped there, keeping the {} completed epoch(s). Try a smaller --lr.\n",
                        cfg.learning_rate,
                        s.history.len()
                    ),
                };
            }
            out += &format!(
                "final test accuracy {:.4}; wrote {}/metrics.csv, metrics.json, curves.png, grad_magnitudes.png, checkpoints\n",
                s.final_accuracy(),
                a.out.display()
            );
            Outcome::ok(out)
        }
    }
}

fn placement_text(p: &Placement) -> String {
    match p.devices {
        1 => format!("on {}", p.backend),
        n => format!("data-parallel over {n} {} replicas", p.backend),
    }
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

pub fn compare(a: &CompareArgs) -> Outcome {
    let modes = &a.modes;
    let data = match prepare(&a.common, modes, &a.out) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut table = format!(
        "{} on {}, {} epochs, {} seeds, {}\n\n| mode | test accuracy (mean ± std) | epochs to {:.2} | s/epoch |\n|---|---|---|---|\n",
        a.common.act, data.name, a.common.epochs, a.seeds, placement_text(&a.common.placement()), a.target
    );
    let mut curves = Vec::new();
    for &mode in &a.modes {
        let mut finals = Vec::new();
        let mut to_target = Vec::new();
        let mut secs = Vec::new();
        let mut acc_by_epoch = vec![Vec::new(); a.common.epochs];
        let mut diverged = 0;
        for seed in 0..a.seeds {
            let cfg = config(&a.common, mode, seed, &data);
            let dir = a.out.join(format!("{mode}-seed{seed}"));
            let mut bars = Bars::new(a.quiet, format!("{mode} seed {seed} "));
            let s = match rt::train(&cfg, &data, &dir, false, &a.common.placement(), &mut bars) {
                Ok(s) => s,
                Err(e) => return train_error(e),
            };
            // A diverged run counts with the accuracy it had when it stopped.
            diverged += s.diverged.is_some() as usize;
            finals.push(s.final_accuracy());
            if let Some(e) = s.history.iter().find(|h| h.test_accuracy >= a.target) {
                to_target.push(e.epoch as f64);
            }
            for h in &s.history {
                secs.push(h.seconds);
                if let Some(v) = acc_by_epoch.get_mut(h.epoch - 1) {
                    v.push(h.test_accuracy);
                }
            }
        }
        let (m_acc, s_acc) = mean_std(&finals);
        let tt = if to_target.is_empty() {
            "not reached".to_string()
        } else {
            let (m, _) = mean_std(&to_target);
            format!("{m:.1} ({}/{} runs)", to_target.len(), a.seeds)
        };
        let label = match diverged {
            0 => mode.to_string(),
            d => format!("{mode} ({d}/{} diverged)", a.seeds),
        };
        table += &format!("| {label} | {m_acc:.4} ± {s_acc:.4} | {tt} | {:.2} |\n", mean_std(&secs).0);
        let pts: Vec<(f64, f64)> = acc_by_epoch.iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(i, v)| ((i + 1) as f64, mean_std(v).0)).collect();
        curves.push((mode.to_string(), pts));
    }
    let png = a.out.join("compare.png");
    if let Err(e) = rt::plot::overlay(&png, vec![(format!("test accuracy: {}", a.common.act), "epoch".into(), "mean test accuracy".into(), curves)]) {
        return Outcome::fail(Exit::Internal, e);
    }
    table += &format!("\noverlay plot: {}\n", png.display());
    Outcome::ok(table)
}

pub fn plot(a: &PlotArgs) -> Outcome {
    use foil_compiler::ga::{derive_global_adversarial, GaOptions};
    let f = match crate::cli::parse_expr(&a.expr).and_then(|f| foil_compiler::ga::require_x(&f).map(|_| f)) {
        Ok(f) => f,
        Err(e) => return crate::cli::error_outcome(e, crate::cli::Format::Text, &a.expr),
    };
    let df = foil_compiler::diff::derivative(&f, "x");
    let ga = derive_global_adversarial(&f, &GaOptions::default());
    let r = a.range.abs().max(1e-3);
    let xs: Vec<f64> = (0..=400).map(|i| -r + 2.0 * r * i as f64 / 400.0).collect();
    let curve = |e: &foil_compiler::lang::Expr| xs.iter().map(|&x| (x, foil_compiler::eval::eval1(e, "x", x))).collect::<Vec<_>>();
    let mut values = vec![("f".to_string(), curve(&f))];
    let mut slopes = vec![("f'".to_string(), curve(&df))];
    let note = match &ga {
        Ok(g) => {
            values.push(("g (GA)".into(), curve(&g.adversarial)));
            slopes.push(("g'".into(), curve(&g.adversarial_derivative)));
            None
        }
        Err(e) => Some(e),
    };
    let title = foil_compiler::print::to_spec(&f);
    if let Err(e) = rt::plot::overlay(
        &a.out,
        vec![
            (format!("{title} and its GA"), "x".into(), "value".into(), values),
            ("derivatives".into(), "x".into(), "slope".into(), slopes),
        ],
    ) {
        return Outcome::fail(Exit::Internal, e);
    }
    match (note, ga.as_ref()) {
        (Some(e), _) => Outcome {
            exit: Exit::of_derive(e),
            stdout: format!("wrote {} (f and f' only)\n", a.out.display()),
            stderr: format!("error[{}]: no GA to plot: {}\n", e.kind(), crate::outcome::derive_message(e)),
        },
        (None, Ok(g)) => Outcome::ok(format!(
            "f(x) = {title}\ng(x) = {}\nwrote {}\n",
            foil_compiler::print::to_spec(&g.adversarial),
            a.out.display()
        )),
        (None, Err(_)) => unreachable!(),
    }
}
