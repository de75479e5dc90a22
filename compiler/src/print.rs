//! Printing expressions back to SPEC §1 syntax (which [`crate::parse::parse`]
//! reads back to the same values, bit for bit) and to LaTeX.
//!
//! Printing goes through a small owned tree ([`P`]) so that sign placement can
//! be normalised (`2*(-x)` prints as `-2*x`, `x + -2` as `x - 2`) using only
//! IEEE-exact identities, and so that named activations can be folded back
//! (`1/(1+exp(-x))` prints as `sigmoid(x)`) by the same activation table the
//! parser expands.
//!
//! ```
//! use foil_compiler::{parse::parse, print::{to_spec, to_spec_expanded, to_latex}};
//! let e = parse("x/(1+exp(-x)) + 2*(-x)^2").unwrap();
//! assert_eq!(to_spec(&e), "silu(x) + 2*(-x)^2");
//! assert_eq!(to_spec_expanded(&e), "x/(1 + exp(-x)) + 2*(-x)^2");
//! assert_eq!(to_latex(&parse("sqrt(x)/3").unwrap()), r"\frac{\sqrt{x}}{3}");
//! ```

mod fold;
mod latex;

pub use latex::{latex_variable, to_latex};

use crate::lang::{root, Cmp, Expr, Func, Math};
use egg::Id;
use std::collections::HashMap;

/// `expr` in SPEC syntax, with named activations folded back where shorter.
pub fn to_spec(expr: &Expr) -> String {
    text(&tree(expr, true))
}

/// `expr` in SPEC syntax, without folding named activations.
pub fn to_spec_expanded(expr: &Expr) -> String {
    text(&tree(expr, false))
}

/// The print tree: the IR with signs normalised and activations folded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum P {
    Num(f64),
    Pi,
    E,
    Var(String),
    Neg(Box<P>),
    Bin(Op, Box<P>, Box<P>),
    Call(Callee, Vec<P>),
}

/// What a call in the print tree calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Callee {
    Func(Func),
    /// `min`, `max` or `where` (first argument a comparison): the node, whose
    /// children are not read.
    Language(Math),
    /// A named activation, folded back.
    Activation(&'static str),
}

impl Callee {
    pub(crate) fn name(&self) -> String {
        match self {
            Callee::Func(f) => f.name().to_string(),
            Callee::Language(node) => node.to_string(),
            Callee::Activation(name) => name.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Cmp(Cmp),
}

impl Op {
    fn symbol(self) -> String {
        match self {
            Op::Add => " + ".into(),
            Op::Sub => " - ".into(),
            Op::Mul => "*".into(),
            Op::Div => "/".into(),
            Op::Pow => "^".into(),
            Op::Cmp(c) => format!(" {} ", c.symbol()),
        }
    }

    /// Binding strength: comparisons < `+ -` < `* /` < unary minus < `^`.
    pub(crate) fn prec(self) -> u8 {
        match self {
            Op::Cmp(_) => 0,
            Op::Add | Op::Sub => 1,
            Op::Mul | Op::Div => 2,
            Op::Pow => 4,
        }
    }
}

/// Precedence of unary minus (and of negative literals, which print with one).
pub(crate) const NEG_PREC: u8 = 3;
const ATOM_PREC: u8 = 5;

pub(crate) fn prec(p: &P) -> u8 {
    match p {
        P::Num(v) if v.is_sign_negative() && *v != 0.0 => NEG_PREC,
        P::Neg(_) => NEG_PREC,
        P::Bin(op, _, _) => op.prec(),
        _ => ATOM_PREC,
    }
}

/// Does `p` print with a leading minus sign?
pub(crate) fn starts_with_minus(p: &P) -> bool {
    match p {
        P::Num(v) => v.is_sign_negative() && *v != 0.0,
        P::Neg(_) => true,
        P::Bin(op, l, _) => !left_wrapped(*op, l) && starts_with_minus(l),
        _ => false,
    }
}

/// Does the left operand `l` of `op` need parentheses?
pub(crate) fn left_wrapped(op: Op, l: &P) -> bool {
    // `^` is right associative: `(a^b)^c` keeps its parentheses.
    prec(l) < op.prec() || (op == Op::Pow && prec(l) <= op.prec())
}

/// Build the print tree of `expr`.
pub(crate) fn tree(expr: &Expr, fold: bool) -> P {
    if expr.as_ref().is_empty() {
        return P::Num(f64::NAN);
    }
    let mut conv = Converter { expr, fold, memo: HashMap::new() };
    conv.convert(root(expr))
}

pub(crate) struct Converter<'a> {
    pub expr: &'a Expr,
    fold: bool,
    memo: HashMap<Id, P>,
}

impl Converter<'_> {
    pub(crate) fn convert(&mut self, id: Id) -> P {
        if let Some(p) = self.memo.get(&id) {
            return p.clone();
        }
        let expanded = self.expand(id);
        let p = match self.fold.then(|| fold::fold(self, id)).flatten() {
            Some(named) if text(&named).len() < text(&expanded).len() => named,
            _ => expanded,
        };
        self.memo.insert(id, p.clone());
        p
    }

