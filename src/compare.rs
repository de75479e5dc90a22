//! `foil compare`: every mode over several seeds, side by side, with the
//! statistics a claim needs (mean ± std, 95 % confidence interval, Welch's
//! t-test against baseline, epochs and seconds to a target accuracy,
//! divergences) and the per-layer gradient norms behind the mechanism.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use foil_burn::{Mode, RewriteError};
use foil_train::metrics::LayerGrad;
use foil_train::plot::{Panel, Series};
use foil_train::stats::{ci95_half_width, mean_std, welch};
use foil_train::{self as rt, Dataset, Earlier, RunSummary, TrainConfig, TrainError};
use indicatif::MultiProgress;
use serde_json::{json, Value};

use crate::choice::choice;
use crate::outcome::{counted, rewrite_message, Exit, Outcome};
use crate::train_cli::{check_rewrite, config, placement_text, prepare, rates_text, refusal_text, stabilizer_text, train_error, Bars, ModelArgs};

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub common: ModelArgs,
    /// Comma-separated modes; with baseline among them, each other mode is
    /// tested against it (Welch's t-test on the final test accuracies).
    #[arg(long, value_delimiter = ',', value_parser = choice::<Mode>(), default_value = "baseline,ga,hdfgd,sa")]
    pub modes: Vec<Mode>,
    /// Seeds 0..N per mode (at least 2 for a standard deviation and a confidence interval).
    #[arg(long, default_value_t = 5, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=1000))]
    pub seeds: u64,
    /// Accuracy for the "epochs to" and "seconds to" columns.
    #[arg(long, default_value_t = 0.9, value_parser = crate::choice::accuracy)]
    pub target: f64,
    /// Where runs, plots and the CSV summaries go.
    #[arg(long, default_value = "foil-compare")]
    pub out: PathBuf,
    /// Runs trained at once (every mode × seed is one run). On flex the
    /// results are the same bit for bit whatever N [default: the CPUs
    /// available ÷ --devices, at least 1].
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub jobs: Option<usize>,
    /// No progress bars (the table and the files are the same).
    #[arg(long)]
    pub quiet: bool,
    /// Replace the results of an earlier comparison in --out (the summaries,
    /// the plots, and the runs this comparison trains again; other files
    /// stay). Without it, an --out that holds them is refused.
    #[arg(long)]
    pub overwrite: bool,
}

/// What a comparison writes into --out besides its runs' directories
/// ([`run_dir`]): the summaries, then the plots.
const COMPARE_FILES: [&str; 6] = ["summary.csv", "summary.json", "runs.csv", "grads.csv", "compare.png", "grad_layers.png"];

/// Where the run of `mode` with `seed` writes.
fn run_dir(out: &Path, mode: Mode, seed: u64) -> PathBuf {
    out.join(format!("{mode}-seed{seed}"))
}

/// One mode's runs, one per seed; none when the maths refused the mode.
struct ModeRuns {
    mode: Mode,
    runs: Vec<RunSummary>,
    /// Why the maths refused the mode, before training.
    refused: Option<String>,
}

/// Per-layer values (one per seed) → (mean, std) per layer.
fn per_layer(seeds: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let layers = seeds.iter().map(Vec::len).max().unwrap_or(0);
    (0..layers).map(|l| mean_std(&seeds.iter().filter_map(|s| s.get(l).copied()).collect::<Vec<_>>())).collect()
}

fn log10_rms(grads: &[LayerGrad]) -> Vec<f64> {
    grads.iter().map(|g| g.rms().max(1e-30).log10()).collect()
}

impl ModeRuns {
    fn finals(&self) -> Vec<f64> {
        self.runs.iter().map(RunSummary::final_accuracy).collect()
    }

    /// (epoch, cumulative training seconds) of the first epoch at `target`, per run that got there.
    fn to_target(&self, target: f64) -> Vec<(f64, f64)> {
        self.runs
            .iter()
            .filter_map(|r| {
                let e = r.history.iter().position(|h| h.test_accuracy >= target)?;
                Some(((e + 1) as f64, r.history[..=e].iter().map(|h| h.seconds).sum()))
            })
            .collect()
    }

