//! The end-to-end catalogue of hostile input (issue 6), through the real
//! `foil derive --format json`: for each input the exact error kind, the exact
//! byte span where the error has one, the exit code, what the message must
//! name, and a wall-time bound. None may panic (exit 101 or a signal) or hang.
//!
//! The parser's own finer-grained catalogue is `compiler/tests/parse_errors.rs`;
//! this one checks what a user of the command line sees.

mod common;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every case, in a debug build, on a shared machine.
const BOUND: Duration = Duration::from_secs(5);

struct Outcome {
    code: i32,
    json: Value,
    took: Duration,
}

/// `foil derive <src> --format json [extra]`; expressions too long for one
/// argv string (Linux caps it at 128 KiB) go through standard input (`-`).
fn derive(src: &str, extra: &[&str]) -> Outcome {
    let via_stdin = src.len() > 100_000;
    let mut args = vec!["derive", if via_stdin { "-" } else { src }, "--format", "json"];
    args.extend_from_slice(extra);
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_foil"))
        .args(&args)
        .stdin(if via_stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn foil");
    if via_stdin {
        // foil stops reading past its input bound: a broken pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(src.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    let shown = shown(src);
    let code = out.status.code().unwrap_or_else(|| panic!("foil derive {shown} was killed by a signal"));
    assert_ne!(code, 101, "foil derive {shown} panicked: {}", String::from_utf8_lossy(&out.stderr));
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("foil derive {shown}: stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    Outcome { code, json, took }
}

fn shown(src: &str) -> String {
    if src.len() > 60 {
        format!("<{} bytes: {:?}…>", src.len(), &src[..40])
    } else {
        format!("{src:?}")
    }
}

/// What a refused input must produce.
struct Refusal<'a> {
    kind: &'a str,
    /// (byte offset, byte length) into the input, for parse errors.
    span: Option<(u64, u64)>,
    code: i32,
    /// Fragments the message (and help) must contain.
    says: &'a [&'a str],
}

#[track_caller]
fn refused(src: &str, extra: &[&str], want: Refusal) -> Value {
    let o = derive(src, extra);
    let shown = shown(src);
    assert!(o.took < BOUND, "foil derive {shown} took {:?} (bound {BOUND:?})", o.took);
    let err = &o.json["error"];
    assert_eq!(o.code, want.code, "foil derive {shown}: {err:#}");
    assert_eq!(err["kind"], want.kind, "foil derive {shown}: {err:#}");
    match want.span {
        Some((offset, length)) => {
            assert_eq!(err["span"]["offset"].as_u64(), Some(offset), "foil derive {shown}: span of {err:#}");
            assert_eq!(err["span"]["length"].as_u64(), Some(length), "foil derive {shown}: span of {err:#}");
        }
        None => assert!(err.get("span").is_none(), "foil derive {shown}: unexpected span in {err:#}"),
    }
    let text = format!("{} {}", err["message"].as_str().unwrap_or_default(), err["help"].as_str().unwrap_or_default());
    for fragment in want.says {
        assert!(text.contains(fragment), "foil derive {shown}: {text:?} does not say {fragment:?}");
    }
    err.clone()
}

fn parse_error(kind: &str, offset: u64, length: u64, says: &'static [&'static str]) -> Refusal<'static> {
    // Leaked only so the table reads as one line per case.
    Refusal { kind: Box::leak(kind.to_string().into_boxed_str()), span: Some((offset, length)), code: 2, says }
}

