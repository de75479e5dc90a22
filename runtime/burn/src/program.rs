//! foil IR compiled to a flat register program: the description both the
//! host evaluator here (f32 in and out, f64 registers, the exponential
//! family and erfi in foil's vectorising f32 functions; burn's Flex backend)
//! and the run-time GPU kernels ([`crate::jit`], which unroll the
//! instruction list at kernel-compile time) execute.
//!
//! Several expressions over the same variables (f and its partials, say) are
//! compiled together into ONE flat register program: identical subtrees are
//! shared (hash-consed across all outputs), constants are folded, and the
//! program runs column-wise over chunks of elements, so the per-node dispatch
//! cost is paid once per chunk rather than once per element.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use egg::Id;
use foil_compiler::eval::apply;
use foil_compiler::lang::{Cmp, Expr, Func, Math};
use foil_compiler::lower::{lower_exprs, SafeOp};
use foil_runtime::Float;

/// Elements evaluated together per instruction.
pub const CHUNK: usize = 64;

/// One instruction of a [`Program`]: the result goes to the next register,
/// operands are earlier registers. Comparisons yield 0 or 1; `Where` selects
/// on a nonzero condition. Functions and comparisons are the compiler's own
/// [`Func`] and [`Cmp`], so every consumer dispatches on one definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Const(f64),
    Var(usize),
    Add(u32, u32),
    Sub(u32, u32),
    Mul(u32, u32),
    Div(u32, u32),
    /// `a / b` where |b| may exceed 2¹²⁶ (`lower::beyond_division_range`):
    /// the device guards it (`math::div`); the host divides as for `Div`.
    DivWide(u32, u32),
    Pow(u32, u32),
    /// Integer power, exponent known at compile time.
    Powi(u32, i32),
    Neg(u32),
    Call(Func, u32),
    /// `m·f(a)` as `Times(f, a, m)`, f erfi, sinh, cosh or expm1: finite wherever
    /// the product is (`foil_compiler::lower::SafeOp::Times`).
    Times(Func, u32, u32),
    Min(u32, u32),
    Max(u32, u32),
    Where(u32, u32, u32),
    Compare(Cmp, u32, u32),
}

/// Hashable key for hash-consing (f64 constants by bit pattern).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    Var(usize),
    Bin(u8, u32, u32),
    Powi(u32, i32),
    Neg(u32),
    Call(Func, u32),
    Times(Func, u32, u32),
    Where(u32, u32, u32),
    Compare(Cmp, u32, u32),
}

impl Op {
    fn key(&self) -> Key {
        match *self {
            Op::Const(c) => Key::Const(c.to_bits()),
            Op::Var(i) => Key::Var(i),
            Op::Add(a, b) => Key::Bin(0, a, b),
            Op::Sub(a, b) => Key::Bin(1, a, b),
            Op::Mul(a, b) => Key::Bin(2, a, b),
            Op::Div(a, b) => Key::Bin(3, a, b),
            Op::DivWide(a, b) => Key::Bin(7, a, b),
            Op::Pow(a, b) => Key::Bin(4, a, b),
            Op::Min(a, b) => Key::Bin(5, a, b),
            Op::Max(a, b) => Key::Bin(6, a, b),
            Op::Powi(a, k) => Key::Powi(a, k),
            Op::Neg(a) => Key::Neg(a),
            Op::Call(f, a) => Key::Call(f, a),
            Op::Times(f, a, m) => Key::Times(f, a, m),
            Op::Where(c, a, b) => Key::Where(c, a, b),
            Op::Compare(cmp, a, b) => Key::Compare(cmp, a, b),
        }
    }

    /// The registers this instruction reads.
    fn operands(&self) -> Vec<u32> {
        match *self {
            Op::Const(_) | Op::Var(_) => vec![],
            Op::Add(a, b)
            | Op::Sub(a, b)
            | Op::Mul(a, b)
            | Op::Div(a, b)
            | Op::DivWide(a, b)
            | Op::Pow(a, b)
            | Op::Min(a, b)
            | Op::Max(a, b)
            | Op::Compare(_, a, b)
            | Op::Times(_, a, b) => {
                vec![a, b]
            }
            Op::Powi(a, _) | Op::Neg(a) | Op::Call(_, a) => vec![a],
            Op::Where(c, a, b) => vec![c, a, b],
        }
    }

