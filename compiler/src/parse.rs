//! (in progress)
#[derive(Debug, thiserror::Error)]
#[error("parse error")]
pub struct ParseError { pub kind: Kind, pub span: miette::SourceSpan }
#[derive(Debug)]
pub struct Kind;
impl Kind { pub fn as_str(&self) -> &'static str { "parse" } }
