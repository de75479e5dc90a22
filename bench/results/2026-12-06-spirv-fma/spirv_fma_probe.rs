//! Where lavapipe, through cubecl's SPIR-V, gives asinh's GA inf at 2e19
//! (bench/README.md, "cubecl's SPIR-V compiler on lavapipe"). Not built by
//! the workspace: copy it into bench/src/bin/ and run
//! `cargo run --release -p foil-bench --features vulkan --bin spirv_fma_probe`
//! (CUBECL_DEBUG_LOG=FILE writes the SPIR-V). Output: lavapipe-spirv.txt.
use foil::cubecl::{self, prelude::*};
use foil::kernels::{Client, Handle};
use foil::Activation;
use foil_bench::gpu::open;
use foil_bench::BenchDevice;

#[cube(launch_unchecked)]
fn probe<F: Float>(x: &[F], out: &mut [F]) {
    if ABSOLUTE_POS == 0 {
        let v = x[0];
        let a = v.abs();
        let s = select(a < F::new(134217730.0), (v * v + F::new(1.0)).sqrt(), a);
        out[0] = (F::new(0.5) * v) * s;
        out[1] = (F::new(0.5) * v) * s + F::new(11.0);
        out[2] = v * s;
        out[3] = s;
        out[4] = (v * v + F::new(1.0)).sqrt();
        out[5] = F::new(0.5) * v;
    }
}

#[cube(launch_unchecked)]
fn probe2<F: Float>(x: &[Vector<F, Const<4>>], out: &mut [Vector<F, Const<4>>]) {
    if ABSOLUTE_POS == 0 {
        let v = x[0];
        let a = v.abs();
        out[0] = foil::kernels::math::asinh::<F, Const<4>>(v);
        let s = select_many(a.less_than(&Vector::<F, Const<4>>::new(F::new(134217730.0))), ((v * v) + Vector::<F, Const<4>>::new(F::new(1.0))).sqrt(), a);
        out[1] = (Vector::<F, Const<4>>::new(F::new(0.5)) * v) * s;
        out[2] = ((Vector::<F, Const<4>>::new(F::new(0.5)) * v) * s) + (Vector::<F, Const<4>>::new(F::new(0.5)) * foil::kernels::math::asinh::<F, Const<4>>(v));
        out[3] = s;
    }
}

/// x[0] = v, x[1] = w: out = (0.5·v)·v + 0.5·w, the product used once.
#[cube(launch_unchecked)]
fn lone<F: Float>(x: &[F], out: &mut [F]) {
    if ABSOLUTE_POS == 0 {
        let v = x[0];
        let w = x[1];
        out[0] = (F::new(0.5) * v) * v + F::new(0.5) * w;
    }
}

/// The same through an explicit fma.
#[cube(launch_unchecked)]
fn explicit<F: Float>(x: &[F], out: &mut [F]) {
    if ABSOLUTE_POS == 0 {
        let v = x[0];
        let w = x[1];
        out[0] = fma(F::new(0.5) * v, v, F::new(0.5) * w);
    }
}

/// fma(v, v, w) with v·v past f32::MAX and w = -v·v... : exact fma gives the true value.
#[cube(launch_unchecked)]
fn plain_fma<F: Float>(x: &[F], out: &mut [F]) {
    if ABSOLUTE_POS == 0 {
        out[0] = fma(x[0], x[2], x[1]);
    }
}

type V4<F> = Vector<F, Const<4>>;

/// vec4: out = (0.5·v)·v + 0.5·w, the product used once (cubecl-opt fuses it).
#[cube(launch_unchecked)]
fn lone4<F: Float>(x: &[V4<F>], out: &mut [V4<F>]) {
    if ABSOLUTE_POS == 0 {
        let v = x[0];
        let w = x[1];
        out[0] = (V4::<F>::new(F::new(0.5)) * v) * v + V4::<F>::new(F::new(0.5)) * w;
    }
}

/// vec4 explicit fma(v, v, w) with v·v = 4e38 past f32::MAX and w = -3e38.
#[cube(launch_unchecked)]
fn fma4<F: Float>(x: &[V4<F>], out: &mut [V4<F>]) {
    if ABSOLUTE_POS == 0 {
        out[0] = fma(x[0], x[0], x[1]);
    }
}

