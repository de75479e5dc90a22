//! Antiderivatives for GA (SPEC §2: g = ∫ 1/f'(x) dx).
//!
//! Specialists each own one canonical algebraic form and decide membership
//! by converting into it:
//! * [`exppoly`]: sums of `c·x^k·exp(g x² + a x)` (exp, sinh/cosh/tanh, sin/cos),
//!   quotients with a one-term denominator or rational in `exp(a₀x)`;
//! * [`algebraic`]: rational functions of x and one `sqrt(quadratic)` or
//!   `sqrt(linear)` (plain rational functions included), integrated via
//!   [`rational`], in x or in a variable that makes them rational.
//!
//! When none accepts the integrand as written, [`search`] explores equivalent
//! forms in an e-graph. Every result is differentiated numerically and
//! compared with the integrand ([`check`]) before it is returned.

mod algebraic;
mod check;
mod exppoly;
mod poly;
mod rational;
mod readable;
mod search;

use crate::build::Builder;
use crate::lang::{Expr, Func, Math};
use egg::{Id, Symbol};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntegrationError {
    /// No specialist found an elementary antiderivative (it may not exist).
    #[error("no closed-form antiderivative found for {integrand}")]
    NoClosedForm { integrand: String },
    /// The caller must split piecewise integrands before integrating.
    #[error("piecewise construct `{construct}` in integrand {integrand}; split the pieces first")]
    Piecewise { construct: String, integrand: String },
    /// A variable other than the integration variable.
    #[error("integrand {integrand} depends on `{variable}` besides the integration variable")]
    OtherVariable { variable: String, integrand: String },
    /// A candidate was found but its derivative does not match the integrand.
    #[error("antiderivative {candidate} of {integrand} failed the numerical self-check")]
    FailedSelfCheck { integrand: String, candidate: String },
}

/// What a specialist says about an integrand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    /// An antiderivative, as an id in the caller's builder.
    Found(Id),
    /// The integrand is not in this specialist's class.
    NotMine,
    /// In the class, but the method proves or suspects non-elementarity.
    NoClosedForm,
}

/// Some antiderivative of a smooth, non-piecewise `integrand` in `var` (any
/// constant: the caller anchors it), built only from SPEC §1 functions and
/// verified numerically before it is returned.
pub fn antiderivative(integrand: &Expr, var: Symbol) -> Result<Expr, IntegrationError> {
    let text = integrand.to_string();
    for node in integrand.as_ref() {
        let construct = match node {
            Math::Where(_) | Math::Min(_) | Math::Max(_) => node.to_string(),
            Math::Call(f @ (Func::Abs | Func::Sign), _) => f.name().to_string(),
            Math::Compare(..) => "comparison".to_string(),
            Math::Var(s) if *s != var => return Err(IntegrationError::OtherVariable { variable: s.to_string(), integrand: text }),
            _ => continue,
        };
        return Err(IntegrationError::Piecewise { construct, integrand: text });
    }
    let root = crate::lang::root(integrand);
    let mut rejected: Option<Expr> = None;
    if let Some(found) = specialists(integrand, root, var, &mut rejected) {
        return Ok(found);
    }
    if let Some(found) = search::antiderivative(integrand, var, &mut rejected) {
        return Ok(found);
    }
    Err(match rejected {
        Some(candidate) => IntegrationError::FailedSelfCheck { integrand: text, candidate: candidate.to_string() },
        None => IntegrationError::NoClosedForm { integrand: text },
    })
}

/// The first specialist answer for `expr[root]` that passes the self-check;
/// a candidate that fails it is remembered in `rejected` for the error.
pub(crate) fn specialists(expr: &Expr, root: Id, var: Symbol, rejected: &mut Option<Expr>) -> Option<Expr> {
    type Specialist = fn(&Expr, Id, Symbol, &mut Builder) -> Outcome;
    const SPECIALISTS: &[Specialist] = &[exppoly::integrate, algebraic::integrate];
    for specialist in SPECIALISTS {
        let mut b = Builder::new();
        if let Outcome::Found(id) = specialist(expr, root, var, &mut b) {
            let candidate = b.finish_at(id);
            if check::derivative_matches(&candidate, expr, root, var) {
                return Some(candidate);
            }
            *rejected = Some(candidate);
        }
    }
    None
}

/// The value of a variable-free subtree (`None` if it has a variable or is
/// not a finite real).
pub(crate) fn constant_value(expr: &Expr, id: Id) -> Option<f64> {
    if !crate::lang::is_constant(expr, id) {
        return None;
    }
    if let Some(v) = crate::lang::literal_value(&expr[id]) {
        return Some(v);
    }
    let v = crate::eval::eval(&crate::build::subtree(expr, id), &|_| f64::NAN);
    v.is_finite().then_some(v)
}
