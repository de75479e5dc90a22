//! Golden derivations for the 18 rows of `compiler/suite/activations.tsv`.
//!
//! Every property is checked independently of foil's own verifier: f comes
//! from hand-written f64 code (tests/common), derivatives from 8th-order
//! finite differences, and foil's expressions are evaluated by the tests' own
//! evaluator. The printed GAs are pinned in `tests/golden/ga.txt`; rewrite it
//! with `FOIL_BLESS=1 cargo test --test suite`.

mod common;

use common::*;
use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, GaOptions, GaResult};
use foil_compiler::hdfgd::{derive_split_adversarial, Granularity, SaResult, TermConstant};
use foil_compiler::lang::{Expr, Func, Math};
use foil_compiler::parse::parse;
use foil_compiler::print::to_spec;
use foil_compiler::simplify::Limits;
use foil_compiler::suite::{ExpectedZeros, GaExpectation, ZERO_TOLERANCE};
use std::time::Duration;

const MONOTONE: &[&str] = &["tanh", "sigmoid", "softplus", "softsign", "elu", "leaky_relu", "atan", "asinh", "isru", "bent_identity", "sigmoid_2x", "expm1"];
const NON_MONOTONE: &[&str] = &["silu", "gelu", "gelu_tanh", "mish", "sin", "logcosh"];

fn parse_row(row: &Row) -> Expr {
    parse(&row.expression).unwrap_or_else(|e| panic!("{}: `{}` does not parse: {e}", row.name, row.expression))
}

fn ga_with(name: &str, opts: &GaOptions) -> Result<GaResult, DeriveError> {
    derive_global_adversarial(&parse_row(&row(name)), opts)
}

fn sa(name: &str) -> Result<SaResult, DeriveError> {
    derive_split_adversarial(&parse_row(&row(name)), Granularity::Elementary, TermConstant::Plain, &GaOptions::default())
}

/// Limits under which the e-graph stops on its node or iteration limit, never
/// on the clock, so that the printed form does not depend on machine speed.
fn deterministic() -> GaOptions {
    GaOptions { anchor: Some(0.0), regularize: None, limits: Limits { time_limit: Duration::from_secs(600), ..Limits::default() } }
}

#[test]
fn the_table_has_the_rows_this_file_covers() {
    let names: Vec<String> = rows().into_iter().map(|r| r.name).collect();
    let mut want: Vec<&str> = MONOTONE.iter().chain(NON_MONOTONE).copied().collect();
    assert_eq!(names.len(), 18, "{names:?}");
    let mut got: Vec<&str> = names.iter().map(String::as_str).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for r in rows() {
        assert_eq!(r.ga_refused(), NON_MONOTONE.contains(&r.name.as_str()), "{}: column `ga`", r.name);
        // The hand reference is the function foil parses from column 2.
        let (f, _) = reference(&r.name);
        let e = parse_row(&r);
        for x in spread(-8.0, 8.0, 97) {
            assert!(close(ev1(&e, x), f(x), 1e-12), "{}: parsed f({x}) = {} but the reference says {}", r.name, ev1(&e, x), f(x));
        }
    }
}

/// Does the subtree at `id` look like `c*cosh(..)^2` (a square of a hyperbolic)?
fn hyperbolic_square(e: &Expr, id: egg::Id) -> bool {
    match &e[id] {
        Math::Pow([b, k]) => {
            matches!(e[*b], Math::Call(Func::Cosh, _) | Math::Call(Func::Sinh, _) | Math::Call(Func::Tanh, _))
                && matches!(&e[*k], Math::Num(c) if c.into_inner() == 2.0)
        }
        Math::Mul([p, q]) => hyperbolic_square(e, *p) || hyperbolic_square(e, *q),
        Math::Div([p, _]) | Math::Neg(p) => hyperbolic_square(e, *p),
        _ => false,
    }
}

/// `cosh(x)^2 - sinh(x)^2`-style left-overs: a difference one of whose sides
/// is a (scaled) square of a hyperbolic function.
fn square_leftovers(printed: &str) -> Vec<String> {
    let e = parse(printed).unwrap_or_else(|err| panic!("printed g `{printed}` does not read back: {err}"));
    let mut found = Vec::new();
    for (i, n) in e.as_ref().iter().enumerate() {
        let hit = match n {
            Math::Sub([a, b]) => hyperbolic_square(&e, *a) || hyperbolic_square(&e, *b),
            Math::Add([a, b]) => [a, b].iter().any(|c| matches!(e[**c], Math::Neg(m) if hyperbolic_square(&e, m))),
            _ => false,
        };
        if hit {
            found.push(to_spec(&foil_compiler::build::subtree(&e, egg::Id::from(i))));
        }
    }
    found
}

