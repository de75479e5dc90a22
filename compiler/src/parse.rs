//! The SPEC §1 parser: a tokenizer and a recursive-descent (precedence
//! climbing) parser that builds an [`Expr`] through [`Builder`].
//!
//! Precedence, loosest first: `+ -`, `* /`, unary `- +`, `^` (right
//! associative, so `-x^2` is `-(x^2)` and `2^-x` is allowed). Comparisons
//! exist only as the first argument of `where`. Named activations expand to
//! their table definitions ([`crate::activations`]).
//!
//! ```
//! use foil_compiler::{eval::eval1, parse::parse};
//! let e = parse("leaky_relu(x) + 2^-x^2").unwrap();
//! assert_eq!(eval1(&e, "x", -1.0), -0.01 + 0.5);
//! assert_eq!(parse("sigmoid(x)").unwrap(), parse("1/(1+exp(-x))").unwrap());
//! ```
//!
//! Hostile input is bounded: see [`MAX_INPUT_BYTES`], [`MAX_DEPTH`],
//! [`MAX_TREE_DEPTH`] and [`MAX_NODES`]. The parser never panics.

mod error;
mod lex;

pub use error::{ParseError, ParseErrorKind, Span};

use crate::activations::{lookup, named_activations, NamedActivation};
use crate::build::Builder;
use crate::eval::eval;
use crate::lang::{is_constant, root, Cmp, Expr, Func, Math};
use egg::{Id, Language, RecExpr, Symbol};
use error::{did_you_mean, fail, fail_help, Fail, PResult, ParseErrorKind as K};
use lex::{tokenize, Tok, Token};
use std::ops::Range;
use std::sync::OnceLock;

/// Longest accepted input, in bytes.
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Deepest syntactic nesting (parentheses, calls, unary operators, `^`
/// exponents), checked before recursing so the parser's stack stays bounded.
pub const MAX_DEPTH: usize = 200;
/// Deepest expression tree the parser returns: downstream passes recurse over
/// the tree, and a long `+` chain is as deep as it is long.
pub const MAX_TREE_DEPTH: usize = 400;
/// Most nodes (after sharing equal subtrees) the parser returns.
pub const MAX_NODES: usize = 20_000;
/// Most nodes the parser builds on the way, folded-away ones included.
const BUILDER_NODE_LIMIT: usize = 4 * MAX_NODES;

/// Parse an expression of SPEC §1 over `x` and `u1`, `u2`, ….
///
/// Constant subexpressions that are not finite (`1/0`, `log(0)`) are errors;
/// a constant whole expression (`2+3`) is not — see [`require_variable`].
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    parse_with(src, &Vars::Input).map_err(|f| f.with_source(src))
}

/// An activation as users name it: an expression in `x`, or the bare name
/// of a function or named activation (`tanh`, `gelu`, `leaky_relu`), which
/// means `name(x)` with the defaults of its other parameters, the way torch
/// names activations. Anything else is [`parse`]d as it is, with its errors.
///
/// ```
/// use foil_compiler::{parse::parse_activation, print::to_spec};
/// assert_eq!(to_spec(&parse_activation("tanh").unwrap()), "tanh(x)");
/// assert_eq!(to_spec(&parse_activation(" silu ").unwrap()), "silu(x)");
/// assert_eq!(to_spec(&parse_activation("x*tanh(x)").unwrap()), "x*tanh(x)");
/// assert!(parse_activation("tahn").is_err());
/// ```
pub fn parse_activation(src: &str) -> Result<Expr, ParseError> {
    let name = src.trim();
    let takes_x_alone = name.parse::<Func>().is_ok() || lookup(name).is_some_and(|a| a.arity().contains(&1));
    if takes_x_alone {
        return parse(&format!("{name}(x)"));
    }
    parse(src)
}

