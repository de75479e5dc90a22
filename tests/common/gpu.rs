//! What the GPU tests (kernels.rs, jit.rs) share: the device probe with its
//! loud SKIP, the point sets, the f64 reference (`foil_compiler::eval` on the
//! IR, independent of any kernel) and the error metric.

use egg::Symbol;
use foil::kernels::Client;
use foil_compiler::eval::eval_n;
use foil_compiler::lang::Expr;

/// Points per element-wise check.
pub const POINTS: usize = 1 << 20;
/// Pass bound of the metric |got - want| / max(|want|, 1).
pub const TOL: f64 = 1e-5;
/// The bound for split functions at independent inputs (issue 14): their
/// exponents are sums of inputs, each rounding carrying up to |u|·2^-24.
pub const SPLIT_TOL: f64 = 2e-5;
/// Points per function and range at independent inputs.
pub const SPLIT_POINTS: usize = 1 << 18;

/// `terms` columns of independent points in [-r, r], distinct per column.
pub fn box_points(terms: usize, n: usize, r: f64, seed: u64) -> Vec<Vec<f32>> {
    (0..terms).map(|i| foil_compiler::eval::scattered(n, seed + i as u64, -r, r)).collect()
}

/// Mish's SA, `u1·N/D`, N = 1 - e^-u2 - 1/(1 - e^-u3), D = 1 + 1/(1 - e^-u5)
/// - e^-u4, is singular on surfaces inside the box (D = 0: poles, N = 0:
/// zeros); near them N or D cancels to a small fraction of its terms, and any
/// f32 evaluation carries the terms' rounding times that ratio (on the
/// device, whose expm1 is good to a few 1e-7, 65-fold gave 2.7e-5). Points
/// where the ratio exceeds 20 are left out (the lowering's own test,
/// compiler/tests/lowering.rs, says more), and those of [`subnormal_exponential`].
pub fn mish_sa_ill_conditioned(u: &[f64]) -> bool {
    let ratio = |t: &[f64]| t.iter().map(|v| v.abs()).sum::<f64>() / t.iter().sum::<f64>().abs();
    let (n, d) = ([1.0 / (1.0 - u[2].exp()), -(-u[1]).exp()], [1.0, 1.0 / (1.0 - (-u[4]).exp()), -(-u[3]).exp()]);
    !(ratio(&n) <= 20.0 && ratio(&d) <= 20.0) || subnormal_exponential(u)
}

/// An input with |u| > 80, where e^-|u| (< 1.8e-35) and its products with
/// moderate factors reach f32's subnormal range (below 1.2e-38): the device
/// (lavapipe) flushes subnormals to 0, and mish's SA and F multiply such a
/// factor by a large one (e^-87.9·e^85.5 in ∂F/∂u4), so the device gives 0
/// where the scalar Rust keeps the subnormal (measured: error 1.0 and 0.43).
pub fn subnormal_exponential(u: &[f64]) -> bool {
    u.iter().any(|v| v.abs() > 80.0)
}

/// gelu_tanh's SA is 0.5·u1·(1 + a(u2)), with a the numeric GA of the term
/// tanh(√(2/π)(u + 0.044715u³)). Beyond the range foil states for a (where
/// a' = 1/t' leaves f32, |u2| ≈ 10.22) the derivation says the kernels give
/// ±inf for a; a small u1 can bring the true product back into f32
/// (measured: 2.6e35 at u1 = -5.7e-4), which no evaluation that forms a(u2)
/// first can return. Points beyond the stated range are left out.
pub fn gelu_tanh_term_beyond_range(u: &[f64]) -> bool {
    static RANGE: std::sync::OnceLock<(f64, f64)> = std::sync::OnceLock::new();
    let (lo, hi) = *RANGE.get_or_init(|| {
        let f = foil_compiler::parse::parse("gelu_tanh(x)").unwrap();
        let opts = foil_compiler::ga::GaOptions { limits: foil_codegen::items::macro_limits(), ..Default::default() };
        let sa =
            foil_compiler::hdfgd::derive_split_adversarial(&f, foil_compiler::hdfgd::Granularity::Elementary, foil_compiler::hdfgd::TermConstant::Plain, &opts)
                .unwrap();
        let n = sa.terms[1].numeric.as_ref().expect("gelu_tanh's tanh term has a numeric GA");
        (n.lo, n.hi)
    });
    !(u[1] >= lo && u[1] <= hi)
}

