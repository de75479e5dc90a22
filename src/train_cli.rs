//! `foil train` and `foil plot`, and what `foil compare` (`compare.rs`)
//! shares with them: the training commands, kept out of `cli.rs` so that
//! file only routes to them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use foil_burn::{Mode, RewriteError, Rewriter, SplitParam};
use foil_train::metrics::EpochMetrics;
use foil_train::models::{ModelConfig, ModelKind};
use foil_train::plot::{Panel, Series};
use foil_train::{self as rt, BackendKind, DataSource, Dataset, Earlier, Observer, Placement, Stabilizer, TrainConfig, TrainError};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::choice::{choice, count, positive};
use crate::outcome::{counted, rewrite_message, train_message, Exit, Outcome};

/// Model and data options shared by `train` and `compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    #[arg(long, value_parser = choice::<ModelKind>(), default_value = "mlp")]
    pub model: ModelKind,
    /// The activation f, in x (SPEC §1 syntax), e.g. 'x*sigmoid(x)', or the
    /// bare name of one ('tanh', 'gelu').
    #[arg(long, allow_hyphen_values = true, default_value = "tanh(x)")]
    pub act: String,
    #[arg(long, default_value_t = 5, value_parser = count)]
    pub epochs: usize,
    /// Hidden layers (MLP), residual blocks (ResNet) or transformer blocks (ViT).
    #[arg(long, value_parser = count)]
    pub depth: Option<usize>,
    /// Hidden width (MLP), channels (ResNet) or embedding size (ViT).
    #[arg(long, value_parser = count)]
    pub width: Option<usize>,
    #[arg(long, default_value_t = 64, value_parser = count)]
    pub batch_size: usize,
    /// Adam's learning rate, for every parameter [default: 1e-3, and 3e-4
    /// for HD-FGD's and SA's split layers where their F is unbounded:
    /// --stabilize plain, clip and layernorm; in an MLP deeper than 16
    /// layers 3e-4 × (16/depth)², in a ResNet 3e-4/depth². At 1e-3 such
    /// layers blow up or, 16 deep, un-train; at 3e-4 they un-train from 24
    /// deep, and a ResNet's blow up from 2 blocks].
    #[arg(long, value_parser = positive)]
    pub lr: Option<f64>,
    /// `mnist-embedded` (the default: the committed 8k/2k MNIST subset),
    /// `fashion-mnist` (60k/10k, from the Debian package
    /// dataset-fashion-mnist in /usr/share/datasets/fashion-mnist/), or a
    /// directory with MNIST IDX files or CIFAR-10/100 binaries (a directory
    /// named like a dataset: `./fashion-mnist`).
    #[arg(long, value_name = "NAME|DIR")]
    pub data: Option<DataSource>,
    /// Train on the first N training images only.
    #[arg(long, value_parser = count)]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images only.
    #[arg(long, value_parser = count)]
    pub test_limit: Option<usize>,
    #[arg(long, value_parser = choice::<BackendKind>(), default_value = "flex")]
    pub device: BackendKind,
    /// What keeps HD-FGD and SA split layers from diverging (SPEC §6; baseline
    /// and GA runs ignore it). Only `plain` and `clip` compute the paper's F
    /// unchanged; the others change what a split layer computes, as each
    /// value says.
    #[arg(long, value_parser = choice::<Stabilizer>(), default_value = Stabilizer::DEFAULT.as_str())]
    pub stabilize: Stabilizer,
    /// The --stabilize option's parameter V [clip 1, offsets 0.1, centered 1,
    /// split-lr 1e-4; plain and layernorm take none].
    #[arg(long, value_name = "V")]
    pub stabilize_value: Option<f64>,
    /// Data-parallel replicas: each batch is split across N devices (N threads
    /// on flex, which has one device; round-robin over the adapters found on a GPU backend).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub devices: usize,
    /// SA: build the network even when `foil derive EXPR --mode sa` reports
    /// the split adversarial singular (a denominator that reaches 0:
    /// sigmoid's 1/(1 - exp(u1)) and silu's u1/(1 - exp(u2)) at 0). Without
    /// it such an SA is refused (exit 3) before anything trains, because its
    /// layers would train through the pole; with it, the paper's behaviour.
    #[arg(long)]
    pub allow_singular_sa: bool,
}

