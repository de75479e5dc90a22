//! `scripts/gpu-check.sh` without a GPU: the parts that run anywhere (the
//! checks, the plan, where it stops and its exit status), with a stand-in
//! `nvidia-smi` first on PATH so the outcome does not depend on the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder holding an `nvidia-smi` that prints `gpu` (or fails, for none).
fn fake_nvidia_smi(dir: &Path, gpu: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let body = match gpu {
        Some(name) => format!("#!/bin/sh\necho '{name}'\n"),
        None => "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n".to_string(),
    };
    let path = dir.join("nvidia-smi");
    std::fs::write(&path, body).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
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
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-check.sh"))
        .args(args)
        .env("PATH", path)
        .env("FOIL_GPU_CHECK_DIR", art)
        .env("FOIL_GPU_CHECK_RESULTS", scratch(&format!("{tag}-results")))
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
    for step in ["kernels --test-threads=1", "jit --test-threads=1", "foil-bench --quick --section kernels --section training --format json", "foil-bench --section kernels --kernel 'tanh GA' --format json", "foil-bandwidth", "gpu-check.json"] {
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
    let tar = Command::new("tar").arg("-C").arg(&stage).arg("-czf").arg(art.join("artifacts.tar.gz")).arg("REVISION").status();
    assert!(tar.is_ok_and(|s| s.success()), "tar is needed for this test");
    let (code, out) = run(&["--dry-run"], Some("NVIDIA H200"), &art, "gpu");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("GPU: NVIDIA H200"), "{out}");
    assert!(out.contains("artifacts.tar.gz (0123456789ab)"), "{out}");
    assert!(out.contains("NVIDIA-H200-wgpu-quick.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-wgpu-peak.json"), "{out}");
    assert!(out.contains("NVIDIA-H200-bandwidth.json"), "{out}");
    // With a GPU it stops only because of --dry-run, or for want of a Vulkan loader here.
    assert!(out.contains("stops here: --dry-run") || out.contains("stops here: no Vulkan loader"), "{out}");
}

#[test]
fn unknown_arguments_are_refused() {
    let (code, out) = run(&["--bogus"], None, &scratch("bogus-art"), "bogus");
    assert_eq!(code, 64, "{out}");
}
