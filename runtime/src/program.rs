//! foil IR compiled to a flat register program: the description both the
//! host evaluator here (f32 in and out, f64 registers; burn's Flex backend)
//! and the run-time GPU kernels ([`crate::kernels::jit`], which unroll the
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
use foil_compiler::emit::{lower_exprs, SafeOp};
use foil_compiler::lang::{Expr, Math};

/// Elements evaluated together per instruction.
pub const CHUNK: usize = 64;

/// One instruction of a [`Program`]: the result goes to the next register,
/// operands are earlier registers. Comparisons yield 0 or 1; `Where` selects
/// on a nonzero condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Const(f64),
    Var(usize),
    Add(u32, u32),
    Sub(u32, u32),
    Mul(u32, u32),
    Div(u32, u32),
    Pow(u32, u32),
    /// Integer power, exponent known at compile time.
    Powi(u32, i32),
    Neg(u32),
    Exp(u32),
    Log(u32),
    Log1p(u32),
    Expm1(u32),
    Sqrt(u32),
    Abs(u32),
    Sign(u32),
    Sin(u32),
    Cos(u32),
    Atan(u32),
    Sinh(u32),
    Cosh(u32),
    Tanh(u32),
    Asinh(u32),
    Erf(u32),
    Erfi(u32),
    Min(u32, u32),
    Max(u32, u32),
    Where(u32, u32, u32),
    Lt(u32, u32),
    Le(u32, u32),
    Gt(u32, u32),
    Ge(u32, u32),
}

/// Hashable key for hash-consing (f32 constants by bit pattern).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key(u8, u64, u32, u32);

