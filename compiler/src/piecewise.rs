//! Piecewise expressions: where their branches switch (break points) and the
//! smooth expression each interval between break points reduces to.
//!
//! ```
//! use foil_compiler::piecewise::{break_points, specialize};
//! let f = "(/ x (+ 1 (abs x)))".parse().unwrap();
//! assert_eq!(break_points(&f, "x"), vec![0.0]);
//! assert_eq!(specialize(&f, "x", -1.0).to_string(), "(/ x (- 1 x))");
//! ```

use crate::build::subtree;
use crate::build::Builder;
use crate::eval::eval1;
use crate::lang::{Cmp, Expr, Func, Math};
use egg::Id;
use std::collections::HashMap;

/// Does the expression contain a piecewise construct that depends on `var`?
pub fn is_piecewise(expr: &Expr) -> bool {
    expr.as_ref().iter().any(|n| matches!(n, Math::Call(Func::Abs, _) | Math::Call(Func::Sign, _) | Math::Min(_) | Math::Max(_) | Math::Where(_)))
}

/// The switching functions: branch choices change where one of these changes sign.
fn switch_functions(expr: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    for node in expr.as_ref() {
        let pair = match node {
            Math::Call(Func::Abs, a) | Math::Call(Func::Sign, a) => {
                out.push(subtree(expr, *a));
                continue;
            }
            Math::Min([a, b]) | Math::Max([a, b]) => (*a, *b),
            Math::Compare(Cmp::Lt, [a, b]) | Math::Compare(Cmp::Le, [a, b]) | Math::Compare(Cmp::Gt, [a, b]) | Math::Compare(Cmp::Ge, [a, b]) => (*a, *b),
            _ => continue,
        };
        let mut bld = Builder::new();
        let l = bld.copy(expr, pair.0);
        let r = bld.copy(expr, pair.1);
        let d = bld.sub(l, r);
        out.push(bld.finish_at(d));
    }
    out
}

/// Where the branches of `expr` switch, ascending, snapped to short decimals
/// when within 1e-12 of one (so a break at 0 prints as 0).
pub fn break_points(expr: &Expr, var: &str) -> Vec<f64> {
    let mut pts = Vec::new();
    for s in switch_functions(expr) {
        if crate::lang::is_constant(&s, crate::lang::root(&s)) {
            continue;
        }
        let z = crate::zeros::find_zeros(&|x| eval1(&s, var, x));
        pts.extend(z.zeros);
    }
    for p in pts.iter_mut() {
        let r = (*p * 1e6).round() / 1e6;
        if (r - *p).abs() <= 1e-12 * p.abs().max(1.0) {
            *p = r;
        }
        if *p == 0.0 {
            *p = 0.0; // no -0
        }
    }
    pts.sort_by(|a, b| a.total_cmp(b));
    pts.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    pts
}

/// The smooth expression `expr` equals near `at` (strictly inside an interval
/// between break points): each piecewise construct replaced by its active branch.
pub fn specialize(expr: &Expr, var: &str, at: f64) -> Expr {
    let mut b = Builder::new();
    let mut memo = HashMap::new();
    let root = spec(expr, crate::lang::root(expr), var, at, &mut b, &mut memo);
    b.finish_at(root)
}

fn spec(expr: &Expr, id: Id, var: &str, at: f64, b: &mut Builder, memo: &mut HashMap<Id, Id>) -> Id {
    if let Some(&r) = memo.get(&id) {
        return r;
    }
    let value = |i: Id| eval1(&subtree(expr, i), var, at);
    let r = match expr[id].clone() {
        Math::Call(Func::Abs, a) => {
            let s = spec(expr, a, var, at, b, memo);
            if value(a) >= 0.0 {
                s
            } else {
                b.neg(s)
            }
        }
        Math::Call(Func::Sign, a) => {
            let v = crate::eval::sign(value(a));
            b.num(if v.is_nan() { 0.0 } else { v })
        }
        Math::Min([p, q]) => {
            let pick = if value(p) <= value(q) { p } else { q };
            spec(expr, pick, var, at, b, memo)
        }
        Math::Max([p, q]) => {
            let pick = if value(p) >= value(q) { p } else { q };
            spec(expr, pick, var, at, b, memo)
        }
        Math::Where([c, p, q]) => {
            let pick = if value(c) != 0.0 { p } else { q };
            spec(expr, pick, var, at, b, memo)
        }
        node => {
            let node = egg::Language::map_children(node, |c| spec(expr, c, var, at, b, memo));
            b.rebuild(node)
        }
    };
    memo.insert(id, r);
    r
}

