//! Kernels generated at RUN time from foil IR: one forward and one fused
//! backward `#[cube]` kernel, specialised at kernel-compile time on a
//! [`Program`] (the instruction list is a `#[comptime]` argument, which the
//! kernel unrolls into straight-line code). cubecl compiles one kernel per
//! distinct program (and vector size) and caches it.
//!
//! Every instruction maps to the same cube math as the macro-emitted kernels
//! (`foil_codegen::expression`): operators on `Vector<f32, N>`, `select_many` for
//! `where`, and the helpers of [`math`] for `log1p`, `expm1`, `tanh`,
//! `sinh`, `cosh`, `asinh`, `erf`, `erfi`, `sign`, `sin`, `cos`, and a
//! division whose divisor may pass 2¹²⁶. The program itself is
//! compiled from the emitters' safe-form lowering ([`Program::compile`]).
//!
//! # Layout contract (the one place it is written down)
//!
//! A kernel F has n inputs (n = 1: a plain element-wise activation). They are
//! packed along one axis of ONE tensor: with the input `x` viewed as
//! `[outer, n·c, inner]` (row-major, contiguous), input i is the block
//! `x[:, i·c..(i+1)·c, :]`, i.e. element `(o, q)` of input i (q < c·inner) is at
//! `x[(o·n + i)·c·inner + q]`.
//! - forward: `y[o·c·inner + q] = F(u_1..u_n)` (`y` is `[outer, c, inner]`);
//! - backward: `grad_x` has the layout of `x`, and its input-i block holds
//!   `grad_out · ∂F/∂u_i` (`grad_out` has the layout of `y`), all n partials in
//!   one pass over shared subexpressions.
//!
//! Buffers are f32 and hold at least that many values ([`PackedLayout`]
//! checks them before every launch). Loads are `Vector<f32, N>` with N ∈ {1, 2, 4}
//! dividing `c·inner`, so a vector never straddles two input blocks.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use cubecl::prelude::*;
use foil_compiler::lang::{Cmp, Expr, Func};
use foil_runtime::kernels::{math, Client, Handle, Launch};
use foil_runtime::RuntimeError;

use crate::program::{CompileError, Op, Program};

/// A [`Program`] as a kernel's `#[comptime]` argument: cheap to clone (shared)
/// and to hash (a fingerprint computed once), compared in full only when two
/// fingerprints collide.
#[derive(Clone)]
pub struct JitProgram {
    program: Arc<Program>,
    fingerprint: u64,
}

impl JitProgram {
    pub fn new(program: Program) -> Self {
        let fingerprint = program.fingerprint();
        JitProgram { program: Arc::new(program), fingerprint }
    }

    pub fn program(&self) -> &Program {
        &self.program
    }
}

impl Hash for JitProgram {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.fingerprint.hash(state);
    }
}

impl PartialEq for JitProgram {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.program, &other.program) || (self.fingerprint == other.fingerprint && self.program.same_as(&other.program))
    }
}

impl Eq for JitProgram {}

impl fmt::Debug for JitProgram {
    // Short: cubecl prints kernel ids in logs and errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JitProgram({} inputs, {} outputs, {} instructions, {:016x})",
            self.program.arity(),
            self.program.outputs(),
            self.program.len(),
            self.fingerprint
        )
    }
}

// ---------------------------------------------------------------------------
// Primitive operations, one `#[cube]` function each, so that the program
// interpreter below emits them through cubecl's own expansion.

/// `v` in every lane (cubecl constants are f32, as in the macro kernels).
#[cube]
fn constant<F: Float, N: Size>(#[comptime] v: f32) -> Vector<F, N> {
    Vector::<F, N>::new(F::new(v))
}

#[cube]
fn add<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    a + b
}

#[cube]
fn sub<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    a - b
}

#[cube]
fn mul<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    a * b
}

#[cube]
fn div<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    a / b
}

#[cube]
fn neg<F: Float, N: Size>(a: Vector<F, N>) -> Vector<F, N> {
    -a
}

#[cube]
fn powf<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    a.powf(b)
}

#[cube]
fn exp<F: Float, N: Size>(a: Vector<F, N>) -> Vector<F, N> {
    a.exp()
}

#[cube]
fn ln<F: Float, N: Size>(a: Vector<F, N>) -> Vector<F, N> {
    a.ln()
}

#[cube]
fn sqrt<F: Float, N: Size>(a: Vector<F, N>) -> Vector<F, N> {
    a.sqrt()
}