    fn seconds_per_epoch(&self) -> f64 {
        mean_std(&self.runs.iter().flat_map(|r| r.history.iter().map(|h| h.seconds)).collect::<Vec<_>>()).0
    }

    /// log10 RMS gradient per layer: at step 1 (epoch 1's first batch) and on the last batch.
    fn grads(&self) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let first = self.runs.iter().filter_map(|r| r.history.first()).map(|h| log10_rms(&h.grads_first)).collect();
        let last = self.runs.iter().filter_map(|r| r.history.last()).map(|h| log10_rms(&h.grads)).collect();
        (first, last)
    }

    /// Per epoch, the values of `f` over the runs that reached it.
    fn by_epoch(&self, epochs: usize, f: fn(&rt::metrics::EpochMetrics) -> f64) -> Vec<(f64, f64, f64)> {
        (1..=epochs)
            .filter_map(|e| {
                let v: Vec<f64> = self.runs.iter().filter_map(|r| r.history.get(e - 1)).map(f).filter(|v| v.is_finite()).collect();
                let (m, s) = mean_std(&v);
                (!v.is_empty()).then_some((e as f64, m, s))
            })
            .collect()
    }
}

fn fmt_mean_std(v: &[f64], digits: usize) -> String {
    let (m, s) = mean_std(v);
    format!("{m:.digits$} ± {s:.digits$}")
}

