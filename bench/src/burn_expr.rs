//! foil IR evaluated with burn's own tensor ops, one backend op per IR node:
//! the competitor of foil's fused kernels. Generic over the backend, so the
//! same composition runs on burn's fused CubeCL backend, the unfused
//! `CubeBackend` and Flex, each under `Autodiff` for the backward.
//!
//! Constants stay scalars (burn's `*_scalar` ops), as a person writing the
//! expression with burn tensors would write them.

use super::{median_seconds, Plan};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Scalar};
use burn::tensor::TensorData;
use foil_compiler::lang::{Expr, Func, Math};

#[derive(Clone)]
enum Val<B: Backend> {
    Num(f64),
    T(FloatTensor<B>),
}

/// erfi from burn's ops: burn has no erfi, so a burn user composes it, here
/// from the same algorithm and constants as foil's kernel
/// (`foil::kernels::math::erfi`, `foil::runtime::erfi_rational`):
/// a = min(|x|, 10), t = a², erfi = sign(x)·a·G(t)·(1 + lo)·e^t with G = P/Q by
/// Estrin's scheme, lo = a² − t exactly (a on a 2⁻⁸ grid), and e^t taken as
/// e^(t − s)·e^s past s (branch-free: the step [t > s] is clamp(ceil(t − s), 0, 1)).
fn erfi<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    use foil::runtime::erfi_rational::{CLAMP, EXP_SCALE, EXP_SHIFT, GRID_STEPS, P, Q};
    let f = |v: f32| Scalar::Float(v as f64);
    let mul = |a: &FloatTensor<B>, b: &FloatTensor<B>| B::float_mul(a.clone(), b.clone());
    // c0 + c1·t, as a burn user writes it with scalar ops.
    let linear = |c0: f32, c1: f32, t: &FloatTensor<B>| B::float_add_scalar(B::float_mul_scalar(t.clone(), f(c1)), f(c0));
    let a = B::float_clamp_max(B::float_abs(x.clone()), f(CLAMP));
    let t = mul(&a, &a);
    let t2 = mul(&t, &t);
    let t4 = mul(&t2, &t2);
    let half = |c: &[f32], t: &FloatTensor<B>, t2: &FloatTensor<B>| B::float_add(linear(c[0], c[1], t), mul(t2, &linear(c[2], c[3], t)));
    let p = B::float_add(half(&P[..4], &t, &t2), mul(&t4, &half(&P[4..], &t, &t2)));
    // Q is monic: its t⁸ term is t4·t4.
    let q_hi = B::float_add(half(&Q[4..8], &t, &t2), t4.clone());
    let q = B::float_add(half(&Q[..4], &t, &t2), mul(&t4, &q_hi));
    let g = B::float_div(p, q);
    let xh = B::float_mul_scalar(B::float_floor(B::float_mul_scalar(a.clone(), f(GRID_STEPS))), f(1.0 / GRID_STEPS));
    let lo = B::float_add(B::float_sub(mul(&xh, &xh), t.clone()), B::float_mul(B::float_add(a.clone(), xh.clone()), B::float_sub(a.clone(), xh)));
    let r = mul(&a, &g);
    let r = B::float_add(r.clone(), mul(&r, &lo));
    let big = B::float_clamp(B::float_ceil(B::float_add_scalar(t.clone(), f(-EXP_SHIFT))), f(0.0), f(1.0));
    let e = B::float_exp(B::float_sub(t, B::float_mul_scalar(big.clone(), f(EXP_SHIFT))));
    // 1 or EXP_SCALE (EXP_SCALE − 1 rounds to EXP_SCALE, and 1 + EXP_SCALE too).
    let scale = B::float_add_scalar(B::float_mul_scalar(big, f(EXP_SCALE - 1.0)), f(1.0));
    let y = B::float_mul(B::float_mul(e, r), scale);
    B::float_mul(B::float_sign(x), y)
}

