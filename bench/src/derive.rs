//! Derivation: foil in-process against SymPy on the same suite expressions.
//!
//! SymPy runs in ONE python3 process that times each `integrate(1/diff(f))`
//! in-process (start-up and import excluded); foil's time per row is the
//! median of in-process parse + GA derivation (refusals included: finding
//! the zeros of f' is the work). The headline ratio sums both over the rows
//! whose f' has no zeros (the 12 with a GA); a SymPy row that ran into its
//! time limit counts at the limit, so the ratio is then a lower bound.

use super::{goal, median_seconds, Plan};
use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::suite::embedded_suite;
use serde_json::{json, Value};
use std::process::Command;

const SYMPY_SCRIPT: &str = include_str!("sympy_derive.py");

/// SymPy's per-row report, or why there is none.
fn sympy(rows: &[(String, String, f64)]) -> Result<Value, String> {
    let input: Vec<Value> = rows.iter().map(|(n, e, l)| json!({ "name": n, "expression": e, "limit": l })).collect();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SYMPY_SCRIPT)
        .arg(Value::Array(input).to_string())
        .output()
        .map_err(|e| format!("python3 could not be started: {e}"))?;
    if !out.status.success() {
        return Err(format!("python3 exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("the SymPy script printed no JSON ({e})"))?;
    if v["available"] != json!(true) {
        return Err(v["reason"].as_str().unwrap_or("sympy is not available").to_string());
    }
    Ok(v)
}

pub fn run(plan: &Plan) -> Value {
    let rows = embedded_suite();
    let opts = GaOptions::default();
    // Rows where foil refuses (f' has zeros) get a short SymPy limit: the
    // headline does not use them, and SymPy grinds on them for minutes.
    let limit = |zeros: bool| if zeros { plan.sympy_timeout_s.min(1.0) } else { plan.sympy_timeout_s };
    let sympy_input: Vec<(String, String, f64)> = rows.iter().map(|r| (r.name.clone(), r.expression.clone(), limit(r.ga_refused()))).collect();
    let sympy_report = sympy(&sympy_input);
    let (mut foil_total, mut sympy_total, mut lower_bound) = (0.0, 0.0, false);
    let mut cases = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut outcome = String::new();
        let foil_s = median_seconds::<()>(plan.warmup, plan.reps, || {
            outcome = match foil_compiler::parse::parse(&row.expression) {
                Ok(f) => match derive_global_adversarial(&f, &opts) {
                    Ok(_) => "derived".into(),
                    Err(e) => format!("refused ({})", e.kind()),
                },
                Err(e) => format!("parse error: {e}"),
            };
            Ok(())
        })
        .unwrap_or(f64::NAN);
        let sym = sympy_report.as_ref().ok().map(|v| v["rows"][i].clone());
        let sym_s = sym.as_ref().and_then(|s| s["seconds"].as_f64());
        let sym_status = sym.as_ref().and_then(|s| s["status"].as_str().map(String::from));
        if !row.ga_refused() {
            if let Some(s) = sym_s {
                foil_total += foil_s;
                sympy_total += s;
                lower_bound |= sym_status.as_deref() != Some("ok");
            }
        }
        cases.push(json!({
            "name": row.name,
            "foil_ms": foil_s * 1e3,
            "foil": outcome,
            "sympy_ms": sym_s.map(|s| s * 1e3),
            "sympy": sym_status,
            "ratio": sym_s.map(|s| s / foil_s),
            "in_headline": !row.ga_refused(),
        }));
    }
    let ratio = (sympy_report.is_ok() && foil_total > 0.0).then(|| sympy_total / foil_total);
    let note = if lower_bound {
        "SymPy ran out of time or left an unevaluated integral on some GA rows: their limit counts, the ratio is a lower bound"
    } else {
        "sum over the 12 rows with a GA"
    };
    let mut v = json!({
        "cases": cases,
        "foil_total_ms": foil_total * 1e3,
        "sympy_total_ms": (sympy_report.is_ok()).then_some(sympy_total * 1e3),
        "sympy_limit_s": plan.sympy_timeout_s,
        "goals": [goal("derive_vs_sympy", ratio, 100.0, true, note)],
    });
    match sympy_report {
        Ok(r) => v["sympy_version"] = r["version"].clone(),
        Err(why) => v["skipped"] = json!(format!("SymPy not measured: {why}")),
    }
    v
}
