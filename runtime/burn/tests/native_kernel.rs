//! A macro-generated activation runs natively inside the fused op's host
//! path and agrees with the same activation compiled from its IR.

use foil_burn::ActivationKernel;

foil::activation!(Tanh = tanh(x));
foil::activation!(Silu = x * sigmoid(x));

fn agree<A: foil::Activation + Send + Sync + 'static>() {
    let native = ActivationKernel::native::<A>();
    assert!(native.is_native());
    let ir = ActivationKernel::unary("ir", &foil_compiler::parse::parse(A::EXPRESSION).unwrap()).unwrap();
    let x: Vec<f32> = (0..5000).map(|i| -6.0 + i as f32 * 0.0024).collect();
    let g: Vec<f32> = x.iter().map(|v| 1.0 + v.sin()).collect();
    let (mut y1, mut y2) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    native.forward_host(&x, &mut y1, x.len());
    ir.forward_host(&x, &mut y2, x.len());
    let (mut d1, mut d2) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    native.backward_host(&x, &g, &mut d1, x.len());
    ir.backward_host(&x, &g, &mut d2, x.len());
    for i in 0..x.len() {
        assert!((y1[i] - y2[i]).abs() <= 1e-5 * y2[i].abs().max(1.0), "{} value at {}", A::NAME, x[i]);
        assert!((d1[i] - d2[i]).abs() <= 1e-5 * d2[i].abs().max(1.0), "{} gradient at {}", A::NAME, x[i]);
    }
}

#[test]
fn native_and_ir_kernels_agree() {
    agree::<Tanh>();
    agree::<Silu>();
}
