//! The fused activation op on Flex and on wgpu (burn's CubeCL backend with
//! its fusion, running the run-time generated kernels): forward equals the
//! f64 reference, and the gradient autodiff takes through the op's
//! hand-written backward equals f64 central finite differences of the
//! expression, for one-input kernels (f and its GA) and n-input kernels
//! (HD-FGD's F, SA), in both packed layouts; wgpu agrees with flex.

use burn::tensor::{Device, Tensor, TensorData};
use egg::Symbol;
use foil_burn::{activation, activation_backward, ActivationKernel, Rewriter};
use foil_compiler::eval::eval_n;

fn data(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    (0..n).map(|i| (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 10007) as f32 / 10007.0 - 0.5) * 2.0 * scale).collect()
}

/// F in f64 at the n inputs of output element (o, q) of a [outer, n, block] buffer.
fn reference(k: &ActivationKernel, x: &[f32], o: usize, q: usize, block: usize) -> Vec<f64> {
    let n = k.arity();
    (0..n).map(|i| x[o * n * block + i * block + q] as f64).collect()
}

/// Checks forward and gradient of `sum(w * F(x))` for x of `dims`, axis
/// `axis`, on flex; returns (F(x), ∂/∂x) for comparisons across devices.
fn check(k: &ActivationKernel, dims: [usize; 3], axis: usize, scale: f32) -> (Vec<f32>, Vec<f32>) {
    check_on(&Device::flex().autodiff(), k, dims, axis, scale)
}

fn check_on(device: &Device, k: &ActivationKernel, dims: [usize; 3], axis: usize, scale: f32) -> (Vec<f32>, Vec<f32>) {
    let n = k.arity();
    let device = device.clone();
    let len: usize = dims.iter().product();
    let xs = data(len, 17, scale);
    let x = Tensor::<3>::from_data(TensorData::new(xs.clone(), dims), &device).require_grad();
    let y = activation(x.clone(), k, axis);
    let ydims = y.dims();
    let mut want_dims = dims;
    want_dims[axis] /= n;
    assert_eq!(ydims, want_dims);
    let ylen: usize = ydims.iter().product();
    let ws = data(ylen, 91, 1.0);
    let w = Tensor::<3>::from_data(TensorData::new(ws.clone(), ydims), &device);
    let loss = (y.clone() * w).sum();
    let mut grads = loss.backward();
    let gx = x.grad_remove(&mut grads).expect("x has a gradient").into_data().try_into_vec_as::<f32>().unwrap();
    let yv = y.into_data().try_into_vec_as::<f32>().unwrap();

    let outer: usize = dims[..axis].iter().product();
    let block: usize = ydims[axis..].iter().product();
    let vars: Vec<Symbol> = k.vars().iter().map(|v| Symbol::from(v.as_str())).collect();
    let (mut worst_f, mut worst_g) = (0.0f64, 0.0f64);
    for o in 0..outer {
        for q in 0..block {
            let u = reference(k, &xs, o, q, block);
            let fv = eval_n(k.expr(), &vars, &u);
            let got = yv[o * block + q] as f64;
            worst_f = worst_f.max((got - fv).abs() / fv.abs().max(1.0));
            for i in 0..n {
                // Central difference in f64 of w·F at input i.
                let h = 1e-6 * u[i].abs().max(1.0);
                let mut up = u.clone();
                let mut dn = u.clone();
                up[i] += h;
                dn[i] -= h;
                let fd = ws[o * block + q] as f64 * (eval_n(k.expr(), &vars, &up) - eval_n(k.expr(), &vars, &dn)) / (2.0 * h);
                let g = gx[o * n * block + i * block + q] as f64;
                worst_g = worst_g.max((g - fd).abs() / fd.abs().max(1.0));
            }
        }
    }
    assert!(worst_f < 1e-5, "{k:?} on {device:?}: forward rel. error {worst_f:e}");
    assert!(worst_g < 1e-4, "{k:?} on {device:?}: gradient rel. error {worst_g:e} against f64 finite differences");
    (yv, gx)
}

/// The wgpu device, or None with a loud SKIP (a failure under FOIL_REQUIRE_GPU=1).
#[cfg(feature = "wgpu")]
fn wgpu() -> Option<Device> {
    match foil_runtime::default_client() {
        Ok(_) => Some(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff()),
        Err(e) if std::env::var("FOIL_REQUIRE_GPU").as_deref() == Ok("1") => panic!("FOIL_REQUIRE_GPU=1 but no adapter: {e}"),
        Err(e) => {
            eprintln!("SKIP ============ no wgpu adapter ({e}): the CubeCL fused op is not exercised ============");
            None
        }
    }
}