impl ModelArgs {
    pub(crate) fn placement(&self) -> Placement {
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
    /// Continue from the newest checkpoint in --out. Without it or
    /// --overwrite, an --out that holds a run's results (checkpoints,
    /// metrics, plots) is refused, so nothing written is lost.
    #[arg(long)]
    pub resume: bool,
    /// Replace the results of an earlier run in --out (its checkpoints,
    /// metrics and plots; other files there stay).
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    #[command(flatten)]
    pub expr: crate::cli::ExprArg,
    #[arg(long)]
    pub out: PathBuf,
    /// Plot over [-R, R].
    #[arg(long, default_value_t = 2.0, value_parser = positive)]
    pub range: f64,
}

fn defaults(kind: ModelKind) -> (usize, usize) {
    match kind {
        ModelKind::Mlp => (2, 128),
        ModelKind::Resnet => (2, 16),
        ModelKind::Vit => (2, 32),
    }
}

/// The run `c` asks for; an invalid --stabilize-value is an error.
pub(crate) fn config(c: &ModelArgs, mode: Mode, seed: u64, data: &Dataset) -> Result<TrainConfig, Outcome> {
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
        split: SplitParam::Plain,
        allow_singular_sa: c.allow_singular_sa,
    };
    let mut cfg =
        TrainConfig { batch_size: c.batch_size.max(1), train_limit: c.train_limit, test_limit: c.test_limit, ..TrainConfig::new(model, c.epochs, seed) };
    c.stabilize.apply(c.stabilize_value, c.lr, &mut cfg).map_err(|e| Outcome::fail(Exit::Invalid, e))?;
    Ok(cfg)
}

/// Everything that can fail before training once the modes' rewrites are
/// checked ([`check_rewrite`], which its callers run first: `foil compare`
/// keeps a refused mode as a row, `foil train` stops), in the order a user
/// wants to hear it: an unusable --out, the device, the data, then the
/// options that need the data's shape.
pub(crate) fn prepare(common: &ModelArgs, modes: &[Mode], out: &Path) -> Result<Dataset, Outcome> {
    rt::check_out_dir(out).map_err(train_error)?;
    common.placement().replica_devices().map_err(train_error)?;
    let data = load_data(common)?;
    for &m in modes {
        config(common, m, 0, &data)?;
    }
    Ok(data)
}

fn load_data(c: &ModelArgs) -> Result<Dataset, Outcome> {
    let mut d = Dataset::load(c.data.as_ref().unwrap_or(&DataSource::Embedded)).map_err(|e| Outcome::fail(Exit::of_data(&e), format!("dataset: {e}")))?;
    d.truncate(c.train_limit, c.test_limit);
    Ok(d)
}

/// `Adam 1e-3`, or `Adam 1e-3, split layers 3e-4`: the run's step sizes.
pub(crate) fn rates_text(cfg: &TrainConfig) -> String {
    match cfg.split_lr {
        Some(split) => format!("Adam {:e}, split layers {split:e}", cfg.learning_rate),
        None => format!("Adam {:e}", cfg.learning_rate),
    }
}

/// `layernorm` for HD-FGD and SA runs; nothing for baseline and GA, which
/// have no split layers.
pub(crate) fn stabilizer_text(c: &ModelArgs, mode: Mode) -> Option<String> {
    matches!(mode, Mode::Hdfgd | Mode::Sa).then(|| c.stabilize.label(c.stabilize_value))
}

/// Validates the activation and mode before anything is written: what the
/// maths refuses (a GA where f' has zeros, an SA network on a singular SA)
/// is an error here, before any training.
pub(crate) fn check_rewrite(c: &ModelArgs, mode: Mode) -> Result<(), RewriteError> {
    Rewriter::new(&c.act).and_then(|r| r.allow_singular_sa(c.allow_singular_sa).plan(mode, 2).map(|_| ()))
}