#[test]
fn malformed_expressions() {
    refused("", &[], parse_error("empty", 0, 0, &["empty"]));
    refused(" \t\n ", &[], parse_error("empty", 0, 4, &["empty"]));
    refused("sin(x", &[], parse_error("unbalanced_paren", 3, 1, &["never closed"]));
    refused("x + 1)", &[], parse_error("unbalanced_paren", 5, 1, &["no matching `(`"]));
    refused("((x)", &[], parse_error("unbalanced_paren", 0, 1, &["never closed"]));
    refused("x +", &[], parse_error("trailing_operator", 2, 1, &["expected an expression after `+`"]));
    refused("tanh(x) *", &[], parse_error("trailing_operator", 8, 1, &["after `*`"]));
    refused("x ^", &[], parse_error("trailing_operator", 2, 1, &["after `^`"]));
    refused("tahn(x)", &[], parse_error("unknown_function", 0, 4, &["unknown function `tahn`", "did you mean `tanh`?"]));
    refused("x * sigmod(x)", &[], parse_error("unknown_function", 4, 6, &["did you mean `sigmoid`?"]));
    refused("sin(x, 2)", &[], parse_error("wrong_arity", 0, 9, &["`sin` takes 1 argument", "got 2"]));
    refused("max(x)", &[], parse_error("wrong_arity", 0, 6, &["`max` takes 2 arguments"]));
    refused("where(x, 1, 2)", &[], parse_error("where_without_comparison", 6, 1, &["must be a comparison"]));
    refused("where(x + 1, x, 2)", &[], parse_error("where_without_comparison", 6, 5, &["must be a comparison"]));
    refused("x * nan", &[], parse_error("invalid_number", 4, 3, &["not a finite number"]));
    refused("inf + x", &[], parse_error("invalid_number", 0, 3, &["not a finite number"]));
    refused("1e999 * x", &[], parse_error("invalid_number", 0, 5, &["too large"]));
    refused("x + 1/0", &[], parse_error("non_finite_constant", 4, 3, &["`1/0` is not finite"]));
    refused("x²", &[], parse_error("non_ascii", 1, 2, &["non-ASCII character `²`"]));
    refused("tanh(χ)", &[], parse_error("non_ascii", 5, 2, &["non-ASCII character `χ`"]));
    refused("ẋ + 1", &[], parse_error("non_ascii", 0, 3, &["non-ASCII"]));
}

#[test]
fn expressions_without_x_are_refused_with_their_span() {
    // x-free constants: parse fine, but an activation needs a variable.
    refused(" 2 + 3 ", &[], parse_error("constant_expression", 1, 5, &["no variable"]));
    refused("exp(1)*pi", &[], parse_error("constant_expression", 0, 9, &["no variable"]));
    // Division of x by zero is not a constant: it is infinite everywhere.
    refused("x/0", &[], parse_error("division_by_zero", 0, 3, &["`x/0` divides by zero"]));
    refused("tanh(x) / (1 - 1)", &[], parse_error("division_by_zero", 0, 17, &["divides by zero"]));
}

#[test]
fn hostile_sizes_fail_fast() {
    // 10,000-deep nesting: refused at the 201st parenthesis, before the stack grows.
    let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    refused(&deep, &[], parse_error("too_deep", 200, 1, &["nested more than 200 levels deep"]));
    let deep_calls = format!("{}x{}", "exp(".repeat(10_000), ")".repeat(10_000));
    refused(&deep_calls, &[], parse_error("too_deep", 803, 1, &["nested more than 200 levels deep"]));
    // A 20,000-term sum is a 20,000-deep tree for every later pass: refused,
    // with the span covering the chain up to the term past the limit.
    let sum = vec!["x"; 20_000].join(" + ");
    // `x` is 1 deep, so 401 terms ("x + " × 400 + "x", 1601 bytes) pass the limit.
    refused(&sum, &[], parse_error("too_deep", 0, 1601, &["more than 400 levels deep"]));
    let distinct: Vec<String> = (1..=20_000).map(|k| format!("sin({k}*x)")).collect();
    // sin(k*x) is 3 levels deep and each `+` adds one, so the 399th term
    // makes the tree 401 deep: the span is the sum of the first 399 terms.
    let first_399 = distinct[..399].join("+").len() as u64;
    refused(&distinct.join("+"), &[], parse_error("too_deep", 0, first_399, &["more than 400 levels deep", "as deep as it is long"]));
}

