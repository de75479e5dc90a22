//! Element-wise kernels, forward + backward, in two parts.
//!
//! **Against burn** (`cases`): tanh-GA, sigmoid-GA and gelu-SA, foil's fused
//! cubecl kernels vs burn computing the same expression with its own tensor
//! ops under autodiff, fused (`Fusion<CubeBackend>`, burn's default on
//! CubeCL: the bar) and unfused (`CubeBackend`). One timed step is forward
//! then backward, then a device sync. foil's backward is seeded with
//! grad_out = 1, which is what burn's `backward` seeds the output with, so
//! both compute the same values; foil still reads grad_out from memory (its
//! kernel's contract), burn does not (its seed is a constant).
//!
//! **Against memcpy** (`sweep`): every suite kernel, forward + backward, vs an
//! identity kernel (`activation!(DeviceCopy = x)`) launched once per pass,
//! over buffers whose read + write bytes equal the kernel's for that pass
//! (forward, then backward: two launches, as the step's are): the GA of
//! every row that has one, the SA and the HD-FGD F (with all partials) of
//! every row whose SA the suite requires, each as the macros generate it
//! (`macro`) and as the trainer generates it at run time from the same
//! derivation (`jit`: `foil_burn::Rewriter` → `JitKernel`, packed layout
//! `[rows, n·1024, 1]`, which also runs f itself). The two are timed in
//! alternation, so that both see the same machine load, and the ratio is the
//! median of the per-repetition ratios.

#[cfg(any(feature = "wgpu", feature = "cuda"))]
use super::BenchDevice;
use super::{goal, stated_peak, Plan};
use foil_compiler::lang::Expr;
use serde_json::{json, Value};

