//! Issue 13's experiment: how a `#[cube]` kernel can evaluate ONE of many
//! polynomial pieces per lane on wgpu (cubecl 0.11, WGSL through naga; here
//! Mesa lavapipe), against what foil emitted for a numeric antiderivative
//! when this was written (every piece evaluated, a chain of selects; foil
//! now selects each coefficient and evaluates one polynomial). Synthetic pieces with
//! the shape of gelu_tanh's numeric SA term (76 of degree 15); value only.
//!
//! ```sh
//! cargo run -p foil-runtime --example piece_lookup -- [--n 1048576] [--reps 7]
//!     [--vector-size 1|2|4] [--pieces 76] [--schemes 0,6,11,12,13] [--range 11]
//! ```
//!
//! `--range r` draws the inputs from [-r, r]; scheme 14 (a branch per
//! piece, taken when a lane needs it) is for ranges that leave pieces
//! unused, as `foil bench`'s [-4, 4] does.
//!
//! A debug build is enough (and is what `cargo test --workspace` builds):
//! the timed code is the shader the driver compiles, the host only records
//! launches; `--release` rebuilds cubecl with the dev-dependency features.
//!
//! Every scheme's first launch is checked against the f64 evaluation of the
//! same pieces; then all are timed in alternation with an identity kernel
//! and reported as memcpy time / kernel time. Schemes 1, 2, 3 (function-local
//! arrays of constants) and 7 (shared memory filled by constant stores) are
//! not in the default set: with 76 pieces lavapipe's shader compile did not
//! finish (scheme 1 alone in 300 s, 1 and 2 together in 600 s, 3 in 120 s),
//! or took 43 s and ran at 0.004 × memcpy (7). The measured figures are in
//! bench/README.md (issue 13).

use cubecl::prelude::*;
use foil_runtime::kernels::{Client, Handle, Launch};
use std::time::Instant;

/// Synthetic pieces: `pieces` polynomials of degree `degree` on equal cells
/// of [-10.2, 10.2] (gelu_tanh's numeric term had 76 of degree 15 there
/// when this was measured; mirrored and of degree 19 since, it has 23 on
/// [0, 10.2]),
/// and the scheme that evaluates them (the kernels are specialised on both).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Pieces {
    pieces: usize,
    degree: usize,
    variant: Scheme,
}

/// How the pieces are evaluated (the number is its `--schemes` code).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Scheme {
    /// An identity kernel: the memcpy every ratio is taken against.
    Copy = 9,
    /// What foil emitted until 2026-12-03: every piece evaluated, a chain of
    /// selects (it now selects each coefficient and evaluates one polynomial;
    /// `compiler/src/numeric.rs`).
    SelectChain = 0,
    /// Function-local `Array` filled with the constants; binary search.
    LocalSearch = 1,
    /// The same; the index counted with vector compares.
    LocalCounted = 2,
    /// The local array built before the bounds check (one block).
    LocalOneBlock = 3,
    /// A storage buffer of coefficients; binary search (7 dependent gathers).
    BufferSearch = 4,
    /// Lower bound, NOT a result: the buffer scheme with every lane on piece 0
    /// (uniform loads, wrong values; not checked).
    BufferUniform = 5,
    /// A storage buffer; index counted with vector compares (no gathers).
    BufferCounted = 6,
    /// Workgroup shared memory filled with constant stores by unit 0.
    SharedStores = 7,
    /// Workgroup shared memory copied from the buffer by all units.
    SharedCopy = 8,
    /// Equal cells: index by arithmetic; 4 vec4 gathers of coefficients.
    GridVec4 = 11,
    /// Equal cells: index by arithmetic; 16 scalar gathers.
    GridScalar = 12,
    /// Counted index; 5 vec4 gathers (centre and 1/half, then coefficients):
    /// what adaptive (unequal) pieces would need.
    CountedVec4 = 13,
    /// Every piece in a branch taken when any lane of the invocation is in
    /// its cell (the lanes' min and max, then one select per taken piece).
    BranchSkip = 14,
}

