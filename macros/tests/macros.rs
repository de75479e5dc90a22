//! `activation!` end to end: the generated value and derivative, in f32 and
//! f64, against references written by hand with std functions. The compile
//! errors are pinned with trybuild in `macros/tests/ui.rs`.

use foil::{activation, Activation};

activation!(Tanh = tanh(x));
activation!(Silu = x * sigmoid(x));
activation!(Softplus = softplus(x));
activation!(LeakyRelu = where(x > 0, x, 0.1 * x));
activation!(Cubic = x ^ 3 - 2 * x ^ 2 + log(1 + x ^ 2));
activation!(FromLiteral = "x*sigmoid(1.702*x)");

/// Points spread over [-8, 8], plus 0, avoiding no special value on purpose.
fn points() -> impl Iterator<Item = f64> {
    (0..=320).map(|i| -8.0 + i as f64 * 0.05).chain([0.0, 1e-3, -1e-3])
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `A`'s value and derivative match `f`, `df` at every point: to 1e-12 in f64
/// (the derivative is a different but equal formula) and to f32 rounding.
fn check<A: Activation>(f: fn(f64) -> f64, df: fn(f64) -> f64) {
    for x in points() {
        let close = |got: f64, want: f64, tol: f64| (got - want).abs() <= tol * want.abs().max(1.0);
        let (v, d) = (f(x), df(x));
        assert!(close(A::value(x), v, 1e-12), "{}({x}) = {} want {v}", A::NAME, A::value(x));
        assert!(close(A::derivative(x), d, 1e-12), "{}'({x}) = {} want {d}", A::NAME, A::derivative(x));
        let x32 = x as f32;
        let (v32, d32) = (f(x32 as f64), df(x32 as f64));
        assert!(close(A::value(x32) as f64, v32, 1e-5), "{}({x32}f32) = {} want {v32}", A::NAME, A::value(x32));
        assert!(close(A::derivative(x32) as f64, d32, 1e-5), "{}'({x32}f32) = {} want {d32}", A::NAME, A::derivative(x32));
    }
}

#[test]
fn tanh() {
    check::<Tanh>(f64::tanh, |x| 1.0 - x.tanh().powi(2));
}

#[test]
fn silu() {
    check::<Silu>(|x| x * sigmoid(x), |x| sigmoid(x) * (1.0 + x * (1.0 - sigmoid(x))));
}

#[test]
fn softplus() {
    check::<Softplus>(|x| (1.0 + x.exp()).ln(), sigmoid);
}

#[test]
fn leaky_relu() {
    check::<LeakyRelu>(|x| if x > 0.0 { x } else { 0.1 * x }, |x| if x > 0.0 { 1.0 } else { 0.1 });
}

#[test]
fn powers_and_log1p() {
    check::<Cubic>(|x| x.powi(3) - 2.0 * x * x + (1.0 + x * x).ln(), |x| 3.0 * x * x - 4.0 * x + 2.0 * x / (1.0 + x * x));
}

#[test]
fn string_literal_input() {
    fn s(x: f64) -> f64 {
        sigmoid(1.702 * x)
    }
    check::<FromLiteral>(|x| x * s(x), |x| s(x) + 1.702 * x * s(x) * (1.0 - s(x)));
}

#[test]
fn names_and_texts() {
    assert_eq!(Tanh::NAME, "Tanh");
    assert!(!Tanh::EXPRESSION.is_empty() && !Tanh::DERIVATIVE.is_empty());
}
