//! Antiderivatives of 1/f' for the suite activations (SPEC §2) and a few
//! classic integrands, checked independently of the integrator's own
//! self-check: an 8th-order central difference of the result must match
//! the integrand at 64 points of [-8, 8] to 1e-9·max(1, |integrand|)
//! (SPEC §5's bound), and the result must be finite there.

use foil_compiler::eval::eval1;
use foil_compiler::integrate::{antiderivative, IntegrationError};
use foil_compiler::lang::Expr;
use std::time::Instant;

/// 8th-order central stencil: truncation O(h⁸), rounding ~ 1e-16·|g|/h.
fn derivative(g: &Expr, x: f64) -> f64 {
    const W: [f64; 4] = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
    let h = 1e-3;
    W.iter()
        .enumerate()
        .map(|(i, w)| {
            let k = (i + 1) as f64;
            w * (eval1(g, "x", x + k * h) - eval1(g, "x", x - k * h))
        })
        .sum::<f64>()
        / h
}

/// Where `g' = f` fails (or `g` is not finite) on 64 points of [-8, 8].
fn mismatch(f: &Expr, g: &Expr) -> Option<String> {
    for i in 0..64 {
        let x = -8.0 + 16.0 * (i as f64 + 0.5) / 64.0;
        let (fx, gx) = (eval1(f, "x", x), eval1(g, "x", x));
        if !gx.is_finite() {
            return Some(format!("not finite at {x}"));
        }
        let d = derivative(g, x);
        if (d - fx).abs() > 1e-9 * fx.abs().max(1.0) {
            return Some(format!("at x = {x}, g' = {d} but integrand = {fx}"));
        }
    }
    None
}

#[test]
fn the_check_itself_can_fail() {
    let f: Expr = "(^ (cosh x) 2)".parse().unwrap();
    let right: Expr = "(+ (/ x 2) (/ (sinh (* 2 x)) 4))".parse().unwrap();
    let slightly_wrong: Expr = "(+ (/ x 2) (/ (sinh (* 2 x)) 4.000001))".parse().unwrap();
    let not_finite: Expr = "(+ (+ (/ x 2) (/ (sinh (* 2 x)) 4)) (log (- x 7.9)))".parse().unwrap();
    assert_eq!(mismatch(&f, &right), None);
    assert!(mismatch(&f, &slightly_wrong).is_some());
    assert!(mismatch(&f, &not_finite).is_some());
}

fn integrate(integrand: &str) -> Expr {
    let f: Expr = integrand.parse().expect("test integrands parse");
    let start = Instant::now();
    let g = antiderivative(&f, "x".into()).unwrap_or_else(|e| panic!("∫ {integrand}: {e}"));
    eprintln!("∫ {integrand} = {g}   [{:.1} ms]", start.elapsed().as_secs_f64() * 1e3);
    if let Some(problem) = mismatch(&f, &g) {
        panic!("∫ {integrand} = {g}: {problem}");
    }
    g
}

/// Where sinh/cosh is expected the result must not keep an exp pair.
fn hyperbolic(integrand: &str) {
    let g = integrate(integrand).to_string();
    assert!(!g.contains("exp"), "∫ {integrand} = {g} keeps exponentials");
    assert!(g.contains("sinh") || g.contains("cosh"), "∫ {integrand} = {g} has no sinh/cosh");
}

#[test]
fn tanh() {
    hyperbolic("(/ 1 (- 1 (^ (tanh x) 2)))");
    hyperbolic("(/ 1 (/ 1 (^ (cosh x) 2)))");
}

#[test]
fn tanh_result_is_the_spec_form() {
    let g = integrate("(/ 1 (- 1 (^ (tanh x) 2)))");
    assert_eq!(g.to_string(), "(+ (/ x 2) (/ (sinh (* 2 x)) 4))");
}

#[test]
fn sigmoid() {
    hyperbolic("(/ 1 (/ (exp (neg x)) (^ (+ 1 (exp (neg x))) 2)))");
    // sigmoid' as σ(1 - σ).
    hyperbolic("(/ 1 (* (/ 1 (+ 1 (exp (neg x)))) (- 1 (/ 1 (+ 1 (exp (neg x)))))))");
    let g = integrate("(/ 1 (/ (exp (neg x)) (^ (+ 1 (exp (neg x))) 2)))");
    assert_eq!(g.to_string(), "(+ (* 2 x) (* 2 (sinh x)))");
}