#[cube]
fn abs<F: Float, N: Size>(a: Vector<F, N>) -> Vector<F, N> {
    a.abs()
}

#[cube]
fn minimum<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    min(a, b)
}

#[cube]
fn maximum<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    max(a, b)
}

/// A lane-wise condition as a number, 1 or 0 (the IR's meaning of a comparison).
#[cube]
fn indicator<F: Float, N: Size>(c: Vector<bool, N>) -> Vector<F, N> {
    select_many(c, Vector::<F, N>::new(F::new(1.0)), Vector::<F, N>::zero())
}

#[cube]
fn less<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<bool, N> {
    a.less_than(&b)
}

#[cube]
fn less_equal<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<bool, N> {
    a.less_equal(&b)
}

#[cube]
fn greater<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<bool, N> {
    a.greater_than(&b)
}

#[cube]
fn greater_equal<F: Float, N: Size>(a: Vector<F, N>, b: Vector<F, N>) -> Vector<bool, N> {
    a.greater_equal(&b)
}

/// where(c, a, b), lane-wise on a nonzero condition (both sides are evaluated;
/// a NaN on the side not selected is not seen).
#[cube]
fn select<F: Float, N: Size>(c: Vector<F, N>, a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    select_many(c.not_equal(&Vector::<F, N>::zero()), a, b)
}

/// where(c, a, b) on a comparison's own mask.
#[cube]
fn select_on_mask<F: Float, N: Size>(c: Vector<bool, N>, a: Vector<F, N>, b: Vector<F, N>) -> Vector<F, N> {
    select_many(c, a, b)
}

type Reg<F, N> = <Vector<F, N> as CubeType>::ExpandType;
type Mask<N> = <Vector<bool, N> as CubeType>::ExpandType;

/// The lane mask of the comparison `a cmp b`.
fn compare<F: Float, N: Size>(scope: &Scope, cmp: Cmp, a: Reg<F, N>, b: Reg<F, N>) -> Mask<N> {
    match cmp {
        Cmp::Lt => less::expand::<F, N>(scope, a, b),
        Cmp::Le => less_equal::expand::<F, N>(scope, a, b),
        Cmp::Gt => greater::expand::<F, N>(scope, a, b),
        Cmp::Ge => greater_equal::expand::<F, N>(scope, a, b),
    }
}

/// `m·f(a)` in cube code, finite wherever the product is: foil's helper in
/// [`math`] (the same as the macro kernels'); the lowering scales no function
/// but erfi, sinh, cosh and expm1 (`lower::SafeOp::Times`), and any other
/// would be the plain product.
fn times<F: Float, N: Size>(scope: &Scope, f: Func, a: Reg<F, N>, m: Reg<F, N>) -> Reg<F, N> {
    match f {
        Func::Erfi => math::erfi_times::expand::<F, N>(scope, a, m),
        Func::Sinh => math::sinh_times::expand::<F, N>(scope, a, m),
        Func::Cosh => math::cosh_times::expand::<F, N>(scope, a, m),
        Func::Expm1 => math::expm1_times::expand::<F, N>(scope, a, m),
        f => {
            let v = call::<F, N>(scope, f, a);
            mul::expand::<F, N>(scope, m, v)
        }
    }
}

/// An elementary function in cube code: the GPU builtin where it is exact
/// enough on every backend, else foil's helper in [`math`] (the same choice
/// as the macro kernels).
fn call<F: Float, N: Size>(scope: &Scope, f: Func, a: Reg<F, N>) -> Reg<F, N> {
    match f {
        Func::Exp => exp::expand::<F, N>(scope, a),
        Func::Log => ln::expand::<F, N>(scope, a),
        Func::Log1p => math::log1p::expand::<F, N>(scope, a),
        Func::Expm1 => math::expm1::expand::<F, N>(scope, a),
        Func::Sqrt => sqrt::expand::<F, N>(scope, a),
        Func::Abs => abs::expand::<F, N>(scope, a),
        Func::Sign => math::sign::expand::<F, N>(scope, a),
        Func::Sin => math::sin::expand::<F, N>(scope, a),
        Func::Cos => math::cos::expand::<F, N>(scope, a),
        Func::Atan => math::atan::expand::<F, N>(scope, a),
        Func::Sinh => math::sinh::expand::<F, N>(scope, a),
        Func::Cosh => math::cosh::expand::<F, N>(scope, a),
        Func::Tanh => math::tanh::expand::<F, N>(scope, a),
        Func::Asinh => math::asinh::expand::<F, N>(scope, a),
        Func::Erf => math::erf::expand::<F, N>(scope, a),
        Func::Erfi => math::erfi::expand::<F, N>(scope, a),
    }
}

