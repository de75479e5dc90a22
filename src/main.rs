//! The `foil` binary: parse the command line, run it, print, exit with the
//! code `outcome.rs` decided.

mod choice;
mod cli;
mod compare;
mod diagnostic;
mod fetch;
mod outcome;
mod train_cli;

use std::io::Write;

fn main() {
    let outcome = cli::run(cli::parse());
    // A closed pipe (`foil list | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    std::process::exit(outcome.exit.code());
}