#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod device {
    use super::super::acts::{self, DeviceCopy, GeluSa, SigmoidGa, TanhGa};
    use super::super::burn_expr::time_forward_backward;
    use super::super::gpu::{median_device_seconds, read, sync};
    use super::super::{inputs, median_ratio, median_seconds, Plan};
    use burn_cubecl::{Cube, CubeBackend};
    use foil::cubecl::{self, prelude::*};
    use foil::kernels::{Client, Handle, Launch};
    use foil::runtime::launch::max_piece_bytes;
    use foil::{Activation, GpuActivation, GpuSplitActivation, SplitActivation};
    use foil_burn::jit::{JitKernel, PackedLayout};
    use foil_compiler::lang::Expr;
    use serde_json::{json, Value};
    use std::collections::{HashMap, HashSet};

    fn upload(client: &Client, v: &[f32]) -> Handle {
        client.create_from_slice(f32::as_bytes(v))
    }

    /// The seed of a kernel's input i in every case: `inputs(n,
    /// input_seed(i))`. (The burn cases' GA input uses seed 1.)
    fn input_seed(i: usize) -> u64 {
        2 + i as u64
    }

    /// The device buffers the cases of one size only read, uploaded once and
    /// shared: the inputs (`inputs(n, seed)`), the packed inputs of the
    /// run-time kernels, and constant fills (grad_out = 1, the memcpy's
    /// source, the NaN that output buffers start from). On lavapipe an upload
    /// of 64 MiB takes about 0.16 s and a device copy of it 0.02 s; uploading
    /// every buffer for every case spent more than half of a 16M case's wall
    /// time on setup (bench/README.md).
    pub struct Buffers {
        client: Client,
        n: usize,
        host: HashMap<u64, Vec<f32>>,
        inputs: HashMap<u64, Handle>,
        /// Keyed by (inputs, block, first row, rows).
        packed: HashMap<(usize, usize, usize, usize), Handle>,
        /// Keyed by (length, the value's bits).
        filled: HashMap<(usize, u32), Handle>,
        /// Lengths whose NaN fill was read back once and found whole.
        fill_checked: HashSet<usize>,
    }

    impl Buffers {
        pub fn new(client: &Client, n: usize) -> Self {
            Buffers {
                client: client.clone(),
                n,
                host: HashMap::new(),
                inputs: HashMap::new(),
                packed: HashMap::new(),
                filled: HashMap::new(),
                fill_checked: HashSet::new(),
            }
        }

        /// The `n` points of `inputs(n, seed)` on the host.
        fn host(&mut self, seed: u64) -> &[f32] {
            let n = self.n;
            self.host.entry(seed).or_insert_with(|| inputs(n, seed))
        }

        /// The same points on the device.
        fn input(&mut self, seed: u64) -> Handle {
            if let Some(h) = self.inputs.get(&seed) {
                return h.clone();
            }
            let client = self.client.clone();
            let h = upload(&client, self.host(seed));
            self.inputs.insert(seed, h.clone());
            h
        }

        /// Rows `first..first + rows` of the packed layout `[rows, t·block,
        /// 1]` whose input block i holds `inputs(n, input_seed(i))`.
        fn packed(&mut self, t: usize, block: usize, first: usize, rows: usize) -> Handle {
            if let Some(h) = self.packed.get(&(t, block, first, rows)) {
                return h.clone();
            }
            let mut x = Vec::with_capacity(rows * t * block);
            for o in first..first + rows {
                for i in 0..t {
                    x.extend_from_slice(&self.host(input_seed(i))[o * block..(o + 1) * block]);
                }
            }
            let h = upload(&self.client, &x);
            self.packed.insert((t, block, first, rows), h.clone());
            h
        }

        /// `len` copies of `value`.
        fn filled(&mut self, len: usize, value: f32) -> Handle {
            let client = &self.client;
            self.filled.entry((len, value.to_bits())).or_insert_with(|| upload(client, &vec![value; len])).clone()
        }

        /// A fresh output buffer of `len` NaN, copied on the device from a
        /// shared fill: a launch that did not run (a buffer larger than the
        /// device binds, which lavapipe skips without an error) leaves it
        /// NaN, and the sweep checks for that. The first fill of each length
        /// is read back, so that a skipped fill cannot pass for a written output.
        fn unwritten(&mut self, len: usize) -> Result<Handle, String> {
            let nan = self.filled(len, f32::NAN);
            let out = self.client.empty(len * 4);
            DeviceCopy::launch_forward(&self.client, &nan, &out, Launch::for_client(&self.client, len)).map_err(|e| e.to_string())?;
            if self.fill_checked.insert(len) {
                if let Some(i) = read(&self.client, out.clone())?.iter().position(|v| !v.is_nan()) {
                    return Err(format!("the NaN fill of {len} elements left element {i} unfilled"));
                }
            }
            Ok(out)
        }
    }

    // The sweep's memcpy and run-time steps split into several launches where
    // a buffer would pass `max_piece_bytes`, the runtime's own limit for one
    // launch (the device's largest binding, at most 256 MiB; 128 MiB on
    // lavapipe), so a step takes as few launches as the device allows. A
    // fixed 64 MiB (the macro kernels' buffer at 16M elements) split a
    // run-time step of t inputs at 16M into t launches per pass; on the H200
    // the 4- and 5-input ones took 25–36 µs more per extra launch than the
    // macro kernel's step of about 1 ms (bench/README.md).

    /// Rows of the packed layout `[rows, t·block, 1]` one launch takes when
    /// its input may bind at most `max_bytes`: at least one.
    pub(super) fn rows_per_launch(max_bytes: usize, t: usize, block: usize) -> usize {
        (max_bytes / (4 * t * block)).max(1)
    }

    /// One device step with its buffers in place: `run` queues the launches
    /// and waits for them; `outputs` reads the gradients back.
    pub struct Step {
        /// Bytes each pass reads and writes: forward, then backward (a
        /// memcpy's: one copy per pass of the step it stands for).
        pub passes: Vec<usize>,
        /// Kernel launches one run queues (all passes).
        pub launches: usize,
        run: Box<dyn FnMut() -> Result<(), String>>,
        outputs: Box<dyn Fn() -> Result<Vec<Vec<f32>>, String>>,
    }

    /// Bytes of a step over `n` elements of `t` inputs: forward reads t
    /// and writes 1; backward reads t and grad_out and writes t.
    fn passes(t: usize, n: usize) -> Vec<usize> {
        vec![(t + 1) * n * 4, (2 * t + 1) * n * 4]
    }

    impl Step {
        /// Bytes the step reads and writes.
        pub fn bytes(&self) -> usize {
            self.passes.iter().sum()
        }

        pub fn run(&mut self) -> Result<(), String> {
            (self.run)()
        }

        pub fn outputs(&self) -> Result<Vec<Vec<f32>>, String> {
            (self.outputs)()
        }
    }

    /// Forward then fused backward of a one-input macro kernel over
    /// `inputs(n, seed)`, grad_out = 1.
    pub fn foil_ga<A: GpuActivation>(bufs: &mut Buffers, seed: u64) -> Result<Step, String> {
        let (client, n) = (bufs.client.clone(), bufs.n);
        let launch = Launch::for_client(&client, n);
        let (xh, gh) = (bufs.input(seed), bufs.filled(n, 1.0));
        let (yh, gih) = (client.empty(n * 4), bufs.unwritten(n)?);
        let (c, gi) = (client.clone(), gih.clone());
        let c2 = client.clone();
        Ok(Step {
            passes: passes(1, n),
            launches: 2,
            run: Box::new(move || {
                A::launch_forward(&c, &xh, &yh, launch).map_err(|e| e.to_string())?;
                A::launch_backward(&c, &xh, &gh, &gih, launch).map_err(|e| e.to_string())?;
                sync(&c)
            }),
            outputs: Box::new(move || Ok(vec![read(&c2, gi.clone())?])),
        })
    }

    /// The same for a macro kernel of several inputs, input i being
    /// `inputs(n, input_seed(i))`.
    pub fn foil_sa<A: GpuSplitActivation>(bufs: &mut Buffers) -> Result<Step, String> {
        let (client, n) = (bufs.client.clone(), bufs.n);
        let t = A::TERMS;
        let launch = Launch::for_client(&client, n);
        let uh: Vec<Handle> = (0..t).map(|i| bufs.input(input_seed(i))).collect();
        let gh = bufs.filled(n, 1.0);
        let yh = client.empty(n * 4);
        let gih = (0..t).map(|_| bufs.unwritten(n)).collect::<Result<Vec<Handle>, String>>()?;
        let (c, gi) = (client.clone(), gih.clone());
        let c2 = client.clone();
        Ok(Step {
            passes: passes(t, n),
            launches: 2,
            run: Box::new(move || {
                A::launch_forward(&c, &uh, &yh, launch).map_err(|e| e.to_string())?;
                A::launch_backward(&c, &uh, &gh, &gih, launch).map_err(|e| e.to_string())?;
                sync(&c)
            }),
            outputs: Box::new(move || gi.iter().map(|h| read(&c2, h.clone())).collect()),
        })
    }

    /// The same for a run-time kernel of `t` inputs over the packed layout
    /// `[rows, t·COLUMNS, 1]` (input block i of every row holds
    /// `inputs(n, input_seed(i))`), in launches of at most
    /// [`max_piece_bytes`] of input each.
    pub fn foil_jit(bufs: &mut Buffers, kernel: &JitKernel, t: usize) -> Result<Step, String> {
        let (client, len) = (bufs.client.clone(), bufs.n);
        let block = if len % COLUMNS == 0 { COLUMNS } else { len };
        let rows = len / block;
        let per_launch = rows_per_launch(max_piece_bytes(&client), t, block);
        let mut launches = Vec::new();
        for first in (0..rows).step_by(per_launch) {
            let outer = per_launch.min(rows - first);
            let layout = PackedLayout::new(outer, t, block, 1).map_err(|e| e.to_string())?;
            let (xh, gh) = (bufs.packed(t, block, first, outer), bufs.filled(layout.output_len(), 1.0));
            let (yh, gxh) = (client.empty(layout.output_len() * 4), bufs.unwritten(layout.input_len())?);
            launches.push((layout, xh, gh, yh, gxh));
        }
        let gx: Vec<Handle> = launches.iter().map(|l| l.4.clone()).collect();
        let (c, c2, k) = (client.clone(), client.clone(), kernel.clone());
        Ok(Step {
            passes: passes(t, len),
            launches: 2 * launches.len(),
            run: Box::new(move || {
                for (layout, xh, gh, yh, gxh) in &launches {
                    k.launch_forward(&c, xh, yh, *layout).map_err(|e| e.to_string())?;
                    k.launch_backward(&c, xh, gh, gxh, *layout).map_err(|e| e.to_string())?;
                }
                sync(&c)
            }),
            outputs: Box::new(move || gx.iter().map(|h| read(&c2, h.clone())).collect()),
        })
    }

    /// The identity kernel, once per pass of `step`, over `bytes / 8` f32
    /// (read + write = the pass's bytes), in launches of at most
    /// [`max_piece_bytes`] per buffer: memory speed for a step of that
    /// many passes. (Forward and backward cannot share a launch: backward
    /// needs grad_out, which exists only after the loss.)
    pub fn memcpy(bufs: &mut Buffers, step: &Step) -> Result<Step, String> {
        let client = bufs.client.clone();
        let most = max_piece_bytes(&client) / 4;
        let mut launches: Vec<(Handle, Handle, Launch)> = Vec::new();
        let mut passes = Vec::new();
        for bytes in &step.passes {
            let total = (bytes / 8) / 4 * 4;
            passes.push(8 * total);
            for first in (0..total).step_by(most) {
                let m = most.min(total - first);
                launches.push((bufs.filled(m, 0.5), bufs.unwritten(m)?, Launch::for_client(&client, m)));
            }
        }
        let dst: Vec<Handle> = launches.iter().map(|l| l.1.clone()).collect();
        let (c, c2) = (client.clone(), client.clone());
        Ok(Step {
            passes,
            launches: launches.len(),
            run: Box::new(move || {
                for (src, dst, launch) in &launches {
                    DeviceCopy::launch_forward(&c, src, dst, *launch).map_err(|e| e.to_string())?;
                }
                sync(&c)
            }),
            outputs: Box::new(move || dst.iter().map(|h| read(&c2, h.clone())).collect()),
        })
    }

    pub fn burn_fused(expr: &Expr, vars: &[String], data: &[Vec<f32>], device: &cubecl::Device, plan: &Plan) -> Result<(f64, Vec<Vec<f32>>), String> {
        time_forward_backward::<Cube>(expr, vars, data, device, plan)
    }

    pub fn burn_unfused(expr: &Expr, vars: &[String], data: &[Vec<f32>], device: &cubecl::Device, plan: &Plan) -> Result<(f64, Vec<Vec<f32>>), String> {
        time_forward_backward::<CubeBackend>(expr, vars, data, device, plan)
    }

    /// One (activation, size) case against burn: every competitor, its figures and ratios.
    pub fn case(label: &str, client: &Client, device: &cubecl::Device, n: usize, plan: &Plan) -> Result<Value, String> {
        let mut bufs = Buffers::new(client, n);
        let (expr_src, vars, seeds, mut foil) = match label {
            "tanh-GA" => (TanhGa::EXPRESSION, vec!["x".to_string()], vec![1], foil_ga::<TanhGa>(&mut bufs, 1)?),
            "sigmoid-GA" => (SigmoidGa::EXPRESSION, vec!["x".to_string()], vec![1], foil_ga::<SigmoidGa>(&mut bufs, 1)?),
            _ => (
                GeluSa::EXPRESSION,
                (1..=GeluSa::TERMS).map(|i| format!("u{i}")).collect(),
                (0..GeluSa::TERMS).map(input_seed).collect(),
                foil_sa::<GeluSa>(&mut bufs)?,
            ),
        };
        let data: Vec<Vec<f32>> = seeds.into_iter().map(|s| bufs.host(s).to_vec()).collect();
        // burn gets `data`; the host copies in `bufs` would only hold memory
        // while it runs (256 MB an input at the full plan's 64M).
        drop(bufs);
        let expr = foil_compiler::parse::parse(expr_src).map_err(|e| format!("{label}: its EXPRESSION does not parse: {e}"))?;
        let foil_s = median_seconds(plan.warmup, plan.reps, || foil.run())?;
        let foil_grads = foil.outputs()?;
        let (fused_s, fused_grads) = burn_fused(&expr, &vars, &data, device, plan)?;
        let (unfused_s, _) = burn_unfused(&expr, &vars, &data, device, plan)?;
        Ok(json!({
            "activation": label,
            "elements": n,
            "inputs": vars.len(),
            "bytes": foil.bytes(),
            "foil_ms": foil_s * 1e3,
            "burn_fused_ms": fused_s * 1e3,
            "burn_unfused_ms": unfused_s * 1e3,
            "foil_gbps": foil.bytes() as f64 / foil_s / 1e9,
            "vs_burn_fused": fused_s / foil_s,
            "vs_burn_unfused": unfused_s / foil_s,
            "max_rel_diff_vs_burn": super::super::max_rel_diff(&foil_grads, &fused_grads),
        }))
    }

    /// A suite kernel of the sweep: its label, inputs, and how to build its step.
    pub struct SweepKernel {
        pub label: String,
        /// `macro`, `jit` or `probe`.
        pub kind: &'static str,
        pub inputs: usize,
        build: Box<dyn Fn(&mut Buffers) -> Result<Step, String>>,
    }

    fn macro_ga<A: GpuActivation + 'static>(label: String) -> SweepKernel {
        SweepKernel { label, kind: "macro", inputs: 1, build: Box::new(|bufs: &mut Buffers| foil_ga::<A>(bufs, input_seed(0))) }
    }

    fn macro_split<A: GpuSplitActivation + 'static>(label: String) -> SweepKernel {
        SweepKernel { label, kind: "macro", inputs: A::TERMS, build: Box::new(|bufs: &mut Buffers| foil_sa::<A>(bufs)) }
    }

    /// Every suite kernel the macros generate (`acts::suite_kernels!` lists
    /// them; the bench's tests check the list against the suite table).
    pub fn macro_kernels() -> Vec<SweepKernel> {
        macro_rules! collect {
            (ga: $($g:ident = $gn:literal),*; split: $($s:ident = $sn:literal),*) => {
                vec![$(macro_ga::<acts::$g>($gn.to_string()),)* $(macro_split::<acts::$s>($sn.to_string()),)*]
            };
        }
        acts::suite_kernels!(collect)
    }

    /// Rows per packed launch of the JIT sweep: `[rows, n·COLUMNS, 1]`.
    const COLUMNS: usize = 1024;

    /// What the trainer generates at run time for every suite row: f, the GA
    /// where there is one, F and the SA where the suite requires the SA.
    pub fn jit_kernels() -> Result<Vec<SweepKernel>, String> {
        let mut out = Vec::new();
        for row in foil_compiler::suite::embedded_suite() {
            let mut rw = foil_burn::Rewriter::new(&row.expression).map_err(|e| format!("{}: {e}", row.name))?;
            let mut kernels = vec![("f", rw.f())];
            if !row.ga_refused() {
                kernels.push(("GA", rw.g()));
            }
            if row.sa_required {
                kernels.push(("F", rw.big_f()));
                kernels.push(("SA", rw.sa()));
            }
            for (what, k) in kernels {
                let k = k.map_err(|e| format!("{} {what}: {e}", row.name))?;
                let jit = k.jit()?.clone();
                let t = k.arity();
                out.push(SweepKernel {
                    label: format!("{} {what}", row.name),
                    kind: "jit",
                    inputs: t,
                    build: Box::new(move |bufs: &mut Buffers| foil_jit(bufs, &jit, t)),
                });
            }
        }
        Ok(out)
    }

    /// The `--probe` functions as run-time kernels (kind `probe`).
    pub fn probe_kernels(probes: &[super::Probe]) -> Result<Vec<SweepKernel>, String> {
        probes
            .iter()
            .map(|p| {
                let vars: Vec<&str> = p.vars.iter().map(String::as_str).collect();
                // Without given partials, the raw derivatives, as the
                // trainer's run-time kernels take them.
                let derived = || p.vars.iter().map(|v| foil_compiler::diff::derivative(&p.expr, v)).collect::<Vec<_>>();
                let partials = p.partials.clone().unwrap_or_else(derived);
                let jit = JitKernel::compile(&p.expr, &partials, &vars).map_err(|e| format!("{}: {e}", p.label))?;
                let t = vars.len();
                Ok(SweepKernel { label: p.label.clone(), kind: "probe", inputs: t, build: Box::new(move |bufs: &mut Buffers| foil_jit(bufs, &jit, t)) })
            })
            .collect()
    }

    /// One sweep case: the kernel's step and a memcpy of the same bytes,
    /// timed in alternation.
    pub fn sweep_case(k: &SweepKernel, bufs: &mut Buffers, plan: &Plan, peak: Option<f64>) -> Result<Value, String> {
        let clock = std::time::Instant::now();
        let (client, n) = (bufs.client.clone(), bufs.n);
        let mut step = (k.build)(bufs)?;
        let mut copy = memcpy(bufs, &step)?;
        let timed = median_ratio(plan.warmup, plan.reps, plan.sweep_min_seconds, || step.run(), || copy.run())?;
        let (foil_s, copy_s, ratio) = (timed.a, timed.b, timed.b_over_a);
        let device = median_device_seconds(&client, plan.reps, &mut [&mut || step.run(), &mut || copy.run()])?.map(|t| (t[0], t[1]));
        // Every output element written: a skipped launch would time nothing.
        for (what, out) in [("the kernel", step.outputs()?), ("the memcpy", copy.outputs()?)] {
            if let Some(i) = out.iter().flatten().position(|v| v.is_nan()) {
                return Err(format!("{what} left output element {i} unwritten (a buffer larger than the device binds?)"));
            }
        }
        let bytes = step.bytes();
        let gbps = |s: f64| bytes as f64 / s / 1e9;
        Ok(json!({
            "kernel": k.label,
            "kind": k.kind,
            "elements": n,
            "inputs": k.inputs,
            "bytes": bytes,
            // Read + write bytes of each pass (forward, backward), and of the
            // memcpy's launches per pass: one copy per pass of the kernel.
            "passes": step.passes,
            "memcpy_passes": copy.passes,
            // Launches per step: a pass splits where its buffers pass what
            // the device binds (`max_piece_bytes`).
            "launches": step.launches,
            "memcpy_launches": copy.launches,
            "foil_ms": foil_s * 1e3,
            "memcpy_ms": copy_s * 1e3,
            "foil_gbps": gbps(foil_s),
            "memcpy_gbps": gbps(copy_s),
            "foil_fraction_of_peak": peak.map(|p| bytes as f64 / foil_s / p),
            // The same from the GPU's own timestamps (no submission or host
            // wait): what the kernels' memory traffic achieves.
            "foil_device_ms": device.map(|(f, _)| f * 1e3),
            "memcpy_device_ms": device.map(|(_, c)| c * 1e3),
            "foil_device_gbps": device.map(|(f, _)| gbps(f)),
            "foil_device_fraction_of_peak": peak.zip(device).map(|(p, (f, _))| bytes as f64 / f / p),
            "vs_memcpy": ratio,
            "reps": timed.reps,
            "met": ratio >= super::MEMCPY_GOAL,
            // The case's wall time: buffers, compile, timing, readback.
            "seconds": clock.elapsed().as_secs_f64(),
        }))
    }

    #[cfg(test)]
    mod tests {
        use super::super::super::{gpu, inputs, BenchDevice};
        use super::{read, rows_per_launch, Buffers, DeviceCopy, Launch, COLUMNS};
        use foil::GpuActivation;

        /// A run-time step's input splits at the device's binding: at 16M
        /// elements (16384 rows of 1024), 5 inputs take 3 launches a pass on
        /// lavapipe (128 MiB) and 2 at the runtime's 256 MiB cap, 4 inputs
        /// 2 and 1; a row larger than the binding still gets a launch.
        #[test]
        fn a_packed_step_takes_as_few_launches_as_the_binding_allows() {
            let launches = |max: usize, t: usize| 16384usize.div_ceil(rows_per_launch(max, t, COLUMNS));
            assert_eq!([launches(128 << 20, 5), launches(256 << 20, 5)], [3, 2]);
            assert_eq!([launches(128 << 20, 4), launches(256 << 20, 4)], [2, 1]);
            assert_eq!(rows_per_launch(1000, 5, COLUMNS), 1);
        }

        /// The shared buffers hold what each case used to upload for itself:
        /// the inputs, the packed rows of the run-time kernels, and output
        /// buffers that are all NaN and each a buffer of its own.
        #[test]
        fn shared_buffers_hold_the_inputs_and_give_every_output_fresh_nan() {
            let client = match gpu::open(BenchDevice::Wgpu) {
                Ok((client, _, _)) => client,
                Err(why) => {
                    assert!(std::env::var("FOIL_REQUIRE_GPU").map_or(true, |v| v != "1"), "FOIL_REQUIRE_GPU=1 but {why}");
                    return eprintln!("SKIP: {why}");
                }
            };
            let n = 3 * COLUMNS;
            let mut bufs = Buffers::new(&client, n);
            let h = bufs.input(3);
            assert_eq!(read(&client, h).unwrap(), inputs(n, 3));
            // Rows 1 and 2 of three inputs: each row's blocks in input order.
            let packed = read(&client, bufs.packed(3, COLUMNS, 1, 2)).unwrap();
            let mut want = Vec::new();
            for row in 1..3 {
                for i in 0..3 {
                    want.extend_from_slice(&inputs(n, 2 + i)[row * COLUMNS..(row + 1) * COLUMNS]);
                }
            }
            assert_eq!(packed, want);
            assert!(read(&client, bufs.filled(n, 1.0)).unwrap().iter().all(|&v| v == 1.0));
            // A written output leaves the next one NaN.
            let (a, b) = (bufs.unwritten(n).unwrap(), bufs.unwritten(n).unwrap());
            let half = bufs.filled(n, 0.5);
            DeviceCopy::launch_forward(&client, &half, &a, Launch::for_client(&client, n)).unwrap();
            assert!(read(&client, a).unwrap().iter().all(|&v| v == 0.5));
            for out in [b, bufs.unwritten(n).unwrap()] {
                assert!(read(&client, out).unwrap().iter().all(|v| v.is_nan()));
            }
        }
    }
}

