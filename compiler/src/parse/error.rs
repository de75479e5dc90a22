//! Parse errors: a stable kind for machines (JSON), a message and help for
//! people, and a byte span into the input (which the CLI renders with
//! miette, and the macros map onto the user's tokens).

use std::ops::Range;

/// What went wrong, with a stable snake_case name ([`ParseErrorKind::as_str`])
/// that the JSON output and the tests rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    Empty,
    UnexpectedToken,
    UnbalancedParen,
    TrailingOperator,
    UnknownFunction,
    UnknownVariable,
    WrongArity,
    ComparisonOutsideWhere,
    WhereWithoutComparison,
    InvalidNumber,
    NonFiniteConstant,
    DivisionByZero,
    NonAscii,
    TooDeep,
    TooLarge,
    ConstantExpression,
}

impl ParseErrorKind {
    pub const ALL: &'static [ParseErrorKind] = &[
        Self::Empty,
        Self::UnexpectedToken,
        Self::UnbalancedParen,
        Self::TrailingOperator,
        Self::UnknownFunction,
        Self::UnknownVariable,
        Self::WrongArity,
        Self::ComparisonOutsideWhere,
        Self::WhereWithoutComparison,
        Self::InvalidNumber,
        Self::NonFiniteConstant,
        Self::DivisionByZero,
        Self::NonAscii,
        Self::TooDeep,
        Self::TooLarge,
        Self::ConstantExpression,
    ];

    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::UnexpectedToken => "unexpected_token",
            Self::UnbalancedParen => "unbalanced_paren",
            Self::TrailingOperator => "trailing_operator",
            Self::UnknownFunction => "unknown_function",
            Self::UnknownVariable => "unknown_variable",
            Self::WrongArity => "wrong_arity",
            Self::ComparisonOutsideWhere => "comparison_outside_where",
            Self::WhereWithoutComparison => "where_without_comparison",
            Self::InvalidNumber => "invalid_number",
            Self::NonFiniteConstant => "non_finite_constant",
            Self::DivisionByZero => "division_by_zero",
            Self::NonAscii => "non_ascii",
            Self::TooDeep => "too_deep",
            Self::TooLarge => "too_large",
            Self::ConstantExpression => "constant_expression",
        }
    }
}

impl std::fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse error. `span` is a byte range of `src` on char boundaries.
///
/// ```
/// use foil_compiler::parse::{parse, ParseErrorKind};
/// let err = parse("tahn(x)").unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::UnknownFunction);
/// assert_eq!((err.span.offset(), err.span.len()), (0, 4));
/// assert_eq!(err.help.as_deref(), Some("did you mean `tanh`?"));
/// ```
#[derive(Clone, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
    /// A suggestion (`did you mean `tanh`?`, a signature).
    pub help: Option<String>,
    /// Where in `src`.
    pub span: Span,
    /// The whole input.
    pub src: String,
}

/// A byte range of the input, on char boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    offset: usize,
    len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Self {
        Span { offset, len }
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// Debug output elides long sources (a rejected input may be a megabyte).
impl std::fmt::Debug for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut cut = self.src.len().min(80);
        while !self.src.is_char_boundary(cut) {
            cut -= 1;
        }
        let src = if cut < self.src.len() { format!("{}… ({} bytes)", &self.src[..cut], self.src.len()) } else { self.src.clone() };
        f.debug_struct("ParseError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("help", &self.help)
            .field("span", &(self.span.offset(), self.span.len()))
            .field("src", &src)
            .finish()
    }
}

/// The error as the parser carries it before the source is attached; boxed so
/// that `Result`s stay small in the recursive descent.
#[derive(Debug)]
pub(crate) struct Fail {
    pub kind: ParseErrorKind,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

pub(crate) type PResult<T> = Result<T, Box<Fail>>;

pub(crate) fn fail<T>(kind: ParseErrorKind, span: Range<usize>, message: impl Into<String>) -> PResult<T> {
    Err(Box::new(Fail { kind, span, message: message.into(), help: None }))
}

pub(crate) fn fail_help<T>(kind: ParseErrorKind, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) -> PResult<T> {
    Err(Box::new(Fail { kind, span, message: message.into(), help: Some(help.into()) }))
}

impl Fail {
    pub(crate) fn with_source(self, src: &str) -> ParseError {
        ParseError {
            kind: self.kind,
            message: self.message,
            help: self.help,
            span: Span::new(self.span.start, self.span.end - self.span.start),
            src: src.to_string(),
        }
    }
}

/// The candidate nearest to `name` by optimal-string-alignment distance
/// (typos, including swapped letters like `tahn`), if it is plausibly meant.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = osa_distance(name, c);
        if d <= 2 && d < c.len().min(name.len().max(2)) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn osa_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Three rolling rows: transpositions look two rows back.
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_distinct_snake_case() {
        let names: std::collections::HashSet<_> = ParseErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ParseErrorKind::ALL.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn suggestions() {
        let names = ["tanh", "exp", "sigmoid", "softplus", "max"];
        assert_eq!(did_you_mean("tahn", names), Some("tanh"));
        assert_eq!(did_you_mean("sigmod", names), Some("sigmoid"));
        assert_eq!(did_you_mean("ex", names), Some("exp"));
        assert_eq!(did_you_mean("zzzz", names), None);
        assert_eq!(osa_distance("ab", "ba"), 1);
        assert_eq!(osa_distance("", "abc"), 3);
    }
}
