//! `scripts/gpu-check.sh` without a GPU: the parts that run anywhere (the
//! checks, the plan, where it stops and its exit status), with a stand-in
//! `nvidia-smi` first on PATH so the outcome does not depend on the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// An executable shell script at `path`.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A folder holding an `nvidia-smi` that prints `gpu` (or fails, for none).
fn fake_nvidia_smi(dir: &Path, gpu: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let body = match gpu {
        Some(name) => format!("echo '{name}'"),
        None => "echo 'NVIDIA-SMI has failed' >&2\nexit 9".to_string(),
    };
    script(&dir.join("nvidia-smi"), &body);
}

/// `members` of the folder `stage` packed as `art`/artifacts.tar.xz, the
/// tarball `--prepare` writes.
fn pack_artifacts(stage: &Path, art: &Path, members: &[&str]) {
    let tar = Command::new("tar").arg("-C").arg(stage).arg("-cJf").arg(art.join("artifacts.tar.xz")).args(members).status();
    assert!(tar.is_ok_and(|s| s.success()), "tar and xz are needed for this test");
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("foil-gpu-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs the script with `args`, the fake `nvidia-smi` first on PATH and the
/// artifacts folder `art`; its exit code and stdout + stderr.
fn run(args: &[&str], gpu: Option<&str>, art: &Path, tag: &str) -> (i32, String) {
    let bin = scratch(&format!("{tag}-bin"));
    fake_nvidia_smi(&bin, gpu);
    run_with(args, &bin, art, &scratch(&format!("{tag}-results")))
}

/// The same with the stand-ins in `bin` first on PATH and the results in `results`.
fn run_with(args: &[&str], bin: &Path, art: &Path, results: &Path) -> (i32, String) {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check.sh"))
        .args(args)
        .env("PATH", path)
        .env("FOIL_GPU_CHECK_DIR", art)
        .env("FOIL_GPU_CHECK_RESULTS", results)
        .output()
        .expect("bash runs the script");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn without_a_gpu_it_says_what_it_would_do_and_fails() {
    let art = scratch("none-art");
    let (code, out) = run(&[], None, &art, "none");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("dry run"), "{out}");
    assert!(out.contains("stops here: no NVIDIA GPU"), "{out}");
    for step in [
        "kernels --test-threads=1",
        "jit --test-threads=1",
        "kernels-spirv --test-threads=1",
        "foil-bench --quick --section kernels --section training --format json",
        "foil-bench --section kernels --kernel 'tanh GA' --format json",
        "foil-bandwidth",
        "foil-bandwidth-spirv",
        "gpu-check.json",
    ] {
        assert!(out.contains(step), "the plan does not mention `{step}`:\n{out}");
    }
    // An explicit --dry-run reports the same and succeeds; nothing is written.
    let (code, out) = run(&["--dry-run"], None, &art, "none-dry");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("stops here: no NVIDIA GPU"), "{out}");
    assert!(!scratch("none-dry-results").exists());
}

#[test]
fn with_a_gpu_and_artifacts_the_dry_run_names_both() {
    let art = scratch("gpu-art");
    std::fs::create_dir_all(&art).unwrap();
    // A stand-in tarball: the dry run only looks inside for REVISION.
    let stage = scratch("gpu-stage");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::write(stage.join("REVISION"), "0123456789abcdef\n").unwrap();
    pack_artifacts(&stage, &art, &["REVISION"]);
    let (code, out) = run(&["--dry-run"], Some("NVIDIA H200"), &art, "gpu");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("GPU: NVIDIA H200"), "{out}");
    assert!(out.contains("artifacts.tar.xz (0123456789ab)"), "{out}");
    assert!(out.contains("NVIDIA-H200-wgpu-quick.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-wgpu-peak.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-bandwidth.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-spirv-bandwidth.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-kernels-spirv-test.txt"), "{out}");
    // With a GPU it stops only because of --dry-run, or for want of a Vulkan loader here.
    assert!(out.contains("stops here: --dry-run") || out.contains("stops here: no Vulkan loader"), "{out}");
}

/// Where the machine has no `xz`, the tarball is read by python3's tarfile:
/// the dry run still names the revision inside it. The PATH holds links to
/// every program of this machine's PATH but xz.
#[test]
fn without_xz_the_tarball_is_read_by_python3() {
    let has_python = Command::new("python3").args(["-c", "import lzma, tarfile"]).status().is_ok_and(|s| s.success());
    if !has_python {
        assert!(std::env::var("CI").is_err(), "CI: no python3 with lzma, so gpu-check's xz fallback is not exercised");
        eprintln!("SKIP: no python3 with lzma here");
        return;
    }
    let (art, stage, bin) = (scratch("noxz-art"), scratch("noxz-stage"), scratch("noxz-bin"));
    for d in [&art, &stage] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(stage.join("REVISION"), "fedcba9876543210\n").unwrap();
    pack_artifacts(&stage, &art, &["REVISION"]);
    fake_nvidia_smi(&bin, Some("NVIDIA H200"));
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if !["xz", "unxz", "xzcat"].contains(&name.to_string_lossy().as_ref()) && !link.exists() {
                #[cfg(unix)]
                let _ = std::os::unix::fs::symlink(entry.path(), &link);
            }
        }
    }
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check.sh"))
        .arg("--dry-run")
        .env("PATH", &bin)
        .env("FOIL_GPU_CHECK_DIR", &art)
        .env("FOIL_GPU_CHECK_RESULTS", scratch("noxz-results"))
        .output()
        .expect("bash runs the script");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(Command::new("bash").args(["-c", "command -v xz"]).env("PATH", &bin).status().is_ok_and(|s| !s.success()), "xz is still on the PATH");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("artifacts.tar.xz (fedcba987654)"), "{text}");
}