#[test]
fn functions_not_defined_on_all_of_r_are_refused_saying_where() {
    // log(x): NaN for x < 0 and -inf at 0.
    let e = refused("log(x)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x ≤ 0", "not a real number", "all of ℝ"] });
    assert_eq!((e["interval"]["lo"].clone(), e["interval"]["hi"].as_f64()), (Value::Null, Some(0.0)), "{e:#}");
    assert_eq!(e["interval"]["hi_closed"], true, "log(0) = -inf: 0 is outside the domain: {e:#}");
    // sqrt(x): sqrt(0) = 0 is real, so the refused set is open at 0.
    let e = refused("sqrt(x)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x < 0", "all of ℝ"] });
    assert_eq!(e["interval"]["hi_closed"], false, "{e:#}");
    // sin(1/x): a pole of 1/x at 0.
    let e = refused("sin(1/x)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x = 0", "all of ℝ"] });
    assert_eq!((e["interval"]["lo"].as_f64(), e["interval"]["hi"].as_f64()), (Some(0.0), Some(0.0)), "{e:#}");
    // Poles between the domain scan's grid points and beyond it, and a
    // domain's edge beyond it (each was "exact for all x", exit 0).
    for (src, at) in [("x - 1/(x - 0.3)", 0.3), ("x - 1/(x - 100)", 100.0), ("x + log(abs(x - 0.7))", 0.7)] {
        let e = refused(src, &[], Refusal { kind: "domain", span: None, code: 3, says: &["a pole", "all of ℝ"] });
        let (lo, hi) = (e["interval"]["lo"].as_f64().unwrap(), e["interval"]["hi"].as_f64().unwrap());
        assert!((lo - at).abs() < 1e-9 && (hi - at).abs() < 1e-9, "{src}: {e:#}");
    }
    let e = refused("x + sqrt(x + 100)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x < -100", "not a real number"] });
    assert_eq!(e["interval"]["lo"], Value::Null, "{e:#}");
    // x^x^x^x^x = x^(x^(x^(x^x))): x^y is not real for x < 0 and non-integer y.
    let e = refused("x^x^x^x^x", &[], Refusal { kind: "domain", span: None, code: 3, says: &["not a real number", "all of ℝ"] });
    assert_eq!(e["interval"]["lo"], Value::Null, "{e:#}");
    // The interval named is the first one, and only as far as it goes: x^x
    // is real at the negative integers (it said -64 < x < 0), sqrt(sin(x))
    // again from -21π down (it said x ≤ -20π); the others the scan finds
    // are listed after it (`more`), and named in the message up to four.
    let e = refused("x^x", &[], Refusal { kind: "domain", span: None, code: 3, says: &["-64 < x < -63, -63 < x < -62 and 62 more intervals"] });
    assert_eq!((e["interval"]["lo"].as_f64(), e["interval"]["hi"].as_f64()), (Some(-64.0), Some(-63.0)), "{e:#}");
    let more: Vec<(f64, f64)> = e["more"].as_array().unwrap().iter().map(|i| (i["lo"].as_f64().unwrap(), i["hi"].as_f64().unwrap())).collect();
    assert_eq!(more, (-63..0).map(|k| (k as f64, k as f64 + 1.0)).collect::<Vec<_>>(), "{e:#}");
    let e = refused(
        "x + sqrt(sin(x))",
        &[],
        Refusal { kind: "domain", span: None, code: 3, says: &["-65.973445725 ≤ x ≤ -62.831853072, -59.690260418 ≤ x ≤ -56.548667765 and "] },
    );
    let pi = std::f64::consts::PI;
    let (lo, hi) = (e["interval"]["lo"].as_f64().unwrap(), e["interval"]["hi"].as_f64().unwrap());
    assert!((lo + 21.0 * pi).abs() < 1e-8 && (hi + 20.0 * pi).abs() < 1e-8, "{e:#}");
    // sin(x) < 0 on ((2k - 1)π, 2kπ): every such interval the scan of
    // [-64, 64] reaches, the last ending at 20π.
    let more = e["more"].as_array().unwrap();
    for (k, i) in (-9..=10).zip(more) {
        let (lo, hi) = (i["lo"].as_f64().unwrap(), i["hi"].as_f64().unwrap());
        assert!((lo - (2 * k - 1) as f64 * pi).abs() < 1e-8 && (hi - 2.0 * k as f64 * pi).abs() < 1e-8, "{k}: {e:#}");
    }
    assert_eq!(more.len(), 20, "{e:#}");
    // Two intervals, both named: isru(x, -1) = x/sqrt(1 - x²) is real only on (-1, 1).
    let e = refused("isru(x, -1)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x ≤ -1 and x ≥ 1: f(-64) is not a real number"] });
    assert_eq!(e["more"][0]["lo"].as_f64(), Some(1.0), "{e:#}");
    // Two poles between the samples.
    refused("x - 1/(x - 0.3) - 1/(x - 0.7)", &[], Refusal { kind: "domain", span: None, code: 3, says: &["x = 0.3 and x = 0.7: f(0.3) is infinite (a pole)"] });
}