/// vec4: out0 = fma(x0, x1, x2) exactly as given; out1 = (h·v)·v + w with h = 0.5 from the buffer.
#[cube(launch_unchecked)]
fn more4<F: Float>(x: &[V4<F>], out: &mut [V4<F>]) {
    if ABSOLUTE_POS == 0 {
        out[0] = fma(x[0], x[1], x[2]);
        out[1] = (x[3] * x[0]) * x[0] + x[2];
    }
}

foil::adversarial!(AsinhGaT = asinh(x));

/// Uploads `input`, runs `launch` on one unit over it and an output of
/// `out_len` NaNs (bound as `input_items` and `out_items` elements of the
/// kernel's type: f32 or vec4), and reads the output back.
fn run_once(client: &Client, input: &[f32], input_items: usize, out_len: usize, out_items: usize, launch: impl FnOnce(&Client, CubeCount, CubeDim, BufferArg, BufferArg)) -> Vec<f32> {
    let xh: Handle = client.create_from_slice(f32::as_bytes(input));
    let oh: Handle = client.create_from_slice(f32::as_bytes(&vec![f32::NAN; out_len]));
    let (a, b) = unsafe { (BufferArg::from_raw_parts(xh.clone(), input_items), BufferArg::from_raw_parts(oh.clone(), out_items)) };
    launch(client, CubeCount::Static(1, 1, 1), CubeDim::new_1d(1), a, b);
    f32::from_bytes(&client.read_one(oh).unwrap()).to_vec()
}

fn main() {
    let (client, _d, name): (Client, _, String) = open(BenchDevice::Wgpu).unwrap();
    println!("{name}");
    let out = run_once(&client, &[2e19f32, 0.0, 0.0, 0.0], 4, 8, 8, |c, n, d, a, b| unsafe { probe::launch_unchecked::<f32>(c, n, d, a, b) });
    println!("probe: {out:?}");
    let out = run_once(&client, &[2e19f32, 1e19, -2e19, 3.0], 1, 16, 4, |c, n, d, a, b| unsafe { probe2::launch_unchecked::<f32>(c, n, d, a, b) });
    println!("probe2 (x = 2e19, 1e19, -2e19, 3): asinh, (0.5x)s, value, s: {out:?}");
    for (name, k) in [("lone product + add", 0), ("explicit fma(0.5v, v, 0.5w)", 1), ("fma(1.5e19, 2e19, 22)", 2)] {
        let input = [if k == 2 { 1.5e19f32 } else { 2e19 }, 45.0, 2e19, 0.0];
        let out = run_once(&client, &input, 4, 4, 4, |c, n, d, a, b| unsafe {
            match k {
                0 => lone::launch_unchecked::<f32>(c, n, d, a, b),
                1 => explicit::launch_unchecked::<f32>(c, n, d, a, b),
                _ => plain_fma::launch_unchecked::<f32>(c, n, d, a, b),
            }
        });
        println!("{name}: {:e}", out[0]);
    }
    for (name, k) in [("vec4 lone product + add", 0), ("vec4 fma(v, v, -3e38) at v = 2e19", 1)] {
        let w = if k == 0 { 45.0f32 } else { -3e38 };
        let out = run_once(&client, &[2e19f32, 2e19, 1e19, 3.0, w, w, w, w], 2, 4, 1, |c, n, d, a, b| unsafe {
            match k {
                0 => lone4::launch_unchecked::<f32>(c, n, d, a, b),
                _ => fma4::launch_unchecked::<f32>(c, n, d, a, b),
            }
        });
        println!("{name}: {out:?}");
    }
    // x0 = v, x1 = w, x2 = c, x3 = h
    let data = [1e19f32, 2e19, 2e19, 2e19, 2e19, 2e19, 1e19, 1e19, 22.5, -3e38, 22.5, 22.5, 0.5, 0.5, 0.5, 0.5];
    let out = run_once(&client, &data, 4, 8, 2, |c, n, d, a, b| unsafe { more4::launch_unchecked::<f32>(c, n, d, a, b) });
    println!("vec4 fma(v, w, c) for (1e19,2e19,22.5), (2e19,2e19,-3e38), (2e19,1e19,22.5), (2e19,1e19,22.5); then (h*v)*v + c, h = 0.5 from the buffer: {out:?}");
    for v in [2e19f32, 1e19, 5e18, 1e18, 1e17, 1.3e19] {
        let y = foil::runtime::forward_host::<AsinhGaT>(&[v, v, v, v]).unwrap();
        println!("AsinhGa({v:e}) device {:e} scalar {:e}", y[0], AsinhGaT::value(v));
    }
}
