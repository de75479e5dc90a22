//! Why a derivation did not succeed, with a stable machine-readable
//! [`DeriveError::kind`]. Messages state the mathematical fact; how to ask
//! for something else (a CLI flag, a macro option) is worded by each front
//! end, and so is the exit code.

use crate::piecewise::Interval;
use crate::zeros::Zeros;

#[derive(Clone, Debug, thiserror::Error)]
pub enum DeriveError {
    #[error("{0}")]
    Parse(#[from] crate::parse::ParseError),

    #[error("the expression must depend on exactly one variable `x`; it has {found}")]
    Variables { found: String },

    #[error("no global adversarial: f' = {derivative} vanishes at {}; GA needs f' ≠ 0 everywhere", zeros.describe("x"))]
    DerivativeZeros { derivative: String, zeros: Zeros },

    /// `interval` is the first of `intervals`, every interval where f' ≡ 0;
    /// `zeros` the zeros of f' outside them.
    #[error("no global adversarial: f' ≡ 0 on {} (f is constant there, so 1/f' does not exist){}", describe_all(intervals, "x"), if zeros.is_empty() { String::new() } else { format!("; f' also vanishes at {}", zeros.describe("x")) })]
    FlatDerivative { interval: Interval, intervals: Vec<Interval>, zeros: Zeros },

    /// `closed`: whether each finite end of `interval` belongs to the set;
    /// `more`: the further intervals where f is not real, each with its
    /// ends' `closed`, as far as the scan of the domain reaches.
    #[error("f is not real-valued for {}: {reason}", describe_domain(interval, *closed, more))]
    Domain { interval: Interval, closed: (bool, bool), more: Vec<(Interval, (bool, bool))>, reason: String },

    #[error("no closed form found for ∫ {integrand} dx{}", piece.map(|p| format!(" on {}", p.describe("x"))).unwrap_or_default())]
    NoClosedForm { integrand: String, piece: Option<Interval> },

    #[error("the split term `{term}` has a derivative that vanishes at {}, so its adversarial ∫ 1/t' does not exist", zeros.describe("u"))]
    TermNotMonotone { term: String, zeros: Zeros },

    /// A piecewise constant split term (`sign(x)` of symlog's split):
    /// `intervals` are where its derivative is 0.
    #[error(
        "the split term `{term}` has a derivative of 0 on {} (it is constant there, piece by piece), so its adversarial ∫ 1/t' does not exist",
        describe_all(intervals, "u")
    )]
    TermFlat { term: String, intervals: Vec<Interval> },

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
            DeriveError::TermFlat { .. } => "term_flat",
            DeriveError::InvalidOption(_) => "invalid_option",
            DeriveError::Verification { .. } => "verification_failed",
            DeriveError::Internal(_) => "internal",
        }
    }

    /// The zeros that are the reason, if they are (or part of it).
    pub fn zeros(&self) -> Option<&Zeros> {
        match self {
            DeriveError::DerivativeZeros { zeros, .. } | DeriveError::TermNotMonotone { zeros, .. } => Some(zeros),
            DeriveError::FlatDerivative { zeros, .. } if !zeros.is_empty() => Some(zeros),
            _ => None,
        }
    }
}

/// The first interval where f is not real, and the others: all of them up
/// to four, else the next one and how many more.
fn describe_domain(first: &Interval, closed: (bool, bool), more: &[(Interval, (bool, bool))]) -> String {
    let first = first.describe_ends("x", closed);
    let one = |(i, c): &(Interval, (bool, bool))| i.describe_ends("x", *c);
    match more {
        [next, rest @ ..] if more.len() > 3 => format!("{first}, {} and {} more intervals", one(next), rest.len()),
        _ => listed(std::iter::once(first).chain(more.iter().map(one)).collect()),
    }
}

/// `x < -1 and x > 1`: every interval, in order, in `var`.
fn describe_all(intervals: &[Interval], var: &str) -> String {
    listed(intervals.iter().map(|i| i.describe(var)).collect())
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: Vec<String>) -> String {
    match &items[..] {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => items.concat(),
    }
}
