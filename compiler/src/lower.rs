//! The safe-form lowering: expressions hash-consed into one node list and
//! each node given the operation that computes it without overflow or
//! cancellation in f32. Every code generator reads this typed form: the
//! macros' Rust and `#[cube]` code (`foil-codegen`), and the run-time
//! register programs and JIT kernels (`foil-burn`).
//!
//! The safe form is chosen here rather than in the IR, because the printed
//! form is picked for cost and readability, the emitted one for f32: `x^2`,
//! `x^3` become products, `log(1 + a)` becomes `log1p(a)`, `exp(a) - 1`
//! becomes `expm1(a)`, `log(1 + exp(a))` becomes the softplus form
//! `max(a, 0) + log1p(exp(-|a|))`, which never overflows, and `log(c +
//! exp(a))` the shifted one ([`shifted_softpluses`]), or with another such
//! logarithm subtracted, one `log1p` ([`differences_of_logarithms`]);
//! `k/e^a` is `k·e^-a` ([`reciprocal_exponentials`]), `log(k/d)` is
//! `log(k) - log(d)` and `log(k·d)` and `log(d/k)` likewise
//! ([`constant_factors_out_of_logarithms`]), and a logarithm or a
//! product of polynomials in one exponential takes that exponential's
//! largest power out on each side of 0
//! ([`logarithms_of_exponential_polynomials`],
//! [`products_of_exponential_polynomials`]); at a
//! root, a line plus a softplus of a line is one line on each side of the
//! kink plus a bounded tail ([`softplus_with_its_line`]), as a line plus an
//! absolute value of a line is ([`absolute_value_with_its_line`]), and a constant
//! below 1 goes onto the one exponential of a sum
//! ([`constant_onto_its_exponential`]); quotients of
//! exponential sums are divided through by their largest exponential (a
//! product of exponentials going into the numerators of the quotients it
//! multiplies), and a
//! difference of exponentials `e^a - e^c` becomes
//! `e^max(a, c)·sign(c - a)·expm1(-|c - a|)`, which keeps the digits the two
//! terms share (see [`cancellation_safe_differences`]). A product with an
//! exponential, `e^A·r`, becomes `h·(h·r)` with `h = e^(A/2)`, which
//! overflows only where the product does ([`halved_exponential_products`]),
//! quotients sharing a normalised denominator multiply by one
//! reciprocal ([`shared_reciprocals`]), and `tanh`, `sinh/cosh`,
//! `log(cosh)`, `c ± c·tanh` and divisions by `cosh` take one exponential
//! and stay finite and accurate as far as their values do
//! ([`safe_hyperbolics`]). A difference of two arctangents with equal
//! constant factors takes one ([`arctangent_differences`]),
//! a polynomial in x and `S = sqrt(k·x² + c)` whose terms cancel as
//! x → ±∞ (a squareplus's GA) is a Laurent polynomial in `(x + S/√k)/2`
//! ([`euler`]'s substitution), a quotient of polynomials and the logarithm
//! of an even one are evaluated in 1/x for |x| > 1 ([`rational`]), `sqrt(c + k·y²)` is `√k·|y|` for large |y|,
//! where y² would overflow, and likewise its other powers
//! ([`roots_of_large_squares`]), `1/(1 + a/b)` is `b/(b + a)`, one
//! division ([`unnested_reciprocals`]), and a constant |c| ≤ 1 times a sum
//! of scaled terms is the sum of the rescaled terms
//! ([`constant_factors_into_sums`]), as `c·y³` is `(c·y)·y²` for |c| < 1
//! ([`constants_onto_powers`]). A product with erfi, sinh, cosh or
//! `e^y - 1` that may pass f32::MAX is one operation, `m·f(a)`, that
//! overflows only where the product does, with a product over a sum holding
//! such a term distributed ([`scaled_products`]). Last, a root of one
//! variable whose terms still cancel near 0 by more than 128 ulps (a leaky
//! variant's GA, `100·x − 995.04·atan(0.0995·x)`) is a piecewise polynomial
//! fitted to it there ([`cancellation`]).
//!
//! ```
//! use foil_compiler::{lang::{Expr, Func}, lower::{lower_exprs, SafeOp}};
//! let f: Expr = "(log (+ 1 (exp x)))".parse().unwrap();
//! let lowered = lower_exprs(&[&f]);
//! let root = usize::from(lowered.roots[0]);
//! assert!(matches!(lowered.ops[root], SafeOp::Softplus(_)));
//! # let _ = Func::Exp;
//! ```

use crate::build::Builder;
use crate::interval::I;
use crate::lang::{literal_value, root, Cmp, Expr, Func, Math};
use egg::{Id, Language};
use std::collections::HashMap;

mod cancellation;
mod euler;
mod exponential_polynomials;
use exponential_polynomials::{logarithms_of_exponential_polynomials, products_of_exponential_polynomials};
mod quotients;
use quotients::normalise_exp_quotients;
mod rational;

/// Several expressions hash-consed into one node list and lowered to their
/// numerically safe operations: what every emitter (the macros' code, and
/// the runtime's register programs for run-time kernels) is generated from.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The shared nodes; operands precede their users.
    pub nodes: Expr,
    /// One [`SafeOp`] per node of `nodes`, same index.
    pub ops: Vec<SafeOp>,
    /// The node of each input expression, in order.
    pub roots: Vec<Id>,
    /// Whether a root reaches the node through `ops` (a rewrite such as
    /// `ln_1p` can make the `1 + a` node dead).
    pub live: Vec<bool>,
}

impl Lowered {
    /// Every root at one point, in f64, through the safe operations: what
    /// the kernels compute, at f64's precision. Where the IR as written
    /// overflows f64 (`log(e^y + c)` from y ≈ 709.8, inf - inf beyond), this
    /// is its value; [`crate::verify`] asks it before calling a NaN of the
    /// IR a g that is not real.
    ///
    /// ```
    /// use foil_compiler::{lower::lower_exprs, parse::parse};
    /// let g = parse("log(exp(2*x) + 0.5) - log(exp(2*x) + 2)").unwrap();
    /// assert!(foil_compiler::eval::eval1(&g, "x", 400.0).is_nan());
    /// let v = lower_exprs(&[&g]).eval(&["x".into()], &[400.0]);
    /// assert!(v[0].abs() < 1e-12);
    /// ```
    pub fn eval(&self, names: &[egg::Symbol], point: &[f64]) -> Vec<f64> {
        use crate::eval::apply;
        let mut v = vec![f64::NAN; self.ops.len()];
        for (i, op) in self.ops.iter().enumerate() {
            if !self.live[i] {
                continue;
            }
            let a = |id: &Id| v[usize::from(*id)];
            v[i] = match op {
                SafeOp::Leaf => match &self.nodes[Id::from(i)] {
                    Math::Var(s) => names.iter().position(|n| n == s).map_or(f64::NAN, |k| point[k]),
                    leaf => literal_value(leaf).unwrap_or(f64::NAN),
                },
                SafeOp::Add(p, q) => a(p) + a(q),
                SafeOp::Sub(p, q) => a(p) - a(q),
                SafeOp::Mul(p, q) => a(p) * a(q),
                SafeOp::Div(p, q) => a(p) / a(q),
                SafeOp::Neg(p) => -a(p),
                SafeOp::Call(f, p) => apply(*f, a(p)),
                SafeOp::Min(p, q) => a(p).min(a(q)),
                SafeOp::Max(p, q) => a(p).max(a(q)),
                SafeOp::Powf(p, q) => a(p).powf(a(q)),
                SafeOp::Powi(p, k) => a(p).powi(*k),
                SafeOp::Product(fs) => fs.iter().map(|f| a(f)).product(),
                SafeOp::Compare(c, p, q) => {
                    let (x, y) = (a(p), a(q));
                    let holds = match c {
                        Cmp::Lt => x < y,
                        Cmp::Le => x <= y,
                        Cmp::Gt => x > y,
                        Cmp::Ge => x >= y,
                    };
                    holds as u8 as f64
                }
                SafeOp::Where(c, p, q) => {
                    if a(c) != 0.0 {
                        a(p)
                    } else {
                        a(q)
                    }
                }
                SafeOp::Softplus(p) => {
                    let x = a(p);
                    x.max(0.0) + (-x.abs()).exp().ln_1p()
                }
                SafeOp::NegExpm1(p) => -a(p).exp_m1(),
                SafeOp::Times(f, p, m) => match (a(p), a(m)) {
                    (x, m) if m == 0.0 && !x.is_nan() => 0.0,
                    (x, m) => m * apply(*f, x),
                },
            };
        }
        self.roots.iter().map(|r| v[usize::from(*r)]).collect()
    }
}

/// Whether each node of `lowered` may exceed 2¹²⁵ in magnitude for some
/// f32 inputs (every variable over [-f32::MAX, f32::MAX], by
/// [`crate::interval::eval_nodes`]; an invalid enclosure counts as may).
/// Vulkan specifies f32 division only for divisors up to 2¹²⁶, so device
/// code guards a division by such a node and divides plainly by the rest
/// (2¹²⁵ leaves a factor 2 for f32 rounding). `1 + e^(-|x|)` stays in
/// [1, 2]; `sqrt(1 + x²)` does not.
pub fn beyond_division_range(lowered: &Lowered) -> Vec<bool> {
    f32_enclosures(&lowered.nodes).into_iter().map(|r| may_exceed(r, 2f64.powi(125))).collect()
}

/// An enclosure of each node of `expr` over every f32 input (each variable
/// over [-f32::MAX, f32::MAX]); invalid where the intervals give none.
fn f32_enclosures(expr: &Expr) -> Vec<I> {
    let f32_line = I::new(-(f32::MAX as f64), f32::MAX as f64);
    crate::interval::eval_nodes(expr, &|_| f32_line)
}

/// The same for node `id` of the builder alone.
fn f32_enclosure(b: &Builder, id: Id) -> I {
    f32_enclosures(&b.finish_at(id)).last().copied().unwrap_or(I::NAI)
}

/// Whether a value enclosed by `r` may exceed `limit` in magnitude (no
/// enclosure: it may).
fn may_exceed(r: I, limit: f64) -> bool {
    !r.is_valid() || r.mag() > limit
}

/// Hash-cons `exprs` into one node list (a parsed or hand-built RecExpr may
/// repeat a subtree, and the outputs of a gradient share most of theirs) and
/// pick the safe f32 form of every node.
pub fn lower_exprs(exprs: &[&Expr]) -> Lowered {
    let mut b = Builder::new();
    let roots: Vec<Id> = exprs.iter().map(|e| b.copy(e, root(e))).collect();
    let roots = exact_rewrites(&mut b, &roots, true);
    let roots: Vec<Id> = roots.iter().map(|&r| linear_root(&mut b, r)).collect();
    let roots = cancellation_safe_differences(&mut b, &roots);
    let roots = one_exponential_per_normalised_pair(&mut b, &roots);
    let roots = halved_exponential_products(&mut b, &roots);
    let roots = complementary_choices(&mut b, &roots);
    let roots = shared_reciprocals(&mut b, &roots);
    let roots = unsplit_lone_squares(&mut b, &roots);
    let roots = half_integer_powers(&mut b, &roots);
    let roots = euler::euler_substitution(&mut b, &roots);
    let roots = rational::polynomials_at_large_arguments(&mut b, &roots);
    // Before the roots take their f32 forms, whose enclosures reach 0.
    let roots = products_over_large_divisors(&mut b, &roots);
    let roots = constants_out_of_divisors(&mut b, &roots);
    let roots = roots_of_large_squares(&mut b, &roots);
    let roots = arctangent_differences(&mut b, &roots);
    let roots = unnested_reciprocals(&mut b, &roots);
    let roots = constant_factors_into_sums(&mut b, &roots);
    let roots = constant_divisors_as_products(&mut b, &roots);
    let roots = constants_onto_powers(&mut b, &roots);
    let roots = scaled_products(&mut b, &roots);
    let roots = cancellation::polynomials_where_terms_cancel(&mut b, &roots);
    let roots = constant_operations_as_literals(&mut b, &roots);
    let nodes = b.nodes().clone();
    let mut ops = lower(&nodes);
    let mut live = live_nodes(&ops, &roots);
    if reuse_exponentials(&nodes, &mut ops, &live) {
        live = live_nodes(&ops, &roots);
    }
    Lowered { nodes, ops, roots, live }
}

/// The worst first-order estimate of the f32 rounding error of `g` (a
/// function of `var`) as lowered, what the kernels compute, at `points`:
/// in units of 2⁻²⁴·max(1, |g|) (f32 ulps on SPEC §5's scale), where g
/// fits f32, relative to what rounding its input costs any form of g
/// (`g_prime` gives that). A closed form whose terms cancel over a long
/// range (the GA of `asinh(x) + 0.05*x` holds 20·x and −400·asinh(x), to
/// x ≈ 100 and beyond, past what [`cancellation`] fits near 0) reads
/// thousands. Judged where that fit looks and out to ±1e6
/// ([`cancellation::worst_rounding`]).
pub fn worst_f32_rounding(g: &Expr, g_prime: &Expr, var: &str) -> f64 {
    let lowered = lower_exprs(&[g]);
    cancellation::worst_rounding(&crate::build::subtree(&lowered.nodes, lowered.roots[0]), g_prime, egg::Symbol::from(var))
}

/// `exprs` rewritten by the lowering's exact identities alone, each node
/// still a real function of the inputs: logarithms of exponential sums as
/// softpluses and their differences as one `log1p`
/// ([`differences_of_logarithms`], [`shifted_softpluses`]), hyperbolic forms in one exponential
/// ([`safe_hyperbolics`]), complementary fractions, and quotients of
/// exponential sums divided through by their largest exponential
/// ([`normalise_exp_quotients`]). No f32 threshold (`roots_of_large_squares`,
/// clamped arctangents) and no rounded constant enters, so an interval
/// evaluation of the result encloses the inputs' values; and it stays
/// finite where they are: `e^x/(e^x + 2.6)` is inf/inf in f64 from
/// x ≈ 709.8, its divided form `1/(1 + 2.6·e^-x)` is not. What the
/// certificate evaluates on tails to infinity ([`crate::certify`]).
/// Returns the nodes and each input's root.
pub fn overflow_safe_forms(exprs: &[&Expr]) -> (Expr, Vec<Id>) {
    let mut b = Builder::new();
    let roots: Vec<Id> = exprs.iter().map(|e| b.copy(e, root(e))).collect();
    let roots = exact_rewrites(&mut b, &roots, false);
    (b.nodes().clone(), roots)
}

/// The passes [`overflow_safe_forms`] names, in the order [`lower_exprs`]
/// runs them first; with `f32_guards`, as [`lower_exprs`] runs them, the
/// products with a sech that may underflow in f32 ([`safe_hyperbolics`])
/// are guarded too (a `where` no interval evaluation needs, and which
/// widens one: it is not an identity of the values).
fn exact_rewrites(b: &mut Builder, roots: &[Id], f32_guards: bool) -> Vec<Id> {
    let roots = &reciprocal_exponentials(b, roots);
    let roots = &constant_factors_out_of_logarithms(b, roots);
    // Both logarithm passes only where a logarithm of a sum is (a scan, not
    // two rebuilds of every expression lowered).
    let log_of_sum = b.nodes().as_ref().iter().any(|n| matches!(n, Math::Call(Func::Log, a) if matches!(b.node(*a), Math::Add(_))));
    let roots = if log_of_sum {
        let roots = differences_of_logarithms(b, roots);
        let roots = shifted_softpluses(b, &roots);
        logarithms_of_exponential_polynomials(b, &roots)
    } else {
        roots.to_vec()
    };
    let roots = safe_hyperbolics(b, &roots, f32_guards);
    let roots = complementary_fractions(b, &roots);
    let roots = normalise_exp_quotients(b, &roots);
    products_of_exponential_polynomials(b, &roots)
}