const SCHEMES: [(Scheme, &str); 14] = [
    (Scheme::Copy, "memcpy"),
    (Scheme::SelectChain, "select chain (today)"),
    (Scheme::LocalSearch, "local array, binary search"),
    (Scheme::LocalCounted, "local array, counted index"),
    (Scheme::LocalOneBlock, "local array before the bounds check"),
    (Scheme::BufferSearch, "buffer, binary search, scalar gathers"),
    (Scheme::BufferUniform, "buffer, every lane piece 0 (bound only)"),
    (Scheme::BufferCounted, "buffer, counted index, scalar gathers"),
    (Scheme::SharedStores, "shared memory, constant stores"),
    (Scheme::SharedCopy, "shared memory, copied from buffer"),
    (Scheme::GridVec4, "buffer, grid index, vec4 gathers"),
    (Scheme::GridScalar, "buffer, grid index, scalar gathers"),
    (Scheme::CountedVec4, "buffer, counted index, vec4 gathers"),
    (Scheme::BranchSkip, "branch per piece, taken when a lane is in it"),
];

impl Pieces {
    fn lo(&self) -> f64 {
        -10.2
    }
    fn width(&self) -> f64 {
        20.4 / self.pieces as f64
    }
    fn start(&self, p: usize) -> f64 {
        self.lo() + p as f64 * self.width()
    }
    fn centre(&self, p: usize) -> f64 {
        self.start(p) + 0.5 * self.width()
    }
    fn inv(&self) -> f64 {
        2.0 / self.width()
    }
    /// q_k of piece p: decaying, piece-dependent.
    fn coef(&self, p: usize, k: usize) -> f64 {
        let s = ((p * 31 + k * 7) % 13) as f64 / 13.0 - 0.5;
        (1.0 + s) * 0.5f64.powi(k as i32) * if k % 2 == 0 { 1.0 } else { -0.7 }
    }
    fn levels(&self) -> u32 {
        (self.pieces as u32).next_power_of_two().trailing_zeros()
    }
}

/// Constants for a kernel-compile-time table.
#[derive(Clone, Debug)]
pub struct Vals(Vec<f32>);

type Reg<F, N> = <Vector<F, N> as CubeType>::ExpandType;

#[cube]
fn put<F: Float>(a: &mut Array<F>, #[comptime] i: usize, #[comptime] v: f32) {
    a[i] = F::new(v);
}

/// A function-local array holding `vals`: cubecl 0.11 has no constant
/// arrays, so this is a zero-initialised local written entry by entry, in
/// every invocation.
#[cube]
fn table<F: Float>(#[comptime] vals: Vals) -> Array<F> {
    intrinsic!(|scope| {
        let mut a = Array::<F>::__expand_new(scope, vals.0.len());
        for (i, v) in vals.0.iter().enumerate() {
            put::expand::<F>(scope, &mut a, i, *v);
        }
        a
    })
}

#[cube]
fn splat<F: Float, N: Size>(#[comptime] v: f32) -> Vector<F, N> {
    Vector::<F, N>::new(F::new(v))
}

#[cube]
fn horner_step<F: Float, N: Size>(acc: Vector<F, N>, t: Vector<F, N>, #[comptime] q: f32) -> Vector<F, N> {
    acc * t + Vector::<F, N>::new(F::new(q))
}

#[cube]
fn local_t<F: Float, N: Size>(x: Vector<F, N>, #[comptime] c: f32, #[comptime] inv: f32) -> Vector<F, N> {
    (x - Vector::<F, N>::new(F::new(c))) * Vector::<F, N>::new(F::new(inv))
}

#[cube]
fn pick<F: Float, N: Size>(x: Vector<F, N>, #[comptime] s: f32, below: Vector<F, N>, above: Vector<F, N>) -> Vector<F, N> {
    select_many(x.less_than(&Vector::<F, N>::new(F::new(s))), below, above)
}