    fn expand(&mut self, id: Id) -> P {
        let bin = |this: &mut Self, op, a: &Id, b: &Id| {
            let (a, b) = (this.convert(*a), this.convert(*b));
            binary(op, a, b)
        };
        match &self.expr[id] {
            Math::Num(c) => P::Num(c.into_inner()),
            Math::Pi => P::Pi,
            Math::Euler => P::E,
            Math::Var(s) => P::Var(s.as_str().to_string()),
            Math::Add([a, b]) => bin(self, Op::Add, a, b),
            Math::Sub([a, b]) => bin(self, Op::Sub, a, b),
            Math::Mul([a, b]) => bin(self, Op::Mul, a, b),
            Math::Div([a, b]) => bin(self, Op::Div, a, b),
            Math::Pow([a, b]) => bin(self, Op::Pow, a, b),
            Math::Compare(c, [a, b]) => bin(self, Op::Cmp(*c), a, b),
            Math::Neg(a) => match (self.convert(*a), &self.expr[*a]) {
                // `-(a + -2)`: printing the sum as `a - 2` would read back as
                // `2 - a` (the parser's normal form of a negated difference),
                // which differs in the sign of a zero result.
                (P::Bin(Op::Sub, l, r), Math::Add(_)) => match *r {
                    P::Num(v) => P::Neg(Box::new(P::Bin(Op::Add, l, Box::new(P::Num(-v))))),
                    r => negate(P::Bin(Op::Sub, l, Box::new(r))),
                },
                (p, _) => negate(p),
            },
            Math::Call(f, a) => P::Call(Callee::Func(*f), vec![self.convert(*a)]),
            node @ (Math::Min(_) | Math::Max(_) | Math::Where(_)) => {
                let args = egg::Language::children(node).iter().map(|c| self.convert(*c)).collect();
                P::Call(Callee::Language(node.clone()), args)
            }
        }
    }
}

/// `-p`, dropping double negation and folding into literals (exact in IEEE).
pub(crate) fn negate(p: P) -> P {
    match without_leading_minus(&p) {
        Some(q) => q,
        None => match p {
            P::Num(v) => P::Num(-v),
            P::Bin(Op::Mul, l, r) if matches!(*l, P::Num(_)) => P::Bin(Op::Mul, Box::new(negate(*l)), r),
            p => P::Neg(Box::new(p)),
        },
    }
}

/// `-p` where `p` is a negation, a negative literal, or a product or
/// quotient whose leftmost factor is one (`-0.25*e/d` is `-(0.25*e/d)`,
/// exactly in IEEE: negation commutes with rounding), so that a sum of it
/// prints as a difference (`1 - 0.25*exp(u)`, not `1 + (-0.25*exp(u))`).
/// A factor -1 goes with its sign (`1*b` is `b` in IEEE too).
fn without_leading_minus(p: &P) -> Option<P> {
    match p {
        P::Neg(inner) => Some((**inner).clone()),
        P::Bin(Op::Mul, l, r) if matches!(**l, P::Num(v) if v == -1.0) => Some((**r).clone()),
        P::Num(v) if *v < 0.0 => Some(P::Num(-v)),
        P::Bin(op @ (Op::Mul | Op::Div), l, r) => Some(P::Bin(*op, Box::new(without_leading_minus(l)?), r.clone())),
        _ => None,
    }
}