/// [`specialize`] over a whole interval: the smooth expressions `roots` of
/// `nodes` reduce to on every x of `x`, each branch chosen by the interval
/// enclosures of its condition; `None` where one is undecided there. Sound
/// where [`specialize`] at a point is not: on the tail [16, ∞), `relu(kx)`
/// is kx, so `exp(kx - relu(kx))` becomes `exp(0)`, which interval
/// evaluation of the unreduced form (∞ - ∞) cannot see.
pub fn specialize_on(nodes: &Expr, roots: &[Id], var: &str, x: crate::interval::I) -> Option<(Expr, Vec<Id>)> {
    let name = egg::Symbol::from(var);
    let v = crate::interval::eval_nodes(nodes, &|s| if s == name { x } else { crate::interval::I::NAI });
    let mut b = Builder::new();
    let mut memo = HashMap::new();
    let roots = roots.iter().map(|&r| spec_on(nodes, r, var, &v, &mut b, &mut memo)).collect::<Option<Vec<Id>>>()?;
    Some((b.nodes().clone(), roots))
}

fn spec_on(nodes: &Expr, id: Id, var: &str, v: &[crate::interval::I], b: &mut Builder, memo: &mut HashMap<Id, Id>) -> Option<Id> {
    if let Some(&r) = memo.get(&id) {
        return Some(r);
    }
    let at = |i: Id| v[usize::from(i)];
    let decided = |i: &crate::interval::I| i.is_valid();
    let r = match nodes[id].clone() {
        // An exponent collected (`-x + 2*x` is x): the divided forms of
        // [`crate::lower::overflow_safe_forms`] subtract exponents, and an
        // interval evaluation of `-x + 2*x` on a tail is all of ℝ.
        Math::Call(Func::Exp, a) => {
            let s = spec_on(nodes, a, var, v, b, memo)?;
            let exponent = subtree(b.nodes(), s);
            let collected = crate::canon::polynomial_form(&exponent, var).filter(|p| p.as_ref().len() < exponent.as_ref().len());
            let s = collected.map_or(s, |p| b.copy(&p, crate::lang::root(&p)));
            b.add(Math::Call(Func::Exp, s))
        }
        Math::Call(Func::Abs, a) if decided(&at(a)) && at(a).lo >= 0.0 => spec_on(nodes, a, var, v, b, memo)?,
        Math::Call(Func::Abs, a) if decided(&at(a)) && at(a).hi <= 0.0 => {
            let s = spec_on(nodes, a, var, v, b, memo)?;
            b.neg(s)
        }
        Math::Call(Func::Sign, a) if decided(&at(a)) && (at(a).lo > 0.0 || at(a).hi < 0.0) => b.num(if at(a).lo > 0.0 { 1.0 } else { -1.0 }),
        Math::Min([p, q]) | Math::Max([p, q]) if decided(&at(p)) && decided(&at(q)) && (at(p).hi <= at(q).lo || at(q).hi <= at(p).lo) => {
            let p_below = at(p).hi <= at(q).lo;
            let pick = if matches!(nodes[id], Math::Min(_)) == p_below { p } else { q };
            spec_on(nodes, pick, var, v, b, memo)?
        }
        Math::Where([c, p, _]) if decided(&at(c)) && (at(c).lo > 0.0 || at(c).hi < 0.0) => spec_on(nodes, p, var, v, b, memo)?,
        Math::Where([c, _, q]) if decided(&at(c)) && at(c).lo == 0.0 && at(c).hi == 0.0 => spec_on(nodes, q, var, v, b, memo)?,
        Math::Call(Func::Abs | Func::Sign, _) | Math::Min(_) | Math::Max(_) | Math::Where(_) => return None,
        node => {
            let mut children = Vec::new();
            for c in egg::Language::children(&node) {
                children.push(spec_on(nodes, *c, var, v, b, memo)?);
            }
            let mut k = 0;
            let node = egg::Language::map_children(node, |_| {
                k += 1;
                children[k - 1]
            });
            b.rebuild(node)
        }
    };
    memo.insert(id, r);
    Some(r)
}

