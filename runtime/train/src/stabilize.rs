//! What keeps HD-FGD and SA split layers from diverging (SPEC §6): one
//! switchable option, with the paper's plain form still selectable.
//!
//! Why they diverge in the plain form (measured; figures in README.md,
//! Training → Stability, and `bench/results/main-job-plain/`): at
//! the tied start the two denominator blocks of tanh's
//! F = (e^u1 − e^−u2)/(e^u3 + e^−u4) get gradients of opposite sign, Adam
//! moves them apart at its full step size from the first batch, and F,
//! unbounded once its inputs differ, grows like e^(ui − uj) until the logits
//! overflow.

use serde::{Deserialize, Serialize};

use foil_burn::{Mode, SplitParam};

use crate::models::{ModelConfig, ModelKind};
use crate::TrainConfig;

/// The stability options; each changes only HD-FGD and SA runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stabilizer {
    /// The paper's form: `Linear(n·out) → F`, nothing added; its split layers at Adam 3e-4.
    Plain,
    /// burn's `GradientClipping::Norm(V)` on every parameter tensor; F unchanged; split layers at Adam 3e-4.
    Clip,
    /// One shared map plus per-term offsets: ui = z + V·vi.
    Offsets,
    /// `LayerNorm` over the n·out pre-activations before the split.
    LayerNorm,
    /// F on the n inputs pulled towards their mean: ui → ū + d/sqrt(1 + (d/V)²), d = ui − ū.
    Centered,
    /// Adam step size V for the split layers' parameters only.
    SplitLr,
}

impl Stabilizer {
    pub const ALL: &'static [Stabilizer] =
        &[Stabilizer::Plain, Stabilizer::Clip, Stabilizer::Offsets, Stabilizer::LayerNorm, Stabilizer::Centered, Stabilizer::SplitLr];

    /// What `foil train` and `foil compare` use unless told otherwise.
    pub const DEFAULT: Stabilizer = Stabilizer::LayerNorm;

    pub fn as_str(self) -> &'static str {
        match self {
            Stabilizer::Plain => "plain",
            Stabilizer::Clip => "clip",
            Stabilizer::Offsets => "offsets",
            Stabilizer::LayerNorm => "layernorm",
            Stabilizer::Centered => "centered",
            Stabilizer::SplitLr => "split-lr",
        }
    }

    /// The parameter V when none is given (None: the option takes none).
    pub fn default_value(self) -> Option<f64> {
        match self {
            Stabilizer::Plain | Stabilizer::LayerNorm => None,
            Stabilizer::Clip | Stabilizer::Centered => Some(1.0),
            Stabilizer::Offsets => Some(0.1),
            Stabilizer::SplitLr => Some(1e-4),
        }
    }

    /// The split layers' parameterisation this option gives `mode` (V or its
    /// default): the plain form for baseline and GA, which have no split layers.
    pub fn split_param(self, mode: Mode, value: Option<f64>) -> SplitParam {
        let v = value.or(self.default_value()).unwrap_or(1.0) as f32;
        match self {
            _ if !is_split(mode) => SplitParam::Plain,
            Stabilizer::Plain | Stabilizer::Clip | Stabilizer::SplitLr => SplitParam::Plain,
            Stabilizer::Offsets => SplitParam::Offsets { scale: v },
            Stabilizer::LayerNorm => SplitParam::LayerNorm,
            Stabilizer::Centered => SplitParam::Centered { delta: v },
        }
    }

    /// `layernorm`, `centered 1`: the option and its parameter, as a label.
    pub fn label(self, value: Option<f64>) -> String {
        match value.or(self.default_value()) {
            Some(v) => format!("{} {v}", self.as_str()),
            None => self.as_str().to_string(),
        }
    }

    /// Sets `cfg`'s split form, gradient clipping and learning rates for
    /// this option. `lr` (`--lr`) is every parameter's Adam step when given;
    /// without it, [`LEARNING_RATE`], and the split layers' own rate that
    /// [`split_learning_rate`] gives the option (or split-lr's V, which `lr`
    /// does not override). Baseline and GA runs are left as they are (the
    /// option is about split layers). An invalid V (not finite and positive,
    /// or given to an option that takes none) is an error naming it.
    pub fn apply(self, value: Option<f64>, lr: Option<f64>, cfg: &mut TrainConfig) -> Result<(), String> {
        match (value, self.default_value()) {
            (Some(v), None) => return Err(format!("--stabilize {} takes no value (got --stabilize-value {v})", self.as_str())),
            (Some(v), Some(_)) if !(v.is_finite() && v > 0.0) => return Err(format!("--stabilize-value must be a finite number > 0 (got {v})")),
            _ => {}
        }
        let v = value.or(self.default_value());
        let split_mode = is_split(cfg.model.mode);
        cfg.model.split = self.split_param(cfg.model.mode, value);
        cfg.grad_clip = match self {
            Stabilizer::Clip if split_mode => v.map(|v| v as f32),
            _ => None,
        };
        cfg.learning_rate = lr.unwrap_or(LEARNING_RATE);
        cfg.split_lr = match self {
            Stabilizer::SplitLr if split_mode => v,
            _ if lr.is_some() => None,
            _ => split_learning_rate(&cfg.model),
        };
        Ok(())
    }
}

