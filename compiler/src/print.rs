//! (in progress)
pub fn to_spec(e: &crate::lang::Expr) -> String { e.to_string() }
