
//! Training on the embedded MNIST digits (Flex, one device); each test prints
//! its timings.

use std::time::Instant;

use foil_burn::Mode;
use foil_train::models::{ModelConfig, ModelKind};
use foil_train::{train, Dataset, Placement, Quiet, TrainConfig};

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
