//! Printing is the inverse of parsing: `parse(to_spec(e))` evaluates
//! bit-for-bit like `e` (NaN like NaN), printing is stable, and every named
//! activation prints back under its name.

use egg::{Id, Symbol};
use foil_compiler::activations::named_activations;
use foil_compiler::build::Builder;
use foil_compiler::eval::eval;
use foil_compiler::lang::{is_constant, Cmp, Expr, Func, Math};
use foil_compiler::parse::parse;
use foil_compiler::print::{to_latex, to_spec, to_spec_expanded};
use proptest::prelude::*;

/// A random expression, built later through the Builder exactly as the parser
/// builds (so the original already carries the builder's normal forms).
#[derive(Debug, Clone)]
enum T {
    X,
    U1,
    Pi,
    E,
    Num(f64),
    Neg(Box<T>),
    Bin(u8, Box<T>, Box<T>),
    Unary(usize, Box<T>),
    Min(Box<T>, Box<T>),
    Max(Box<T>, Box<T>),
    Where(u8, Box<T>, Box<T>, Box<T>, Box<T>),
}

/// The elementary functions, for `Builder::call` (the parser's path).
const UNARY: &[Func] = Func::ALL;

fn leaf() -> impl Strategy<Value = T> {
    prop_oneof![
        3 => Just(T::X),
        1 => Just(T::U1),
        1 => Just(T::Pi),
        1 => Just(T::E),
        4 => prop_oneof![
            Just(0.0), Just(1.0), Just(2.0), Just(-1.0), Just(-2.0), Just(0.5), Just(-0.25), Just(1e-3), Just(1.0 / 3.0),
            Just(-2.0 / 3.0), Just(0.1), Just(1e10), Just(-3.5e12), Just(1e300), Just(2.5e-300), Just(0.044715),
            -1e6..1e6f64,
        ]
        .prop_map(T::Num),
    ]
}

fn tree() -> impl Strategy<Value = T> {
    leaf().prop_recursive(6, 64, 3, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            b().prop_map(T::Neg),
            (0u8..5, b(), b()).prop_map(|(op, l, r)| T::Bin(op, l, r)),
            (0..UNARY.len(), b()).prop_map(|(f, a)| T::Unary(f, a)),
            (b(), b()).prop_map(|(a, c)| T::Min(a, c)),
            (b(), b()).prop_map(|(a, c)| T::Max(a, c)),
            (0u8..4, b(), b(), b(), b()).prop_map(|(op, l, r, t, e)| T::Where(op, l, r, t, e)),
        ]
    })
}

fn build(b: &mut Builder, t: &T) -> Id {
    match t {
        T::X => b.var("x"),
        T::U1 => b.var("u1"),
        T::Pi => b.add(Math::Pi),
        T::E => b.add(Math::Euler),
        T::Num(v) => b.num(*v),
        T::Neg(a) => {
            let a = build(b, a);
            b.neg(a)
        }
        T::Bin(op, l, r) => {
            let (l, r) = (build(b, l), build(b, r));
            match op {
                0 => b.add_(l, r),
                1 => b.sub(l, r),
                2 => b.mul(l, r),
                3 => b.div(l, r),
                _ => b.pow(l, r),
            }
        }
        T::Unary(f, a) => {
            let a = build(b, a);
            b.call(UNARY[*f], a)
        }
        T::Min(a, c) => {
            let (a, c) = (build(b, a), build(b, c));
            b.add(Math::Min([a, c]))
        }
        T::Max(a, c) => {
            let (a, c) = (build(b, a), build(b, c));
            b.add(Math::Max([a, c]))
        }
        T::Where(op, l, r, t, e) => {
            let (l, r, t, e) = (build(b, l), build(b, r), build(b, t), build(b, e));
            let cond = b.add(match op {
                0 => Math::Compare(Cmp::Lt, [l, r]),
                1 => Math::Compare(Cmp::Le, [l, r]),
                2 => Math::Compare(Cmp::Gt, [l, r]),
                _ => Math::Compare(Cmp::Ge, [l, r]),
            });
            b.add(Math::Where([cond, t, e]))
        }
    }
}

const POINTS: &[(f64, f64)] = &[(-3.7, 0.2), (-1.0, -1.0), (-0.5, 2.0), (0.0, 0.0), (0.3, -0.7), (1.0, 1.0), (2.5, 9.0), (10.0, -30.0)];

