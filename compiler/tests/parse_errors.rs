//! The catalogue of malformed input: each case fixes the error kind, the span
//! (byte start, length) and a fragment of the message, so that a change in
//! any of them is a visible decision. Plus hostile sizes: all must fail fast
//! and never panic or overflow the stack.

use foil_compiler::parse::{parse, require_variable, ParseError, ParseErrorKind as K, MAX_DEPTH, MAX_INPUT_BYTES};
use std::time::{Duration, Instant};

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("`{src}` parsed to {e}, expected an error"),
        Err(e) => e,
    }
}

#[track_caller]
fn check(src: &str, kind: K, start: usize, len: usize, fragment: &str) {
    let e = err(src);
    assert_eq!(e.kind, kind, "`{src}`: {e:?}");
    assert_eq!((e.span.offset(), e.span.len()), (start, len), "`{src}`: span of {e:?}");
    let text = format!("{} {}", e.message, e.help.as_deref().unwrap_or(""));
    assert!(text.contains(fragment), "`{src}`: {text:?} lacks {fragment:?}");
    assert!(src.is_char_boundary(start) && src.is_char_boundary(start + len), "`{src}`: span not on char boundaries");
}

#[test]
fn catalogue() {
    check("", K::Empty, 0, 0, "empty");
    check("  \t\n", K::Empty, 0, 4, "empty");
    check(")", K::UnbalancedParen, 0, 1, "no matching `(`");
    check("x + 1)", K::UnbalancedParen, 5, 1, "no matching `(`");
    check("(((", K::UnbalancedParen, 0, 1, "never closed");
    check("sin(x", K::UnbalancedParen, 3, 1, "never closed");
    check(",", K::UnexpectedToken, 0, 1, "expected an expression, found `,`");
    check("()", K::UnexpectedToken, 1, 1, "expected an expression, found `)`");
    check("x x", K::UnexpectedToken, 2, 1, "expected an operator or the end of the input, found `x`");
    check("x + * 2", K::UnexpectedToken, 4, 1, "expected an expression after `+`, found `*`");
    check("min(x,)", K::UnexpectedToken, 6, 1, "expected an argument after `,`");
    check("(x y)", K::UnexpectedToken, 3, 1, "expected an operator or `)`");
    check("x ** 2", K::UnexpectedToken, 2, 2, "use `^` for powers");
    check("x = 1", K::UnexpectedToken, 2, 1, "unexpected character `=`");
    check("sin", K::UnexpectedToken, 0, 3, "expected `(` after it");
    check("x +", K::TrailingOperator, 2, 1, "expected an expression after `+`");
    check("-", K::TrailingOperator, 0, 1, "expected an expression after `-`");
    check("(x ^)", K::TrailingOperator, 3, 1, "after `^`");
    check("tahn(x)", K::UnknownFunction, 0, 4, "did you mean `tanh`?");
    check("sigmod(2*x)", K::UnknownFunction, 0, 6, "did you mean `sigmoid`?");
    check("frobnicate(x)", K::UnknownFunction, 0, 10, "unknown function `frobnicate`");
    // With no close name, the help lists what the language calls (a macro
    // user has no `foil list`).
    check("hardswish(x)", K::UnknownFunction, 0, 9, "the functions are exp, log, ");
    check("hardswish(x)", K::UnknownFunction, 0, 9, ", where, sigmoid, softplus, ");
    check("y", K::UnknownVariable, 0, 1, "unknown variable `y`");
    check("x + u0", K::UnknownVariable, 4, 2, "`u1`, `u2`");
    check("sin()", K::WrongArity, 0, 5, "`sin` takes 1 argument");
    check("exp(x, 2)", K::WrongArity, 0, 9, "got 2");
    check("elu()", K::WrongArity, 0, 5, "`elu` takes 1 to 2 arguments: elu(x, a = 1)");
    check("sigmoid(x, 1)", K::WrongArity, 0, 13, "sigmoid(x)");
    check("max(x)", K::WrongArity, 0, 6, "`max` takes 2 arguments");
    check("where(x > 0, 1)", K::WrongArity, 0, 15, "3 arguments");
    check("where()", K::WrongArity, 0, 7, "where(x > 0, a, b)");
    check("x < 1", K::ComparisonOutsideWhere, 2, 1, "comparison `<` outside `where`");
    check("max(x >= 1, 2)", K::ComparisonOutsideWhere, 6, 2, "only allowed as the condition");
    check("where((x > 0), 1, 2)", K::ComparisonOutsideWhere, 9, 1, "outside `where`");
    check("where(x > 0, x < 1, 2)", K::ComparisonOutsideWhere, 15, 1, "outside `where`");
    check("where(x, 1, 2)", K::WhereWithoutComparison, 6, 1, "must be a comparison");
    check("where(x + 1, 1, 2)", K::WhereWithoutComparison, 6, 5, "must be a comparison");
    check("1e999", K::InvalidNumber, 0, 5, "too large");
    check("x + nan", K::InvalidNumber, 4, 3, "not a finite number");
    check("inf", K::InvalidNumber, 0, 3, "not a finite number");
    check("1.2.3", K::InvalidNumber, 0, 5, "invalid number `1.2.3`");
    check("2x", K::InvalidNumber, 0, 2, "write `2*x`");
    check("1/0", K::NonFiniteConstant, 0, 3, "`1/0` is not finite");
    check("x + log(0)", K::NonFiniteConstant, 4, 6, "evaluates to -inf");
    check("x*exp(1000)", K::NonFiniteConstant, 2, 9, "not finite");
    check("sqrt(-1) + x", K::NonFiniteConstant, 0, 8, "NaN");
    check("x + 1e308*10", K::NonFiniteConstant, 4, 8, "inf");
    check("x/0", K::DivisionByZero, 0, 3, "`x/0` divides by zero");
    check("2 + sin(x)/(1 - 1)", K::DivisionByZero, 4, 14, "divides by zero");
    check("x/-0", K::DivisionByZero, 0, 4, "divides by zero");
    check("x²", K::NonAscii, 1, 2, "non-ASCII character `²`");
    check("tanh(x)·2", K::NonAscii, 7, 2, "non-ASCII");
    check("é", K::NonAscii, 0, 2, "non-ASCII");
}