#[test]
fn relu_is_refused_as_flat_with_the_regularize_hint() {
    let e = refused("relu(x)", &[], Refusal { kind: "flat_derivative", span: None, code: 3, says: &["x < 0", "--regularize"] });
    assert_eq!((e["interval"]["lo"].clone(), e["interval"]["hi"].as_f64()), (Value::Null, Some(0.0)), "{e:#}");
}

/// Nested activations expand geometrically in the normal form the proofs
/// use: tanh nested 9 deep took 66 s, 16 deep ran past 100 s. The form is
/// bounded now (canon's MAX_MONOMIALS), so it derives, numerically.
#[test]
fn tanh_nested_16_deep_derives_within_the_bound() {
    let src = (0..16).fold("x".to_string(), |e, _| format!("tanh({e})"));
    let o = derive(&src, &[]);
    assert!(o.took < BOUND, "took {:?} (bound {BOUND:?})", o.took);
    assert_eq!((o.code, o.json["closed_form"].as_bool()), (0, Some(false)), "{:#}", o.json);
}

/// exp(exp(exp(exp(x)))) is defined on all of ℝ and strictly increasing, so
/// its GA exists; 1/f' has no elementary antiderivative, so foil answers with
/// a numeric (piecewise-polynomial) g, marked approximate, with its range and
/// error bound. f itself overflows f64 for x > ln(ln(ln(f64::MAX))) ≈ 0.637,
/// where the true 1/f' is below the smallest f64 (g is flat there in f64).
#[test]
fn a_tower_of_exponentials_has_a_numeric_ga_that_is_right() {
    let src = "exp(exp(exp(exp(x))))";
    let o = derive(src, &[]);
    assert!(o.took < BOUND, "took {:?}", o.took);
    assert_eq!(o.code, 0, "{:#}", o.json);
    let v = &o.json;
    assert_eq!((v["closed_form"].as_bool(), v["approximate"].as_bool()), (Some(false), Some(true)), "it must say it is numeric");
    assert_eq!(v["verification"]["passed"], true);
    let bound = v["error_bound"].as_f64().expect("a numeric result states its error bound");
    assert!(bound > 0.0 && bound < 1e-6, "{bound}");
    let range = v["numeric_range"].as_f64().expect("and its range");
    assert!(range >= 8.0, "{range}");
    // Independently, in f64: g(0) = f(0) = e^(e^e), and g' = 1/f' where
    // 1/f' = exp(-(x + e^x + e^(e^x) + e^(e^(e^x)))) (no overflow in this form).
    let g = foil_compiler::parse::parse(v["adversarial"].as_str().unwrap()).expect("the printed g parses");
    let at = |x: f64| common::ev(&g, &|_| x);
    let f0 = std::f64::consts::E.powf(std::f64::consts::E).exp();
    assert!((at(0.0) - f0).abs() <= 1e-9 * f0, "g(0) = {} but f(0) = {f0}", at(0.0));
    let inv_df = |x: f64| (-(x + x.exp() + x.exp().exp() + x.exp().exp().exp())).exp();
    for k in -32..=32 {
        let x = k as f64 * 0.25 + 0.0625;
        let h = 1e-4;
        let dg = (at(x + h) - at(x - h)) / (2.0 * h);
        let want = inv_df(x);
        // Central differences of a function of size 4e6 lose ~1e-5 absolute.
        assert!((dg - want).abs() <= 1e-6 * want.abs().max(1.0) + 1e-4, "at x = {x}: g' = {dg}, 1/f' = {want}");
    }
}