#[cube]
fn count_step<F: Float, N: Size>(x: Vector<F, N>, #[comptime] s: f32, acc: Vector<F, N>) -> Vector<F, N> {
    acc + select_many(x.greater_equal(&Vector::<F, N>::new(F::new(s))), Vector::<F, N>::new(F::new(1.0)), Vector::<F, N>::zero())
}

fn expand_select<F: Float, N: Size>(scope: &Scope, x: Reg<F, N>, t: &Pieces) -> Reg<F, N> {
    let mut res: Option<Reg<F, N>> = None;
    for p in 0..t.pieces {
        let tt = local_t::expand::<F, N>(scope, x.clone(), t.centre(p) as f32, t.inv() as f32);
        let acc = piece_poly::expand::<F, N>(scope, tt, t.clone(), p);
        res = Some(match res {
            None => acc,
            Some(r) => pick::expand::<F, N>(scope, x.clone(), t.start(p) as f32, r, acc),
        });
    }
    res.unwrap()
}

/// Piece p, evaluated only when a lane of this invocation lies in its cell.
#[cube]
fn piece_branch<F: Float, N: Size>(
    x: Vector<F, N>,
    lanes_min: F,
    lanes_max: F,
    acc: Vector<F, N>,
    #[comptime] t: Pieces,
    #[comptime] p: usize,
) -> Vector<F, N> {
    let mut out = acc;
    let s = comptime!(if p == 0 { -f32::MAX } else { t.start(p) as f32 });
    let e = comptime!(if p + 1 == t.pieces { f32::MAX } else { t.start(p + 1) as f32 });
    if lanes_max >= F::new(s) && lanes_min < F::new(e) {
        let tt = local_t::<F, N>(x, comptime!(t.centre(p) as f32), comptime!(t.inv() as f32));
        let v = piece_poly::<F, N>(tt, t, p);
        out = select_many(x.greater_equal(&Vector::<F, N>::new(F::new(s))), v, acc);
    }
    out
}

/// Piece p's polynomial in its local t, Horner form.
#[cube]
fn piece_poly<F: Float, N: Size>(tt: Vector<F, N>, #[comptime] t: Pieces, #[comptime] p: usize) -> Vector<F, N> {
    intrinsic!(|scope| {
        let mut acc = splat::expand::<F, N>(scope, t.coef(p, t.degree) as f32);
        for k in (0..t.degree).rev() {
            acc = horner_step::expand::<F, N>(scope, acc, tt.clone(), t.coef(p, k) as f32);
        }
        acc
    })
}

fn expand_branch<F: Float, N: Size>(
    scope: &Scope,
    x: Reg<F, N>,
    lanes_min: <F as CubeType>::ExpandType,
    lanes_max: <F as CubeType>::ExpandType,
    t: &Pieces,
) -> Reg<F, N> {
    let mut acc = splat::expand::<F, N>(scope, 0.0);
    for p in 0..t.pieces {
        acc = piece_branch::expand::<F, N>(scope, x.clone(), lanes_min.clone(), lanes_max.clone(), acc, t.clone(), p);
    }
    acc
}

#[cube]
fn branch_eval<F: Float, N: Size>(x: Vector<F, N>, #[comptime] t: Pieces) -> Vector<F, N> {
    let mut lanes_min = x.extract_dynamic(0usize);
    let mut lanes_max = lanes_min;
    #[unroll]
    for l in 1..x.vector_size() {
        let v = x.extract_dynamic(l);
        lanes_min = min(lanes_min, v);
        lanes_max = max(lanes_max, v);
    }
    intrinsic!(|scope| expand_branch::<F, N>(scope, x, lanes_min, lanes_max, &t))
}

fn expand_count<F: Float, N: Size>(scope: &Scope, x: Reg<F, N>, t: &Pieces) -> Reg<F, N> {
    let mut acc = splat::expand::<F, N>(scope, 0.0);
    for p in 1..t.pieces {
        acc = count_step::expand::<F, N>(scope, x.clone(), t.start(p) as f32, acc);
    }
    acc
}