/// The bar of the memcpy sweep: kernel time ≤ memcpy time / 0.8.
const MEMCPY_GOAL: f64 = 0.8;
/// The bar on a stated HBM peak (`FOIL_BENCH_PEAK_BYTES_PER_S`) for tanh's GA
/// at ≥ 64M elements.
const PEAK_GOAL: f64 = 0.9;

/// The worst case over `cases` of `key` (the headline: every case must meet the goal).
fn worst(cases: &[&Value], key: &str) -> Option<f64> {
    cases.iter().filter_map(|c| c[key].as_f64()).reduce(f64::min)
}

/// The goal over the sweep cases of one kind, its note naming the worst
/// case and every miss.
fn memcpy_goal(key: &str, kind: &str, sweep: &[Value]) -> Value {
    let cases: Vec<&Value> = sweep.iter().filter(|c| c["kind"] == kind).collect();
    let name = |c: &Value| format!("{} at {}", c["kernel"].as_str().unwrap_or("?"), c["elements"]);
    let worst_case = cases.iter().min_by(|a, b| a["vs_memcpy"].as_f64().unwrap_or(f64::NAN).total_cmp(&b["vs_memcpy"].as_f64().unwrap_or(f64::NAN)));
    let misses: Vec<String> =
        cases.iter().filter(|c| c["met"] == false).map(|c| format!("{} ({:.3})", name(c), c["vs_memcpy"].as_f64().unwrap_or(f64::NAN))).collect();
    let mut note = format!("worst case over every suite kernel ({kind}) and size: memcpy time of the same bytes / kernel time");
    if let Some(w) = worst_case {
        note += &format!("; worst: {}", name(w));
    }
    if !misses.is_empty() {
        note += &format!("; missed by {}: {}", misses.len(), misses.join(", "));
    }
    goal(key, worst(&cases, "vs_memcpy"), MEMCPY_GOAL, true, &note)
}