/// `k/e^A` as `k·e^-A` (and `k/(e^A)^n` as `k·e^(-n·A)`): one operation instead of two, and no overflow where
/// e^A is subnormal (`tanh(x) + tanh(2x)`'s g holds `-0.125/e^2x`, whose
/// 1/e^2x passed f32::MAX from x = -44.46 where the value fits to about
/// -45.4; as `0.125·e^-2x` the halving of products with an exponential
/// takes it).
fn reciprocal_exponentials(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([k, d]) = node else { return b.add(node) };
        // e^A, or (e^A)^n with n whole: e^(-n·A).
        let (e, n) = match *b.node(d) {
            Math::Pow([e, n]) => (e, b.value(n).filter(|n| n.fract() == 0.0 && n.abs() <= 8.0)),
            _ => (d, Some(1.0)),
        };
        match (constant_value(b, k), b.node(e).clone(), n) {
            (Some(v), Math::Call(Func::Exp, a), Some(n)) if v.is_finite() => {
                let minus_n = b.num(-n);
                let exponent = b.mul(minus_n, a);
                let e = b.call(Func::Exp, exponent);
                b.mul(k, e)
            }
            _ => b.add(node),
        }
    })
}

/// The terms of a linear combination at `id`, read through sums,
/// differences, negations and products with a constant, each with its
/// coefficient (times `c`).
fn linear_combination(b: &Builder, id: Id, c: f64, out: &mut Vec<(f64, Id)>) {
    match *b.node(id) {
        Math::Add([p, q]) => {
            linear_combination(b, p, c, out);
            linear_combination(b, q, c, out);
        }
        Math::Sub([p, q]) => {
            linear_combination(b, p, c, out);
            linear_combination(b, q, -c, out);
        }
        Math::Neg(p) => linear_combination(b, p, -c, out),
        Math::Div([p, q]) => match constant_value(b, q) {
            Some(v) if v != 0.0 && (c / v).is_finite() => linear_combination(b, p, c / v, out),
            _ => out.push((c, id)),
        },
        Math::Mul(factors) => match constant_times(b, factors) {
            Some((k, t)) => linear_combination(b, t, c * k, out),
            None => out.push((c, id)),
        },
        _ => out.push((c, id)),
    }
}

/// `(variable, slope, intercept)` of a line in one variable at `id`, read
/// as a [`linear_combination`]; `None` for anything else, or a constant.
fn line(b: &Builder, id: Id) -> Option<(egg::Symbol, f64, f64)> {
    let mut terms = Vec::new();
    linear_combination(b, id, 1.0, &mut terms);
    let (var, slope, intercept) = line_of_terms(b, &terms)?;
    Some((var?, slope, intercept)).filter(|(_, k, _)| *k != 0.0)
}

/// The terms of a [`linear_combination`] as `(variable, slope, intercept)`
/// where each is a constant or one same variable (`None` as the variable
/// where there is none); `None` for anything else or a value not finite.
fn line_of_terms(b: &Builder, terms: &[(f64, Id)]) -> Option<(Option<egg::Symbol>, f64, f64)> {
    let (mut var, mut slope, mut intercept) = (None, 0.0, 0.0);
    for &(c, t) in terms {
        match (b.node(t), constant_value(b, t)) {
            (_, Some(v)) => intercept += c * v,
            (Math::Var(s), None) if var.is_none_or(|v| v == *s) => {
                var = Some(*s);
                slope += c;
            }
            _ => return None,
        }
    }
    (slope.is_finite() && intercept.is_finite()).then_some((var, slope, intercept))
}

/// A root read once as a [`linear_combination`], rewritten by
/// [`softplus_with_its_line`], [`absolute_value_with_its_line`] or
/// [`constant_onto_its_exponential`] (the first that applies), or kept.
fn linear_root(b: &mut Builder, root: Id) -> Id {
    let mut terms = Vec::new();
    linear_combination(b, root, 1.0, &mut terms);
    softplus_with_its_line(b, &terms).or_else(|| absolute_value_with_its_line(b, &terms)).or_else(|| constant_onto_its_exponential(b, &terms)).unwrap_or(root)
}

/// A line plus one absolute value of a line plus other terms, `α·x + β +
/// c·|k·x + z₀| + r` with α ≠ 0 (the terms of an expression's root), as
/// `where(z ≥ 0, (α + c·k)·x + β + c·z₀, (α - c·k)·x + β - c·z₀) + r`: the
/// two lines collected on each side of the kink. As written they cancel
/// where their sum is small and overflow where it is not: `logcosh(x) +
/// x`, lowered `(|x| + log1p(…)) + x`, lost |x|'s rounding to the sum near
/// -log 2 (3e-5 off at x = -515, growing with |x|), and `(x + abs(x))/2 +
/// 0.01*x` was inf past f32::MAX/2, where its value is 1.01·x. `None`
/// where the terms are no such sum.
fn absolute_value_with_its_line(b: &mut Builder, terms: &[(f64, Id)]) -> Option<Id> {
    let (mut absolute, mut line_terms, mut rest) = (None, Vec::new(), Vec::new());
    for &(c, t) in terms {
        match *b.node(t) {
            Math::Call(Func::Abs, z) if absolute.is_none() && line(b, z).is_some() => absolute = Some((c, z)),
            _ if constant_value(b, t).is_some() || matches!(b.node(t), Math::Var(_)) => line_terms.push((c, t)),
            _ => rest.push((c, t)),
        }
    }
    let (c, z) = absolute?;
    let (x, k, z0) = line(b, z)?;
    let (var, alpha, beta) = line_of_terms(b, &line_terms)?;
    if var != Some(x) || alpha == 0.0 || !c.is_finite() {
        return None;
    }
    let x = b.add(Math::Var(x));
    let above = line_at(b, x, alpha + c * k, beta + c * z0);
    let below = line_at(b, x, alpha - c * k, beta - c * z0);
    let zero = b.num(0.0);
    let non_negative = b.add(Math::Compare(Cmp::Ge, [z, zero]));
    let piece = b.add(Math::Where([non_negative, above, below]));
    let rest: Vec<Id> = rest
        .into_iter()
        .map(|(c, t)| {
            let c = b.num(c);
            b.mul(c, t)
        })
        .collect();
    Some(b.sum(std::iter::once(piece).chain(rest)))
}

/// `slope·x + intercept`, without a term that is 0.
fn line_at(b: &mut Builder, x: Id, slope: f64, intercept: f64) -> Id {
    let (slope, intercept) = (b.num(slope), b.num(intercept));
    let sx = b.mul(slope, x);
    b.add_(sx, intercept)
}

/// A line plus one softplus of a line, `α·x + β + c·softplus(k·x + z₀)`
/// (the terms of an expression's root), as `where(z ≥ 0, (α + c·k)·x + β + c·z₀,
/// α·x + β) + c·softplus(-|z|)` with z = k·x + z₀: `softplus(z) = max(z, 0)
/// + log1p(e^-|z|)` with its linear part collected into the line's. As
/// written, the terms' own lines overflow where the sum does not and
/// cancel where it is small: `x - e^(-2x)`'s g, `0.5·(log 2 + softplus(2x -
/// log 2)) - …`, was inf past f32::MAX/2, where 2x overflows, and
/// `softplus(x) + 0.1·x`'s, `10·x - (100/11)·softplus(x + 2.40) + …`, past
/// f32::MAX/10, with 10·x − 9.09·x cancelling eleven-fold on the way. Only
/// where that happens: α ≠ 0 or |k| > 1 (a softplus alone keeps its form).
/// `None` where the terms are no such sum.
fn softplus_with_its_line(b: &mut Builder, terms: &[(f64, Id)]) -> Option<Id> {
    let mut softplus = None;
    let mut rest = Vec::new();
    for &(c, t) in terms {
        match softplus_argument(b, t) {
            Some(z) if softplus.is_none() => softplus = Some((c, z)),
            _ => rest.push((c, t)),
        }
    }
    let (c, z) = softplus?;
    let (x, k, z0) = line(b, z)?;
    let (var, alpha, beta) = line_of_terms(b, &rest)?;
    if var.is_some_and(|v| v != x) || (alpha == 0.0 && k.abs() <= 1.0) || !c.is_finite() {
        return None;
    }
    let x = b.add(Math::Var(x));
    let above = line_at(b, x, alpha + c * k, beta + c * z0);
    let below = line_at(b, x, alpha, beta);
    let zero = b.num(0.0);
    let non_negative = b.add(Math::Compare(Cmp::Ge, [z, zero]));
    let piece = b.add(Math::Where([non_negative, above, below]));
    let tail_argument = minus_abs(b, z);
    let tail = softplus_of(b, tail_argument);
    let c = b.num(c);
    let scaled_tail = b.mul(c, tail);
    Some(b.add(Math::Add([piece, scaled_tail])))
}

/// The terms of a root's linear combination with an exponential term `c·e^A`,
/// |c| < 1, where e^A may pass f32::MAX, rebuilt with each coefficient on
/// its term (`Σ cᵢ·tᵢ`, its constants as one literal), so that the halving
/// of a product with an exponential ([`halved_exponential_products`]) takes
/// it: `softplus(2x)/2`'s g, `x + 0.5·(1.69 - e^-2x)`, was -inf from
/// x = -44.36, where e^-2x overflowed before the 0.5 brought it back (the
/// value fits to -44.7); `tanh(x) + tanh(2x)`'s, with `0.125·(e^2x -
/// e^-2x)` among logarithms and arctangents, was inf from 44.46 (fits to
/// about 45.4). Terms of coefficient 1 stay as they are; `None` for any
/// other root.
fn constant_onto_its_exponential(b: &mut Builder, terms: &[(f64, Id)]) -> Option<Id> {
    // Like terms merged, in order; the constants apart.
    let (mut merged, mut constant): (Vec<(f64, Id)>, f64) = (Vec::new(), 0.0);
    for &(c, t) in terms {
        match (constant_value(b, t), merged.iter_mut().find(|(_, u)| *u == t)) {
            (Some(v), _) => constant += c * v,
            (None, Some(m)) => m.0 += c,
            (None, None) => merged.push((c, t)),
        }
    }
    // An exponential scaled below 1 that may pass f32::MAX on its own.
    let scaled_down = |b: &Builder, (c, t): (f64, Id)| {
        matches!(b.node(t), Math::Call(Func::Exp, _)) && c.abs() < 1.0 && c != 0.0 && may_exceed(f32_enclosure(b, t), f32::MAX as f64)
    };
    if !constant.is_finite() || !merged.iter().any(|&term| scaled_down(b, term)) {
        return None;
    }
    let mut parts: Vec<(Id, bool)> = Vec::new();
    for (c, t) in merged.into_iter().filter(|(c, _)| *c != 0.0) {
        let magnitude = b.num(c.abs());
        parts.push((b.mul(magnitude, t), c < 0.0));
    }
    if constant != 0.0 {
        parts.push((b.num(constant.abs()), constant < 0.0));
    }
    Some(signed_sum(b, parts))
}

/// Hyperbolic functions in forms that cost one exponential and stay finite
/// wherever their value is:
///
/// - `c ± c·tanh(z)` in a sum as `2c/(1 + e^(∓2z))` ([`tanh_plus_one`]);
/// - `tanh(s)` of a softplus `s = log(1 + e^a)` (mish's `tanh(softplus(x))`)
///   as `N/D`, and a division by `cosh(s)` (mish's derivative divides by
///   `cosh(s)^2`) as a product with `1/cosh(s) = 2P/D`, all in `e = e^-|a|`:
///   with `E = e^a`, `tanh(s) = E(E + 2)/(E(E + 2) + 2)` and `1/cosh(s) =
///   2(1 + E)/((1 + E)^2 + 1)`, multiplied through by the power of `e` that
///   keeps every term ≤ 2 (`e^2` for a ≥ 0): `N = where(a ≥ 0, 1 + 2e,
///   e(2 + e))`, `D = N + where(a ≥ 0, 2e², 2)`, `P = (1 + e)·where(a ≥ 0,
///   e, 1)`. Every term is positive, so nothing cancels; the softplus form
///   followed by `tanh`'s `expm1` costs two exponentials and a logarithm.
/// - A division by `cosh(z)^k` otherwise (tanh's and gelu_tanh's
///   derivatives) as a product with `sech(z)^k`, `sech(z) = 2h/(1 + h²)`,
///   `h = e^-|z|`: one division instead of cosh's own and the quotient's,
///   and no cosh² to overflow from |z| ≈ 44.7 where the quotient is merely
///   small.
/// - `sinh(z)/cosh(z)` (logcosh's derivative) as `tanh(z)`: inf/inf = NaN
///   from |z| ≈ 89.4, where tanh is ±1.
/// - `log(cosh(z))` as `|z| + log1p(expm1(-2|z|)/2)`: `cosh` overflows from
///   |z| ≈ 89.4, where logcosh is about |z| - log 2. Near 0 the sum cancels
///   to an absolute error of about ulp(|z|), where logcosh ≈ z²/2 (SPEC
///   §5's scale is absolute below 1; `log` of a rounded `cosh` was no
///   better: cosh(1e-4) is 1 in f32).
///
/// With `f32_guards` (the kernels' lowering, not [`overflow_safe_forms`]),
/// a product of such a sech with a factor that may pass f32::MAX is 0 where
/// the sech underflowed to 0, not inf·0 = NaN ([`zero_where_underflowed`]).
///
/// `cosh(s)` itself is left alone: as `D/(2P)` it would be `1/(2e)`,
/// infinite once `e` is subnormal (a > 87.3; GPUs flush it to 0) where
/// `cosh(s)` still fits in f32 (to a ≈ 89.4); as a divisor, a subnormal `e`
/// only makes a quotient below f32's normal range anyway.
fn safe_hyperbolics(b: &mut Builder, roots: &[Id], f32_guards: bool) -> Vec<Id> {
    // Each product with a sech (a division by cosh rewritten below), and
    // that sech factor.
    let mut sech_products: HashMap<Id, Id> = HashMap::new();
    rebuild_bottom_up(b, roots, |b, node| match node {
        Math::Call(Func::Tanh, s) => match softplus_argument(b, s) {
            Some(a) => {
                let (n, d, _) = softplus_quotients(b, a);
                b.add(Math::Div([n, d]))
            }
            None => b.add(node),
        },
        Math::Add(_) | Math::Sub(_) => {
            let id = b.add(node);
            tanh_plus_one(b, id)
        }
        Math::Call(Func::Log, c) => match *b.node(c) {
            Math::Call(Func::Cosh, z) => {
                let abs = b.add(Math::Call(Func::Abs, z));
                let minus_two = b.num(-2.0);
                let exponent = b.add(Math::Mul([minus_two, abs]));
                let t = b.add(Math::Call(Func::Expm1, exponent));
                let two = b.num(2.0);
                let half_t = b.add(Math::Div([t, two]));
                let log = b.add(Math::Call(Func::Log1p, half_t));
                b.add(Math::Add([abs, log]))
            }
            _ => b.add(node),
        },
        Math::Div([num, den]) => {
            // cosh(z) or cosh(z)^k.
            let (cosh, power) = match *b.node(den) {
                Math::Pow([c, k]) => (c, Some(k)),
                _ => (den, None),
            };
            let Math::Call(Func::Cosh, z) = *b.node(cosh) else { return b.add(node) };
            if power.is_none() && *b.node(num) == Math::Call(Func::Sinh, z) {
                return b.add(Math::Call(Func::Tanh, z));
            }
            let sech = match softplus_argument(b, z) {
                Some(a) => {
                    let (_, d, p) = softplus_quotients(b, a);
                    let two = b.num(2.0);
                    let two_p = b.add(Math::Mul([two, p]));
                    b.add(Math::Div([two_p, d]))
                }
                None => {
                    let neg_abs = minus_abs(b, z);
                    let h = b.add(Math::Call(Func::Exp, neg_abs));
                    let (one, two) = (b.num(1.0), b.num(2.0));
                    let two_h = b.add(Math::Mul([two, h]));
                    let h_squared = b.add(Math::Mul([h, h]));
                    let den = b.add(Math::Add([one, h_squared]));
                    b.add(Math::Div([two_h, den]))
                }
            };
            let factor = match power {
                Some(k) => b.add(Math::Pow([sech, k])),
                None => sech,
            };
            // A numerator that may pass f32::MAX meets a sech that has
            // underflowed to 0 there, and inf·0 is NaN: gelu_tanh's f′ holds
            // `x·(√(2/π)·(1 + 0.134x²))·sech²(z)`, NaN from x = 1.5e13 where
            // it is 1. The product of a sech of 0 is taken as 0.
            let product = b.mul(num, factor);
            let product = if f32_guards && may_exceed(f32_enclosure(b, num), f32::MAX as f64) { zero_where_underflowed(b, factor, product) } else { product };
            sech_products.insert(product, factor);
            product
        }
        // Likewise a factor that may pass f32::MAX times such a product:
        // gelu_tanh's HD-FGD partial `√(2/π)·(1 + 0.134·u2²)·(0.5·u1/cosh²(z))`
        // was NaN from u2 ≈ 5.6e19, where it is 0.
        Math::Mul([p, q]) => {
            let id = b.add(node);
            let (factor, other) = match (sech_products.get(&p), sech_products.get(&q)) {
                (Some(&factor), None) => (factor, q),
                (None, Some(&factor)) => (factor, p),
                _ => return id,
            };
            let product = if f32_guards && may_exceed(f32_enclosure(b, other), f32::MAX as f64) { zero_where_underflowed(b, factor, id) } else { id };
            sech_products.insert(product, factor);
            product
        }
        node => b.add(node),
    })
}

