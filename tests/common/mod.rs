//! Numerics the integration tests use to check foil's results without
//! trusting foil: an evaluator of its own over the IR nodes, finite
//! differences, and hand-written f64 references. Nothing here calls
//! `foil_compiler::eval` or `foil_compiler::verify`.

#![allow(dead_code)]

/// The GPU tests' helpers (these do use `foil_compiler::eval`, as their reference).
pub mod gpu;

use foil_compiler::lang::{Cmp, Expr, Func, Math};

/// Evaluate `e` in f64 with `env` giving each variable's value. Written
/// independently of `foil_compiler::eval`, from the SPEC §1 meanings.
pub fn ev(e: &Expr, env: &dyn Fn(&str) -> f64) -> f64 {
    let nodes = e.as_ref();
    let mut v: Vec<f64> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let a = |i: &_| at(&v, i);
        let r = match n {
            Math::Add([p, q]) => a(p) + a(q),
            Math::Sub([p, q]) => a(p) - a(q),
            Math::Mul([p, q]) => a(p) * a(q),
            Math::Div([p, q]) => a(p) / a(q),
            Math::Pow([p, q]) => {
                let (b, k) = (a(p), a(q));
                if k == k.trunc() && k.abs() <= 64.0 {
                    b.powi(k as i32)
                } else {
                    b.powf(k)
                }
            }
            Math::Neg(p) => -a(p),
            Math::Call(Func::Exp, p) => a(p).exp(),
            Math::Call(Func::Log, p) => a(p).ln(),
            Math::Call(Func::Log1p, p) => a(p).ln_1p(),
            Math::Call(Func::Expm1, p) => a(p).exp_m1(),
            Math::Call(Func::Sqrt, p) => a(p).sqrt(),
            Math::Call(Func::Abs, p) => a(p).abs(),
            Math::Call(Func::Sign, p) => {
                let t = a(p);
                if t > 0.0 {
                    1.0
                } else if t < 0.0 {
                    -1.0
                } else if t == 0.0 {
                    0.0
                } else {
                    f64::NAN
                }
            }
            Math::Call(Func::Sin, p) => a(p).sin(),
            Math::Call(Func::Cos, p) => a(p).cos(),
            Math::Call(Func::Atan, p) => a(p).atan(),
            Math::Call(Func::Sinh, p) => a(p).sinh(),
            Math::Call(Func::Cosh, p) => a(p).cosh(),
            Math::Call(Func::Tanh, p) => a(p).tanh(),
            Math::Call(Func::Asinh, p) => a(p).asinh(),
            Math::Call(Func::Erf, p) => libm::erf(a(p)),
            Math::Call(Func::Erfi, p) => erfi(a(p)),
            Math::Min([p, q]) => a(p).min(a(q)),
            Math::Max([p, q]) => a(p).max(a(q)),
            Math::Where([c, t, f]) => {
                if a(c) != 0.0 {
                    a(t)
                } else {
                    a(f)
                }
            }
            Math::Compare(Cmp::Lt, [p, q]) => (a(p) < a(q)) as i32 as f64,
            Math::Compare(Cmp::Le, [p, q]) => (a(p) <= a(q)) as i32 as f64,
            Math::Compare(Cmp::Gt, [p, q]) => (a(p) > a(q)) as i32 as f64,
            Math::Compare(Cmp::Ge, [p, q]) => (a(p) >= a(q)) as i32 as f64,
            Math::Pi => std::f64::consts::PI,
            Math::Euler => std::f64::consts::E,
            Math::Num(c) => c.into_inner(),
            Math::Var(s) => env(s.as_str()),
        };
        v.push(r);
    }
    *v.last().expect("empty expression")
}

fn at<I: Copy + Into<usize>>(v: &[f64], i: &I) -> f64 {
    v[(*i).into()]
}

