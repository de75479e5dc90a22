//! What `activation!` and `adversarial!` implement. Kept small on purpose: the
//! GPU kernel part will be added beside these items, not in place of them.

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