/// `expr` over `inputs` (variable name → tensor, all of one shape).
/// Piecewise nodes and erfi have no burn counterpart used here: they are an
/// error naming the node, never a panic.
pub fn eval<B: Backend>(expr: &Expr, inputs: &[(&str, FloatTensor<B>)]) -> Result<FloatTensor<B>, String> {
    let nodes = expr.as_ref();
    let mut vals: Vec<Val<B>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let arg = |i: &egg::Id| vals[usize::from(*i)].clone();
        let v = match node {
            Math::Num(c) => Val::Num(c.into_inner()),
            Math::Pi => Val::Num(std::f64::consts::PI),
            Math::Euler => Val::Num(std::f64::consts::E),
            Math::Var(s) => {
                Val::T(inputs.iter().find(|(n, _)| *n == s.as_str()).map(|(_, t)| t.clone()).ok_or_else(|| format!("variable `{s}` has no input tensor"))?)
            }
            Math::Add([a, b]) => binary::<B>(
                arg(a),
                arg(b),
                |x, y| x + y,
                B::float_add,
                |t, s| B::float_add_scalar(t, Scalar::Float(s)),
                |s, t| B::float_add_scalar(t, Scalar::Float(s)),
            ),
            Math::Sub([a, b]) => binary::<B>(
                arg(a),
                arg(b),
                |x, y| x - y,
                B::float_sub,
                |t, s| B::float_add_scalar(t, Scalar::Float(-s)),
                |s, t| B::float_add_scalar(B::float_neg(t), Scalar::Float(s)),
            ),
            Math::Mul([a, b]) => binary::<B>(
                arg(a),
                arg(b),
                |x, y| x * y,
                B::float_mul,
                |t, s| B::float_mul_scalar(t, Scalar::Float(s)),
                |s, t| B::float_mul_scalar(t, Scalar::Float(s)),
            ),
            Math::Div([a, b]) => binary::<B>(
                arg(a),
                arg(b),
                |x, y| x / y,
                B::float_div,
                |t, s| B::float_mul_scalar(t, Scalar::Float(1.0 / s)),
                |s, t| B::float_mul_scalar(B::float_recip(t), Scalar::Float(s)),
            ),
            Math::Pow([a, b]) => binary::<B>(
                arg(a),
                arg(b),
                f64::powf,
                B::float_powf,
                |t, s| B::float_powf_scalar(t, Scalar::Float(s)),
                |s, t| B::float_exp(B::float_mul_scalar(t, Scalar::Float(s.ln()))),
            ),
            Math::Neg(a) => unary::<B>(arg(a), |x| -x, B::float_neg),
            Math::Call(Func::Exp, a) => unary::<B>(arg(a), f64::exp, B::float_exp),
            Math::Call(Func::Log, a) => unary::<B>(arg(a), f64::ln, B::float_log),
            Math::Call(Func::Log1p, a) => unary::<B>(arg(a), f64::ln_1p, B::float_log1p),
            Math::Call(Func::Expm1, a) => unary::<B>(arg(a), f64::exp_m1, |t| B::float_add_scalar(B::float_exp(t), Scalar::Float(-1.0))),
            Math::Call(Func::Sqrt, a) => unary::<B>(arg(a), f64::sqrt, B::float_sqrt),
            Math::Call(Func::Abs, a) => unary::<B>(arg(a), f64::abs, B::float_abs),
            Math::Call(Func::Sin, a) => unary::<B>(arg(a), f64::sin, B::float_sin),
            Math::Call(Func::Cos, a) => unary::<B>(arg(a), f64::cos, B::float_cos),
            Math::Call(Func::Atan, a) => unary::<B>(arg(a), f64::atan, B::float_atan),
            Math::Call(Func::Sinh, a) => unary::<B>(arg(a), f64::sinh, B::float_sinh),
            Math::Call(Func::Cosh, a) => unary::<B>(arg(a), f64::cosh, B::float_cosh),
            Math::Call(Func::Tanh, a) => unary::<B>(arg(a), f64::tanh, B::float_tanh),
            Math::Call(Func::Asinh, a) => unary::<B>(arg(a), f64::asinh, B::float_asinh),
            Math::Call(Func::Erf, a) => unary::<B>(arg(a), libm::erf, B::float_erf),
            Math::Call(Func::Erfi, a) => match arg(a) {
                Val::Num(_) => return Err("erfi of a constant is not folded in this benchmark".into()),
                Val::T(t) => Val::T(erfi::<B>(t)),
            },
            other => return Err(format!("`{other}` has no burn tensor op in this benchmark")),
        };
        vals.push(v);
    }
    match vals.pop() {
        Some(Val::T(t)) => Ok(t),
        Some(Val::Num(_)) => Err("the expression is a constant: there is nothing to run on the device".into()),
        None => Err("empty expression".into()),
    }
}

