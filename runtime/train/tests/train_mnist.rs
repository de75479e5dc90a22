//! Training on the embedded MNIST digits (Flex, one device); each test prints
//! its timings.

use std::time::Instant;

use foil_burn::Mode;
use foil_train::models::{ModelConfig, ModelKind};
use foil_train::{train, Dataset, Earlier, Placement, Quiet, Stabilizer, TrainConfig};

fn run(mode: Mode) -> f64 {
    let data = Dataset::mnist_embedded().unwrap();
    let cfg = TrainConfig { batch_size: 32, ..TrainConfig::new(ModelConfig::mlp("tanh(x)", mode, 2, 256), 2, 1) };
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let s = train(&cfg, &data, dir.path(), Earlier::Refuse, &Placement::default(), &mut Quiet).unwrap();
    let acc = s.final_accuracy();
    eprintln!(
        "mlp tanh {mode}: test accuracy {:?} in {:.1}s (train s/epoch {:?})",
        s.history.iter().map(|m| m.test_accuracy).collect::<Vec<_>>(),
        t.elapsed().as_secs_f64(),
        s.history.iter().map(|m| (m.seconds * 10.0).round() / 10.0).collect::<Vec<_>>()
    );
    assert_eq!(s.history.len(), 2);
    for f in ["metrics.csv", "metrics.json", "curves.png", "grad_magnitudes.png", "checkpoint-epoch-0002.bin"] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    acc
}

#[test]
fn mlp_baseline_tanh_reaches_90_percent_in_2_epochs() {
    let acc = run(Mode::Baseline);
    assert!(acc >= 0.90, "baseline accuracy {acc}");
}

#[test]
fn mlp_ga_tanh_reaches_90_percent_in_2_epochs() {
    let acc = run(Mode::Ga);
    assert!(acc >= 0.90, "GA accuracy {acc}");
}

/// HD-FGD / SA MLPs, and the ResNet and ViT in every mode they support here,
/// train one epoch on a small slice and produce finite losses.
#[test]
fn every_model_and_mode_trains_one_epoch_on_a_slice() {
    let mut data = Dataset::mnist_embedded().unwrap();
    data.truncate(Some(256), Some(128));
    let cases = [
        (ModelKind::Mlp, Mode::Hdfgd, 2, 32),
        (ModelKind::Mlp, Mode::Sa, 2, 32),
        (ModelKind::Resnet, Mode::Ga, 1, 8),
        (ModelKind::Resnet, Mode::Sa, 1, 4),
        (ModelKind::Vit, Mode::Ga, 2, 16),
        (ModelKind::Vit, Mode::Hdfgd, 1, 16),
    ];
    for (kind, mode, depth, width) in cases {
        let model = ModelConfig { kind, depth, width, ..ModelConfig::mlp("tanh(x)", mode, depth, width) };
        let cfg = TrainConfig { batch_size: 32, ..TrainConfig::new(model, 1, 3) };
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let s = train(&cfg, &data, dir.path(), Earlier::Refuse, &Placement::default(), &mut Quiet).unwrap();
        let m = &s.history[0];
        eprintln!("{kind:?} {mode}: loss {:.3} → test acc {:.3} in {:.1}s", m.train_loss, m.test_accuracy, t.elapsed().as_secs_f64());
        assert!(m.train_loss.is_finite() && m.test_loss.is_finite(), "{kind:?} {mode}: {m:?}");
        assert!(!m.grads.is_empty(), "gradient magnitudes recorded");
    }
}

