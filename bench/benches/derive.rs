//! Derivation time per suite row: GA (parse included) for all 18 rows, SA for
//! the rows that must have one. Refused rows are timed too: finding the zeros
//! of f' is the work. Goal: < 10 ms per derivation in release.
//!
//! `cargo bench --bench derive -- --warm-up-time 1 --measurement-time 2`

use criterion::{criterion_group, criterion_main, Criterion};
use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::hdfgd::{derive_split_adversarial, Granularity, TermConstant};
use foil_compiler::parse::parse;
use std::hint::black_box;

fn derive(c: &mut Criterion) {
    let rows = foil_compiler::suite::embedded_suite();
    let opts = GaOptions::default();
    let mut ga = c.benchmark_group("ga");
    for row in &rows {
        ga.bench_function(&row.name, |b| {
            b.iter(|| {
                let f = parse(black_box(&row.expression)).expect("suite row parses");
                black_box(derive_global_adversarial(&f, &opts).is_ok())
            })
        });
    }
    ga.finish();
    let mut sa = c.benchmark_group("sa");
    for row in rows.iter().filter(|r| r.sa_required) {
        sa.bench_function(&row.name, |b| {
            b.iter(|| {
                let f = parse(black_box(&row.expression)).expect("suite row parses");
                black_box(derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts).is_ok())
            })
        });
    }
    sa.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend panics without a system font
    // (FontUnavailable), and the CI machine has none.
    config = Criterion::default().sample_size(10).without_plots();
    targets = derive
}
criterion_main!(benches);
