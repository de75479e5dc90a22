//! The tokenizer: SPEC §1 is ASCII, so every token span is a byte range on
//! char boundaries, and the first non-ASCII character is an error.

use super::error::{fail, fail_help, PResult, ParseErrorKind as K};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Ident,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

impl Tok {
    /// How the token reads in a message.
    pub fn describe(self, text: &str) -> String {
        match self {
            Tok::Eof => "the end of the input".to_string(),
            _ => format!("`{text}`"),
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)
    }
}

/// Split `src` into tokens, ending with one `Eof` token at `src.len()`.
pub(crate) fn tokenize(src: &str) -> PResult<Vec<Token>> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let one = |tok| Token { tok, span: start..start + 1 };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' => {
                let (tok, end) = number(src, start)?;
                toks.push(Token { tok, span: start..end });
                i = end;
                continue;
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (tok, end) = number(src, start)?;
                toks.push(Token { tok, span: start..end });
                i = end;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
                let word = &src[start..end];
                if ["nan", "inf", "infinity"].contains(&word.to_ascii_lowercase().as_str()) {
                    return fail(K::InvalidNumber, start..end, format!("`{word}` is not a finite number"));
                }
                toks.push(Token { tok: Tok::Ident, span: start..end });
                i = end;
                continue;
            }
            b'+' => toks.push(one(Tok::Plus)),
            b'-' => toks.push(one(Tok::Minus)),
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                return fail_help(K::UnexpectedToken, start..start + 2, "`**` is not an operator", "use `^` for powers");
            }
            b'*' => toks.push(one(Tok::Star)),
            b'/' => toks.push(one(Tok::Slash)),
            b'^' => toks.push(one(Tok::Caret)),
            b'(' => toks.push(one(Tok::LParen)),
            b')' => toks.push(one(Tok::RParen)),
            b',' => toks.push(one(Tok::Comma)),
            b'<' | b'>' => {
                let eq = bytes.get(i + 1) == Some(&b'=');
                let tok = match (c, eq) {
                    (b'<', false) => Tok::Lt,
                    (b'<', true) => Tok::Le,
                    (_, false) => Tok::Gt,
                    (_, true) => Tok::Ge,
                };
                let end = start + 1 + usize::from(eq);
                toks.push(Token { tok, span: start..end });
                i = end;
                continue;
            }
            _ if !c.is_ascii() => {
                let ch = src[start..].chars().next().unwrap_or('\u{fffd}');
                return fail_help(
                    K::NonAscii,
                    start..start + ch.len_utf8(),
                    format!("non-ASCII character `{ch}`"),
                    "expressions are plain ASCII: write `x^2`, `*`, `pi`, `sqrt(x)`",
                );
            }
            _ => {
                let ch = c as char;
                let help = match ch {
                    '=' | '!' => "comparisons are `<`, `<=`, `>`, `>=`, and only inside `where(cond, a, b)`",
                    '[' | ']' | '{' | '}' => "group with `(` and `)`",
                    _ => "operators are `+ - * / ^`",
                };
                return fail_help(K::UnexpectedToken, start..start + 1, format!("unexpected character `{}`", ch.escape_default()), help);
            }
        }
        i += 1;
    }
    toks.push(Token { tok: Tok::Eof, span: src.len()..src.len() });
    Ok(toks)
}

/// A number literal at `start`: `1`, `0.5`, `.5`, `5.`, `1e-3`. Letters,
/// digits or dots glued to it (`2x`, `1.2.3`, `1e`) make it invalid rather than
/// two tokens, since implicit multiplication is not part of the language.
fn number(src: &str, start: usize) -> PResult<(Tok, usize)> {
    let b = src.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    if b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.') {
        let end = i + b[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'.').count();
        let help = if b[i].is_ascii_alphabetic() {
            format!("write `{}*{}` for a product", &src[start..i], &src[i..end])
        } else {
            "a number looks like `2`, `0.5`, `.5` or `1e-3`".to_string()
        };
        return fail_help(K::InvalidNumber, start..end, format!("invalid number `{}`", &src[start..end]), help);
    }
    let text = &src[start..i];
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((Tok::Num(v), i)),
        _ => fail_help(K::InvalidNumber, start..i, format!("the number `{text}` is too large for a 64-bit float"), "finite numbers go up to about 1.8e308"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("1 .5 5. 1e-3 2E+2"), [1.0, 0.5, 5.0, 1e-3, 200.0].map(Tok::Num).into_iter().chain([Tok::Eof]).collect::<Vec<_>>());
        assert_eq!(tokenize("1.2.3").unwrap_err().span, 0..5);
        assert_eq!(tokenize("2x").unwrap_err().help.as_deref(), Some("write `2*x` for a product"));
        assert_eq!(tokenize("1e999").unwrap_err().kind, K::InvalidNumber);
    }

    #[test]
    fn operators() {
        assert_eq!(kinds("<=<>=>"), [Tok::Le, Tok::Lt, Tok::Ge, Tok::Gt, Tok::Eof]);
        assert_eq!(tokenize("x ** 2").unwrap_err().span, 2..4);
    }

    #[test]
    fn non_ascii_span_is_the_whole_char() {
        let e = tokenize("x²").unwrap_err();
        assert_eq!((e.kind, e.span), (K::NonAscii, 1..3));
    }
}
