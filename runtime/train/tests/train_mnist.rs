//! Training on the embedded MNIST digits (Flex, one device); each test prints
//! its timings.

use std::time::Instant;

use foil_burn::Mode;
use foil_train::models::{ModelConfig, ModelKind};
use foil_train::{train, Dataset, Placement, Quiet, Stabilizer, TrainConfig};

fn run(mode: Mode) -> f64 {
    let data = Dataset::mnist_embedded().unwrap();
    let cfg = TrainConfig { batch_size: 32, ..TrainConfig::new(ModelConfig::mlp("tanh(x)", mode, 2, 256), 2, 1) };
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let s = train(&cfg, &data, dir.path(), false, &Placement::default(), &mut Quiet).unwrap();
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
        let s = train(&cfg, &data, dir.path(), false, &Placement::default(), &mut Quiet).unwrap();
        let m = &s.history[0];
        eprintln!("{kind:?} {mode}: loss {:.3} → test acc {:.3} in {:.1}s", m.train_loss, m.test_accuracy, t.elapsed().as_secs_f64());
        assert!(m.train_loss.is_finite() && m.test_loss.is_finite(), "{kind:?} {mode}: {m:?}");
        assert!(!m.grads.is_empty(), "gradient magnitudes recorded");
    }
}

/// Regression (SPEC §6, issue 11): HD-FGD seed 2 and SA seed 4 blow up in the
/// paper's plain form at Adam 1e-3 on the first 2,000 embedded digits
/// (measured: HD-FGD's epoch-2 train loss 2573, SA's epoch-1 loss 3.30, both
/// above the blow-up line 1.1 × ln 10). With the default stabiliser, at its
/// default learning rate (the same 1e-3), the same runs train: finite losses,
/// below the line, and better than chance.
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
        // The stabiliser's configuration at the default stabiliser's learning rate.
        let run = |stabilizer: Stabilizer| {
            let mut cfg = TrainConfig::new(ModelConfig::mlp("tanh(x)", mode, 2, 128), epochs, seed);
            stabilizer.apply(None, &mut cfg).unwrap();
            cfg.learning_rate = 1e-3;
            let dir = tempfile::tempdir().unwrap();
            let s = train(&cfg, &data, dir.path(), false, &Placement::default(), &mut Quiet).unwrap();
            let losses: Vec<f64> = s.history.iter().map(|m| m.train_loss).collect();
            eprintln!("{mode} seed {seed} --stabilize {stabilizer} --lr 1e-3: train losses {losses:?}, stopped {:?}", s.diverged);
            (cfg, s)
        };
        let (_, plain) = run(Stabilizer::Plain);
        if !plain.is_diverged(data.classes) {
            eprintln!("NOTE ============ {mode} seed {seed}: the plain form did not blow up on this CPU; the case below is weaker here ============");
        }
        let mut default = TrainConfig::new(ModelConfig::mlp("tanh(x)", mode, 2, 128), epochs, seed);
        Stabilizer::DEFAULT.apply(None, &mut default).unwrap();
        assert_eq!(default.learning_rate, 1e-3, "the default stabiliser trains at 1e-3, the rate the plain form blew up at");
        let (cfg, s) = run(Stabilizer::DEFAULT);
        assert_ne!(cfg.model.split, foil_burn::SplitParam::Plain, "the default is not the plain form");
        assert!(s.diverged.is_none() && s.history.len() == epochs, "{mode} seed {seed}: {:?}", s.diverged);
        for m in &s.history {
            assert!(m.train_loss.is_finite() && m.train_loss < limit && m.test_loss.is_finite(), "{mode} seed {seed}: {m:?}");
        }
        assert!(s.final_accuracy() > 0.6, "{mode} seed {seed} learns: {}", s.final_accuracy());
    }
}
