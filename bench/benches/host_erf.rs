//! foil's f32 erf (`foil::Float::erf`, the kernels' rational) against
//! libm's `erff`, which foil's host path called before, over 2^20 values in
//! [-4, 4]: a slice loop, as the host programs apply an activation.
//!
//! `cargo bench -p foil-bench --bench host_erf`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn host_erf(c: &mut Criterion) {
    let xs = foil_bench::inputs(1 << 20, 1);
    let mut out = vec![0.0f32; xs.len()];
    let mut group = c.benchmark_group("host erf, 2^20 values");
    group.throughput(Throughput::Elements(xs.len() as u64));
    group.bench_function("libm erff", |b| {
        b.iter(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&xs)) {
                *o = libm::erff(x);
            }
            black_box(&out);
        })
    });
    group.bench_function("foil erf", |b| {
        b.iter(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&xs)) {
                *o = <f32 as foil::Float>::erf(x);
            }
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots, as in `derive`: criterion's plotters backend needs a font.
    config = Criterion::default().sample_size(20).without_plots();
    targets = host_erf
}
criterion_main!(benches);
