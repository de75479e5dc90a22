//! `foil-bench --smoke --format json` (the quick mode's sections at the
//! smallest size, so that a debug build finishes): every headline ratio the
//! issue names is present and numeric, every goal says whether it is met,
//! and foil's gradients agree with burn's on every case. No timing is
//! asserted: the machine decides those.
//!
//! Without a wgpu adapter the kernel section is skipped (and says why),
//! unless `FOIL_REQUIRE_GPU=1`, where it must run.

use serde_json::{json, Value};
use std::process::Command;

fn sympy_importable() -> bool {
    Command::new("python3").args(["-c", "import sympy"]).status().map(|s| s.success()).unwrap_or(false)
}

fn require_gpu() -> bool {
    std::env::var("FOIL_REQUIRE_GPU").as_deref() == Ok("1")
}

#[test]
fn bench_smoke_reports_every_ratio_with_its_goal() {
    let out = Command::new(env!("CARGO_BIN_EXE_foil-bench")).args(["--smoke", "--format", "json"]).output().expect("foil runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    assert_eq!(r["mode"], "smoke");

    let kernels_ran = r["kernels"]["skipped"].is_null();
    if !kernels_ran {
        assert!(!require_gpu(), "FOIL_REQUIRE_GPU=1 but the kernel section was skipped: {}", r["kernels"]["skipped"]);
        eprintln!("SKIP: kernel section: {}", r["kernels"]["skipped"]);
    }
    let mut expected = vec!["flex_vs_burn_ops", "ga_step_overhead"];
    if sympy_importable() {
        expected.push("derive_vs_sympy");
    } else {
        assert!(r["derive"]["skipped"].as_str().is_some_and(|s| s.contains("SymPy")), "{}", r["derive"]);
    }
    if kernels_ran {
        expected.extend(["kernel_vs_burn_fused", "kernel_vs_burn_unfused", "kernel_vs_memcpy", "jit_vs_memcpy", "ga_step_overhead_device"]);
        assert!(r["kernels"]["device"].as_str().is_some_and(|d| !d.is_empty()));
    }
    for key in &expected {
        let v = r[key].as_f64().unwrap_or_else(|| panic!("`{key}` is not a number: {}", r[key]));
        assert!(v.is_finite(), "`{key}` = {v}");
        let g = r["goals"].as_array().unwrap().iter().find(|g| g["key"] == *key).unwrap_or_else(|| panic!("no goal for `{key}`"));
        assert!(g["met"].is_boolean() && g["goal"].is_number(), "{g}");
    }
    for key in ["kernel_vs_burn_fused", "kernel_vs_burn_unfused", "kernel_vs_memcpy", "jit_vs_memcpy", "tanh_ga_fraction_of_peak"] {
        assert!(r["goals"].as_array().unwrap().iter().any(|g| g["key"] == key), "the report hides `{key}`");
    }
    // The sections report no errors, and every case agrees with burn.
    for section in ["kernels", "flex", "training"] {
        let errs = r[section]["errors"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(errs, 0, "{section}: {}", r[section]["errors"]);
    }
    // kernels: tanh-GA, sigmoid-GA, gelu-SA; flex: the same and plain gelu (erf).
    let want_cases = |s: &str| match s {
        "kernels" if !kernels_ran => 0,
        "kernels" => 3,
        _ => 4,
    };
    for section in ["kernels", "flex"] {
        let cases = r[section]["cases"].as_array().unwrap();
        assert_eq!(cases.len(), want_cases(section), "{section}");
        for c in cases {
            let d = c["max_rel_diff_vs_burn"].as_f64().unwrap();
            assert!(d < 1e-3, "{section} {}: foil and burn gradients differ by {d:e}", c["activation"]);
        }
    }
    // The memcpy sweep: every suite kernel the macros generate (12 GA, 6 SA,
    // 6 F) and every run-time kernel the trainer makes for the suite (18 f,
    // 12 GA, 6 F, 6 SA), each with a ratio and a verdict.
    if kernels_ran {
        let sweep = r["kernels"]["sweep"].as_array().unwrap();
        let count = |kind: &str| sweep.iter().filter(|c| c["kind"] == kind).count();
        assert_eq!((count("macro"), count("jit")), (24, 42), "{}", r["kernels"]["sweep"]);
        for c in sweep {
            assert!(c["vs_memcpy"].as_f64().is_some_and(|v| v > 0.0) && c["met"].is_boolean(), "{c}");
            assert!(c["seconds"].as_f64().is_some_and(|v| v > 0.0), "{c}");
            assert!(c["reps"].as_u64().is_some_and(|n| n >= 2), "{c}");
            // Forward and backward are two passes, and the memcpy copies each
            // pass's bytes in a launch of its own: f32 inputs t, 1 output
            // forward; t + 1 inputs, t outputs backward.
            let (n, t) = (c["elements"].as_u64().unwrap(), c["inputs"].as_u64().unwrap());
            let passes = json!([4 * n * (t + 1), 4 * n * (2 * t + 1)]);
            assert_eq!((&c["passes"], &c["memcpy_passes"]), (&passes, &passes), "{c}");
            assert_eq!(c["bytes"].as_u64(), Some(4 * n * (3 * t + 2)), "{c}");
            // At the smoke size every buffer fits one binding: one launch a pass.
            assert_eq!((c["launches"].as_u64(), c["memcpy_launches"].as_u64()), (Some(2), Some(2)), "{c}");
        }
        let parts = &r["kernels"]["seconds_by_part"];
        for part in ["burn_cases", "jit_derivation", "sweep"] {
            assert!(parts[part].as_f64().is_some_and(|v| v > 0.0), "kernels: no time for {part}: {parts}");
        }
    }
    // Every section says how long it took (gpu-check.sh is sized by them).
    for section in ["derive", "kernels", "flex", "training"] {
        assert!(r[section]["seconds"].as_f64().is_some_and(|v| v >= 0.0), "{section}: {}", r[section]["seconds"]);
    }
    // Every suite row is timed for foil; SymPy's rows come back one per row.
    let rows = r["derive"]["cases"].as_array().unwrap();
    assert_eq!(rows.len(), 18);
    assert_eq!(rows.iter().filter(|c| c["in_headline"] == true).count(), 12);
    // Training: both models and every mode on flex; the MLP's baseline and
    // GA on the device, which says why where it has none.
    let training = r["training"]["cases"].as_array().unwrap();
    let on = |backend: &str| training.iter().filter(|c| c["backend"] == backend).collect::<Vec<_>>();
    assert_eq!(on("flex").len(), 2, "{training:?}");
    for c in on("flex") {
        for m in ["baseline_ms", "ga_ms", "hdfgd_ms", "sa_ms"] {
            assert!(c[m].as_f64().is_some_and(|v| v > 0.0), "{}: {m} = {}", c["model"], c[m]);
        }
    }
    if kernels_ran {
        let device = on("wgpu");
        assert!(device.len() == 1 && device[0]["model"] == "mlp", "{training:?}");
        for m in ["baseline_ms", "ga_ms"] {
            assert!(device[0][m].as_f64().is_some_and(|v| v > 0.0), "wgpu mlp: {m} = {}", device[0][m]);
        }
    } else {
        assert!(r["training"]["device_skipped"].as_str().is_some_and(|s| !s.is_empty()), "{}", r["training"]);
    }
    assert!(r["goals"].as_array().unwrap().iter().any(|g| g["key"] == "ga_step_overhead_device"), "the report hides `ga_step_overhead_device`");
}

/// `foil-bandwidth` at 64K elements: every launch shape (3 widths × 4 cube
/// sizes × 4 vectors per unit) copied exactly (it exits 1 otherwise) and
/// timed, the shipped shape among them, then tanh's GA step; a size it
/// cannot take is refused.
#[cfg(feature = "wgpu")]
#[test]
fn bandwidth_probe_times_every_launch_shape() {
    let bin = env!("CARGO_BIN_EXE_foil-bandwidth");
    let out = Command::new(bin).args(["--elements", "65536", "--reps", "2"]).output().expect("foil-bandwidth runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.code() == Some(1) && (stderr.contains("no wgpu adapter") || stderr.contains("keeps no timestamps")) && !require_gpu() {
        eprintln!("SKIP: foil-bandwidth: {stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let cases = r["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 48, "{stdout}");
    for c in cases {
        let gbps = c["gbps"].as_f64().unwrap_or(f64::NAN);
        assert!(gbps.is_finite() && gbps > 0.0, "{c}");
    }
    let shipped = r["shipped_shape"]["gbps"].as_f64().expect("the shipped shape was timed");
    assert!(r["fastest"]["gbps"].as_f64().is_some_and(|f| f >= shipped), "{stdout}");
    // tanh's GA step at the same elements: timed, its five arrays counted,
    // and within SPEC §5's 1e-5 of the scalar Rust (checked by the binary).
    let tanh = &r["tanh_ga"];
    assert_eq!((tanh["elements"].as_u64(), tanh["bytes"].as_u64()), (Some(65536), Some(20 * 65536)), "{tanh}");
    assert!(tanh["gbps"].as_f64().is_some_and(|g| g.is_finite() && g > 0.0), "{tanh}");
    assert!(tanh["max_mixed_error_vs_scalar"].as_f64().is_some_and(|e| e <= 1e-5), "{tanh}");
    // gelu_tanh's SA step at each vector width: timed, its eight arrays
    // counted, each width within 1e-5 of the scalar Rust.
    let heavy = &r["gelu_tanh_sa_by_width"];
    assert_eq!((heavy["elements"].as_u64(), heavy["bytes"].as_u64()), (Some(65536), Some(32 * 65536)), "{heavy}");
    let widths: Vec<u64> = heavy["widths"].as_array().expect("widths").iter().filter_map(|w| w["vector_size"].as_u64()).collect();
    assert_eq!(widths, [1, 2, 4], "{heavy}");
    for w in heavy["widths"].as_array().unwrap() {
        assert!(w["gbps"].as_f64().is_some_and(|g| g.is_finite() && g > 0.0), "{w}");
        assert!(w["max_mixed_error_vs_scalar"].as_f64().is_some_and(|e| e <= 1e-5), "{w}");
    }

    let bad = Command::new(bin).args(["--elements", "33"]).output().expect("foil-bandwidth runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--elements 33"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// `--probe FILE`: the kernels section sweeps the file's functions only (kind
/// `probe`, given partials or derived ones), with no burn cases and no other
/// kernel; a bad file is refused up front, exit status 2, the line named.
#[test]
fn a_probe_sweeps_only_its_own_functions() {
    let dir = std::env::temp_dir().join(format!("foil-bench-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (good, bad) = (dir.join("good.tsv"), dir.join("bad.tsv"));
    std::fs::write(&good, "derived\tu1*exp(-u2*u2)\ngiven\tu1*u1\t2*u1\n").unwrap();
    std::fs::write(&bad, "fine\tu1\nwrong\tx + u1\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_foil-bench");
    let refused = Command::new(bin).arg("--probe").arg(&bad).output().expect("foil-bench runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--probe line 2: F uses x"), "{stderr}");

    let out = Command::new(bin).args(["--smoke", "--section", "kernels", "--format", "json", "--probe"]).arg(&good).output().expect("foil-bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    if !r["kernels"]["skipped"].is_null() {
        assert!(!require_gpu(), "FOIL_REQUIRE_GPU=1 but the kernel section was skipped: {}", r["kernels"]["skipped"]);
        eprintln!("SKIP: kernel section: {}", r["kernels"]["skipped"]);
        return;
    }
    assert_eq!(r["kernels"]["errors"], json!([]), "{}", r["kernels"]);
    assert_eq!(r["kernels"]["cases"], json!([]));
    let sweep = r["kernels"]["sweep"].as_array().unwrap();
    let seen: Vec<(&str, &str, u64)> =
        sweep.iter().map(|c| (c["kernel"].as_str().unwrap(), c["kind"].as_str().unwrap(), c["inputs"].as_u64().unwrap())).collect();
    assert_eq!(seen, [("derived", "probe", 2), ("given", "probe", 1)], "{}", r["kernels"]["sweep"]);
    assert!(sweep.iter().all(|c| c["vs_memcpy"].as_f64().is_some_and(|v| v > 0.0)), "{}", r["kernels"]["sweep"]);
    let _ = std::fs::remove_dir_all(&dir);
}
