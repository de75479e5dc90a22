//! Derive an activation's global adversarial and its split adversarial with the
//! compiler API, the way a research script would.
//!
//! ```sh
//! cargo run --example derive_adversarial -- 'softplus(x)'
//! ```

use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::hdfgd::{derive_split_adversarial, Granularity, TermConstant};
use foil_compiler::print::to_spec;

fn main() {
    let src = std::env::args().nth(1).unwrap_or_else(|| "tanh(x)".into());
    let f = match foil_compiler::parse::parse(&src) {
        Ok(f) => f,
        Err(e) => {
            let at = e.span.offset();
            eprintln!("error at byte {at}: {e}{}", e.help.as_deref().map(|h| format!(" ({h})")).unwrap_or_default());
            std::process::exit(2);
        }
    };
    let opts = GaOptions::default();
    match derive_global_adversarial(&f, &opts) {
        Ok(ga) => println!(
            "GA  g(x) = {}   (verified at {} points, max relative error {:.1e})",
            to_spec(&ga.adversarial),
            ga.verification.points,
            ga.verification.max_rel_error
        ),
        Err(e) => println!("GA  refused: {e}"),
    }
    match derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts) {
        Ok(sa) => {
            println!("SA({}) = {}", sa.terms.iter().map(|t| t.var.as_str()).collect::<Vec<_>>().join(", "), to_spec(&sa.adversarial));
            for s in &sa.singularities {
                println!("    singular: {}", s.description);
            }
        }
        Err(e) => println!("SA  refused: {e}"),
    }
}