/// Reject an expression without any variable (`2+3`), for callers that need a
/// function. `src` is the text `expr` was parsed from, for the diagnostic.
///
/// ```
/// use foil_compiler::parse::{parse, require_variable, ParseErrorKind};
/// let src = "2 + 3";
/// let err = require_variable(&parse(src).unwrap(), src).unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::ConstantExpression);
/// assert!(require_variable(&parse("x").unwrap(), "x").is_ok());
/// ```
pub fn require_variable(expr: &Expr, src: &str) -> Result<(), ParseError> {
    if expr.as_ref().is_empty() || is_constant(expr, root(expr)) {
        let trimmed = src.trim();
        let start = src.len() - src.trim_start().len();
        let fail = Fail {
            kind: K::ConstantExpression,
            span: start..start + trimmed.len(),
            message: "the expression has no variable".to_string(),
            help: Some("an activation is a function of `x`, e.g. `tanh(x)`".to_string()),
        };
        return Err(fail.with_source(src));
    }
    Ok(())
}

/// A named activation's definition, parsed once, as an expression over its
/// parameter names.
pub(crate) struct Template {
    pub act: &'static NamedActivation,
    pub expr: Expr,
    pub params: Vec<Symbol>,
}

/// All activation templates, in table order.
pub(crate) fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        named_activations()
            .iter()
            .map(|act| {
                let params: Vec<Symbol> = act.params.iter().map(|(p, _)| Symbol::from(*p)).collect();
                let expr = parse_with(act.definition, &Vars::Params(act.params))
                    .unwrap_or_else(|f| panic!("activation table: `{}` does not parse: {}", act.definition, f.message));
                Template { act, expr, params }
            })
            .collect()
    })
}

fn template(name: &str) -> Option<&'static Template> {
    templates().iter().find(|t| t.act.name == name)
}

/// Which names are variables, and whether activation calls may appear.
enum Vars {
    /// User input: `x`, `u1`, `u2`, …; activations expand.
    Input,
    /// A table definition: its parameter names; no activation calls (a
    /// definition using another would re-enter the template table).
    Params(&'static [(&'static str, Option<f64>)]),
}

impl Vars {
    fn allows(&self, name: &str) -> bool {
        match self {
            Vars::Input => name == "x" || is_split_variable(name),
            Vars::Params(ps) => ps.iter().any(|(p, _)| *p == name),
        }
    }
}