/// A binary node with signs moved where the parser puts them. Each rewrite is
/// an exact IEEE identity (`a + -b == a - b`, `a*(-b) == -(a*b)`), so the
/// printed form evaluates bit-identically.
fn binary(op: Op, a: P, b: P) -> P {
    if matches!(op, Op::Add | Op::Sub) {
        if let Some(b) = without_leading_minus(&b) {
            return binary(if op == Op::Add { Op::Sub } else { Op::Add }, a, b);
        }
    }
    match (op, a, b) {
        (Op::Mul | Op::Div, P::Neg(a), b) => negate(binary(op, *a, b)),
        (Op::Mul | Op::Div, a, P::Neg(b)) => negate(binary(op, a, *b)),
        // Literal factors first, numbers before `pi` before `e`: the order the
        // parser's builder produces, so printed products read back unchanged.
        (Op::Mul, a, b) if literal_rank(&b) < literal_rank(&a) => P::Bin(Op::Mul, Box::new(b), Box::new(a)),
        (op, a, b) => P::Bin(op, Box::new(a), Box::new(b)),
    }
}

fn literal_rank(p: &P) -> u8 {
    match p {
        P::Num(_) => 0,
        P::Pi => 1,
        P::E => 2,
        _ => 3,
    }
}

/// The shortest text that parses back to exactly `v`: Rust's shortest
/// round-trip digits, in plain or exponent form, whichever is shorter.
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let (plain, exp) = (format!("{}", v.abs()), format!("{:e}", v.abs()));
    let digits = if exp.len() < plain.len() { exp } else { plain };
    if v < 0.0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// Render a print tree as SPEC text with minimal parentheses.
pub(crate) fn text(p: &P) -> String {
    let mut out = String::new();
    write(p, &mut out);
    out
}

fn write(p: &P, out: &mut String) {
    match p {
        P::Num(v) => out.push_str(&number(*v)),
        P::Pi => out.push_str("pi"),
        P::E => out.push('e'),
        P::Var(name) => out.push_str(name),
        P::Neg(a) => {
            out.push('-');
            // `-a*b` reads back as `(-a)*b`, which is the same number, so a
            // product or quotient needs no parentheses; a sum or a second
            // minus does, and so does a product led by a parenthesised sum:
            // the parser would turn `-(x - y)` into `y - x`, which differs
            // from `-(x - y)` in the sign of a zero.
            let wrap = prec(a) < Op::Mul.prec() || starts_with_minus(a) || led_by_group(a);
            write_wrapped(a, wrap, out);
        }
        P::Bin(op, l, r) => {
            let p = op.prec();
            let right_assoc = *op == Op::Pow;
            let wrap_l = left_wrapped(*op, l);
            // Parenthesise a right operand of equal precedence (`a - (b - c)`,
            // `a/(b*c)`; also `a + (b + c)`, as floating point addition does
            // not associate) and any arithmetic right operand starting with a minus.
            // After a comparison a leading minus reads unambiguously (`x < -16`).
            let wrap_r = prec(r) < p || (!right_assoc && prec(r) == p) || (starts_with_minus(r) && p > 0);
            write_wrapped(l, wrap_l, out);
            out.push_str(&op.symbol());
            write_wrapped(r, wrap_r, out);
        }
        P::Call(callee, args) => {
            out.push_str(&callee.name());
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(a, out);
            }
            out.push(')');
        }
    }
}

/// Is `p` a product or quotient whose leftmost factor prints in parentheses?
fn led_by_group(p: &P) -> bool {
    match p {
        P::Bin(op @ (Op::Mul | Op::Div), l, _) => left_wrapped(*op, l) || led_by_group(l),
        _ => false,
    }
}