impl std::fmt::Display for Stabilizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `mode` has split layers (n-input kernels).
fn is_split(mode: Mode) -> bool {
    matches!(mode, Mode::Hdfgd | Mode::Sa)
}

/// Adam's step size for every parameter unless `--lr` or a split layer's
/// own rate ([`split_learning_rate`]) says otherwise.
pub const LEARNING_RATE: f64 = 1e-3;

/// A split layer's Adam step where its F is unbounded, in an MLP up to
/// [`UNBOUNDED_SPLIT_DEPTH`] layers deep, a one-block ResNet and a ViT:
/// [`split_learning_rate`].
pub const UNBOUNDED_SPLIT_RATE: f64 = 3e-4;

/// How many split layers in series (an MLP's depth) train at
/// [`UNBOUNDED_SPLIT_RATE`]; deeper, the rate falls as 1/depth².
pub const UNBOUNDED_SPLIT_DEPTH: usize = 16;

/// The Adam step of a split layer (HD-FGD's F, SA) whose F is left unbounded,
/// when no `--lr` is given: `unbounded_split_rate` for its own parameters
/// (the weights and biases that feed F, and their LayerNorm or BatchNorm),
/// the rest of the network at [`LEARNING_RATE`]. None: the whole network at
/// one rate.
///
/// F is unbounded in the paper's form (plain, clip) and under `layernorm`,
/// which normalises F's inputs but does not bound F (on the ResNet it leaves
/// conv → BN → F as it is): tanh's F grows like e^(ui − uj) once the
/// tied-at-start inputs drift apart. At 1e-3 the plain form blows up within
/// an epoch (embedded MNIST, MLP width 128, seeds 0..4: non-finite in 4/5
/// HD-FGD and 5/5 SA runs), the ResNet's did in 1 of 5 seeds, and a 16-layer
/// tanh MLP with `layernorm` trains for an epoch and then un-trains (HD-FGD
/// 0.26 ± 0.11 after 5 epochs; with its split layers at 3e-4, 0.92 ± 0.01;
/// `bench/results/experiments`). `centered` bounds F (|F| < e^(2V) for tanh)
/// and `offsets` moves its inputs apart V times slower: both train best at
/// 1e-3 throughout (centered at 3e-4: 0.928 against 0.943 on the main job).
pub fn split_learning_rate(model: &ModelConfig) -> Option<f64> {
    match model.split {
        SplitParam::Plain | SplitParam::LayerNorm if is_split(model.mode) => Some(unbounded_split_rate(model)),
        _ => None,
    }
}

