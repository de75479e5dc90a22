//! The models `foil train` trains. Every activation site is a foil kernel
//! chosen by [`foil_burn::Rewriter::plan`], so one model definition serves
//! baseline, GA, HD-FGD and SA.
//!
//! - [`Mlp`]: `depth` × `Linear → act`, then a linear head.
//! - [`ResNet`]: a small CIFAR-style ResNet (conv stem, `stages` residual
//!   blocks of two 3×3 convs each, average pool to 4×4 cells, linear head). Each
//!   conv that feeds an activation produces n·C channels for an n-input kernel.
//! - [`Vit`]: a small ViT (patch embedding, pre-norm attention blocks whose MLP
//!   `Linear → act` is rewritten, mean pooling, linear head).

use ::burn::module::{Module, Param};
use ::burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use ::burn::nn::conv::{Conv2d, Conv2dConfig};
use ::burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig};
use ::burn::nn::Initializer;
use ::burn::nn::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig2d};
use ::burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use foil_burn::modules::ActivationLayer;
use foil_burn::{ActivationKernel, DenseAct, Mode, RewriteError, Rewriter, SplitParam};

use crate::stabilize::Stabilizer;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Mlp,
    Resnet,
    Vit,
}

impl ModelKind {
    pub const ALL: &'static [ModelKind] = &[ModelKind::Mlp, ModelKind::Resnet, ModelKind::Vit];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Resnet => "resnet",
            ModelKind::Vit => "vit",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ModelKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown model `{s}` (expected mlp, resnet or vit)"))
    }
}

/// Everything that defines a model, as data (stored in checkpoints).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub kind: ModelKind,
    /// The activation f, SPEC §1 syntax.
    pub act: String,
    pub mode: Mode,
    /// MLP: hidden layers; ResNet: residual blocks; ViT: transformer blocks.
    pub depth: usize,
    /// MLP: hidden width; ResNet: channels; ViT: embedding size.
    pub width: usize,
    pub channels: usize,
    pub side: usize,
    pub classes: usize,
    /// How split layers (HD-FGD, SA) are parameterised (SPEC §6 stability
    /// option); absent in older checkpoints, which are the plain form.
    #[serde(default)]
    pub split: SplitParam,
    /// Build an SA network even where the compiler reports its split
    /// adversarial singular (refused otherwise: [`Rewriter::plan`]).
    #[serde(default)]
    pub allow_singular_sa: bool,
}

impl ModelConfig {
    /// An MLP on 28×28 grey images, split layers in the default stabiliser's form.
    pub fn mlp(act: &str, mode: Mode, depth: usize, width: usize) -> Self {
        let split = Stabilizer::DEFAULT.split_param(mode, None);
        ModelConfig { kind: ModelKind::Mlp, act: act.into(), mode, depth, width, channels: 1, side: 28, classes: 10, split, allow_singular_sa: false }
    }

    /// Number of activation sites (what rewriting assigns kernels to).
    pub fn sites(&self) -> usize {
        match self.kind {
            ModelKind::Mlp => self.depth,
            // stem + two per block
            ModelKind::Resnet => 1 + 2 * self.depth,
            ModelKind::Vit => self.depth,
        }
    }