/// `where(factor ≤ 0, 0, product)`: a product of a sech that underflowed
/// to 0 with a factor that may have overflowed is 0, not inf·0 = NaN (a
/// NaN input stays NaN: NaN ≤ 0 is false).
fn zero_where_underflowed(b: &mut Builder, factor: Id, product: Id) -> Id {
    let zero = b.num(0.0);
    let underflowed = b.add(Math::Compare(Cmp::Le, [factor, zero]));
    b.add(Math::Where([underflowed, zero, product]))
}

/// The sum at `id` with a pair of terms `c ± c·tanh(z)` written as
/// `2c/(1 + e^(∓2z))` (gelu_tanh's `1 + tanh(z)` and its HD-FGD partial
/// `0.5 + 0.5·tanh(z)`): one exponential, and no cancellation where
/// `tanh(z) → ∓1`, where the sum is `2c·e^(±2z)` (gelu_tanh(-7.2) is 1e-13,
/// not 0); the quotient is then normalised like any sigmoid. `id` itself
/// when there is no such pair.
fn tanh_plus_one(b: &mut Builder, id: Id) -> Id {
    let mut terms = Vec::new();
    signed_terms(b, id, &mut terms);
    let signed = |v: f64, negative: bool| if negative { -v } else { v };
    // A term k·tanh(z) as (k, z).
    let tanh_term = |b: &Builder, (t, negative): (Id, bool)| -> Option<(f64, Id)> {
        match *b.node(t) {
            Math::Call(Func::Tanh, z) => Some((signed(1.0, negative), z)),
            Math::Mul([p, q]) => match (b.value(p), b.node(q), b.value(q), b.node(p)) {
                (Some(k), &Math::Call(Func::Tanh, z), _, _) | (_, _, Some(k), &Math::Call(Func::Tanh, z)) => Some((signed(k, negative), z)),
                _ => None,
            },
            _ => None,
        }
    };
    for i in 0..terms.len() {
        let Some(c) = b.value(terms[i].0).map(|v| signed(v, terms[i].1)) else { continue };
        if c == 0.0 || !c.is_finite() {
            continue;
        }
        let Some((j, (k, z))) = (0..terms.len()).filter(|&j| j != i).find_map(|j| tanh_term(b, terms[j]).filter(|(k, _)| k.abs() == c.abs()).map(|t| (j, t)))
        else {
            continue;
        };
        // c + c·tanh(z) = 2c/(1 + e^-2z); c - c·tanh(z) = 2c/(1 + e^2z).
        let factor = b.num(if k == c { -2.0 } else { 2.0 });
        let exponent = b.add(Math::Mul([factor, z]));
        let e = b.add(Math::Call(Func::Exp, exponent));
        let one = b.num(1.0);
        let den = b.add(Math::Add([one, e]));
        let two_c = b.num(2.0 * c);
        let quotient = b.add(Math::Div([two_c, den]));
        let rest = terms.iter().enumerate().filter(|&(n, _)| n != i && n != j).map(|(_, t)| *t);
        return signed_sum(b, std::iter::once((quotient, false)).chain(rest));
    }
    id
}

/// `N`, `D` and `P` of [`safe_hyperbolics`] for the softplus of `a`.
fn softplus_quotients(b: &mut Builder, a: Id) -> (Id, Id, Id) {
    let neg_abs = minus_abs(b, a);
    let e = b.add(Math::Call(Func::Exp, neg_abs));
    let zero = b.num(0.0);
    let positive = b.add(Math::Compare(Cmp::Ge, [a, zero]));
    let (one, two) = (b.num(1.0), b.num(2.0));
    let two_e = b.add(Math::Mul([two, e]));
    let n_positive = b.add(Math::Add([one, two_e]));
    let two_plus_e = b.add(Math::Add([two, e]));
    let n_negative = b.add(Math::Mul([e, two_plus_e]));
    let n = b.add(Math::Where([positive, n_positive, n_negative]));
    let two_e_squared = b.add(Math::Mul([two_e, e]));
    let rest = b.add(Math::Where([positive, two_e_squared, two]));
    let d = b.add(Math::Add([n, rest]));
    let one_plus_e = b.add(Math::Add([one, e]));
    let choice = b.add(Math::Where([positive, e, one]));
    let p = b.add(Math::Mul([one_plus_e, choice]));
    (n, d, p)
}

/// `log(a + e^y) - log(c + e^y)` (constants a, c > 0, one y; also as
/// `-log(c + e^y) + log(a + e^y)`) as `log1p((a - c)/(e^y + c))`: one
/// exponential, nothing subtracted but the literals. Where a < c/2 the
/// quotient q nears −1 as e^y ≪ a, and log1p there multiplies q's rounding
/// by 1/(1 + q): for q ≤ −1/2 it is `log((e^y + a)/(e^y + c))` instead
/// (`x + 0.001·sinh(x)`'s g, a = 5e-4 and c = 2000, was 2e-2 off at
/// x = −10). Two shifted softpluses
/// ([`shifted_softpluses`]) would be inf - inf where y overflows f32 (2x
/// for x past 1.7e38 in `x + tanh(x)`'s g), and cancel to the difference
/// before that. Likewise `y - log(c + e^y)` is `-log(1 + e^(log(c) - y))`,
/// a softplus: y minus a shifted softplus cancels to c·e^-y (x + 2e^x's g
/// was 1.3e-5 off at x = 511).
fn differences_of_logarithms(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let (plus, minus) = match node {
            Math::Sub([p, q]) => (p, q),
            Math::Add([p, q]) => match (b.node(p).clone(), b.node(q).clone()) {
                (Math::Neg(m), _) => (q, m),
                (_, Math::Neg(m)) => (p, m),
                _ => return b.add(node),
            },
            _ => return b.add(node),
        };
        // y - log(c + e^y) = -log(1 + c·e^-y): a softplus of log(c) - y,
        // where the difference cancels to c·e^-y (x + 2e^x's g).
        if let Some((c, _, y)) = log_of_constant_plus_exp(b, minus).filter(|&(_, _, y)| y == plus) {
            let l = b.add(Math::Call(Func::Log, c));
            let z = b.add(Math::Sub([l, y]));
            let softplus = softplus_of(b, z);
            return b.add(Math::Neg(softplus));
        }
        let (Some((a, a_value, y)), Some((c, c_value, y2))) = (log_of_constant_plus_exp(b, plus), log_of_constant_plus_exp(b, minus)) else {
            return b.add(node);
        };
        if y != y2 {
            return b.add(node);
        }
        let difference = b.add(Math::Sub([a, c]));
        let e = b.add(Math::Call(Func::Exp, y));
        let denominator = b.add(Math::Add([e, c]));
        let quotient = b.add(Math::Div([difference, denominator]));
        let log1p = b.add(Math::Call(Func::Log1p, quotient));
        if a_value >= 0.5 * c_value {
            return log1p;
        }
        // The quotient nears −1 where e^y ≪ a < c/2, and log1p amplifies
        // its rounding there by 1/(1 + q); the ratio itself does not cancel.
        let numerator = b.add(Math::Add([e, a]));
        let ratio = b.add(Math::Div([numerator, denominator]));
        let log = b.add(Math::Call(Func::Log, ratio));
        let minus_half = b.num(-0.5);
        let near_one = b.add(Math::Compare(Cmp::Gt, [quotient, minus_half]));
        b.add(Math::Where([near_one, log1p, log]))
    })
}

/// `log(k/d)`, `log(d/k)` and `log(k·d)`, k a positive constant, as
/// `log(k) ∓ log(d)`: `log(sigmoid(x))` is `-log(1 + e^-x)`, a softplus,
/// where the quotient underflows (to 0 below x ≈ -103.9 in f32, log 0 =
/// -inf; the value is about x) and loses digits to subnormals before that;
/// logcosh's HD-FGD F, `log((e^u + e^-u)/2)`, is a logarithm of an
/// exponential polynomial ([`logarithms_of_exponential_polynomials`]), where
/// e^u overflowed from u ≈ 88.7 (the value is about 88). Exact where the
/// logarithm is defined, and `log(k)` stays a call, not a rounded literal,
/// for the certificate's intervals.
fn constant_factors_out_of_logarithms(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Call(Func::Log, argument) = node else { return b.add(node) };
        let positive = |b: &Builder, k: Id| constant_value(b, k).is_some_and(|v| v > 0.0 && v.is_finite());
        // k, d, and whether each is subtracted.
        let (k, d, k_negative, d_negative) = match *b.node(argument) {
            Math::Div([k, d]) if positive(b, k) => (k, d, false, true),
            Math::Div([d, k]) if positive(b, k) => (k, d, true, false),
            Math::Mul([k, d]) | Math::Mul([d, k]) if positive(b, k) => (k, d, false, false),
            _ => return b.add(node),
        };
        let log_d = b.add(Math::Call(Func::Log, d));
        if b.value(k) == Some(1.0) {
            return if d_negative { b.add(Math::Neg(log_d)) } else { log_d };
        }
        let log_k = b.add(Math::Call(Func::Log, k));
        signed_sum(b, [(log_k, k_negative), (log_d, d_negative)])
    })
}

/// (c, c's value, y) of `log(c + e^y)` or `log(e^y + c)`, c a constant
/// expression whose value is positive and finite (a literal, or `1/11` as
/// the integrator prints it).
fn log_of_constant_plus_exp(b: &Builder, id: Id) -> Option<(Id, f64, Id)> {
    let Math::Call(Func::Log, sum) = *b.node(id) else { return None };
    let Math::Add([p, q]) = *b.node(sum) else { return None };
    let (c, e) = if crate::lang::is_constant(b.nodes(), p) { (p, q) } else { (q, p) };
    let Math::Call(Func::Exp, y) = *b.node(e) else { return None };
    constant_value(b, c).filter(|v| *v > 0.0 && v.is_finite()).map(|v| (c, v, y))
}

/// `log(c + e^y)` with a constant c > 0 (GA's antiderivatives of
/// `1/(1 + k·e^-x)`, partial fractions in `u = e^(ax)`: `x + tanh(x)` has two)
/// as `L + log(1 + e^(y - L))`, `L = ln c`: the softplus form, which
/// [`lower`] makes `max(z, 0) + log1p(e^-|z|)`. As written, `e^y` overflows
/// from y ≈ 88.7 in f32 (709.8 in f64), where the value is about y, and a
/// difference of two such logarithms is inf - inf. A literal c = 1 is left
/// to [`lower`]'s own softplus.
fn shifted_softpluses(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let id = b.add(node);
        let Some((c, _, y)) = log_of_constant_plus_exp(b, id).filter(|&(c, _, _)| b.value(c) != Some(1.0)) else { return id };
        // `log(c)`, not its f64 value: the identity stays exact for the
        // certificate's intervals ([`overflow_safe_forms`]); the kernels'
        // constant folding makes it a literal.
        let l = b.add(Math::Call(Func::Log, c));
        let z = b.add(Math::Sub([y, l]));
        let softplus = softplus_of(b, z);
        b.add(Math::Add([l, softplus]))
    })
}
/// `log1p(e^z)`: the node [`lower`] computes as its softplus form, and
/// [`softplus_argument`] reads.
fn softplus_of(b: &mut Builder, z: Id) -> Id {
    let e = b.add(Math::Call(Func::Exp, z));
    b.add(Math::Call(Func::Log1p, e))
}

/// `a` of `log(1 + e^a)`, `log(e^a + 1)` or `log1p(e^a)`.
fn softplus_argument(b: &Builder, s: Id) -> Option<Id> {
    let z = match *b.node(s) {
        Math::Call(Func::Log1p, z) => z,
        Math::Call(Func::Log, sum) => match *b.node(sum) {
            Math::Add([p, q]) if b.value(p) == Some(1.0) => q,
            Math::Add([p, q]) if b.value(q) == Some(1.0) => p,
            _ => return None,
        },
        _ => return None,
    };
    match *b.node(z) {
        Math::Call(Func::Exp, a) => Some(a),
        _ => None,
    }
}

/// `c - c/(1 + t)` with `t = ±e^a` cancels where `1/(1 + t)` is close to 1
/// (t → 0): in mish's SA, `1 - 1/(1 - e^-u3)` is `-e^-u3/(1 - e^-u3)`, but
/// written so it is 0 in f32 for u3 > 17, and the numerator
/// `1 - e^-u2 - 1/(1 - e^-u3)` loses all of `e^-u2`'s digits. Such a pair of
/// terms of a signed sum becomes `c/(1 + 1/t)`, `1/t = ±e^-a`: one quotient,
/// nothing subtracted (`1 - σ(-x)` is `σ(x)`).
fn complementary_fractions(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| match node {
        Math::Add(_) | Math::Sub(_) => {
            let id = b.add(node);
            complemented_sum(b, id)
        }
        node => b.add(node),
    })
}

/// The sum at `id` with each pair `c - c/(1 + t)` rewritten; `id` itself
/// when there is none.
fn complemented_sum(b: &mut Builder, id: Id) -> Id {
    let mut terms = Vec::new();
    signed_terms(b, id, &mut terms);
    let signed = |v: f64, negative: bool| if negative { -v } else { v };
    let mut out: Vec<Option<(Id, bool)>> = terms.iter().map(|&t| Some(t)).collect();
    let mut changed = false;
    for i in 0..terms.len() {
        let (t, negative) = terms[i];
        let Math::Div([p, x]) = *b.node(t) else { continue };
        let (Some(c), Some((a, plus))) = (b.value(p), one_plus_exp(b, x)) else { continue };
        let c = signed(c, negative);
        // A literal term v with v = -c: v + c/(1 + t) = v·(1 - 1/(1 + t)).
        let partner = (0..terms.len()).find(|&j| out[j].is_some() && j != i && b.value(terms[j].0).map(|v| signed(v, terms[j].1)) == Some(-c));
        let Some(j) = partner else { continue };
        let neg_a = b.neg(a);
        let e = b.add(Math::Call(Func::Exp, neg_a));
        let one = b.num(1.0);
        let den = b.add(if plus { Math::Add([one, e]) } else { Math::Sub([one, e]) });
        let v = b.num(-c);
        out[i] = Some((b.add(Math::Div([v, den])), false));
        out[j] = None;
        changed = true;
    }
    if !changed {
        return id;
    }
    signed_sum(b, out.into_iter().flatten())
}

/// `1 + e^a` as `(a, true)`, `1 - e^a` as `(a, false)`.
fn one_plus_exp(b: &Builder, x: Id) -> Option<(Id, bool)> {
    let mut terms = Vec::new();
    signed_terms(b, x, &mut terms);
    let [(p, p_negative), (q, q_negative)] = terms[..] else { return None };
    let ((one, one_negative), (e, e_negative)) = if b.value(p).is_some() { ((p, p_negative), (q, q_negative)) } else { ((q, q_negative), (p, p_negative)) };
    match (b.value(one), one_negative, b.node(e)) {
        (Some(1.0), false, &Math::Call(Func::Exp, a)) => Some((a, !e_negative)),
        _ => None,
    }
}

/// Rebuild what `roots` reach, children before parents: `rebuild` gets each
/// node with its children already rebuilt and returns the node's new id.
///
/// Iterative: derived expressions can be thousands of levels deep (a
/// recursive walk overflowed the stack of a macro expansion there).
fn rebuild_bottom_up(b: &mut Builder, roots: &[Id], rebuild: impl FnMut(&mut Builder, Math) -> Id) -> Vec<Id> {
    rebuild_replacing(b, roots, |_, _| None, rebuild)
}