impl Op {
    fn key(&self) -> Key {
        use Op::*;
        match *self {
            Const(c) => Key(0, c.to_bits(), 0, 0),
            Var(i) => Key(1, i as u32 as u64, 0, 0),
            Add(a, b) => Key(2, a as u64, b, 0),
            Sub(a, b) => Key(3, a as u64, b, 0),
            Mul(a, b) => Key(4, a as u64, b, 0),
            Div(a, b) => Key(5, a as u64, b, 0),
            Pow(a, b) => Key(6, a as u64, b, 0),
            Powi(a, n) => Key(7, a as u64, n as u32, 0),
            Neg(a) => Key(8, a as u64, 0, 0),
            Exp(a) => Key(9, a as u64, 0, 0),
            Log(a) => Key(10, a as u64, 0, 0),
            Log1p(a) => Key(11, a as u64, 0, 0),
            Expm1(a) => Key(12, a as u64, 0, 0),
            Sqrt(a) => Key(13, a as u64, 0, 0),
            Abs(a) => Key(14, a as u64, 0, 0),
            Sign(a) => Key(15, a as u64, 0, 0),
            Sin(a) => Key(16, a as u64, 0, 0),
            Cos(a) => Key(17, a as u64, 0, 0),
            Atan(a) => Key(18, a as u64, 0, 0),
            Sinh(a) => Key(19, a as u64, 0, 0),
            Cosh(a) => Key(20, a as u64, 0, 0),
            Tanh(a) => Key(21, a as u64, 0, 0),
            Asinh(a) => Key(22, a as u64, 0, 0),
            Erf(a) => Key(23, a as u64, 0, 0),
            Erfi(a) => Key(24, a as u64, 0, 0),
            Min(a, b) => Key(25, a as u64, b, 0),
            Max(a, b) => Key(26, a as u64, b, 0),
            Where(c, a, b) => Key(27, c as u64, a, b),
            Lt(a, b) => Key(28, a as u64, b, 0),
            Le(a, b) => Key(29, a as u64, b, 0),
            Gt(a, b) => Key(30, a as u64, b, 0),
            Ge(a, b) => Key(31, a as u64, b, 0),
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
    /// The safe-form lowering produced an operation programs do not know.
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
                        None => {
                            return Err(CompileError::UnknownVariable(
                                s.to_string(),
                                vars.iter().map(|v| v.to_string()).collect(),
                            ))
                        }
                    },
                    other => return Err(CompileError::Unsupported(format!("{other:?} as a leaf"))),
                },
                SafeOp::Bin(sym, a, c) => {
                    let (a, c) = (r(*a), r(*c));
                    b.push(match *sym {
                        "+" => Op::Add(a, c),
                        "-" => Op::Sub(a, c),
                        "*" => Op::Mul(a, c),
                        "/" => Op::Div(a, c),
                        other => return Err(CompileError::Unsupported(format!("operator `{other}`"))),
                    })
                }
                SafeOp::Neg(a) => b.push(Op::Neg(r(*a))),
                SafeOp::Call(f, a) => {
                    let a = r(*a);
                    b.push(match *f {
                        "exp" => Op::Exp(a),
                        "ln" => Op::Log(a),
                        "ln_1p" => Op::Log1p(a),
                        "exp_m1" => Op::Expm1(a),
                        "sqrt" => Op::Sqrt(a),
                        "abs" => Op::Abs(a),
                        "signum" => Op::Sign(a),
                        "sin" => Op::Sin(a),
                        "cos" => Op::Cos(a),
                        "atan" => Op::Atan(a),
                        "sinh" => Op::Sinh(a),
                        "cosh" => Op::Cosh(a),
                        "tanh" => Op::Tanh(a),
                        "asinh" => Op::Asinh(a),
                        "erf" => Op::Erf(a),
                        "erfi" => Op::Erfi(a),
                        other => return Err(CompileError::Unsupported(format!("function `{other}`"))),
                    })
                }
                SafeOp::Call2(f, a, c) => {
                    let (a, c) = (r(*a), r(*c));
                    b.push(match *f {
                        "min" => Op::Min(a, c),
                        "max" => Op::Max(a, c),
                        "powf" => Op::Pow(a, c),
                        other => return Err(CompileError::Unsupported(format!("function `{other}`"))),
                    })
                }
                SafeOp::Powi(a, k) => b.push(Op::Powi(r(*a), *k)),
                SafeOp::Mul(factors) => {
                    let mut acc = r(factors[0]);
                    for f in &factors[1..] {
                        acc = b.push(Op::Mul(acc, r(*f)));
                    }
                    acc
                }
                SafeOp::Cmp(sym, a, c) => {
                    let (a, c) = (r(*a), r(*c));
                    b.push(match *sym {
                        "<" => Op::Lt(a, c),
                        "<=" => Op::Le(a, c),
                        ">" => Op::Gt(a, c),
                        ">=" => Op::Ge(a, c),
                        other => return Err(CompileError::Unsupported(format!("comparison `{other}`"))),
                    })
                }
                SafeOp::Where(c, a, d) => b.push(Op::Where(r(*c), r(*a), r(*d))),
                // max(a, 0) + log1p(exp(-|a|)), as the emitters write it.
                SafeOp::Softplus(a) => {
                    let a = r(*a);
                    let abs = b.push(Op::Abs(a));
                    let neg = b.push(Op::Neg(abs));
                    let exp = b.push(Op::Exp(neg));
                    let tail = b.push(Op::Log1p(exp));
                    let zero = b.push(Op::Const(0.0));
                    let ramp = b.push(Op::Max(a, zero));
                    b.push(Op::Add(ramp, tail))
                }
                SafeOp::NegExpm1(a) => {
                    let e = b.push(Op::Expm1(r(*a)));
                    b.push(Op::Neg(e))
                }
            };
            regs[i] = reg;
        }
        let outputs = lowered.roots.iter().map(|&r| regs[usize::from(r)]).collect();
        Ok(Program { ops: b.ops, outputs, arity: vars.len() })
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
    pub fn eval_chunk(&self, s: &mut Scratch, vars: &[&[f32]], outs: &mut [&mut [f32]]) {
        let n = outs.first().map_or(0, |o| o.len());
        debug_assert!(n <= CHUNK);
        debug_assert_eq!(vars.len(), self.arity);
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
                Op::Const(c) => dst.fill(c),
                Op::Var(v) => {
                    for (d, &x) in dst.iter_mut().zip(&vars[v][..n]) {
                        *d = x as f64;
                    }
                }
                Op::Add(a, b) => bin!(a, b, |x: f64, y: f64| x + y),
                Op::Sub(a, b) => bin!(a, b, |x: f64, y: f64| x - y),
                Op::Mul(a, b) => bin!(a, b, |x: f64, y: f64| x * y),
                Op::Div(a, b) => bin!(a, b, |x: f64, y: f64| x / y),
                Op::Pow(a, b) => bin!(a, b, f64::powf),
                Op::Powi(a, k) => un!(a, |x: f64| x.powi(k)),
                Op::Neg(a) => un!(a, |x: f64| -x),
                Op::Exp(a) => un!(a, f64::exp),
                Op::Log(a) => un!(a, f64::ln),
                Op::Log1p(a) => un!(a, f64::ln_1p),
                Op::Expm1(a) => un!(a, f64::exp_m1),
                Op::Sqrt(a) => un!(a, f64::sqrt),
                Op::Abs(a) => un!(a, f64::abs),
                Op::Sign(a) => un!(a, |x: f64| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { x }),
                Op::Sin(a) => un!(a, f64::sin),
                Op::Cos(a) => un!(a, f64::cos),
                Op::Atan(a) => un!(a, f64::atan),
                Op::Sinh(a) => un!(a, f64::sinh),
                Op::Cosh(a) => un!(a, f64::cosh),
                Op::Tanh(a) => un!(a, f64::tanh),
                Op::Asinh(a) => un!(a, f64::asinh),
                Op::Erf(a) => un!(a, libm::erf),
                Op::Erfi(a) => un!(a, foil_compiler::eval::erfi),
                Op::Min(a, b) => bin!(a, b, f64::min),
                Op::Max(a, b) => bin!(a, b, f64::max),
                Op::Where(c, a, b) => {
                    let (c, a, b) = (g(c), g(a), g(b));
                    for e in 0..n {
                        dst[e] = if c[e] != 0.0 { a[e] } else { b[e] };
                    }
                }
                Op::Lt(a, b) => bin!(a, b, |x: f64, y: f64| (x < y) as u8 as f64),
                Op::Le(a, b) => bin!(a, b, |x: f64, y: f64| (x <= y) as u8 as f64),
                Op::Gt(a, b) => bin!(a, b, |x: f64, y: f64| (x > y) as u8 as f64),
                Op::Ge(a, b) => bin!(a, b, |x: f64, y: f64| (x >= y) as u8 as f64),
            }
        }
        for (k, &r) in self.outputs.iter().enumerate() {
            for (o, &v) in outs[k][..n].iter_mut().zip(&regs[r as usize][..n]) {
                *o = v as f32;
            }
        }
    }
}

