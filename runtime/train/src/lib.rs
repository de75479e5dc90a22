//! Training on burn's Flex backend: the loop behind `foil train` and
//! `foil compare`.
//!
//! Deterministic for a given seed: the model is initialised from the seeded
//! backend RNG and each epoch's batch order comes from (seed, epoch) alone, so
//! a run resumed from the epoch-k checkpoint takes exactly the steps an
//! uninterrupted run takes after epoch k.

mod atomic;
pub mod checkpoint;
pub mod data;
pub mod metrics;
pub mod models;
pub mod placement;
pub mod plot;
pub mod stabilize;
pub mod stats;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ::burn::module::{Module, ModuleVisitor, Param};
use ::burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams};
use ::burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::data::{DataError, Mnist};
use checkpoint::{Checkpoint, CheckpointError, CheckpointHeader};
use foil_burn::RewriteError;
use metrics::{EpochMetrics, LayerGrad};
use models::{Model, ModelConfig};
pub use placement::{BackendKind, Placement};
pub use stabilize::{split_learning_rate, Stabilizer, LEARNING_RATE, UNBOUNDED_SPLIT_DEPTH, UNBOUNDED_SPLIT_RATE};

/// Everything that determines a run's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub model: ModelConfig,
    pub epochs: usize,
    pub seed: u64,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Use only the first N training / test images (None: all).
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// Stability option (SPEC §6, [`Stabilizer::Clip`]): burn's
    /// `GradientClipping::Norm(c)` on every parameter tensor before Adam.
    #[serde(default)]
    pub grad_clip: Option<f32>,
    /// Adam's step size for the split layers' parameters, when it differs
    /// from `learning_rate` ([`split_learning_rate`], [`Stabilizer::SplitLr`]).
    #[serde(default)]
    pub split_lr: Option<f64>,
}

impl TrainConfig {
    /// Batch 64, Adam at [`LEARNING_RATE`] with the split layers at
    /// [`split_learning_rate`], no clipping.
    pub fn new(model: ModelConfig, epochs: usize, seed: u64) -> Self {
        let split_lr = split_learning_rate(&model);
        TrainConfig { model, epochs, seed, batch_size: 64, learning_rate: LEARNING_RATE, train_limit: None, test_limit: None, grad_clip: None, split_lr }
    }

    /// The settings that must match for `--resume` (everything but `epochs`).
    fn same_run(&self, other: &TrainConfig) -> bool {
        TrainConfig { epochs: 0, ..self.clone() } == TrainConfig { epochs: 0, ..other.clone() }
    }
}

/// The settings in which `checkpoint` and `requested` differ, as
/// `model.depth: 8 in the checkpoint, 16 requested` (`epochs` excepted: a
/// resume may extend a run).
fn config_difference(checkpoint: &TrainConfig, requested: &TrainConfig) -> String {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                for (k, v) in x {
                    let name = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(&name, v, y.get(k).unwrap_or(&serde_json::Value::Null), out);
                }
            }
            _ if a != b => out.push(format!("{path}: {a} in the checkpoint, {b} requested")),
            _ => {}
        }
    }
    let value = |c: &TrainConfig| serde_json::to_value(TrainConfig { epochs: 0, ..c.clone() }).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &value(checkpoint), &value(requested), &mut out);
    if out.is_empty() {
        return format!("checkpoint config {checkpoint:?}, requested {requested:?}");
    }
    out.join("; ")
}

/// Where the Debian package `dataset-fashion-mnist` puts Fashion-MNIST's IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// The Debian package with Fashion-MNIST.
pub const FASHION_MNIST_PACKAGE: &str = "dataset-fashion-mnist";

/// A dataset by name (`mnist-embedded`, `fashion-mnist`) or a directory of
/// MNIST IDX or CIFAR binary files (anything else; write `./fashion-mnist`
/// for a directory of that name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The committed 8,000/2,000 MNIST subset.
    Embedded,
    /// [`Dataset::fashion_mnist`].
    FashionMnist,
    Dir(PathBuf),
}

impl std::str::FromStr for DataSource {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "mnist-embedded" => DataSource::Embedded,
            "fashion-mnist" => DataSource::FashionMnist,
            dir => DataSource::Dir(PathBuf::from(dir)),
        })
    }
}

/// Images as `[n, channels, side, side]` f32 in [0, 1] plus labels.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub channels: usize,
    pub side: usize,
    pub classes: usize,
    pub train_images: Vec<f32>,
    pub train_labels: Vec<u8>,
    pub test_images: Vec<f32>,
    pub test_labels: Vec<u8>,
}

impl Dataset {
    fn from_mnist(name: String, m: Mnist) -> Self {
        Dataset {
            name,
            channels: 1,
            side: 28,
            classes: 10,
            train_images: m.train.images,
            train_labels: m.train.labels,
            test_images: m.test.images,
            test_labels: m.test.labels,
        }
    }