pub fn client() -> Option<Client> {
    match foil::runtime::default_client() {
        Ok(c) => Some(c),
        Err(e) if std::env::var("FOIL_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("FOIL_REQUIRE_GPU=1 but no adapter: {e}")
        }
        Err(e) => {
            eprintln!("SKIP: no wgpu adapter ({e})");
            None
        }
    }
}

/// (u1, u2) columns: every a of `u1s` against every b of `u2s`, in all four
/// signs ((a, b), (-a, b), (a, -b), (-a, -b)).
pub fn signed_pairs(u1s: &[f32], u2s: impl Iterator<Item = f32> + Clone) -> (Vec<f32>, Vec<f32>) {
    let (mut u1, mut u2) = (Vec::new(), Vec::new());
    for &a in u1s {
        for b in u2s.clone() {
            for (p, q) in [(a, b), (-a, b), (a, -b), (-a, -b)] {
                u1.push(p);
                u2.push(q);
            }
        }
    }
    (u1, u2)
}

/// `n` points evenly over [-30, 30] (the grid includes 0 when n is odd; it is not).
pub fn grid(n: usize) -> Vec<f32> {
    (0..n).map(|i| (-30.0 + 60.0 * i as f64 / (n - 1) as f64) as f32).collect()
}

/// Deterministic pseudo-random points in [-30, 30] (xorshift).
pub fn scattered(n: usize, seed: u64) -> Vec<f32> {
    foil_compiler::eval::scattered(n, seed, -30.0, 30.0)
}

pub fn parse(src: &str) -> Expr {
    foil_compiler::parse::parse(src).unwrap_or_else(|e| panic!("reference does not parse: {src}: {e:?}"))
}

/// Worst errors of one output against its f64 reference.
#[derive(Clone, Default, Debug)]
pub struct Errors {
    /// max |got - want| / |want| (over finite, nonzero references).
    pub rel: f64,
    pub rel_at: f64,
    /// max |got - want| / max(|want|, 1): the pass criterion.
    pub mixed: f64,
    pub mixed_at: f64,
    /// The whole point of the worst mixed error, for several inputs.
    pub mixed_point: Vec<f32>,
    /// Problems that fail outright: NaN where the reference is a number,
    /// ±inf where the true value is below f32::MAX/1000.
    pub bad: Vec<String>,
    /// ±inf where the true value is finite but within a factor 1000 of
    /// f32::MAX (an intermediate product overflowed first): counted, reported.
    pub early_overflow: usize,
    /// The smallest |true value| among those: how far below f32::MAX the
    /// earliest overflow was.
    pub early_overflow_least: f64,
}

impl Errors {
    pub fn add(&mut self, x: f64, got: f32, want: f64) {
        let got = got as f64;
        if want.is_nan() {
            return; // outside the domain (e.g. a pole hit exactly)
        }
        if got.is_nan() {
            self.bad.push(format!("NaN at {x} (want {want:e})"));
            return;
        }
        let max = f32::MAX as f64;
        if got.is_infinite() || want.abs() > max {
            let ok = (want.abs() > max * (1.0 - 1e-5)) && (got.is_infinite() || got.abs() > max * (1.0 - 1e-5)) && got.signum() == want.signum();
            if ok {
            } else if got.is_infinite() && want.abs() > max / 1000.0 && got.signum() == want.signum() {
                if self.early_overflow == 0 || want.abs() < self.early_overflow_least {
                    self.early_overflow_least = want.abs();
                }
                self.early_overflow += 1;
            } else {
                self.bad.push(format!("{got:e} at {x} (want {want:e})"));
            }
            return;
        }
        let err = (got - want).abs();
        if want != 0.0 && err / want.abs() > self.rel {
            self.rel = err / want.abs();
            self.rel_at = x;
        }
        let mixed = err / want.abs().max(1.0);
        if mixed > self.mixed {
            self.mixed = mixed;
            self.mixed_at = x;
        }
    }