fn values(e: &Expr) -> Vec<f64> {
    let (x, u1) = (Symbol::from("x"), Symbol::from("u1"));
    POINTS
        .iter()
        .map(|&(vx, vu)| {
            eval(e, &|s| {
                if s == x {
                    vx
                } else if s == u1 {
                    vu
                } else {
                    f64::NAN
                }
            })
        })
        .collect()
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The parser refuses non-finite constant subexpressions (`1/0`), so such
/// trees have no text to round-trip through.
fn has_non_finite_constant(e: &Expr) -> bool {
    (0..e.as_ref().len()).map(Id::from).any(|id| is_constant(e, id) && !eval(&foil_compiler::build::subtree(e, id), &|_| f64::NAN).is_finite())
}

/// The parser also refuses division by a constant zero (`x/0`, `x/(1 - 1)`):
/// a function divided by zero is infinite or NaN everywhere.
fn divides_by_constant_zero(e: &Expr) -> bool {
    e.as_ref().iter().any(|n| match n {
        Math::Div([_, d]) => is_constant(e, *d) && eval(&foil_compiler::build::subtree(e, *d), &|_| f64::NAN) == 0.0,
        _ => false,
    })
}

fn check_round_trip(e: &Expr, print: fn(&Expr) -> String) -> Result<String, TestCaseError> {
    let text = print(e);
    let back = parse(&text).map_err(|err| TestCaseError::fail(format!("`{text}` does not parse: {err:?}")))?;
    for (i, (a, b)) in values(e).into_iter().zip(values(&back)).enumerate() {
        prop_assert!(same_bits(a, b), "`{text}` at {:?}: original {a:e}, reparsed {b:e}\n{e}\n{back}", POINTS[i]);
    }
    Ok(text)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn printed_text_reads_back_to_the_same_values(t in tree()) {
        let mut b = Builder::new();
        let root = build(&mut b, &t);
        let e = b.finish_at(root);
        prop_assume!(!has_non_finite_constant(&e) && !divides_by_constant_zero(&e));
        let folded = check_round_trip(&e, to_spec)?;
        check_round_trip(&e, to_spec_expanded)?;
        // Stable: the printed text prints back to itself.
        let again = to_spec(&parse(&folded).unwrap());
        prop_assert_eq!(&again, &folded);
        let _ = to_latex(&e);
    }
}

#[test]
fn every_function_reads_and_prints_by_its_one_name() {
    use egg::FromOp;
    for &f in Func::ALL {
        // egg's s-expressions, the parser and the printer all take the name from `Func`.
        assert_eq!(Math::from_op(f.name(), vec![Id::from(0)]).unwrap(), Math::Call(f, Id::from(0)));
        let src = format!("{}(x)", f.name());
        let e = parse(&src).unwrap();
        assert!(matches!(e.as_ref().last(), Some(Math::Call(g, _)) if *g == f), "{src}: {e}");
        assert_eq!(to_spec(&e), src);
    }
}

#[test]
fn every_activation_prints_back_under_its_name() {
    for a in named_activations() {
        for arg in ["x", "2*x", "x^2 + 1", "u1 - x"] {
            let src = format!("{}({arg})", a.name);
            let e = parse(&src).unwrap_or_else(|err| panic!("{src}: {err}"));
            assert_eq!(to_spec(&e), src, "{}", to_spec_expanded(&e));
        }
    }
    for src in ["leaky_relu(x, 0.2)", "elu(x, 2)", "isru(x, 3)", "sigmoid(-x)", "softplus(-x)", "relu(3)"] {
        assert_eq!(to_spec(&parse(src).unwrap()), src);
    }
    assert_eq!(to_spec(&parse("elu(x, 1)").unwrap()), "elu(x)");
}

#[test]
fn printing_is_stable_on_examples() {
    let examples = [
        "x/2 + sinh(2*x)/4",
        "2*x + 2*sinh(x) + 1/2",
        "x - e^(-x) + 1 + log(2)",
        "x + x^3/3",
        "(e^u1 - e^-u2)/(e^u3 + e^-u4)",
        "-x*2",
        "2*(-x)",
        "-(x*u1)",
        "-(x - 1)*x",
        "-pi*e*x",
        "where(x > 0, x, 0.01*x) - max(-x, min(x, 1))",
        "1e-3*x + 1e300 - 2.5e-8",
        "gelu(x) + gelu_tanh(x) + mish(x)",
    ];
    for src in examples {
        let once = to_spec(&parse(src).unwrap());
        let twice = to_spec(&parse(&once).unwrap());
        assert_eq!(once, twice, "{src}");
    }
}

#[test]
fn the_deepest_accepted_trees_print_and_read_back() {
    // Just under MAX_TREE_DEPTH: printing recurses once per level.
    let src = vec!["sin(x)"; 390].join(" - ");
    let e = parse(&src).unwrap();
    let text = to_spec(&e);
    assert_eq!(to_spec(&parse(&text).unwrap()), text);
    let nested = format!("{}x{}", "(1 + ".repeat(190), ")".repeat(190));
    let e = parse(&nested).unwrap();
    assert_eq!(to_spec(&parse(&to_spec(&e)).unwrap()), to_spec(&e));
    let _ = to_latex(&e);
}