    /// This instruction with its operands renamed by `m`.
    fn renamed(&self, m: impl Fn(u32) -> u32) -> Op {
        match *self {
            Op::Const(_) | Op::Var(_) => *self,
            Op::Add(a, b) => Op::Add(m(a), m(b)),
            Op::Sub(a, b) => Op::Sub(m(a), m(b)),
            Op::Mul(a, b) => Op::Mul(m(a), m(b)),
            Op::Div(a, b) => Op::Div(m(a), m(b)),
            Op::DivWide(a, b) => Op::DivWide(m(a), m(b)),
            Op::Times(f, a, b) => Op::Times(f, m(a), m(b)),
            Op::Pow(a, b) => Op::Pow(m(a), m(b)),
            Op::Min(a, b) => Op::Min(m(a), m(b)),
            Op::Max(a, b) => Op::Max(m(a), m(b)),
            Op::Compare(c, a, b) => Op::Compare(c, m(a), m(b)),
            Op::Where(c, a, b) => Op::Where(m(c), m(a), m(b)),
            Op::Powi(a, k) => Op::Powi(m(a), k),
            Op::Neg(a) => Op::Neg(m(a)),
            Op::Call(f, a) => Op::Call(f, m(a)),
        }
    }
}

/// A compiled multi-output program over `arity` variables.
#[derive(Clone, Debug)]
pub struct Program {
    ops: Vec<Op>,
    outputs: Vec<u32>,
    arity: usize,
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    #[error("the expression uses variable `{0}`, which is not one of the inputs {1:?}")]
    UnknownVariable(String, Vec<String>),
    /// A leaf that is neither a number nor a variable (a caller bug).
    #[error("unsupported operation in a compiled program: {0}")]
    Unsupported(String),
    /// A kernel's partial derivatives do not match its inputs one to one.
    #[error("{got} partial derivatives for {expected} inputs")]
    PartialCount { expected: usize, got: usize },
}

impl Program {
    /// Compiles `exprs` (each a function of `vars`, by name) into one program
    /// whose outputs are the expressions' values, in order.
    ///
    /// The expressions first go through the emitters' safe-form lowering
    /// ([`lower_exprs`]: `log(1 + a)` → `log1p(a)`, `exp(a) - 1` → `expm1(a)`,
    /// the softplus form, small powers as products), so a program evaluates
    /// the same operations as the code the macros emit.
    pub fn compile(exprs: &[&Expr], vars: &[&str]) -> Result<Program, CompileError> {
        let lowered = lower_exprs(exprs);
        let wide = foil_compiler::lower::beyond_division_range(&lowered);
        let mut b = Builder { ops: Vec::new(), memo: HashMap::new() };
        // Register of each live node (dead ones are never read).
        let mut regs: Vec<u32> = vec![u32::MAX; lowered.ops.len()];
        for (i, (node, op)) in lowered.nodes.as_ref().iter().zip(&lowered.ops).enumerate() {
            if !lowered.live[i] {
                continue;
            }
            let r = |id: Id| regs[usize::from(id)];
            let reg = match op {
                SafeOp::Leaf => match node {
                    Math::Num(c) => b.push(Op::Const(c.into_inner())),
                    Math::Pi => b.push(Op::Const(std::f64::consts::PI)),
                    Math::Euler => b.push(Op::Const(std::f64::consts::E)),
                    Math::Var(s) => match vars.iter().position(|v| *v == s.as_str()) {
                        Some(v) => b.push(Op::Var(v)),
                        None => return Err(CompileError::UnknownVariable(s.to_string(), vars.iter().map(|v| v.to_string()).collect())),
                    },
                    other => return Err(CompileError::Unsupported(format!("{other:?} as a leaf"))),
                },
                SafeOp::Add(a, c) => b.push(Op::Add(r(*a), r(*c))),
                SafeOp::Sub(a, c) => b.push(Op::Sub(r(*a), r(*c))),
                SafeOp::Mul(a, c) => b.push(Op::Mul(r(*a), r(*c))),
                SafeOp::Div(a, c) if wide[usize::from(*c)] => b.push(Op::DivWide(r(*a), r(*c))),
                SafeOp::Div(a, c) => b.push(Op::Div(r(*a), r(*c))),
                SafeOp::Neg(a) => b.push(Op::Neg(r(*a))),
                SafeOp::Call(f, a) => b.push(Op::Call(*f, r(*a))),
                SafeOp::Min(a, c) => b.push(Op::Min(r(*a), r(*c))),
                SafeOp::Max(a, c) => b.push(Op::Max(r(*a), r(*c))),
                SafeOp::Powf(a, c) => b.push(Op::Pow(r(*a), r(*c))),
                SafeOp::Powi(a, k) => b.push(Op::Powi(r(*a), *k)),
                SafeOp::Product(factors) => {
                    let mut acc = r(factors[0]);
                    for f in &factors[1..] {
                        acc = b.push(Op::Mul(acc, r(*f)));
                    }
                    acc
                }
                SafeOp::Compare(cmp, a, c) => b.push(Op::Compare(*cmp, r(*a), r(*c))),
                SafeOp::Where(c, a, d) => b.push(Op::Where(r(*c), r(*a), r(*d))),
                // max(a, 0) + log1p(exp(-|a|)), as the emitters write it.
                SafeOp::Softplus(a) => {
                    let a = r(*a);
                    let abs = b.push(Op::Call(Func::Abs, a));
                    let neg = b.push(Op::Neg(abs));
                    let exp = b.push(Op::Call(Func::Exp, neg));
                    let tail = b.push(Op::Call(Func::Log1p, exp));
                    let zero = b.push(Op::Const(0.0));
                    let ramp = b.push(Op::Max(a, zero));
                    b.push(Op::Add(ramp, tail))
                }
                SafeOp::NegExpm1(a) => {
                    let e = b.push(Op::Call(Func::Expm1, r(*a)));
                    b.push(Op::Neg(e))
                }
                SafeOp::Times(f, a, m) => b.push(Op::Times(*f, r(*a), r(*m))),
            };
            regs[i] = reg;
        }
        let outputs: Vec<u32> = lowered.roots.iter().map(|&r| regs[usize::from(r)]).collect();
        let (ops, outputs) = live_only(b.ops, &outputs);
        Ok(Program { ops, outputs, arity: vars.len() })
    }

