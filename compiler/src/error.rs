//! Why a derivation did not succeed. Each error has a stable `kind` (for
//! JSON) and an exit-code class: invalid input (2), refused by the maths (3),
//! or internal (1).

use crate::piecewise::Interval;
use crate::zeros::Zeros;


#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error("{0}")]
    Parse(#[from] crate::parse::ParseError),

    #[error("the expression must depend on exactly one variable `x`; it has {found}")]
    Variables { found: String },

    #[error("no global adversarial: f' = {derivative} vanishes at {}; GA needs f' ≠ 0 everywhere (try --mode sa, or --regularize EPS)", zeros.describe("x"))]
    DerivativeZeros { derivative: String, zeros: Zeros },

    #[error("no global adversarial: f' ≡ 0 on {} (f is constant there, so 1/f' does not exist); try --regularize EPS (g' = f'/(f'^2 + EPS^2), approximate, constant there) or --mode sa", interval.describe("x"))]
    FlatDerivative { interval: Interval },

    /// `closed`: whether each finite end of `interval` belongs to the set.
    #[error("f is not real-valued for {}: {reason}", interval.describe_ends("x", *closed))]
    Domain { interval: Interval, closed: (bool, bool), reason: String },

    #[error("no closed form found for ∫ {integrand} dx{}", piece.map(|p| format!(" on {}", p.describe("x"))).unwrap_or_default())]
    NoClosedForm { integrand: String, piece: Option<Interval> },

    #[error("the split term `{term}` has a derivative that vanishes at {}, so its adversarial ∫ 1/t' does not exist", zeros.describe("u"))]
    TermNotMonotone { term: String, zeros: Zeros },

    #[error("invalid option: {0}")]
    InvalidOption(String),

    #[error("verification failed: {reason}")]
    Verification { reason: String },

    #[error("{0}")]
    Internal(String),
}

impl DeriveError {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            DeriveError::Parse(p) => p.kind.as_str(),
            DeriveError::Variables { .. } => "variables",
            DeriveError::DerivativeZeros { .. } => "derivative_zeros",
            DeriveError::FlatDerivative { .. } => "flat_derivative",
            DeriveError::Domain { .. } => "domain",
            DeriveError::NoClosedForm { .. } => "no_closed_form",
            DeriveError::TermNotMonotone { .. } => "term_not_monotone",
            DeriveError::InvalidOption(_) => "invalid_option",
            DeriveError::Verification { .. } => "verification_failed",
            DeriveError::Internal(_) => "internal",
        }
    }

    /// Process exit code: 2 invalid expression, 3 refused by the maths, 1 internal.
    pub fn exit_code(&self) -> i32 {
        match self {
            DeriveError::Parse(_) | DeriveError::Variables { .. } | DeriveError::InvalidOption(_) => 2,
            DeriveError::DerivativeZeros { .. }
            | DeriveError::FlatDerivative { .. }
            | DeriveError::Domain { .. }
            | DeriveError::NoClosedForm { .. }
            | DeriveError::TermNotMonotone { .. } => 3,
            DeriveError::Verification { .. } | DeriveError::Internal(_) => 1,
        }
    }

    /// The zeros that are the reason, if they are.
    pub fn zeros(&self) -> Option<&Zeros> {
        match self {
            DeriveError::DerivativeZeros { zeros, .. } | DeriveError::TermNotMonotone { zeros, .. } => Some(zeros),
            _ => None,
        }
    }

    /// The JSON object `{kind, message, zeros?, periodic?, interval?, span?, help?}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "kind": self.kind(), "message": self.to_string() });
        if let Some(z) = self.zeros() {
            v["zeros"] = serde_json::json!(z.zeros);
            if let Some((first, period)) = z.periodic {
                v["periodic"] = serde_json::json!({ "first": first, "period": period });
            }
        }
        match self {
            DeriveError::FlatDerivative { interval } => {
                v["interval"] = interval_json(interval);
            }
            DeriveError::Domain { interval, closed, .. } => {
                v["interval"] = interval_json(interval);
                v["interval"]["lo_closed"] = serde_json::json!(closed.0 && interval.lo.is_finite());
                v["interval"]["hi_closed"] = serde_json::json!(closed.1 && interval.hi.is_finite());
            }
            DeriveError::Parse(p) => {
                v["span"] = serde_json::json!({ "offset": p.span.offset(), "length": p.span.len() });
                // The suggestion (`did you mean `tanh`?`) is part of the answer for tools too.
                if let Some(help) = &p.help {
                    v["help"] = serde_json::json!(help);
                }
            }
            _ => {}
        }
        v
    }
}

/// Intervals in JSON use `null` for infinite ends.
pub fn interval_json(i: &Interval) -> serde_json::Value {
    let end = |v: f64| if v.is_finite() { serde_json::json!(v) } else { serde_json::Value::Null };
    serde_json::json!({ "lo": end(i.lo), "hi": end(i.hi) })
}