#[test]
fn a_constant_parses_but_is_not_a_function() {
    let e = parse(" 2 + 3 ").unwrap();
    let r = require_variable(&e, " 2 + 3 ").unwrap_err();
    assert_eq!((r.kind, r.span.offset(), r.span.len()), (K::ConstantExpression, 1, 5));
    assert_eq!(r.kind.as_str(), "constant_expression");
}

#[test]
fn kinds_have_stable_names() {
    assert_eq!(err("sin()").kind.as_str(), "wrong_arity");
    assert_eq!(err("x +").kind.as_str(), "trailing_operator");
    assert_eq!(err("1/0").kind.as_str(), "non_finite_constant");
}

/// Hostile input: must fail (or succeed) within a second, never overflow.
#[track_caller]
fn quick(src: &str) -> Result<(), ParseError> {
    let t = Instant::now();
    let r = parse(src).map(|_| ());
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    r
}

#[test]
fn deep_nesting_is_refused_before_the_stack_overflows() {
    let n = 10_000;
    let src = format!("{}x{}", "(".repeat(n), ")".repeat(n));
    let e = quick(&src).unwrap_err();
    assert_eq!((e.kind, e.span.offset(), e.span.len()), (K::TooDeep, MAX_DEPTH, 1));
    for src in
        [format!("{}x", "-".repeat(n)), format!("x{}", "^x".repeat(n)), format!("{}x{}", "sin(".repeat(n), ")".repeat(n)), format!("{}x", "2^-".repeat(n))]
    {
        assert_eq!(quick(&src).unwrap_err().kind, K::TooDeep, "{}", &src[..20]);
    }
    // Unclosed: the balance check speaks first.
    assert_eq!(quick(&"(".repeat(n)).unwrap_err().kind, K::UnbalancedParen);
    // Just inside the limit is fine.
    let ok = format!("{}x{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
    quick(&ok).unwrap();
}

#[test]
fn long_chains_are_too_deep_for_later_passes() {
    let src = vec!["x"; 20_000].join(" + ");
    let e = quick(&src).unwrap_err();
    assert_eq!(e.kind, K::TooDeep);
    assert_eq!(e.span.offset(), 0, "the span is the chain so far");
    // A chain of literals folds to one number, so it is not deep at all.
    quick(&format!("{} + x", vec!["1"; 20_000].join(" + "))).unwrap();
}

#[test]
fn wide_trees_are_too_large() {
    // A balanced sum of distinct terms: depth ~16, far more than MAX_NODES.
    fn balanced(lo: usize, hi: usize) -> String {
        if hi - lo == 1 {
            format!("{lo}*x")
        } else {
            let mid = (lo + hi) / 2;
            format!("({} + {})", balanced(lo, mid), balanced(mid, hi))
        }
    }
    let e = quick(&balanced(2, 2 + 16_384)).unwrap_err();
    assert_eq!(e.kind, K::TooLarge);
}

#[test]
fn oversized_input_is_refused_without_parsing() {
    let src = "x+".repeat(MAX_INPUT_BYTES / 2) + "x";
    let e = quick(&src).unwrap_err();
    assert_eq!((e.kind, e.span.offset()), (K::TooLarge, MAX_INPUT_BYTES));
    // The span ends on a char boundary even when the limit splits a char.
    let src = "x".repeat(MAX_INPUT_BYTES - 1) + "é";
    let e = quick(&src).unwrap_err();
    assert_eq!((e.kind, e.span.offset(), e.span.len()), (K::TooLarge, MAX_INPUT_BYTES - 1, 2));
    // Exactly at the limit the parser runs, and stops at its own limits.
    let src = "x+".repeat(MAX_INPUT_BYTES / 2 - 1) + "xx";
    assert_eq!(quick(&src).unwrap_err().kind, K::TooDeep);
}

#[test]
fn odd_inputs_never_panic() {
    let odd = [
        "", " ", ")", "(", ",", "(((", ")))", "x +", "x x", "sin", "sin()", "sin(,)", "where(x, 1, 2)", "where(x<1<2,1,2)", "1e999", "nan", "inf", "1/0",
        "e(x)", "pi(x)", "x(1)", "1e", "1e+", ".", "..5", "5..", "x^", "^x", "*", "u", "u01", "leaky_relu(x,)", "elu(x, 1, 2)", "\u{0}", "\u{feff}x",
        "x\u{200b}", "🙂", "where(x > 0 ,x ,x", "min(,)", "--x", "+-+-x", "1e-400 + x", "erfi(0) + x", "erfi(5e-324) + x", "2^1000000 + x", "0^-1 + x",
        "exp(exp(exp(x)))", "sigmoid(-1000) + x",
    ];
    for src in odd {
        let r = std::panic::catch_unwind(|| parse(src));
        assert!(r.is_ok(), "`{src}` panicked");
        if let Ok(Err(e)) = r {
            assert!(src.is_char_boundary(e.span.offset()) && e.span.offset() + e.span.len() <= src.len(), "`{src}`");
        }
    }
}
