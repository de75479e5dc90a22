//! What the command line accepts: library enums offered as choices, and
//! numbers with their bounds. The enums' values and names come from the
//! libraries (`Mode::ALL`, `Mode::as_str`, ...), so the command line holds no
//! mirror of them; only the help text of each value is worded here.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use foil_burn::Mode;
use foil_compiler::hdfgd::Granularity;
use foil_train::models::ModelKind;
use foil_train::{BackendKind, Stabilizer};

/// A count of at least 1 (`--epochs`, `--width`).
pub fn count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A finite number above 0 (`--lr`, `--range`).
pub fn positive(s: &str) -> Result<f64, String> {
    number(s, |v| v.is_finite() && v > 0.0, "a finite number above 0")
}

/// An accuracy: a number in (0, 1] (`--target`).
pub fn accuracy(s: &str) -> Result<f64, String> {
    number(s, |v| v > 0.0 && v <= 1.0, "an accuracy, above 0 and at most 1")
}

/// `s` as a number that `holds`, or why not (`must be {what}`).
fn number(s: &str, holds: impl Fn(f64) -> bool, what: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if holds(v) => Ok(v),
        Ok(_) => Err(format!("must be {what}")),
        Err(e) => Err(e.to_string()),
    }
}

pub trait Choice: Copy + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn help(self) -> &'static str;
}

/// The clap value parser of a [`Choice`]: `--help` lists its values.
pub fn choice<T: Choice>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| PossibleValue::new(v.name()).help(v.help())))
        .map(|s| *T::ALL.iter().find(|v| v.name() == s).expect("clap checked the value"))
}

impl Choice for Mode {
    const ALL: &'static [Self] = &Mode::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> &'static str {
        match self {
            Mode::Baseline => "f at every activation site",
            Mode::Ga => "layers 0, 2, 4, … f; layers 1, 3, 5, … g (the GA of f)",
            Mode::Hdfgd => "every Linear → f becomes Linear(n·out) → F(u1..un)",
            Mode::Sa => "HD-FGD layers alternating F and the split adversarial SA",
        }
    }
}

impl Choice for ModelKind {
    const ALL: &'static [Self] = ModelKind::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> &'static str {
        match self {
            ModelKind::Mlp => "a multilayer perceptron",
            ModelKind::Resnet => "a small ResNet (conv → BN → f)",
            ModelKind::Vit => "a small vision transformer (its MLP's Linear → f is rewritten)",
        }
    }
}

impl Choice for BackendKind {
    const ALL: &'static [Self] = BackendKind::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> &'static str {
        match self {
            BackendKind::Flex => "burn's pure-Rust CPU backend (deterministic for a given seed)",
            BackendKind::Wgpu => "burn's CubeCL backend on a GPU through wgpu (Vulkan/Metal/DX12)",
            BackendKind::Cuda => "burn's CubeCL backend on CUDA (a build with `--features cuda`)",
        }
    }
}

impl Choice for Granularity {
    const ALL: &'static [Self] = Granularity::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> &'static str {
        match self {
            Granularity::Elementary => "hyperbolic functions expanded to exponentials (tanh gives 4 terms)",
            Granularity::Functions => "functions kept whole (tanh(x) is one term)",
        }
    }
}

impl Choice for Stabilizer {
    const ALL: &'static [Self] = Stabilizer::ALL;
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> &'static str {
        match self {
            Stabilizer::Plain => "the paper's form: Linear(n·out) → F(u1..un), F unchanged; split layers at Adam 3e-4, less in MLPs deeper than 16 and in ResNets of 2 blocks or more (it diverges in some seeds)",
            Stabilizer::Clip => "F unchanged; burn's gradient clipping, norm V per parameter tensor [V = 1]; split layers at Adam 3e-4, less in MLPs deeper than 16 and in ResNets of 2 blocks or more",
            Stabilizer::Offsets => {
                "changes F's inputs: Linear((n+1)·out) gives a shared z and offsets vi, F sees ui = z + V·vi [V = 0.1]; starts as Linear → f"
            }
            Stabilizer::LayerNorm => {
                "changes F's inputs: F(LayerNorm(W·h + b)), a LayerNorm over the n·out pre-activations (ResNet: unchanged, BN already normalises, so it is the plain form there); split layers at Adam 3e-4, less in MLPs deeper than 16 and in ResNets of 2 blocks or more"
            }
            Stabilizer::Centered => {
                "changes F: F(ū + c(u1 − ū), …), c(d) = d/sqrt(1 + (d/V)²), ū the inputs' mean: |ui − ū| < V, so |F| < e^(2V) for tanh [V = 1]; F(u, …, u) = f(u)"
            }
            Stabilizer::SplitLr => "F unchanged; Adam step V for the split layers only, 1e-3 elsewhere [V = 1e-4]",
        }
    }
}
