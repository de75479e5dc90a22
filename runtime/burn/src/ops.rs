//! The fused activation op as a burn backend extension.
//!
//! Two backend operations, the same for every backend:
//! - [`FoilActivationOps::foil_activation`]: y = F(u1..un), ONE pass;
//! - [`FoilActivationOps::foil_activation_backward`]: all n input gradients
//!   `grad_out · ∂F/∂u_i` from the saved input, ONE pass.
//!
//! Implemented for Flex (host loops over [`ActivationKernel`]), for burn's
//! CubeCL backend (wgpu, cuda: the kernels generated at run time from the
//! activation's IR, [`crate::jit`], one launch each way), for
//! `Fusion<CubeBackend>` (burn's lazy fusion records the op as one opaque
//! custom operation and runs the CubeCL impl), and for `Autodiff<B>` for any
//! `B` implementing the trait (its backward calls `B::foil_activation_backward`).

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

use crate::kernel::{split_layout, ActivationKernel};

#[backend_extension(
    Flex,
    Autodiff,
    Cube: cfg(any(feature = "wgpu", feature = "cuda")),
    Fusion: cfg(any(feature = "wgpu", feature = "cuda"))
)]
pub trait FoilActivationOps: burn::backend::Backend {
    /// F over the n inputs packed along `axis` (see [`super::kernel`]): the
    /// output has `dims[axis] / n` along `axis`.
    #[fusion(dtype = x, shape = packed_output_shape(x, kernel, axis))]
    fn foil_activation(x: FloatTensor<Self>, kernel: ActivationKernel, axis: usize) -> FloatTensor<Self>;
    /// The gradient with respect to the packed input (the layout of `x`):
    /// every input's partial times `grad_out`, in one pass.
    #[fusion(dtype = x, shape = x)]
    fn foil_activation_backward(x: FloatTensor<Self>, grad_out: FloatTensor<Self>, kernel: ActivationKernel, axis: usize) -> FloatTensor<Self>;
}

/// The forward output's shape, which lazy backends (Fusion) need before the
/// kernel runs. A layout the kernel cannot take keeps `x`'s shape here; the
/// backend impl reports it when the op executes.
pub fn packed_output_shape(x: &burn::tensor::Shape, kernel: &ActivationKernel, axis: &usize) -> burn::tensor::Shape {
    let dims: Vec<usize> = x.iter().copied().collect();
    match split_layout(&dims, *axis, kernel.arity()) {
        Ok((_, out)) => burn::tensor::Shape::from(out),
        Err(_) => x.clone(),
    }
}

/// Applies `kernel` to `x` (n inputs packed along `axis`); differentiable on
/// autodiff devices through the fused backward.
pub fn activation<const D: usize>(x: Tensor<D>, kernel: &ActivationKernel, axis: usize) -> Tensor<D> {
    Tensor::from_dispatch(Dispatch::foil_activation(x.into_dispatch(), kernel.clone(), axis))
}

/// The backward op on its own (for tests and for callers composing their own
/// backward): the gradient with respect to the packed input `x`.
pub fn activation_backward<const D: usize>(x: Tensor<D>, grad_out: Tensor<D>, kernel: &ActivationKernel, axis: usize) -> Tensor<D> {
    Tensor::from_dispatch(Dispatch::foil_activation_backward(x.into_dispatch(), grad_out.into_dispatch(), kernel.clone(), axis))
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

        fn foil_activation_backward(x: FlexTensor, grad_out: FlexTensor, kernel: ActivationKernel, axis: usize) -> FlexTensor {
            let x = f32_contiguous(x, "backward");
            let g = f32_contiguous(grad_out, "backward");
            let dims: Vec<usize> = x.layout().shape().to_vec();
            let (block, out_dims) = split_layout(&dims, axis, kernel.arity()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(g.layout().shape().to_vec(), out_dims, "foil activation backward: grad_out has the wrong shape");
            let mut gi = FlexTensor::empty(x.layout().shape().clone(), DType::F32);
            kernel.backward_host(x.as_slice::<f32>().expect("contiguous"), g.as_slice::<f32>().expect("contiguous"), gi.storage_mut::<f32>(), block);
            gi
        }
    }
}

#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod cube_impl {
    use super::*;
    use crate::jit::PackedLayout;
    use burn::tensor::DType;
    use burn_cubecl::kernel::into_contiguous;
    use burn_cubecl::tensor::CubeTensor;
    use burn_cubecl::CubeBackend;

    fn f32_contiguous(t: CubeTensor, what: &str) -> CubeTensor {
        assert_eq!(t.dtype, DType::F32, "foil activation ({what}) on CubeCL supports f32 tensors only, got {:?}", t.dtype);
        into_contiguous(t)
    }

    fn dims(t: &CubeTensor) -> Vec<usize> {
        use burn::backend::TensorMetadata;
        t.shape().iter().copied().collect()
    }

    /// The packed layout of `dims` split along `axis` into `n` inputs.
    fn layout(dims: &[usize], axis: usize, n: usize) -> (PackedLayout, Vec<usize>) {
        let (_, out_dims) = split_layout(dims, axis, n).unwrap_or_else(|e| panic!("{e}"));
        let outer: usize = dims[..axis].iter().product();
        let inner: usize = dims[axis + 1..].iter().product();
        let layout = PackedLayout::new(outer, n, dims[axis] / n, inner).unwrap_or_else(|e| panic!("foil activation: {e}"));
        (layout, out_dims)
    }

    fn empty(like: &CubeTensor, dims: Vec<usize>, len: usize) -> CubeTensor {
        let handle = like.client.empty(len * core::mem::size_of::<f32>());
        CubeTensor::new_contiguous(like.client.clone(), like.device.clone(), burn::tensor::Shape::from(dims), handle, DType::F32)
    }

    impl FoilActivationOps for CubeBackend {
        fn foil_activation(x: CubeTensor, kernel: ActivationKernel, axis: usize) -> CubeTensor {
            let x = f32_contiguous(x, "forward");
            let (layout, out_dims) = layout(&dims(&x), axis, kernel.arity());
            let y = empty(&x, out_dims, layout.output_len());
            let jit = kernel.jit().unwrap_or_else(|e| panic!("foil activation: {e}"));
            jit.launch_forward(&x.client, &x.handle, &y.handle, layout).unwrap_or_else(|e| panic!("foil activation {}: {e}", kernel.name()));
            y
        }

        fn foil_activation_backward(x: CubeTensor, grad_out: CubeTensor, kernel: ActivationKernel, axis: usize) -> CubeTensor {
            let x = f32_contiguous(x, "backward");
            let g = f32_contiguous(grad_out, "backward");
            let x_dims = dims(&x);
            let (layout, out_dims) = layout(&x_dims, axis, kernel.arity());
            assert_eq!(dims(&g), out_dims, "foil activation backward: grad_out has the wrong shape");
            let gx = empty(&x, x_dims, layout.input_len());
            let jit = kernel.jit().unwrap_or_else(|e| panic!("foil activation: {e}"));
            jit.launch_backward(&x.client, &x.handle, &g.handle, &gx.handle, layout)
                .unwrap_or_else(|e| panic!("foil activation {} backward: {e}", kernel.name()));
            gx
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

    fn foil_activation_backward(_x: FloatTensor<Self>, _grad_out: FloatTensor<Self>, _kernel: ActivationKernel, _axis: usize) -> FloatTensor<Self> {
        unimplemented!("second-order gradients through a foil activation are not supported")
    }
}
