//! `foil-bench [--quick | --smoke] [--format text|json] [--device wgpu|cuda] [--section S]… [--kernel LABEL]… [--probe FILE]`.

use clap::Parser;
use std::io::Write;

fn main() {
    let args = foil_bench::BenchArgs::parse();
    // Bad input is refused before anything runs, with the exit status clap
    // gives a bad argument.
    if let Err(why) = foil_bench::check_args(&args) {
        eprintln!("foil-bench: {why}");
        std::process::exit(2);
    }
    let report = foil_bench::run(&args);
    // A closed pipe (`foil-bench | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.as_bytes());
}