    /// The committed 8,000/2,000 MNIST subset.
    pub fn mnist_embedded() -> Result<Self, DataError> {
        Ok(Self::from_mnist("mnist (embedded 8k/2k)".into(), Mnist::embedded()?))
    }

    /// Fashion-MNIST (60,000 + 10,000 images, 10 classes) from the Debian
    /// package `dataset-fashion-mnist` ([`FASHION_MNIST_DIR`]).
    pub fn fashion_mnist() -> Result<Self, DataError> {
        Self::fashion_mnist_in(Path::new(FASHION_MNIST_DIR))
    }

    /// Fashion-MNIST's IDX files in `dir`; when they are not there, the error
    /// names the package that installs them.
    pub fn fashion_mnist_in(dir: &Path) -> Result<Self, DataError> {
        match Mnist::from_dir(dir) {
            Ok(m) => Ok(Self::from_mnist(format!("fashion-mnist ({})", dir.display()), m)),
            Err(DataError::MissingFiles { dir, mut missing }) => {
                missing.retain(|m| !m.starts_with("(or "));
                Err(DataError::NotInstalled { dataset: "Fashion-MNIST", dir, package: FASHION_MNIST_PACKAGE, missing })
            }
            Err(e) => Err(e),
        }
    }

    /// What `--data` names.
    pub fn load(source: &DataSource) -> Result<Self, DataError> {
        match source {
            DataSource::Embedded => Self::mnist_embedded(),
            DataSource::FashionMnist => Self::fashion_mnist(),
            DataSource::Dir(dir) => Self::from_dir(dir),
        }
    }

    /// MNIST IDX files in `dir`, else CIFAR-10 binaries, else CIFAR-100
    /// binaries (fine labels). When none loads, the error is MNIST's unless
    /// the directory holds CIFAR files, whose own error is then the useful one.
    pub fn from_dir(dir: &Path) -> Result<Self, DataError> {
        use crate::data::cifar::{Cifar10, Cifar100, CifarSplit, CHANNELS, SIDE};
        let cifar = |name: String, classes: usize, train: CifarSplit, test: CifarSplit| Dataset {
            name,
            channels: CHANNELS,
            side: SIDE,
            classes,
            train_images: train.images,
            train_labels: train.labels,
            test_images: test.images,
            test_labels: test.labels,
        };
        let mnist_err = match Mnist::from_dir(dir) {
            Ok(m) => return Ok(Self::from_mnist(format!("mnist ({})", dir.display()), m)),
            Err(e) => e,
        };
        let c10_err = match Cifar10::from_dir(dir) {
            Ok(c) => return Ok(cifar(format!("cifar-10 ({})", dir.display()), 10, c.train, c.test)),
            Err(e) => e,
        };
        match Cifar100::from_dir(dir) {
            Ok(c) => Ok(cifar(format!("cifar-100 ({})", dir.display()), 100, c.train, c.test)),
            Err(c100_err) => {
                let has = |names: &[&str]| {
                    names
                        .iter()
                        .any(|n| dir.join(n).exists() || dir.join("cifar-10-batches-bin").join(n).exists() || dir.join("cifar-100-binary").join(n).exists())
                };
                if has(&Cifar10::TRAIN_FILES) || has(&[Cifar10::TEST_FILE]) {
                    Err(c10_err)
                } else if has(&[Cifar100::TRAIN_FILE, Cifar100::TEST_FILE]) {
                    Err(c100_err)
                } else {
                    Err(mnist_err)
                }
            }
        }
    }

    fn pixels(&self) -> usize {
        self.channels * self.side * self.side
    }

    pub fn train_len(&self) -> usize {
        self.train_labels.len()
    }

    pub fn test_len(&self) -> usize {
        self.test_labels.len()
    }

    /// Keeps the first `train` / `test` images.
    pub fn truncate(&mut self, train: Option<usize>, test: Option<usize>) {
        let p = self.pixels();
        if let Some(n) = train {
            let n = n.min(self.train_len());
            self.train_labels.truncate(n);
            self.train_images.truncate(n * p);
        }
        if let Some(n) = test {
            let n = n.min(self.test_len());
            self.test_labels.truncate(n);
            self.test_images.truncate(n * p);
        }
    }

    fn batch(&self, images: &[f32], labels: &[u8], idx: &[usize], device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
        let p = self.pixels();
        let mut x = Vec::with_capacity(idx.len() * p);
        let mut y = Vec::with_capacity(idx.len());
        for &i in idx {
            x.extend_from_slice(&images[i * p..(i + 1) * p]);
            y.push(labels[i] as i64);
        }
        let b = idx.len();
        (Tensor::from_data(TensorData::new(x, [b, self.channels, self.side, self.side]), device), Tensor::from_data(TensorData::new(y, [b]), device))
    }
}