fn unary<B: Backend>(a: Val<B>, num: impl Fn(f64) -> f64, op: impl Fn(FloatTensor<B>) -> FloatTensor<B>) -> Val<B> {
    match a {
        Val::Num(x) => Val::Num(num(x)),
        Val::T(t) => Val::T(op(t)),
    }
}

fn binary<B: Backend>(
    a: Val<B>,
    b: Val<B>,
    num: impl Fn(f64, f64) -> f64,
    tt: impl Fn(FloatTensor<B>, FloatTensor<B>) -> FloatTensor<B>,
    ts: impl Fn(FloatTensor<B>, f64) -> FloatTensor<B>,
    st: impl Fn(f64, FloatTensor<B>) -> FloatTensor<B>,
) -> Val<B> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => Val::Num(num(x, y)),
        (Val::T(t), Val::Num(s)) => Val::T(ts(t, s)),
        (Val::Num(s), Val::T(t)) => Val::T(st(s, t)),
        (Val::T(t), Val::T(u)) => Val::T(tt(t, u)),
    }
}

/// One forward + backward of `expr` under autodiff: the inputs are marked as
/// requiring gradients, the output is seeded with ones (burn's `backward`).
/// Returns the output and every input's gradient, on the inner backend,
/// queued but not waited for.
pub fn forward_backward<AD: AutodiffBackend>(
    expr: &Expr,
    inputs: &[(&str, FloatTensor<AD::InnerBackend>)],
) -> Result<(FloatTensor<AD::InnerBackend>, Vec<FloatTensor<AD::InnerBackend>>), String> {
    let tracked: Vec<(&str, FloatTensor<AD>)> = inputs.iter().map(|(n, t)| (*n, AD::float_set_require_grad(AD::from_inner(t.clone()), true))).collect();
    let y = eval::<AD>(expr, &tracked)?;
    let y_inner = AD::inner(y.clone());
    let grads = AD::backward(y);
    let gs = tracked.iter().map(|(n, t)| AD::grad(t, &grads).ok_or_else(|| format!("no gradient reached input `{n}`"))).collect::<Result<Vec<_>, _>>()?;
    Ok((y_inner, gs))
}

/// The median time of burn's forward + backward of `expr` on backend `B`
/// (under `Autodiff`, synced each step), and the input gradients of the last step.
pub fn time_forward_backward<B: Backend>(
    expr: &Expr,
    vars: &[String],
    data: &[Vec<f32>],
    device: &B::Device,
    plan: &Plan,
) -> Result<(f64, Vec<Vec<f32>>), String> {
    let n = data[0].len();
    let tensors: Vec<FloatTensor<B>> = data.iter().map(|d| B::float_from_data(TensorData::new(d.clone(), [n]), device)).collect();
    let inputs: Vec<(&str, FloatTensor<B>)> = vars.iter().map(|v| v.as_str()).zip(tensors).collect();
    let mut last = Vec::new();
    let seconds = median_seconds(plan.warmup, plan.reps, || {
        // Keep y alive until the sync so that it is computed, not elided.
        let (y, grads) = forward_backward::<Autodiff<B>>(expr, &inputs)?;
        B::sync(device).map_err(|e| format!("burn sync failed: {e:?}"))?;
        drop(y);
        last = grads;
        Ok::<_, String>(())
    })?;
    let grads = last
        .into_iter()
        .map(|g| foil::cubecl::future::block_on(B::float_into_data(g)).map_err(|e| format!("{e:?}"))?.try_to_vec::<f32>().map_err(|e| format!("{e:?}")))
        .collect::<Result<_, _>>()?;
    Ok((seconds, grads))
}