pub fn compare(a: &CompareArgs) -> Outcome {
    // What the maths refuses (an SA network on a singular SA, a GA where f'
    // has zeros) is a row of the table, not the end of the comparison: the
    // other modes still train; the exit code says so at the end.
    if let Some(m) = a.modes.iter().enumerate().find_map(|(i, m)| a.modes[..i].contains(m).then_some(m)) {
        // Two runs of one mode would share its run directories.
        return Outcome::fail(Exit::Invalid, format!("--modes names {m} twice"));
    }
    let mut refused: Vec<(Mode, RewriteError)> = Vec::new();
    let mut modes = Vec::new();
    for &m in &a.modes {
        match check_rewrite(&a.common, m) {
            Ok(()) => modes.push(m),
            Err(e) if Exit::of_rewrite(&e) == Exit::Refused => refused.push((m, e)),
            Err(e) => return Outcome::fail(Exit::of_rewrite(&e), refusal_text(&a.common, m, &e)),
        }
    }
    let refusals = refused.iter().map(|(m, e)| refusal_text(&a.common, *m, e)).collect::<Vec<_>>().join("\nerror: ");
    if modes.is_empty() {
        return Outcome::fail(Exit::Refused, format!("{refusals}\nnothing to compare: every mode was refused"));
    }
    if !a.overwrite {
        let mut files: Vec<PathBuf> = COMPARE_FILES.iter().map(|n| a.out.join(n)).filter(|p| p.exists()).collect();
        files.extend(modes.iter().flat_map(|&m| (0..a.seeds).flat_map(move |seed| rt::earlier_results(&run_dir(&a.out, m, seed)))));
        if !files.is_empty() {
            let e = TrainError::EarlierResults { dir: a.out.clone(), files };
            return Outcome::fail(Exit::of_train(&e), format!("{e}; --overwrite replaces them, or choose another --out"));
        }
    }
    let data = match prepare(&a.common, &modes, &a.out) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut runs = Vec::new();
    for &mode in &modes {
        for seed in 0..a.seeds {
            match config(&a.common, mode, seed, &data) {
                Ok(c) => runs.push((mode, seed, c)),
                Err(o) => return o,
            }
        }
    }
    let shape = runs.first().map(|(_, _, c)| (c.model.kind, c.model.depth, c.model.width));
    let mut trained = match train_all(a, &data, &runs) {
        Ok(t) => t.into_iter(),
        Err(e) => return train_error(e),
    };
    let all: Vec<ModeRuns> = a
        .modes
        .iter()
        .map(|&mode| match refused.iter().find(|(m, _)| *m == mode) {
            Some((_, e)) => ModeRuns { mode, runs: Vec::new(), refused: Some(rewrite_message(e)) },
            None => ModeRuns { mode, runs: trained.by_ref().take(a.seeds as usize).collect(), refused: None },
        })
        .collect();
    let (kind, depth, width) = shape.unwrap_or((a.common.model, 0, 0));
    let mut out = format!(
        "{} on {}, {kind} depth {depth} width {width}, {}, seeds 0..{}, {}{}\n\n",
        a.common.act,
        data.name,
        counted(a.common.epochs, "epoch"),
        a.seeds.saturating_sub(1),
        placement_text(&a.common.placement()),
        match runs.iter().find(|(m, _, _)| stabilizer_text(&a.common, *m).is_some()) {
            Some((_, _, c)) => format!("; HD-FGD/SA with --stabilize {}, {}", a.common.stabilize.label(a.common.stabilize_value), rates_text(c)),
            None => runs.first().map(|(_, _, c)| format!("; {}", rates_text(c))).unwrap_or_default(),
        }
    );
    out += &table(a, &all, data.classes);
    let limit = rt::blow_up_loss(data.classes);
    let _ = writeln!(
        out,
        "\ndiverged: the loss became non-finite (the run stopped; it counts with its last test accuracy) or an epoch's mean train loss \
         exceeded {limit:.2} = 1.1 × ln {} (worse than chance). un-trained: not diverged, but the mean train loss, once at most \
         {:.2} × ln {0}, gave back at least {:.0} % of its way down by the last epoch. 95 % CI: Student's t over the seeds. p: Welch's t-test against baseline \
         on the final test accuracies. Gradient ratio: RMS of ∂L/∂W of the first weight layer ÷ the last, at step 1 (geometric mean over seeds).",
        data.classes,
        rt::UNTRAINED_LEARNED,
        100.0 * rt::UNTRAINED_GIVEN_BACK
    );
    let trained_modes: Vec<&ModeRuns> = all.iter().filter(|m| m.refused.is_none()).collect();
    let written = write_summaries(&a.out, &all, a.target, data.classes)
        .and_then(|_| accuracy_plot(&a.out.join(COMPARE_FILES[4]), &trained_modes, a.common.epochs, &a.common.act))
        .and_then(|_| gradient_plot(&a.out.join(COMPARE_FILES[5]), &trained_modes));
    if let Err(e) = written {
        return Outcome::fail(Exit::Internal, e);
    }
    let _ = writeln!(
        out,
        "\nwrote {0}/compare.png (test accuracy and train loss, mean ± std), {0}/grad_layers.png (per-layer gradient norms per mode), \
         {0}/summary.csv, summary.json, runs.csv, grads.csv, and each run's directory",
        a.out.display()
    );
    if refused.is_empty() {
        return Outcome::ok(out);
    }
    Outcome {
        exit: Exit::Refused,
        stdout: out,
        stderr: format!("error: {refusals}\n(refused before training; the other modes ran and their results are above and in {})\n", a.out.display()),
    }
}