/// `--act 'EXPR' --mode MODE: why`, for a [`check_rewrite`] error.
pub(crate) fn refusal_text(c: &ModelArgs, mode: Mode, e: &RewriteError) -> String {
    format!("--act '{}' --mode {mode}: {}", c.act, rewrite_message(e))
}

fn rewrite_refusal(c: &ModelArgs, mode: Mode, e: &RewriteError) -> Outcome {
    Outcome::fail(Exit::of_rewrite(e), refusal_text(c, mode, e))
}

/// indicatif progress: one bar per epoch with loss and throughput. Runs
/// trained at once share a [`MultiProgress`]: each shows its live bar, and
/// a finished epoch becomes one line above them.
pub(crate) struct Bars {
    bar: Option<ProgressBar>,
    quiet: bool,
    label: String,
    multi: Option<MultiProgress>,
}

impl Bars {
    pub(crate) fn new(quiet: bool, label: String) -> Self {
        Bars { bar: None, quiet, label, multi: None }
    }

    pub(crate) fn shared(quiet: bool, label: String, multi: &MultiProgress) -> Self {
        Bars { multi: Some(multi.clone()), ..Bars::new(quiet, label) }
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
        let bar = match &self.multi {
            Some(m) => m.add(bar),
            None => bar,
        };
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
            let done = format!(
                "train loss {:.4}  test loss {:.4}  test acc {:.4}  {:.1}s ({:.0} img/s)",
                m.train_loss, m.test_loss, m.test_accuracy, m.seconds, m.images_per_second
            );
            match &self.multi {
                Some(multi) => {
                    b.finish_and_clear();
                    multi.remove(&b);
                    let _ = multi.println(format!("{} {done}", b.prefix()));
                }
                None => b.finish_with_message(done),
            }
        }
    }
}

pub(crate) fn train_error(e: TrainError) -> Outcome {
    Outcome::fail(Exit::of_train(&e), train_message(&e))
}

pub fn train(a: &TrainArgs) -> Outcome {
    let mode = a.mode;
    if let Err(e) = check_rewrite(&a.common, mode) {
        return rewrite_refusal(&a.common, mode, &e);
    }
    let earlier = match (a.resume, a.overwrite) {
        (true, _) => Earlier::Resume,
        (_, true) => Earlier::Replace,
        _ => Earlier::Refuse,
    };
    // Before the data loads (train() checks again, for the library's users).
    if let (Earlier::Refuse, Err(e)) = (earlier, rt::refuse_earlier_results(&a.out)) {
        return Outcome::fail(Exit::of_train(&e), format!("{e}; --resume continues it, --overwrite replaces it, or choose another --out"));
    }
    let data = match prepare(&a.common, &[mode], &a.out) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let cfg = match config(&a.common, mode, a.seed, &data) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let mut bars = Bars::new(a.quiet, String::new());
    match rt::train(&cfg, &data, &a.out, earlier, &a.common.placement(), &mut bars) {
        Err(e) => train_error(e),
        Ok(s) => {
            let mut out = format!(
                "trained {} ({} {}{}, depth {}, width {}) on {} for {}, seed {}, {}, {}{}\n",
                a.common.act,
                cfg.model.kind,
                mode,
                stabilizer_text(&a.common, mode).map(|s| format!(" --stabilize {s}")).unwrap_or_default(),
                cfg.model.depth,
                cfg.model.width,
                data.name,
                counted(cfg.epochs, "epoch"),
                cfg.seed,
                rates_text(&cfg),
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
                        "error: training diverged: the loss became non-finite in epoch {epoch}, batch {batch} ({}); the run stopped there, keeping the {} completed epoch(s). Try a smaller --lr{}.\n",
                        rates_text(&cfg),
                        s.history.len(),
                        if stabilizer_text(&a.common, mode).is_some() { " or another --stabilize" } else { "" }
                    ),
                };
            }
            let warning = match s.blew_up(data.classes) {
                Some((epoch, loss)) => format!(
                    "warning: the run blew up: epoch {epoch}'s mean train loss {loss:.4e} is above {:.2} (1.1 × ln {}, worse than chance){}\n",
                    rt::blow_up_loss(data.classes),
                    data.classes,
                    if stabilizer_text(&a.common, mode).is_some() { "; see --stabilize" } else { "; try a smaller --lr" }
                ),
                None => match s.untrained(data.classes) {
                    Some((epoch, best, last)) => format!(
                        "warning: the run un-trained: its mean train loss fell to {best:.4} in epoch {epoch} and rose to {last:.4} by epoch {} \
                         (chance: ln {} = {:.2}); try a smaller --lr than this run's {}\n",
                        s.history.last().map_or(0, |m| m.epoch),
                        data.classes,
                        (data.classes as f64).ln(),
                        rates_text(&cfg)
                    ),
                    None => String::new(),
                },
            };
            out += &format!(
                "final test accuracy {:.4}; wrote {}/metrics.csv, metrics.json, curves.png, grad_magnitudes.png, checkpoints\n",
                s.final_accuracy(),
                a.out.display()
            );
            Outcome { stderr: warning, ..Outcome::ok(out) }
        }
    }
}