    /// The instructions, in order: instruction k writes register k and reads
    /// only registers below k.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The register holding each output, in output order.
    pub fn output_registers(&self) -> &[u32] {
        &self.outputs
    }

    /// A hash of the whole program (instructions by bit pattern, outputs,
    /// arity): two programs that are [`Self::same_as`] each other have the same one.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.arity.hash(&mut h);
        self.outputs.hash(&mut h);
        for op in &self.ops {
            op.key().hash(&mut h);
        }
        h.finish()
    }

    /// Whether both programs compute the same thing instruction by instruction
    /// (constants compared by bit pattern, so a NaN constant equals itself).
    pub fn same_as(&self, other: &Program) -> bool {
        self.arity == other.arity
            && self.outputs == other.outputs
            && self.ops.len() == other.ops.len()
            && self.ops.iter().zip(&other.ops).all(|(a, b)| a.key() == b.key())
    }

    pub fn arity(&self) -> usize {
        self.arity
    }

    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Instructions after sharing and folding (a cost measure).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Evaluates at one point: `out[k]` = output k at `vars`.
    pub fn eval(&self, vars: &[f32], out: &mut [f32]) {
        let mut scratch = Scratch::new(self);
        let cols: Vec<&[f32]> = vars.iter().map(std::slice::from_ref).collect();
        let mut outs: Vec<&mut [f32]> = out.iter_mut().map(std::slice::from_mut).collect();
        self.eval_chunk(&mut scratch, &cols, &mut outs);
    }

    /// Evaluates a chunk column-wise: `vars[i][e]` is variable i of element e,
    /// `outs[k][e]` receives output k; the chunk length is that of the output
    /// columns (≤ CHUNK; every input column at least that long).
    ///
    /// On an x86-64 CPU with AVX2 and FMA (detected at run time) the loops
    /// run in a copy compiled for them: twice the lanes of the baseline
    /// x86-64 build (SSE2), and the same values in every bit (a NaN's sign
    /// may differ), since Rust contracts no multiply-add into an FMA unless
    /// the code asks for one.
    pub fn eval_chunk(&self, s: &mut Scratch, vars: &[&[f32]], outs: &mut [&mut [f32]]) {
        #[cfg(target_arch = "x86_64")]
        if avx2_and_fma() {
            // SAFETY: the CPU has both features, checked just above.
            return unsafe { self.eval_chunk_avx2(s, vars, outs) };
        }
        self.eval_chunk_in(s, vars, outs)
    }

    /// [`Program::eval_chunk`] for CPUs with AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU must support both.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn eval_chunk_avx2(&self, s: &mut Scratch, vars: &[&[f32]], outs: &mut [&mut [f32]]) {
        self.eval_chunk_in(s, vars, outs)
    }

    /// The loops themselves, inlined into each copy so that each is compiled
    /// for its caller's instruction set.
    #[inline(always)]
    fn eval_chunk_in(&self, s: &mut Scratch, vars: &[&[f32]], outs: &mut [&mut [f32]]) {
        let n = outs.first().map_or(0, |o| o.len());
        debug_assert!(n <= CHUNK);
        debug_assert_eq!(vars.len(), self.arity);
        debug_assert_eq!(s.program, self.fingerprint(), "a Scratch of another program");
        let regs = &mut s.regs;
        for (i, op) in self.ops.iter().enumerate() {
            // Split so that the destination is mutable while sources are read.
            let (done, rest) = regs.split_at_mut(i);
            let dst = &mut rest[0][..n];
            let g = |r: u32| &done[r as usize][..n];
            macro_rules! un {
                ($a:expr, $f:expr) => {{
                    let a = g($a);
                    for e in 0..n {
                        dst[e] = $f(a[e]);
                    }
                }};
            }
            macro_rules! bin {
                ($a:expr, $b:expr, $f:expr) => {{
                    let (a, b) = (g($a), g($b));
                    for e in 0..n {
                        dst[e] = $f(a[e], b[e]);
                    }
                }};
            }
            match *op {
                // Filled once, by `Scratch::new`.
                Op::Const(_) => {}
                Op::Var(v) => {
                    for (d, &x) in dst.iter_mut().zip(&vars[v][..n]) {
                        *d = x as f64;
                    }
                }
                Op::Add(a, b) => bin!(a, b, |x: f64, y: f64| x + y),
                Op::Sub(a, b) => bin!(a, b, |x: f64, y: f64| x - y),
                Op::Mul(a, b) => bin!(a, b, |x: f64, y: f64| x * y),
                Op::Div(a, b) | Op::DivWide(a, b) => bin!(a, b, |x: f64, y: f64| x / y),
                Op::Pow(a, b) => bin!(a, b, f64::powf),
                Op::Powi(a, k) => un!(a, |x: f64| x.powi(k)),
                Op::Neg(a) => un!(a, |x: f64| -x),
                // The exponential family, erf and erfi in foil's own f32
                // functions (`foil_runtime::Float`, within 2–8 ulp, what the
                // macros' scalar code calls), which vectorise; std's f64 ones
                // are a libm call per element (the MLP's tanh step on flex
                // took 1.62 ms that way, 1.36 ms this way; bench/README.md,
                // 2026-12-04). One loop per function, so that each
                // vectorises; `Float::` spelled out, since f32's inherent
                // (libm) methods would otherwise win. The outputs are f32
                // either way.
                Op::Call(Func::Exp, a) => un!(a, |x: f64| Float::exp(x as f32) as f64),
                Op::Call(Func::Expm1, a) => un!(a, |x: f64| Float::exp_m1(x as f32) as f64),
                Op::Call(Func::Sinh, a) => un!(a, |x: f64| Float::sinh(x as f32) as f64),
                Op::Call(Func::Cosh, a) => un!(a, |x: f64| Float::cosh(x as f32) as f64),
                Op::Call(Func::Tanh, a) => un!(a, |x: f64| Float::tanh(x as f32) as f64),
                Op::Call(Func::Erf, a) => un!(a, |x: f64| Float::erf(x as f32) as f64),
                Op::Call(Func::Erfi, a) => un!(a, |x: f64| Float::erfi(x as f32) as f64),
                Op::Times(Func::Erfi, a, m) => bin!(a, m, |x: f64, m: f64| Float::erfi_times(x as f32, m as f32) as f64),
                Op::Times(Func::Sinh, a, m) => bin!(a, m, |x: f64, m: f64| Float::sinh_times(x as f32, m as f32) as f64),
                Op::Times(Func::Cosh, a, m) => bin!(a, m, |x: f64, m: f64| Float::cosh_times(x as f32, m as f32) as f64),
                Op::Times(Func::Expm1, a, m) => bin!(a, m, |x: f64, m: f64| Float::expm1_times(x as f32, m as f32) as f64),
                // The lowering scales no other function (`lower::SafeOp::Times`).
                Op::Times(f, a, m) => bin!(a, m, |x: f64, m: f64| m * apply(f, x)),
                Op::Call(f, a) => un!(a, |x: f64| apply(f, x)),
                Op::Min(a, b) => bin!(a, b, f64::min),
                Op::Max(a, b) => bin!(a, b, f64::max),
                Op::Where(c, a, b) => {
                    let (c, a, b) = (g(c), g(a), g(b));
                    for e in 0..n {
                        dst[e] = if c[e] != 0.0 { a[e] } else { b[e] };
                    }
                }
                Op::Compare(cmp, a, b) => bin!(a, b, |x: f64, y: f64| cmp.holds(x, y) as u8 as f64),
            }
        }
        for (k, &r) in self.outputs.iter().enumerate() {
            for (o, &v) in outs[k][..n].iter_mut().zip(&regs[r as usize][..n]) {
                *o = v as f32;
            }
        }
    }
}

