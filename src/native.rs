//! Bridges `foil::Activation` (macro-generated, generic over `foil::Float`)
//! to the runtime's [`ScalarActivation`], so a macro activation runs its
//! native code inside the fused burn op:
//!
//! ```
//! foil::activation!(Softsign = x / (1 + abs(x)));
//! let k = foil::native::kernel::<Softsign>();
//! assert_eq!(k.arity(), 1);
//! assert_eq!(k.value_at(&[1.0]), 0.5);
//! ```

use std::marker::PhantomData;

use foil_runtime::burn::{ActivationKernel, ScalarActivation};

use crate::Activation;

/// `A` seen through the runtime's interface (the orphan rule needs a local type).
pub struct Native<A>(PhantomData<A>);

impl<A: Activation + Send + Sync + 'static> ScalarActivation for Native<A> {
    const NAME: &'static str = A::NAME;
    const EXPRESSION: &'static str = A::EXPRESSION;
    fn value_f32(x: f32) -> f32 {
        A::value(x)
    }
    fn derivative_f32(x: f32) -> f32 {
        A::derivative(x)
    }
}

/// The fused-op kernel for a macro-generated activation.
pub fn kernel<A: Activation + Send + Sync + 'static>() -> ActivationKernel {
    ActivationKernel::native::<Native<A>>()
}