/// tanh's GA (macro) at the largest size of at least 64M elements, as a
/// fraction of the stated peak: not measured without both.
fn peak_goal(sweep: &[Value]) -> Value {
    let at = sweep
        .iter()
        .filter(|c| c["kind"] == "macro" && c["kernel"] == "tanh GA" && c["elements"].as_u64().is_some_and(|n| n >= 64 << 20))
        .max_by_key(|c| c["elements"].as_u64());
    // The GPU's timestamps where it keeps them: the host's submission and
    // wait are not HBM traffic.
    let device = at.and_then(|c| c["foil_device_fraction_of_peak"].as_f64());
    let value = device.or_else(|| at.and_then(|c| c["foil_fraction_of_peak"].as_f64()));
    let timed = if device.is_some() { "device timestamps" } else { "wall clock: the device keeps no timestamps" };
    goal(
        "tanh_ga_fraction_of_peak",
        value,
        PEAK_GOAL,
        true,
        &format!(
            "tanh GA forward + backward bytes/s at >= 64M elements / the stated HBM peak (FOIL_BENCH_PEAK_BYTES_PER_S; full mode on a GPU); timed by {timed}"
        ),
    )
}

/// The labels of the macro kernels the sweep must cover, from the suite
/// table: `{row} GA` for every row with a GA, then `{row} SA` and `{row} F`
/// for every row whose SA is required.
fn suite_labels() -> Vec<String> {
    let rows = foil_compiler::suite::embedded_suite();
    let mut out: Vec<String> = rows.iter().filter(|r| !r.ga_refused()).map(|r| format!("{} GA", r.name)).collect();
    out.extend(rows.iter().filter(|r| r.sa_required).map(|r| format!("{} SA", r.name)));
    out.extend(rows.iter().filter(|r| r.sa_required).map(|r| format!("{} F", r.name)));
    out
}

