//! The fused activation op as a burn backend extension.
//!
//! Two backend operations, the same for every backend:
//! - [`FoilActivationOps::foil_activation`]: y = F(u1..un), ONE pass;
//! - [`FoilActivationOps::foil_activation_backward`]: all n input gradients
//!   `grad_out · ∂F/∂u_i` from the saved input, ONE pass.
//!
//! Implemented here for Flex (host loops over [`ActivationKernel`]) and for
//! `Autodiff<B>` for any `B` implementing the trait (its backward calls
//! `B::foil_activation_backward`). A CubeCL implementation is added with one
//! more `impl FoilActivationOps for CubeBackend` and a `Cube: cfg(feature =
//! "wgpu")` selector; callers ([`activation`]) do not change. The kernel's
//! IR (`kernel.expr()`, `kernel.partials()`, `kernel.vars()`) and the layout
//! described in [`super::kernel`] are the whole contract such an impl needs.

use burn::backend::{
    autodiff::{
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{unary, Backward, Ops, OpsKind},
        NodeId,
    },
    backend_extension,
    tensor::FloatTensor,
    Autodiff, Dispatch,
};
use burn::tensor::Tensor;

use super::kernel::{split_layout, ActivationKernel};

#[backend_extension(Flex, Autodiff)]
pub trait FoilActivationOps: burn::backend::Backend {
    /// F over the n inputs packed along `axis` (see [`super::kernel`]): the
    /// output has `dims[axis] / n` along `axis`.
    fn foil_activation(x: FloatTensor<Self>, kernel: ActivationKernel, axis: usize) -> FloatTensor<Self>;
    /// The gradient with respect to the packed input (the layout of `x`):
    /// every input's partial times `grad_out`, in one pass.
    fn foil_activation_backward(
        x: FloatTensor<Self>,
        grad_out: FloatTensor<Self>,
        kernel: ActivationKernel,
        axis: usize,
    ) -> FloatTensor<Self>;
}

/// Applies `kernel` to `x` (n inputs packed along `axis`); differentiable on
/// autodiff devices through the fused backward.
pub fn activation<const D: usize>(x: Tensor<D>, kernel: &ActivationKernel, axis: usize) -> Tensor<D> {
    Tensor::from_dispatch(Dispatch::foil_activation(x.into_dispatch(), kernel.clone(), axis))
}

/// The backward op on its own (for tests and for callers composing their own
/// backward): the gradient with respect to the packed input `x`.
pub fn activation_backward<const D: usize>(
    x: Tensor<D>,
    grad_out: Tensor<D>,
    kernel: &ActivationKernel,
    axis: usize,
) -> Tensor<D> {
    Tensor::from_dispatch(Dispatch::foil_activation_backward(
        x.into_dispatch(),
        grad_out.into_dispatch(),
        kernel.clone(),
        axis,
    ))
}

mod flex_impl {
    use super::*;
    use burn::tensor::DType;
    use burn_flex::{Flex, FlexTensor};

    fn f32_contiguous(t: FlexTensor, what: &str) -> FlexTensor {
        assert_eq!(t.dtype(), DType::F32, "foil activation ({what}) on flex supports f32 tensors only, got {:?}", t.dtype());
        t.to_contiguous()
    }

    impl FoilActivationOps for Flex {
        fn foil_activation(x: FlexTensor, kernel: ActivationKernel, axis: usize) -> FlexTensor {
            let x = f32_contiguous(x, "forward");
            let dims: Vec<usize> = x.layout().shape().to_vec();
            let (block, out_dims) = split_layout(&dims, axis, kernel.arity()).unwrap_or_else(|e| panic!("{e}"));
            let mut out = FlexTensor::empty(out_dims.into_iter().collect(), DType::F32);
            kernel.forward_host(x.as_slice::<f32>().expect("contiguous"), out.storage_mut::<f32>(), block);
            out
        }

        fn foil_activation_backward(
            x: FlexTensor,
            grad_out: FlexTensor,
            kernel: ActivationKernel,
            axis: usize,
        ) -> FlexTensor {
            let x = f32_contiguous(x, "backward");
            let g = f32_contiguous(grad_out, "backward");
            let dims: Vec<usize> = x.layout().shape().to_vec();
            let (block, out_dims) = split_layout(&dims, axis, kernel.arity()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(g.layout().shape().to_vec(), out_dims, "foil activation backward: grad_out has the wrong shape");
            let mut gi = FlexTensor::empty(x.layout().shape().clone(), DType::F32);
            kernel.backward_host(
                x.as_slice::<f32>().expect("contiguous"),
                g.as_slice::<f32>().expect("contiguous"),
                gi.storage_mut::<f32>(),
                block,
            );
            gi
        }
    }
}

#[derive(Debug)]
struct ActivationBackward;

impl<B: FoilActivationOps> Backward<B, 1> for ActivationBackward {
    /// The checkpointed input, the kernel and the axis.
    type State = (NodeId, ActivationKernel, usize);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, ckpt: &mut Checkpointer) {
        let (node, kernel, axis) = ops.state;
        let x: FloatTensor<B> = ckpt.retrieve_node_output(node);
        unary::<B, _>(ops.parents, ops.node, grads, |g| B::foil_activation_backward(x, g, kernel, axis));
    }
}

impl<B: FoilActivationOps, C: CheckpointStrategy> FoilActivationOps for Autodiff<B, C> {
    fn foil_activation(x: FloatTensor<Self>, kernel: ActivationKernel, axis: usize) -> FloatTensor<Self> {
        match ActivationBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let saved = prep.checkpoint(&x);
                let out = B::foil_activation(x.into_primitive(), kernel.clone(), axis);
                prep.finish((saved, kernel, axis), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::foil_activation(x.into_primitive(), kernel, axis)),
        }
    }

    fn foil_activation_backward(
        _x: FloatTensor<Self>,
        _grad_out: FloatTensor<Self>,
        _kernel: ActivationKernel,
        _axis: usize,
    ) -> FloatTensor<Self> {
        unimplemented!("second-order gradients through a foil activation are not supported")
    }
}