/// GA of a monotone row: derived, closed form, verified by foil, and checked
/// here independently.
fn check_monotone(name: &str) {
    let r = row(name);
    assert!(!r.ga_refused());
    let ga = ga_with(name, &GaOptions::default()).unwrap_or_else(|e| panic!("{name}: GA refused ({}): {e}", e.kind()));
    assert!(ga.closed_form, "{name}: not a closed form");
    assert!(ga.verification.passed, "{name}: foil's verification did not pass");
    let printed = to_spec(&ga.adversarial);
    let (f, breaks) = reference(name);
    let g = |x: f64| ev1(&ga.adversarial, x);

    // Real and finite on [-8, 8] (fine grid, break points included).
    for i in 0..=1600 {
        let x = -8.0 + i as f64 * 0.01;
        assert!(g(x).is_finite(), "{name}: g({x}) = {} is not real and finite; g = {printed}", g(x));
    }
    // Anchor: g(0) = f(0).
    assert!(close(g(0.0), f(0.0), 1e-12), "{name}: g(0) = {} but f(0) = {}; g = {printed}", g(0.0), f(0.0));
    // Continuous at every break point.
    for &b in breaks {
        let (l, r) = (g(b - 1e-9), g(b + 1e-9));
        assert!(close(l, r, 1e-6), "{name}: g jumps at the break {b}: {l} vs {r}; g = {printed}");
    }
    // g'(x) = 1/f'(x), both by finite differences, away from break points.
    let points: Vec<f64> = spread(-8.0, 8.0, 97).into_iter().filter(|x| breaks.iter().all(|b| (x - b).abs() > 4.5 * H_F)).collect();
    assert!(points.len() >= 64, "{name}: only {} points", points.len());
    for &x in &points {
        let want = 1.0 / fd8(&f, x, H_F);
        let got = fd8(&g, x, H_G);
        assert!(
            want.is_finite() && rel_close(got, want, 1e-6),
            "{name}: at x = {x}, g'(x) = {got} (finite difference) but 1/f'(x) = {want}; rel. error {:.2e}; g = {printed}",
            (got - want).abs() / want.abs()
        );
    }
    // The table's closed form, where it gives one, is the same function.
    if ["tanh", "sigmoid", "softplus", "atan", "expm1"].contains(&name) {
        assert!(r.ga_form.is_some(), "{name}: column `ga_form` should give a closed form");
    }
    if let Some(want) = &r.ga_form {
        for x in spread(-8.0, 8.0, 161) {
            let (a, b) = (g(x), ev1(want, x));
            assert!(close(a, b, 1e-12), "{name}: g({x}) = {a} but the table's `{}` = {b}; g = {printed}", to_spec(want));
        }
    }
    // No `cosh(x)^2 - sinh(x)^2` left-overs in what is printed.
    let left = square_leftovers(&printed);
    assert!(left.is_empty(), "{name}: printed g `{printed}` keeps differences of hyperbolic squares: {left:?}");
}

/// The isolated zeros column `zeros` names.
fn table_zeros(row: &Row) -> Vec<f64> {
    match &row.ga {
        GaExpectation::Refused(ExpectedZeros::Points(z)) => z.clone(),
        _ => Vec::new(),
    }
}

/// A sign change of f' (by finite differences) in [-12, 12], bracketed on a 0.01 grid.
fn independent_sign_changes(f: &dyn Fn(f64) -> f64) -> Vec<(f64, f64)> {
    let df = |x: f64| fd8(f, x, H_F);
    let xs: Vec<f64> = (0..=2400).map(|i| -12.0 + i as f64 * 0.01 + 1e-4).collect();
    xs.windows(2)
        .filter(|w| {
            let (a, b) = (df(w[0]), df(w[1]));
            a != 0.0 && b != 0.0 && a.signum() != b.signum() && a.abs().max(b.abs()) > 1e-9
        })
        .map(|w| (w[0], w[1]))
        .collect()
}

