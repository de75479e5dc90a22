//! Probe: gelu_tanh's SA step with a backward that reads the forward's
//! output y. F = 0.5·u1·(1 + a(u2)) is linear in u1, so ∂F/∂u1 = y/u1
//! wherever y is a normal f32 (else the full gradient, on a branch that
//! random inputs never take), and ∂F/∂u2 = 0.5·u1·cosh²(p)/p′ is closed:
//! the step evaluates a(u2) once, in the forward, for one float per element
//! more (9, not 8). Timed against the shipped step and against memcpys of
//! 8 and of 9 floats, in alternation (wall clock, median of the ratios).
//!
//! Not built by the workspace: copy it into bench/src/bin/ and run
//! `cargo run --release -p foil-bench --bin output_reuse_probe`.
use foil::cubecl::{self, prelude::*};
use foil::kernels::{Client, CubeSplitActivation, Handle, Launch};
use foil::{GpuActivation, GpuSplitActivation, SplitActivation};
use foil_bench::gpu::{open, read, sync};
use foil_bench::{BenchDevice, GeluTanhSa};

foil::activation!(Copy32 = x);

#[cube(launch_unchecked)]
fn reuse_backward<F: Float, N: Size>(
    u1: &[Vector<F, N>],
    u2: &[Vector<F, N>],
    y: &[Vector<F, N>],
    g: &[Vector<F, N>],
    g1: &mut [Vector<F, N>],
    g2: &mut [Vector<F, N>],
    #[comptime] fallback: bool,
) {
    if ABSOLUTE_POS < g.len() {
        let (a, b, yy, go) = (u1[ABSOLUTE_POS], u2[ABSOLUTE_POS], y[ABSOLUTE_POS], g[ABSOLUTE_POS]);
        let ay = yy.abs();
        let normal = ay.greater_equal(&Vector::<F, N>::new(F::new(1.1754944e-38))).vec_and(ay.less_equal(&Vector::<F, N>::new(F::new(3.4028235e38))));
        let mut r = go * (yy / a);
        if fallback {
            let mut all = true;
            #[unroll]
            for l in 0..yy.vector_size() {
                all = all && normal.extract(l);
            }
            if !all {
                let mut u = Sequence::new();
                u.push(a);
                u.push(b);
                let full = <GeluTanhSa as CubeSplitActivation>::gradient::<F, N>(&u, go);
                r = select_many(normal, r, *full.index(0));
            }
        } else {
            // No fallback (wrong where y is not normal): the ceiling.
            r = select_many(normal, r, a);
        }
        g1[ABSOLUTE_POS] = r;
        let k = Vector::<F, N>::new(F::new(0.7978846));
        let c = Vector::<F, N>::new(F::new(0.044715));
        let b2 = b * b;
        let p = k * (b + c * b2 * b);
        let e = p.exp();
        let ch = Vector::<F, N>::new(F::new(0.5)) * (e + Vector::<F, N>::new(F::new(1.0)) / e);
        let pp = k * (Vector::<F, N>::new(F::new(1.0)) + Vector::<F, N>::new(F::new(3.0)) * c * b2);
        g2[ABSOLUTE_POS] = go * (Vector::<F, N>::new(F::new(0.5)) * a) * (ch * ch / pp);
    }
}

fn launch_reuse(client: &Client, h: &[Handle; 6], launch: Launch, fallback: bool) {
    let (count, dim) = launch.geometry(client);
    unsafe {
        reuse_backward::launch_unchecked::<f32>(
            client,
            count,
            dim,
            launch.vector_size,
            launch.arg(&h[0]),
            launch.arg(&h[1]),
            launch.arg(&h[2]),
            launch.arg(&h[3]),
            launch.arg(&h[4]),
            launch.arg(&h[5]),
            fallback,
        )
    };
}

