//! The named activations of SPEC §1, in one table that the parser uses to
//! expand a call (`sigmoid(2*x)`) and the printer uses to fold an expanded
//! subtree back under its name. Keeping both directions on one table is what
//! guarantees that every name the printer emits reads back to the same tree.
//!
//! ```
//! use foil_compiler::activations::lookup;
//! let elu = lookup("elu").unwrap();
//! assert_eq!(elu.signature(), "elu(x, a = 1)");
//! assert_eq!(elu.arity(), 1..=2);
//! assert!(lookup("tahn").is_none());
//! ```

use std::ops::RangeInclusive;

/// One named activation: `name(params) = definition` in SPEC syntax.
#[derive(Debug, Clone, Copy)]
pub struct NamedActivation {
    pub name: &'static str,
    /// Parameters in call order; the first is the input. `Some(d)` marks an
    /// optional parameter with default `d` (optional ones come last).
    pub params: &'static [(&'static str, Option<f64>)],
    /// The definition in SPEC §1 syntax over the parameter names.
    pub definition: &'static str,
    pub summary: &'static str,
}

impl NamedActivation {
    /// How it is called, defaults included: `leaky_relu(x, s = 0.01)`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(p, d)| match d {
                Some(d) => format!("{p} = {d}"),
                None => p.to_string(),
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }

    /// The accepted argument counts.
    pub fn arity(&self) -> RangeInclusive<usize> {
        let required = self.params.iter().filter(|(_, d)| d.is_none()).count();
        required..=self.params.len()
    }
}

const X: (&str, Option<f64>) = ("x", None);

static TABLE: &[NamedActivation] = &[
    NamedActivation { name: "sigmoid", params: &[X], definition: "1/(1+exp(-x))", summary: "logistic function" },
    NamedActivation { name: "softplus", params: &[X], definition: "log(1+exp(x))", summary: "smooth relu" },
    NamedActivation { name: "relu", params: &[X], definition: "max(x, 0)", summary: "rectified linear unit" },
    NamedActivation { name: "leaky_relu", params: &[X, ("s", Some(0.01))], definition: "where(x >= 0, x, s*x)", summary: "relu with slope s for x < 0" },
    NamedActivation { name: "elu", params: &[X, ("a", Some(1.0))], definition: "where(x > 0, x, a*(exp(x) - 1))", summary: "exponential linear unit" },
    NamedActivation {
        name: "selu",
        params: &[X],
        definition: "1.0507009873554805*where(x > 0, x, 1.6732632423543772*(exp(x) - 1))",
        summary: "scaled elu (self-normalising constants)",
    },
    NamedActivation { name: "gelu", params: &[X], definition: "0.5*x*(1 + erf(x/sqrt(2)))", summary: "Gaussian error linear unit, erf form" },
    NamedActivation { name: "gelu_tanh", params: &[X], definition: "0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))", summary: "gelu, tanh approximation" },
    NamedActivation { name: "silu", params: &[X], definition: "x/(1+exp(-x))", summary: "x*sigmoid(x), a.k.a. swish" },
    NamedActivation { name: "mish", params: &[X], definition: "x*tanh(log(1+exp(x)))", summary: "x*tanh(softplus(x))" },
    NamedActivation { name: "softsign", params: &[X], definition: "x/(1+abs(x))", summary: "rational sigmoid-like" },
    NamedActivation { name: "hardtanh", params: &[X], definition: "max(-1, min(1, x))", summary: "tanh clipped to [-1, 1]" },
    NamedActivation { name: "isru", params: &[X, ("a", Some(1.0))], definition: "x/sqrt(1 + a*x^2)", summary: "inverse square root unit" },
    NamedActivation { name: "bent_identity", params: &[X], definition: "(sqrt(x^2 + 1) - 1)/2 + x", summary: "identity bent by a hyperbola" },
    NamedActivation { name: "logcosh", params: &[X], definition: "log(cosh(x))", summary: "log of cosh" },
];

/// Every named activation, in table order.
pub fn named_activations() -> &'static [NamedActivation] {
    TABLE
}

/// The activation called `name`, if any.
pub fn lookup(name: &str) -> Option<&'static NamedActivation> {
    TABLE.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_params_come_last() {
        for a in named_activations() {
            let first_optional = a.params.iter().position(|(_, d)| d.is_some()).unwrap_or(a.params.len());
            assert!(a.params[first_optional..].iter().all(|(_, d)| d.is_some()), "{}", a.name);
            assert_eq!(a.params[0].0, "x", "{}: x comes first", a.name);
        }
    }

    #[test]
    fn signature_shows_defaults() {
        assert_eq!(lookup("leaky_relu").unwrap().signature(), "leaky_relu(x, s = 0.01)");
        assert_eq!(lookup("sigmoid").unwrap().signature(), "sigmoid(x)");
    }
}