#[test]
fn sigmoid_2x() {
    hyperbolic("(/ 1 (/ (* 2 (exp (* -2 x))) (^ (+ 1 (exp (* -2 x))) 2)))");
}

#[test]
fn softplus_expm1_elu() {
    let g = integrate("(/ 1 (/ (exp x) (+ 1 (exp x))))");
    assert_eq!(g.to_string(), "(- x (exp (neg x)))");
    integrate("(/ 1 (/ 1 (+ 1 (exp (neg x)))))");
    let g = integrate("(/ 1 (exp x))");
    assert_eq!(g.to_string(), "(neg (exp (neg x)))");
}

#[test]
fn atan_and_softsign() {
    let g = integrate("(/ 1 (/ 1 (+ 1 (^ x 2))))");
    assert_eq!(g.to_string(), "(+ x (/ (^ x 3) 3))");
    integrate("(/ 1 (/ 1 (^ (+ 1 x) 2)))");
    integrate("(/ 1 (/ 1 (^ (- 1 x) 2)))");
}

#[test]
fn asinh() {
    let g = integrate("(/ 1 (/ 1 (sqrt (+ (^ x 2) 1))))").to_string();
    assert!(g.contains("asinh"), "{g}");
}

#[test]
fn isru() {
    integrate("(/ 1 (/ (- (sqrt (+ 1 (^ x 2))) (* x (/ x (sqrt (+ 1 (^ x 2)))))) (+ 1 (^ x 2))))");
    integrate("(^ (+ 1 (^ x 2)) 1.5)");
}

#[test]
fn bent_identity() {
    let g = integrate("(/ 1 (+ (/ x (* 2 (sqrt (+ (^ x 2) 1)))) 1))").to_string();
    for part in ["atan", "sqrt (+ (^ x 2) 1)"] {
        assert!(g.contains(part), "{g} lacks {part}");
    }
}

#[test]
fn erf_gives_erfi() {
    let g = integrate("(* (/ (sqrt pi) 2) (exp (^ x 2)))").to_string();
    assert!(g.contains("erfi"), "{g}");
    integrate("(exp (neg (^ x 2)))");
    integrate("(* (^ x 3) (exp (- (* -0.5 (^ x 2)) x)))");
}

#[test]
fn trigonometric_and_parts() {
    integrate("(^ (sin x) 2)");
    integrate("(* x (exp x))");
    let g = integrate("(* (^ x 2) (cos (+ (* 3 x) 1)))").to_string();
    assert!(!g.contains("exp"), "{g}");
}

#[test]
fn rational() {
    let g = integrate("(/ 1 (+ (* 3 (^ x 2)) 4))").to_string();
    assert!(g.contains("atan"), "{g}");
    integrate("(/ 1 (+ (* 2 x) 17))");
    integrate("(/ (+ x 1) (+ (^ x 4) (* 3 (^ x 2)) 2))".replace("(+ (^ x 4) (* 3 (^ x 2)) 2)", "(+ (+ (^ x 4) (* 3 (^ x 2))) 2)").as_str());
    integrate("(/ 1 (^ (+ (^ x 2) 1) 2))");
    integrate("(/ 1 (+ 1 (exp x)))");
}

#[test]
fn non_elementary_integrands_are_refused() {
    for f in ["(exp (^ x 3))", "(/ (exp x) x)", "(sin (^ x 2))"] {
        let e: Expr = f.parse().unwrap();
        match antiderivative(&e, "x".into()) {
            Err(IntegrationError::NoClosedForm { .. }) => {}
            other => panic!("∫ {f}: expected NoClosedForm, got {other:?}"),
        }
    }
}

#[test]
fn piecewise_integrands_are_refused() {
    let e: Expr = "(where (< x 0) x (abs x))".parse().unwrap();
    assert!(matches!(antiderivative(&e, "x".into()), Err(IntegrationError::Piecewise { .. })));
}

#[test]
fn equivalent_forms_found_by_search() {
    // Neither specialist takes the sum as a whole; linearity splits it.
    integrate("(+ (sqrt (+ (^ x 2) 1)) (exp x))");
    // `log(exp(a)) = a` and `exp(log(a)) = a` make these specialists' forms.
    integrate("(* (log (exp x)) (exp x))");
    integrate("(exp (log (+ 1 (^ x 2))))");
}

#[test]
fn constant_pieces() {
    assert_eq!(integrate("1").to_string(), "x");
    assert_eq!(integrate("100").to_string(), "(* 100 x)");
}