#[test]
fn unknown_arguments_are_refused() {
    let (code, out) = run(&["--bogus"], None, &scratch("bogus-art"), "bogus");
    assert_eq!(code, 64, "{out}");
}

/// The real-run path with stand-in binaries in the artifacts tarball: the
/// test binaries run side by side (the kernels stand-in fails unless the
/// jit one starts while it waits), every step is recorded in order with its
/// exit status, and one failing step (foil-bandwidth exits 3) makes the run
/// fail, while the SPIR-V probes (both exit 4 here) do not: a second run
/// where only they fail succeeds. Needs the Vulkan loader installed (the
/// script would otherwise unpack .gl/*.deb into /); CI has it.
#[test]
fn a_run_records_every_step_and_runs_the_tests_side_by_side() {
    let has_loader = Command::new("sh").arg("-c").arg("ldconfig -p | grep -q 'libvulkan\\.so\\.1'").status().is_ok_and(|s| s.success());
    if !has_loader {
        assert!(std::env::var("CI").is_err(), "CI: no libvulkan.so.1, so gpu-check's run path is not exercised");
        eprintln!("SKIP: no libvulkan.so.1 here; gpu-check's run path is not exercised");
        return;
    }
    let (art, stage, shared) = (scratch("run-art"), scratch("run-stage"), scratch("run-shared"));
    for d in [&art, &stage, &shared] {
        std::fs::create_dir_all(d).unwrap();
    }
    let started = shared.join("jit-started");
    script(
        &stage.join("kernels"),
        &format!("for i in $(seq 100); do [ -f '{0}' ] && break; sleep 0.1; done\n[ -f '{0}' ] || {{ echo 'jit did not start beside kernels'; exit 1; }}\necho 'test result: ok'", started.display()),
    );
    script(&stage.join("jit"), &format!("touch '{}'\necho 'test result: ok'", started.display()));
    script(&stage.join("foil-bench"), "echo '{'\necho '  \"device\": \"wgpu: NVIDIA H200 (stand-in)\",'\necho '  \"mode\": \"quick\"'\necho '}'");
    script(&stage.join("foil-bandwidth-spirv"), "echo 'SPIR-V off by 1e-3' >&2\nexit 4");
    script(&stage.join("kernels-spirv"), "echo 'test result: FAILED'\nexit 4");
    std::fs::write(stage.join("REVISION"), "0123456789abcdef\n").unwrap();
    // python3 without torch, whatever this machine has: no torch step.
    let bin = scratch("run-bin");
    fake_nvidia_smi(&bin, Some("NVIDIA H200"));
    script(&bin.join("python3"), "exit 1");
    let run_with_bandwidth = |exit: i32, name: &str| {
        script(&stage.join("foil-bandwidth"), &format!("echo 'no adapter' >&2\nexit {exit}"));
        pack_artifacts(&stage, &art, &["foil-bench", "foil-bandwidth", "kernels", "jit", "foil-bandwidth-spirv", "kernels-spirv", "REVISION"]);
        let _ = std::fs::remove_file(&started);
        let results = scratch(name);
        let (code, text) = run_with(&[], &bin, &art, &results);
        let report = std::fs::read_dir(&results)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-gpu-check.json"))
            .unwrap_or_else(|| panic!("no report:\n{text}"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap_or_else(|e| panic!("report not JSON ({e}):\n{text}"));
        (code, text, report)
    };

    // Only the probes fail: the run succeeds.
    let (code, text, report) = run_with_bandwidth(0, "run-results-probes");
    assert_eq!((code, &report["ok"]), (0, &serde_json::Value::Bool(true)), "only the SPIR-V probes failed, so the run must succeed:\n{text}");
    let (code, text, report) = run_with_bandwidth(3, "run-results");
    assert_eq!(code, 1, "one step failed, so the run must:\n{text}");
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["adapter"], "wgpu: NVIDIA H200 (stand-in)", "{report}");
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    let mut tests = names[..3].to_vec();
    tests.sort();
    assert_eq!(
        (tests.as_slice(), &names[3..]),
        (&["jit-test", "kernels-spirv-test", "kernels-test"][..], &["foil-bench", "foil-bench-peak", "foil-bandwidth", "foil-bandwidth-spirv"][..]),
        "{report}"
    );
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap();
    let exit = |name: &str| step(name)["exit"].as_i64().unwrap();
    assert_eq!(
        (exit("kernels-test"), exit("jit-test"), exit("kernels-spirv-test"), exit("foil-bench"), exit("foil-bandwidth"), exit("foil-bandwidth-spirv")),
        (0, 0, 4, 0, 3, 4),
        "{report}\n{text}"
    );
    let probes: Vec<&str> = steps.iter().filter(|s| s["probe"] == true).map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(probes.len(), 2, "{report}");
    assert!(probes.contains(&"kernels-spirv-test") && probes.contains(&"foil-bandwidth-spirv"), "{report}");
}