/// Progress callbacks (the CLI draws progress bars from these).
pub trait Observer {
    fn resumed(&mut self, _from_epoch: usize, _path: &Path) {}
    fn epoch_start(&mut self, _epoch: usize, _epochs: usize, _batches: usize) {}
    fn batch(&mut self, _done: usize, _loss: f64, _images_per_second: f64) {}
    fn epoch_end(&mut self, _m: &EpochMetrics) {}
}

/// An observer that reports nothing.
pub struct Quiet;
impl Observer for Quiet {}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("output directory {path} is not usable: {reason}")]
    OutDir { path: PathBuf, reason: String },
    #[error("{} holds the results of an earlier run ({})", dir.display(), listed(dir, files))]
    EarlierResults { dir: PathBuf, files: Vec<PathBuf> },
    #[error(transparent)]
    Rewrite(#[from] RewriteError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("metrics: {0}")]
    Metrics(#[from] atomic::WriteError),
    #[error(
        "cannot resume: {latest} is unusable ({reason}); it was left in place{}",
        match previous { Some(p) => format!(". The previous good checkpoint {} is intact: move the damaged file away and run --resume again to continue from it", p.display()), None => String::new() }
    )]
    Resume { latest: PathBuf, reason: String, previous: Option<PathBuf> },
    #[error("cannot resume from {path}: it belongs to a different run ({detail})")]
    ConfigMismatch { path: PathBuf, detail: String },
    #[error("model/optimizer state in {path} does not load: {detail}")]
    Record { path: PathBuf, detail: String },
    #[error("dataset: {0}")]
    Data(#[from] DataError),
    #[error("plot: {0}")]
    Plot(String),
    #[error("device {backend} is not available: {reason}")]
    Device { backend: BackendKind, reason: String },
}

/// The outcome of a run.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub history: Vec<EpochMetrics>,
    /// Where the loss first became non-finite (epoch, 1-based batch): the run
    /// stopped there; `history` holds the epochs completed before it.
    pub diverged: Option<(usize, usize)>,
    pub resumed_from: Option<usize>,
    pub out_dir: PathBuf,
}

impl RunSummary {
    pub fn final_accuracy(&self) -> f64 {
        self.history.last().map_or(0.0, |m| m.test_accuracy)
    }

    /// The first epoch whose mean train loss exceeded [`blow_up_loss`]
    /// (`classes`), and that loss.
    pub fn blew_up(&self, classes: usize) -> Option<(usize, f64)> {
        let limit = blow_up_loss(classes);
        self.history.iter().find(|m| !(m.train_loss <= limit)).map(|m| (m.epoch, m.train_loss))
    }

    /// Diverged: the loss became non-finite (the run stopped) or blew up
    /// ([`RunSummary::blew_up`]).
    pub fn is_diverged(&self, classes: usize) -> bool {
        self.diverged.is_some() || self.blew_up(classes).is_some()
    }

    /// Un-trained: the run learned and then gave a good part of it back, a
    /// failure that stays finite and under [`blow_up_loss`] (split layers
    /// too deep for their rate do this: README, Training → Stability). Some
    /// epoch before the last brought the mean train loss down to
    /// [`UNTRAINED_LEARNED`] × ln(classes) or below, and by the last epoch it
    /// is back up by [`UNTRAINED_GIVEN_BACK`] of the way from that lowest
    /// loss to chance, ln(classes). Some((that epoch, its loss, the last
    /// epoch's loss)); None for a run that diverged (it says so itself).
    ///
    /// Of the 769 runs committed under `bench/results` on 2026-12-07 this
    /// names 18: all 10 split runs of the 16-layer tanh MLP with `layernorm`
    /// at 1e-3, 7 of the 10 of the 32-layer one at the default rates (the
    /// other 3 never got below 0.85 × ln 10), and one 16-layer SA run with
    /// `offsets`; none that kept learning.
    pub fn untrained(&self, classes: usize) -> Option<(usize, f64, f64)> {
        let (last, before) = self.history.split_last()?;
        let best = before.iter().min_by(|a, b| a.train_loss.total_cmp(&b.train_loss))?;
        let chance = (classes.max(2) as f64).ln();
        let learned = best.train_loss <= UNTRAINED_LEARNED * chance;
        let given_back = last.train_loss - best.train_loss >= UNTRAINED_GIVEN_BACK * (chance - best.train_loss);
        (learned && given_back && !self.is_diverged(classes)).then_some((best.epoch, best.train_loss, last.train_loss))
    }
}

/// See [`RunSummary::untrained`]: a run whose mean train loss never went
/// below this share of ln(classes) has not learned enough to lose it (runs
/// stuck at chance wander by a few hundredths).
pub const UNTRAINED_LEARNED: f64 = 0.85;

/// See [`RunSummary::untrained`]: the share of its progress a run must give
/// back by its last epoch.
pub const UNTRAINED_GIVEN_BACK: f64 = 0.25;