/// Whether this CPU has AVX2 and FMA, which the host loops' second copies
/// are compiled for (std caches the detection).
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_and_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Register file for [`Program::eval_chunk`] (one per thread), for the
/// program it was made for: its constants' registers are filled here, once,
/// and no chunk writes them again.
pub struct Scratch {
    regs: Vec<[f64; CHUNK]>,
    /// The program's [`Program::fingerprint`], checked in debug builds.
    program: u64,
}

impl Scratch {
    pub fn new(p: &Program) -> Self {
        let regs = p.ops.iter().map(|op| if let Op::Const(c) = *op { [c; CHUNK] } else { [0.0; CHUNK] }).collect();
        Scratch { regs, program: p.fingerprint() }
    }
}

/// `ops` without the instructions no output depends on (constant folding
/// leaves its operands behind), renumbered; and the outputs' new registers.
fn live_only(ops: Vec<Op>, outputs: &[u32]) -> (Vec<Op>, Vec<u32>) {
    let mut live = vec![false; ops.len()];
    for &r in outputs {
        live[r as usize] = true;
    }
    // Operands come before their instruction: one backward sweep.
    for k in (0..ops.len()).rev() {
        if live[k] {
            for a in ops[k].operands() {
                live[a as usize] = true;
            }
        }
    }
    let mut new_index = vec![u32::MAX; ops.len()];
    let mut kept = Vec::with_capacity(ops.len());
    for (k, op) in ops.into_iter().enumerate() {
        if live[k] {
            new_index[k] = kept.len() as u32;
            kept.push(op.renamed(|r| new_index[r as usize]));
        }
    }
    let outputs = outputs.iter().map(|&r| new_index[r as usize]).collect();
    (kept, outputs)
}