/// relu6 and hardtanh are flat on both sides: both intervals are named.
#[test]
fn every_flat_interval_is_named() {
    let e = refused("min(max(x, 0), 6)", &[], Refusal { kind: "flat_derivative", span: None, code: 3, says: &["x < 0", "x > 6"] });
    let all: Vec<(Value, Value)> = e["intervals"].as_array().unwrap().iter().map(|i| (i["lo"].clone(), i["hi"].clone())).collect();
    assert_eq!(all, [(Value::Null, 0.0.into()), (6.0.into(), Value::Null)], "{e:#}");
    // The first one stays where tools read it.
    assert_eq!((e["interval"]["lo"].clone(), e["interval"]["hi"].as_f64()), (Value::Null, Some(0.0)), "{e:#}");
    let e = refused("hardtanh(x)", &[], Refusal { kind: "flat_derivative", span: None, code: 3, says: &["x < -1", "x > 1"] });
    assert_eq!(e["intervals"].as_array().map(Vec::len), Some(2), "{e:#}");
    // Flat on one side, zeros on the other: both named.
    let e = refused("where(x < 0, 0, sin(x))", &[], Refusal { kind: "flat_derivative", span: None, code: 3, says: &["x < 0", "vanishes at"] });
    assert!(e["zeros"].as_array().is_some_and(|z| !z.is_empty()), "{e:#}");
}

/// A non-finite anchor is an invalid option, not a panic (exit 101 before).
#[test]
fn a_non_finite_anchor_is_an_invalid_option() {
    for a in ["nan", "inf"] {
        refused("tanh(x)", &["--anchor", a], Refusal { kind: "invalid_option", span: None, code: 2, says: &["anchor", "finite"] });
    }
}