#[cube]
fn select_eval<F: Float, N: Size>(x: Vector<F, N>, #[comptime] t: Pieces) -> Vector<F, N> {
    intrinsic!(|scope| expand_select::<F, N>(scope, x, &t))
}

#[cube]
fn count_index<F: Float, N: Size>(x: Vector<F, N>, #[comptime] t: Pieces) -> Vector<F, N> {
    intrinsic!(|scope| expand_count::<F, N>(scope, x, &t))
}

#[cube]
fn table_eval<F: Float, N: Size>(x: Vector<F, N>, #[comptime] t: Pieces) -> Vector<F, N> {
    let d = comptime!(t.degree);
    let size = comptime!(1usize << t.levels());
    // Padded to a power of two for the search; ±f32::MAX, not ±inf, which
    // WGSL cannot write as a literal (naga rejects `f32(+Inf)`).
    let starts = table::<F>(comptime!(Vals(
        (0..size)
            .map(|m| if m == 0 {
                -f32::MAX
            } else if m < t.pieces {
                t.start(m) as f32
            } else {
                f32::MAX
            })
            .collect()
    )));
    let centres = table::<F>(comptime!(Vals((0..t.pieces).map(|p| t.centre(p) as f32).collect())));
    let coefs = table::<F>(comptime!(Vals((0..t.pieces).flat_map(|p| (0..=t.degree).map(move |k| (p, k))).map(|(p, k)| t.coef(p, k) as f32).collect())));
    let inv = F::new(comptime!(t.inv() as f32));
    let counted = if comptime!(t.variant == Scheme::LocalCounted) { count_index::<F, N>(x, t.clone()) } else { Vector::<F, N>::zero() };
    let mut out = x;
    #[unroll]
    for l in 0..x.vector_size() {
        let xi = x.extract_dynamic(l);
        let mut idx = 0usize;
        if comptime!(t.variant == Scheme::LocalCounted) {
            idx = usize::cast_from(counted.extract_dynamic(l));
        } else {
            // `idx +` makes `step` a runtime variable: a comptime one cannot
            // be reassigned in the loop.
            let mut step = idx + comptime!(size / 2);
            #[unroll]
            for _s in 0..comptime!(t.levels()) {
                let m = idx + step;
                idx = select(starts[m] <= xi, m, idx);
                step = step / 2;
            }
        }
        let base = idx * (d + 1);
        let tt = (xi - centres[idx]) * inv;
        let mut acc = coefs[base + d];
        #[unroll]
        for k in 0..d {
            acc = acc * tt + coefs[base + d - 1 - k];
        }
        out.insert_dynamic(l, acc);
    }
    out
}

/// Same, coefficients from a buffer: [starts (size) | centres (pieces) | coefs].
#[cube]
fn table_eval_buf<F: Float, N: Size>(x: Vector<F, N>, tab: &[F], #[comptime] t: Pieces) -> Vector<F, N> {
    let d = comptime!(t.degree);
    let size = comptime!(1usize << t.levels());
    let c0 = comptime!(size);
    let q0 = comptime!(size + t.pieces);
    let inv = F::new(comptime!(t.inv() as f32));
    let counted = if comptime!(t.variant == Scheme::BufferCounted) { count_index::<F, N>(x, t.clone()) } else { Vector::<F, N>::zero() };
    let mut out = x;
    #[unroll]
    for l in 0..x.vector_size() {
        let xi = x.extract_dynamic(l);
        let mut idx = 0usize;
        if comptime!(t.variant == Scheme::BufferCounted) {
            idx = usize::cast_from(counted.extract_dynamic(l));
        } else if comptime!(t.variant == Scheme::BufferSearch) {
            let mut step = idx + comptime!(size / 2);
            #[unroll]
            for _s in 0..comptime!(t.levels()) {
                let m = idx + step;
                idx = select(tab[m] <= xi, m, idx);
                step = step / 2;
            }
        }
        let base = q0 + idx * (d + 1);
        let tt = (xi - tab[c0 + idx]) * inv;
        let mut acc = tab[base + d];
        #[unroll]
        for k in 0..d {
            acc = acc * tt + tab[base + d - 1 - k];
        }
        out.insert_dynamic(l, acc);
    }
    out
}

