//! Symbolic differentiation, piecewise constructs included: the derivative of
//! `min`/`max`/`where` is a `where` over the same condition, and `abs` gives
//! `sign`.
//!
//! ```
//! use foil_compiler::{diff::derivative, lang::Expr};
//! let f: Expr = "(* x x)".parse().unwrap();
//! assert_eq!(derivative(&f, "x").to_string(), "(+ x x)");
//! ```

use crate::build::Builder;
use crate::lang::{Cmp, Expr, Func, Math};
use egg::{Id, Symbol};
use std::collections::HashMap;

/// d expr / d var.
pub fn derivative(expr: &Expr, var: &str) -> Expr {
    let mut b = Builder::new();
    let root = derivative_into(&mut b, expr, crate::lang::root(expr), Symbol::from(var));
    b.finish_at(root)
}

/// Differentiate the subtree `id` of `expr` into `b`, returning the new root.
pub fn derivative_into(b: &mut Builder, expr: &Expr, id: Id, var: Symbol) -> Id {
    let mut cx = Cx { expr, var, copies: HashMap::new(), derivs: HashMap::new() };
    cx.d(b, id)
}

struct Cx<'a> {
    expr: &'a Expr,
    var: Symbol,
    copies: HashMap<Id, Id>,
    derivs: HashMap<Id, Id>,
}