/// Trains every (mode, seed, config) of `runs`, up to `--jobs` at a time,
/// and returns their summaries in the order of `runs`. Each run is
/// deterministic on its own (its seed fixes its weights and batch order), so
/// the results do not depend on how many run at once (nor on how many
/// threads each kernel uses). After a failure no new run starts; the first
/// failure in `runs`' order is the error.
///
/// Each worker gets its own rayon pool, the CPUs shared out between the
/// workers, so that two workers' kernels do not contend for (and spin in)
/// one global pool.
fn train_all(a: &CompareArgs, data: &Dataset, runs: &[(Mode, u64, TrainConfig)]) -> Result<Vec<RunSummary>, TrainError> {
    let placement = a.common.placement();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = a.jobs.unwrap_or((cpus / placement.devices).max(1)).clamp(1, runs.len().max(1));
    let multi = MultiProgress::new();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<OnceLock<Result<RunSummary, TrainError>>> = runs.iter().map(|_| OnceLock::new()).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= runs.len() || failed.load(Ordering::SeqCst) {
            break;
        }
        let (mode, seed, cfg) = &runs[i];
        let mut bars = Bars::shared(a.quiet, format!("{mode} seed {seed} "), &multi);
        let earlier = if a.overwrite { Earlier::Replace } else { Earlier::Refuse };
        let r = rt::train(cfg, data, &run_dir(&a.out, *mode, *seed), earlier, &placement, &mut bars);
        if r.is_err() {
            failed.store(true, Ordering::SeqCst);
        }
        let _ = results[i].set(r);
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| match rayon::ThreadPoolBuilder::new().num_threads((cpus / jobs).max(1)).build() {
                Ok(pool) => pool.install(work),
                // No pool of its own (threads refused): the global one.
                Err(_) => work(),
            });
        }
    });
    // Runs are taken in order, so a run skipped after a failure comes after it.
    results.into_iter().filter_map(OnceLock::into_inner).collect()
}

fn table(a: &CompareArgs, all: &[ModeRuns], classes: usize) -> String {
    let t = a.target;
    let mut s = format!(
        "| mode | test accuracy (mean ± std) | 95 % CI | Δ vs baseline (Welch p) | diverged | epochs to {t:.2} | seconds to {t:.2} | s/epoch | gradient ratio first ÷ last layer |\n\
         |---|---|---|---|---|---|---|---|---|\n"
    );
    let baseline = all.iter().find(|m| m.mode == Mode::Baseline && m.refused.is_none()).map(ModeRuns::finals);
    for m in all {
        if let Some(why) = &m.refused {
            let _ = writeln!(s, "| {} | refused: {why} | — | — | — | — | — | — | — |", m.mode);
            continue;
        }
        let finals = m.finals();
        let n = m.runs.len();
        let (mean, _) = mean_std(&finals);
        let h = ci95_half_width(&finals);
        let ci = if h.is_nan() { "—".to_string() } else { format!("[{:.4}, {:.4}]", mean - h, mean + h) };
        let vs = match (&baseline, m.mode) {
            (Some(b), mode) if mode != Mode::Baseline => match welch(&finals, b) {
                Some(w) => format!("{:+.4} (p = {})", mean - mean_std(b).0, fmt_p(w.p)),
                None => format!("{:+.4}", mean - mean_std(b).0),
            },
            _ => "—".to_string(),
        };
        let diverged = m.runs.iter().filter(|r| r.is_diverged(classes)).count();
        let reached = m.to_target(t);
        let (epochs, secs): (Vec<f64>, Vec<f64>) = reached.iter().copied().unzip();
        let (to_e, to_s) = if reached.is_empty() {
            ("not reached".to_string(), "—".to_string())
        } else {
            (format!("{} ({}/{n})", fmt_mean_std(&epochs, 1), reached.len()), fmt_mean_std(&secs, 1))
        };
        let (first, _) = m.grads();
        let ratio: Vec<f64> = first.iter().filter(|g| g.len() >= 2).map(|g| g[0] - g[g.len() - 1]).collect();
        let ratio = match ratio.is_empty() {
            true => "—".to_string(),
            false => fmt_sig(10f64.powf(mean_std(&ratio).0)),
        };
        let untrained = m.runs.iter().filter(|r| r.untrained(classes).is_some()).count();
        let label = match (diverged, untrained) {
            (0, 0) => m.mode.to_string(),
            (d, 0) => format!("{} ({d}/{n} diverged)", m.mode),
            (0, u) => format!("{} ({u}/{n} un-trained)", m.mode),
            (d, u) => format!("{} ({d}/{n} diverged, {u}/{n} un-trained)", m.mode),
        };
        let _ =
            writeln!(s, "| {label} | {} | {ci} | {vs} | {diverged}/{n} | {to_e} | {to_s} | {:.2} | {ratio} |", fmt_mean_std(&finals, 4), m.seconds_per_epoch());
    }
    s
}