/// [`rebuild_bottom_up`], with `replace` asked first for each node as the
/// walk from the roots reaches it: where it gives a new id, that is the
/// node's, and its subtree is not walked.
fn rebuild_replacing(
    b: &mut Builder,
    roots: &[Id],
    mut replace: impl FnMut(&mut Builder, Id) -> Option<Id>,
    mut rebuild: impl FnMut(&mut Builder, Math) -> Id,
) -> Vec<Id> {
    let mut new: HashMap<Id, Id> = HashMap::new();
    let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
    while let Some((id, children_done)) = stack.pop() {
        if new.contains_key(&id) {
            continue;
        }
        if !children_done {
            if let Some(r) = replace(b, id) {
                new.insert(id, r);
                continue;
            }
        }
        let node = b.node(id).clone();
        if !children_done {
            stack.push((id, true));
            stack.extend(node.children().iter().rev().filter(|c| !new.contains_key(c)).map(|&c| (c, false)));
            continue;
        }
        let node = node.map_children(|c| new[&c]);
        let id2 = rebuild(b, node);
        new.insert(id, id2);
    }
    roots.iter().map(|r| new[r]).collect()
}

/// How many `+`, `-` and `neg` nodes [`signed_terms`] opens: a longer sum
/// keeps its deeper parts as whole terms (each was paired on its own, bottom
/// up), so that pairing stays linear in the size of the expression.
const MAX_SUM_NODES: usize = 64;

/// The terms of the signed sum at `id`, through `+`, `-` and `neg`, each with
/// whether it is subtracted, left to right.
fn signed_terms(b: &Builder, id: Id, out: &mut Vec<(Id, bool)>) {
    let mut stack = vec![(id, false)];
    let mut opened = 0;
    while let Some((t, negative)) = stack.pop() {
        let node = b.node(t);
        if opened == MAX_SUM_NODES && matches!(node, Math::Add(_) | Math::Sub(_) | Math::Neg(_)) {
            out.push((t, negative));
            continue;
        }
        match *node {
            Math::Add([p, q]) => stack.extend([(q, negative), (p, negative)]),
            Math::Sub([p, q]) => stack.extend([(q, !negative), (p, negative)]),
            Math::Neg(p) => stack.push((p, !negative)),
            _ => {
                out.push((t, negative));
                continue;
            }
        }
        opened += 1;
    }
}

/// `t1 ± t2 ± …` from terms with whether each is subtracted (at least one).
fn signed_sum(b: &mut Builder, terms: impl IntoIterator<Item = (Id, bool)>) -> Id {
    let mut terms = terms.into_iter();
    let (first, negative) = terms.next().expect("a sum has a term");
    let mut acc = if negative { b.add(Math::Neg(first)) } else { first };
    for (t, negative) in terms {
        acc = b.add(if negative { Math::Sub([acc, t]) } else { Math::Add([acc, t]) });
    }
    acc
}

/// Differences of exponentials without cancellation.
///
/// `e^a - e^c` computed as written loses the digits the two terms share: each
/// f32 exponential carries a relative error of about |a|·2^-24, and the
/// difference magnifies it by e^a/|e^a - e^c| (660-fold in tanh's SA at
/// u ≈ (-21.39, 21.39, …), where `e^u2 - e^-u1` cancels to 1.5e-3 of its
/// terms). Instead
///
/// ```text
/// e^a - e^c = e^max(a, c) · sign(c - a)·expm1(-|c - a|)
/// ```
///
/// where `c - a` is one rounding of the exponents themselves (after the
/// quotient normalisation both carry the same shift `m`: `(x - m) - (y - m)`
/// is formed as `x - y`, so the shift cancels exactly), and `expm1(-|d|)` is
/// accurate to a few ulp for every d: the result keeps the relative accuracy
/// of its factors, and is exactly 0 where a = c.
///
/// - In a signed sum (through `+`, `-`, `neg`) each positive exponential is
///   paired with a negative one; the other terms are kept as they are.
/// - A product of such a difference with an exponential or another
///   difference, `e^b·(e^a - e^c)`, has its exponentials merged,
///   `e^(b + max(a, c))·sign·expm1`: in the partials of a split function one
///   factor can overflow f32 (e^92) where the product fits (e^61).
/// - `log(e^a - e^c)` (or of such a product) becomes
///   `max(a, c) + log(sign(c - a)·expm1(-|c - a|))`: no overflow of
///   `e^max(a, c)`, and NaN where e^a < e^c, as before.
fn cancellation_safe_differences(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    // Every node built as `e^E·s`: its exponent E and its factor s.
    let mut factors: HashMap<Id, (Id, Id)> = HashMap::new();
    rebuild_bottom_up(b, roots, |b, node| match node {
        Math::Add(_) | Math::Sub(_) => {
            let id = b.add(node);
            paired_sum(b, id, &mut factors)
        }
        Math::Mul([p, q]) => merged_product(b, p, q, &mut factors).unwrap_or_else(|| exponential_first(b, p, q)),
        Math::Call(Func::Log, x) => match factors.get(&x) {
            Some(&(m, small)) => {
                let log = b.add(Math::Call(Func::Log, small));
                b.add(Math::Add([m, log]))
            }
            None => b.add(node),
        },
        node => b.add(node),
    })
}

/// The sum at `id` with each positive exponential term paired with a
/// negative one into a safe difference; `id` itself when there is no pair.
fn paired_sum(b: &mut Builder, id: Id, factors: &mut HashMap<Id, (Id, Id)>) -> Id {
    let mut terms = Vec::new();
    signed_terms(b, id, &mut terms);
    let is_exp = |b: &Builder, t: Id| matches!(b.node(t), Math::Call(Func::Exp, _));
    let positive: Vec<usize> = (0..terms.len()).filter(|&i| !terms[i].1 && is_exp(b, terms[i].0)).collect();
    let negative: Vec<usize> = (0..terms.len()).filter(|&i| terms[i].1 && is_exp(b, terms[i].0)).collect();
    if positive.is_empty() || negative.is_empty() {
        return id;
    }
    let mut paired = vec![false; terms.len()];
    let mut out: Vec<(Id, bool)> = Vec::with_capacity(terms.len());
    for (&p, &q) in positive.iter().zip(&negative) {
        paired[p] = true;
        paired[q] = true;
        // The same difference read either way round (`e^a - e^c` in one
        // partial, `e^c - e^a` in another) is built once.
        let (e_p, e_q) = (terms[p].0, terms[q].0);
        out.push(if e_p < e_q { (exp_difference(b, e_p, e_q, factors), false) } else { (exp_difference(b, e_q, e_p, factors), true) });
    }
    out.extend(terms.iter().enumerate().filter(|(i, _)| !paired[*i]).map(|(_, &t)| t));
    signed_sum(b, out)
}

/// `e^a - e^c` for the exponential nodes `p = e^a`, `q = e^c`, in the safe
/// form of [`cancellation_safe_differences`].
fn exp_difference(b: &mut Builder, p: Id, q: Id, factors: &mut HashMap<Id, (Id, Id)>) -> Id {
    let (&Math::Call(Func::Exp, a), &Math::Call(Func::Exp, c)) = (b.node(p), b.node(q)) else { unreachable!("paired terms are exponentials") };
    let ((x, s), (y, t)) = (split_shift(b, a), split_shift(b, c));
    let (d, m) = match (s, t) {
        // (y - s) - (x - s) as y - x; max(x - s, y - s) as max(x, y) - s
        // (the same number: rounding is monotone).
        (Some(s), Some(t)) if s == t => {
            let d = b.sub(y, x);
            let mx = max_of(b, x, y);
            // max(x, y) - s is 0 where s is that same max (the quotient's
            // normaliser, in mish's SA): e^0 is 1, no exponential.
            (d, if mx == s { b.num(0.0) } else { b.add(Math::Sub([mx, s])) })
        }
        _ => (b.sub(c, a), max_of(b, a, c)),
    };
    let small = signed_expm1(b, d);
    let diff = if b.value(m) == Some(0.0) {
        small
    } else {
        let big = b.add(Math::Call(Func::Exp, m));
        b.add(Math::Mul([big, small]))
    };
    factors.insert(diff, (m, small));
    diff
}

/// An exponent as `x - s`: `(x, Some(s))` for `x - s`, `(0, Some(s))` for
/// `-s`, `(e, None)` otherwise.
fn split_shift(b: &mut Builder, e: Id) -> (Id, Option<Id>) {
    match *b.node(e) {
        Math::Sub([x, s]) => (x, Some(s)),
        Math::Neg(s) => (b.num(0.0), Some(s)),
        _ => (e, None),
    }
}

/// `c - a` for two exponents, `x - y` where they are `x - s` and `y - s`
/// with the same shift `s`: the shift cancels exactly instead of adding two
/// roundings of its size.
fn exponent_difference(b: &mut Builder, c: Id, a: Id) -> Id {
    match (split_shift(b, c), split_shift(b, a)) {
        ((x, Some(s)), (y, Some(t))) if s == t => b.sub(x, y),
        _ => b.sub(c, a),
    }
}

/// `p·q` with the exponentials of both merged, where one is a safe
/// difference (or such a product) and the other one too or an exponential:
/// `e^(E_p + E_q)·(s_p·s_q)`. `None` for any other product.
fn merged_product(b: &mut Builder, p: Id, q: Id, factors: &mut HashMap<Id, (Id, Id)>) -> Option<Id> {
    let strip = |b: &Builder, id: Id| match *b.node(id) {
        Math::Neg(inner) => (inner, true),
        _ => (id, false),
    };
    let ((p, p_negative), (q, q_negative)) = (strip(b, p), strip(b, q));
    let factor = |b: &Builder, id: Id| match (factors.get(&id), b.node(id)) {
        (Some(&(e, s)), _) => Some((e, Some(s))),
        (None, &Math::Call(Func::Exp, e)) => Some((e, None)),
        _ => None,
    };
    let ((e_p, s_p), (e_q, s_q)) = (factor(b, p)?, factor(b, q)?);
    let small = match (s_p, s_q) {
        (Some(s_p), Some(s_q)) => b.add(Math::Mul([s_p, s_q])),
        (Some(s), None) | (None, Some(s)) => s,
        // Two plain exponentials are left as they are (and shared).
        (None, None) => return None,
    };
    // (x - s) + (max(x', y') - s) as it stands: each part is a shifted
    // exponent of moderate size, where (x + max) - 2s would be inf - inf for
    // inputs near f32::MAX.
    let exponent = b.add_(e_p, e_q);
    let big = b.add(Math::Call(Func::Exp, exponent));
    let product = b.add(Math::Mul([big, small]));
    factors.insert(product, (exponent, small));
    Some(if p_negative != q_negative { b.add(Math::Neg(product)) } else { product })
}

/// `e^a·(s·r)`, `s` a sum holding exponentials and `r` a factor without, as
/// `(e^a·r)·s`: `s·r` alone can overflow where the product does not (mish's
/// SA: `e^-u4·(N·u1)` with N ≈ -e^87, u1 ≈ 8, e^-u4 ≈ 1e-26).
fn exponential_first(b: &mut Builder, p: Id, q: Id) -> Id {
    let is_exp = |b: &Builder, id: Id| matches!(b.node(id), Math::Call(Func::Exp, _));
    let (e, rest) = match (is_exp(b, p), is_exp(b, q)) {
        (true, false) => (p, q),
        (false, true) => (q, p),
        _ => return b.add(Math::Mul([p, q])),
    };
    let Math::Mul([x, y]) = *b.node(rest) else { return b.add(Math::Mul([p, q])) };
    let (x_exp, y_exp) = (reaches_exp(b, x), reaches_exp(b, y));
    let (sum, r) = match (x_exp && !y_exp, y_exp && !x_exp) {
        (true, _) => (x, y),
        (_, true) => (y, x),
        _ => return b.add(Math::Mul([p, q])),
    };
    let er = b.add(Math::Mul([e, r]));
    b.add(Math::Mul([er, sum]))
}

/// Whether an exponential is among the first [`MAX_SUM_NODES`] nodes below
/// `id` (a bounded look: past it, assume one is).
fn reaches_exp(b: &Builder, id: Id) -> bool {
    let mut stack = vec![id];
    let mut seen = 0;
    while let Some(t) = stack.pop() {
        seen += 1;
        match b.node(t) {
            Math::Call(Func::Exp, _) => return true,
            _ if seen > MAX_SUM_NODES => return true,
            node => stack.extend(node.children()),
        }
    }
    false
}

/// A quotient divided through by `e^m` with `m = max(p, q)` (two
/// exponents, as in the denominators of tanh's SA and HD-FGD F, or silu's
/// `1 + e^-u` with `p = 0`) has the terms `e^(p - m)` and `e^(q - m)`: one of
/// them is 1 and the other `e^-|p - q|`. Both are computed from that one
/// exponential, chosen by the sign of `d = p - q`:
///
/// ```text
/// e^(p - m) = where(d >= 0, 1, e^-|d|)      e^(q - m) = where(d <= 0, 1, e^-|d|)
/// ```
///
/// and likewise the merged exponentials of the partials, `e^(X + p - m)` and
/// `e^(X + q - m)` ([`merged_product`]): `e^X·where(d >= 0, 1, e^-|d|)` and
/// `e^X·where(d <= 0, 1, e^-|d|)`, built as the square of
/// `e^(X/2)·where(.., 1, e^(-|d|/2))` ([`exponential_times_choice`]):
/// X and |d| each reach 176 over [-88, 88]^4, where e^X or e^-|d| alone is
/// beyond f32 and their product is not. `e^(X/2)` is the larger of the
/// partials' halved `e^((p' - m)/2)`, `e^((q' - m)/2)`
/// ([`reuse_exponentials`]), and `e^(-|d|/2)` is the denominator's (squared
/// there), so tanh's SA and HD-FGD F gradients compute 3 exponentials and
/// an `expm1` (the cancelling form before issue 14: 4 exponentials; the
/// first safe form: 6 and an expm1), which is what their kernels spend
/// their time on.
///
/// Where `m` is exactly `p` or `q`, `p - m` is exactly 0 or one rounding of
/// `p - q`, and `q - p` is `-(p - q)` exactly: the choice keeps the f32
/// values of `e^(p - m)` up to the square's rounding. NaN stays NaN (a NaN
/// `d` fails both comparisons and takes the other branch, itself NaN).
fn one_exponential_per_normalised_pair(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Call(Func::Exp, x) = node else { return b.add(node) };
        // `e^(X + p - m)` with its rest X, or `e^(p - m)` with none.
        let found = match *b.node(x) {
            Math::Add([l, r]) => [(l, r), (r, l)].into_iter().find_map(|(rest, term)| Some((Some(rest), normalised_pair_term(b, term)?))),
            _ => normalised_pair_term(b, x).map(|pair| (None, pair)),
        };
        let Some((rest, (d, is_max))) = found else { return b.add(node) };
        match rest {
            Some(rest) => exponential_times_choice(b, rest, is_max, d),
            None => {
                let (_, smaller) = exponential_of_minus_abs(b, d);
                let one = b.num(1.0);
                b.add(Math::Where([is_max, one, smaller]))
            }
        }
    })
}

/// `e^-|d|` as the square of `e^(-|d|/2)`: returns both. Computed this way
/// because [`exponential_times_choice`] needs the half, and the whole is
/// then one multiply more, not a second exponential.
fn exponential_of_minus_abs(b: &mut Builder, d: Id) -> (Id, Id) {
    let neg_abs = minus_abs(b, d);
    let half = half_exponent(b, neg_abs);
    let e_half = b.add(Math::Call(Func::Exp, half));
    (e_half, b.add(Math::Mul([e_half, e_half])))
}

