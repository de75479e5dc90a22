//! Derive every suite row's GA and print how it is verified, with timings:
//! `cargo run --release -p foil-compiler --example certify_suite` (the
//! median of 31 derivations per row, parse included, certification
//! included), or `... -- EXPR [EPS]` for one expression.
use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::print::to_spec;
use std::time::Instant;

fn main() {
    let rows = foil_compiler::suite::embedded_suite();
    let opts = GaOptions::default();
    let only = std::env::args().nth(1);
    if let Some(src) = only.as_deref().filter(|o| !rows.iter().any(|r| r.name == *o)) {
        let f = foil_compiler::parse::parse(src).unwrap();
        let eps = std::env::args().nth(2).map(|e| e.parse::<f64>().unwrap());
        let opts = GaOptions { regularize: eps, ..GaOptions::default() };
        let t = Instant::now();
        match derive_global_adversarial(&f, &opts) {
            Ok(g) => println!(
                "{src}: {:.1} ms, closed form {}, {}\n  {} cells, {:?}\n  numeric {:?}",
                t.elapsed().as_secs_f64() * 1e3,
                g.closed_form,
                g.certificate.describe(),
                g.certificate.subintervals,
                g.certificate.uncertified.iter().take(6).collect::<Vec<_>>(),
                g.numeric
            ),
            Err(e) => println!("{src}: {:.1} ms, error {e}", t.elapsed().as_secs_f64() * 1e3),
        }
        return;
    }
    for row in rows.iter().filter(|r| !r.ga_refused()) {
        if only.as_deref().is_some_and(|o| o != row.name) {
            continue;
        }
        let mut times: Vec<f64> = Vec::new();
        let mut g = None;
        for _ in 0..31 {
            let t = Instant::now();
            let f = foil_compiler::parse::parse(&row.expression).unwrap();
            g = Some(derive_global_adversarial(&f, &opts));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let ms = times[times.len() / 2];
        let g = g.unwrap();
        match g {
            Ok(g) => {
                println!("{:<14} {:>7.2} ms  {}", row.name, ms, g.certificate.describe());
                if std::env::var("SHOW").is_ok() {
                    println!("   f' = {}\n   g' = {}", to_spec(&g.derivative), to_spec(&g.adversarial_derivative));
                }
            }
            Err(e) => println!("{:<14} {:>7.2} ms  ERROR {e}", row.name, ms),
        }
    }
}