impl Cx<'_> {
    /// The subtree `id`, copied into `b`.
    fn e(&mut self, b: &mut Builder, id: Id) -> Id {
        if let Some(&c) = self.copies.get(&id) {
            return c;
        }
        let c = b.copy(self.expr, id);
        self.copies.insert(id, c);
        c
    }

    fn d(&mut self, b: &mut Builder, id: Id) -> Id {
        if let Some(&c) = self.derivs.get(&id) {
            return c;
        }
        let r = self.d_uncached(b, id);
        self.derivs.insert(id, r);
        r
    }

    fn d_uncached(&mut self, b: &mut Builder, id: Id) -> Id {
        let node = self.expr[id].clone();
        match node {
            Math::Num(_) | Math::Pi | Math::Euler => b.num(0.0),
            Math::Var(s) => b.num(if s == self.var { 1.0 } else { 0.0 }),
            Math::Add([p, q]) => {
                let (dp, dq) = (self.d(b, p), self.d(b, q));
                b.add_(dp, dq)
            }
            Math::Sub([p, q]) => {
                let (dp, dq) = (self.d(b, p), self.d(b, q));
                b.sub(dp, dq)
            }
            Math::Neg(p) => {
                let dp = self.d(b, p);
                b.neg(dp)
            }
            Math::Mul([p, q]) => {
                let (ep, eq, dp, dq) = (self.e(b, p), self.e(b, q), self.d(b, p), self.d(b, q));
                let l = b.mul(dp, eq);
                let r = b.mul(ep, dq);
                b.add_(l, r)
            }
            Math::Div([p, q]) => {
                let (ep, eq, dp, dq) = (self.e(b, p), self.e(b, q), self.d(b, p), self.d(b, q));
                if b.value(dq) == Some(0.0) {
                    return b.div(dp, eq);
                }
                let l = b.mul(dp, eq);
                let r = b.mul(ep, dq);
                let num = b.sub(l, r);
                let den = b.powi(eq, 2);
                b.div(num, den)
            }
            Math::Pow([p, q]) => {
                let (ep, eq, dp, dq) = (self.e(b, p), self.e(b, q), self.d(b, p), self.d(b, q));
                let pq = self.e(b, id);
                if b.value(dq) == Some(0.0) {
                    // q * p^(q-1) * p'
                    let one = b.num(1.0);
                    let qm1 = b.sub(eq, one);
                    let pw = b.pow(ep, qm1);
                    let t = b.mul(eq, pw);
                    b.mul(t, dp)
                } else {
                    // p^q * (q' log p + q p'/p)
                    let lp = b.call(Func::Log, ep);
                    let a = b.mul(dq, lp);
                    let qdp = b.mul(eq, dp);
                    let c = b.div(qdp, ep);
                    let s = b.add_(a, c);
                    b.mul(pq, s)
                }
            }
            Math::Call(Func::Exp, p) | Math::Call(Func::Expm1, p) => {
                let ep = self.e(b, p);
                let ex = b.call(Func::Exp, ep);
                self.chain(b, ex, p)
            }
            Math::Call(Func::Log, p) => {
                let (ep, dp) = (self.e(b, p), self.d(b, p));
                b.div(dp, ep)
            }
            Math::Call(Func::Log1p, p) => {
                let (ep, dp) = (self.e(b, p), self.d(b, p));
                let one = b.num(1.0);
                let den = b.add_(one, ep);
                b.div(dp, den)
            }
            Math::Call(Func::Sqrt, p) => {
                let dp = self.d(b, p);
                let s = self.e(b, id);
                let two = b.num(2.0);
                let den = b.mul(two, s);
                b.div(dp, den)
            }
            Math::Call(Func::Abs, p) => {
                let ep = self.e(b, p);
                let sg = b.call(Func::Sign, ep);
                self.chain(b, sg, p)
            }
            // sign is locally constant; its jump is a break point handled by the piecewise logic.
            Math::Call(Func::Sign, _) => b.num(0.0),
            Math::Call(Func::Sin, p) => {
                let ep = self.e(b, p);
                let c = b.call(Func::Cos, ep);
                self.chain(b, c, p)
            }
            Math::Call(Func::Cos, p) => {
                let ep = self.e(b, p);
                let s = b.call(Func::Sin, ep);
                let ns = b.neg(s);
                self.chain(b, ns, p)
            }
            Math::Call(Func::Atan, p) => {
                let (ep, dp) = (self.e(b, p), self.d(b, p));
                let one = b.num(1.0);
                let sq = b.powi(ep, 2);
                let den = b.add_(one, sq);
                b.div(dp, den)
            }
            Math::Call(Func::Sinh, p) => {
                let ep = self.e(b, p);
                let c = b.call(Func::Cosh, ep);
                self.chain(b, c, p)
            }
            Math::Call(Func::Cosh, p) => {
                let ep = self.e(b, p);
                let s = b.call(Func::Sinh, ep);
                self.chain(b, s, p)
            }
            Math::Call(Func::Tanh, p) => {
                // 1/cosh² rather than 1 - tanh²: the latter cancels to exactly 0
                // for |p| > 19 in f64, which would make 1/f' infinite there.
                let ep = self.e(b, p);
                let c = b.call(Func::Cosh, ep);
                let sq = b.powi(c, 2);
                let one = b.num(1.0);
                let sech2 = b.div(one, sq);
                self.chain(b, sech2, p)
            }
            Math::Call(Func::Asinh, p) => {
                let (ep, dp) = (self.e(b, p), self.d(b, p));
                let one = b.num(1.0);
                let sq = b.powi(ep, 2);
                let s = b.add_(sq, one);
                let r = b.call(Func::Sqrt, s);
                b.div(dp, r)
            }
            Math::Call(Func::Erf, p) | Math::Call(Func::Erfi, p) => {
                // 2/sqrt(pi) * exp(∓p²)
                let ep = self.e(b, p);
                let sq = b.powi(ep, 2);
                let arg = if matches!(node, Math::Call(Func::Erf, _)) { b.neg(sq) } else { sq };
                let ex = b.call(Func::Exp, arg);
                let two = b.num(2.0);
                let pi = b.add(Math::Pi);
                let rp = b.call(Func::Sqrt, pi);
                let k = b.div(two, rp);
                let g = b.mul(k, ex);
                self.chain(b, g, p)
            }
            Math::Min([p, q]) | Math::Max([p, q]) => {
                let (ep, eq, dp, dq) = (self.e(b, p), self.e(b, q), self.d(b, p), self.d(b, q));
                let cond = if matches!(node, Math::Min(_)) { Math::Compare(Cmp::Le, [ep, eq]) } else { Math::Compare(Cmp::Ge, [ep, eq]) };
                let c = b.add(cond);
                self.select(b, c, dp, dq)
            }
            Math::Where([c, p, q]) => {
                let ec = self.e(b, c);
                let (dp, dq) = (self.d(b, p), self.d(b, q));
                self.select(b, ec, dp, dq)
            }
            // Comparisons only appear as `where` conditions, which are not differentiated.
            Math::Compare(Cmp::Lt, _) | Math::Compare(Cmp::Le, _) | Math::Compare(Cmp::Gt, _) | Math::Compare(Cmp::Ge, _) => b.num(0.0),
        }
    }

    /// outer'(p) * p'
    fn chain(&mut self, b: &mut Builder, outer: Id, p: Id) -> Id {
        let dp = self.d(b, p);
        b.mul(outer, dp)
    }

    fn select(&mut self, b: &mut Builder, c: Id, p: Id, q: Id) -> Id {
        if p == q {
            p
        } else {
            b.add(Math::Where([c, p, q]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::eval1;

    /// Independent check: 8th-order central differences in f64.
    fn numeric_derivative(f: &Expr, x: f64) -> f64 {
        let h = 1e-3 * x.abs().max(1.0);
        let c = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
        let mut s = 0.0;
        for (k, ck) in c.iter().enumerate() {
            let k = (k + 1) as f64;
            s += ck * (eval1(f, "x", x + k * h) - eval1(f, "x", x - k * h));
        }
        s / h
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let cases = [
            "(tanh x)",
            "(/ 1 (+ 1 (exp (neg x))))",
            "(log (+ 1 (exp x)))",
            "(* x (tanh (log (+ 1 (exp x)))))",
            "(* (* 0.5 x) (+ 1 (erf (/ x (sqrt 2)))))",
            "(/ x (sqrt (+ 1 (^ x 2))))",
            "(^ x x)",
            "(asinh (* 3 x))",
            "(erfi (/ x 2))",
            "(atan (sin x))",
            "(log1p (expm1 (/ x 3)))",
            "(^ (cosh x) 0.5)",
            "(where (> x 0) (* x x) (sinh x))",
            "(max (* 2 x) (sin x))",
            "(min (* 2 x) (sin x))",
            "(/ x (+ 1 (abs x)))",
        ];
        for src in cases {
            let f: Expr = src.parse().unwrap();
            let df = derivative(&f, "x");
            for i in 0..40 {
                let x = 0.05 + (i as f64 - 20.0) * 0.17;
                let (a, n) = (eval1(&df, "x", x), numeric_derivative(&f, x));
                if !n.is_finite() {
                    continue;
                }
                assert!((a - n).abs() <= 1e-7 * n.abs().max(1.0), "{src} at {x}: {a} vs {n} (d = {df})");
            }
        }
    }
}