#[cube]
fn put_shared<F: Float>(a: &mut Shared<[F]>, #[comptime] i: usize, #[comptime] v: f32) {
    a[i] = F::new(v);
}

#[cube]
fn fill_shared<F: Float>(a: &mut Shared<[F]>, #[comptime] vals: Vals) {
    intrinsic!(|scope| {
        for (i, v) in vals.0.iter().enumerate() {
            put_shared::expand::<F>(scope, a, i, *v);
        }
    })
}

#[cube]
fn table_eval_sm<F: Float, N: Size>(x: Vector<F, N>, tab: &Shared<[F]>, #[comptime] t: Pieces) -> Vector<F, N> {
    let d = comptime!(t.degree);
    let size = comptime!(1usize << t.levels());
    let c0 = comptime!(size);
    let q0 = comptime!(size + t.pieces);
    let inv = F::new(comptime!(t.inv() as f32));
    let counted = count_index::<F, N>(x, t.clone());
    let mut out = x;
    #[unroll]
    for l in 0..x.vector_size() {
        let xi = x.extract_dynamic(l);
        let idx = usize::cast_from(counted.extract_dynamic(l));
        let base = q0 + idx * (d + 1);
        let tt = (xi - tab[c0 + idx]) * inv;
        let mut acc = tab[base + d];
        #[unroll]
        for k in 0..d {
            acc = acc * tt + tab[base + d - 1 - k];
        }
        out.insert_dynamic(l, acc);
    }
    out
}

/// Shared-memory table: constant stores by unit 0 (variant 7) or a
/// cooperative copy from the buffer (variant 8), then a barrier.
#[cube(launch_unchecked)]
fn k_eval_sm<F: Float, N: Size>(x: &[Vector<F, N>], tab: &[F], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    let len = comptime!(buf_table(&t).len());
    let mut sm = Shared::<[F]>::new_slice(len);
    if comptime!(t.variant == Scheme::SharedStores) {
        if UNIT_POS == 0 {
            fill_shared::<F>(&mut sm, comptime!(Vals(buf_table(&t))));
        }
    } else {
        #[unroll]
        for j in 0..comptime!(len.div_ceil(256)) {
            let k = j * 256 + UNIT_POS as usize;
            if k < len {
                sm[k] = tab[k];
            }
        }
    }
    sync_cube();
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = table_eval_sm::<F, N>(x[ABSOLUTE_POS], &sm, t);
    }
}

/// Horner in `tt` over the 16 coefficients (lowest first) of the 4 vec4 at
/// `base`: 4 gathers instead of 16.
#[cube]
fn horner_vec4<F: Float>(tab4: &[Vector<F, Const<4>>], base: usize, tt: F) -> F {
    let top = tab4[base + 3];
    let mut acc = top.extract(3usize);
    acc = acc * tt + top.extract(2usize);
    acc = acc * tt + top.extract(1usize);
    acc = acc * tt + top.extract(0usize);
    #[unroll]
    for j in 1..4usize {
        let c = tab4[base + 3 - j];
        acc = acc * tt + c.extract(3usize);
        acc = acc * tt + c.extract(2usize);
        acc = acc * tt + c.extract(1usize);
        acc = acc * tt + c.extract(0usize);
    }
    acc
}