/// The same checks through burn's CubeCL backend (Fusion<CubeBackend> on
/// wgpu: lavapipe in CI), and every value and gradient equal to flex's to
/// 1e-5 relative (f32 vs the f64-register host evaluator).
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_gradients_match_finite_differences_and_agree_with_flex() {
    let Some(gpu) = wgpu() else { return };
    let mut r = Rewriter::new("tanh(x)").unwrap();
    let mut g = Rewriter::new("gelu(x)").unwrap();
    let sa_gelu = g.sa().unwrap();
    let cases: Vec<(ActivationKernel, [usize; 3], usize, f32)> = vec![
        (r.f().unwrap(), [4, 33, 5], 1, 3.0),
        (r.g().unwrap(), [2, 7, 70], 2, 2.0),
        (Rewriter::new("x*sigmoid(x)").unwrap().f().unwrap(), [3, 10, 9], 1, 4.0),
        (r.big_f().unwrap(), [1, 6, 4 * 9], 2, 1.5),
        (r.sa().unwrap(), [3, 4 * 5, 11], 1, 1.0),
        (sa_gelu.clone(), [2, sa_gelu.arity() * 4, 3], 1, 1.0),
    ];
    for (k, dims, axis, scale) in &cases {
        let (yf, gf) = check(k, *dims, *axis, *scale);
        let (yw, gw) = check_on(&gpu, k, *dims, *axis, *scale);
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| ((p - q).abs() / p.abs().max(1.0)) as f64).fold(0.0, f64::max);
        let (dy, dg) = (close(&yf, &yw), close(&gf, &gw));
        eprintln!("{k:?} {dims:?}: wgpu vs flex: forward {dy:.1e}, gradient {dg:.1e}");
        assert!(dy < 1e-5 && dg < 1e-5, "{k:?}: wgpu disagrees with flex (forward {dy:e}, gradient {dg:e})");
    }
}

#[test]
fn single_input_gradients_match_finite_differences() {
    let mut r = Rewriter::new("tanh(x)").unwrap();
    check(&r.f().unwrap(), [4, 33, 5], 1, 3.0);
    check(&r.g().unwrap(), [2, 7, 70], 2, 2.0);
    for act in ["x*sigmoid(x)", "gelu(x)", "where(x > 0, x, 0.01*x)", "softplus(x)"] {
        check(&Rewriter::new(act).unwrap().f().unwrap(), [3, 10, 9], 1, 4.0);
    }
}

#[test]
fn n_input_gradients_match_finite_differences_in_one_backward() {
    let mut r = Rewriter::new("tanh(x)").unwrap();
    let (f4, sa) = (r.big_f().unwrap(), r.sa().unwrap());
    assert_eq!((f4.arity(), sa.arity()), (4, 4));
    // Linear layout: [batch, n·out] split on the last axis (here rank 3: [1, batch, n·out]).
    check(&f4, [1, 6, 4 * 9], 2, 1.5);
    // Conv layout: [batch, n·C, H·W] split on the channel axis.
    check(&sa, [3, 4 * 5, 11], 1, 1.0);
    let mut g = Rewriter::new("gelu(x)").unwrap();
    let sa_gelu = g.sa().unwrap();
    check(&sa_gelu, [2, sa_gelu.arity() * 4, 3], 1, 1.0);
}

#[test]
fn backward_op_alone_gives_all_partials_times_grad_out() {
    let k = Rewriter::new("tanh(x)").unwrap().big_f().unwrap();
    let device = Device::flex();
    let xs = data(2 * 4 * 3, 5, 1.0);
    let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [2, 12]), &device);
    let g = Tensor::<2>::from_data(TensorData::new(vec![2.0f32; 6], [2, 3]), &device);
    let gi = activation_backward(x, g, &k, 1).into_data().try_into_vec_as::<f32>().unwrap();
    for o in 0..2 {
        for q in 0..3 {
            let u: Vec<f32> = (0..4).map(|i| xs[o * 12 + i * 3 + q]).collect();
            let p = k.partials_at(&u);
            for i in 0..4 {
                assert!((gi[o * 12 + i * 3 + q] - 2.0 * p[i]).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn matches_burns_own_tanh_including_its_gradient() {
    let k = Rewriter::new("tanh(x)").unwrap().f().unwrap();
    let device = Device::flex().autodiff();
    let xs = data(1000, 3, 4.0);
    let x1 = Tensor::<1>::from_data(TensorData::new(xs.clone(), [1000]), &device).require_grad();
    let x2 = Tensor::<1>::from_data(TensorData::new(xs, [1000]), &device).require_grad();
    let mut g1 = (activation(x1.clone(), &k, 0) * 3.0).sum().backward();
    let mut g2 = (x2.clone().tanh() * 3.0).sum().backward();
    let a = x1.grad_remove(&mut g1).unwrap().into_data().try_into_vec_as::<f32>().unwrap();
    let b = x2.grad_remove(&mut g2).unwrap().into_data().try_into_vec_as::<f32>().unwrap();
    let worst = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "{worst}");
}