/// A mean train loss above this has blown up: ln(classes) is the loss of
/// predicting every class equally likely, so a run above it by 10 % is not
/// merely failing to learn (a run stuck at chance sits at ln(classes)) but
/// worse than knowing nothing. 2.53 for 10 classes.
pub fn blow_up_loss(classes: usize) -> f64 {
    1.1 * (classes.max(2) as f64).ln()
}

/// What [`train`] does with an earlier run's results in its directory
/// ([`earlier_results`]). A directory holds one run: a run started over
/// another's checkpoints would mix the two, and a later resume would pick up
/// the other run's newest epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Earlier {
    /// Stop with [`TrainError::EarlierResults`], before writing anything.
    Refuse,
    /// Continue from the newest checkpoint (none starts from scratch; a
    /// damaged one is an error and is left in place).
    Resume,
    /// Remove them first; other files in the directory stay.
    Replace,
}

/// The PNG plots a run draws into its directory.
pub const PLOT_FILES: [&str; 2] = ["curves.png", "grad_magnitudes.png"];

/// The files of an earlier run in `dir`: what [`train`] writes there (its
/// checkpoints, oldest first, the metrics and the plots).
pub fn earlier_results(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = checkpoint::list(dir).into_iter().rev().map(|(_, p)| p).collect();
    found.extend([metrics::CSV_FILE, metrics::JSON_FILE].iter().chain(&PLOT_FILES).map(|n| dir.join(n)).filter(|p| p.exists()));
    found
}

/// `files` relative to `dir`, the first three and how many more.
fn listed(dir: &Path, files: &[PathBuf]) -> String {
    let mut names: Vec<String> = files.iter().take(3).map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string()).collect();
    if files.len() > 3 {
        names.push(format!("and {} more files", files.len() - 3));
    }
    names.join(", ")
}

/// [`TrainError::EarlierResults`] if `dir` holds an earlier run's results.
pub fn refuse_earlier_results(dir: &Path) -> Result<(), TrainError> {
    let files = earlier_results(dir);
    if files.is_empty() {
        return Ok(());
    }
    Err(TrainError::EarlierResults { dir: dir.to_path_buf(), files })
}

/// Checks that `dir` can be created and written, before any training.
pub fn check_out_dir(dir: &Path) -> Result<(), TrainError> {
    let bad = |reason: String| TrainError::OutDir { path: dir.to_path_buf(), reason };
    if dir.exists() && !dir.is_dir() {
        return Err(bad("it exists and is not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| bad(format!("cannot create it: {e}")))?;
    let probe = dir.join(format!(".foil-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(|e| bad(format!("cannot write into it: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| bad(format!("cannot remove a file in it: {e}")))?;
    Ok(())
}

/// Space for what a run will write: one checkpoint per remaining epoch
/// (parameters and Adam's two moments, f32) plus metrics and plots. Checked
/// against the free space of `dir`'s filesystem, and one checkpoint's worth is
/// really written and removed, so a full disk or a quota is reported before
/// the first step rather than at the end of an epoch.
fn check_out_space(dir: &Path, params: usize, epochs_left: usize) -> Result<(), TrainError> {
    const PLOTS_AND_METRICS: u64 = 2 << 20;
    let checkpoint = (params as u64) * 4 * 3 + (64 << 10);
    let need = checkpoint * epochs_left as u64 + PLOTS_AND_METRICS;
    let bad = |reason: String| TrainError::OutDir { path: dir.to_path_buf(), reason };
    let free = fs4::available_space(dir).map_err(|e| bad(format!("cannot query its free space: {e}")))?;
    if free < need {
        return Err(bad(format!(
            "not enough free space: this run writes about {} ({epochs_left} checkpoints of {} plus metrics and plots), the filesystem has {} free",
            human_bytes(need),
            human_bytes(checkpoint),
            human_bytes(free)
        )));
    }
    let probe = dir.join(format!(".foil-space-probe-{}", std::process::id()));
    let written = write_zeros(&probe, checkpoint);
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| bad(format!("cannot write a checkpoint-sized file ({}) into it: {e}", human_bytes(checkpoint))))
}

fn write_zeros(path: &Path, bytes: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    let block = vec![0u8; 1 << 16];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.0} KiB", b as f64 / 1024.0),
    }
}

/// A tiny deterministic RNG (splitmix64) for batch order.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
}

/// Batch order of `epoch` (1-based): a permutation fixed by (seed, epoch).
fn permutation(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut rng = SplitMix(seed ^ (epoch as u64).wrapping_mul(0xd1b54a32d192ed03));
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    p
}