/// Uniform grid: arithmetic index, no search, no centre lookup; variant 11
/// reads 4 coefficients per gather (vec4 table), variant 12 one.
#[cube]
fn grid_eval<F: Float, N: Size>(x: Vector<F, N>, tab: &[F], tab4: &[Vector<F, Const<4>>], #[comptime] t: Pieces) -> Vector<F, N> {
    let d = comptime!(t.degree);
    let lo = Vector::<F, N>::new(F::new(comptime!(t.lo() as f32)));
    let invw = Vector::<F, N>::new(F::new(comptime!((1.0 / t.width()) as f32)));
    let s = (x - lo) * invw;
    let fi = clamp(s.floor(), Vector::<F, N>::zero(), Vector::<F, N>::new(F::new(comptime!((t.pieces - 1) as f32))));
    let tv = (s - fi) * Vector::<F, N>::new(F::new(2.0)) - Vector::<F, N>::new(F::new(1.0));
    let mut out = x;
    #[unroll]
    for l in 0..x.vector_size() {
        let idx = usize::cast_from(fi.extract_dynamic(l));
        let tt = tv.extract_dynamic(l);
        if comptime!(t.variant == Scheme::GridVec4) {
            out.insert_dynamic(l, horner_vec4::<F>(tab4, idx * 4, tt));
        } else {
            let base = idx * 16;
            let mut acc = tab[base + d];
            #[unroll]
            for k in 0..d {
                acc = acc * tt + tab[base + d - 1 - k];
            }
            out.insert_dynamic(l, acc);
        }
    }
    out
}

/// Adaptive pieces: counted index (no gathers), then 5 vec4 gathers per
/// lane: [centre, 1/half, 0, 0] and the 16 coefficients.
#[cube]
fn counted_vec4_eval<F: Float, N: Size>(x: Vector<F, N>, tab5: &[Vector<F, Const<4>>], #[comptime] t: Pieces) -> Vector<F, N> {
    let counted = count_index::<F, N>(x, t.clone());
    let mut out = x;
    #[unroll]
    for l in 0..x.vector_size() {
        let idx = usize::cast_from(counted.extract_dynamic(l));
        let xi = x.extract_dynamic(l);
        let base = idx * 5;
        let ci = tab5[base];
        let tt = (xi - ci.extract(0usize)) * ci.extract(1usize);
        out.insert_dynamic(l, horner_vec4::<F>(tab5, base + 1, tt));
    }
    out
}

#[cube(launch_unchecked)]
fn k_eval_counted4<F: Float, N: Size>(x: &[Vector<F, N>], tab5: &[Vector<F, Const<4>>], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = counted_vec4_eval::<F, N>(x[ABSOLUTE_POS], tab5, t);
    }
}

#[cube(launch_unchecked)]
fn k_eval_grid<F: Float, N: Size>(x: &[Vector<F, N>], tab: &[F], tab4: &[Vector<F, Const<4>>], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = grid_eval::<F, N>(x[ABSOLUTE_POS], tab, tab4, t);
    }
}

/// Table built before the bounds check (one block, for nir_opt_large_constants).
#[cube(launch_unchecked)]
fn k_eval_flat<F: Float, N: Size>(x: &[Vector<F, N>], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    let i = select(ABSOLUTE_POS < x.len(), ABSOLUTE_POS, 0);
    let r = table_eval::<F, N>(x[i], t);
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = r;
    }
}

#[cube(launch_unchecked)]
fn k_eval_buf<F: Float, N: Size>(x: &[Vector<F, N>], tab: &[F], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    if ABSOLUTE_POS < x.len() {
        y[ABSOLUTE_POS] = table_eval_buf::<F, N>(x[ABSOLUTE_POS], tab, t);
    }
}

#[cube(launch_unchecked)]
fn k_eval<F: Float, N: Size>(x: &[Vector<F, N>], y: &mut [Vector<F, N>], #[comptime] t: Pieces) {
    if ABSOLUTE_POS < x.len() {
        let v = x[ABSOLUTE_POS];
        if comptime!(t.variant == Scheme::SelectChain) {
            y[ABSOLUTE_POS] = select_eval::<F, N>(v, t);
        } else if comptime!(t.variant == Scheme::BranchSkip) {
            y[ABSOLUTE_POS] = branch_eval::<F, N>(v, t);
        } else if comptime!(t.variant == Scheme::Copy) {
            y[ABSOLUTE_POS] = v;
        } else {
            y[ABSOLUTE_POS] = table_eval::<F, N>(v, t);
        }
    }
}