    pub fn init(&self, device: &Device) -> Result<Model, RewriteError> {
        let kernels = Rewriter::new(&self.act)?
            .allow_singular_sa(self.allow_singular_sa)
            .plan(self.mode, self.sites())?
            .iter()
            .map(|k| self.split.kernel(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match self.kind {
            ModelKind::Mlp => Model::Mlp(Mlp::new(self, &kernels, device)),
            ModelKind::Resnet => Model::Resnet(ResNet::new(self, &kernels, device)),
            ModelKind::Vit => Model::Vit(Vit::new(self, &kernels, device)),
        })
    }
}

#[derive(Module, Debug)]
pub enum Model {
    Mlp(Mlp),
    Resnet(ResNet),
    Vit(Vit),
}

impl Model {
    /// The parameters of the split layers (those with an n-input kernel, n > 1).
    pub fn split_param_ids(&self) -> Vec<::burn::module::ParamId> {
        use ::burn::module::ModuleVisitor;
        struct Ids(Vec<::burn::module::ParamId>);
        impl ModuleVisitor for Ids {
            fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
                self.0.push(p.id);
            }
        }
        let mut ids = Ids(Vec::new());
        match self {
            Model::Mlp(m) => m.hidden.iter().filter(|l| l.act.kernel.arity() > 1).for_each(|l| l.visit(&mut ids)),
            Model::Resnet(m) => std::iter::once(&m.stem).chain(m.blocks.iter().flat_map(|b| [&b.a, &b.b])).filter(|l| l.act.kernel.arity() > 1).for_each(|l| {
                l.conv.visit(&mut ids);
                l.norm.visit(&mut ids);
            }),
            Model::Vit(m) => m.blocks.iter().filter(|b| b.fc1.act.kernel.arity() > 1).for_each(|b| b.fc1.visit(&mut ids)),
        }
        ids.0
    }

    /// `[batch, channels, side, side]` → logits `[batch, classes]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.forward(images.flatten(1, 3)),
            Model::Resnet(m) => m.forward(images),
            Model::Vit(m) => m.forward(images),
        }
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Vec<DenseAct>,
    pub head: Linear,
}

impl Mlp {
    pub fn new(c: &ModelConfig, kernels: &[ActivationKernel], device: &Device) -> Self {
        let d_in = c.channels * c.side * c.side;
        let hidden =
            kernels.iter().enumerate().map(|(i, k)| DenseAct::with_split(if i == 0 { d_in } else { c.width }, c.width, k.clone(), c.split, device)).collect();
        let head = LinearConfig::new(if kernels.is_empty() { d_in } else { c.width }, c.classes).init(device);
        Mlp { hidden, head }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.hidden.iter().fold(x, |x, l| l.forward(x));
        self.head.forward(x)
    }
}

/// `conv(n·C) → BN(n·C) → F` with the n inputs packed along channels.
#[derive(Module, Debug)]
pub struct ConvAct {
    pub conv: Conv2d,
    pub norm: BatchNorm,
    pub act: ActivationLayer,
}

impl ConvAct {
    /// `split`: [`SplitParam::LayerNorm`] is the plain form here (the BN
    /// before the split already normalises).
    fn new(c_in: usize, c_out: usize, kernel: &ActivationKernel, split: SplitParam, device: &Device) -> Self {
        let n = kernel.arity();
        let mut conv = Conv2dConfig::new([c_in, n * c_out], [3, 3]).with_padding(PaddingConfig2d::Same).with_bias(false).init(device);
        if n > 1 {
            // Tied start, as in `DenseAct`: the n channel blocks begin equal
            // (with offsets: the offset blocks begin at zero).
            conv.weight = Param::from_tensor(split.tied_start(conv.weight.val(), 0, c_out, n));
        }
        ConvAct { conv, norm: BatchNormConfig::new(n * c_out).init(device), act: ActivationLayer::new(kernel.clone(), 1) }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.act.forward(self.norm.forward(self.conv.forward(x)))
    }
}

/// Residual block: `x + (conv→BN→act → conv→BN→act)`; the second activation
/// runs on the block's output before the skip connection is added, so each
/// site's kernel sees a conv pre-activation, as in `Linear → f`.
#[derive(Module, Debug)]
pub struct ResBlock {
    pub a: ConvAct,
    pub b: ConvAct,
}

/// The ResNet's head sees its last feature maps average-pooled to this many
/// cells per side: a global average pool left the head one number per
/// channel, and the width-8 baseline learned Fashion-MNIST to 0.36 ± 0.04 in
/// 375 steps; with 4×4 cells, 0.75 ± 0.01 (`scripts/experiments.sh c`).
pub const RESNET_POOL: usize = 4;