/// Three decimals, or three significant digits in scientific notation
/// outside [0.01, 1000) (vanishing gradient ratios of deep nets).
fn fmt_sig(v: f64) -> String {
    if (0.01..1000.0).contains(&v) {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

fn fmt_p(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// One mode's summary as (column, value) pairs: the row of `summary.csv` and
/// the object of `summary.json`. A refused mode has 0 seeds, no statistics
/// and the reason in `refused`.
fn summary_fields(m: &ModeRuns, baseline: Option<&Vec<f64>>, target: f64, classes: usize) -> Vec<(&'static str, Value)> {
    let mut f: Vec<(&'static str, Value)> = vec![("mode", json!(m.mode.as_str())), ("seeds", json!(m.runs.len()))];
    let number = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    if m.refused.is_none() {
        let finals = m.finals();
        let (mean, std) = mean_std(&finals);
        let h = ci95_half_width(&finals);
        let w = baseline.filter(|_| m.mode != Mode::Baseline).and_then(|b| welch(&finals, b));
        let reached = m.to_target(target);
        let (epochs, secs): (Vec<f64>, Vec<f64>) = reached.iter().copied().unzip();
        let (em, es) = mean_std(&epochs);
        let (sm, ss) = mean_std(&secs);
        let max_loss = m.runs.iter().flat_map(|r| r.history.iter().map(|h| h.train_loss)).fold(f64::NAN, f64::max);
        let wt = |g: fn(&foil_train::stats::Welch) -> f64| w.as_ref().map_or(Value::Null, |w| number(g(w)));
        f.extend([
            ("acc_mean", number(mean)),
            ("acc_std", number(std)),
            ("acc_ci95_low", number(mean - h)),
            ("acc_ci95_high", number(mean + h)),
            ("welch_t", wt(|w| w.t)),
            ("welch_df", wt(|w| w.df)),
            ("welch_p", wt(|w| w.p)),
            ("diverged", json!(m.runs.iter().filter(|r| r.is_diverged(classes)).count())),
            ("untrained", json!(m.runs.iter().filter(|r| r.untrained(classes).is_some()).count())),
            ("max_train_loss", number(max_loss)),
            ("reached_target", json!(reached.len())),
            ("epochs_to_target_mean", number(em)),
            ("epochs_to_target_std", number(es)),
            ("seconds_to_target_mean", number(sm)),
            ("seconds_to_target_std", number(ss)),
            ("seconds_per_epoch", number(m.seconds_per_epoch())),
        ]);
    }
    f.extend([("target", json!(target)), ("refused", m.refused.as_ref().map_or(Value::Null, |r| json!(r)))]);
    f
}

/// A `summary.csv` cell: numbers as Rust prints them, text quoted where it
/// holds a comma, quote or line break, nothing for null.
fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n']) => format!("\"{}\"", s.replace('"', "\"\"")),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().filter(|_| n.is_f64()).map_or_else(|| n.to_string(), |x| x.to_string()),
        other => other.to_string(),
    }
}

