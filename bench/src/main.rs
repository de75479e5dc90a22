//! `foil-bench [--quick | --smoke] [--format text|json] [--device wgpu|cuda] [--section S]… [--kernel LABEL]… [--probe FILE]`.

use clap::Parser;
use std::io::Write;

fn main() {
    let report = foil_bench::run(&foil_bench::BenchArgs::parse());
    // A closed pipe (`foil-bench | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.as_bytes());
}