/// `e^X·where(c, 1, e^-|d|)` as `g·g` with `g = e^(X/2)·where(c, 1,
/// e^(-|d|/2))`: neither `e^X` alone (X reaches 176 over [-88, 88]^4)
/// nor `e^-|d|` alone (|d| reaches 176 too) has to fit in f32, only the
/// product's own square root; [`halved_exponential_products`] then keeps the
/// rest of a product around it from overflowing first.
fn exponential_times_choice(b: &mut Builder, x: Id, c: Id, d: Id) -> Id {
    let (e_half, _) = exponential_of_minus_abs(b, d);
    let one = b.num(1.0);
    let choice = b.add(Math::Where([c, one, e_half]));
    // Where X = max(p, q) - s, the halves e^((p - s)/2), e^((q - s)/2) that
    // the partials may compute are made first, so that
    // [`reuse_exponentials`] can take e^(X/2) as their max (operands
    // precede their users); unused, they are dead nodes.
    let (mx, shift) = match *b.node(x) {
        Math::Sub([mx, s]) => (mx, Some(s)),
        _ => (x, None),
    };
    if let Math::Max([p, q]) = *b.node(mx) {
        for e in [p, q] {
            let shifted = match shift {
                Some(s) if b.value(e) == Some(0.0) => b.add(Math::Neg(s)),
                Some(s) => b.add(Math::Sub([e, s])),
                None => e,
            };
            let half = half_exponent(b, shifted);
            b.add(Math::Call(Func::Exp, half));
        }
    }
    let x_half = half_exponent(b, x);
    let h = b.add(Math::Call(Func::Exp, x_half));
    let g = b.add(Math::Mul([h, choice]));
    b.add(Math::Mul([g, g]))
}

/// `0.5·a`: the exponent of a half exponential (exact in binary).
fn half_exponent(b: &mut Builder, a: Id) -> Id {
    let half = b.num(0.5);
    b.add(Math::Mul([half, a]))
}

/// The nodes `roots` reach.
fn reachable_nodes(b: &Builder, roots: &[Id]) -> std::collections::HashSet<Id> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = roots.to_vec();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(b.node(id).children().iter().copied());
        }
    }
    seen
}

/// A product `e^A·r` overflows in `e^A` where the product itself fits,
/// whenever |r| < 1: in tanh's SA and HD-FGD F partials r is a signed
/// `expm1` over a squared denominator and `A` reaches 176 over [-88, 88].
/// Each such product is computed as
///
/// ```text
/// e^A·r = h·(h·r),   h = e^(A/2)
/// ```
///
/// `|h·r|` is the geometric mean of `|e^A·r|` and `|r|`, so no step
/// overflows (or underflows) unless the result or `r` does, and it costs a
/// multiply: `h` replaces `e^A`. A further factor q folds into `r` where
/// `r·q` cannot overflow: q of at most 1 in magnitude ([`at_most_one`]),
/// or any q whose product with `r` the f32 intervals bound (`c·u1` in
/// gelu's SA partial `c·u1·e^(u2²/2)`, c = √π/(2√2)); so does a negation
/// (`-(e^A·w·s)` is `h·(h·(-(w·s)))`). A quotient stays outside, `(h·(h·r))/D`, so it
/// overflows early only where D > 1 brings the value back below f32::MAX
/// (within a factor 4 for the squared denominators of tanh's SA and F,
/// whose terms are at most 1 and one of them 1). An `e^A` that is also used otherwise (in a sum,
/// `expm1`'s `e^A - 1`, softplus' `log(1 + e^A)`) is left as it is: halving
/// it would cost a second exponential; unless a literal below 1 scales it,
/// where the product fits past e^A's overflow.
fn halved_exponential_products(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let is_exp = |b: &Builder, id: Id| match *b.node(id) {
        Math::Call(Func::Exp, a) => b.value(a).is_none(),
        _ => false,
    };
    // The exponentials some reachable node uses other than as the one
    // exponential factor of a product, and those a literal below 1 scales:
    // such an e^A is halved even where it is shared, at the cost of a
    // second exponential, as c·e^A fits past where e^A overflows
    // (`tanh(x) + tanh(x)^3/3`'s g holds 0.0625·e^2x and atan(e^2x), and was
    // inf from x = 44.67, where it is 3.9e37).
    let scaled_down = |b: &Builder, id: Id| b.value(id).is_some_and(|c| c != 0.0 && c.abs() < 1.0);
    let (mut used_otherwise, mut scaled) = (std::collections::HashSet::new(), std::collections::HashSet::new());
    let reachable = reachable_nodes(b, roots);
    for &id in &reachable {
        let node = b.node(id);
        let product_factor = match *node {
            Math::Mul([p, q]) => is_exp(b, p) != is_exp(b, q),
            Math::Div([p, q]) => is_exp(b, p) && !is_exp(b, q),
            _ => false,
        };
        if !product_factor {
            used_otherwise.extend(node.children().iter().copied().filter(|&c| is_exp(b, c)));
        }
        if let Math::Mul([p, q]) = *node {
            scaled.extend([(p, q), (q, p)].into_iter().filter(|&(e, c)| is_exp(b, e) && scaled_down(b, c)).map(|(e, _)| e));
        }
    }
    // A half made to be squared ([`exponential_times_choice`]) is not
    // halved again.
    let is_half = |b: &Builder, id: Id| match *b.node(id) {
        Math::Call(Func::Exp, a) => matches!(*b.node(a), Math::Mul([k, _]) if b.value(k) == Some(0.5)),
        _ => false,
    };
    let halvable = |b: &Builder, id: Id| is_exp(b, id) && !is_half(b, id) && (!used_otherwise.contains(&id) || scaled.contains(&id));
    // The halves made up front, in the order of their exponentials, so that
    // a half precedes every node built after its exponential was
    // ([`reuse_exponentials`] takes `e^(max(a, c)/2)` from `e^(a/2)` and
    // `e^(c/2)`, which must come first).
    let mut exps: Vec<Id> = reachable.into_iter().filter(|&id| halvable(b, id)).collect();
    exps.sort();
    for e in exps {
        half_exponential(b, e);
    }
    // Nodes built as h·(h·r): their h and r.
    let mut halved: HashMap<Id, (Id, Id)> = HashMap::new();
    let one = b.num(1.0);
    // A further factor q joins r when r·q cannot overflow: then h·(h·(r·q))
    // overflows only where the product does, while (h·(h·r))·q overflows
    // where e^A·r does even though q brings the product back (gelu's SA
    // partial c·u1·e^(u2²/2) for a small u1), and is inf·0 = NaN at q = 0.
    // (The product of the two enclosures bounds r·q without building it; the
    // limit leaves 2⁻¹⁶ of f32::MAX for the f32 rounding of its steps.)
    // Only behind an exponential h: a square g·g of anything else keeps its
    // form for the later passes (`sqrt(2 + 3·(u1·u1))` is a root of a large
    // square, [`roots_of_large_squares`]; `u1·(u1·3)` would not be).
    let foldable = |b: &Builder, h: Id, r: Id, q: Id| {
        at_most_one(b, q)
            || (matches!(b.node(h), Math::Call(Func::Exp, _))
                && !may_exceed(f32_enclosure(b, r).mul(&f32_enclosure(b, q)), f32::MAX as f64 * (1.0 - 2f64.powi(-16))))
    };
    rebuild_bottom_up(b, roots, |b, node| {
        let (h, rest) = match node {
            // A square g·g is g·(g·1) ([`exponential_times_choice`]).
            Math::Mul([p, q]) if p == q && !halved.contains_key(&p) => (p, one),
            Math::Mul([p, q]) => match (halved.get(&p).copied(), halved.get(&q).copied(), is_exp(b, p), is_exp(b, q)) {
                (Some((h, r)), None, _, false) if foldable(b, h, r, q) => (h, if r == one { q } else { b.add(Math::Mul([r, q])) }),
                (None, Some((h, r)), false, _) if foldable(b, h, r, p) => (h, if r == one { p } else { b.add(Math::Mul([p, r])) }),
                (None, None, true, false) if halvable(b, p) => (half_exponential(b, p), q),
                (None, None, false, true) if halvable(b, q) => (half_exponential(b, q), p),
                _ => return b.add(node),
            },
            Math::Neg(p) => match halved.get(&p).copied() {
                Some((h, r)) => (h, b.add(Math::Neg(r))),
                None => return b.add(node),
            },
            // e^A/q as h·(h/q): |h/q| is the geometric mean of |e^A/q| and |1/q|.
            Math::Div([p, q]) if halvable(b, p) && !is_exp(b, q) => (half_exponential(b, p), b.add(Math::Div([one, q]))),
            node => return b.add(node),
        };
        // h·r without multiplying by a literal 1 (h·1, h·(-1), h·(1/q) = h/q).
        let inner = match *b.node(rest) {
            _ if rest == one => h,
            Math::Neg(r) if r == one => b.add(Math::Neg(h)),
            Math::Div([p, q]) if p == one => b.add(Math::Div([h, q])),
            _ => b.add(Math::Mul([h, rest])),
        };
        let product = b.add(Math::Mul([h, inner]));
        halved.insert(product, (h, rest));
        product
    })
}

/// `e^(y/2)·e^(y/2)` as `e^y` where nothing else reads the half (a
/// normalised pair whose partials' products did not need it, as in
/// sigmoid's F): the square of [`exponential_of_minus_abs`] costs a
/// multiply only where the half is shared.
fn unsplit_lone_squares(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let mut readers: HashMap<Id, usize> = HashMap::new();
    for id in reachable_nodes(b, roots) {
        let mut children = b.node(id).children().to_vec();
        children.dedup();
        for c in children {
            *readers.entry(c).or_default() += 1;
        }
    }
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Mul([g, g2]) = node else { return b.add(node) };
        let Math::Call(Func::Exp, half) = *b.node(g) else { return b.add(node) };
        match *b.node(half) {
            Math::Mul([k, y]) if g == g2 && b.value(k) == Some(0.5) && readers.get(&g) == Some(&1) => b.add(Math::Call(Func::Exp, y)),
            _ => b.add(node),
        }
    })
}

/// `c·atan(a) - c·atan(b)` in a sum (constant `c`, however the product is
/// written) as `c·(atan((a - b)/(1 + a·b)) + where(1 + a·b < 0, π·sign(a -
/// b), 0))`: one arctangent instead of two (an integral by partial
/// fractions leaves such pairs: bent_identity's g holds atan(√3·s) and
/// atan(√3·x/2)). The quotient is the tangent of the difference; past
/// a·b = -1 the difference leaves (-π/2, π/2) and the `where` adds the
/// half-turn back. Where 1 + a·b is 0 or cancels, the quotient is huge or
/// infinite and its arctangent ±π/2 to within 1/|quotient|, which is the
/// difference there.
///
/// a and b are first clamped to ±2⁶²: atan moves by less than 2⁻⁶² beyond,
/// below f32's resolution of any sum the difference sits in, and then
/// neither a − b nor 1 + a·b (≤ 2¹²⁴, a divisor the intervals bound, so a
/// plain division) can overflow. Unclamped, an a that overflowed to inf
/// gave inf/inf = NaN: bent_identity's g from x = 1.96e38, where
/// √3·√(x² + 1) passes f32::MAX and g ≈ (2/3)·x still fits.
fn arctangent_differences(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        if !matches!(node, Math::Add(_) | Math::Sub(_)) {
            return b.add(node);
        }
        let id = b.add(node);
        let mut terms = Vec::new();
        signed_terms(b, id, &mut terms);
        let scaled: Vec<Option<(f64, Id)>> =
            terms.iter().map(|&(t, negative)| scaled_arctangent(b, t).map(|(c, a)| (if negative { -c } else { c }, a))).collect();
        let pair = (0..terms.len()).find_map(|i| {
            let (ci, _) = scaled[i]?;
            // Equal and opposite up to the rounding of their constant factors.
            (i + 1..terms.len()).find(|&j| scaled[j].is_some_and(|(cj, _)| ci != 0.0 && (ci + cj).abs() <= 8.0 * f64::EPSILON * ci.abs())).map(|j| (i, j))
        });
        let Some((i, j)) = pair else { return id };
        let ((c, a), (_, bb)) = (scaled[i].unwrap(), scaled[j].unwrap());
        // Each side only where the intervals over every f32 input reach it.
        let limit = 2f64.powi(62);
        let mut clamped = |v: Id| {
            let range = f32_enclosure(b, v);
            let mut v = v;
            if !range.is_valid() || range.hi > limit {
                let high = b.num(limit);
                v = b.add(Math::Min([v, high]));
            }
            if !range.is_valid() || range.lo < -limit {
                let low = b.num(-limit);
                v = b.add(Math::Max([v, low]));
            }
            v
        };
        let (a, bb) = (clamped(a), clamped(bb));
        let difference = b.add(Math::Sub([a, bb]));
        let product = b.add(Math::Mul([a, bb]));
        let one = b.num(1.0);
        let denominator = b.add(Math::Add([one, product]));
        let quotient = b.add(Math::Div([difference, denominator]));
        let principal = b.add(Math::Call(Func::Atan, quotient));
        let zero = b.num(0.0);
        let beyond = b.add(Math::Compare(Cmp::Lt, [denominator, zero]));
        let sign = b.add(Math::Call(Func::Sign, difference));
        let pi = b.add(Math::Pi);
        let half_turn = b.add(Math::Mul([pi, sign]));
        let turn = b.add(Math::Where([beyond, half_turn, zero]));
        let angle = b.add(Math::Add([principal, turn]));
        let coefficient = b.num(c);
        let combined = b.add(Math::Mul([coefficient, angle]));
        let rest = terms.iter().enumerate().filter(|(k, _)| *k != i && *k != j).map(|(_, t)| *t);
        signed_sum(b, std::iter::once((combined, false)).chain(rest))
    })
}

/// `c·atan(a)` for a term built from one arctangent by products and
/// quotients with constants (and negation): `(c, a)`.
fn scaled_arctangent(b: &Builder, id: Id) -> Option<(f64, Id)> {
    let scaled = match *b.node(id) {
        Math::Call(Func::Atan, a) => Some((1.0, a)),
        Math::Neg(t) => scaled_arctangent(b, t).map(|(c, a)| (-c, a)),
        Math::Mul(factors) => constant_times(b, factors).and_then(|(k, t)| scaled_arctangent(b, t).map(|(c, a)| (k * c, a))),
        Math::Div([p, q]) => constant_value(b, q).and_then(|k| scaled_arctangent(b, p).map(|(c, a)| (c / k, a))),
        _ => None,
    };
    scaled.filter(|(c, _)| c.is_finite())
}

/// `(p·q)/c` as `p·(q/c)` where p·q may pass f32::MAX and |c| ≥ 1 for
/// every f32 input ([`at_least_one_in_f32`]): |q/c| ≤ |q|, so no step passes
/// f32::MAX before the quotient does. q is the last factor with a variable,
/// with the constant factors (`x·(-2·x)` over c as `x·((-2·x)/c)`). The
/// derivative of sqrt(u) brings such quotients: that of `x/(1 + sqrt(1 +
/// x²))`, the half-angle variable of foil's integrals of sqrt(1 + x²),
/// holds `x·(-2x)/(2·sqrt(1 + x²))`, NaN from |x| = 1.3e19 as written.
fn products_over_large_divisors(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([n, c]) = node else { return b.add(node) };
        if !matches!(b.node(n), Math::Mul(_)) {
            return b.add(node);
        }
        let mut factors = Vec::new();
        product_factors(b, n, &mut factors);
        let (constants, mut variables): (Vec<Id>, Vec<Id>) = factors.into_iter().partition(|&f| constant_value(b, f).is_some());
        if variables.len() < 2 || !at_least_one_in_f32(b, c) || !may_exceed(f32_enclosure(b, n), f32::MAX as f64) {
            return b.add(node);
        }
        // The constants go into the quotient, for [`constants_out_of_divisors`].
        let last = variables.pop().expect("two or more");
        let inner = constants.into_iter().rfold(last, |acc, k| b.add(Math::Mul([k, acc])));
        let quotient = b.add(Math::Div([inner, c]));
        variables.into_iter().rfold(quotient, |acc, f| b.add(Math::Mul([f, acc])))
    })
}