/// An open interval `(lo, hi)` of the real line (infinite ends allowed).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// A point strictly inside, away from the ends.
    pub fn interior_point(&self) -> f64 {
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) => 0.5 * (self.lo + self.hi),
            (true, false) => self.lo + 1.0,
            (false, true) => self.hi - 1.0,
            (false, false) => 0.0,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        x > self.lo && x < self.hi
    }

    /// SPEC-style text: `x < 0`, `0 < x < 1`, or `all x`.
    pub fn describe(&self, var: &str) -> String {
        self.describe_ends(var, (false, false))
    }

    /// [`Interval::describe`], with `≤`/`≥` at a finite end that `closed`
    /// says belongs to the set (`log(x)` is undefined for x ≤ 0, not x < 0).
    pub fn describe_ends(&self, var: &str, closed: (bool, bool)) -> String {
        use crate::zeros::fmt9;
        if self.lo == self.hi {
            return format!("{var} = {}", fmt9(self.lo));
        }
        let (lo_op, hi_op) = (if closed.0 { "≤" } else { "<" }, if closed.1 { "≤" } else { "<" });
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (false, false) => format!("all {var}"),
            (false, true) => format!("{var} {hi_op} {}", fmt9(self.hi)),
            (true, false) => format!("{var} {} {}", if closed.0 { "≥" } else { ">" }, fmt9(self.lo)),
            (true, true) => format!("{} {lo_op} {var} {hi_op} {}", fmt9(self.lo), fmt9(self.hi)),
        }
    }
}

/// The intervals the break points cut the real line into.
pub fn intervals(breaks: &[f64]) -> Vec<Interval> {
    let mut ends = vec![f64::NEG_INFINITY];
    ends.extend_from_slice(breaks);
    ends.push(f64::INFINITY);
    ends.windows(2).map(|w| Interval { lo: w[0], hi: w[1] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interval::I;

    /// On [16, ∞) `relu(2x)` is 2x and the exponent `2x - 2x` collects to 0;
    /// on [-1, 1] the maximum is undecided, and nothing is claimed.
    #[test]
    fn specialises_over_an_interval_only_where_every_branch_is_decided() {
        let e: Expr = "(/ (exp (- (* 2 x) (max (* 2 x) 0))) (+ (exp (neg (max (* 2 x) 0))) (exp (- (* 2 x) (max (* 2 x) 0)))))".parse().unwrap();
        let root = crate::lang::root(&e);
        let (tail, roots) = specialize_on(&e, &[root], "x", I::new(16.0, f64::INFINITY)).unwrap();
        let text = crate::print::to_spec(&crate::build::subtree(&tail, roots[0]));
        assert!(!text.contains("max") && !text.contains("relu"), "{text}");
        let v = crate::interval::eval_nodes(&tail, &|_| I::new(16.0, f64::INFINITY))[usize::from(roots[0])];
        assert!(v.lo > 1.0 - 1e-12 && v.hi < 1.0 + 1e-12, "{v:?} of {text}");
        assert!(specialize_on(&e, &[root], "x", I::new(-1.0, 1.0)).is_none());
        let (left, roots) = specialize_on(&e, &[root], "x", I::new(f64::NEG_INFINITY, -16.0)).unwrap();
        let v = crate::interval::eval_nodes(&left, &|_| I::new(f64::NEG_INFINITY, -16.0))[usize::from(roots[0])];
        assert!(v.lo >= 0.0 && v.hi < 1e-13, "{v:?}");
    }
}