/// `f()`, with an error or a panic inside the runtime (an allocation the
/// device cannot serve: 64M elements, burn's autodiff keeping every
/// intermediate of a long composition) recorded as `what`'s error.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn guarded(errors: &mut Vec<String>, what: String, f: impl FnOnce() -> Result<Value, String>) -> Option<Value> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            errors.push(format!("{what}: {e}"));
            None
        }
        Err(p) => {
            let msg = p.downcast_ref::<String>().map(String::as_str).or(p.downcast_ref::<&str>().copied()).unwrap_or("no message");
            errors.push(format!("{what}: the runtime panicked (out of device memory?): {msg}"));
            None
        }
    }
}

/// One function of a `--probe` file: its label, F, its inputs (u1..un)
/// and the partials given with it, if any.
#[derive(Clone, Debug)]
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub struct Probe {
    pub label: String,
    pub expr: Expr,
    pub vars: Vec<String>,
    pub partials: Option<Vec<Expr>>,
}

/// The functions of a `--probe` file, read and checked while the arguments
/// are parsed (clap refuses a bad file before anything runs).
#[derive(Clone, Debug)]
pub struct Probes(pub Vec<Probe>);

/// `--probe`'s value parser: the file at `path`, parsed ([`parse_probes`]).
pub fn read_probes(path: &str) -> Result<Probes, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--probe {path}: {e}"))?;
    parse_probes(&text).map(Probes)
}

