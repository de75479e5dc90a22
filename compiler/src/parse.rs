//! INTERIM SHIM (branch `macros`): a minimal SPEC §1 parser with the announced
//! API — `parse(&str) -> Result<Expr, ParseError>`, `ParseError { kind, span,
//! message }` implementing `miette::Diagnostic` — so that `foil-macros` and its
//! tests run before the real parser lands. On merge, take the `parse`
//! branch's version of this file wholesale.

use crate::build::Builder;
use crate::lang::{unary, Expr, Math, UNARY_FUNCTIONS};
use egg::Id;
use miette::SourceSpan;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
pub struct ParseError {
    pub kind: Kind,
    #[label("here")]
    pub span: SourceSpan,
    pub message: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    UnexpectedToken,
    UnknownFunction,
    Arity,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::UnexpectedToken => "unexpected_token",
            Kind::UnknownFunction => "unknown_function",
            Kind::Arity => "arity",
        }
    }
}

/// Named activations this shim expands: (name, arity).
const NAMED: &[(&str, usize)] = &[("sigmoid", 1), ("softplus", 1), ("relu", 1), ("leaky_relu", 2), ("silu", 1)];

pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { tokens: lex(text)?, pos: 0, b: Builder::new(), end: text.len() };
    let root = p.comparison()?;
    if let Some(t) = p.peek() {
        return Err(p.error(Kind::UnexpectedToken, t.start, t.text.len(), format!("unexpected `{}`", t.text)));
    }
    Ok(p.b.finish_at(root))
}

#[derive(Clone, Debug)]
struct Token {
    text: String,
    start: usize,
}

fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || ((bytes[i] == b'-' || bytes[i] == b'+') && matches!(bytes[i - 1], b'e' | b'E'))) {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
        } else if (c == '<' || c == '>') && bytes.get(i + 1) == Some(&b'=') {
            i += 2;
        } else if "+-*/^(),<>".contains(c) {
            i += 1;
        } else {
            let len = c.len_utf8().max(text[i..].chars().next().map_or(1, char::len_utf8));
            return Err(ParseError { kind: Kind::UnexpectedToken, span: (i, len).into(), message: format!("unexpected character `{}`", &text[i..i + len]), help: None });
        }
        out.push(Token { text: text[start..i].to_string(), start });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    b: Builder,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat(&mut self, s: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.text == s);
        self.pos += hit as usize;
        hit
    }

    fn error(&self, kind: Kind, at: usize, len: usize, message: String) -> ParseError {
        ParseError { kind, span: (at, len).into(), message, help: None }
    }

    fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat(s) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(t) => self.error(Kind::UnexpectedToken, t.start, t.text.len(), format!("expected `{s}`, found `{}`", t.text)),
            None => self.error(Kind::UnexpectedToken, self.end, 0, format!("expected `{s}`, found end of input")),
        })
    }

    fn comparison(&mut self) -> Result<Id, ParseError> {
        let a = self.sum()?;
        let op: Option<fn([Id; 2]) -> Math> = match self.peek().map(|t| t.text.as_str()) {
            Some("<") => Some(Math::Lt),
            Some("<=") => Some(Math::Le),
            Some(">") => Some(Math::Gt),
            Some(">=") => Some(Math::Ge),
            _ => None,
        };
        let Some(op) = op else { return Ok(a) };
        self.pos += 1;
        let b = self.sum()?;
        Ok(self.b.add(op([a, b])))
    }

    fn sum(&mut self) -> Result<Id, ParseError> {
        let mut a = self.product()?;
        loop {
            if self.eat("+") {
                let b = self.product()?;
                a = self.b.add(Math::Add([a, b]));
            } else if self.eat("-") {
                let b = self.product()?;
                a = self.b.add(Math::Sub([a, b]));
            } else {
                return Ok(a);
            }
        }
    }

    fn product(&mut self) -> Result<Id, ParseError> {
        let mut a = self.unary()?;
        loop {
            if self.eat("*") {
                let b = self.unary()?;
                a = self.b.add(Math::Mul([a, b]));
            } else if self.eat("/") {
                let b = self.unary()?;
                a = self.b.add(Math::Div([a, b]));
            } else {
                return Ok(a);
            }
        }
    }

    fn unary(&mut self) -> Result<Id, ParseError> {
        if self.eat("-") {
            let a = self.unary()?;
            return Ok(self.b.add(Math::Neg(a)));
        }
        let base = self.atom()?;
        if self.eat("^") {
            let e = self.unary()?; // right-associative
            return Ok(self.b.add(Math::Pow([base, e])));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Id, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error(Kind::UnexpectedToken, self.end, 0, "expected an expression, found end of input".into()));
        };
        self.pos += 1;
        let first = t.text.chars().next().unwrap_or(' ');
        if first.is_ascii_digit() || first == '.' {
            return match t.text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(self.b.num(v)),
                _ => Err(self.error(Kind::UnexpectedToken, t.start, t.text.len(), format!("`{}` is not a number", t.text))),
            };
        }
        if t.text == "(" {
            let e = self.comparison()?;
            self.expect(")")?;
            return Ok(e);
        }
        if !(first.is_ascii_alphabetic() || first == '_') {
            return Err(self.error(Kind::UnexpectedToken, t.start, t.text.len(), format!("expected an expression, found `{}`", t.text)));
        }
        if !self.eat("(") {
            return Ok(match t.text.as_str() {
                "pi" => self.b.add(Math::Pi),
                "e" => self.b.add(Math::Euler),
                name => self.b.var(name),
            });
        }
        let mut args = vec![self.comparison()?];
        while self.eat(",") {
            args.push(self.comparison()?);
        }
        self.expect(")")?;
        self.call(&t, &args)
    }

    fn call(&mut self, name: &Token, args: &[Id]) -> Result<Id, ParseError> {
        let arity = match name.text.as_str() {
            n if UNARY_FUNCTIONS.contains(&n) => 1,
            "min" | "max" => 2,
            "where" => 3,
            n => match NAMED.iter().find(|(m, _)| *m == n) {
                Some((_, k)) => *k,
                None => {
                    let mut e = self.error(Kind::UnknownFunction, name.start, name.text.len(), format!("unknown function `{n}`"));
                    e.help = closest(n).map(|s| format!("did you mean `{s}`?"));
                    return Err(e);
                }
            },
        };
        if args.len() != arity {
            let s = if arity == 1 { "" } else { "s" };
            return Err(self.error(Kind::Arity, name.start, name.text.len(), format!("`{}` takes {arity} argument{s}, found {}", name.text, args.len())));
        }
        let b = &mut self.b;
        Ok(match name.text.as_str() {
            "min" => b.add(Math::Min([args[0], args[1]])),
            "max" => b.add(Math::Max([args[0], args[1]])),
            "where" => b.add(Math::Where([args[0], args[1], args[2]])),
            "sigmoid" => sigmoid(b, args[0]),
            "silu" => {
                let s = sigmoid(b, args[0]);
                b.add(Math::Mul([args[0], s]))
            }
            "softplus" => {
                let e = b.add(Math::Exp(args[0]));
                let one = b.num(1.0);
                let s = b.add(Math::Add([one, e]));
                b.add(Math::Log(s))
            }
            "relu" => {
                let zero = b.num(0.0);
                b.add(Math::Max([args[0], zero]))
            }
            "leaky_relu" => {
                let zero = b.num(0.0);
                let c = b.add(Math::Gt([args[0], zero]));
                let s = b.add(Math::Mul([args[1], args[0]]));
                b.add(Math::Where([c, args[0], s]))
            }
            n => b.add(unary(n, args[0]).expect("checked above")),
        })
    }
}

fn sigmoid(b: &mut Builder, a: Id) -> Id {
    let na = b.add(Math::Neg(a));
    let e = b.add(Math::Exp(na));
    let one = b.num(1.0);
    let d = b.add(Math::Add([one, e]));
    b.add(Math::Div([one, d]))
}

/// The known function name nearest to `name` (edit distance ≤ 2).
fn closest(name: &str) -> Option<&'static str> {
    let known = UNARY_FUNCTIONS.iter().copied().chain(["min", "max", "where"]).chain(NAMED.iter().map(|(n, _)| *n));
    known.map(|k| (edit_distance(name, k), k)).filter(|(d, _)| *d <= 2).min().map(|(_, k)| k)
}

/// Optimal-string-alignment distance: a swap of neighbours (`tahn`) costs 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = (a[i - 1] != b[j - 1]) as usize;
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