/// Whether node `id` is at least 1 in magnitude in f32 for every input: by
/// the f32 intervals, or by its form, a literal c ≥ 1 plus a term t ≥ 0
/// (f32's sum rounds to at least c, rounding being monotone), and square
/// roots, products and positive integer powers of such (f32's sqrt(1) and
/// 1·1 are 1). The intervals widen each sum by an ulp, and read
/// `sqrt(1 + x²)` as possibly below 1.
fn at_least_one_in_f32(b: &Builder, id: Id) -> bool {
    let by_form = match *b.node(id) {
        Math::Call(Func::Sqrt, a) => at_least_one_in_f32(b, a),
        Math::Mul([p, q]) => at_least_one_in_f32(b, p) && at_least_one_in_f32(b, q),
        Math::Pow([a, k]) => b.value(k).is_some_and(|k| k >= 1.0 && k.fract() == 0.0) && at_least_one_in_f32(b, a),
        Math::Add([p, q]) => [(p, q), (q, p)].into_iter().any(|(c, t)| b.value(c).is_some_and(|c| c >= 1.0) && f32_enclosure(b, t).lo >= 0.0),
        _ => false,
    };
    by_form || {
        let r = f32_enclosure(b, id);
        r.is_valid() && r.mig() >= 1.0
    }
}

/// `(k1·a)/(k2·b)` and `a/(k2·b)`, a divisor with a constant factor, as
/// `(c·a)/b` for c = k1/k2 with |c| < 1 and `c·(a/b)` otherwise, and
/// `(k1·a)/b` as `k1·(a/b)` for |k1| > 1 and |b| ≥ 1: no step
/// then passes f32::MAX before the quotient does. As written, `2·b` or
/// `-2·a` overflowed from f32::MAX/2: the derivative of sqrt(u) divides
/// u′ = 2x by `2·sqrt(u)`, and isru's f′, `x·(-2x/(2·sqrt(1 + x²)))` among
/// its terms, was NaN from 1.7e38, where it is about 0; a numerator `a + a`
/// counts as 2·a.
fn constants_out_of_divisors(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([n, d]) = node else { return b.add(node) };
        // `a + a` is 2·a: the derivative of sqrt(1 + x·x) divides `x + x`.
        let scaled = |b: &Builder, id: Id| match *b.node(id) {
            Math::Mul(factors) => constant_times(b, factors),
            Math::Add([p, q]) if p == q => Some((2.0, p)),
            _ => None,
        };
        // A divisor of at least 1 with no constant factor is 1·d under a
        // k·a with |k| > 1, which then becomes k·(a/d) below (the HD-FGD
        // partial of `log(1 + x^2)`, 2·u/(1 + u²), was NaN from 1.7e38).
        let numerator_above_one = |b: &Builder| scaled(b, n).is_some_and(|(k, _)| k.abs() > 1.0);
        let divisor = scaled(b, d).or_else(|| (numerator_above_one(b) && at_least_one_in_f32(b, d)).then_some((1.0, d)));
        let Some((k2, bottom)) = divisor.filter(|(k, _)| *k != 0.0) else { return b.add(node) };
        let (k1, top) = scaled(b, n).unwrap_or((1.0, n));
        let c = k1 / k2;
        if c == 1.0 {
            return b.div(top, bottom);
        }
        let c_id = b.num(c);
        if c.abs() < 1.0 {
            let scaled_top = b.mul(c_id, top);
            b.div(scaled_top, bottom)
        } else {
            let quotient = b.div(top, bottom);
            b.mul(c_id, quotient)
        }
    })
}

/// `a/c` for a constant `c` (a literal, or an expression of literals such as
/// gelu's `sqrt(2)`, valued in f64) as `(1/c)·a`: a multiplication where a
/// GPU (and lavapipe) performs a full division per lane, since IEEE division
/// by a constant may not be rewritten by the shader compiler. The product is
/// within 1.5 ulps of the quotient (exact when c is a power of two);
/// bent_identity's g′ divides by 3 and 9 this way. A constant numerator is
/// left alone (a quotient of constants folds at compile time).
fn constant_divisors_as_products(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([n, d]) = node else { return b.add(node) };
        match (constant_value(b, n), constant_value(b, d)) {
            (None, Some(c)) if c != 0.0 && (1.0 / c).is_finite() => {
                let r = b.num(1.0 / c);
                b.mul(r, n)
            }
            _ => b.add(node),
        }
    })
}

/// `c·y³` and `c·y²` with a constant |c| < 1 as `(c·y)·y²` and `(c·y)·y`,
/// where the power may pass f32::MAX by the f32 intervals: the power
/// overflowed first, and the product came too late to bring it back
/// (softsign's and atan's g, `x + x·|x| + x³/3`, were ±inf from
/// |x| = 6.98e12, where g fits to 1.0e13). No step is larger than the
/// result for |y| ≥ 1, and the multiplies are as many or fewer.
fn constants_onto_powers(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Mul(factors) = node else { return b.add(node) };
        let Some((c, power)) = constant_times(b, factors).filter(|(c, _)| c.abs() < 1.0) else { return b.add(node) };
        let Math::Pow([y, n]) = *b.node(power) else { return b.add(node) };
        let n = b.value(n);
        if !matches!(n, Some(2.0 | 3.0)) || !may_exceed(f32_enclosure(b, power), f32::MAX as f64) {
            return b.add(node);
        }
        let c = b.num(c);
        let cy = b.add(Math::Mul([c, y]));
        // y² as `y·y`, the node a sum beside it may already hold (softsign's g).
        let rest = if n == Some(3.0) { b.add(Math::Mul([y, y])) } else { y };
        b.add(Math::Mul([cy, rest]))
    })
}

/// `1/(1 + a/b)` (either order of the sum) as `b/(b + a)`: one division
/// instead of two. A g′ = 1/f′ of an f′ that is 1 plus a quotient takes this
/// form (bent_identity's `1/(1 + x/(2·sqrt(1 + x²)))`). A literal factor k
/// of `b = k·d` moves to the numerator's side, `d/(d + a/k)` with `a/k` as
/// a product: `k·d` could overflow where d does not (bent_identity's
/// `2·|x|` from 1.7e38), and inf/inf would be NaN. Where `d + a/k` may
/// pass f32::MAX by the f32 intervals, and half of it cannot, both are
/// halved ([`scaled_by`]), `(d/2)/(d/2 + a/(2k))`: bent_identity's `S + 0.5·x`
/// overflowed from x = 2.27e38, where g′ read 0 instead of 2/3. Where d or
/// a/k may pass f32::MAX on its own, the two divisions stay. Both forms are
/// NaN where `a/b` is (0/0, inf/inf), and both have the pole b + a = 0.
fn unnested_reciprocals(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([one, s]) = node else { return b.add(node) };
        let Math::Add([p, q]) = *b.node(s) else { return b.add(node) };
        let is_one = |id: Id| b.value(id) == Some(1.0);
        let quotient = |id: Id| match *b.node(id) {
            Math::Div([n, d]) => Some((n, d)),
            _ => None,
        };
        let found = match (is_one(one), is_one(p), is_one(q)) {
            (true, true, _) => quotient(q),
            (true, _, true) => quotient(p),
            _ => None,
        };
        let Some((n, d)) = found else { return b.add(node) };
        let literal_factor = match *b.node(d) {
            Math::Mul([k, e]) => b.value(k).filter(|k| *k != 0.0 && (1.0 / k).is_finite()).map(|k| (k, e)),
            _ => None,
        };
        let (d, n) = match literal_factor {
            Some((k, e)) => {
                let r = b.num(1.0 / k);
                (e, b.add(Math::Mul([r, n])))
            }
            None => (d, n),
        };
        // Halved where |d| + |n| may pass f32::MAX and half of it cannot; a
        // term that may overflow itself keeps both divisions, `1/(1 + n/d)`,
        // which is 1 or 0 there, not inf/inf (`x + atan(x)`'s g′,
        // `1/(1 + 1/(1 + x²))`, was NaN from |x| = 1.8e19 as one division).
        let limit = f32::MAX as f64 * (1.0 - 2f64.powi(-16));
        let size = f32_enclosure(b, d).mag() + f32_enclosure(b, n).mag();
        if !(size / 2.0 <= limit) {
            let quotient = b.add(Math::Div([n, d]));
            let one = b.num(1.0);
            let sum = b.add(Math::Add([one, quotient]));
            return b.add(Math::Div([one, sum]));
        }
        let (d, n) = if size > limit { (scaled_by(b, 0.5, d), scaled_by(b, 0.5, n)) } else { (d, n) };
        let sum = b.add(Math::Add([d, n]));
        b.add(Math::Div([d, sum]))
    })
}

/// `s·t`, with s folded into a literal factor of t (`k·e` as `(s·k)·e`).
fn scaled_by(b: &mut Builder, s: f64, t: Id) -> Id {
    if let Math::Mul([k, e]) = *b.node(t) {
        if let Some(sk) = b.value(k).map(|k| s * k) {
            let sk = b.num(sk);
            return b.add(Math::Mul([sk, e]));
        }
    }
    let s = b.num(s);
    b.add(Math::Mul([s, t]))
}

/// Whether a product with the call `node` may be one operation, `m·f(a)`
/// ([`SafeOp::Times`]): erfi, sinh, cosh and expm1 grow as fast as an
/// exponential or faster, and pass f32::MAX where their product with a
/// small m still fits. Which of them are: [`scaled_call`].
fn scalable_call(node: &Math) -> bool {
    matches!(node, Math::Call(Func::Erfi | Func::Sinh | Func::Cosh | Func::Expm1, _))
}

/// A [`scalable_call`] whose value, enclosed by `range()` over every f32
/// input (asked only of such a call), may pass f32::MAX: its product is
/// [`SafeOp::Times`]. A bounded one (the split forms' `sign(d)·expm1(-|d|)`)
/// multiplies plainly, a few operations cheaper.
fn scaled_call(node: &Math, range: impl FnOnce() -> I) -> bool {
    scalable_call(node) && may_exceed(range(), f32::MAX as f64)
}

/// `e^y - 1` (as `(y, false)`) or `1 - e^y` (as `(y, true)`) at `id`.
fn exponential_minus_one(b: &Builder, id: Id) -> Option<(Id, bool)> {
    let Math::Sub([p, q]) = *b.node(id) else { return None };
    let exp = |e: Id| match *b.node(e) {
        Math::Call(Func::Exp, y) => Some(y),
        _ => None,
    };
    match (b.value(p), b.value(q)) {
        (_, Some(1.0)) => exp(p).map(|y| (y, false)),
        (Some(1.0), _) => exp(q).map(|y| (y, true)),
        _ => None,
    }
}

/// Products with erfi, sinh, cosh or `e^y - 1` that may pass f32::MAX
/// ([`scaled_call`]) as one operation, `m·f(a)` ([`SafeOp::Times`], which
/// overflows only where the product does): erfi passes f32::MAX from
/// |a| = 9.57, sinh and cosh from 89.4, e^y from 88.72, where a product
/// with a small m still fits, and at m = 0 erfi's inf made 0·inf = NaN.
/// gelu's split value `u1·(0.5 + (π/4)·erfi(u2/√2))` was NaN at u1 = 0 from
/// |u2| = 13.5, and inf at u1 = 1e-30, u2 = 14, where it is 1.6e11; tanh's
/// g, `0.5·x + 0.25·sinh(2·x)`, was inf from x = 44.72, where it fits to
/// 45.4; selu's g, `0.569·(1 - e^-x)`, from x = -88.72 (fits to -89.3).
///
/// - A factor `e^y - 1` or `1 - e^y` becomes `expm1(y)` or `-expm1(y)`.
/// - A product holding such a factor becomes `f(a)·m`, m its other factor
///   times its constants ([`scaled_product`]).
/// - A product of a factor p with a signed sum holding such a term is
///   distributed over the sum (`0.5·u1 + erfi(u2/√2)·((π/4)·u1)`): p joins
///   the m of that term instead of multiplying an overflowed sum. The sum
///   has one such term c·f(a), its other terms are constants or bounded by
///   1 in magnitude, and a power of two K ≥ max(c, 1 + their sizes) stays
///   outside: gelu's value is `2·(0.25·u1 + erfi(u2/√2)·((π/8)·u1))`,
///   finite also where its erfi term alone passes f32::MAX and the sum
///   cancels it (−2.1e38 at u1 = 3e38 where (π/4)·erfi = −1.2; without K,
///   inf − … = −inf). A constant p with |p| ≤ 1 needs no K: no product
///   grows (sigmoid(2x)'s g, `x + 0.5·(sinh(2·x) + 1)`). The sum's
///   cancellation, where it has any, is the same in both forms.
fn scaled_products(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    // Every product is flattened below; without such a call (or an
    // exponential, `e^y - 1`) there is nothing to do.
    if !b.nodes().as_ref().iter().any(|n| scalable_call(n) || matches!(n, Math::Call(Func::Exp, _))) {
        return roots.to_vec();
    }
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Mul([p, q]) = node else { return b.add(node) };
        // A factor `±(e^y - 1)` whose e^y may overflow, as `±expm1(y)`.
        let mut negated = false;
        let [p, q] = [p, q].map(|f| match exponential_minus_one(b, f) {
            Some((y, minus)) if may_exceed(f32_enclosure(b, f), f32::MAX as f64) => {
                negated ^= minus;
                b.add(Math::Call(Func::Expm1, y))
            }
            _ => f,
        });
        let product = scaled_product_or_sum(b, p, q);
        if negated {
            b.neg(product)
        } else {
            product
        }
    })
}

/// [`scaled_products`]' rewrite of `p·q`.
fn scaled_product_or_sum(b: &mut Builder, p: Id, q: Id) -> Id {
    for (factor, sum) in [(p, q), (q, p)] {
        if !matches!(b.node(sum), Math::Add(_) | Math::Sub(_)) {
            continue;
        }
        let mut terms = Vec::new();
        signed_terms(b, sum, &mut terms);
        let split: Vec<Option<ScaledFactors>> = terms.iter().map(|&(t, _)| scaled_factors(b, &[t])).collect();
        // One such term: two could cancel each other where p times each
        // passes f32::MAX (u1·(erfi(u2) − erfi(u3)) at u1 = 3e38).
        if split.iter().filter(|s| s.is_some()).count() != 1 {
            continue;
        }
        // That term's constant coefficient c, and the other terms'
        // sizes as multiples of the factor's: a constant's value, or 1
        // for a term the intervals bound by 1. Any other term (u3·erfi(a)
        // among them) could make a product overflow before the factor
        // does, and stops this.
        let (mut c, mut others, mut bounded) = (0.0, 0.0, true);
        for (&(t, _), split) in terms.iter().zip(&split) {
            match (split, constant_value(b, t)) {
                (Some(s), _) if s.variables.is_empty() => c = s.constant.abs(),
                (Some(_), _) => bounded = false,
                (None, Some(v)) => others += v.abs(),
                (None, None) if at_most_one(b, t) || !may_exceed(f32_enclosure(b, t), 1.0) => others += 1.0,
                (None, None) => bounded = false,
            }
        }
        if !bounded || !others.is_finite() {
            continue;
        }
        // K·Σ ±p·(t/K) with K a power of two at least c and 1 + (the
        // other terms' sizes): m = p·c/K fits where p does, the other
        // products are below f32::MAX/K·(1 + sizes), and where p·c·f/K
        // passes f32::MAX the value exceeds (K − sizes)·f32::MAX ≥ f32::MAX
        // anyway; K·(the sum) overflows only where the value does. Powers
        // of two scale without rounding. A constant |p| ≤ 1 makes no
        // product larger than its term: K = 1.
        let k = match constant_value(b, factor) {
            Some(p) if p.abs() <= 1.0 => 1.0,
            _ => 2f64.powi(c.max(1.0 + others).log2().ceil() as i32),
        };
        let terms: Vec<(Id, bool)> = terms
            .into_iter()
            .zip(&split)
            .map(|((t, negative), split)| {
                let t = if k > 1.0 {
                    let inverse = b.num(1.0 / k);
                    b.mul(inverse, t)
                } else {
                    t
                };
                let product = if split.is_some() { scaled_product(b, factor, t) } else { b.mul(factor, t) };
                (product, negative)
            })
            .collect();
        let sum = signed_sum(b, terms);
        return if k > 1.0 {
            let k = b.num(k);
            b.add(Math::Mul([k, sum]))
        } else {
            sum
        };
    }
    scaled_product(b, p, q)
}

