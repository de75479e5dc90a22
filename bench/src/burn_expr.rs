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
/// from the same series foil's kernel uses (`foil::kernels::math::erfi`):
/// Maclaurin (60 terms) on min(|x|, 4.5), asymptotic (16 terms) on
/// max(|x|, 4.5), blended by a 0/1 step (clamping keeps both branches finite,
/// so the blend has no 0·∞), times sign(x).
fn erfi<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    let f = Scalar::Float;
    let a = B::float_abs(x.clone());
    let small = B::float_clamp_max(a.clone(), f(4.5));
    let s2 = B::float_mul(small.clone(), small.clone());
    let (mut term, mut sum) = (small.clone(), small);
    for n in 1..=60 {
        term = B::float_mul_scalar(B::float_mul(term, s2.clone()), f(1.0 / n as f64));
        sum = B::float_add(sum, B::float_mul_scalar(term.clone(), f(1.0 / (2 * n + 1) as f64)));
    }
    let series = B::float_mul_scalar(sum, f(std::f64::consts::FRAC_2_SQRT_PI));
    let big = B::float_clamp_min(a.clone(), f(4.5));
    let b2 = B::float_mul(big.clone(), big.clone());
    let inv = B::float_recip(B::float_mul_scalar(b2.clone(), f(2.0)));
    // 1 + the k = 1 term (inv).
    let mut t = inv.clone();
    let mut acc = B::float_add_scalar(inv.clone(), f(1.0));
    for k in 2..=16 {
        t = B::float_mul_scalar(B::float_mul(t, inv.clone()), f((2 * k - 1) as f64));
        acc = B::float_add(acc, t.clone());
    }
    let h = B::float_exp(B::float_mul_scalar(b2, f(0.5)));
    let asymptotic = B::float_mul(B::float_mul(B::float_div(h.clone(), B::float_mul_scalar(big, f(std::f64::consts::PI.sqrt()))), h), acc);
    // step = 1 where |x| > 4.5, else 0.
    let step = B::float_mul_scalar(B::float_add_scalar(B::float_sign(B::float_add_scalar(a, f(-4.5))), f(1.0)), f(0.5));
    let blended = B::float_add(series.clone(), B::float_mul(step, B::float_sub(asymptotic, series)));
    B::float_mul(B::float_sign(x), blended)
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
            Math::Var(s) => Val::T(
                inputs.iter().find(|(n, _)| *n == s.as_str()).map(|(_, t)| t.clone()).ok_or_else(|| format!("variable `{s}` has no input tensor"))?,
            ),
            Math::Add([a, b]) => binary::<B>(arg(a), arg(b), |x, y| x + y, B::float_add, |t, s| B::float_add_scalar(t, Scalar::Float(s)), |s, t| B::float_add_scalar(t, Scalar::Float(s))),
            Math::Sub([a, b]) => binary::<B>(arg(a), arg(b), |x, y| x - y, B::float_sub, |t, s| B::float_add_scalar(t, Scalar::Float(-s)), |s, t| B::float_add_scalar(B::float_neg(t), Scalar::Float(s))),
            Math::Mul([a, b]) => binary::<B>(arg(a), arg(b), |x, y| x * y, B::float_mul, |t, s| B::float_mul_scalar(t, Scalar::Float(s)), |s, t| B::float_mul_scalar(t, Scalar::Float(s))),
            Math::Div([a, b]) => binary::<B>(arg(a), arg(b), |x, y| x / y, B::float_div, |t, s| B::float_mul_scalar(t, Scalar::Float(1.0 / s)), |s, t| B::float_mul_scalar(B::float_recip(t), Scalar::Float(s))),
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
    let tracked: Vec<(&str, FloatTensor<AD>)> =
        inputs.iter().map(|(n, t)| (*n, AD::float_set_require_grad(AD::from_inner(t.clone()), true))).collect();
    let y = eval::<AD>(expr, &tracked)?;
    let y_inner = AD::inner(y.clone());
    let grads = AD::backward(y);
    let gs = tracked
        .iter()
        .map(|(n, t)| AD::grad(t, &grads).ok_or_else(|| format!("no gradient reached input `{n}`")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((y_inner, gs))
}

/// The median time of burn's forward + backward of `expr` on backend `B`
/// (under `Autodiff`, synced each step), and the input gradients of the last step.
pub fn time_forward_backward<B: Backend>(expr: &Expr, vars: &[String], data: &[Vec<f32>], device: &B::Device, plan: &Plan) -> Result<(f64, Vec<Vec<f32>>), String> {
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