/// `summary.csv` and `summary.json` (one row / object per mode, refused
/// modes included), `runs.csv` (one row per run and epoch), `grads.csv` (per
/// run, the per-layer gradient norms at step 1 and on the last batch).
fn write_summaries(out: &Path, all: &[ModeRuns], target: f64, classes: usize) -> Result<(), String> {
    const COLUMNS: &str = "mode,seeds,acc_mean,acc_std,acc_ci95_low,acc_ci95_high,welch_t,welch_df,welch_p,diverged,untrained,max_train_loss,reached_target,epochs_to_target_mean,epochs_to_target_std,seconds_to_target_mean,seconds_to_target_std,seconds_per_epoch,target,refused";
    let mut summary = format!("{COLUMNS}\n");
    let mut objects = Vec::new();
    let mut runs = String::from("mode,seed,epoch,train_loss,test_loss,test_accuracy,seconds,stopped_non_finite\n");
    let mut grads = String::from("mode,seed,when,layer_index,layer,l2,rms,weights\n");
    let baseline = all.iter().find(|m| m.mode == Mode::Baseline && m.refused.is_none()).map(ModeRuns::finals);
    for m in all {
        let fields = summary_fields(m, baseline.as_ref(), target, classes);
        let cells: Vec<String> = COLUMNS.split(',').map(|c| fields.iter().find(|(k, _)| *k == c).map_or(String::new(), |(_, v)| csv_cell(v))).collect();
        summary += &cells.join(",");
        summary.push('\n');
        objects.push(Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
        for (seed, r) in m.runs.iter().enumerate() {
            for h in &r.history {
                let _ =
                    writeln!(runs, "{},{seed},{},{},{},{},{},{}", m.mode, h.epoch, h.train_loss, h.test_loss, h.test_accuracy, h.seconds, r.diverged.is_some());
            }
            let samples = [("step1", r.history.first().map(|h| &h.grads_first)), ("last", r.history.last().map(|h| &h.grads))];
            for (when, g) in samples.iter().filter_map(|(w, g)| g.map(|g| (w, g))) {
                for (i, l) in g.iter().enumerate() {
                    let _ = writeln!(grads, "{},{seed},{when},{},{},{},{},{}", m.mode, i + 1, l.layer, l.l2, l.rms(), l.len);
                }
            }
        }
    }
    let json = serde_json::to_string_pretty(&json!({ "modes": objects })).map_err(|e| format!("summary.json: {e}"))? + "\n";
    for (name, text) in COMPARE_FILES.into_iter().zip([summary, json, runs, grads]) {
        std::fs::write(out.join(name), text).map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))?;
    }
    Ok(())
}

fn band_series(label: String, pts: &[(f64, f64, f64)]) -> Series {
    Series { label, points: pts.iter().map(|p| (p.0, p.1)).collect(), band: pts.iter().map(|p| (p.0, p.1 - p.2, p.1 + p.2)).collect() }
}

/// `compare.png`: test accuracy and log10 train loss per epoch, mean ± std over the seeds.
fn accuracy_plot(path: &Path, all: &[&ModeRuns], epochs: usize, act: &str) -> Result<(), String> {
    let acc = all.iter().map(|m| band_series(m.mode.to_string(), &m.by_epoch(epochs, |h| h.test_accuracy))).collect();
    let loss = all.iter().map(|m| band_series(m.mode.to_string(), &m.by_epoch(epochs, |h| h.train_loss.max(1e-30).log10()))).collect();
    rt::plot::overlay(
        path,
        &[
            Panel::new(format!("test accuracy: {act}"), "epoch", "test accuracy (mean ± std)", acc),
            Panel::new("train loss", "epoch", "log10 train loss (mean ± std)", loss),
        ],
    )
}

/// `grad_layers.png`: one panel per mode, log10 RMS ∂L/∂W per weight layer
/// (input side first) at step 1 and on the last batch, mean ± std over the
/// seeds, all panels on one y scale.
fn gradient_plot(path: &Path, all: &[&ModeRuns]) -> Result<(), String> {
    let mut panels: Vec<Panel> = all
        .iter()
        .map(|m| {
            let (first, last) = m.grads();
            let series = [("step 1", first), ("last batch", last)]
                .into_iter()
                .map(|(label, g)| {
                    let pts: Vec<(f64, f64, f64)> = per_layer(&g).into_iter().enumerate().map(|(i, (mu, sd))| ((i + 1) as f64, mu, sd)).collect();
                    band_series(label.to_string(), &pts)
                })
                .collect();
            Panel::new(format!("{}: gradient per layer", m.mode), "weight layer (input side first)", "log10 RMS dL/dW", series)
        })
        .collect();
    let (lo, hi) = panels.iter().map(Panel::bounds).fold((f64::MAX, f64::MIN), |(lo, hi), (_, (a, b))| (lo.min(a), hi.max(b)));
    if lo < hi {
        panels.iter_mut().for_each(|p| p.y_range = Some((lo, hi)));
    }
    rt::plot::grid(path, &panels, 2, (700, 420))
}