/// The factors of the product at `id` (through `*` only), left to right.
fn product_factors(b: &Builder, id: Id, out: &mut Vec<Id>) {
    let mut stack = vec![id];
    while let Some(t) = stack.pop() {
        match *b.node(t) {
            Math::Mul([p, q]) => stack.extend([q, p]),
            _ => out.push(t),
        }
    }
}

/// The factors of a product split around its first [`scaled_call`]: the
/// call, the product of the constant factors, and the factors with a
/// variable, in order.
struct ScaledFactors {
    call: Id,
    constant: f64,
    variables: Vec<Id>,
}

/// The factors of the product of `ids` (through `*`), split around its first
/// [`scaled_call`]; `None` without one.
fn scaled_factors(b: &Builder, ids: &[Id]) -> Option<ScaledFactors> {
    let mut factors = Vec::new();
    for &id in ids {
        product_factors(b, id, &mut factors);
    }
    let at = factors.iter().position(|&f| scaled_call(b.node(f), || f32_enclosure(b, f)))?;
    let call = factors.remove(at);
    let (mut constant, mut variables) = (1.0, Vec::new());
    for f in factors {
        match constant_value(b, f) {
            Some(c) => constant *= c,
            None => variables.push(f),
        }
    }
    Some(ScaledFactors { call, constant, variables })
}

/// `p·q`, as `f(a)·m` when one of their factors is a [`scaled_call`] and
/// at most one other factor has a variable: m is that factor times the
/// product c of the constants, or c alone. A constant |c| > 1 multiplies
/// from outside, `c·(f(a)·v)`, and two or more variable factors keep the product as
/// written: m itself must not pass f32::MAX before the product does, as
/// `u3·u1` would at u1 = 3, u3 = 3e38, where `u3·(u1·erfi(0))` is 0.
fn scaled_product(b: &mut Builder, p: Id, q: Id) -> Id {
    let Some(ScaledFactors { call, constant, variables }) = scaled_factors(b, &[p, q]) else {
        return b.add(Math::Mul([p, q]));
    };
    match variables[..] {
        [] if constant == 1.0 => call,
        [] => {
            let c = b.num(constant);
            b.add(Math::Mul([call, c]))
        }
        [f] if constant == 1.0 => b.add(Math::Mul([call, f])),
        [f] if constant.abs() <= 1.0 => {
            let c = b.num(constant);
            let m = b.add(Math::Mul([c, f]));
            b.add(Math::Mul([call, m]))
        }
        [f] => {
            let c = b.num(constant);
            let product = b.add(Math::Mul([call, f]));
            b.add(Math::Mul([c, product]))
        }
        _ => b.add(Math::Mul([p, q])),
    }
}

/// The value of a literal or of a subtree without variables (`1/3`,
/// `sqrt(2)`), valued in f64.
fn constant_value(b: &Builder, id: Id) -> Option<f64> {
    b.value(id).or_else(|| crate::lang::is_constant(b.nodes(), id).then(|| crate::eval::eval(&crate::build::subtree(b.nodes(), id), &|_| f64::NAN)))
}

/// An operation whose operands are all literals (gelu's `sqrt(2)` and
/// `sqrt(pi)`, softplus's `log(2)`, bent_identity's `sqrt(3)`, `pi` itself)
/// as the literal of its f64 value, rounded once where it is emitted. As
/// written, every lane computed it in f32 from operands already rounded
/// (`sqrt(3.1415927)` rounds π first) with the device's `sqrt` and `log`,
/// which Vulkan does not require to be correctly rounded, unless the driver
/// folded it. Comparisons and `where` stay as they are (a condition is not a
/// number), and so does a value that is not finite. Last of the passes, so
/// the others see the constants as written.
fn constant_operations_as_literals(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let foldable =
            !matches!(node, Math::Num(_) | Math::Var(_) | Math::Compare(..) | Math::Where(_)) && node.children().iter().all(|&c| b.value(c).is_some());
        let id = b.add(node);
        match foldable.then(|| constant_value(b, id)).flatten() {
            Some(v) if v.is_finite() => b.num(v),
            _ => id,
        }
    })
}

/// `(k, t)` for the factors of a product `k·t` or `t·k` of a constant k
/// ([`constant_value`]) and a term t with a variable.
fn constant_times(b: &Builder, [p, q]: [Id; 2]) -> Option<(f64, Id)> {
    match (constant_value(b, p), constant_value(b, q)) {
        (Some(k), None) => Some((k, q)),
        (None, Some(k)) => Some((k, p)),
        _ => None,
    }
}

/// `c·(k1·a + k2·b)` with constants c, k1, k2 and |c| ≤ 1 as
/// `(c·k1)·a + (c·k2)·b`: a multiply fewer, and the sum is formed at its
/// final scale. With |c| ≤ 1 no product grows: |c·k·a| ≤ |k·a|. Where
/// c·k1 or c·k2 exceeds 1 the larger, K, stays a factor outside,
/// `K·((c·k1/K)·a + (c·k2/K)·b)` (the multiply count of the original):
/// bent_identity's g has `(1/3)·(−2·S + 4·x)`, whose `4·x` overflowed from
/// 8.5e37 where g, about (2/3)·x, fits, and `(−2/3)·S + (4/3)·x` still from
/// 2.55e38; `(4/3)·(−0.5·S + x)` fits wherever g does.
///
/// Where, instead, a term is a product `p·q` of two factors that may each
/// pass √f32::MAX (2⁶³ by their intervals over every f32 input) and
/// |c| < 1, c goes onto p, `(c·p)·q`, and onto the other term, at one
/// multiply more: asinh's g, `0.5·(x·S + asinh(x))`, overflowed in `x·S`
/// from 1.8e19 where g fits to 2.6e19. A product with a bounded factor
/// (gelu_tanh's `x·…·sech²`) cannot overflow first and is left alone.
fn constant_factors_into_sums(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let unbounded = |b: &Builder, id: Id| may_exceed(f32_enclosure(b, id), 2f64.powi(63));
    rebuild_bottom_up(b, roots, |b, node| {
        let scaled = |b: &Builder, id: Id| match *b.node(id) {
            Math::Mul(factors) => constant_times(b, factors),
            _ => None,
        };
        let Math::Mul(factors) = node else { return b.add(node) };
        let Some((c, sum)) = constant_times(b, factors).filter(|(c, _)| c.abs() <= 1.0) else { return b.add(node) };
        let Math::Add([s, t]) = *b.node(sum) else { return b.add(node) };
        if let (Some((k1, a)), Some((k2, x))) = (scaled(b, s), scaled(b, t)) {
            // A coefficient above 1 would let its product overflow where the
            // sum does not; the larger one stays outside instead, K·((c·k1/K)·a
            // + (c·k2/K)·x), whose inner sum overflows only where K times it
            // does (K ≥ 1) and whose product only where the value does.
            let k = (c * k1).abs().max((c * k2).abs()).max(1.0);
            let (c1, c2) = (b.num(c * k1 / k), b.num(c * k2 / k));
            let first = b.mul(c1, a);
            let second = b.mul(c2, x);
            let sum = b.add(Math::Add([first, second]));
            return if k > 1.0 {
                let k = b.num(k);
                b.add(Math::Mul([k, sum]))
            } else {
                sum
            };
        }
        if c.abs() >= 1.0 {
            return b.add(node);
        }
        // A product of two unbounded non-constant factors, and the other term.
        let overflowing = |b: &Builder, id: Id| match *b.node(id) {
            Math::Mul([p, q]) if constant_value(b, p).is_none() && constant_value(b, q).is_none() && unbounded(b, p) && unbounded(b, q) => Some((p, q)),
            _ => None,
        };
        let (product, other) = match (overflowing(b, s), overflowing(b, t)) {
            (Some(pq), None) => (pq, t),
            (None, Some(pq)) => (pq, s),
            _ => return b.add(node),
        };
        let k = b.num(c);
        let cp = b.add(Math::Mul([k, product.0]));
        let first = b.add(Math::Mul([cp, product.1]));
        let second = match constant_value(b, other) {
            Some(v) => b.num(c * v),
            None => b.add(Math::Mul([k, other])),
        };
        b.add(Math::Add([first, second]))
    })
}

/// `a^(m + 1/2)` as `a^m·sqrt(a)`, and `a^-(m + 1/2)` as its reciprocal:
/// multiplications and a square root instead of a `powf`, which GPUs compute
/// as exp2(k·log2(a)), two transcendental calls whose error grows with
/// |k·log2(a)| (a g′ = 1/f′ such as `(x^2 + 1)^1.5` may carry one). The
/// values agree wherever powf's are defined: NaN for a < 0, 0 or inf at
/// a = 0 and at a = inf.
fn half_integer_powers(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Pow([a, k]) = node else { return b.add(node) };
        let Some(k) = b.value(k) else { return b.add(node) };
        let m = k.abs() - 0.5;
        if k == 0.5 || m.fract() != 0.0 || m > 8.0 {
            return b.add(node);
        }
        let root = b.call(Func::Sqrt, a);
        let product = if m == 0.0 {
            root
        } else {
            let e = b.num(m);
            let power = b.pow(a, e);
            b.mul(power, root)
        };
        if k > 0.0 {
            product
        } else {
            let one = b.num(1.0);
            b.div(one, product)
        }
    })
}

/// `sqrt(c + k·y²)` (c, k > 0 literals, in either order) as
/// `where(|y| < T, sqrt(c + k·y²), √k·|y|)` with T = 2²⁷·√(c/k). y²
/// overflows f32 from |y| ≈ 1.8e19, where the root, about √k·|y|, still
/// fits: asinh's g′ `sqrt(1 + x²)` was inf there, isru's `x/sqrt(1 + x²)`
/// 0 instead of ±1, and bent_identity's g NaN (inf/inf in its arctangent).
/// From T on, c/(k·y²) ≤ 2⁻⁵⁴, so √k·|y| is within an ulp of the root in
/// f64 as in f32 (the scalar code is generic over both). Likewise any
/// power `(c + k·y²)^a` whose exponent is not whole, as `(√k·|y|)^(2a)`:
/// `x/(1 + x^2)^(1/3)` was x/inf = 0 from 1.8e19, where it is |x|^(1/3)
/// in size. (A logarithm of a polynomial in x is [`rational`]'s.)
fn roots_of_large_squares(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    // y for y·y or y^2, with the factor k of k·y² (1 when bare).
    let square = |b: &Builder, id: Id| -> Option<(f64, Id)> {
        let bare = |id: Id| match *b.node(id) {
            Math::Mul([p, q]) if p == q => Some(p),
            Math::Pow([p, two]) if b.value(two) == Some(2.0) => Some(p),
            _ => None,
        };
        let positive = |id: Id| b.value(id).filter(|k| *k > 0.0);
        match *b.node(id) {
            Math::Mul([p, q]) => match (positive(p), positive(q)) {
                (Some(k), _) => bare(q).map(|y| (k, y)),
                (None, Some(k)) => bare(p).map(|y| (k, y)),
                (None, None) => bare(id).map(|y| (1.0, y)),
            },
            _ => bare(id).map(|y| (1.0, y)),
        }
    };
    rebuild_bottom_up(b, roots, |b, node| {
        // The square root, or a power whose exponent is not whole (a whole
        // one overflows with its value).
        let (s, exponent) = match node {
            Math::Call(Func::Sqrt, s) => (s, 0.5),
            Math::Pow([s, e]) => match constant_value(b, e) {
                Some(e) if e.is_finite() && e.fract() != 0.0 => (s, e),
                _ => return b.add(node),
            },
            _ => return b.add(node),
        };
        let Math::Add([p, q]) = *b.node(s) else { return b.add(node) };
        let found = match (b.value(p), b.value(q)) {
            (Some(c), None) if c > 0.0 => square(b, q).map(|(k, y)| (c, k, y)),
            (None, Some(c)) if c > 0.0 => square(b, p).map(|(k, y)| (c, k, y)),
            _ => None,
        };
        let Some((c, k, y)) = found.filter(|(c, k, _)| (c / k).sqrt().is_finite()) else { return b.add(node) };
        let root = b.add(node);
        let abs = b.add(Math::Call(Func::Abs, y));
        let threshold = b.num(134_217_728.0 * (c / k).sqrt());
        let small = b.add(Math::Compare(Cmp::Lt, [abs, threshold]));
        let large = if k == 1.0 {
            abs
        } else {
            let rk = b.num(k.sqrt());
            b.add(Math::Mul([rk, abs]))
        };
        let large = if exponent == 0.5 {
            large
        } else {
            let twice = b.num(2.0 * exponent);
            b.add(Math::Pow([large, twice]))
        };
        b.add(Math::Where([small, root, large]))
    })
}

/// `where(d >= 0, 1, t) + where(d <= 0, 1, t)` is `1 + t` whenever
/// `t = e^-|d|`-like choices are made on one `d`: for d > 0 it is `1 + t`,
/// for d < 0 `t + 1`, at d = 0 `1 + 1` with t = 1, and for a NaN d both
/// are `t`, itself NaN, as `1 + t` is. The denominator of a normalised pair
/// ([`one_exponential_per_normalised_pair`]) is such a sum: two comparisons
/// and two selects fewer per lane, in every split kernel. Terms of a
/// signed sum with the same sign are paired.
fn complementary_choices(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    rebuild_bottom_up(b, roots, |b, node| {
        if !matches!(node, Math::Add(_) | Math::Sub(_)) {
            return b.add(node);
        }
        let id = b.add(node);
        let mut terms = Vec::new();
        signed_terms(b, id, &mut terms);
        // where(d >= 0, 1, t) as (d, t, true), where(d <= 0, 1, t) as (d, t, false).
        let choice = |b: &Builder, t: Id| match *b.node(t) {
            Math::Where([c, one, e]) if b.value(one) == Some(1.0) => match *b.node(c) {
                Math::Compare(Cmp::Ge, [d, z]) if b.value(z) == Some(0.0) => Some((d, e, true)),
                Math::Compare(Cmp::Le, [d, z]) if b.value(z) == Some(0.0) => Some((d, e, false)),
                _ => None,
            },
            _ => None,
        };
        let mut out: Vec<Option<(Id, bool)>> = terms.iter().map(|&t| Some(t)).collect();
        let mut changed = false;
        for i in 0..terms.len() {
            let Some((d, e, ge)) = choice(b, terms[i].0) else { continue };
            let partner = (0..terms.len())
                .find(|&j| j != i && out[j].is_some() && out[i].is_some() && terms[j].1 == terms[i].1 && choice(b, terms[j].0) == Some((d, e, !ge)));
            let Some(j) = partner else { continue };
            let one = b.num(1.0);
            out[i] = Some((one, terms[i].1));
            out[j] = Some((e, terms[j].1));
            changed = true;
        }
        if !changed {
            return id;
        }
        signed_sum(b, out.into_iter().flatten())
    })
}

/// Quotients by the same normalised denominator (and its square) as
/// products with one reciprocal: the four partials of tanh's SA and HD-FGD
/// F divide by `D` or `D²`, and a division costs a GPU about what half an
/// exponential does, a multiply a fraction of that. Only denominators of
/// the form the normalisation leaves, `±where(.., 1, e) ± where(.., 1, e)`
/// with `e <= 1` (so `1 <= |D| <= 2`: `1/D` neither overflows nor
/// underflows, and `p·(1/D)` is within an ulp of `p/D`), and only where two
/// or more quotients share one.
fn shared_reciprocals(b: &mut Builder, roots: &[Id]) -> Vec<Id> {
    let reachable = reachable_nodes(b, roots);
    // The base D of a denominator D or D².
    let base = |b: &Builder, q: Id| match *b.node(q) {
        Math::Pow([d, k]) if b.value(k) == Some(2.0) => (d, 2),
        Math::Mul([d, e]) if d == e => (d, 2),
        _ => (q, 1),
    };
    let mut uses: HashMap<Id, usize> = HashMap::new();
    for &id in &reachable {
        if let Math::Div([_, q]) = *b.node(id) {
            let (d, _) = base(b, q);
            if normalised_denominator(b, d) {
                *uses.entry(d).or_default() += 1;
            }
        }
    }
    let one = b.num(1.0);
    rebuild_bottom_up(b, roots, |b, node| {
        let Math::Div([p, q]) = node else { return b.add(node) };
        let (d, power) = base(b, q);
        if uses.get(&d).copied().unwrap_or(0) < 2 {
            return b.add(node);
        }
        let r = b.add(Math::Div([one, d]));
        let once = b.add(Math::Mul([p, r]));
        if power == 1 {
            once
        } else {
            b.add(Math::Mul([once, r]))
        }
    })
}