pub(crate) fn placement_text(p: &Placement) -> String {
    match p.devices {
        1 => format!("on {}", p.backend),
        n => format!("data-parallel over {n} {} replicas", p.backend),
    }
}

pub fn plot(a: &PlotArgs) -> Outcome {
    use foil_compiler::ga::{derive_global_adversarial, GaOptions};
    let text = match a.expr.text() {
        Ok(t) => t,
        Err(e) => return crate::cli::error_outcome(e, crate::cli::Format::Text, &a.expr.expr),
    };
    let f = match crate::cli::parse_expr(&text).and_then(|f| foil_compiler::ga::require_x(&f).map(|_| f)) {
        Ok(f) => f,
        Err(e) => return crate::cli::error_outcome(e, crate::cli::Format::Text, &text),
    };
    let df = foil_compiler::diff::derivative(&f, "x");
    let ga = derive_global_adversarial(&f, &GaOptions::default());
    let r = a.range;
    let xs: Vec<f64> = (0..=400).map(|i| -r + 2.0 * r * i as f64 / 400.0).collect();
    let curve = |e: &foil_compiler::lang::Expr| xs.iter().map(|&x| (x, foil_compiler::eval::eval1(e, "x", x))).collect::<Vec<_>>();
    let mut values = vec![Series::line("f", curve(&f))];
    let mut slopes = vec![Series::line("f'", curve(&df))];
    let note = match &ga {
        Ok(g) => {
            values.push(Series::line("g (GA)", curve(&g.adversarial)));
            slopes.push(Series::line("g'", curve(&g.adversarial_derivative)));
            None
        }
        Err(e) => Some(e),
    };
    // An unusable --out is the user's to fix (exit 2, naming it), found
    // before drawing, where plotters would report it as a drawing error.
    let dir = a.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Err(e) = rt::check_out_dir(dir) {
        return Outcome::fail(Exit::of_train(&e), format!("--out {}: {e}", a.out.display()));
    }
    let title = foil_compiler::print::to_spec(&f);
    if let Err(e) =
        rt::plot::overlay(&a.out, &[Panel::new(format!("{title} and its GA"), "x", "value", values), Panel::new("derivatives", "x", "slope", slopes)])
    {
        return Outcome::fail(Exit::Internal, format!("cannot draw {}: {e}", a.out.display()));
    }
    match (note, ga.as_ref()) {
        (Some(e), _) => Outcome {
            exit: Exit::of_derive(e),
            stdout: format!("wrote {} (f and f' only)\n", a.out.display()),
            stderr: format!("error[{}]: no GA to plot: {}\n", e.kind(), crate::outcome::derive_message(e)),
        },
        (None, Ok(g)) => Outcome::ok(format!("f(x) = {title}\ng(x) = {}\nwrote {}\n", foil_compiler::print::to_spec(&g.adversarial), a.out.display())),
        (None, Err(_)) => unreachable!(),
    }
}