/// Whether register `a` is `exp(-|b|)`, a value in [0, 1] (or NaN).
fn exp_of_minus_abs(ops: &[Op], a: u32) -> bool {
    let Op::Call(Func::Exp, n) = ops[a as usize] else { return false };
    let Op::Neg(m) = ops[n as usize] else { return false };
    matches!(ops[m as usize], Op::Call(Func::Abs, _))
}

/// Whether register `a` is `expm1(y)/2` with y ≤ 0 by its form (`k·|z|`,
/// k ≤ 0, or `-|z|`), a value in (-1/2, 0] (or NaN), as program.rs writes
/// logcosh's `log1p(expm1(-2|z|)/2)`: the registers' reading of
/// `foil_compiler::lower::half_expm1_of_non_positive`.
fn half_expm1_of_non_positive(ops: &[Op], a: u32) -> bool {
    let constant = |r: u32| match ops[r as usize] {
        Op::Const(c) => Some(c),
        _ => None,
    };
    let abs = |r: u32| matches!(ops[r as usize], Op::Call(Func::Abs, _));
    let non_positive = |y: u32| match ops[y as usize] {
        Op::Neg(w) => abs(w),
        Op::Mul(p, q) => (constant(p).is_some_and(|k| k <= 0.0) && abs(q)) || (constant(q).is_some_and(|k| k <= 0.0) && abs(p)),
        _ => false,
    };
    let expm1 = |t: u32| matches!(ops[t as usize], Op::Call(Func::Expm1, y) if non_positive(y));
    match ops[a as usize] {
        Op::Mul(p, q) => (constant(p) == Some(0.5) && expm1(q)) || (constant(q) == Some(0.5) && expm1(p)),
        Op::Div(t, two) => constant(two) == Some(2.0) && expm1(t),
        _ => false,
    }
}

/// Expands `program` into straight-line code: one cube value per
/// instruction, the outputs returned in order. Runs at kernel-compile time.
fn expand_program<F: Float, N: Size>(scope: &Scope, inputs: SequenceExpand<Vector<F, N>>, program: &Program) -> SequenceExpand<Vector<F, N>> {
    let inputs: Vec<Reg<F, N>> = inputs.iter_cloned().collect();
    let mut regs: Vec<Reg<F, N>> = Vec::with_capacity(program.len());
    // A comparison's lane mask, kept beside its 1/0 value: a `where` on it
    // selects on the mask directly (no 1/0 select and compare with 0 in
    // between); the 1/0 value is dead code then, which the shader compiler drops.
    let mut masks: Vec<Option<Mask<N>>> = Vec::with_capacity(program.len());
    for op in program.ops() {
        let r = |i: u32| regs[i as usize].clone();
        let mut mask = None;
        let value = match *op {
            Op::Const(c) => constant::expand::<F, N>(scope, c as f32),
            Op::Var(i) => inputs[i].clone(),
            Op::Add(a, b) => add::expand::<F, N>(scope, r(a), r(b)),
            Op::Sub(a, b) => sub::expand::<F, N>(scope, r(a), r(b)),
            Op::Mul(a, b) => mul::expand::<F, N>(scope, r(a), r(b)),
            Op::Div(a, b) => div::expand::<F, N>(scope, r(a), r(b)),
            Op::DivWide(a, b) => math::div::expand::<F, N>(scope, r(a), r(b)),
            Op::Times(f, a, m) => times::<F, N>(scope, f, r(a), r(m)),
            Op::Pow(a, b) => powf::expand::<F, N>(scope, r(a), r(b)),
            // As the macro kernels: small integer powers as products (no pow
            // of a negative base), the rest through powf.
            Op::Powi(a, k) if k != 0 && k.unsigned_abs() <= 8 => {
                let mut product = r(a);
                for _ in 1..k.unsigned_abs() {
                    product = mul::expand::<F, N>(scope, product, r(a));
                }
                if k < 0 {
                    let one = constant::expand::<F, N>(scope, 1.0);
                    math::div::expand::<F, N>(scope, one, product)
                } else {
                    product
                }
            }
            Op::Powi(a, k) => {
                let k = constant::expand::<F, N>(scope, k as f32);
                powf::expand::<F, N>(scope, r(a), k)
            }
            Op::Neg(a) => neg::expand::<F, N>(scope, r(a)),
            // A softplus's log1p(e^-|a|) (as program.rs writes it): its
            // argument lies in (0, 1], where the macro kernels' polynomial
            // form applies too.
            Op::Call(Func::Log1p, a) if exp_of_minus_abs(program.ops(), a) => math::log1p_unit::expand::<F, N>(scope, r(a)),
            Op::Call(Func::Log1p, a) if half_expm1_of_non_positive(program.ops(), a) => math::log1p_half::expand::<F, N>(scope, r(a)),
            Op::Call(f, a) => call::<F, N>(scope, f, r(a)),
            Op::Min(a, b) => minimum::expand::<F, N>(scope, r(a), r(b)),
            Op::Max(a, b) => maximum::expand::<F, N>(scope, r(a), r(b)),
            Op::Where(c, a, b) => match &masks[c as usize] {
                Some(m) => select_on_mask::expand::<F, N>(scope, m.clone(), r(a), r(b)),
                None => select::expand::<F, N>(scope, r(c), r(a), r(b)),
            },
            Op::Compare(cmp, a, b) => {
                let m = compare::<F, N>(scope, cmp, r(a), r(b));
                mask = Some(m.clone());
                indicator::expand::<F, N>(scope, m)
            }
        };
        regs.push(value);
        masks.push(mask);
    }
    let mut outputs = Sequence::<Vector<F, N>>::__expand_new(scope);
    for &o in program.output_registers() {
        outputs.__expand_push_method(scope, regs[o as usize].clone());
    }
    outputs
}