struct Builder {
    ops: Vec<Op>,
    memo: HashMap<Key, u32>,
}

impl Builder {
    fn constant(&self, r: u32) -> Option<f64> {
        match self.ops[r as usize] {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    /// Appends `op` (folded when all its inputs are constants), sharing an
    /// identical earlier instruction.
    fn push(&mut self, op: Op) -> u32 {
        let op = self.fold(op).unwrap_or(op);
        let key = op.key();
        if let Some(&r) = self.memo.get(&key) {
            return r;
        }
        let r = self.ops.len() as u32;
        self.ops.push(op);
        self.memo.insert(key, r);
        r
    }

    fn fold(&self, op: Op) -> Option<Op> {
        if matches!(op, Op::Const(_) | Op::Var(_)) {
            return None;
        }
        let args = op.operands();
        if !args.iter().all(|&a| self.constant(a).is_some()) {
            // `where` with a constant condition picks its branch.
            if let Op::Where(c, a, b) = op {
                if let Some(c) = self.constant(c) {
                    return Some(self.ops[if c != 0.0 { a } else { b } as usize]);
                }
            }
            return None;
        }
        // Evaluate the instruction on constant columns of length 1.
        let mut tmp = Builder { ops: Vec::new(), memo: HashMap::new() };
        let mut remap = HashMap::new();
        for &a in &args {
            remap.insert(a, tmp.ops.len() as u32);
            tmp.ops.push(self.ops[a as usize]);
        }
        let m = |r: u32| remap[&r];
        let local = op.renamed(m);
        let out = tmp.ops.len() as u32;
        tmp.ops.push(local);
        let p = Program { ops: tmp.ops, outputs: vec![out], arity: 0 };
        let mut v = [0.0f32];
        p.eval(&[], &mut v);
        Some(Op::Const(v[0] as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foil_compiler::eval::eval_n;

    fn check(src: &str, vars: &[&str], points: &[Vec<f64>]) {
        let e = foil_compiler::parse::parse(src).unwrap();
        let p = Program::compile(&[&e], vars).unwrap();
        let syms: Vec<egg::Symbol> = vars.iter().map(|v| egg::Symbol::from(*v)).collect();
        for pt in points {
            let want = eval_n(&e, &syms, pt);
            let mut got = [0.0f32];
            let x32: Vec<f32> = pt.iter().map(|v| *v as f32).collect();
            p.eval(&x32, &mut got);
            assert!((got[0] as f64 - want).abs() <= 1e-5 * want.abs().max(1.0), "{src} at {pt:?}: {} vs {want}", got[0]);
        }
    }

    /// The exponential family, erf and erfi run as foil's f32 implementations
    /// (bit for bit, over 2,001 points to ±12: std's inherent f32 method,
    /// a libm call, would differ in the last bit somewhere), and another
    /// function (`atan`) in f64, rounded once.
    #[test]
    fn host_functions_are_foils_f32_ones() {
        let xs: Vec<f32> = (-1000..=1000).map(|k| k as f32 * 0.012).collect();
        let atan = |x: f32| (x as f64).atan() as f32;
        let cases: [(Func, fn(f32) -> f32); 8] = [
            (Func::Exp, Float::exp),
            (Func::Expm1, Float::exp_m1),
            (Func::Sinh, Float::sinh),
            (Func::Cosh, Float::cosh),
            (Func::Tanh, Float::tanh),
            (Func::Erf, Float::erf),
            (Func::Erfi, Float::erfi),
            (Func::Atan, atan),
        ];
        for (f, reference) in cases {
            let e = foil_compiler::parse::parse(&format!("{}(x)", f.name())).unwrap();
            let p = Program::compile(&[&e], &["x"]).unwrap();
            let mut got = vec![0.0f32; xs.len()];
            let mut scratch = Scratch::new(&p);
            for (x, out) in xs.chunks(CHUNK).zip(got.chunks_mut(CHUNK)) {
                p.eval_chunk(&mut scratch, &[x], &mut [out]);
            }
            for (&x, &g) in xs.iter().zip(&got) {
                let want = reference(x);
                assert!(g.to_bits() == want.to_bits(), "{f:?}({x}): host {g}, want {want}");
            }
        }
    }

    /// The copy compiled for AVX2 and FMA gives the portable copy's result
    /// in every bit (a NaN for a NaN): for f and f' of every suite row, and
    /// an n-input F's partials, over every 16,411th f32 (NaN, ±inf,
    /// subnormals and f32::MAX among them). Skipped, and says so, on a CPU
    /// without both.
    #[test]
    fn the_avx2_copy_gives_the_portable_result_in_every_bit() {
        #[cfg(target_arch = "x86_64")]
        {
            if !avx2_and_fma() {
                eprintln!("skipped: this CPU lacks AVX2 or FMA, so eval_chunk runs the portable copy only");
                return;
            }
            let xs: Vec<f32> = (0..=u32::MAX).step_by(16_411).map(f32::from_bits).chain([0.0, -0.0, f32::MAX, f32::MIN_POSITIVE, 1e-45]).collect();
            let mut programs: Vec<(String, Program, Vec<&str>)> = Vec::new();
            for row in foil_compiler::suite::embedded_suite() {
                let f = foil_compiler::parse::parse(&row.expression).unwrap();
                let d = foil_compiler::diff::derivative(&f, "x");
                programs.push((row.name.clone(), Program::compile(&[&f, &d], &["x"]).unwrap(), vec!["x"]));
            }
            let vars = ["u1", "u2", "u3", "u4"];
            let big_f = foil_compiler::parse::parse("(exp(u1) - exp(-u2))/(exp(u3) + exp(-u4)) + u1*erfi(u2/4)").unwrap();
            let partials: Vec<Expr> = vars.iter().map(|v| foil_compiler::diff::derivative(&big_f, v)).collect();
            programs.push(("F".into(), Program::compile(&partials.iter().collect::<Vec<_>>(), &vars).unwrap(), vars.to_vec()));
            for (name, p, vars) in &programs {
                let mut s = Scratch::new(p);
                // Input i reads the samples rotated by 7i, so that inputs differ.
                let cols: Vec<Vec<f32>> = (0..vars.len()).map(|i| xs.iter().cycle().skip(i * 7).take(xs.len()).copied().collect()).collect();
                for start in (0..xs.len()).step_by(CHUNK) {
                    let len = CHUNK.min(xs.len() - start);
                    let chunk: Vec<&[f32]> = cols.iter().map(|c| &c[start..start + len]).collect();
                    let (mut wide, mut portable) = (vec![vec![0.0f32; len]; p.outputs()], vec![vec![0.0f32; len]; p.outputs()]);
                    // SAFETY: both features were detected above.
                    unsafe { p.eval_chunk_avx2(&mut s, &chunk, &mut wide.iter_mut().map(Vec::as_mut_slice).collect::<Vec<_>>()) };
                    p.eval_chunk_in(&mut s, &chunk, &mut portable.iter_mut().map(Vec::as_mut_slice).collect::<Vec<_>>());
                    for (k, (w, q)) in wide.iter().zip(&portable).enumerate() {
                        for (e, (a, b)) in w.iter().zip(q).enumerate() {
                            // A NaN's sign and payload are not part of its value.
                            if a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()) {
                                let u: Vec<f32> = chunk.iter().map(|c| c[e]).collect();
                                panic!("{name}, output {k} at {u:?}: AVX2 {a:e}, portable {b:e}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Constant folding leaves its operands behind; a compiled program keeps
    /// only what its outputs read (gelu's derivative folded 2/√π and √2/2
    /// into √(2/π) and kept six dead constants, each filled per chunk).
    #[test]
    fn every_instruction_is_read() {
        for src in ["gelu(x)", "x*sigmoid(x)", "where(x > 0, x, 0.01*x)", "softplus(x)"] {
            let e = foil_compiler::parse::parse(src).unwrap();
            let d = foil_compiler::diff::derivative(&e, "x");
            let p = Program::compile(&[&e, &d], &["x"]).unwrap();
            let mut read = vec![false; p.len()];
            for op in p.ops() {
                for a in op.operands() {
                    read[a as usize] = true;
                }
            }
            for &r in p.output_registers() {
                read[r as usize] = true;
            }
            assert!(read.iter().all(|&r| r), "{src}: unread instructions in {:?}", p.ops());
        }
    }

    #[test]
    fn matches_the_f64_reference() {
        let pts: Vec<Vec<f64>> = [-3.5, -1.0, -0.25, 0.0, 0.5, 2.0, 4.0].iter().map(|&x| vec![x]).collect();
        for src in [
            "tanh(x)",
            "x*sigmoid(x)",
            "gelu(x)",
            "where(x > 0, x, 0.01*x)",
            "x/2 + sinh(2*x)/4",
            "softplus(x)",
            "x^3 + 2^x",
            "atan(x) + erf(x) - abs(x)*sign(x)",
        ] {
            check(src, &["x"], &pts);
        }
        let pts2: Vec<Vec<f64>> = vec![vec![0.1, -0.3, 0.7, 1.2], vec![-1.0, 2.0, 0.0, -0.5]];
        check("(exp(u1) - exp(-u2))/(exp(u3) + exp(-u4))", &["u1", "u2", "u3", "u4"], &pts2);
    }

    #[test]
    fn shares_subexpressions_across_outputs_and_folds_constants() {
        let f = foil_compiler::parse::parse("tanh(x) * (2 + 3)").unwrap();
        // (`tanh(x) + 1` would be lowered to a quotient without tanh.)
        let d = foil_compiler::parse::parse("tanh(x) + x").unwrap();
        let p = Program::compile(&[&f, &d], &["x"]).unwrap();
        // x, tanh, 5, mul, add: tanh shared, 2+3 folded (the literals 2 and 3 stay as dead constants).
        assert!(p.len() <= 7, "{}", p.len());
        let mut out = [0.0; 2];
        p.eval(&[0.5], &mut out);
        assert!((out[0] - 5.0 * 0.5f32.tanh()).abs() < 1e-6 && (out[1] - 0.5f32.tanh() - 0.5).abs() < 1e-6);
    }

    #[test]
    fn unknown_variables_are_reported() {
        let e: Expr = "(+ x y)".parse().unwrap();
        assert!(matches!(Program::compile(&[&e], &["x"]), Err(CompileError::UnknownVariable(v, _)) if v == "y"));
    }
}