/// `±1 ± t` with both signs the same and `t` in [0, 1]
/// ([`complementary_choices`]' form of a normalised pair): `1 <= |D| <= 2`.
fn normalised_denominator(b: &Builder, d: Id) -> bool {
    let mut terms = Vec::new();
    signed_terms(b, d, &mut terms);
    let [(p, p_negative), (q, q_negative)] = terms[..] else { return false };
    // e^-|x| (or e^(-|x|/2)) and its square.
    let unit = |t: Id| match *b.node(t) {
        Math::Call(Func::Exp, _) => at_most_one(b, t),
        Math::Mul([g, h]) => g == h && matches!(b.node(g), Math::Call(Func::Exp, _)) && at_most_one(b, g),
        _ => false,
    };
    let one = |t: Id| b.value(t) == Some(1.0);
    p_negative == q_negative && ((one(p) && unit(q)) || (unit(p) && one(q)))
}

/// Whether `|id| <= 1` by its form (a NaN aside): what a halved product's
/// rest `r` may be multiplied by without overflowing where `e^A·r` times
/// it does not (in mish's SA, `(e^-u4·u1)·N` with N ≈ -e^87 must not
/// become `h·(h·(u1·N))`).
fn at_most_one(b: &Builder, id: Id) -> bool {
    let non_positive = |y: Id| match *b.node(y) {
        Math::Neg(a) => matches!(b.node(a), Math::Call(Func::Abs, _)),
        Math::Mul([k, a]) => b.value(k).is_some_and(|k| k >= 0.0) && matches!(*b.node(a), Math::Neg(a) if matches!(b.node(a), Math::Call(Func::Abs, _))),
        _ => false,
    };
    match *b.node(id) {
        _ if b.value(id).is_some() => b.value(id).is_some_and(|v| v.abs() <= 1.0),
        Math::Call(Func::Sign, _) => true,
        Math::Call(Func::Exp | Func::Expm1, y) => non_positive(y),
        Math::Neg(a) => at_most_one(b, a),
        Math::Mul([p, q]) => at_most_one(b, p) && at_most_one(b, q),
        Math::Where([_, p, q]) => at_most_one(b, p) && at_most_one(b, q),
        _ => false,
    }
}

/// `e^(A/2)` for the exponential node `e^A`.
fn half_exponential(b: &mut Builder, e: Id) -> Id {
    let Math::Call(Func::Exp, a) = *b.node(e) else { unreachable!("an exponential") };
    let x = half_exponent(b, a);
    b.add(Math::Call(Func::Exp, x))
}

/// For an exponent `e - max(p, q)` with `e` one of `p`, `q` (`-max(0, q)`
/// when `p = 0`): `d = p - q` and the condition, in `d`, under which `e` is
/// the maximum (the exponent is 0).
fn normalised_pair_term(b: &mut Builder, x: Id) -> Option<(Id, Id)> {
    let (e, m) = match *b.node(x) {
        Math::Sub([e, m]) => (e, m),
        // `e^-m` is `e^(0 - m)` where 0 is one of m's exponents.
        Math::Neg(m) => match *b.node(m) {
            Math::Max([p, _]) if b.value(p) == Some(0.0) => (p, m),
            Math::Max([_, q]) if b.value(q) == Some(0.0) => (q, m),
            _ => return None,
        },
        _ => return None,
    };
    let Math::Max([p, q]) = *b.node(m) else { return None };
    let cmp = if e == p {
        Cmp::Ge
    } else if e == q {
        Cmp::Le
    } else {
        return None;
    };
    let d = b.sub(p, q);
    let zero = b.num(0.0);
    Some((d, b.add(Math::Compare(cmp, [d, zero]))))
}

/// `max(a, c)` with its operands in one order (by id): the rewrites above
/// build the same maximum as `max(0, a)` in one place and `max(a, 0)` in
/// another, and only one node lets `max(0, a) - max(a, 0)` fold to 0 (mish's
/// SA computed `e^(0.5·that)`, which is 1, in both passes).
fn max_of(b: &mut Builder, a: Id, c: Id) -> Id {
    let (p, q) = if a <= c { (a, c) } else { (c, a) };
    b.add(Math::Max([p, q]))
}

/// `-|d|`, the exponent every `e^-|d|`-shaped form here is built on; one
/// spelling, so that hash-consing shares it between the passes.
fn minus_abs(b: &mut Builder, d: Id) -> Id {
    let abs = b.add(Math::Call(Func::Abs, d));
    b.add(Math::Neg(abs))
}

/// `sign(d)·expm1(-|d|)`: `(e^a - e^c)/e^max(a, c)` for `d = c - a`, in
/// (-1, 1), 0 only at d = 0, with the relative accuracy of `expm1`.
fn signed_expm1(b: &mut Builder, d: Id) -> Id {
    let neg_abs = minus_abs(b, d);
    let small = b.add(Math::Call(Func::Expm1, neg_abs));
    let sgn = b.add(Math::Call(Func::Sign, d));
    b.add(Math::Mul([sgn, small]))
}

/// `e^max(a, c)` as `max(e^a, e^c)` (equal, exp being increasing; and
/// `e^(max(x, y) - s)` as `max(e^(x - s), e^(y - s))`) where both
/// exponentials are computed anyway, as in the partials of a split function:
/// one exponential fewer. Returns whether an operation changed.
fn reuse_exponentials(nodes: &Expr, ops: &mut [SafeOp], live: &[bool]) -> bool {
    let index: HashMap<&Math, Id> = nodes.as_ref().iter().enumerate().map(|(i, n)| (n, Id::from(i))).collect();
    // The live exponential of each exponent node.
    let exp_of = |e: Option<Id>| {
        let e = e?;
        let id = *index.get(&Math::Call(Func::Exp, e))?;
        live[usize::from(id)].then_some(id)
    };
    let mut changed = false;
    for (i, node) in nodes.as_ref().iter().enumerate() {
        let Math::Call(Func::Exp, m) = *node else { continue };
        if !live[i] {
            continue;
        }
        // e^(max(a, c)/2) as max(e^(a/2), e^(c/2)) likewise (the halves of
        // [`halved_exponential_products`]).
        let (m, half) = match nodes[m] {
            Math::Mul([k, inner]) if literal_value(&nodes[k]) == Some(0.5) => (inner, Some(k)),
            _ => (m, None),
        };
        let halved = |e: Option<Id>| match half {
            Some(k) => index.get(&Math::Mul([k, e?])).copied(),
            None => e,
        };
        let (a, c) = match nodes[m] {
            Math::Max([a, c]) => (Some(a), Some(c)),
            Math::Sub([mx, s]) => match nodes[mx] {
                Math::Max([x, y]) => {
                    // x - s, where x = 0 was -s.
                    let shifted = |x: Id| match nodes[x] {
                        Math::Num(v) if v.into_inner() == 0.0 => index.get(&Math::Neg(s)).copied(),
                        _ => index.get(&Math::Sub([x, s])).copied(),
                    };
                    (shifted(x), shifted(y))
                }
                _ => continue,
            },
            _ => continue,
        };
        // Operands precede their users.
        if let (Some(e_a), Some(e_c)) = (exp_of(halved(a)).filter(|&e| usize::from(e) < i), exp_of(halved(c)).filter(|&e| usize::from(e) < i)) {
            ops[i] = SafeOp::Max(e_a, e_c);
            changed = true;
        }
    }
    changed
}

/// The operation that computes one node, after the safe-form rewrites;
/// operands are node ids of [`Lowered::nodes`].
#[derive(Clone, Debug, PartialEq)]
pub enum SafeOp {
    /// Variable or literal: inlined where used.
    Leaf,
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Neg(Id),
    /// An elementary function (`log1p(a)` for `log(1 + a)`, `expm1(a)` for
    /// `exp(a) - 1`, `sqrt(a)` for `a^0.5`).
    Call(Func, Id),
    Min(Id, Id),
    Max(Id, Id),
    /// `a^b`, real `b`.
    Powf(Id, Id),
    /// `a^k`, integer `k` other than 2 and 3.
    Powi(Id, i32),
    /// A product of several factors (`a·a` for `a^2`, `a·a·a` for `a^3`).
    Product(Vec<Id>),
    /// 0 or 1 as a number, a boolean as a condition.
    Compare(Cmp, Id, Id),
    /// `where(c, a, b)`: `a` where `c` is nonzero (or true), else `b`.
    Where(Id, Id, Id),
    /// log(1 + exp(a)) as max(a, 0) + log1p(exp(-|a|)).
    Softplus(Id),
    /// 1 - exp(a) as -expm1(a).
    NegExpm1(Id),
    /// `m·f(a)` as `Times(f, a, m)`, f erfi, sinh, cosh or expm1, computed so
    /// that it overflows only where the product does ([`scaled_products`]).
    Times(Func, Id, Id),
}

impl SafeOp {
    /// The nodes this operation reads.
    pub fn operands(&self) -> Vec<Id> {
        match self {
            SafeOp::Leaf => vec![],
            SafeOp::Neg(a) | SafeOp::Call(_, a) | SafeOp::Powi(a, _) | SafeOp::Softplus(a) | SafeOp::NegExpm1(a) => vec![*a],
            SafeOp::Add(a, b)
            | SafeOp::Sub(a, b)
            | SafeOp::Mul(a, b)
            | SafeOp::Div(a, b)
            | SafeOp::Min(a, b)
            | SafeOp::Max(a, b)
            | SafeOp::Powf(a, b)
            | SafeOp::Compare(_, a, b)
            | SafeOp::Times(_, a, b) => vec![*a, *b],
            SafeOp::Product(v) => v.clone(),
            SafeOp::Where(c, a, b) => vec![*c, *a, *b],
        }
    }
}

/// Whether node `a` of a lowered form (`nodes`, `ops`) is `expm1(y)/2` with
/// y ≤ 0 by its form (`k·|z|`, k ≤ 0, or `-|z|`): a value in (-1/2, 0], or
/// NaN. Such is logcosh's `log1p(expm1(-2|z|)/2)` argument, which the
/// kernels take through a polynomial for that range (`log1p_half`) instead
/// of a general `log1p`.
///
/// ```
/// use foil_compiler::lower::{half_expm1_of_non_positive, lower_exprs, SafeOp};
/// use foil_compiler::lang::Func;
/// let f = foil_compiler::parse::parse("log(cosh(x))").unwrap();
/// let l = lower_exprs(&[&f]);
/// let log1p = l.ops.iter().zip(&l.live).find_map(|(op, live)| match op {
///     SafeOp::Call(Func::Log1p, a) if *live => Some(*a),
///     _ => None,
/// });
/// assert!(half_expm1_of_non_positive(&l.nodes, &l.ops, log1p.unwrap()));
/// ```
pub fn half_expm1_of_non_positive(nodes: &Expr, ops: &[SafeOp], a: Id) -> bool {
    let op = |id: Id| &ops[usize::from(id)];
    let lit = |id: Id| literal_value(&nodes[id]);
    let abs = |id: Id| matches!(op(id), SafeOp::Call(Func::Abs, _));
    let non_positive = |y: Id| match *op(y) {
        SafeOp::Neg(w) => abs(w),
        SafeOp::Mul(p, q) => (lit(p).is_some_and(|k| k <= 0.0) && abs(q)) || (lit(q).is_some_and(|k| k <= 0.0) && abs(p)),
        _ => false,
    };
    let expm1 = |t: Id| matches!(*op(t), SafeOp::Call(Func::Expm1, y) if non_positive(y));
    match *op(a) {
        SafeOp::Mul(p, q) => (lit(p) == Some(0.5) && expm1(q)) || (lit(q) == Some(0.5) && expm1(p)),
        SafeOp::Div(t, two) => lit(two) == Some(2.0) && expm1(t),
        _ => false,
    }
}

/// One [`SafeOp`] per node of `expr`, indices preserved.
fn lower(expr: &Expr) -> Vec<SafeOp> {
    let lit = |id: Id| literal_value(&expr[id]);
    // The f32 enclosures, only where a product may be [`SafeOp::Times`].
    let ranges = if expr.as_ref().iter().any(scalable_call) { f32_enclosures(expr) } else { Vec::new() };
    let range = |id: Id| ranges.get(usize::from(id)).copied().unwrap_or(I::NAI);
    let log1p = |a: Id| log1p(expr, a);
    expr.as_ref()
        .iter()
        .map(|node| match *node {
            Math::Num(_) | Math::Pi | Math::Euler | Math::Var(_) => SafeOp::Leaf,
            Math::Add([a, b]) => SafeOp::Add(a, b),
            Math::Sub([a, b]) => match (&expr[a], lit(b), lit(a), &expr[b]) {
                (Math::Call(Func::Exp, inner), Some(1.0), _, _) => SafeOp::Call(Func::Expm1, *inner),
                // 1 - exp(a) cancels near a = 0 (the poles of split adversarials).
                (_, _, Some(1.0), Math::Call(Func::Exp, inner)) => SafeOp::NegExpm1(*inner),
                _ => SafeOp::Sub(a, b),
            },
            Math::Mul([a, b]) => match (&expr[a], &expr[b]) {
                (Math::Call(f, x), _) if scaled_call(&expr[a], || range(a)) => SafeOp::Times(*f, *x, b),
                (_, Math::Call(f, x)) if scaled_call(&expr[b], || range(b)) => SafeOp::Times(*f, *x, a),
                _ => SafeOp::Mul(a, b),
            },
            Math::Div([a, b]) => SafeOp::Div(a, b),
            Math::Neg(a) => SafeOp::Neg(a),
            Math::Pow([a, b]) => power(a, b, lit(b)),
            Math::Call(Func::Log, a) => match expr[a] {
                Math::Add([p, q]) if lit(p) == Some(1.0) => log1p(q),
                Math::Add([p, q]) if lit(q) == Some(1.0) => log1p(p),
                _ => SafeOp::Call(Func::Log, a),
            },
            Math::Call(Func::Log1p, a) => log1p(a),
            Math::Call(f, a) => SafeOp::Call(f, a),
            Math::Min([a, b]) => SafeOp::Min(a, b),
            Math::Max([a, b]) => SafeOp::Max(a, b),
            Math::Compare(c, [a, b]) => SafeOp::Compare(c, a, b),
            Math::Where([c, a, b]) => SafeOp::Where(c, a, b),
        })
        .collect()
}

/// log1p(a), or the softplus form when a = exp(b) (log1p(exp(b)) overflows
/// for b > 88) but for b = -|z| ([`softplus_with_its_line`]'s tail), where
/// e^b is in (0, 1] and the softplus form's `max(b, 0)` and `-|b|` would be
/// 0 and b.
fn log1p(expr: &Expr, a: Id) -> SafeOp {
    match expr[a] {
        Math::Call(Func::Exp, b) if matches!(expr[b], Math::Neg(n) if matches!(expr[n], Math::Call(Func::Abs, _))) => SafeOp::Call(Func::Log1p, a),
        Math::Call(Func::Exp, b) => SafeOp::Softplus(b),
        _ => SafeOp::Call(Func::Log1p, a),
    }
}

fn power(a: Id, b: Id, exponent: Option<f64>) -> SafeOp {
    match exponent {
        Some(2.0) => SafeOp::Product(vec![a, a]),
        Some(3.0) => SafeOp::Product(vec![a, a, a]),
        Some(0.5) => SafeOp::Call(Func::Sqrt, a),
        Some(n) if n == n.trunc() && n.abs() <= i32::MAX as f64 => SafeOp::Powi(a, n as i32),
        _ => SafeOp::Powf(a, b),
    }
}

/// Nodes the root reaches through the lowered operations (a rewrite such as
/// `ln_1p` can make the `1 + a` node dead).
pub fn live_nodes(ops: &[SafeOp], roots: &[Id]) -> Vec<bool> {
    let mut live = vec![false; ops.len()];
    for r in roots {
        live[usize::from(*r)] = true;
    }
    for i in (0..ops.len()).rev() {
        if live[i] {
            for c in ops[i].operands() {
                live[usize::from(c)] = true;
            }
        }
    }
    live
}
