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

/// Declares [`Func`]: each elementary function of one argument is named here
/// and nowhere else. The parser, printer, evaluator, differentiation, the
/// safe-form lowering and every code generator dispatch on the variant, with
/// exhaustive matches, so adding a function is this one line plus its maths
/// (the compiler points at every match that lacks it).
macro_rules! elementary_functions {
    ($($variant:ident = $name:literal,)*) => {
        /// The elementary functions of SPEC §1, the children of [`Math::Call`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Func {
            $($variant,)*
        }

        impl Func {
            /// Every function, in the order of SPEC §1.
            pub const ALL: &'static [Func] = &[$(Func::$variant,)*];

            /// The SPEC name (`"tanh"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Func::$variant => $name,)*
                }
            }
        }
    };
}

elementary_functions! {
    Exp = "exp",
    Log = "log",
    Log1p = "log1p",
    Expm1 = "expm1",
    Sqrt = "sqrt",
    Abs = "abs",
    Sign = "sign",
    Sin = "sin",
    Cos = "cos",
    Atan = "atan",
    Sinh = "sinh",
    Cosh = "cosh",
    Tanh = "tanh",
    Asinh = "asinh",
    Erf = "erf",
    Erfi = "erfi",
}

impl std::str::FromStr for Func {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Func::ALL.iter().copied().find(|f| f.name() == s).ok_or(UnknownName)
    }
}

impl std::fmt::Display for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The comparisons a `where` condition is made of, the children of [`Math::Compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub const ALL: &'static [Cmp] = &[Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge];

    /// The SPEC symbol (`"<="`).
    pub const fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    /// Whether `a cmp b` holds.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

impl std::str::FromStr for Cmp {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cmp::ALL.iter().copied().find(|c| c.symbol() == s).ok_or(UnknownName)
    }
}

impl std::fmt::Display for Cmp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A name that is not a [`Func`] or [`Cmp`] (egg's `FromOp` then tries the next variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownName;

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

        "min" = Min([Id; 2]),
        "max" = Max([Id; 2]),
        // where(cond, then, else): the only piecewise primitive besides abs/sign/min/max.
        "where" = Where([Id; 3]),

        "pi" = Pi,
        "e" = Euler,
        // Before `Var`, which would take any name.
        Call(Func, Id),
        Compare(Cmp, [Id; 2]),
        Num(Constant),
        Var(Symbol),
    }
}

/// An expression: a flat, children-before-parents list of [`Math`] nodes whose
/// last node is the root.
pub type Expr = RecExpr<Math>;

impl Math {
    /// The functions of several arguments that are written as calls
    /// (`min(a, b)`, `where(c, a, b)`), with their arity: the parser's and
    /// printer's view of the non-elementary calls, named by the language.
    pub fn calls() -> [(Math, usize); 3] {
        let z = Id::from(0);
        [(Math::Min([z; 2]), 2), (Math::Max([z; 2]), 2), (Math::Where([z; 3]), 3)]
    }
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

/// What a node needs of one argument for its value to be real and finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// A denominator, or the base of a negative whole power: never 0.
    NonZero,
    /// The argument of log, or the base of a power that is negative and not
    /// whole, or not constant: above 0.
    Positive,
    /// The argument of sqrt, or the base of a positive power that is not
    /// whole: not below 0.
    NonNegative,
}

/// The argument of `node` (a node of `expr`) that must satisfy a
/// [`Requirement`], if any: where f, F or SA stop being real and finite
/// lies among the points where these arguments reach 0.
///
/// ```
/// use foil_compiler::lang::{requirement, root, Requirement};
/// let at_root = |src: &str| {
///     let e = foil_compiler::parse::parse(src).unwrap();
///     requirement(&e, &e[root(&e)]).map(|r| r.0)
/// };
/// assert_eq!(at_root("(1 + exp(x))^0.5"), Some(Requirement::NonNegative));
/// assert_eq!(at_root("(1 + exp(x))^(-0.5)"), Some(Requirement::Positive));
/// assert_eq!(at_root("x^(-2)"), Some(Requirement::NonZero));
/// assert_eq!(at_root("x^3"), None);
/// assert_eq!(at_root("1/(x - 0.3)"), Some(Requirement::NonZero));
/// ```
pub fn requirement(expr: &Expr, node: &Math) -> Option<(Requirement, Id)> {
    match node {
        Math::Div([_, d]) => Some((Requirement::NonZero, *d)),
        Math::Call(Func::Log, a) => Some((Requirement::Positive, *a)),
        Math::Call(Func::Sqrt, a) => Some((Requirement::NonNegative, *a)),
        Math::Pow([b, p]) => {
            let p = is_constant(expr, *p).then(|| crate::eval::eval(&crate::build::subtree(expr, *p), &|_| f64::NAN));
            match p {
                Some(p) if p == p.round() && p >= 0.0 => None,
                Some(p) if p == p.round() => Some((Requirement::NonZero, *b)),
                Some(p) if p > 0.0 => Some((Requirement::NonNegative, *b)),
                _ => Some((Requirement::Positive, *b)),
            }
        }
        _ => None,
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