fn write_wrapped(p: &P, wrap: bool, out: &mut String) {
    if wrap {
        out.push('(');
        write(p, out);
        out.push(')');
    } else {
        write(p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn spec(src: &str) -> String {
        to_spec(&parse(src).unwrap_or_else(|e| panic!("{src}: {e}")))
    }

    #[test]
    fn minimal_parentheses() {
        assert_eq!(spec("exp((x))"), "exp(x)");
        assert_eq!(spec("x - (x^2 - 1)"), "x - (x^2 - 1)");
        assert_eq!(spec("(x - x^2) - 1"), "x - x^2 - 1");
        assert_eq!(spec("x/(2*x^3)"), "x/(2*x^3)");
        assert_eq!(spec("(x/2)*x"), "x/2*x");
        assert_eq!(spec("2^3^x"), "2^3^x");
        assert_eq!(spec("(2^x)^3"), "(2^x)^3");
        assert_eq!(spec("-x^2"), "-x^2");
        assert_eq!(spec("(-x)^2"), "(-x)^2");
        assert_eq!(spec("2^-x"), "2^(-x)");
        assert_eq!(spec("-(x + 1)*3"), "-3*(x + 1)");
        assert_eq!(spec("x + -2"), "x - 2");
        assert_eq!(spec("where(x < 0, -x, x^2)"), "where(x < 0, -x, x^2)");
    }

    /// A sum of a product or quotient led by a negative literal prints as a
    /// difference, and a negated one loses both minus signs: each an exact
    /// IEEE identity, so the text reads back to the same values.
    #[test]
    fn a_leading_minus_of_a_term_becomes_the_sums_sign() {
        for (src, want) in [
            ("1 + -0.25*exp(2*x)", "1 - 0.25*exp(2*x)"),
            ("1 - -0.25*exp(2*x)/(1 + x)", "1 + 0.25*exp(2*x)/(1 + x)"),
            ("-(-0.25*(2*exp(x))/(1 + x)^2)", "0.25*(2*exp(x))/(1 + x)^2"),
            ("x + (-x)*2", "x - 2*x"),
        ] {
            assert_eq!(spec(src), want, "{src}");
            let (a, b) = (parse(src).unwrap(), parse(want).unwrap());
            for x in [-3.5, -0.0, 0.0, 0.7, 2.0] {
                let (va, vb) = (crate::eval::eval1(&a, "x", x), crate::eval::eval1(&b, "x", x));
                assert_eq!(va.to_bits(), vb.to_bits(), "{src} at {x}");
            }
        }
        // The parser reads `-1*b` as `-b`; the e-graph's extraction can
        // leave the product (a split's SA printed `a - 1*exp(u2)`).
        let e: Expr = "(+ (exp x) (* -1 (exp (* 2 x))))".parse().unwrap();
        assert_eq!(to_spec(&e), "exp(x) - exp(2*x)");
        let back = parse("exp(x) - exp(2*x)").unwrap();
        for x in [-3.5, 0.0, 0.7, 2.0] {
            assert_eq!(crate::eval::eval1(&e, "x", x).to_bits(), crate::eval::eval1(&back, "x", x).to_bits(), "at {x}");
        }
    }

    #[test]
    fn numbers_round_trip() {
        for v in [0.1, 1.0 / 3.0, 1e-3, 1e300, 123456.75, 5e-324, f64::MAX, 0.044715] {
            let s = number(v);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
        }
        assert_eq!(number(1e-3), "1e-3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(-2.0), "-2");
    }

    #[test]
    fn folds_named_activations() {
        assert_eq!(spec("1/(1+exp(-(2*x)))"), "sigmoid(2*x)");
        assert_eq!(spec("log(1+exp(x^2))"), "softplus(x^2)");
        assert_eq!(spec("(x-1)/(1+exp(1-x))"), "silu(x - 1)");
        assert_eq!(spec("max(x, 0) + 1"), "relu(x) + 1");
        assert_eq!(spec("where(x > 0, x, exp(x) - 1)"), "elu(x)");
        assert_eq!(spec("elu(x, 2)"), "elu(x, 2)");
        assert_eq!(spec("leaky_relu(x, 0.01)"), "leaky_relu(x)");
        assert_eq!(spec("sigmoid(softplus(x))"), "sigmoid(softplus(x))");
        assert_eq!(to_spec_expanded(&parse("relu(x)").unwrap()), "max(x, 0)");
    }
}