/// The program's outputs at the point whose inputs are `inputs`.
#[cube]
fn run_program<F: Float, N: Size>(inputs: Sequence<Vector<F, N>>, #[comptime] program: JitProgram) -> Sequence<Vector<F, N>> {
    intrinsic!(|scope| expand_program::<F, N>(scope, inputs, program.program()))
}

/// Index (in vectors) of input 0 of output position `p`; input i is `block`
/// vectors further on. For n = 1 it is `p` itself.
#[cube]
fn packed_base(p: usize, #[comptime] block: usize, #[comptime] n: usize) -> usize {
    if comptime!(n == 1) {
        p
    } else {
        (p / block) * (block * n) + p % block
    }
}

/// y = F(u_1..u_n) over the packed layout; `block` = c·inner / N (0 for
/// n = 1), see [`comptime_block`].
#[cube(launch_unchecked)]
pub fn jit_forward<F: Float, N: Size>(x: &[Vector<F, N>], y: &mut [Vector<F, N>], #[comptime] block: usize, #[comptime] program: JitProgram) {
    let p = ABSOLUTE_POS;
    if p < y.len() {
        let n = comptime!(program.program().arity());
        let base = packed_base(p, block, n);
        let mut u = Sequence::<Vector<F, N>>::new();
        #[unroll]
        for i in 0..n {
            u.push(x[base + i * block]);
        }
        let out = run_program::<F, N>(u, program);
        y[p] = *out.index(0);
    }
}

/// grad_x[input i] = grad_out · ∂F/∂u_i for every i, in one pass; `program`
/// computes the n partials (shared registers).
#[cube(launch_unchecked)]
pub fn jit_backward<F: Float, N: Size>(
    x: &[Vector<F, N>],
    grad_out: &[Vector<F, N>],
    grad_x: &mut [Vector<F, N>],
    #[comptime] block: usize,
    #[comptime] program: JitProgram,
) {
    let p = ABSOLUTE_POS;
    if p < grad_out.len() {
        let n = comptime!(program.program().arity());
        let base = packed_base(p, block, n);
        let mut u = Sequence::<Vector<F, N>>::new();
        #[unroll]
        for i in 0..n {
            u.push(x[base + i * block]);
        }
        let g = grad_out[p];
        let partials = run_program::<F, N>(u, program);
        #[unroll]
        for i in 0..n {
            grad_x[base + i * block] = g * *partials.index(i);
        }
    }
}

// ---------------------------------------------------------------------------
// Host side.

/// Sizes of one launch in the packed layout (see the module docs): `outer`,
/// `n` inputs of `c` channels, `inner`; and the vector width of the loads
/// (chosen per client unless fixed with [`Self::with_vector_size`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedLayout {
    outer: usize,
    n: usize,
    c: usize,
    inner: usize,
    vector_size: Option<usize>,
}