/// The functions of a `--probe` file (`label<TAB>F[<TAB>∂F/∂u1…]` per line,
/// blank lines skipped); an error names the line and what is wrong there.
pub fn parse_probes(text: &str) -> Result<Vec<Probe>, String> {
    let mut probes: Vec<Probe> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |what: String| format!("--probe line {}: {what}", i + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let (label, f) = match cols.as_slice() {
            [label, f, ..] if !label.trim().is_empty() => (label.trim(), *f),
            _ => return Err(at("expected a label, a tab and F in u1, u2, …".into())),
        };
        if probes.iter().any(|p| p.label == label) {
            return Err(at(format!("the label {label:?} is used twice")));
        }
        let parse = |text: &str| foil_compiler::parse::parse(text).map_err(|e| at(format!("{text:?}: {e}")));
        let expr = parse(f)?;
        let used: Vec<String> = foil_compiler::lang::variables(&expr).iter().map(|s| s.to_string()).collect();
        let n = used.len();
        if n == 0 {
            return Err(at(format!("F = {f:?} has no input; name them u1, u2, …")));
        }
        let vars: Vec<String> = (1..=n).map(|k| format!("u{k}")).collect();
        if let Some(v) = used.iter().find(|v| !vars.contains(v)) {
            return Err(at(format!("F uses {v}; its {n} inputs must be named u1..u{n}")));
        }
        let partials = match &cols[2..] {
            [] => None,
            given if given.len() == n => Some(given.iter().map(|t| parse(t)).collect::<Result<Vec<_>, _>>()?),
            given => return Err(at(format!("{} partials for F's {n} inputs", given.len()))),
        };
        probes.push(Probe { label: label.to_string(), expr, vars, partials });
    }
    if probes.is_empty() {
        return Err("--probe: the file holds no function".into());
    }
    Ok(probes)
}