/// The training loss: mean negative log-likelihood of `targets` under
/// `logits`, `logsumexp(z) − z_target` per row (z shifted by its detached
/// row maximum, as burn's `log_softmax` does).
///
/// Classes whose probability is below `batch · classes · f32::MIN_POSITIVE`
/// (about 1e-35 for 64 × 10) are left out of the sum: they move the loss by
/// less than that fraction and a gradient entry by less than
/// `classes · f32::MIN_POSITIVE`, but kept, their gradient entries
/// `p/batch` are subnormal, and on x86 every operation of the backward's
/// matrix products that meets a subnormal takes a microcode assist. GA's
/// g for tanh grows like e^(2x) and widens the logits past 170 within a
/// few hundred steps on one batch (6 % of the softmax entries subnormal):
/// with those entries kept an MLP step on flex took 17 % longer than the
/// baseline's, and no longer with the CPU flushing subnormals to zero. The
/// kept probabilities give gradient entries of at least
/// `f32::MIN_POSITIVE`; GPUs flush f32 subnormals anyway.
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [batch, classes] = logits.dims();
    let shifted = logits.clone() - logits.detach().max_dim(1);
    let floor = (f64::from(f32::MIN_POSITIVE) * (batch * classes) as f64).ln() as f32;
    // e^-128 is 0 in f32: a left-out class adds nothing and takes no gradient.
    let kept = shifted.clone().mask_fill(shifted.clone().lower_elem(floor), -128.0);
    let log_sum_exp = kept.exp().sum_dim(1).log();
    (log_sum_exp - shifted.gather(1, targets.reshape([batch, 1]))).mean()
}

/// Collects per-layer weight gradients (rank ≥ 2 parameters) by module path.
struct GradProbe<'a> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    out: Vec<LayerGrad>,
}

impl ModuleVisitor for GradProbe<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if D < 2 {
            return;
        }
        if let Some(g) = self.grads.get::<D>(param.id) {
            if let Ok(v) = g.into_data().try_into_vec_as::<f32>() {
                let name = self.path.iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(".");
                self.out.push(LayerGrad::from_values(name, &v));
            }
        }
    }
}

/// Test loss and accuracy, in batches, without tracking gradients.
pub fn evaluate(model: &Model, data: &Dataset, device: &Device) -> (f64, f64) {
    let model = model.valid();
    let n = data.test_len();
    let (mut loss_sum, mut correct) = (0.0f64, 0usize);
    let idx: Vec<usize> = (0..n).collect();
    let inner = device.clone().inner();
    for chunk in idx.chunks(500) {
        let (x, y) = data.batch(&data.test_images, &data.test_labels, chunk, &inner);
        let logits = model.forward(x);
        let loss: f32 = cross_entropy(logits.clone(), y.clone()).into_scalar();
        loss_sum += loss as f64 * chunk.len() as f64;
        let pred = logits.argmax(1).into_data().try_into_vec_as::<i64>().unwrap_or_default();
        let truth = y.into_data().try_into_vec_as::<i64>().unwrap_or_default();
        correct += pred.iter().zip(&truth).filter(|(a, b)| a == b).count();
    }
    (loss_sum / n.max(1) as f64, correct as f64 / n.max(1) as f64)
}

fn header_json(cfg: &TrainConfig, data: &Dataset, placement: &Placement) -> serde_json::Value {
    serde_json::json!({ "config": cfg, "dataset": data.name, "device": placement.backend, "devices": placement.devices })
}