/// `e` as a function of `x`.
pub fn ev1(e: &Expr, x: f64) -> f64 {
    ev(e, &|name| if name == "x" { x } else { panic!("unexpected variable `{name}`") })
}

/// `e` with every variable (x, u1, u2, ...) set to `x`.
pub fn ev_all(e: &Expr, x: f64) -> f64 {
    ev(e, &|_| x)
}

/// erfi(x) = 2/√π Σ x^(2n+1) / (n! (2n+1)), by its power series (all terms
/// positive for x > 0, so it is accurate to a few ulps for |x| ≤ 12).
pub fn erfi(x: f64) -> f64 {
    assert!(x.abs() <= 12.0, "erfi reference only for |x| <= 12 (got {x})");
    let x2 = x * x;
    let mut term = x; // x^(2n+1)/n!
    let mut sum = 0.0;
    for n in 0..2000 {
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() <= 1e-18 * sum.abs() {
            break;
        }
        term *= x2 / (n + 1) as f64;
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

/// The 8th-order central difference of `f` at `x` with step `h`.
pub fn fd8(f: &dyn Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    const C: [f64; 4] = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
    let mut s = 0.0;
    for (k, c) in C.iter().enumerate() {
        let k = (k + 1) as f64;
        s += c * (f(x + k * h) - f(x - k * h));
    }
    s / h
}

/// Step for derivatives of an activation f (f' can be ~1e-7 at |x| = 8, so a
/// larger step keeps rounding small; the 8th-order truncation stays < 1e-9).
pub const H_F: f64 = 0.05;
/// Step for derivatives of an adversarial g (g grows like e^(2|x|), smooth).
pub const H_G: f64 = 0.01;

/// `n` points spread over [lo, hi] with an irrational offset, so that no
/// point lands on a special value (0, a break point) by construction.
pub fn spread(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| lo + (hi - lo) * (i as f64 + 0.381_966_011_250_105) / n as f64).collect()
}

/// |a - b| ≤ tol · max(1, |b|).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// |a - b| ≤ tol · |b| (plain relative).
pub fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs()
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The suite's activations, written by hand in f64, with their break points.
pub fn reference(name: &str) -> (fn(f64) -> f64, &'static [f64]) {
    let f: fn(f64) -> f64 = match name {
        "tanh" => f64::tanh,
        "sigmoid" => sigmoid,
        "softplus" => softplus,
        "softsign" => |x| x / (1.0 + x.abs()),
        "elu" => |x| if x > 0.0 { x } else { x.exp_m1() },
        "leaky_relu" => |x| if x >= 0.0 { x } else { 0.01 * x },
        "atan" => f64::atan,
        "asinh" => f64::asinh,
        "isru" => |x| x / (1.0 + x * x).sqrt(),
        "bent_identity" => |x| ((x * x + 1.0).sqrt() - 1.0) / 2.0 + x,
        "sigmoid_2x" => |x| sigmoid(2.0 * x),
        "expm1" => f64::exp_m1,
        "silu" => |x| x * sigmoid(x),
        "gelu" => |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        "gelu_tanh" => |x| 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh()),
        "mish" => |x| x * softplus(x).tanh(),
        "sin" => f64::sin,
        "logcosh" => |x: f64| x.abs() + (-2.0 * x.abs()).exp().ln_1p() - std::f64::consts::LN_2,
        other => panic!("no hand-written reference for suite row `{other}`: add one to tests/common/mod.rs"),
    };
    let breaks: &'static [f64] = match name {
        "softsign" | "elu" | "leaky_relu" => &[0.0],
        _ => &[],
    };
    (f, breaks)
}

/// A suite row, read by the one reader of the table (`foil_compiler::suite`).
pub use foil_compiler::suite::SuiteRow as Row;

pub fn rows() -> Vec<Row> {
    foil_compiler::suite::embedded_suite()
}

pub fn row(name: &str) -> Row {
    rows().into_iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no suite row `{name}`"))
}