/// `u1`, `u2`, … (no `u0`, no leading zeros): the HD-FGD split inputs.
fn is_split_variable(name: &str) -> bool {
    name.strip_prefix('u').is_some_and(|n| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_with(src: &str, vars: &Vars) -> PResult<Expr> {
    if src.len() > MAX_INPUT_BYTES {
        let mut start = MAX_INPUT_BYTES;
        while !src.is_char_boundary(start) {
            start -= 1;
        }
        return fail(K::TooLarge, start..src.len(), format!("the input is {} bytes; at most {MAX_INPUT_BYTES} are accepted", src.len()));
    }
    if src.trim().is_empty() {
        return fail(K::Empty, 0..src.len(), "the input is empty: expected an expression such as `tanh(x)`");
    }
    let toks = tokenize(src)?;
    check_parens(&toks)?;
    let mut p = Parser { src, toks, pos: 0, depth: 0, b: Builder::new(), tree_depth: Vec::new(), vars };
    let top = p.sum()?;
    p.expect_end()?;
    let expr = p.b.finish_at(top.id);
    if expr.as_ref().len() > MAX_NODES {
        return fail(K::TooLarge, top.span, format!("the expression has {} nodes; at most {MAX_NODES} are accepted", expr.as_ref().len()));
    }
    Ok(expr)
}

/// Report unbalanced parentheses up front, where the mismatch is, rather than
/// as whatever token the parser happens to meet instead.
fn check_parens(toks: &[Token]) -> PResult<()> {
    let mut open = Vec::new();
    for t in toks {
        match t.tok {
            Tok::LParen => open.push(t.span.clone()),
            Tok::RParen if open.pop().is_none() => {
                return fail(K::UnbalancedParen, t.span.clone(), "this `)` has no matching `(`");
            }
            _ => {}
        }
    }
    if let Some(first) = open.first() {
        let n = open.len();
        let msg = if n == 1 { "this `(` is never closed".to_string() } else { format!("this `(` and {} more are never closed", n - 1) };
        return fail_help(K::UnbalancedParen, first.clone(), msg, format!("add {n} `)`"));
    }
    Ok(())
}

/// A parsed subexpression: its node, its source span, and its value when it
/// has no variable (computed on the tree as written, before any folding, so
/// that `0*log(0)` still reports `log(0)`).
struct Sub {
    id: Id,
    span: Range<usize>,
    value: Option<f64>,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Current syntactic nesting, bounded by MAX_DEPTH.
    depth: usize,
    b: Builder,
    /// Tree depth of every builder node, by id, kept in step with the builder.
    tree_depth: Vec<usize>,
    vars: &'a Vars,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn text(&self, span: &Range<usize>) -> &'a str {
        &self.src[span.clone()]
    }

    /// Enter one syntactic nesting level at token `at`, refusing past MAX_DEPTH.
    fn enter(&mut self, at: &Range<usize>) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            return fail(K::TooDeep, at.clone(), format!("the expression is nested more than {MAX_DEPTH} levels deep"));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // sum := product (('+' | '-') product)*
    fn sum(&mut self) -> PResult<Sub> {
        let mut lhs = self.product()?;
        loop {
            let op = self.peek().tok;
            if !matches!(op, Tok::Plus | Tok::Minus) {
                return Ok(lhs);
            }
            self.bump();
            let rhs = self.product()?;
            let id = if op == Tok::Plus { self.b.add_(lhs.id, rhs.id) } else { self.b.sub(lhs.id, rhs.id) };
            let mk = if op == Tok::Plus { Math::Add } else { Math::Sub };
            lhs = self.finish_node(id, lhs.span.start..rhs.span.end, &[&lhs, &rhs], |c| mk([c[0], c[1]]))?;
        }
    }

    // product := unary (('*' | '/') unary)*
    fn product(&mut self) -> PResult<Sub> {
        let mut lhs = self.unary()?;
        loop {
            let op = self.peek().tok;
            if !matches!(op, Tok::Star | Tok::Slash) {
                return Ok(lhs);
            }
            self.bump();
            let rhs = self.unary()?;
            // A constant divisor that is zero makes a function infinite or NaN
            // everywhere (`x/0`); a constant quotient (`1/0`) is caught below
            // as a non-finite constant.
            if op == Tok::Slash && rhs.value == Some(0.0) && lhs.value.is_none() {
                let span = lhs.span.start..rhs.span.end;
                let text = shorten(self.text(&span));
                return fail_help(
                    K::DivisionByZero,
                    span,
                    format!("`{text}` divides by zero (the divisor is the constant 0)"),
                    "the result would be infinite or NaN for every x",
                );
            }
            let id = if op == Tok::Star { self.b.mul(lhs.id, rhs.id) } else { self.b.div(lhs.id, rhs.id) };
            let mk = if op == Tok::Star { Math::Mul } else { Math::Div };
            lhs = self.finish_node(id, lhs.span.start..rhs.span.end, &[&lhs, &rhs], |c| mk([c[0], c[1]]))?;
        }
    }

    // unary := ('-' | '+') unary | power
    fn unary(&mut self) -> PResult<Sub> {
        let t = self.peek().clone();
        if !matches!(t.tok, Tok::Minus | Tok::Plus) {
            return self.power();
        }
        self.enter(&t.span)?;
        self.bump();
        let operand = self.unary()?;
        self.leave();
        let span = t.span.start..operand.span.end;
        if t.tok == Tok::Plus {
            return Ok(Sub { span, ..operand });
        }
        let id = self.b.neg(operand.id);
        self.finish_node(id, span, &[&operand], |c| Math::Neg(c[0]))
    }

    // power := primary ('^' unary)?   (right associative through unary)
    fn power(&mut self) -> PResult<Sub> {
        let base = self.primary()?;
        let t = self.peek().clone();
        if t.tok != Tok::Caret {
            return Ok(base);
        }
        self.enter(&t.span)?;
        self.bump();
        let exponent = self.unary()?;
        self.leave();
        let id = self.b.pow(base.id, exponent.id);
        self.finish_node(id, base.span.start..exponent.span.end, &[&base, &exponent], |c| Math::Pow([c[0], c[1]]))
    }

    fn primary(&mut self) -> PResult<Sub> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Num(v) => {
                self.bump();
                let id = self.b.num(v);
                self.finish_node(id, t.span, &[], |_| crate::lang::num(v))
            }
            Tok::LParen => {
                self.enter(&t.span)?;
                self.bump();
                let inner = self.sum()?;
                self.expect_close("`)`")?;
                let close = self.bump();
                self.leave();
                Ok(Sub { span: t.span.start..close.span.end, ..inner })
            }
            Tok::Ident => {
                self.bump();
                if self.peek().tok == Tok::LParen {
                    self.call(t.span)
                } else {
                    self.name(t.span)
                }
            }
            _ => self.missing_operand(&t),
        }
    }

    /// The error for a token that cannot start an operand.
    fn missing_operand<T>(&self, t: &Token) -> PResult<T> {
        let found = t.tok.describe(self.text(&t.span));
        let prev = self.pos.checked_sub(1).map(|i| &self.toks[i]);
        match prev {
            Some(p) if matches!(p.tok, Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Caret) => {
                let op = self.text(&p.span);
                if matches!(t.tok, Tok::Eof | Tok::RParen | Tok::Comma) {
                    fail(K::TrailingOperator, p.span.clone(), format!("expected an expression after `{op}`"))
                } else {
                    fail(K::UnexpectedToken, t.span.clone(), format!("expected an expression after `{op}`, found {found}"))
                }
            }
            Some(p) if p.tok == Tok::Comma => fail(K::UnexpectedToken, t.span.clone(), format!("expected an argument after `,`, found {found}")),
            _ => fail(K::UnexpectedToken, t.span.clone(), format!("expected an expression, found {found}")),
        }
    }

    /// After a complete operand where `closer` (e.g. "`)`") must follow.
    fn expect_close(&self, closer: &str) -> PResult<()> {
        let t = self.peek();
        match t.tok {
            Tok::RParen => Ok(()),
            tok if tok.is_comparison() => self.comparison_outside_where(t),
            _ => {
                let found = t.tok.describe(self.text(&t.span));
                fail_help(K::UnexpectedToken, t.span.clone(), format!("expected an operator or {closer}, found {found}"), "products need an explicit `*`")
            }
        }
    }

    fn expect_end(&self) -> PResult<()> {
        let t = self.peek();
        match t.tok {
            Tok::Eof => Ok(()),
            tok if tok.is_comparison() => self.comparison_outside_where(t),
            _ => {
                let found = t.tok.describe(self.text(&t.span));
                fail_help(
                    K::UnexpectedToken,
                    t.span.clone(),
                    format!("expected an operator or the end of the input, found {found}"),
                    "products need an explicit `*`",
                )
            }
        }
    }

    fn comparison_outside_where<T>(&self, t: &Token) -> PResult<T> {
        fail_help(
            K::ComparisonOutsideWhere,
            t.span.clone(),
            format!("comparison `{}` outside `where`", self.text(&t.span)),
            "comparisons are only allowed as the condition of `where(cond, a, b)`",
        )
    }

    /// An identifier not followed by `(`: a constant or a variable.
    fn name(&mut self, span: Range<usize>) -> PResult<Sub> {
        let name = self.text(&span);
        let node = match name {
            "pi" => Math::Pi,
            "e" => Math::Euler,
            _ if self.vars.allows(name) => crate::lang::var(name),
            _ if is_function(name, self.vars) => {
                return fail_help(K::UnexpectedToken, span, format!("`{name}` is a function: expected `(` after it"), format!("call it as `{name}(x)`"))
            }
            _ => {
                let names = function_names(self.vars);
                let help = match did_you_mean(name, names.iter().map(String::as_str)) {
                    Some(f) => format!("did you mean `{f}(...)`?"),
                    None => "the variable is `x` (or `u1`, `u2`, … after a split)".to_string(),
                };
                return fail_help(K::UnknownVariable, span, format!("unknown variable `{name}`"), help);
            }
        };
        let id = self.b.add(node.clone());
        self.finish_node(id, span, &[], |_| node.clone())
    }

    /// `name(args)`, the `(` being the next token.
    fn call(&mut self, name_span: Range<usize>) -> PResult<Sub> {
        let name = self.text(&name_span);
        let act = match self.vars {
            Vars::Input => lookup(name),
            Vars::Params(_) => None,
        };
        // What the name calls: an elementary function, a call of the language
        // (`min`, `max`, `where`), or a named activation.
        let func = name.parse::<Func>().ok();
        let language_call = Math::calls().into_iter().find(|(node, _)| node.to_string() == name);
        let arity = match (func, &language_call, act) {
            (Some(_), _, _) => 1..=1,
            (_, Some((_, n)), _) => *n..=*n,
            (_, _, Some(a)) => a.arity(),
            _ => {
                let msg = format!("unknown function `{name}`");
                let names = function_names(self.vars);
                return match did_you_mean(name, names.iter().map(String::as_str)) {
                    Some(f) => fail_help(K::UnknownFunction, name_span, msg, format!("did you mean `{f}`?")),
                    None => fail_help(K::UnknownFunction, name_span, msg, format!("the functions are {}", names.join(", "))),
                };
            }
        };
        let is_where = matches!(language_call, Some((Math::Where(_), _)));
        let open = self.bump();
        self.enter(&open.span)?;
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                let arg = if is_where && args.is_empty() { self.condition()? } else { self.sum()? };
                args.push(arg);
                if self.peek().tok != Tok::Comma {
                    break;
                }
                self.bump();
            }
        }
        self.expect_close("`,` or `)`")?;
        let close = self.bump();
        self.leave();
        let span = name_span.start..close.span.end;
        if !arity.contains(&args.len()) {
            let takes = match (arity.start(), arity.end()) {
                (1, 1) => "1 argument".to_string(),
                (a, b) if a == b => format!("{a} arguments"),
                (a, b) => format!("{a} to {b} arguments"),
            };
            let usage = match (act, &language_call) {
                (Some(a), _) => a.signature(),
                (_, Some((Math::Where(_), _))) => format!("{name}(x > 0, a, b)"),
                (_, Some(_)) => format!("{name}(a, b)"),
                _ => format!("{name}(x)"),
            };
            return fail(K::WrongArity, span, format!("`{name}` takes {takes}: {usage} (got {})", args.len()));
        }
        let refs: Vec<&Sub> = args.iter().collect();
        if let Some(f) = func {
            let id = self.b.call(f, args[0].id);
            return self.finish_node(id, span, &refs, |c| Math::Call(f, c[0]));
        }
        match language_call {
            Some((node, _)) => {
                let ids: Vec<Id> = args.iter().map(|a| a.id).collect();
                let mut node = node;
                node.children_mut().copy_from_slice(&ids);
                let id = self.b.add(node.clone());
                self.finish_node(id, span, &refs, |c| {
                    let mut n = node.clone();
                    n.children_mut().copy_from_slice(c);
                    n
                })
            }
            None => self.expand(act.expect("checked above"), span, &args),
        }
    }

    /// `a < b` etc., the condition of `where`.
    fn condition(&mut self) -> PResult<Sub> {
        let lhs = self.sum()?;
        let op = self.peek().clone();
        let cmp = match op.tok {
            Tok::Lt => Cmp::Lt,
            Tok::Le => Cmp::Le,
            Tok::Gt => Cmp::Gt,
            Tok::Ge => Cmp::Ge,
            _ => return fail_help(K::WhereWithoutComparison, lhs.span, "the condition of `where` must be a comparison", "write e.g. `where(x > 0, a, b)`"),
        };
        self.bump();
        let rhs = self.sum()?;
        let mk = |c: [Id; 2]| Math::Compare(cmp, c);
        let id = self.b.add(mk([lhs.id, rhs.id]));
        self.finish_node(id, lhs.span.start..rhs.span.end, &[&lhs, &rhs], |c| mk([c[0], c[1]]))
    }

    /// Substitute the arguments (defaults for the missing ones) into the
    /// activation's template.
    fn expand(&mut self, act: &NamedActivation, span: Range<usize>, args: &[Sub]) -> PResult<Sub> {
        let t = template(act.name).expect("every table entry has a template");
        let mut bound: Vec<(Symbol, Id, Option<f64>)> = Vec::new();
        for (i, (sym, (_, default))) in t.params.iter().zip(act.params).enumerate() {
            let (id, value) = match args.get(i) {
                Some(a) => (a.id, a.value),
                None => {
                    let d = default.expect("arity checked");
                    (self.b.num(d), Some(d))
                }
            };
            bound.push((*sym, id, value));
        }
        let ids: Vec<(Symbol, Id)> = bound.iter().map(|(s, id, _)| (*s, *id)).collect();
        let id = self.b.substitute(&t.expr, root(&t.expr), &|_, s| ids.iter().find(|(p, _)| *p == s).map(|(_, id)| *id));
        let value = if bound.iter().all(|(_, _, v)| v.is_some()) {
            Some(eval(&t.expr, &|s| bound.iter().find(|(p, _, _)| *p == s).and_then(|(_, _, v)| *v).unwrap_or(f64::NAN)))
        } else {
            None
        };
        self.check(id, span, value)
    }

    /// Complete a node: compute its value if all children are constant (by
    /// evaluating the node as written on the children's values) and check it.
    fn finish_node(&mut self, id: Id, span: Range<usize>, children: &[&Sub], node: impl Fn(&[Id]) -> Math) -> PResult<Sub> {
        let values: Option<Vec<f64>> = children.iter().map(|c| c.value).collect();
        let value = values.and_then(|vs| {
            let mut mini: RecExpr<Math> = RecExpr::default();
            let ids: Vec<Id> = vs.iter().map(|&v| mini.add(crate::lang::num(v))).collect();
            let top = node(&ids);
            if let Math::Var(_) = top {
                return None;
            }
            mini.add(top);
            Some(eval(&mini, &|_| f64::NAN))
        });
        self.check(id, span, value)
    }

    /// Enforce the non-finite-constant, tree-depth and size limits on `id`.
    fn check(&mut self, id: Id, span: Range<usize>, value: Option<f64>) -> PResult<Sub> {
        if let Some(v) = value {
            if !v.is_finite() {
                let text = shorten(self.text(&span));
                return fail_help(
                    K::NonFiniteConstant,
                    span,
                    format!("`{text}` is not finite (it evaluates to {v})"),
                    "constants must evaluate to finite numbers",
                );
            }
        }
        let nodes = self.b.nodes().as_ref();
        // The builder also holds nodes that folding left unreachable (`1 + 1`
        // keeps `1` and `2`); the result is checked against MAX_NODES at the
        // end, this bounds the work on the way.
        if nodes.len() > BUILDER_NODE_LIMIT {
            return fail(K::TooLarge, span, format!("the expression has more than {MAX_NODES} nodes"));
        }
        for node in &nodes[self.tree_depth.len()..] {
            let d = 1 + egg::Language::children(node).iter().map(|c| self.tree_depth[usize::from(*c)]).max().unwrap_or(0);
            self.tree_depth.push(d);
        }
        if self.tree_depth[usize::from(id)] > MAX_TREE_DEPTH {
            return fail_help(
                K::TooDeep,
                span,
                format!("the expression tree is more than {MAX_TREE_DEPTH} levels deep"),
                "a long chain like `a + b + c + …` is as deep as it is long",
            );
        }
        Ok(Sub { id, span, value })
    }
}

