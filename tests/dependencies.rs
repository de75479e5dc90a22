//! What each crate makes its users build, read from `cargo tree` on the
//! committed lock file: the macros pay for no CLI, trainer or benchmark
//! crates, and a runtime crate without its `wgpu`/`cuda` feature pays for no
//! GPU backend (burn-cubecl with no runtime enabled did not even compile in
//! burn 0.22.1, which is how `foil-bench --no-default-features` used to fail).

use std::process::Command;

/// The names of the crates `package` builds for its users (normal
/// dependencies only), with `args` added to `cargo tree`.
fn normal_dependencies(package: &str, args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--locked", "--offline", "-e", "normal", "--prefix", "none", "--format", "{p}", "-p", package])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree -p {package} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

fn assert_none_of(package: &str, args: &[&str], forbidden: &[&str]) {
    let deps = normal_dependencies(package, args);
    assert!(deps.iter().any(|d| d == package), "cargo tree did not list {package} itself: {deps:?}");
    let found: Vec<&&str> = forbidden.iter().filter(|f| deps.iter().any(|d| d == **f)).collect();
    assert!(found.is_empty(), "{package} {args:?} makes its users build {found:?}");
}

#[test]
fn the_macros_pay_for_no_cli_trainer_or_benchmark() {
    assert_none_of("foil", &[], &["clap", "burn", "burn-cubecl", "miette", "indicatif", "plotters", "ureq", "criterion", "foil-train", "foil-bench"]);
}

#[test]
fn runtime_crates_without_a_gpu_feature_build_no_gpu_backend() {
    let gpu = ["burn-cubecl", "burn-wgpu", "cubecl-wgpu", "wgpu"];
    for package in ["foil", "foil-runtime", "foil-burn", "foil-train", "foil-bench"] {
        assert_none_of(package, &["--no-default-features"], &gpu);
    }
    // And the default build does have it: the assertion above can fail.
    let deps = normal_dependencies("foil-bench", &[]);
    assert!(deps.iter().any(|d| d == "burn-cubecl"), "foil-bench's default (wgpu) build lost burn-cubecl: {deps:?}");
}