/// tanh anchored at 10 derives (g adds C ≈ -1.2e8; exit 1 before, the
/// finite-difference check drowned in C's rounding) and says how closely
/// f64 meets f there; at 15, where f64 holds g only to ±6e-4, the anchor is
/// refused by name.
#[test]
fn an_anchor_far_out_derives_or_is_refused_by_name() {
    let o = derive("tanh(x)", &["--anchor", "10"]);
    assert_eq!(o.code, 0, "{:#}", o.json);
    assert!(o.json["verification"]["anchor_error"].as_f64().is_some_and(|e| e < 1e-7), "{:#}", o.json);
    let text = Command::new(env!("CARGO_BIN_EXE_foil")).args(["derive", "tanh", "--anchor", "10"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("g(10) = f(10) up to f64's rounding of g's large terms there (±2.7e-8)"), "{text}");
    refused("tanh(x)", &["--anchor", "15"], Refusal { kind: "invalid_option", span: None, code: 2, says: &["anchor x = 15", "only to ±5.9e-4", "nearer 0"] });
}

/// Each mode's anchor option is refused with the other mode (`--anchor`
/// with `--mode sa` was silently ignored).
#[test]
fn an_anchor_option_of_the_other_mode_is_refused() {
    refused("tanh(x)", &["--mode", "sa", "--anchor", "1"], Refusal { kind: "invalid_option", span: None, code: 2, says: &["--anchor", "--anchor-terms"] });
    refused("tanh(x)", &["--anchor-terms"], Refusal { kind: "invalid_option", span: None, code: 2, says: &["--anchor-terms", "--mode sa"] });
    for (args, anchor) in [(&["--mode", "sa", "--anchor-terms"][..], None), (&["--anchor", "1"][..], Some(1.0))] {
        let o = derive("tanh(x)", args);
        assert_eq!(o.code, 0, "{args:?}: {:#}", o.json);
        if anchor.is_some() {
            assert_eq!(o.json["anchor"].as_f64(), anchor, "{:#}", o.json);
        }
    }
}

/// A sum of seven tanh(k·x): its partial fractions' roots are not all
/// finite in f64, which panicked (exit 101); it has a numeric GA.
#[test]
fn a_sum_of_seven_tanh_has_a_ga() {
    let o = derive("tanh(x) + tanh(2*x) + tanh(3*x) + tanh(4*x) + tanh(5*x) + tanh(6*x) + tanh(7*x)", &[]);
    assert_eq!(o.code, 0, "{:#}", o.json);
    assert_eq!(o.json["closed_form"], Value::Bool(false), "{:#}", o.json);
}

/// An SA holding a power that is not whole of a base that reaches 0 is
/// singular (it was reported not singular, and trained into NaN).
#[test]
fn an_sa_with_a_root_of_a_base_that_reaches_0_is_singular() {
    let o = derive("(1 + exp(x))^0.5 + x", &["--mode", "sa"]);
    assert_eq!(o.code, 0, "{:#}", o.json);
    assert_eq!(o.json["singular"], Value::Bool(true), "{:#}", o.json);
    assert_eq!(o.json["singularities"][0]["kind"], "power", "{:#}", o.json);
}

/// Sums of two tanh or sigmoid terms: their closed-form g overflows f64 as
/// written (inf - inf) far out, where it is still real; that failed the
/// derivation (exit 1, "g is not real and finite at x = 200").
#[test]
fn sums_of_two_saturating_terms_have_a_closed_form_ga() {
    for src in ["tanh(x) + tanh(2*x)", "tanh(x) + sigmoid(x)", "sigmoid(x) + sigmoid(2*x)"] {
        let o = derive(src, &[]);
        assert_eq!(o.code, 0, "{src}: {:#}", o.json);
        assert_eq!(o.json["closed_form"], Value::Bool(true), "{src}: {:#}", o.json);
    }
}

/// A split term that is constant piece by piece (`sign(x)`) has no
/// adversarial: refused naming the term, exit 3. It was refused with GA's
/// words for f ("f' ≡ 0 on all x ... try --mode sa"), in SA mode.
#[test]
fn a_piecewise_constant_split_term_is_refused_naming_it() {
    for src in ["sign(x)*log(1 + abs(x))", "x + sign(x)"] {
        let err =
            refused(src, &["--mode", "sa"], Refusal { kind: "term_flat", span: None, code: 3, says: &["split term `sign(x)`", "derivative of 0 on all u"] });
        assert_eq!(err["intervals"], serde_json::json!([{ "lo": null, "hi": null }]), "{src}: {err:#}");
    }
}

/// At a jump of f, g(anchor) = f(anchor) cannot hold from both sides: the
/// anchor is refused, naming the jump (it failed verification, exit 1);
/// anchored where f is continuous, g exists. A steep f that is continuous
/// at the anchor (a signed square root, whose sides 1e-12 away differ by
/// 2e-6) is not a jump: it was refused as one.
#[test]
fn an_anchor_at_a_jump_of_f_is_refused_naming_the_jump() {
    for src in ["x + sign(x)", "where(x > 0, x + 1, x)"] {
        refused(src, &[], Refusal { kind: "invalid_option", span: None, code: 2, says: &["jumps at the anchor x = 0", "to 1"] });
    }
    for (src, args) in [("x + sign(x)", &["--anchor", "1"][..]), ("sign(x)*sqrt(abs(x))", &[]), ("x + sign(x)*abs(x)^0.1", &[])] {
        let o = derive(src, args);
        assert_eq!(o.code, 0, "{src}: {:#}", o.json);
    }
}