impl PackedLayout {
    /// `n ≥ 1`; the total size must fit the kernels' 32-bit indexing.
    pub fn new(outer: usize, n: usize, c: usize, inner: usize) -> Result<Self, RuntimeError> {
        let bad = |why: String| Err(RuntimeError::Layout(format!("[outer {outer}, n {n}, c {c}, inner {inner}]: {why}")));
        if n == 0 {
            return bad("a kernel has at least one input".into());
        }
        // The block on its own too: with outer = 0 the total is 0 whatever c·inner is.
        let block = c.checked_mul(inner);
        let total = block.and_then(|b| b.checked_mul(n)).and_then(|v| v.checked_mul(outer));
        match (block, total) {
            (Some(b), Some(t)) if b.max(t) <= u32::MAX as usize => Ok(PackedLayout { outer, n, c, inner, vector_size: None }),
            _ => bad(format!("more than {} values (32-bit indexing)", u32::MAX)),
        }
    }

    /// One input, `len` values: the plain element-wise case.
    pub fn elementwise(len: usize) -> Result<Self, RuntimeError> {
        Self::new(1, 1, len, 1)
    }

    /// Fix the vector width: 1, 2 or 4, dividing `c·inner`.
    pub fn with_vector_size(self, vector_size: usize) -> Result<Self, RuntimeError> {
        let block = self.block();
        if !matches!(vector_size, 1 | 2 | 4) || block % vector_size != 0 {
            return Err(RuntimeError::VectorSize { len: block, vector_size });
        }
        Ok(PackedLayout { vector_size: Some(vector_size), ..self })
    }

    pub fn outer(&self) -> usize {
        self.outer
    }
    pub fn n(&self) -> usize {
        self.n
    }
    pub fn c(&self) -> usize {
        self.c
    }
    pub fn inner(&self) -> usize {
        self.inner
    }

    /// `c·inner`: the values of one input in one outer row.
    pub fn block(&self) -> usize {
        self.c * self.inner
    }

    /// Values of `y` / `grad_out`: `outer·c·inner`.
    pub fn output_len(&self) -> usize {
        self.outer * self.block()
    }

    /// Values of `x` / `grad_x`: `outer·n·c·inner`.
    pub fn input_len(&self) -> usize {
        self.n * self.output_len()
    }

    /// The vector width a launch on `client` uses: the fixed one, else the
    /// largest the client prefers for f32 that divides `c·inner`.
    pub fn vector_size(&self, client: &Client) -> usize {
        self.vector_size.unwrap_or_else(|| Launch::for_client(client, self.block()).vector_size)
    }

    /// The output-side and input-side launches (same vector width).
    fn launches(&self, client: &Client) -> Result<(Launch, Launch), RuntimeError> {
        let v = self.vector_size(client);
        Ok((Launch::new(self.output_len(), v)?, Launch::new(self.input_len(), v)?))
    }
}

/// `block` in vectors as the kernels' compile-time argument: the packed
/// index divides by it, and integer division by a run-time value is a
/// long instruction sequence on GPUs (and one scalar division per lane on
/// lavapipe), by a constant a multiply and shift. A kernel is compiled per
/// distinct block (a network has few layer widths); with one input the
/// block is unused and is 0, so an element-wise kernel is compiled once.
fn comptime_block(layout: &PackedLayout, vector_size: usize) -> usize {
    if layout.n == 1 {
        0
    } else {
        layout.block() / vector_size
    }
}

/// The run-time kernels of one n-input function F: a forward program (F) and
/// a backward program (its n partials), each a `#[comptime]` specialisation
/// of [`jit_forward`] / [`jit_backward`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct JitKernel {
    forward: JitProgram,
    backward: JitProgram,
}

impl JitKernel {
    /// F = `expr` over `vars` (input i is `vars[i]`) and `partials[i]` =
    /// ∂F/∂vars[i], all foil IR.
    pub fn compile(expr: &Expr, partials: &[Expr], vars: &[&str]) -> Result<Self, CompileError> {
        if vars.is_empty() || partials.len() != vars.len() {
            return Err(CompileError::PartialCount { expected: vars.len(), got: partials.len() });
        }
        let forward = Program::compile(&[expr], vars)?;
        let backward = Program::compile(&partials.iter().collect::<Vec<_>>(), vars)?;
        Ok(Self::from_programs(forward, backward))
    }

