//! Rust tokens → SPEC §1 text, remembering which token each byte came from so
//! that a parse error at a byte offset can be reported at the user's token.
//!
//! The text is the tokens separated by spaces (spaces are insignificant in
//! SPEC syntax), except after a joint punctuation so that `<=` stays `<=`.
//! `^` reaches the parser as `^` even though Rust reads it as XOR: the macro
//! never hands these tokens to rustc as an expression.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use std::ops::Range;

pub struct SpecText {
    pub text: String,
    /// Byte range in `text` → the span of the token that produced it, in order.
    pieces: Vec<(Range<usize>, Span)>,
}

impl SpecText {
    /// From expression tokens. Brackets and braces are refused here because
    /// SPEC groups only with parentheses.
    pub fn from_tokens(tokens: TokenStream) -> syn::Result<Self> {
        let mut out = SpecText { text: String::new(), pieces: Vec::new() };
        let mut glue = false;
        out.push_stream(tokens, &mut glue)?;
        Ok(out)
    }

    /// From a string literal: every offset maps to the whole literal (stable
    /// proc_macro cannot point inside a literal).
    pub fn from_literal(lit: &syn::LitStr) -> Self {
        let text = lit.value();
        let pieces = vec![(0..text.len().max(1), lit.span())];
        SpecText { text, pieces }
    }

    fn push(&mut self, piece: &str, span: Span, glue: &mut bool, joint: bool) {
        if !self.text.is_empty() && !*glue {
            self.text.push(' ');
        }
        let start = self.text.len();
        self.text.push_str(piece);
        self.pieces.push((start..self.text.len(), span));
        *glue = joint;
    }

    fn push_stream(&mut self, tokens: TokenStream, glue: &mut bool) -> syn::Result<()> {
        for tree in tokens {
            match tree {
                TokenTree::Ident(i) => self.push(&i.to_string(), i.span(), glue, false),
                TokenTree::Punct(p) => {
                    let joint = p.spacing() == proc_macro2::Spacing::Joint;
                    self.push(&p.as_char().to_string(), p.span(), glue, joint)
                }
                TokenTree::Literal(l) => {
                    let lit = syn::Lit::new(l.clone());
                    let text = match &lit {
                        syn::Lit::Int(i) if i.suffix().is_empty() => i.base10_digits().to_string(),
                        syn::Lit::Float(f) if f.suffix().is_empty() => f.base10_digits().to_string(),
                        syn::Lit::Int(_) | syn::Lit::Float(_) => {
                            return Err(syn::Error::new(
                                l.span(),
                                "a type suffix has no meaning here: the expression is generic over `foil::Float`; write the plain number",
                            ));
                        }
                        _ => return Err(syn::Error::new(l.span(), "expected a number, a variable, a function call or an operator")),
                    };
                    self.push(&text, l.span(), glue, false)
                }
                TokenTree::Group(g) => match g.delimiter() {
                    // A `None` group comes from a `$e:expr` of a macro_rules
                    // caller and must keep its precedence.
                    Delimiter::Parenthesis | Delimiter::None => {
                        self.push("(", g.span_open(), glue, false);
                        self.push_stream(g.stream(), glue)?;
                        self.push(")", g.span_close(), glue, false);
                    }
                    Delimiter::Bracket | Delimiter::Brace => {
                        return Err(syn::Error::new(g.span(), "SPEC expressions group with parentheses `( )` only"));
                    }
                },
            }
        }
        Ok(())
    }

    /// The spans of the first and last token covering `offset..offset+len`;
    /// an offset past the end (unexpected end of input) maps to the last token.
    pub fn locate(&self, offset: usize, len: usize) -> (Span, Span) {
        let at = |o: usize| self.pieces.iter().find(|(r, _)| o < r.end).or(self.pieces.last()).map_or_else(Span::call_site, |(_, s)| *s);
        let start = at(offset);
        let end = if len == 0 { start } else { at(offset + len - 1) };
        (start, end)
    }
}

/// An error covering `start..end` (two spans: stable proc_macro cannot join
/// them, but `syn` emits the error over both).
pub fn error_between(start: Span, end: Span, message: impl std::fmt::Display) -> syn::Error {
    let mut tokens = TokenStream::new();
    tokens.extend([TokenTree::Ident(proc_macro2::Ident::new("start", start)), TokenTree::Ident(proc_macro2::Ident::new("end", end))]);
    syn::Error::new_spanned(tokens, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn rust_tokens_become_spec_text() {
        let t = SpecText::from_tokens(quote!(x * sigmoid(1.702 * x) ^ 2 + where(x <= 0, 1e-3, x))).unwrap();
        assert_eq!(t.text, "x * sigmoid ( 1.702 * x ) ^ 2 + where ( x <= 0 , 1e-3 , x )");
    }

    #[test]
    fn offsets_map_back_to_tokens() {
        let t = SpecText::from_tokens(quote!(tanh(x) + 2)).unwrap();
        // "tanh ( x ) + 2": byte 11 is the `+`, 13 the `2`, 14 the end.
        let idx = |o: usize| t.pieces.iter().position(|(r, _)| o < r.end).unwrap_or(t.pieces.len() - 1);
        assert_eq!(&t.text[t.pieces[idx(11)].0.clone()], "+");
        assert_eq!(&t.text[t.pieces[idx(13)].0.clone()], "2");
        assert_eq!(idx(14), t.pieces.len() - 1);
        // Whitespace before a token belongs to that token.
        assert_eq!(&t.text[t.pieces[idx(10)].0.clone()], "+");
    }

    #[test]
    fn suffixes_and_brackets_are_refused() {
        assert!(SpecText::from_tokens(quote!(2.0f32 * x)).is_err());
        assert!(SpecText::from_tokens(quote!([x])).is_err());
    }
}