/// The loss of one batch and its gradients on `replicas[0]`, computed
/// data-parallel over the replicas (see [`placement`]). One replica is the
/// plain single-device step.
fn batch_gradients(model: &Model, data: &Dataset, idx: &[usize], replicas: &[Device]) -> (f32, GradientsParams) {
    let main = &replicas[0];
    if replicas.len() == 1 {
        let (x, y) = data.batch(&data.train_images, &data.train_labels, idx, main);
        let loss = cross_entropy(model.forward(x), y);
        let loss_value: f32 = loss.clone().into_scalar();
        return (loss_value, GradientsParams::from_grads(loss.backward(), model));
    }
    let shard_len = idx.len().div_ceil(replicas.len());
    let shards: Vec<(&[usize], &Device)> = idx.chunks(shard_len).zip(replicas).collect();
    let parts: Vec<(f32, GradientsParams)> = std::thread::scope(|s| {
        let handles: Vec<_> = shards
            .iter()
            .map(|&(shard, device)| {
                let replica = model.clone().fork(device);
                s.spawn(move || {
                    let (x, y) = data.batch(&data.train_images, &data.train_labels, shard, device);
                    let weight = shard.len() as f64 / idx.len() as f64;
                    let loss = cross_entropy(replica.forward(x), y).mul_scalar(weight);
                    let loss_value: f32 = loss.clone().into_scalar();
                    let grads = GradientsParams::from_grads(loss.backward(), &replica);
                    (loss_value, grads.to_device(main, &replica))
                })
            })
            .collect();
        // A panicking replica is a bug in a kernel: re-raise it on this thread.
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut total = 0.0f32;
    let mut acc = GradientsAccumulator::<Model>::new();
    for (loss_value, grads) in parts {
        total += loss_value;
        acc.accumulate(model, grads);
    }
    (total, acc.grads())
}

/// Adam's step size per parameter: `learning_rate`, and `split_lr` for the
/// split layers' parameters when it is set.
fn learning_rates(cfg: &TrainConfig, model: &Model) -> ::burn::optim::lr_scheduler::module_lr_scheduler::ModuleLearningRate {
    use ::burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
    match cfg.split_lr {
        None => cfg.learning_rate.into(),
        Some(split_lr) => ModuleLrScheduler::new(cfg.learning_rate).with_group(::burn::module::ParamGroup::from_ids(model.split_param_ids()), split_lr).step(),
    }
}

/// burn's Flex backend keeps ONE seeded RNG for the whole process, and burn
/// draws a parameter's initial values lazily, on its first use (the first
/// forward pass). Runs trained at once in one process (`foil compare`'s
/// parallel seeds) hold this from `seed` until their first batch is done, so
/// each run's weights come from its own seed in the order a run alone would
/// draw them: the same weights, bit for bit, as when the runs go one by one.
static SEEDED_INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Trains `cfg` on `data`, writing checkpoints, metrics and plots into `out`;
/// an earlier run's results there are refused, resumed or replaced as
/// `earlier` says.
pub fn train(cfg: &TrainConfig, data: &Dataset, out: &Path, earlier: Earlier, placement: &Placement, obs: &mut dyn Observer) -> Result<RunSummary, TrainError> {
    check_out_dir(out)?;
    match earlier {
        Earlier::Refuse => refuse_earlier_results(out)?,
        Earlier::Resume => {}
        Earlier::Replace => earlier_results(out).iter().try_for_each(|f| {
            std::fs::remove_file(f).map_err(|e| TrainError::OutDir { path: out.to_path_buf(), reason: format!("cannot remove {}: {e}", f.display()) })
        })?,
    }
    let replicas = placement.replica_devices()?;
    let device = replicas[0].clone();
    // Held from seeding to the end of the first batch, whose forward pass
    // draws the lazily initialised weights: see [`SEEDED_INIT`].
    let mut seeded = Some(SEEDED_INIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    device.seed(cfg.seed);
    let mut model = cfg.model.init(&device)?;
    let clip = cfg.grad_clip.map(::burn::grad_clipping::GradientClippingConfig::Norm);
    let mut optim = AdamConfig::new().with_grad_clipping(clip).init();
    let mut history: Vec<EpochMetrics> = Vec::new();
    let mut resumed_from = None;

    if earlier == Earlier::Resume {
        let found = checkpoint::list(out);
        if let Some((_, latest)) = found.first() {
            let ck = Checkpoint::load(latest).map_err(|e| TrainError::Resume {
                latest: latest.clone(),
                reason: match e {
                    CheckpointError::Corrupt { reason, .. } => format!("corrupt: {reason}"),
                    other => other.to_string(),
                },
                previous: found.get(1).map(|p| p.1.clone()).filter(|p| Checkpoint::load(p).is_ok()),
            })?;
            if !ck.header.config.same_run(cfg) {
                return Err(TrainError::ConfigMismatch { path: latest.clone(), detail: config_difference(&ck.header.config, cfg) });
            }
            let rec_err = |e: String| TrainError::Record { path: latest.clone(), detail: e };
            let record = ::burn::store::ModuleRecord::from_bytes(::burn::tensor::Bytes::from_bytes_vec(ck.model)).map_err(|e| rec_err(e.to_string()))?;
            model = model.try_load_record(record).map_err(|e| rec_err(e.to_string()))?;
            optim = optim.from_bytes(::burn::tensor::Bytes::from_bytes_vec(ck.optimizer)).map_err(|e| rec_err(e.to_string()))?;
            history = ck.header.history;
            resumed_from = Some(ck.header.epoch);
            obs.resumed(ck.header.epoch, latest);
        }
    }

    let lr = learning_rates(cfg, &model);
    let n = data.train_len();
    let batches = n.div_ceil(cfg.batch_size);
    let start = history.len() + 1;
    check_out_space(out, model.num_params(), (cfg.epochs + 1).saturating_sub(start))?;
    let mut diverged = None;
    'epochs: for epoch in start..=cfg.epochs {
        obs.epoch_start(epoch, cfg.epochs, batches);
        let perm = permutation(n, cfg.seed, epoch);
        let t0 = Instant::now();
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        let (mut grads_first, mut grads_sample) = (Vec::new(), Vec::new());
        for (bi, idx) in perm.chunks(cfg.batch_size).enumerate() {
            let (loss_value, grads) = batch_gradients(&model, data, idx, &replicas);
            seeded.take();
            if !loss_value.is_finite() {
                // Stepping on a non-finite loss only spreads NaN through the
                // weights: stop, keeping the checkpoints of the epochs before.
                diverged = Some((epoch, bi + 1));
                break 'epochs;
            }
            if bi == 0 || bi + 1 == batches {
                let mut probe = GradProbe { grads: &grads, path: Vec::new(), out: Vec::new() };
                model.visit(&mut probe);
                if bi == 0 {
                    grads_first = probe.out.clone();
                }
                grads_sample = probe.out;
            }
            model = optim.step(lr.clone(), model, grads);
            loss_sum += loss_value as f64 * idx.len() as f64;
            seen += idx.len();
            obs.batch(bi + 1, loss_value as f64, seen as f64 / t0.elapsed().as_secs_f64().max(1e-9));
        }
        let seconds = t0.elapsed().as_secs_f64();
        let (test_loss, test_accuracy) = evaluate(&model, data, &device);
        let m = EpochMetrics {
            epoch,
            train_loss: loss_sum / seen.max(1) as f64,
            test_loss,
            test_accuracy,
            seconds,
            images_per_second: seen as f64 / seconds.max(1e-9),
            grads: grads_sample,
            grads_first,
        };
        history.push(m.clone());

        let ck = Checkpoint {
            header: CheckpointHeader { config: cfg.clone(), epoch, history: history.clone() },
            model: model.clone().into_record().into_bytes().map_err(|e| TrainError::Record { path: out.into(), detail: e.to_string() })?.to_vec(),
            optimizer: optim.into_bytes().map_err(|e| TrainError::Record { path: out.into(), detail: e.to_string() })?.to_vec(),
        };
        ck.save(&checkpoint::path_for(out, epoch))?;
        metrics::write(out, &history, header_json(cfg, data, placement))?;
        obs.epoch_end(&m);
    }

    if !history.is_empty() {
        metrics::write(out, &history, header_json(cfg, data, placement))?;
        let title = format!("{} {} on {}", cfg.model.act, cfg.model.mode, data.name);
        plot::training_curves(&out.join(PLOT_FILES[0]), &title, &history).map_err(TrainError::Plot)?;
        plot::gradient_magnitudes(&out.join(PLOT_FILES[1]), &history).map_err(TrainError::Plot)?;
    }
    Ok(RunSummary { history, diverged, resumed_from, out_dir: out.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use foil_burn::Mode;

    fn summary(losses: &[f64]) -> RunSummary {
        let history = losses
            .iter()
            .enumerate()
            .map(|(i, &train_loss)| EpochMetrics {
                epoch: i + 1,
                train_loss,
                test_loss: train_loss,
                test_accuracy: 0.5,
                seconds: 1.0,
                images_per_second: 1.0,
                grads: Vec::new(),
                grads_first: Vec::new(),
            })
            .collect();
        RunSummary { history, diverged: None, resumed_from: None, out_dir: PathBuf::new() }
    }

    /// A run that learned and gave a quarter of it back is named, with its
    /// best epoch; one that kept learning, one that wobbles at chance, one
    /// that wobbles while learning, and one that diverged are not.
    #[test]
    fn a_run_that_learned_and_lost_it_is_untrained() {
        // The 16-layer MLP's HD-FGD seed 1 at 1e-3, and the 32-layer one's at 3e-4.
        assert_eq!(summary(&[1.471, 1.833, 2.247, 2.301, 2.302]).untrained(10), Some((1, 1.471, 2.302)));
        assert_eq!(summary(&[1.914, 2.185, 2.233, 2.223, 2.199]).untrained(10), Some((1, 1.914, 2.199)));
        for healthy in [&[1.44, 0.65, 0.43, 0.32][..], &[2.31, 2.30, 2.30, 2.30, 2.30], &[2.25, 2.03, 1.97, 1.97, 2.08], &[0.8, 0.5, 0.52, 0.58], &[0.9]] {
            assert_eq!(summary(healthy).untrained(10), None, "{healthy:?}");
        }
        let mut blown = summary(&[1.2, 2570.8]);
        assert!(blown.is_diverged(10) && blown.untrained(10).is_none());
        blown = summary(&[1.2, 1.9]);
        blown.diverged = Some((3, 17));
        assert_eq!(blown.untrained(10), None, "a run that stopped on a non-finite loss is diverged, not un-trained");
    }

    fn flat(model: &Model, grads: &GradientsParams) -> Vec<f32> {
        struct Collect<'a>(&'a GradientsParams, Vec<f32>);
        impl ModuleVisitor for Collect<'_> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let g = self.0.get::<D>(param.id).expect("every parameter has a gradient");
                self.1.extend(g.into_data().try_into_vec_as::<f32>().unwrap());
            }
        }
        let mut c = Collect(grads, Vec::new());
        model.visit(&mut c);
        c.1
    }

    /// Data-parallel gradients are the single-device gradients of the batch
    /// mean, up to f32 summation order; the loss likewise. 3 replicas over 50
    /// images also checks unequal shards (17, 17, 16).
    #[test]
    fn data_parallel_gradients_equal_the_single_device_gradients() {
        let mut data = Dataset::mnist_embedded().unwrap();
        data.truncate(Some(50), Some(1));
        let idx: Vec<usize> = (0..50).collect();
        let one = Placement::default().replica_devices().unwrap();
        one[0].seed(5);
        let model = ModelConfig::mlp("tanh(x)", Mode::Sa, 2, 24).init(&one[0]).unwrap();
        let (loss1, g1) = batch_gradients(&model, &data, &idx, &one);
        let g1 = flat(&model, &g1);
        for n in [2, 3] {
            let replicas = Placement::new(BackendKind::Flex, n).replica_devices().unwrap();
            let (loss_n, gn) = batch_gradients(&model, &data, &idx, &replicas);
            let gn = flat(&model, &gn);
            assert!((loss1 - loss_n).abs() <= 1e-5 * loss1.abs(), "{n} replicas: loss {loss_n} vs {loss1}");
            assert_eq!(g1.len(), gn.len());
            let scale = g1.iter().fold(0f32, |m, v| m.max(v.abs()));
            let worst = g1.iter().zip(&gn).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(scale > 0.0 && worst <= 1e-5 * scale, "{n} replicas: max |Δgrad| {worst:e} vs max |grad| {scale:e}");
        }
    }

    /// The loss and its gradient `(softmax − onehot)/batch` against f64 on
    /// logits up to 300 apart (GA's reach 180): the loss to 1e-6, every
    /// gradient entry within `classes · f32::MIN_POSITIVE` plus 2e-5
    /// relative (exp of a shifted logit s carries |s|·2^-24, |s| < 88 for a
    /// kept class) plus ulp(1)/batch (p − 1 of a sure class), and none
    /// subnormal. burn's `log_softmax` form, the one before, gives
    /// subnormal entries on the same logits.
    #[test]
    fn cross_entropy_matches_f64_and_has_no_subnormal_gradient() {
        let device = Device::flex().autodiff();
        let (batch, classes) = (64, 10);
        let mut rng = SplitMix(7);
        let z: Vec<f32> = (0..batch * classes).map(|i| (rng.next() % 60_000) as f32 / 100.0 - 300.0 + (i % 3) as f32).collect();
        let t: Vec<i64> = (0..batch).map(|_| (rng.next() % classes as u64) as i64).collect();
        let logits = || Tensor::<2>::from_data(TensorData::new(z.clone(), [batch, classes]), &device).require_grad();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(t.clone(), [batch]), &device);
        let gradient = |loss: Tensor<1>, x: &Tensor<2>| -> Vec<f32> {
            let mut grads = loss.backward();
            x.grad_remove(&mut grads).expect("logits have a gradient").into_data().try_into_vec_as::<f32>().unwrap()
        };
        let x = logits();
        let loss = cross_entropy(x.clone(), targets.clone());
        let value = f64::from(loss.clone().into_scalar::<f32>());
        let got = gradient(loss, &x);

        let (mut want_loss, mut want) = (0.0, vec![0.0f64; batch * classes]);
        for r in 0..batch {
            let row: Vec<f64> = z[r * classes..(r + 1) * classes].iter().map(|&v| f64::from(v)).collect();
            let max = row.iter().cloned().fold(f64::MIN, f64::max);
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            want_loss += (lse - row[t[r] as usize]) / batch as f64;
            for c in 0..classes {
                let onehot = if c == t[r] as usize { 1.0 } else { 0.0 };
                want[r * classes + c] = ((row[c] - lse).exp() - onehot) / batch as f64;
            }
        }
        assert!((value - want_loss).abs() <= 1e-6 * want_loss.abs(), "loss {value} vs {want_loss}");
        let allowed = |w: f64| classes as f64 * f64::from(f32::MIN_POSITIVE) + 2e-5 * w.abs() + f64::from(f32::EPSILON) / batch as f64;
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert!((f64::from(g) - w).abs() <= allowed(w), "entry {i}: {g:e} vs {w:e}");
            assert!(!g.is_subnormal(), "entry {i} is subnormal: {g:e}");
        }

        let x = logits();
        let before = ::burn::tensor::activation::log_softmax(x.clone(), 1).gather(1, targets.reshape([batch, 1])).mean().neg();
        let subnormal = gradient(before, &x).iter().filter(|g| g.is_subnormal()).count();
        assert!(subnormal > 0, "the test's logits should reach the subnormal range of the log_softmax form");
    }

    #[test]
    fn zero_devices_is_an_error_not_a_panic() {
        let e = Placement::new(BackendKind::Flex, 0).replica_devices().unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
        assert!(matches!(e, TrainError::Device { .. }), "{e:?}");
    }
}