/// [`UNBOUNDED_SPLIT_RATE`] divided by the square of how far the split
/// layers' depth goes past what trains at it, to two significant digits:
///
/// - an MLP of `depth` split layers: × min(1, ([`UNBOUNDED_SPLIT_DEPTH`] /
///   depth)²): 1.3e-4 at 24, 7.5e-5 at 32, 3.3e-5 at 48, 1.9e-5 at 64;
/// - a ResNet of `depth` blocks: ÷ depth²: 3e-4 for one block, 7.5e-5 for
///   two (its default), 1.9e-5 for four. Its split layers are conv → BN →
///   F, the plain form, two per block;
/// - a ViT: 3e-4 however deep (its split layers, in the LayerNorm form,
///   sit in residual blocks).
///
/// Why (5 seeds each; `bench/results/split-rate`, "Deeper" and "Residual
/// networks"): a tanh MLP of width 64 on embedded MNIST un-trains at 1e-3
/// from 16 layers, at 3e-4 from 24 (0.78 / 0.83) and 32, at 1e-4 from 48,
/// and at 7e-5 there still loses seeds (0.67 / 0.68), while rates below
/// cost little (16 layers: 0.92 at 3e-4 and at 1e-4). On Fashion-MNIST a
/// ResNet of 4 blocks blows up at 3e-4 (5/5) and 1e-4 (3/5), not at 3e-5;
/// the default 2 blocks of width 16 blew up at 3e-4 in 3 of 4 HD-FGD seeds,
/// and at 7.5e-5 reach 0.80 (baseline 0.78), though 2 of 5 HD-FGD seeds
/// still spike and recover. A ViT of 8 and 16 blocks trains at 3e-4 (no
/// run's loss rose).
fn unbounded_split_rate(model: &ModelConfig) -> f64 {
    let past = match model.kind {
        ModelKind::Mlp => model.depth as f64 / UNBOUNDED_SPLIT_DEPTH as f64,
        ModelKind::Resnet => model.depth as f64,
        ModelKind::Vit => 1.0,
    };
    let over = past.max(1.0);
    let rate = UNBOUNDED_SPLIT_RATE / (over * over);
    // Two significant digits, so the rate prints as what it is (1.3e-4,
    // not 1.3333333333333333e-4) and a checkpoint's config compares equal.
    format!("{rate:.1e}").parse().unwrap_or(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (every parameter's rate, the split layers' own rate) for `stabilizer`
    /// without `--lr`, on `depth` layers or blocks.
    fn rates(kind: ModelKind, depth: usize, mode: Mode, stabilizer: Stabilizer) -> (f64, Option<f64>) {
        let mut cfg = TrainConfig::new(ModelConfig { kind, ..ModelConfig::mlp("tanh(x)", mode, depth, 8) }, 1, 0);
        stabilizer.apply(None, None, &mut cfg).unwrap();
        (cfg.learning_rate, cfg.split_lr)
    }

    /// Split layers whose F is unbounded (plain, clip, layernorm, on every
    /// model) train at 3e-4, the rest of the network at 1e-3; the bounded
    /// forms train at 1e-3 throughout, split-lr's split layers at its V.
    /// Baseline and GA runs keep 1e-3 whatever the option.
    #[test]
    fn split_layers_whose_f_is_unbounded_train_at_the_smaller_rate() {
        for kind in ModelKind::ALL.iter().copied() {
            for mode in [Mode::Hdfgd, Mode::Sa] {
                for (s, split) in [
                    (Stabilizer::Plain, Some(3e-4)),
                    (Stabilizer::Clip, Some(3e-4)),
                    (Stabilizer::LayerNorm, Some(3e-4)),
                    (Stabilizer::Centered, None),
                    (Stabilizer::Offsets, None),
                    (Stabilizer::SplitLr, Some(1e-4)),
                ] {
                    // One layer or block: depth lowers the split rate (the next test).
                    assert_eq!(rates(kind, 1, mode, s), (1e-3, split), "{kind:?} {mode:?} {s:?}");
                }
            }
            for mode in [Mode::Baseline, Mode::Ga] {
                for s in Stabilizer::ALL {
                    assert_eq!(rates(kind, 1, mode, *s), (1e-3, None), "{kind:?} {mode:?} {s:?}");
                }
            }
        }
    }

    /// An MLP's split layers whose F is unbounded train at 3e-4 up to 16
    /// layers and at 3e-4 × (16/depth)² beyond, a ResNet's at 3e-4/blocks²,
    /// to two significant digits; the ViT's at 3e-4 however many blocks.
    #[test]
    fn deeper_split_layers_train_at_a_rate_falling_as_the_depth_squared() {
        let split_rate = |kind, depth| rates(kind, depth, Mode::Sa, Stabilizer::LayerNorm);
        for (depth, want) in [(1, 3e-4), (8, 3e-4), (16, 3e-4), (17, 2.7e-4), (24, 1.3e-4), (32, 7.5e-5), (48, 3.3e-5), (64, 1.9e-5), (160, 3e-6)] {
            assert_eq!(split_rate(ModelKind::Mlp, depth), (1e-3, Some(want)), "MLP depth {depth}");
        }
        for (blocks, want) in [(1, 3e-4), (2, 7.5e-5), (3, 3.3e-5), (4, 1.9e-5)] {
            assert_eq!(split_rate(ModelKind::Resnet, blocks), (1e-3, Some(want)), "ResNet of {blocks} blocks");
        }
        assert_eq!(split_rate(ModelKind::Vit, 64), (1e-3, Some(3e-4)), "ViT of 64 blocks");
    }

    /// `--lr` is every parameter's rate, split layers included, except
    /// split-lr's, whose V is the split layers' rate by definition.
    #[test]
    fn an_explicit_learning_rate_sets_every_parameters_rate() {
        for s in Stabilizer::ALL.iter().copied() {
            let mut cfg = TrainConfig::new(ModelConfig::mlp("tanh(x)", Mode::Hdfgd, 2, 8), 1, 0);
            s.apply(None, Some(5e-3), &mut cfg).unwrap();
            let split = if s == Stabilizer::SplitLr { Some(1e-4) } else { None };
            assert_eq!((cfg.learning_rate, cfg.split_lr), (5e-3, split), "{s:?}");
        }
    }
}