/// GA of a non-monotone row: refused with `derivative_zeros`, naming the
/// table's zero, and every zero named is real.
fn check_refused(name: &str) {
    let r = row(name);
    assert!(r.ga_refused());
    let err = match ga_with(name, &GaOptions::default()) {
        Ok(g) => panic!("{name}: GA derived although f' has zeros: {}", to_spec(&g.adversarial)),
        Err(e) => e,
    };
    assert_eq!(err.kind(), "derivative_zeros", "{name}: {err}");
    let zeros = match &err {
        DeriveError::DerivativeZeros { zeros, .. } => zeros.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert!(!zeros.zeros.is_empty(), "{name}: no zeros reported");
    let (f, _) = reference(name);
    let df = |x: f64| fd8(&f, x, H_F);

    for z0 in table_zeros(&r) {
        assert!(zeros.zeros.iter().any(|z| (z - z0).abs() <= ZERO_TOLERANCE), "{name}: the table's zero {z0} is not among {:?}", zeros.zeros);
    }
    if name == "sin" {
        let (first, period) = zeros.periodic.unwrap_or_else(|| panic!("sin: zeros not reported as a periodic family: {zeros:?}"));
        let pi = std::f64::consts::PI;
        assert!((period - pi).abs() <= 1e-9, "sin: period {period}");
        let k = ((first - pi / 2.0) / pi).round();
        assert!((first - pi / 2.0 - k * pi).abs() <= 1e-9, "sin: family starts at {first}, not π/2 + kπ");
        assert!(err.to_string().contains("k"), "sin: the message does not name the family: {err}");
    }
    // Every reported zero is a real zero of f': |f'(z)| tiny, and f' changes
    // sign there or touches 0 (a local minimum of |f'|).
    let scale = spread(-8.0, 8.0, 97).into_iter().map(|x| df(x).abs()).fold(0.0, f64::max);
    for &z in &zeros.zeros {
        let (l, m, rr) = (df(z - 1e-3), df(z), df(z + 1e-3));
        assert!(m.abs() <= 1e-8 * scale, "{name}: reported zero {z} has f'(z) = {m} (finite difference)");
        let crosses = l.signum() != rr.signum();
        let touches = l.signum() == rr.signum() && l.abs() > m.abs() && rr.abs() > m.abs();
        assert!(crosses || touches, "{name}: at the reported zero {z}, f' neither changes sign nor touches 0 ({l}, {m}, {rr})");
    }
    // And no zero is missed: every sign change of f' in [-12, 12] is reported.
    for (a, b) in independent_sign_changes(&f) {
        let in_list = zeros.zeros.iter().any(|&z| z >= a - 1e-9 && z <= b + 1e-9);
        let in_family = zeros.periodic.is_some_and(|(first, p)| {
            let k = ((a - first) / p).ceil();
            first + k * p <= b + 1e-9
        });
        assert!(in_list || in_family, "{name}: f' changes sign in [{a}, {b}] but foil reports {:?}", zeros.zeros);
    }
}

/// SA of a row: succeeds; F(x, …, x) = f(x); every term's adversarial
/// satisfies a'(u) = 1/t'(u) by finite differences.
fn check_sa(name: &str) -> SaResult {
    let s = sa(name).unwrap_or_else(|e| panic!("{name}: SA failed ({}): {e}", e.kind()));
    let (f, _) = reference(name);
    assert!(!s.terms.is_empty(), "{name}: no terms");
    for x in spread(-8.0, 8.0, 97) {
        let (lifted, want) = (ev_all(&s.split.lifted, x), f(x));
        assert!(close(lifted, want, 1e-9), "{name}: F(x,…,x) = {lifted} but f({x}) = {want}; F = {}", to_spec(&s.split.lifted));
    }
    for t in &s.terms {
        let tf = |u: f64| ev1(&t.term, u);
        let af = |u: f64| {
            ev(&t.adversarial, &|v| {
                assert_eq!(v, t.var, "{name}: the adversarial of {} uses `{v}`", t.var);
                u
            })
        };
        for u in spread(-4.0, 4.0, 80) {
            let want = 1.0 / fd8(&tf, u, H_F);
            let got = fd8(&af, u, H_G);
            assert!(
                want.is_finite() && rel_close(got, want, 1e-6),
                "{name}: term {} = {}: a'({u}) = {got} but 1/t'({u}) = {want}; a = {}",
                t.var,
                to_spec(&t.term),
                to_spec(&t.adversarial)
            );
        }
    }
    s
}

macro_rules! row_tests {
    ($check:ident: $($name:ident),* $(,)?) => {
        $( #[test] fn $name() { super::$check(stringify!($name)); } )*
    };
}

mod ga {
    row_tests!(check_monotone: tanh, sigmoid, softplus, softsign, elu, leaky_relu, atan, asinh, isru, bent_identity, sigmoid_2x, expm1);
}

mod ga_refused {
    row_tests!(check_refused: silu, gelu, gelu_tanh, mish, sin, logcosh);
}

mod sa {
    use super::*;

    #[test]
    fn tanh_has_four_terms_and_is_minus_tanh_on_the_diagonal() {
        let s = check_sa("tanh");
        assert_eq!(s.terms.len(), 4, "tanh terms: {:?}", s.terms.iter().map(|t| to_spec(&t.term)).collect::<Vec<_>>());
        for x in spread(-8.0, 8.0, 97) {
            let v = ev_all(&s.adversarial, x);
            assert!(close(v, -x.tanh(), 1e-12), "SA({x}, …) = {v}, want -tanh({x}) = {}; SA = {}", -x.tanh(), to_spec(&s.adversarial));
        }
    }

    #[test]
    fn silu_is_reported_singular() {
        let s = check_sa("silu");
        assert!(s.singular(), "silu SA = {} is not reported singular", to_spec(&s.adversarial));
        // And the singularity it reports is real: the denominator is 0 there.
        for sg in &s.singularities {
            let e = parse(&sg.expression).unwrap();
            let v = ev(&e, &|n| sg.at.iter().find(|(name, _)| name == n).map(|p| p.1).unwrap_or(f64::NAN));
            assert!(v.abs() <= 1e-9, "reported singularity {} has value {v}", sg.description);
        }
    }

    #[test]
    fn gelu() {
        check_sa("gelu");
    }

    #[test]
    fn mish() {
        check_sa("mish");
    }

    #[test]
    fn sigmoid() {
        check_sa("sigmoid");
    }

    #[test]
    fn gelu_tanh() {
        check_sa("gelu_tanh");
    }
}

fn golden_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ga.txt")
}

/// The printed g of every monotone row, `name<TAB>g`, under deterministic limits.
fn printed_gas(opts: &GaOptions) -> Vec<(String, String)> {
    MONOTONE
        .iter()
        .map(|&name| {
            let ga = ga_with(name, opts).unwrap_or_else(|e| panic!("{name}: GA refused: {e}"));
            (name.to_string(), to_spec(&ga.adversarial))
        })
        .collect()
}

#[test]
fn printed_ga_matches_the_golden_file() {
    let printed = printed_gas(&deterministic());
    // Each printed form reads back to the same function.
    for (name, text) in &printed {
        let back = parse(text).unwrap_or_else(|e| panic!("{name}: printed `{text}` does not read back: {e}"));
        let g = ga_with(name, &deterministic()).unwrap();
        for x in spread(-8.0, 8.0, 33) {
            assert!(close(ev1(&back, x), ev1(&g.adversarial, x), 1e-12), "{name}: `{text}` reads back to another function at {x}");
        }
    }
    let actual: String = printed.iter().map(|(n, g)| format!("{n}\t{g}\n")).collect();
    let path = golden_path();
    if std::env::var("FOIL_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        eprintln!("note: FOIL_BLESS=1: rewrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}\nnote: run `FOIL_BLESS=1 cargo test --test suite printed_ga` to create it", path.display()));
    if expected != actual {
        let mut diff = String::new();
        let exp: Vec<&str> = expected.lines().collect();
        let act: Vec<&str> = actual.lines().collect();
        for i in 0..exp.len().max(act.len()) {
            let (e, a) = (exp.get(i).copied().unwrap_or("<none>"), act.get(i).copied().unwrap_or("<none>"));
            if e != a {
                diff += &format!("- {e}\n+ {a}\n");
            }
        }
        panic!(
            "printed GAs differ from {}:\n{diff}note: if the new forms are intended, rewrite the file with \
             `FOIL_BLESS=1 cargo test --test suite printed_ga` and review the diff",
            path.display()
        );
    }
}

/// The printed form must not depend on how fast the machine is: with the
/// default e-graph limits (which include a wall-clock limit) it must be what
/// the node/iteration limits alone give.
#[test]
fn printed_ga_does_not_depend_on_the_clock() {
    let slow = printed_gas(&deterministic());
    let default = printed_gas(&GaOptions::default());
    let differ: Vec<String> =
        slow.iter().zip(&default).filter(|(a, b)| a.1 != b.1).map(|(a, b)| format!("{}: `{}` (no clock) vs `{}` (default limits)", a.0, a.1, b.1)).collect();
    assert!(differ.is_empty(), "the printed GA depends on the e-graph time limit:\n{}", differ.join("\n"));
}
