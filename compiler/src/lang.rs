//! The one IR of foil: an `egg` language for real functions of one or more
//! variables, with piecewise constructs.
//!
//! Every stage (parser, differentiation, integration, HD-FGD, emission) reads and
//! writes [`Expr`] = `RecExpr<Math>`; the e-graph stages use the same [`Math`].
//!
//! ```
//! use foil_compiler::lang::{Expr, Math};
//! let e: Expr = "(+ (* 2 x) (exp x))".parse().unwrap();
//! assert!(matches!(e.as_ref().last(), Some(Math::Add(_))));
//! ```

use egg::{define_language, Id, Language, RecExpr, Symbol};
use ordered_float::NotNan;

/// A finite f64 literal (egg needs `Ord + Hash`, hence `NotNan`).
pub type Constant = NotNan<f64>;

define_language! {
    /// Operators, functions, comparisons, constants and variables of SPEC §1.
    ///
    /// Named activations (`sigmoid`, `gelu`, ...) are not nodes: the parser
    /// expands them to their definitions and the printer folds them back.
    pub enum Math {
        "+" = Add([Id; 2]),
        "-" = Sub([Id; 2]),
        "*" = Mul([Id; 2]),
        "/" = Div([Id; 2]),
        "^" = Pow([Id; 2]),
        "neg" = Neg(Id),

        "exp" = Exp(Id),
        "log" = Log(Id),
        "log1p" = Log1p(Id),
        "expm1" = Expm1(Id),
        "sqrt" = Sqrt(Id),
        "abs" = Abs(Id),
        "sign" = Sign(Id),
        "sin" = Sin(Id),
        "cos" = Cos(Id),
        "atan" = Atan(Id),
        "sinh" = Sinh(Id),
        "cosh" = Cosh(Id),
        "tanh" = Tanh(Id),
        "asinh" = Asinh(Id),
        "erf" = Erf(Id),
        "erfi" = Erfi(Id),

        "min" = Min([Id; 2]),
        "max" = Max([Id; 2]),
        // where(cond, then, else): the only piecewise primitive besides abs/sign/min/max.
        "where" = Where([Id; 3]),
        "<" = Lt([Id; 2]),
        "<=" = Le([Id; 2]),
        ">" = Gt([Id; 2]),
        ">=" = Ge([Id; 2]),

        "pi" = Pi,
        "e" = Euler,
        Num(Constant),
        Var(Symbol),
    }
}

/// An expression: a flat, children-before-parents list of [`Math`] nodes whose
/// last node is the root.
pub type Expr = RecExpr<Math>;

/// The unary elementary functions, by SPEC name, in one table so that the
/// parser, printer, evaluator and emitters agree.
pub const UNARY_FUNCTIONS: &[&str] = &[
    "exp", "log", "log1p", "expm1", "sqrt", "abs", "sign", "sin", "cos", "atan", "sinh", "cosh",
    "tanh", "asinh", "erf", "erfi",
];

/// Build a unary function node from its SPEC name.
pub fn unary(name: &str, a: Id) -> Option<Math> {
    Some(match name {
        "exp" => Math::Exp(a),
        "log" => Math::Log(a),
        "log1p" => Math::Log1p(a),
        "expm1" => Math::Expm1(a),
        "sqrt" => Math::Sqrt(a),
        "abs" => Math::Abs(a),
        "sign" => Math::Sign(a),
        "sin" => Math::Sin(a),
        "cos" => Math::Cos(a),
        "atan" => Math::Atan(a),
        "sinh" => Math::Sinh(a),
        "cosh" => Math::Cosh(a),
        "tanh" => Math::Tanh(a),
        "asinh" => Math::Asinh(a),
        "erf" => Math::Erf(a),
        "erfi" => Math::Erfi(a),
        _ => return None,
    })
}

/// The SPEC name of a unary function node (`None` for anything else).
pub fn unary_name(node: &Math) -> Option<&'static str> {
    Some(match node {
        Math::Exp(_) => "exp",
        Math::Log(_) => "log",
        Math::Log1p(_) => "log1p",
        Math::Expm1(_) => "expm1",
        Math::Sqrt(_) => "sqrt",
        Math::Abs(_) => "abs",
        Math::Sign(_) => "sign",
        Math::Sin(_) => "sin",
        Math::Cos(_) => "cos",
        Math::Atan(_) => "atan",
        Math::Sinh(_) => "sinh",
        Math::Cosh(_) => "cosh",
        Math::Tanh(_) => "tanh",
        Math::Asinh(_) => "asinh",
        Math::Erf(_) => "erf",
        Math::Erfi(_) => "erfi",
        _ => return None,
    })
}

/// The literal node for `v`. Non-finite values are a caller bug: callers check
/// finiteness first and report it as a user error.
pub fn num(v: f64) -> Math {
    // -0.0 and 0.0 print differently; the IR keeps one zero.
    let v = if v == 0.0 { 0.0 } else { v };
    Math::Num(NotNan::new(v).expect("finite literal"))
}

/// The variable node `name`.
pub fn var(name: &str) -> Math {
    Math::Var(Symbol::from(name))
}

/// The literal value of a node, if it is a number or a named constant.
pub fn literal_value(node: &Math) -> Option<f64> {
    match node {
        Math::Num(c) => Some(c.into_inner()),
        Math::Pi => Some(std::f64::consts::PI),
        Math::Euler => Some(std::f64::consts::E),
        _ => None,
    }
}

/// Is the subtree at `id` free of variables?
pub fn is_constant(expr: &Expr, id: Id) -> bool {
    match &expr[id] {
        Math::Var(_) => false,
        node => node.children().iter().all(|&c| is_constant(expr, c)),
    }
}

/// The variables in `expr`, in order of first appearance.
pub fn variables(expr: &Expr) -> Vec<Symbol> {
    let mut seen = Vec::new();
    for node in expr.as_ref() {
        if let Math::Var(s) = node {
            if !seen.contains(s) {
                seen.push(*s);
            }
        }
    }
    seen
}

/// The root id of an expression.
pub fn root(expr: &Expr) -> Id {
    Id::from(expr.as_ref().len() - 1)
}

/// Copy the subtree at `id` of `expr` into a fresh expression.
pub fn subtree(expr: &Expr, id: Id) -> Expr {
    let mut b = crate::build::Builder::new();
    b.copy(expr, id);
    b.finish()
}
