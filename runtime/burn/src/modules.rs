//! burn modules on the fused op. Plain structs; what they compute is data
//! (an [`ActivationKernel`] and an axis), so one module type serves f, its GA
//! g, the HD-FGD F and the SA alike.

use ::burn::module::{Module, Param};
use ::burn::nn::{Linear, LinearConfig};
use ::burn::tensor::{Device, Tensor};

use crate::kernel::ActivationKernel;
use crate::ops::activation;

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
    pub act: ActivationLayer,
}

impl DenseAct {
    pub fn new(d_input: usize, d_output: usize, kernel: ActivationKernel, device: &Device) -> Self {
        let n = kernel.arity();
        let mut linear = LinearConfig::new(d_input, n * d_output).init(device);
        if n > 1 {
            // Tied start: all n blocks equal, so F(u, …, u) = f(u) and the
            // layer begins as the baseline `Linear → f`; training unties them.
            let w = linear.weight.val().narrow(1, 0, d_output).repeat_dim(1, n).detach();
            linear.weight = Param::from_tensor(w);
            if let Some(b) = linear.bias.take() {
                linear.bias = Some(Param::from_tensor(b.val().narrow(0, 0, d_output).repeat_dim(0, n).detach()));
            }
        }
        DenseAct { linear, act: ActivationLayer::new(kernel, 1) }
    }

    /// `[batch, d_input]` → `[batch, d_output]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.act.forward(self.linear.forward(x))
    }

    /// Works on any rank: the features are the last dimension.
    pub fn forward_nd<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        activation(self.linear.forward(x), &self.act.kernel, D - 1)
    }
}