/// The first 40 characters of `s` (ASCII by the time spans exist).
fn shorten(s: &str) -> String {
    if s.len() <= 40 {
        s.to_string()
    } else {
        format!("{}…", &s[..37])
    }
}

fn is_function(name: &str, vars: &Vars) -> bool {
    function_names(vars).iter().any(|f| f == name)
}

/// Every callable name, for lookup and for suggestions: the elementary
/// functions, the calls of the language and, in input, the named activations.
fn function_names(vars: &Vars) -> Vec<String> {
    let acts = named_activations().iter().map(|a| a.name).filter(move |_| matches!(vars, Vars::Input));
    Func::ALL.iter().map(|f| f.name().to_string()).chain(Math::calls().iter().map(|(node, _)| node.to_string())).chain(acts.map(str::to_string)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::eval1;

    fn at(src: &str, x: f64) -> f64 {
        eval1(&parse(src).unwrap_or_else(|e| panic!("{src}: {e}")), "x", x)
    }

    #[test]
    fn precedence() {
        assert_eq!(at("-x^2", 3.0), -9.0);
        assert_eq!(at("2^-x", 1.0), 0.5);
        assert_eq!(at("2^3^2", 0.0), 512.0);
        assert_eq!(at("1 - 2 - x", 3.0), -4.0);
        assert_eq!(at("8 / 2 / x", 2.0), 2.0);
        assert_eq!(at("-2*x + +x", 1.0), -1.0);
        assert_eq!(at("e^x * pi", 0.0), std::f64::consts::PI);
    }

    #[test]
    fn functions_and_where() {
        assert_eq!(at("where(x >= 1, min(x, 2), max(-x, 0))", 5.0), 2.0);
        assert_eq!(at("where(x >= 1, min(x, 2), max(-x, 0))", -3.0), 3.0);
        assert_eq!(at("where(2*x < 1, 1, 0)", 0.4), 1.0);
        assert_eq!(at("sqrt(abs(x))", -4.0), 2.0);
    }

    #[test]
    fn activations_expand_with_defaults() {
        assert_eq!(at("elu(x)", -1.0), (-1.0f64).exp() - 1.0);
        assert_eq!(at("elu(x, 2)", -1.0), 2.0 * ((-1.0f64).exp() - 1.0));
        assert_eq!(at("leaky_relu(x, 0.2)", -1.0), -0.2);
        assert_eq!(at("relu(x - 1)", 3.0), 2.0);
        assert_eq!(at("sigmoid(0) + x", 0.0), 0.5);
    }

    #[test]
    fn split_variables() {
        let e = parse("u1 + u12*x").unwrap();
        assert_eq!(crate::lang::variables(&e).len(), 3);
        assert_eq!(parse("u0").unwrap_err().kind, K::UnknownVariable);
        assert_eq!(parse("u").unwrap_err().kind, K::UnknownVariable);
    }

    #[test]
    fn every_table_entry_parses() {
        assert_eq!(templates().len(), named_activations().len());
        for a in named_activations() {
            let e = parse(&format!("{}(x)", a.name)).unwrap();
            assert!(eval1(&e, "x", 0.7).is_finite(), "{}", a.name);
        }
    }

    #[test]
    fn folding_does_not_hide_non_finite_constants() {
        let e = parse("0*log(0) + x").unwrap_err();
        assert_eq!((e.kind, e.span.offset(), e.span.len()), (K::NonFiniteConstant, 2, 6));
        assert_eq!(parse("0/0 + x").unwrap_err().kind, K::NonFiniteConstant);
        assert_eq!(parse("softplus(1000) + x").unwrap_err().kind, K::NonFiniteConstant);
        // Inner overflow of a named activation is not the user's subexpression.
        assert!(parse("sigmoid(-1000) + x").is_ok());
    }
}