    /// From already compiled programs: F (one output) and its partials (one
    /// output per input), e.g. those the host evaluator runs.
    pub(crate) fn from_programs(forward: Program, backward: Program) -> Self {
        JitKernel { forward: JitProgram::new(forward), backward: JitProgram::new(backward) }
    }

    /// n, the number of inputs.
    pub fn arity(&self) -> usize {
        self.forward.program().arity()
    }

    pub fn forward_program(&self) -> &Program {
        self.forward.program()
    }

    pub fn backward_program(&self) -> &Program {
        self.backward.program()
    }

    fn check_arity(&self, layout: &PackedLayout) -> Result<(), RuntimeError> {
        if layout.n != self.arity() {
            return Err(RuntimeError::Layout(format!("the layout packs {} inputs, the kernel takes {}", layout.n, self.arity())));
        }
        Ok(())
    }

    /// Queue y = F(x) on `client` (see the module docs for the layout).
    pub fn launch_forward(&self, client: &Client, x: &Handle, y: &Handle, layout: PackedLayout) -> Result<(), RuntimeError> {
        self.check_arity(&layout)?;
        let (out, inp) = layout.launches(client)?;
        if out.len == 0 {
            return Ok(());
        }
        inp.check("x", x)?;
        out.check("y", y)?;
        let (count, dim) = out.geometry(client);
        let block = comptime_block(&layout, out.vector_size);
        // SAFETY: x holds input_len and y output_len f32 (checked above); the
        // kernel guards its position against y's length, and every x index
        // it forms for a valid position is below input_len.
        unsafe { jit_forward::launch_unchecked::<f32>(client, count, dim, out.vector_size, inp.arg(x), out.arg(y), block, self.forward.clone()) };
        Ok(())
    }

    /// Queue grad_x = grad_out · ∂F/∂u_i (all i, one pass) on `client`.
    pub fn launch_backward(&self, client: &Client, x: &Handle, grad_out: &Handle, grad_x: &Handle, layout: PackedLayout) -> Result<(), RuntimeError> {
        self.check_arity(&layout)?;
        let (out, inp) = layout.launches(client)?;
        if out.len == 0 {
            return Ok(());
        }
        inp.check("x", x)?;
        out.check("grad_out", grad_out)?;
        inp.check("grad_x", grad_x)?;
        let (count, dim) = out.geometry(client);
        let block = comptime_block(&layout, out.vector_size);
        // SAFETY: as in `launch_forward`; grad_x has x's size.
        unsafe {
            jit_backward::launch_unchecked::<f32>(
                client,
                count,
                dim,
                out.vector_size,
                inp.arg(x),
                out.arg(grad_out),
                inp.arg(grad_x),
                block,
                self.backward.clone(),
            )
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registers of each program's `log1p` argument.
    fn log1p_arguments(src: &str) -> (Program, Vec<u32>) {
        let e = foil_compiler::parse::parse(src).unwrap();
        let p = Program::compile(&[&e], &["x"]).unwrap();
        let args = p.ops().iter().filter_map(|op| if let Op::Call(Func::Log1p, a) = *op { Some(a) } else { None }).collect();
        (p, args)
    }

    /// The peepholes read the shapes program.rs writes: a softplus's
    /// `log1p(exp(-|a|))` and logcosh's `log1p(expm1(-2|x|)/2)` take the
    /// polynomial helpers, a general `log1p` does not.
    #[test]
    fn bounded_log1p_arguments_are_recognised() {
        let (p, args) = log1p_arguments("softplus(x)");
        assert!(!args.is_empty() && args.iter().all(|&a| exp_of_minus_abs(p.ops(), a)));
        let (p, args) = log1p_arguments("log(cosh(x))");
        assert!(!args.is_empty() && args.iter().all(|&a| half_expm1_of_non_positive(p.ops(), a) && !exp_of_minus_abs(p.ops(), a)));
        for src in ["log(1 + x*x)", "log1p(expm1(x)/2)", "log1p(expm1(-2*x)/2)"] {
            let (p, args) = log1p_arguments(src);
            assert!(!args.is_empty(), "{src}");
            assert!(args.iter().all(|&a| !half_expm1_of_non_positive(p.ops(), a) && !exp_of_minus_abs(p.ops(), a)), "{src}");
        }
    }
}