/// One run of `stabilizer` with `--lr lr` (None: its default rates) on `data`.
fn train_split(data: &Dataset, model: ModelConfig, epochs: usize, seed: u64, stabilizer: Stabilizer, lr: Option<f64>) -> (TrainConfig, foil_train::RunSummary) {
    let mut cfg = TrainConfig::new(model, epochs, seed);
    stabilizer.apply(None, lr, &mut cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = train(&cfg, data, dir.path(), Earlier::Refuse, &Placement::default(), &mut Quiet).unwrap();
    let losses: Vec<f64> = s.history.iter().map(|m| m.train_loss).collect();
    eprintln!(
        "{} depth {} seed {seed} --stabilize {stabilizer} (Adam {}, split layers {:?}): train losses {losses:?}, test accuracy {}, stopped {:?}",
        cfg.model.mode,
        cfg.model.depth,
        cfg.learning_rate,
        cfg.split_lr,
        s.final_accuracy(),
        s.diverged
    );
    (cfg, s)
}

/// Regression (SPEC §6, issue 11): HD-FGD seed 2 and SA seed 4 blow up in the
/// paper's plain form at Adam 1e-3 on the first 2,000 embedded digits
/// (measured: HD-FGD's epoch-2 train loss 2573, SA's epoch-1 loss 3.30, both
/// above the blow-up line 1.1 × ln 10). With the default stabiliser at the
/// same 1e-3 for every parameter (its default puts the split layers at 3e-4,
/// [`deep_split_layers_keep_learning_at_the_default_rates`]) the same runs
/// train: finite losses, below the line, and better than chance.
///
/// The plain runs are the precondition: they are run and reported, and a
/// loud note says so where they did not blow up (the plain form is chaotic,
/// so another CPU's rounding can move its blow-up to another seed); the
/// assertions are on the default.
#[test]
fn split_modes_with_the_default_stabiliser_train_where_the_plain_form_blew_up() {
    let mut data = Dataset::mnist_embedded().unwrap();
    data.truncate(Some(2000), Some(500));
    let limit = foil_train::blow_up_loss(data.classes);
    for (mode, seed, epochs) in [(Mode::Hdfgd, 2, 2), (Mode::Sa, 4, 1)] {
        let model = || ModelConfig::mlp("tanh(x)", mode, 2, 128);
        let (_, plain) = train_split(&data, model(), epochs, seed, Stabilizer::Plain, Some(1e-3));
        if !plain.is_diverged(data.classes) {
            eprintln!("NOTE ============ {mode} seed {seed}: the plain form did not blow up on this CPU; the case below is weaker here ============");
        }
        let (cfg, s) = train_split(&data, model(), epochs, seed, Stabilizer::DEFAULT, Some(1e-3));
        assert_ne!(cfg.model.split, foil_burn::SplitParam::Plain, "the default is not the plain form");
        assert!(s.diverged.is_none() && s.history.len() == epochs, "{mode} seed {seed}: {:?}", s.diverged);
        for m in &s.history {
            assert!(m.train_loss.is_finite() && m.train_loss < limit && m.test_loss.is_finite(), "{mode} seed {seed}: {m:?}");
        }
        assert!(s.final_accuracy() > 0.6, "{mode} seed {seed} learns: {}", s.final_accuracy());
    }
}

/// Regression: a 16-layer tanh MLP's HD-FGD and SA under the default
/// stabiliser. With every parameter at 1e-3 (the default before 2026-12-07)
/// their split layers learn for an epoch and then un-train: over 5 seeds on
/// the embedded digits, HD-FGD 0.26 ± 0.11 and SA 0.23 ± 0.09 after 5 epochs,
/// where the baseline reaches 0.23 and the same layers at 3e-4 0.92
/// (`bench/results/experiments/b-deep-mlp-tanh-depth16`). At the default
/// rates (split layers at 3e-4, the head at 1e-3) the train loss falls every
/// epoch here.
///
/// The 1e-3 runs are the precondition, run and reported; a loud note says so
/// where [`foil_train::RunSummary::untrained`] does not name them.
#[test]
fn deep_split_layers_keep_learning_at_the_default_rates() {
    let mut data = Dataset::mnist_embedded().unwrap();
    data.truncate(Some(2000), Some(500));
    let epochs = 4;
    for (mode, seed) in [(Mode::Hdfgd, 1), (Mode::Sa, 4)] {
        let model = || ModelConfig::mlp("tanh(x)", mode, 16, 64);
        let (_, fast) = train_split(&data, model(), epochs, seed, Stabilizer::DEFAULT, Some(1e-3));
        if fast.untrained(data.classes).is_none() {
            eprintln!("NOTE ============ {mode} seed {seed}: at 1e-3 the run did not un-train on this CPU; the case below is weaker here ============");
        }
        let (cfg, s) = train_split(&data, model(), epochs, seed, Stabilizer::DEFAULT, None);
        assert_eq!(cfg.split_lr, Some(foil_train::UNBOUNDED_SPLIT_RATE), "the default's split layers train at the smaller rate");
        assert_eq!(s.history.len(), epochs, "{mode} seed {seed}: {:?}", s.diverged);
        for w in s.history.windows(2) {
            assert!(w[1].train_loss < w[0].train_loss, "{mode} seed {seed}: the train loss rose: {:?}", s.history);
        }
        assert_eq!(s.untrained(data.classes), None);
        let last = s.history.last().unwrap();
        assert!(last.train_loss < 0.6 && s.final_accuracy() > 0.75, "{mode} seed {seed} learns: {last:?}");
    }
}