/// Keeps the kernels labelled as in `wanted` (all when it is empty); a
/// wanted label no kernel has is an error naming the labels there are.
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
fn select_kernels<K>(kernels: &mut Vec<K>, label: impl Fn(&K) -> &String, wanted: &[String]) -> Result<(), String> {
    if wanted.is_empty() {
        return Ok(());
    }
    let unknown: Vec<&String> = wanted.iter().filter(|w| !kernels.iter().any(|k| label(k) == *w)).collect();
    if !unknown.is_empty() {
        let mut known: Vec<&String> = kernels.iter().map(&label).collect();
        known.sort();
        known.dedup();
        return Err(format!("--kernel {unknown:?}: no suite kernel has that label; the labels are {known:?}"));
    }
    kernels.retain(|k| wanted.contains(label(k)));
    Ok(())
}

pub fn run(plan: &Plan) -> Value {
    let goals = |cases: &[Value], sweep: &[Value]| {
        let cases: Vec<&Value> = cases.iter().collect();
        json!([
            goal("kernel_vs_burn_fused", worst(&cases, "vs_burn_fused"), 1.0, true, "worst case over activations and sizes: burn fused time / foil time"),
            goal("kernel_vs_burn_unfused", worst(&cases, "vs_burn_unfused"), 3.0, true, "worst case: burn unfused time / foil time"),
            memcpy_goal("kernel_vs_memcpy", "macro", sweep),
            memcpy_goal("jit_vs_memcpy", "jit", sweep),
            peak_goal(sweep),
        ])
    };
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    {
        let (client, device, name) = match super::gpu::open(plan.device) {
            Ok(d) => d,
            Err(why) => return json!({ "skipped": why, "device": Value::Null, "cases": [], "sweep": [], "goals": goals(&[], &[]) }),
        };
        let mut errors = Vec::new();
        let mut cases = Vec::new();
        let clock = std::time::Instant::now();
        // A probe sweeps its own functions only: no burn comparison.
        let sizes = if plan.probe.is_some() { &[][..] } else { plan.sizes };
        for &n in sizes {
            for label in ["tanh-GA", "sigmoid-GA", "gelu-SA"] {
                cases.extend(guarded(&mut errors, format!("{label} at {n} elements"), || device::case(label, &client, &device, n, plan)));
            }
        }
        let burn_s = clock.elapsed().as_secs_f64();
        let mut kernels = Vec::new();
        match &plan.probe {
            Some(probes) => match device::probe_kernels(&probes.0) {
                Ok(k) => kernels = k,
                Err(e) => errors.push(e),
            },
            None => {
                kernels = device::macro_kernels();
                let listed: Vec<&str> = kernels.iter().map(|k| k.label.as_str()).collect();
                if listed != suite_labels() {
                    errors.push(format!("the bench's macro kernels {listed:?} are not the suite's {:?}", suite_labels()));
                }
                match device::jit_kernels() {
                    Ok(k) => kernels.extend(k),
                    Err(e) => errors.push(format!("the JIT kernels could not be derived: {e}")),
                }
            }
        }
        if let Err(e) = select_kernels(&mut kernels, |k| &k.label, &plan.kernels) {
            errors.push(e);
            kernels.clear();
        }
        let derive_s = clock.elapsed().as_secs_f64() - burn_s;
        let mut sweep = Vec::new();
        for &n in plan.sweep_sizes {
            // One size's shared buffers at a time (2–3 GB at 16M).
            let mut bufs = device::Buffers::new(&client, n);
            for k in &kernels {
                sweep.extend(guarded(&mut errors, format!("{} ({}) at {n} elements", k.label, k.kind), || {
                    device::sweep_case(k, &mut bufs, plan, stated_peak())
                }));
            }
        }
        let kind = match plan.device {
            BenchDevice::Wgpu if name.contains("llvmpipe") => "wgpu on Mesa lavapipe, a CPU Vulkan driver (CPU figures, not GPU figures)",
            BenchDevice::Wgpu => "wgpu",
            BenchDevice::Cuda => "cuda",
        };
        // Where the section's time went (the burn comparison, deriving the
        // run-time kernels, the memcpy sweep), for sizing gpu-check.sh.
        let seconds_by_part = json!({ "burn_cases": burn_s, "jit_derivation": derive_s, "sweep": clock.elapsed().as_secs_f64() - burn_s - derive_s });
        json!({ "device": format!("{kind}: {name} ({device:?})"), "cases": cases, "sweep": sweep, "errors": errors, "seconds_by_part": seconds_by_part, "goals": goals(&cases, &sweep) })
    }
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    {
        let _ = (plan, stated_peak, suite_labels);
        json!({ "skipped": "built without a cubecl runtime (features wgpu or cuda)", "device": Value::Null, "cases": [], "sweep": [], "goals": goals(&[], &[]) })
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_probes, select_kernels};

    fn labels(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(l, k)| (l.to_string(), k.to_string())).collect()
    }

    #[test]
    fn a_probe_file_gives_each_function_its_inputs_and_partials() {
        let probes = parse_probes("plain\tu1*exp(u2)\n\ngiven\tu1 + sin(u1)\t1 + cos(u1)\n").unwrap();
        assert_eq!(probes.iter().map(|p| (p.label.as_str(), p.vars.len())).collect::<Vec<_>>(), [("plain", 2), ("given", 1)]);
        assert!(probes[0].partials.is_none());
        assert_eq!(probes[1].partials.as_ref().map(|p| p[0].to_string()), Some("(+ 1 (cos u1))".to_string()));
    }

    #[test]
    fn a_bad_probe_line_is_named_with_what_is_wrong() {
        for (text, says) in [
            ("a\tu1\nb\tx*x\n", "line 2: F uses x; its 1 inputs must be named u1..u1"),
            ("a\tu1*u3\n", "F uses u3; its 2 inputs must be named u1..u2"),
            ("a\tu1*u2\tu2\n", "line 1: 1 partials for F's 2 inputs"),
            ("a\tu1 +\n", "line 1: \"u1 +\""),
            ("just a label\n", "line 1: expected a label, a tab and F"),
            ("a\tu1\na\tu1\n", "line 2: the label \"a\" is used twice"),
            ("\n\n", "holds no function"),
            ("a\tu1\nconstant\t2*pi\n", "line 2: F = \"2*pi\" has no input"),
        ] {
            let err = parse_probes(text).err().unwrap_or_else(|| panic!("{text:?} was accepted"));
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn kernel_selection_keeps_every_kind_of_a_label_and_names_unknown_ones() {
        let all = labels(&[("tanh GA", "macro"), ("tanh SA", "macro"), ("tanh GA", "jit"), ("tanh SA", "jit"), ("tanh F", "jit")]);
        let mut some = all.clone();
        select_kernels(&mut some, |k| &k.0, &["tanh SA".into()]).unwrap();
        assert_eq!(some, labels(&[("tanh SA", "macro"), ("tanh SA", "jit")]));

        let mut none_wanted = all.clone();
        select_kernels(&mut none_wanted, |k| &k.0, &[]).unwrap();
        assert_eq!(none_wanted, all, "no --kernel: every kernel");

        let mut bad = all.clone();
        let e = select_kernels(&mut bad, |k| &k.0, &["tanh SA".into(), "tanh sa".into()]).unwrap_err();
        assert!(e.contains("\"tanh sa\"") && e.contains("\"tanh F\", \"tanh GA\", \"tanh SA\""), "{e}");
        assert_eq!(bad, all, "an error selects nothing away");
    }
}
