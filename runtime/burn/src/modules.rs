//! burn modules on the fused op. Plain structs; what they compute is data
//! (an [`ActivationKernel`] and an axis), so one module type serves f, its GA
//! g, the HD-FGD F and the SA alike.

use ::burn::module::{Module, Param};
use ::burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use ::burn::tensor::{Device, Tensor};

use crate::kernel::ActivationKernel;
use crate::ops::activation;
use crate::program::CompileError;

/// How a split layer (an n-input kernel: HD-FGD's F or SA) is parameterised:
/// the stability options of SPEC §6 that change the layer itself. Layers with
/// a one-input kernel ignore it.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitParam {
    /// The paper's form: `Linear(n·out) → F(u1..un)`, ui = Wi·h + bi, tied start.
    #[default]
    Plain,
    /// One shared map plus per-term offsets: `Linear((n+1)·out)` gives
    /// `[z, v1..vn]` and F sees ui = z + scale·vi
    /// ([`ActivationKernel::with_shared_offsets`]); the offset blocks start at
    /// zero, so the layer starts as `Linear → f`.
    Offsets { scale: f32 },
    /// `Linear(n·out) → LayerNorm(n·out) → F`: normalisation before the split
    /// (F sees LayerNorm(W·h + b), so the layer is no longer `Linear → f` at
    /// the start; the tied blocks stay tied through it).
    LayerNorm,
    /// `Linear(n·out) → G`, G = F on the n inputs pulled towards their mean so
    /// that none strays more than `delta` from it
    /// ([`ActivationKernel::with_centered_bound`]): |F| < e^(2·delta) for tanh.
    Centered { delta: f32 },
}

impl SplitParam {
    /// The kernel a split layer runs for `kernel` (F or SA); one-input
    /// kernels are returned as they are.
    pub fn kernel(&self, kernel: &ActivationKernel) -> Result<ActivationKernel, CompileError> {
        match *self {
            SplitParam::Offsets { scale } if kernel.arity() > 1 => kernel.with_shared_offsets(scale),
            SplitParam::Centered { delta } if kernel.arity() > 1 => kernel.with_centered_bound(delta),
            _ => Ok(kernel.clone()),
        }
    }

    /// The tied start of a split layer's weights `w` along `dim` (`c`
    /// outputs per block, `blocks` blocks): every block a copy of block 0, or,
    /// with offsets, block 0 (the shared map) then zeros.
    pub fn tied_start<const D: usize>(&self, w: Tensor<D>, dim: usize, c: usize, blocks: usize) -> Tensor<D> {
        let first = w.narrow(dim, 0, c);
        match self {
            SplitParam::Offsets { .. } => {
                let zeros = first.zeros_like().repeat_dim(dim, blocks - 1);
                Tensor::cat(vec![first, zeros], dim).detach()
            }
            _ => first.repeat_dim(dim, blocks).detach(),
        }
    }
}

/// Any foil activation as a module: `y = F(x)` with the n inputs packed along
/// `axis` (n = 1: element-wise, any axis).
#[derive(Module, Debug)]
pub struct ActivationLayer {
    #[module(skip)]
    pub kernel: ActivationKernel,
    pub axis: usize,
}

impl ActivationLayer {
    pub fn new(kernel: ActivationKernel, axis: usize) -> Self {
        ActivationLayer { kernel, axis }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        activation(x, &self.kernel, self.axis)
    }
}

/// `Linear → F`: for an n-input kernel (HD-FGD's F, or SA) ONE Linear into
/// n·out features followed by the fused n-input op, which is SPEC §3's
/// "n Linears → F" (input i's features are the i-th block of n). For n = 1
/// it is the usual `Linear → f`. The n blocks start equal (tied), so an
/// HD-FGD layer starts as the baseline layer (F(u, …, u) = f(u)).
#[derive(Module, Debug)]
pub struct DenseAct {
    pub linear: Linear,
    /// [`SplitParam::LayerNorm`] only.
    pub norm: Option<LayerNorm>,
    pub act: ActivationLayer,
}

impl DenseAct {
    /// The paper's form ([`SplitParam::Plain`]).
    pub fn new(d_input: usize, d_output: usize, kernel: ActivationKernel, device: &Device) -> Self {
        Self::with_split(d_input, d_output, kernel, SplitParam::Plain, device)
    }

    /// `kernel` is what the layer runs, already in `split`'s form
    /// ([`SplitParam::kernel`]); its arity is the number of blocks.
    pub fn with_split(d_input: usize, d_output: usize, kernel: ActivationKernel, split: SplitParam, device: &Device) -> Self {
        let n = kernel.arity();
        let mut linear = LinearConfig::new(d_input, n * d_output).init(device);
        let mut norm = None;
        if n > 1 {
            // Tied start: all n blocks equal (with offsets: zero offsets), so
            // F(u, …, u) = f(u) and the layer begins as the baseline
            // `Linear → f`; training unties them.
            linear.weight = Param::from_tensor(split.tied_start(linear.weight.val(), 1, d_output, n));
            if let Some(b) = linear.bias.take() {
                linear.bias = Some(Param::from_tensor(split.tied_start(b.val(), 0, d_output, n)));
            }
            if split == SplitParam::LayerNorm {
                norm = Some(LayerNormConfig::new(n * d_output).init(device));
            }
        }
        DenseAct { linear, norm, act: ActivationLayer::new(kernel, 1) }
    }

    /// `[batch, d_input]` → `[batch, d_output]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_nd(x)
    }

    /// The n packed inputs the kernel sees (after the optional norm).
    pub fn pre_activation<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let u = self.linear.forward(x);
        match &self.norm {
            Some(n) => n.forward(u),
            None => u,
        }
    }

    /// Works on any rank: the features are the last dimension.
    pub fn forward_nd<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        activation(self.pre_activation(x), &self.act.kernel, D - 1)
    }
}
