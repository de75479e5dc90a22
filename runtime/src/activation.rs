//! What `activation!`, `adversarial!` and `hd_fgd!` implement (scalar side; the
//! GPU side is [`crate::kernels`]).

use crate::Float;

/// An activation function with its derivative, both generic over the scalar.
pub trait Activation {
    const NAME: &'static str;
    /// f, in SPEC §1 syntax (parseable by `foil` itself).
    const EXPRESSION: &'static str;
    /// f', simplified, in SPEC §1 syntax.
    const DERIVATIVE: &'static str;
    fn value<F: Float>(x: F) -> F;
    fn derivative<F: Float>(x: F) -> F;
}

/// An adversarial function g: its `Activation` part is g (value g, derivative
/// g'); `SOURCE` is the f it was derived from.
pub trait Adversarial: Activation {
    const SOURCE: &'static str;
}

/// A function of `TERMS` inputs (the lifted F of an HD-FGD split, or a split
/// adversarial SA over u1..un), with all its partial derivatives.
pub trait SplitActivation {
    const NAME: &'static str;
    /// The function, in SPEC §1 syntax over the variables `u1..un`.
    const EXPRESSION: &'static str;
    /// The activation it was derived from, in SPEC §1 syntax.
    const SOURCE: &'static str;
    /// Number of inputs.
    const TERMS: usize;
    /// ∂/∂ui, simplified, in SPEC §1 syntax, i = 1..=TERMS.
    const PARTIALS: &'static [&'static str];
    /// The value at `u` (`u.len() == TERMS`; panics otherwise).
    fn value<F: Float>(u: &[F]) -> F;
    /// Every partial derivative at `u`, written to `grad` (both of length `TERMS`).
    fn gradient<F: Float>(u: &[F], grad: &mut [F]);
}