fn host_eval(t: &Pieces, x: f64) -> f64 {
    let mut p = 0;
    for m in 1..t.pieces {
        if t.start(m) as f32 as f64 <= x {
            p = m;
        }
    }
    let tt = (x - t.centre(p)) * t.inv();
    let mut acc = t.coef(p, t.degree);
    for k in (0..t.degree).rev() {
        acc = acc * tt + t.coef(p, k);
    }
    acc
}

fn buf_table(t: &Pieces) -> Vec<f32> {
    let size = 1usize << t.levels();
    let mut v: Vec<f32> = (0..size)
        .map(|m| {
            if m == 0 {
                -f32::MAX
            } else if m < t.pieces {
                t.start(m) as f32
            } else {
                f32::MAX
            }
        })
        .collect();
    v.extend((0..t.pieces).map(|p| t.centre(p) as f32));
    for p in 0..t.pieces {
        v.extend((0..=t.degree).map(|k| t.coef(p, k) as f32));
    }
    v
}

/// The three table layouts of the buffer schemes.
struct Tables {
    search: Handle,
    grid: Handle,
    counted4: Handle,
}

#[allow(clippy::too_many_arguments)]
fn run(client: &Client, launch: Launch, xh: &Handle, yh: &Handle, t: &Pieces, tables: &Tables) {
    let (tab, tab16, tab20) = (&tables.search, &tables.grid, &tables.counted4);
    let (count, dim) = launch.geometry(client);
    let tlen = buf_table(t).len();
    unsafe {
        match t.variant {
            Scheme::LocalOneBlock => k_eval_flat::launch_unchecked::<f32>(
                client,
                count,
                dim,
                launch.vector_size,
                launch.arg(xh),
                launch.arg(yh),
                Pieces { variant: Scheme::LocalSearch, ..t.clone() },
            ),
            Scheme::GridVec4 | Scheme::GridScalar => k_eval_grid::launch_unchecked::<f32>(
                client,
                count,
                dim,
                launch.vector_size,
                launch.arg(xh),
                BufferArg::from_raw_parts(tab16.clone(), t.pieces * 16),
                BufferArg::from_raw_parts(tab16.clone(), t.pieces * 4),
                launch.arg(yh),
                t.clone(),
            ),
            Scheme::CountedVec4 => k_eval_counted4::launch_unchecked::<f32>(
                client,
                count,
                dim,
                launch.vector_size,
                launch.arg(xh),
                BufferArg::from_raw_parts(tab20.clone(), t.pieces * 5),
                launch.arg(yh),
                t.clone(),
            ),
            Scheme::SharedStores | Scheme::SharedCopy => k_eval_sm::launch_unchecked::<f32>(
                client,
                count,
                dim,
                launch.vector_size,
                launch.arg(xh),
                BufferArg::from_raw_parts(tab.clone(), tlen),
                launch.arg(yh),
                t.clone(),
            ),
            Scheme::BufferSearch | Scheme::BufferUniform | Scheme::BufferCounted => k_eval_buf::launch_unchecked::<f32>(
                client,
                count,
                dim,
                launch.vector_size,
                launch.arg(xh),
                BufferArg::from_raw_parts(tab.clone(), tlen),
                launch.arg(yh),
                t.clone(),
            ),
            _ => k_eval::launch_unchecked::<f32>(client, count, dim, launch.vector_size, launch.arg(xh), launch.arg(yh), t.clone()),
        }
    };
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(|v| v.parse().ok().expect(name)).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--n", 1 << 20);
    let reps: usize = arg(&args, "--reps", 7);
    let pieces: usize = arg(&args, "--pieces", 76);
    let schemes: String = arg(
        &args,
        "--schemes",
        [Scheme::SelectChain, Scheme::BufferCounted, Scheme::GridVec4, Scheme::GridScalar, Scheme::CountedVec4].map(|s| (s as u32).to_string()).join(","),
    );
    let client = foil_runtime::launch::default_client().expect("no cubecl device");
    let sync = |c: &Client| cubecl::future::block_on(c.sync()).expect("device sync");
    let launch = match args.iter().position(|a| a == "--vector-size") {
        Some(_) => Launch::new(n, arg(&args, "--vector-size", 4)).expect("vector size"),
        None => Launch::for_client(&client, n),
    };
    // The memcpy first: every ratio is against it, timed in alternation.
    let mut pick: Vec<u32> = vec![Scheme::Copy as u32];
    pick.extend(schemes.split(',').map(|v| v.trim().parse::<u32>().expect("--schemes: numbers")).filter(|v| *v != Scheme::Copy as u32));
    let chosen: Vec<(Pieces, &str)> = pick
        .iter()
        .map(|&v| {
            let &(variant, name) = SCHEMES.iter().find(|s| s.0 as u32 == v).expect("unknown scheme");
            (Pieces { pieces, degree: 15, variant }, name)
        })
        .collect();
    // Inputs uniform on [-r, r]: 11 covers every piece and the tails; foil
    // bench feeds [-4, 4].
    let r: f64 = arg(&args, "--range", 11.0);
    let mut seed = 12345u64;
    let x: Vec<f32> = (0..n)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f64 / (1u64 << 24) as f64 * 2.0 * r - r) as f32
        })
        .collect();
    println!("n = {n}, vector size {}, {pieces} pieces of degree 15, inputs uniform on [-{r}, {r}]", launch.vector_size);
    let xh = foil_runtime::launch::upload(&client, &x);
    let t0 = &chosen[0].0;
    let grid: Vec<f32> = (0..pieces).flat_map(|p| (0..16).map(move |k| if k <= t0.degree { t0.coef(p, k) as f32 } else { 0.0 })).collect();
    let five: Vec<f32> = (0..pieces)
        .flat_map(|p| {
            [t0.centre(p) as f32, t0.inv() as f32, 0.0, 0.0].into_iter().chain((0..16).map(move |k| if k <= t0.degree { t0.coef(p, k) as f32 } else { 0.0 }))
        })
        .collect();
    let tables = Tables {
        search: foil_runtime::launch::upload(&client, &buf_table(t0)),
        grid: foil_runtime::launch::upload(&client, &grid),
        counted4: foil_runtime::launch::upload(&client, &five),
    };
    // First launch (kernel compile included), checked against the f64 host
    // evaluation of the same pieces: a scheme that is fast but wrong (or a
    // launch lavapipe skipped) stops here.
    for (t, name) in &chosen {
        let yh = foil_runtime::launch::empty(&client, n);
        let c0 = Instant::now();
        run(&client, launch, &xh, &yh, t, &tables);
        sync(&client);
        let first = c0.elapsed();
        let y = foil_runtime::launch::read(&client, yh, n).expect("read back");
        let worst = (0..n)
            .step_by(97)
            .map(|i| {
                let want = if t.variant == Scheme::Copy { x[i] as f64 } else { host_eval(t, x[i] as f64) };
                (y[i] as f64 - want).abs() / want.abs().max(1.0)
            })
            .fold(0.0, f64::max);
        println!("{name}: first launch (compile + run) {:.2} s, max relative error vs f64 {worst:.1e}", first.as_secs_f64());
        // f32 rounding of t = (x - c)/half; the grid schemes form t from the
        // cell's arithmetic position (lo and the width are not dyadic here).
        let tolerance = if matches!(t.variant, Scheme::GridVec4 | Scheme::GridScalar) { 1e-3 } else { 1e-4 };
        assert!(t.variant == Scheme::BufferUniform || worst < tolerance, "{name}: error {worst:e}");
    }
    let yh = foil_runtime::launch::empty(&client, n);
    let mut times = vec![Vec::new(); chosen.len()];
    for _ in 0..reps {
        for (i, (t, _)) in chosen.iter().enumerate() {
            let c0 = Instant::now();
            run(&client, launch, &xh, &yh, t, &tables);
            sync(&client);
            times[i].push(c0.elapsed().as_secs_f64());
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|v| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        })
        .collect();
    for ((_, name), m) in chosen.iter().zip(&medians) {
        println!("{name}: median {:.2} ms, memcpy / kernel = {:.3}", m * 1e3, medians[0] / m);
    }
}