/// 1/f' for the 12 GA suite activations (piecewise ones by piece), timed.
#[test]
fn suite_timing() {
    let cases = [
        ("tanh", "(/ 1 (- 1 (^ (tanh x) 2)))"),
        ("sigmoid", "(/ 1 (/ (exp (neg x)) (^ (+ 1 (exp (neg x))) 2)))"),
        ("softplus", "(/ 1 (/ (exp x) (+ 1 (exp x))))"),
        ("softsign x>0", "(/ 1 (/ 1 (^ (+ 1 x) 2)))"),
        ("softsign x<0", "(/ 1 (/ 1 (^ (- 1 x) 2)))"),
        ("elu x<0", "(/ 1 (exp x))"),
        ("elu/leaky x>0", "(/ 1 1)"),
        ("leaky x<0", "(/ 1 0.01)"),
        ("atan", "(/ 1 (/ 1 (+ 1 (^ x 2))))"),
        ("asinh", "(/ 1 (/ 1 (sqrt (+ (^ x 2) 1))))"),
        ("isru", "(/ 1 (/ (- (sqrt (+ 1 (^ x 2))) (* x (/ x (sqrt (+ 1 (^ x 2)))))) (+ 1 (^ x 2))))"),
        ("bent_identity", "(/ 1 (+ (/ x (* 2 (sqrt (+ (^ x 2) 1)))) 1))"),
        ("sigmoid_2x", "(/ 1 (/ (* 2 (exp (* -2 x))) (^ (+ 1 (exp (* -2 x))) 2)))"),
        ("expm1", "(/ 1 (exp x))"),
    ];
    let mut total = 0.0;
    for (name, f) in cases {
        let e: Expr = f.parse().unwrap();
        let t = Instant::now();
        let g = antiderivative(&e, "x".into()).unwrap_or_else(|err| panic!("{name}: {err}"));
        let ms = t.elapsed().as_secs_f64() * 1e3;
        total += ms;
        eprintln!("  {name}: {ms:.2} ms -> {g}");
        assert_eq!(mismatch(&e, &g), None, "{name}: {g}");
    }
    eprintln!("suite: antiderivative total {total:.1} ms (this build's profile)");
}

/// ∫ R(x, sqrt(ax + b)): a linear radicand, by t = sqrt(ax + b), one
/// rational function of t. Checked by the difference stencil where the
/// radicand is positive (x + sign(x)·√|x|'s 1/f′ for x > 0 crosses x = 1/4,
/// where its parts r1 and r2·√x each have a pole), and against the power
/// rule: ∫ 2·sqrt(-x) dx is -(4/3)·(-x)^(3/2) (a signed square root's GA
/// for x < 0).
#[test]
fn rational_functions_of_the_root_of_a_linear_radicand() {
    let power_rule = |x: f64| -(4.0 / 3.0) * (-x).powf(1.5);
    for (integrand, lo, hi) in [
        ("(* 2 (sqrt x))", 0.01, 8.0),
        ("(* 2 (sqrt (neg x)))", -8.0, -0.01),
        ("(sqrt (+ (* 2 x) 3))", -1.4, 8.0),
        ("(* (sqrt x) (+ x 1))", 0.01, 8.0),
        ("(/ 1 (sqrt x))", 0.01, 8.0),
        ("(/ 1 (+ 1 (/ 1 (* 2 (sqrt x)))))", 0.01, 8.0),
        ("(/ x (sqrt (+ x 1)))", -0.9, 8.0),
    ] {
        let f: Expr = integrand.parse().unwrap();
        let g = antiderivative(&f, "x".into()).unwrap_or_else(|e| panic!("∫ {integrand}: {e}"));
        for i in 0..64 {
            let x = lo + (hi - lo) * (i as f64 + 0.5) / 64.0;
            let (want, got) = (eval1(&f, "x", x), derivative(&g, x));
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "∫ {integrand} = {g}: g'({x}) = {got}, not {want}");
        }
        if integrand == "(* 2 (sqrt (neg x)))" {
            let c = eval1(&g, "x", -1.0) - power_rule(-1.0);
            for x in [-8.0, -2.5, -0.25] {
                assert!((eval1(&g, "x", x) - c - power_rule(x)).abs() <= 1e-12 * power_rule(x).abs().max(1.0), "∫ {integrand} = {g} at {x}");
            }
        }
    }
}
