//! The `foil` binary: parse the command line, run it, print, exit with its code.

use clap::Parser;
use std::io::Write;

fn main() {
    let outcome = foil::cli::run(foil::cli::Cli::parse());
    // A closed pipe (`foil list | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    std::process::exit(outcome.code);
}