fn main() -> Result<(), String> {
    let (client, _, name) = open(BenchDevice::Wgpu)?;
    println!("device: {name}");
    let upload = |v: &[f32]| client.create_from_slice(f32::as_bytes(v));
    // Correctness, with exact zeros and a subnormal y among the inputs so the branch runs.
    {
        let n = 1 << 16;
        let mut u1 = foil_bench::inputs(n, 2);
        let u2 = foil_bench::inputs(n, 3);
        for i in (0..n).step_by(97) {
            u1[i] = if i % 2 == 0 { 0.0 } else { 1e-40 };
        }
        let g = foil_bench::inputs(n, 4);
        let h = [upload(&u1), upload(&u2), upload(&vec![f32::NAN; n]), upload(&g), upload(&vec![f32::NAN; n]), upload(&vec![f32::NAN; n])];
        let launch = Launch::for_client(&client, n);
        GeluTanhSa::launch_forward(&client, &h[..2], &h[2], launch).map_err(|e| e.to_string())?;
        launch_reuse(&client, &h, launch, true);
        let (g1, g2) = (read(&client, h[4].clone())?, read(&client, h[5].clone())?);
        let mut want = [Vec::new(), Vec::new()];
        let mut grad = [0.0f32; 2];
        for i in 0..n {
            <GeluTanhSa as SplitActivation>::gradient(&[u1[i], u2[i]], &mut grad);
            want[0].push(g[i] * grad[0]);
            want[1].push(g[i] * grad[1]);
        }
        let err = foil_bench::max_rel_diff(&[g1, g2], &want);
        println!("max mixed error vs scalar Rust: {err:e}");
        if !(err <= 1e-5) {
            return Err("the probe's gradients are off".into());
        }
    }
    for n in [1usize << 20, 16 << 20] {
        let launch = Launch::for_client(&client, n);
        let u = [upload(&foil_bench::inputs(n, 2)), upload(&foil_bench::inputs(n, 3))];
        let ones = upload(&vec![1.0; n]);
        let (y, g1, g2) = (client.empty(n * 4), client.empty(n * 4), client.empty(n * 4));
        let grads = [g1.clone(), g2.clone()];
        let shipped = || -> Result<(), String> {
            GeluTanhSa::launch_forward(&client, &u, &y, launch).map_err(|e| e.to_string())?;
            GeluTanhSa::launch_backward(&client, &u, &ones, &grads, launch).map_err(|e| e.to_string())?;
            sync(&client)
        };
        let h = [u[0].clone(), u[1].clone(), y.clone(), ones.clone(), g1.clone(), g2.clone()];
        let reuse = || -> Result<(), String> {
            GeluTanhSa::launch_forward(&client, &u, &y, launch).map_err(|e| e.to_string())?;
            launch_reuse(&client, &h, launch, true);
            sync(&client)
        };
        // memcpy of a step of `fwd` and `bwd` floats per element, one copy per pass.
        // In pieces of at most 16M floats: lavapipe binds at most 128 MiB.
        let copy_bufs = |floats: usize| {
            let m = floats * n / 2 / 4 * 4;
            (0..m)
                .step_by(16 << 20)
                .map(|f| {
                    let k = (m - f).min(16 << 20);
                    (upload(&vec![0.5; k]), client.empty(k * 4), Launch::for_client(&client, k))
                })
                .collect::<Vec<_>>()
        };
        let c8 = [copy_bufs(3), copy_bufs(5)].concat();
        let c9 = [copy_bufs(3), copy_bufs(6)].concat();
        let memcpy = |c: &[(Handle, Handle, Launch)]| -> Result<(), String> {
            for (s, d, l) in c {
                Copy32::launch_forward(&client, s, d, *l).map_err(|e| e.to_string())?;
            }
            sync(&client)
        };
        let plain = || -> Result<(), String> {
            GeluTanhSa::launch_forward(&client, &u, &y, launch).map_err(|e| e.to_string())?;
            launch_reuse(&client, &h, launch, false);
            sync(&client)
        };
        for round in 0..2 {
            let a = foil_bench::median_ratio(2, 10, 3.0, shipped, || memcpy(&c8))?;
            let b = foil_bench::median_ratio(2, 10, 3.0, reuse, || memcpy(&c8))?;
            let c = foil_bench::median_ratio(2, 10, 3.0, reuse, || memcpy(&c9))?;
            let d = foil_bench::median_ratio(2, 10, 3.0, plain, || memcpy(&c8))?;
            println!("  no fallback branch: vs memcpy(8) {:.3} ({:.2} ms)", d.b_over_a, d.a * 1e3);
            println!(
                "n={n} round {round}: shipped vs memcpy(8) {:.3} ({:.2} ms); reuse vs memcpy(8) {:.3} ({:.2} ms); reuse vs memcpy(9) {:.3}",
                a.b_over_a,
                a.a * 1e3,
                b.b_over_a,
                b.a * 1e3,
                c.b_over_a
            );
        }
    }
    Ok(())
}