/// Register file for [`Program::eval_chunk`] (one per thread).
pub struct Scratch {
    regs: Vec<[f64; CHUNK]>,
}

impl Scratch {
    pub fn new(p: &Program) -> Self {
        Scratch { regs: vec![[0.0f64; CHUNK]; p.ops.len()] }
    }
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
        let args: Vec<u32> = match op {
            Op::Const(_) | Op::Var(_) => return None,
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::Pow(a, b) | Op::Min(a, b)
            | Op::Max(a, b) | Op::Lt(a, b) | Op::Le(a, b) | Op::Gt(a, b) | Op::Ge(a, b) => vec![a, b],
            Op::Where(c, a, b) => vec![c, a, b],
            Op::Powi(a, _) | Op::Neg(a) | Op::Exp(a) | Op::Log(a) | Op::Log1p(a) | Op::Expm1(a) | Op::Sqrt(a)
            | Op::Abs(a) | Op::Sign(a) | Op::Sin(a) | Op::Cos(a) | Op::Atan(a) | Op::Sinh(a) | Op::Cosh(a)
            | Op::Tanh(a) | Op::Asinh(a) | Op::Erf(a) | Op::Erfi(a) => vec![a],
        };
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
        let local = match op {
            Op::Add(a, b) => Op::Add(m(a), m(b)),
            Op::Sub(a, b) => Op::Sub(m(a), m(b)),
            Op::Mul(a, b) => Op::Mul(m(a), m(b)),
            Op::Div(a, b) => Op::Div(m(a), m(b)),
            Op::Pow(a, b) => Op::Pow(m(a), m(b)),
            Op::Min(a, b) => Op::Min(m(a), m(b)),
            Op::Max(a, b) => Op::Max(m(a), m(b)),
            Op::Lt(a, b) => Op::Lt(m(a), m(b)),
            Op::Le(a, b) => Op::Le(m(a), m(b)),
            Op::Gt(a, b) => Op::Gt(m(a), m(b)),
            Op::Ge(a, b) => Op::Ge(m(a), m(b)),
            Op::Where(c, a, b) => Op::Where(m(c), m(a), m(b)),
            Op::Powi(a, k) => Op::Powi(m(a), k),
            Op::Neg(a) => Op::Neg(m(a)),
            Op::Exp(a) => Op::Exp(m(a)),
            Op::Log(a) => Op::Log(m(a)),
            Op::Log1p(a) => Op::Log1p(m(a)),
            Op::Expm1(a) => Op::Expm1(m(a)),
            Op::Sqrt(a) => Op::Sqrt(m(a)),
            Op::Abs(a) => Op::Abs(m(a)),
            Op::Sign(a) => Op::Sign(m(a)),
            Op::Sin(a) => Op::Sin(m(a)),
            Op::Cos(a) => Op::Cos(m(a)),
            Op::Atan(a) => Op::Atan(m(a)),
            Op::Sinh(a) => Op::Sinh(m(a)),
            Op::Cosh(a) => Op::Cosh(m(a)),
            Op::Tanh(a) => Op::Tanh(m(a)),
            Op::Asinh(a) => Op::Asinh(m(a)),
            Op::Erf(a) => Op::Erf(m(a)),
            Op::Erfi(a) => Op::Erfi(m(a)),
            Op::Const(_) | Op::Var(_) => unreachable!(),
        };
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
            assert!(
                (got[0] as f64 - want).abs() <= 1e-5 * want.abs().max(1.0),
                "{src} at {pt:?}: {} vs {want}",
                got[0]
            );
        }
    }

    #[test]
    fn matches_the_f64_reference() {
        let pts: Vec<Vec<f64>> = [-3.5, -1.0, -0.25, 0.0, 0.5, 2.0, 4.0].iter().map(|&x| vec![x]).collect();
        for src in ["tanh(x)", "x*sigmoid(x)", "gelu(x)", "where(x > 0, x, 0.01*x)", "x/2 + sinh(2*x)/4", "softplus(x)", "x^3 + 2^x", "atan(x) + erf(x) - abs(x)*sign(x)"] {
            check(src, &["x"], &pts);
        }
        let pts2: Vec<Vec<f64>> = vec![vec![0.1, -0.3, 0.7, 1.2], vec![-1.0, 2.0, 0.0, -0.5]];
        check("(exp(u1) - exp(-u2))/(exp(u3) + exp(-u4))", &["u1", "u2", "u3", "u4"], &pts2);
    }

    #[test]
    fn shares_subexpressions_across_outputs_and_folds_constants() {
        let f = foil_compiler::parse::parse("tanh(x) * (2 + 3)").unwrap();
        let d = foil_compiler::parse::parse("tanh(x) + 1").unwrap();
        let p = Program::compile(&[&f, &d], &["x"]).unwrap();
        // x, tanh, 5, mul, 1, add: tanh shared, 2+3 folded (the literals 2 and 3 stay as dead constants).
        assert!(p.len() <= 8, "{}", p.len());
        let mut out = [0.0; 2];
        p.eval(&[0.5], &mut out);
        assert!((out[0] - 5.0 * 0.5f32.tanh()).abs() < 1e-6 && (out[1] - 0.5f32.tanh() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unknown_variables_are_reported() {
        let e: Expr = "(+ x y)".parse().unwrap();
        assert!(matches!(Program::compile(&[&e], &["x"]), Err(CompileError::UnknownVariable(v, _)) if v == "y"));
    }
}