#[derive(Module, Debug)]
pub struct ResNet {
    pub stem: ConvAct,
    pub blocks: Vec<ResBlock>,
    pub pool: AdaptiveAvgPool2d,
    pub head: Linear,
}

impl ResNet {
    pub fn new(c: &ModelConfig, kernels: &[ActivationKernel], device: &Device) -> Self {
        let w = c.width;
        let stem = ConvAct::new(c.channels, w, &kernels[0], c.split, device);
        let blocks = (0..c.depth)
            .map(|i| ResBlock { a: ConvAct::new(w, w, &kernels[1 + 2 * i], c.split, device), b: ConvAct::new(w, w, &kernels[2 + 2 * i], c.split, device) })
            .collect();
        ResNet {
            stem,
            blocks,
            pool: AdaptiveAvgPool2dConfig::new([RESNET_POOL, RESNET_POOL]).init(),
            head: LinearConfig::new(w * RESNET_POOL * RESNET_POOL, c.classes).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.stem.forward(x);
        for b in &self.blocks {
            let y = b.b.forward(b.a.forward(x.clone()));
            x = x + y;
        }
        let x = self.pool.forward(x).flatten(1, 3);
        self.head.forward(x)
    }
}

/// Pre-norm transformer block; its MLP `Linear → act` is the rewritten site.
#[derive(Module, Debug)]
pub struct VitBlock {
    pub norm1: LayerNorm,
    pub attn: MultiHeadAttention,
    pub norm2: LayerNorm,
    pub fc1: DenseAct,
    pub fc2: Linear,
}

#[derive(Module, Debug)]
pub struct Vit {
    pub patch: Conv2d,
    pub pos: Param<Tensor<3>>,
    pub blocks: Vec<VitBlock>,
    pub norm: LayerNorm,
    pub head: Linear,
}

/// Patch side for the ViT: 7 for 28-pixel images, 8 for 32, else 4.
fn patch_side(side: usize) -> usize {
    [7, 8, 4].into_iter().find(|p| side % p == 0).unwrap_or(1)
}

impl Vit {
    pub fn new(c: &ModelConfig, kernels: &[ActivationKernel], device: &Device) -> Self {
        let d = c.width;
        let p = patch_side(c.side);
        let tokens = (c.side / p) * (c.side / p);
        let heads = if d % 4 == 0 { 4 } else { 1 };
        let blocks = kernels
            .iter()
            .map(|k| VitBlock {
                norm1: LayerNormConfig::new(d).init(device),
                attn: MultiHeadAttentionConfig::new(d, heads).with_dropout(0.0).init(device),
                norm2: LayerNormConfig::new(d).init(device),
                fc1: DenseAct::with_split(d, 2 * d, k.clone(), c.split, device),
                fc2: LinearConfig::new(2 * d, d).init(device),
            })
            .collect();
        Vit {
            patch: Conv2dConfig::new([c.channels, d], [p, p]).with_stride([p, p]).init(device),
            pos: Initializer::Normal { mean: 0.0, std: 0.02 }.init([1, tokens, d], device),
            blocks,
            norm: LayerNormConfig::new(d).init(device),
            head: LinearConfig::new(d, c.classes).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.patch.forward(x); // [B, d, h, w]
        let x = x.flatten::<3>(2, 3).swap_dims(1, 2); // [B, T, d]
        let mut x = x + self.pos.val();
        for b in &self.blocks {
            let a = b.attn.forward(MhaInput::self_attn(b.norm1.forward(x.clone()))).context;
            x = x + a;
            let h = b.fc2.forward(b.fc1.forward_nd(b.norm2.forward(x.clone())));
            x = x + h;
        }
        let x = self.norm.forward(x).mean_dim(1).squeeze_dim::<2>(1); // [B, d]
        self.head.forward(x)
    }
}
