//! The macro input: `Name = EXPRESSION [, option = value]*`, where EXPRESSION
//! is Rust tokens up to the first top-level comma, or one string literal.

use crate::spec_text::SpecText;
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

pub struct Invocation {
    pub name: Ident,
    /// The expression's tokens, for errors about the expression as a whole.
    pub expression_tokens: TokenStream,
    pub source: SpecText,
    pub options: Vec<(Ident, Ident)>,
}

const USAGE: &str = "expected `Name = EXPRESSION`, e.g. `Tanh = tanh(x)`";

impl Invocation {
    pub fn parse(input: TokenStream) -> syn::Result<Self> {
        Parser::parse2(parse_invocation, input)
    }

    /// The value of option `key`, refusing any key not in `known`.
    pub fn option(&self, key: &str, known: &[&str]) -> syn::Result<Option<&Ident>> {
        for (k, _) in &self.options {
            if !known.contains(&k.to_string().as_str()) {
                let expected = if known.is_empty() { "this macro takes no options".to_string() } else { format!("expected one of: {}", known.join(", ")) };
                return Err(syn::Error::new(k.span(), format!("unknown option `{k}`; {expected}")));
            }
        }
        Ok(self.options.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v))
    }
}

fn parse_invocation(input: ParseStream) -> syn::Result<Invocation> {
    if input.is_empty() {
        return Err(syn::Error::new(Span::call_site(), USAGE));
    }
    // `Name =` exactly: an ident followed by a lone `=` (not `==`, `<=`).
    let fork = input.fork();
    let named = fork.parse::<Ident>().is_ok() && fork.peek(Token![=]) && !fork.peek(Token![==]);
    if !named {
        return Err(input.error(format!("{USAGE}: the activation needs a type name")));
    }
    let name: Ident = input.parse()?;
    input.parse::<Token![=]>()?;

    let expression_tokens = take_until_comma(input);
    if expression_tokens.is_empty() {
        return Err(input.error("expected an expression after `=`"));
    }
    let source = match as_string_literal(&expression_tokens) {
        Some(lit) => SpecText::from_literal(&lit),
        None => SpecText::from_tokens(expression_tokens.clone())?,
    };

    let mut options = Vec::new();
    while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: Ident = input.parse()?;
        options.push((key, value));
    }
    if !input.is_empty() {
        return Err(input.error("expected `,` and an option such as `mode = split`"));
    }
    Ok(Invocation { name, expression_tokens, source, options })
}

fn take_until_comma(input: ParseStream) -> TokenStream {
    let mut out = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        // A token tree always parses; groups keep their commas inside.
        if let Ok(tree) = input.parse::<TokenTree>() {
            out.extend([tree]);
        }
    }
    out
}

fn as_string_literal(tokens: &TokenStream) -> Option<LitStr> {
    let mut it = tokens.clone().into_iter();
    match (it.next(), it.next()) {
        (Some(TokenTree::Literal(l)), None) => match syn::Lit::new(l) {
            syn::Lit::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}
