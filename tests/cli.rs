//! The real `foil` binary: exit codes, the JSON contract, the subcommands and
//! their help. Every run is bounded in time (< 10 s, in debug) to catch hangs.

mod common;

use common::*;
use foil_compiler::parse::parse;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(10);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// stdout as JSON (every `--format json` output must be valid JSON).
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not valid JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

fn foil(args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_foil"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run foil with {} bytes of arguments: {e}", args.iter().map(|a| a.len()).sum::<usize>()));
    let took = start.elapsed();
    let shown: Vec<String> = args.iter().map(|a| if a.len() > 60 { format!("<{} bytes>", a.len()) } else { format!("{a:?}") }).collect();
    assert!(took < BOUND, "foil {} took {took:?} (bound {BOUND:?})", shown.join(" "));
    Run {
        code: out.status.code().unwrap_or_else(|| panic!("foil {} was killed by a signal", shown.join(" "))),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn derive_json(expr: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["derive", expr, "--format", "json"];
    args.extend_from_slice(extra);
    let r = foil(&args);
    let v = r.json();
    (r.code, v)
}

/// A JSON string field that must exist.
fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` missing or not a string in {v:#}"))
}

// ---- exit codes -------------------------------------------------------------

#[test]
fn derive_tanh_exits_0() {
    let r = foil(&["derive", "tanh(x)"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stdout.contains("g(x)"), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

fn deep_nesting() -> String {
    format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000))
}

/// A syntactically fine 1 MB expression (`x + x + … `): over foil's 1 MiB input bound.
fn one_megabyte() -> String {
    let mut e = String::with_capacity(1 << 20);
    while e.len() < (1 << 20) + 16 {
        e.push_str("x + ");
    }
    e.push('x');
    e
}

/// (input, the parse error kind it must give)
fn invalid_inputs() -> Vec<(String, &'static str)> {
    vec![
        ("".into(), "empty"),
        ("(x".into(), "unbalanced_paren"),
        ("tahn(x)".into(), "unknown_function"),
        ("nan".into(), "invalid_number"),
        ("1/0".into(), "non_finite_constant"),
        (deep_nesting(), "too_deep"),
        ("sin(x, 2)".into(), "wrong_arity"),
    ]
}

#[test]
fn invalid_expressions_exit_2_with_a_diagnostic() {
    for (e, _) in invalid_inputs() {
        let r = foil(&["derive", &e]);
        assert_eq!(r.code, 2, "{:.60?}: stdout {} stderr {}", e, r.stdout, r.stderr);
        assert!(!r.stderr.trim().is_empty(), "{e:.60?}: no diagnostic on stderr");
        assert!(r.stdout.is_empty(), "{e:.60?}: stdout {}", r.stdout);
    }
}

#[test]
fn invalid_expressions_in_json_have_kind_message_and_span() {
    for (e, kind) in invalid_inputs() {
        let (code, v) = derive_json(&e, &[]);
        assert_eq!(code, 2, "{e:.60?}: {v:#}");
        let err = &v["error"];
        assert_eq!(s(err, "kind"), kind, "{e:.60?}: {v:#}");
        assert!(!s(err, "message").is_empty());
        let (off, len) = (err["span"]["offset"].as_u64(), err["span"]["length"].as_u64());
        let (off, len) = (off.unwrap_or_else(|| panic!("{e:.60?}: no span.offset: {v:#}")), len.expect("span.length"));
        assert!(off + len <= e.len() as u64, "{e:.60?}: span {off}+{len} outside the input");
    }
}

/// The OS caps one argument at 128 KiB (Linux MAX_ARG_STRLEN), so a 1 MB
/// expression can only reach foil if it reads EXPR some other way. This test
/// passes it as the argument, as a user would try first.
#[test]
fn a_one_megabyte_expression_exits_2() {
    // One argv string is limited to 128 KiB, so the expression goes through stdin (`-`).
    let e = one_megabyte();
    let mut child = Command::new(env!("CARGO_BIN_EXE_foil"))
        .args(["derive", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn foil");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // foil stops reading past its 1 MiB limit: a broken pipe here is fine.
        let _ = stdin.write_all(e.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["error"]["kind"], "too_large", "{v:#}");
}

/// Every subcommand that takes EXPR reads `-` as standard input (emit and
/// plot took `-` as the expression and refused it), and says so in --help.
#[test]
fn every_expression_taking_subcommand_reads_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("p.png");
    let png = png.to_str().unwrap();
    for (args, says) in [
        (&["derive", "-"][..], "g(x)  = 0.5*x + 0.25*sinh(2*x)"),
        (&["check", "-"][..], "g(x)  = 0.5*x + 0.25*sinh(2*x)"),
        (&["split", "-"][..], "u1   = exp(x)"),
        (&["emit", "-"][..], "`g(x) = 0.5*x + 0.25*sinh(2*x)`"),
        (&["plot", "-", "--out", png][..], "g(x) = 0.5*x + 0.25*sinh(2*x)"),
    ] {
        let mut child =
            Command::new(env!("CARGO_BIN_EXE_foil")).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"tanh(x)\n").unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains(says), "{args:?}: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        let help = foil(&[args[0], "--help"]).stdout;
        assert!(help.split_whitespace().collect::<Vec<_>>().join(" ").contains("`-` alone reads it from standard input"), "{}: {help}", args[0]);
    }
}

/// The largest expression the OS lets through argv (just under 128 KiB) is
/// refused quickly and cleanly too (its `+` chain is deeper than foil allows).
#[test]
fn a_128k_expression_through_argv_exits_2() {
    let mut e = one_megabyte();
    e.truncate(120_000);
    e.push('x');
    let (code, v) = derive_json(&e, &[]);
    assert_eq!(code, 2, "{:#}", v["error"]);
    assert!(v["error"]["kind"].is_string());
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(foil(&["derive"]).code, 2);
    assert_eq!(foil(&["derive", "tanh(x)", "--mode", "banana"]).code, 2);
    assert_eq!(foil(&["frobnicate"]).code, 2);
}

#[test]
fn silu_ga_is_refused_with_exit_3_naming_the_zero() {
    let r = foil(&["derive", "x*sigmoid(x)"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("-1.2784"), "the zero is not named: {}", r.stderr);
    let (code, v) = derive_json("x*sigmoid(x)", &[]);
    assert_eq!(code, 3);
    let err = &v["error"];
    assert_eq!(s(err, "kind"), "derivative_zeros");
    assert!(!s(err, "message").is_empty());
    let zeros: Vec<f64> =
        err["zeros"].as_array().unwrap_or_else(|| panic!("no error.zeros array: {v:#}")).iter().map(|z| z.as_f64().expect("zeros are numbers")).collect();
    assert!(zeros.iter().any(|z| (z + 1.2785).abs() < 1e-3), "{zeros:?}");
    // Each is a zero of silu' = s(x)(1 + x(1 - s(x))), written by hand.
    for z in zeros {
        let d = sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z)));
        assert!(d.abs() < 1e-9, "silu'({z}) = {d}");
    }
}

#[test]
fn relu_ga_is_refused_with_exit_3_naming_the_flat_interval() {
    let r = foil(&["derive", "relu(x)"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("x < 0"), "the flat interval is not named: {}", r.stderr);
    let (code, v) = derive_json("relu(x)", &[]);
    assert_eq!(code, 3);
    assert_eq!(s(&v["error"], "kind"), "flat_derivative");
    assert!(s(&v["error"], "message").contains("x < 0"), "{v:#}");
    assert_eq!(v["error"]["interval"]["lo"], Value::Null, "{v:#}");
    assert_eq!(v["error"]["interval"]["hi"].as_f64(), Some(0.0), "{v:#}");
}

#[test]
fn log_ga_is_refused_with_exit_3_for_its_domain() {
    let r = foil(&["derive", "log(x)"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let (code, v) = derive_json("log(x)", &[]);
    assert_eq!(code, 3);
    assert_eq!(s(&v["error"], "kind"), "domain");
    assert!(!s(&v["error"], "message").is_empty());
    assert!(v["error"]["interval"]["hi"].as_f64().is_some_and(|h| h <= 0.0), "{v:#}");
}

/// An option a refusal suggests must exist.
#[test]
fn refusal_messages_only_suggest_options_that_exist() {
    let help = foil(&["derive", "--help"]).stdout;
    for e in ["x*sigmoid(x)", "relu(x)", "log(x)", "sin(x)"] {
        let (_, v) = derive_json(e, &[]);
        let msg = s(&v["error"], "message").to_string();
        for word in msg.split(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '(') {
            if let Some(flag) = word.strip_prefix("--") {
                let flag = flag.trim_end_matches(|c: char| !c.is_alphanumeric());
                assert!(help.contains(&format!("--{flag}")), "`{e}`: the message suggests `--{flag}`, which `foil derive` does not have: {msg}");
            }
        }
    }
}

// ---- the JSON contract ------------------------------------------------------

#[test]
fn ga_json_contract() {
    let (code, v) = derive_json("tanh(x)", &[]);
    assert_eq!(code, 0);
    assert_eq!(s(&v, "input"), "tanh(x)");
    assert_eq!(s(&v, "mode"), "ga");
    assert_eq!(v["closed_form"], Value::Bool(true));
    let read = |key: &str| parse(s(&v, key)).unwrap_or_else(|e| panic!("`{key}` = {} does not read back: {e}", s(&v, key)));
    let (f, df, g, dg) = (read("input"), read("derivative"), read("adversarial"), read("adversarial_derivative"));
    for x in spread(-8.0, 8.0, 65) {
        let c = x.cosh();
        assert!(close(ev1(&f, x), x.tanh(), 1e-12));
        assert!(close(ev1(&df, x), 1.0 / (c * c), 1e-12), "derivative at {x}");
        assert!(close(ev1(&g, x), x / 2.0 + (2.0 * x).sinh() / 4.0, 1e-12), "adversarial at {x}");
        assert!(close(ev1(&dg, x), c * c, 1e-12), "adversarial_derivative at {x}");
    }
    let ver = &v["verification"];
    assert!(ver["points"].as_u64().is_some_and(|p| p >= 64), "{ver:#}");
    assert!(ver["max_rel_error"].as_f64().is_some_and(|e| e <= 1e-9), "{ver:#}");
}

/// gelu_tanh's numeric term: the JSON carries the kernels' own fit, read
/// back and checked here against the term's a' = 1/t' by finite differences
/// of the fit itself, and against the certified a, within its 1e-7.
#[test]
fn sa_json_carries_the_kernels_fit_of_a_numeric_term() {
    let (code, v) = derive_json("gelu_tanh(x)", &["--mode", "sa"]);
    assert_eq!(code, 0, "{v:#}");
    let t = &v["terms"][1];
    let k = &t["kernel"];
    assert_eq!((k["pieces"].as_u64(), k["degree"].as_u64(), k["tolerance"].as_f64()), (Some(2), Some(18), Some(1e-7)), "{k:#}");
    assert!(k["bound"].as_f64().is_some_and(|b| b > 0.0 && b <= 1e-7), "{k:#}");
    let (fit, certified) = (parse(s(k, "adversarial")).unwrap(), parse(s(t, "adversarial")).unwrap());
    let term = parse(s(t, "term")).unwrap();
    for u in spread(-10.0, 10.0, 81) {
        let (a, b) = (ev_all(&fit, u), ev_all(&certified, u));
        assert!((a - b).abs() <= 1.01e-7 * b.abs() + 1e-14, "a({u}): fit {a}, certified {b}");
    }
    // Where t' itself resolves in f64 differences (t saturates beyond).
    for u in spread(-4.0, 4.0, 33) {
        let want = 1.0 / fd8(&|y| ev1(&term, y), u, H_F);
        let got = fd8(&|y| ev_all(&fit, y), u, H_G);
        assert!(rel_close(got, want, 1e-6), "fit's a'({u}) = {got}, 1/t' = {want}");
    }
    assert_ne!(v["kernel"], v["adversarial"]);
    parse(s(&v, "kernel")).expect("the kernels' SA reads back");
}

#[test]
fn sa_json_contract() {
    let (code, v) = derive_json("tanh(x)", &["--mode", "sa"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(s(&v, "mode"), "sa");
    // Closed-form terms: the kernels evaluate the SA itself.
    assert_eq!(v["kernel"], v["adversarial"]);
    assert!(v["terms"].as_array().unwrap().iter().all(|t| t["kernel"].is_null()));
    let terms = v["terms"].as_array().unwrap_or_else(|| panic!("no terms: {v:#}"));
    assert_eq!(terms.len(), 4);
    for t in terms {
        let var = s(t, "var");
        let term = parse(s(t, "term")).expect("term reads back");
        let adv = parse(s(t, "adversarial")).expect("adversarial reads back");
        // a'(u) = 1/t'(u) by finite differences.
        for u in spread(-4.0, 4.0, 16) {
            let want = 1.0 / fd8(&|y| ev1(&term, y), u, H_F);
            let got = fd8(
                &|y| {
                    ev(&adv, &|n| {
                        assert_eq!(n, var);
                        y
                    })
                },
                u,
                H_G,
            );
            assert!(rel_close(got, want, 1e-6), "term {var}: a'({u}) = {got}, 1/t' = {want}");
        }
    }
    let split = parse(s(&v, "split")).expect("split reads back");
    let sa = parse(s(&v, "adversarial")).expect("adversarial reads back");
    for x in spread(-8.0, 8.0, 33) {
        assert!(close(ev_all(&split, x), x.tanh(), 1e-12));
        assert!(close(ev_all(&sa, x), -x.tanh(), 1e-12));
    }
    assert_eq!(v["singular"], Value::Bool(false), "{v:#}");
    assert_eq!(v["singularities"].as_array().map(Vec::len), Some(0), "{v:#}");

    let (code, v) = derive_json("x*sigmoid(x)", &["--mode", "sa"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["singular"], Value::Bool(true), "{v:#}");
    assert!(v["singularities"].as_array().is_some_and(|a| !a.is_empty()), "{v:#}");
}

// ---- subcommands -------------------------------------------------------------

#[test]
fn split_tanh_has_four_terms() {
    let r = foil(&["split", "tanh(x)"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let term_lines = r.stdout.lines().filter(|l| l.trim_start().starts_with('u') && l.contains('=')).count();
    assert_eq!(term_lines, 4, "{}", r.stdout);
    let r = foil(&["split", "tanh(x)", "--format", "json"]);
    let v = r.json();
    assert_eq!(v["terms"].as_array().map(Vec::len), Some(4), "{v:#}");
    let f = parse(s(&v, "split")).expect("split reads back");
    for x in spread(-8.0, 8.0, 33) {
        assert!(close(ev_all(&f, x), x.tanh(), 1e-12));
    }
}

const NAMED: [&str; 15] = [
    "sigmoid", "softplus", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "silu", "mish", "softsign", "hardtanh", "isru", "bent_identity", "logcosh",
];

#[test]
fn list_names_all_fifteen_activations() {
    let r = foil(&["list"]);
    assert_eq!(r.code, 0);
    for n in NAMED {
        assert!(r.stdout.lines().any(|l| l.starts_with(&format!("{n}("))), "`{n}` not listed:\n{}", r.stdout);
    }
    let v = foil(&["list", "--format", "json"]).json();
    let names: Vec<&str> = v.as_array().expect("an array").iter().map(|a| s(a, "name")).collect();
    assert_eq!(names.len(), 15, "{names:?}");
    for n in NAMED {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    // Every one-parameter definition parses and, called by name, is that
    // definition (definitions with parameters use their parameter names).
    for a in v.as_array().unwrap().iter().filter(|a| s(a, "signature") == format!("{}(x)", s(a, "name"))) {
        let def = parse(s(a, "definition")).unwrap_or_else(|e| panic!("{}: definition does not parse: {e}", s(a, "name")));
        let called = parse(&format!("{}(x)", s(a, "name"))).unwrap();
        for x in spread(-4.0, 4.0, 17) {
            assert!(close(ev1(&def, x), ev1(&called, x), 1e-12), "{}", s(a, "name"));
        }
    }
}

#[test]
fn check_atan_json_includes_the_sample_points() {
    let r = foil(&["check", "atan(x)", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let samples = v["samples"].as_array().unwrap_or_else(|| panic!("no samples: {v:#}"));
    assert!(samples.len() >= 64, "{} samples", samples.len());
    let xs: Vec<f64> = samples.iter().map(|p| p["x"].as_f64().expect("x")).collect();
    assert!(xs.iter().any(|&x| x <= -7.9) && xs.iter().any(|&x| x >= 7.9), "samples do not span [-8, 8]");
    for p in samples {
        let x = p["x"].as_f64().unwrap();
        let expected = p["expected"].as_f64().expect("expected");
        let actual = p["actual"].as_f64().expect("actual");
        assert!(close(expected, 1.0 + x * x, 1e-12), "1/f'({x}) reported as {expected}");
        assert!(close(actual, 1.0 + x * x, 1e-9), "g'({x}) reported as {actual}");
    }
}

/// Options (and positional arguments) of a `--help` page that have no
/// description: only `[default: …]` / `[possible values: …]` under them.
fn undocumented(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = help.lines().collect();
    let mut section = "";
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with(' ') && l.ends_with(':') {
            section = l;
            continue;
        }
        if !(section == "Options:" || section == "Arguments:") {
            continue;
        }
        let t = l.trim_start();
        let indent = l.len() - t.len();
        let is_item = indent <= 6 && (t.starts_with('-') || t.starts_with('<') || t.starts_with('['));
        if !is_item {
            continue;
        }
        // Description: text on the same line after the name, or the indented
        // lines below it up to the next item.
        let head = t.split("  ").skip(1).map(str::trim).find(|s| !s.is_empty()).map(str::to_string);
        let mut body: Vec<&str> = Vec::new();
        for m in &lines[i + 1..] {
            let mt = m.trim_start();
            if mt.is_empty() {
                continue;
            }
            if m.len() - mt.len() <= 6 {
                break;
            }
            body.push(mt);
        }
        let described = head
            .iter()
            .map(String::as_str)
            .chain(body.iter().copied())
            .any(|d| !(d.starts_with("[default") || d.starts_with("[possible values") || d.starts_with("[aliases")));
        if !described {
            out.push(t.split("  ").next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn every_subcommand_help_documents_its_options() {
    let mut missing = Vec::new();
    for sub in ["derive", "split", "check", "list", "suite"] {
        let r = foil(&[sub, "--help"]);
        assert_eq!(r.code, 0, "{sub} --help: {}", r.stderr);
        assert!(r.stdout.contains("Usage: foil"), "{sub} --help:\n{}", r.stdout);
        for item in undocumented(&r.stdout) {
            missing.push(format!("foil {sub}: {item}"));
        }
    }
    // The options the derive page must mention at all.
    let derive = foil(&["derive", "--help"]).stdout;
    for opt in ["--mode", "--format", "--anchor", "--granularity", "--node-limit", "--time-limit-ms"] {
        assert!(derive.contains(opt), "derive --help does not mention {opt}");
    }
    assert!(missing.is_empty(), "options without a description in --help:\n{}", missing.join("\n"));
}

#[test]
fn every_help_page_documents_the_exit_codes_and_the_top_one_the_subcommands() {
    let r = foil(&["--help"]);
    assert_eq!(r.code, 0);
    for w in ["derive", "split", "check", "list", "suite", "train", "compare", "plot", "fetch", "emit"] {
        assert!(r.stdout.contains(w), "`{w}` not in --help:\n{}", r.stdout);
    }
    for page in ["", "derive", "split", "check", "list", "emit", "suite", "train", "compare", "plot", "fetch"] {
        let r = foil(&[page, "--help"].into_iter().filter(|a| !a.is_empty()).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{page}: {}", r.stderr);
        let text = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        for w in ["Exit codes: 0 success; 2 invalid expression, option or input", "damaged checkpoint", "3 refused by the maths", "1 internal error"] {
            assert!(text.contains(w), "foil {page} --help lacks `{w}`:\n{}", r.stdout);
        }
    }
}

#[test]
fn every_json_output_is_valid_json() {
    let runs: &[&[&str]] = &[
        &["derive", "tanh(x)", "--format", "json"],
        &["derive", "sigmoid(x)", "--format", "json"],
        &["derive", "elu(x)", "--format", "json"],
        &["derive", "gelu(x)", "--mode", "sa", "--format", "json"],
        &["derive", "sin(x)", "--format", "json"],
        &["derive", "x*y", "--format", "json"],
        &["derive", "2+3", "--format", "json"],
        &["derive", "(", "--format", "json"],
        &["check", "tanh(x)", "--format", "json"],
        &["check", "silu(x)", "--mode", "sa", "--format", "json"],
        &["split", "mish(x)", "--format", "json"],
        &["split", "tahn(x)", "--format", "json"],
        &["list", "--format", "json"],
    ];
    for args in runs {
        let r = foil(args);
        let v = r.json();
        assert!(v.is_object() || v.is_array(), "{args:?}: {v}");
        if r.code != 0 {
            assert!(v["error"]["kind"].is_string() && v["error"]["message"].is_string(), "{args:?}: {v:#}");
        }
    }
}

// ---- the suite and bare names ------------------------------------------------

/// `foil suite` goes red when the table names a zero foil does not find, or
/// misses one it finds, and says which row; a table that does not read is an
/// invalid input naming its line and column.
#[test]
fn suite_fails_on_a_wrong_zero() {
    let dir = tempfile::tempdir().unwrap();
    let table = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let right = table("right.tsv", "silu\tx*sigmoid(x)\trefused\t-1.278464543\t-\trequired\t\n");
    let r = foil(&["suite", "--table", &right]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1/1 activations as the suite expects"), "{}", r.stdout);

    for (file, body) in [
        ("wrong.tsv", "silu\tx*sigmoid(x)\trefused\t-1.2785\t-\trequired\t\n"),
        ("extra.tsv", "silu\tx*sigmoid(x)\trefused\t-1.278464543, 0.5\t-\trequired\t\n"),
        ("closed.tsv", "tanh\ttanh(x)\tclosed\t-\tx/2 + sinh(2*x)/3\t-\t\n"),
    ] {
        let r = foil(&["suite", "--table", &table(file, body)]);
        assert_eq!(r.code, 1, "{file}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("NOT AS EXPECTED"), "{file}: {}", r.stdout);
        let j = foil(&["suite", "--table", &table(file, body), "--format", "json"]);
        assert_eq!(j.code, 1);
        assert_eq!(j.json()["failures"].as_array().map(Vec::len), Some(1), "{file}: {}", j.stdout);
    }

    let bad = table("bad.tsv", "# a comment\nsilu\tx*sigmoid(x)\tmaybe\t-\t-\t-\t\n");
    let r = foil(&["suite", "--table", &bad]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 2") && r.stderr.contains("`ga`"), "{}", r.stderr);
    // With --format json, one JSON object on stdout (it printed nothing there).
    let j = foil(&["suite", "--table", &bad, "--format", "json"]);
    assert_eq!(j.code, 2, "{}", j.stderr);
    assert_eq!(j.json()["error"]["kind"], "invalid_table", "{}", j.stdout);
    assert!(j.json()["error"]["message"].as_str().is_some_and(|m| m.contains("line 2")), "{}", j.stdout);
}

/// A bare activation name means `name(x)`, the way torch names activations.
#[test]
fn bare_names_are_activations_of_x() {
    for (bare, full) in [("tanh", "tanh(x)"), ("softplus", "softplus(x)"), ("leaky_relu", "leaky_relu(x)")] {
        let (code, v) = derive_json(bare, &[]);
        let (code_full, v_full) = derive_json(full, &[]);
        assert_eq!((code, code_full), (0, 0), "{v:#}");
        assert_eq!(v["adversarial"], v_full["adversarial"], "{bare}");
    }
    // Not a name of anything: still the parser's error, with its suggestion.
    let (code, v) = derive_json("tahn", &[]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["kind"], "unknown_variable", "{v:#}");
}

// ---- how a result is verified (issue 12) -----------------------------------

/// A certificate that ran out of work says so in the text and, only then,
/// as `exhausted: true` in the JSON (a fuzz input: 1.4 s in release).
#[test]
fn a_certificate_out_of_work_says_so() {
    let (code, v) = derive_json("200000/204000000800002^-x-x^2", &[]);
    assert_eq!(code, 0, "{v:#}");
    let ver = &v["verification"];
    assert_eq!((s(ver, "kind"), ver["exhausted"].as_bool()), ("sampled", Some(true)), "{ver:#}");
    assert!(s(ver, "statement").contains("its work budget ran out"), "{ver:#}");
    let (_, v) = derive_json("exp(tanh(x))", &[]);
    assert!(v["verification"].get("exhausted").is_none(), "{:#}", v["verification"]);
}

/// `verification.kind` says exact / certified / sampled, with the bound, the
/// range it holds on and what lies beyond; a numeric result has a summary.
#[test]
fn ga_json_says_how_each_result_is_verified() {
    let (code, v) = derive_json("tanh(x)", &[]);
    assert_eq!(code, 0);
    let ver = &v["verification"];
    assert_eq!(s(ver, "kind"), "exact", "{ver:#}");
    assert_eq!(ver["bound"].as_f64(), Some(0.0), "{ver:#}");
    assert_eq!((ver["certified_range"]["lo"].clone(), ver["certified_range"]["hi"].clone()), (Value::Null, Value::Null), "exact: all x: {ver:#}");
    assert_eq!(v["numeric"], Value::Null);

    // No closed form: certified up to where g leaves f32 (1/f' = cosh²x·e^(-tanh x)).
    let (code, v) = derive_json("exp(tanh(x))", &[]);
    assert_eq!(code, 0, "{v:#}");
    let ver = &v["verification"];
    assert_eq!(s(ver, "kind"), "certified", "{ver:#}");
    let bound = ver["bound"].as_f64().expect("a certified bound");
    assert!(bound > 0.0 && bound <= 1e-9, "{ver:#}");
    let (lo, hi) = (ver["certified_range"]["lo"].as_f64().unwrap(), ver["certified_range"]["hi"].as_f64().unwrap());
    // cosh(x)²·e^(∓1)/4 passes f32::MAX near |x| = 45: not certified beyond (README: Verification).
    assert!(lo < -44.0 && lo > -46.0 && hi > 44.0 && hi < 46.0, "{ver:#}");
    assert!(ver["uncertified"].as_array().is_some_and(Vec::is_empty), "{ver:#}");
    assert!(s(&ver["beyond"], "hi").contains("leaves f32"), "{ver:#}");
    let n = &v["numeric"];
    assert!(n["pieces"].as_u64().is_some_and(|p| p > 1) && n["degree"].as_u64() == Some(foil_compiler::numeric::DEGREE as u64 + 1), "{n:#}");
    assert_eq!((n["lo"].as_f64(), n["hi"].as_f64()), (Some(lo), Some(hi)), "{v:#}");
    // The claim, checked independently at points all over its range.
    let dg = parse(s(&v, "adversarial_derivative")).unwrap();
    for k in 0..=400 {
        let x = lo + (hi - lo) * (k as f64 + 0.37) / 401.0;
        let want = x.cosh().powi(2) * (-x.tanh()).exp();
        let got = ev1(&dg, x);
        assert!((got - want).abs() <= 2.0 * bound * want.abs().max(1.0), "g'({x}) = {got}, 1/f' = {want}, bound {bound:e}");
    }

    // Periodic f' = 1 + sin(x)cos(x): one period proves every period.
    let (code, v) = derive_json("x + 0.5*sin(x)^2", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(s(&v["verification"], "kind"), "certified", "{v:#}");
    assert_eq!(v["verification"]["certified_range"]["lo"], Value::Null, "{v:#}");
    assert!((v["numeric"]["period"].as_f64().unwrap() - std::f64::consts::TAU).abs() < 1e-12, "{v:#}");
    let dg = parse(s(&v, "adversarial_derivative")).unwrap();
    let bound = v["verification"]["bound"].as_f64().unwrap();
    for x in [-1e4 + 0.3, -20.0, -3.0, 0.5, 7.9, 21.0, 1e3 + 0.1, 1e5 + 0.7f64] {
        let want = 1.0 / (1.0 + x.sin() * x.cos());
        // Far out, the argument reduction of sin/cos in f64 (both here and in
        // the printed g') loses ~1e-16·|x| absolute.
        let slack = 2.0 * bound + 4e-16 * x.abs();
        assert!((ev1(&dg, x) - want).abs() <= slack * want.abs().max(1.0), "g'({x}) = {}, 1/f' = {want}", ev1(&dg, x));
    }
}

/// Every term of an SA carries its own certificate.
#[test]
fn sa_terms_say_how_they_are_verified() {
    let (code, v) = derive_json("gelu_tanh(x)", &["--mode", "sa"]);
    assert_eq!(code, 0, "{v:#}");
    let kinds: Vec<&str> = v["terms"].as_array().unwrap().iter().map(|t| s(&t["verification"], "kind")).collect();
    assert_eq!(kinds, ["exact", "certified"], "{v:#}");
    assert_eq!(s(&v["verification"], "kind"), "certified", "the weakest term's kind: {v:#}");
    assert!(v["terms"][1]["numeric"]["pieces"].as_u64().is_some(), "{v:#}");
}

/// A regularised GA is certified against its own target, and says so.
#[test]
fn regularised_ga_names_what_is_checked() {
    let (code, v) = derive_json("gelu(x)", &["--regularize", "0.01"]);
    assert_eq!(code, 0, "{v:#}");
    assert!(s(&v["verification"], "checked").contains("f'/(f'^2 + eps^2)"), "{v:#}");
    // Without --regularize, a numeric GA's samples compare with 1/f'.
    let r = foil(&["derive", "x + 0.5*sin(x)^2"]);
    assert!(r.stdout.contains("|g' - 1/f'|") && !r.stdout.contains("eps"), "{}", r.stdout);
}

fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/derive")
}

/// The text of `foil derive` for a result of each kind and a refusal, pinned
/// in `tests/golden/derive/` (`FOIL_BLESS=1 cargo test --test cli golden`
/// rewrites them; review the diff).
#[test]
fn derive_text_matches_the_golden_files() {
    let cases: &[(&str, &[&str])] = &[
        ("tanh", &["derive", "tanh(x)"]),
        ("softsign", &["derive", "softsign(x)"]),
        ("periodic", &["derive", "x + 0.5*sin(x)^2"]),
        ("exp_tanh", &["derive", "exp(tanh(x))"]),
        ("silu_regularised", &["derive", "x*sigmoid(x)", "--regularize", "0.1"]),
        ("relu_regularised", &["derive", "relu(x)", "--regularize", "0.1"]),
        ("gelu_tanh_sa", &["derive", "gelu_tanh(x)", "--mode", "sa"]),
        ("sigmoid_2x_sa_singular", &["derive", "sigmoid(2*x)", "--mode", "sa"]),
        ("relu6_refused", &["derive", "min(max(x, 0), 6)"]),
        ("hardtanh_refused", &["derive", "hardtanh(x)"]),
    ];
    let bless = std::env::var("FOIL_BLESS").as_deref() == Ok("1");
    let mut differ = Vec::new();
    for (name, args) in cases {
        let r = foil(args);
        let actual = format!("$ foil {}\n{}{}", args.join(" "), r.stdout, r.stderr);
        let path = golden_dir().join(format!("{name}.txt"));
        if bless {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}; `FOIL_BLESS=1 cargo test --test cli golden` writes it", path.display()));
        if expected != actual {
            differ.push(format!("{}:\n--- expected\n{expected}--- actual\n{actual}", path.display()));
        }
    }
    assert!(differ.is_empty(), "text output differs from the golden files:\n{}", differ.join("\n"));
}

/// A subcommand offers only the formats it writes: one it does not is an
/// error naming the ones it does (split printed LaTeX for `--format rust`,
/// list and suite printed text for latex and rust).
#[test]
fn each_subcommand_accepts_only_the_formats_it_writes() {
    for (args, offered) in [
        (&["split", "tanh", "--format", "rust"][..], "text, json, latex"),
        (&["list", "--format", "latex"], "text, json"),
        (&["list", "--format", "rust"], "text, json"),
        (&["suite", "--format", "latex"], "text, json"),
    ] {
        let r = foil(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(offered), "{args:?} does not offer {offered}: {}", r.stderr);
    }
    let r = foil(&["split", "tanh", "--format", "latex"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("F = \\frac"), "{}", r.stdout);
    // The SA's arguments are LaTeX variables as in its body (it said `(u1, u2)`).
    let r = foil(&["derive", "x*sigmoid(x)", "--mode", "sa", "--format", "latex"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "\\mathrm{SA}(u_{1}, u_{2}) = \\frac{u_{1}}{1 - \\exp\\left(u_{2}\\right)}\n");
}

/// The JSON's sampled range is the text's: the span of the sample points,
/// which reach beyond [-8, 8] beside a numeric g's break points (the JSON
/// said [-8, 8] where the text said [-43.1, 43.1]).
#[test]
fn the_json_and_the_text_state_the_same_sampled_range() {
    let e = "tanh(tanh(tanh(tanh(x))))";
    let (code, v) = derive_json(e, &[]);
    assert_eq!(code, 0);
    let range = &v["verification"]["range"];
    let (lo, hi) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
    assert!(hi > 8.0 && lo == -hi, "{range}");
    let text = foil(&["derive", e]).stdout;
    assert!(text.contains(&format!("points on [{lo}, {hi}]")), "[{lo}, {hi}] missing from:\n{text}");
}