    /// [`Self::add`] at a point of several inputs (the worst is reported whole).
    pub fn add_point(&mut self, u: &[f32], got: f32, want: f64) {
        let before = self.mixed;
        self.add(u[0] as f64, got, want);
        if self.mixed > before {
            self.mixed_point = u.to_vec();
        }
    }

    pub fn line(&self, what: &str) -> String {
        let at = if self.mixed_point.is_empty() { format!("x={:.4}", self.mixed_at) } else { format!("u={:?}", self.mixed_point) };
        let early = if self.early_overflow == 0 {
            String::new()
        } else {
            format!(" (true values down to f32::MAX/{:.2})", f32::MAX as f64 / self.early_overflow_least)
        };
        format!(
            "{what:<28} rel {:.2e} (x={:.4})  mixed {:.2e} ({at})  bad {}  early overflow {}{early}",
            self.rel,
            self.rel_at,
            self.mixed,
            self.bad.len(),
            self.early_overflow
        )
    }

    pub fn passed(&self) -> bool {
        self.passed_with(TOL)
    }

    pub fn passed_with(&self, tol: f64) -> bool {
        self.mixed <= tol && self.bad.is_empty()
    }
}

/// How far apart the results of two launches at different vector widths
/// may be, on the mixed scale |a − b| / max(|a|, |b|, 1).
pub const WIDTH_TOL: f64 = 1e-6;

/// Two vector widths' results agree: the same bits, both NaN, or within
/// [`WIDTH_TOL`]. Vulkan lets a driver contract a·b + c into one FMA in one
/// width and not in the other (NVIDIA's did: bent_identity's GA differed
/// between widths 4 and 1 on an H200, 2026-12-04), so equal bits are only
/// what a driver that never contracts (lavapipe) gives. A lane mix-up moves
/// values far more than that on the test grids.
pub fn widths_agree(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(&p, &q)| {
            p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()) || ((p as f64 - q as f64).abs() <= WIDTH_TOL * (p.abs().max(q.abs()) as f64).max(1.0))
        })
}

/// A device result agrees with the scalar (host) function's: both NaN, equal,
/// or within [`TOL`] on the mixed scale |dev − host| / max(|host|, 1). The
/// edge-input tests compare kernel against scalar this way.
pub fn agrees_with_scalar(dev: f32, host: f32) -> bool {
    (dev.is_nan() && host.is_nan()) || dev == host || ((dev as f64 - host as f64).abs() <= TOL * (host.abs() as f64).max(1.0))
}

/// `x` as a device that flushes subnormal inputs to zero reads it (Vulkan
/// lets it: NVIDIA's driver does): a subnormal is ±0 with its sign.
pub fn flushed(x: f32) -> f32 {
    if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// The input a device evidently read for `x`, and the scalar function's
/// result there (`at`): `x` itself, unless `x` is subnormal and the device's
/// result does not agree with `at(x)` (`agrees`); then ±0, as a device that
/// flushes subnormal inputs reads it. The edge-input tests hold a device to
/// the scalar Rust this way.
pub fn as_the_device_read<T>(x: f32, at: impl Fn(f32) -> T, agrees: impl Fn(&T) -> bool) -> (f32, T) {
    let here = at(x);
    if x.is_subnormal() && !agrees(&here) {
        (flushed(x), at(flushed(x)))
    } else {
        (x, here)
    }
}

/// Evaluate `e` over `points` (one slice per variable) on both cores.
pub fn reference(e: &Expr, names: &[Symbol], points: &[&[f32]]) -> Vec<f64> {
    let n = points[0].len();
    let half = n / 2;
    let eval_range = |lo: usize, hi: usize| -> Vec<f64> {
        let mut vals = vec![0.0; names.len()];
        (lo..hi)
            .map(|i| {
                for (v, p) in vals.iter_mut().zip(points) {
                    *v = p[i] as f64;
                }
                eval_n(e, names, &vals)
            })
            .collect()
    };
    std::thread::scope(|s| {
        let h = s.spawn(|| eval_range(0, half));
        let mut hi = eval_range(half, n);
        let mut lo = h.join().unwrap();
        lo.append(&mut hi);
        lo
    })
}
