//! Building expressions node by node, with the local simplifications every
//! derived expression needs (`0*a = 0`, `1*a = a`, literal folding) so that
//! derivatives and antiderivatives do not balloon before the e-graph sees them.
//!
//! ```
//! use foil_compiler::build::Builder;
//! let mut b = Builder::new();
//! let x = b.var("x");
//! let one = b.num(1.0);
//! let y = b.mul(one, x); // 1*x folds to x
//! assert_eq!(b.finish_at(y).to_string(), "x");
//! ```

use crate::lang::{literal_value, num, var, Expr, Func, Math};
use egg::{Id, Language, RecExpr};
use std::collections::HashMap;

/// A hash-consing expression builder: equal subtrees share one id.
#[derive(Default, Clone)]
pub struct Builder {
    nodes: RecExpr<Math>,
    memo: HashMap<Math, Id>,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a node as is (children must already be in this builder).
    pub fn add(&mut self, node: Math) -> Id {
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        // Not `RecExpr::add`: egg 0.11 returns `RecExpr::root()` from it, which
        // walks every id, making each add O(n) and building quadratic in
        // unoptimised builds. Moving the Vec out and back is O(1).
        let id = Id::from(self.nodes.as_ref().len());
        let mut nodes: Vec<Math> = std::mem::take(&mut self.nodes).into();
        nodes.push(node.clone());
        self.nodes = RecExpr::from(nodes);
        self.memo.insert(node, id);
        id
    }

    /// The node at `id`.
    pub fn node(&self, id: Id) -> &Math {
        &self.nodes[id]
    }

    /// The literal value at `id`, if it is a literal.
    pub fn value(&self, id: Id) -> Option<f64> {
        literal_value(&self.nodes[id])
    }

    pub fn num(&mut self, v: f64) -> Id {
        self.add(num(v))
    }

    pub fn var(&mut self, name: &str) -> Id {
        self.add(var(name))
    }

    /// Copy the subtree `id` of `src` into this builder.
    pub fn copy(&mut self, src: &Expr, id: Id) -> Id {
        self.copy_with(src, id, &|_, _| None, false)
    }

    /// Copy `src` with every variable replaced by the id `subst` gives for it
    /// (variables it maps to `None` are kept).
    ///
    /// Iterative: derived expressions can be thousands of levels deep, and a
    /// recursive copy overflowed the stack there.
    pub fn substitute(&mut self, src: &Expr, id: Id, subst: &dyn Fn(&mut Builder, egg::Symbol) -> Option<Id>) -> Id {
        self.copy_with(src, id, subst, true)
    }

    /// [`Self::copy`] (nodes as they are) or [`Self::substitute`] (operators
    /// rebuilt, so the constants a substitution brings in fold).
    fn copy_with(&mut self, src: &Expr, id: Id, subst: &dyn Fn(&mut Builder, egg::Symbol) -> Option<Id>, rebuild: bool) -> Id {
        let nodes = src.as_ref();
        let mut map: Vec<Option<Id>> = vec![None; usize::from(id) + 1];
        // Depth-first, children left to right before their parent: the order
        // a recursive copy adds nodes in, so copies compare equal as before.
        let mut stack: Vec<(Id, bool)> = vec![(id, false)];
        while let Some((at, children_done)) = stack.pop() {
            let i = usize::from(at);
            if map[i].is_some() {
                continue;
            }
            if !children_done {
                stack.push((at, true));
                stack.extend(nodes[i].children().iter().rev().map(|&c| (c, false)));
                continue;
            }
            let new = match &nodes[i] {
                Math::Var(s) => match subst(self, *s) {
                    Some(r) => r,
                    None => self.add(Math::Var(*s)),
                },
                node => {
                    let node = node.clone().map_children(|c| map[usize::from(c)].expect("children are copied first"));
                    if rebuild {
                        self.rebuild(node)
                    } else {
                        self.add(node)
                    }
                }
            };
            map[i] = Some(new);
        }
        map[usize::from(id)].expect("the root is copied")
    }

    /// Re-add a node through the smart constructors (so substitution folds).
    pub fn rebuild(&mut self, node: Math) -> Id {
        match node {
            Math::Add([a, b]) => self.add_(a, b),
            Math::Sub([a, b]) => self.sub(a, b),
            Math::Mul([a, b]) => self.mul(a, b),
            Math::Div([a, b]) => self.div(a, b),
            Math::Pow([a, b]) => self.pow(a, b),
            Math::Neg(a) => self.neg(a),
            other => self.add(other),
        }
    }

    pub fn add_(&mut self, a: Id, b: Id) -> Id {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) if (x + y).is_finite() && is_plain(&self.nodes[a]) && is_plain(&self.nodes[b]) => self.num(x + y),
            (Some(x), _) if x == 0.0 => b,
            (_, Some(y)) if y == 0.0 => a,
            _ => {
                if let Math::Neg(nb) = self.nodes[b] {
                    return self.sub(a, nb);
                }
                self.add(Math::Add([a, b]))
            }
        }
    }

    pub fn sub(&mut self, a: Id, b: Id) -> Id {
        if a == b {
            return self.num(0.0);
        }
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) if (x - y).is_finite() && is_plain(&self.nodes[a]) && is_plain(&self.nodes[b]) => self.num(x - y),
            (_, Some(y)) if y == 0.0 => a,
            (Some(x), _) if x == 0.0 => self.neg(b),
            _ => {
                if let Math::Neg(nb) = self.nodes[b] {
                    return self.add_(a, nb);
                }
                self.add(Math::Sub([a, b]))
            }
        }
    }

    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) if (x * y).is_finite() && is_plain(&self.nodes[a]) && is_plain(&self.nodes[b]) => self.num(x * y),
            (Some(x), _) | (_, Some(x)) if x == 0.0 => self.num(0.0),
            (Some(x), _) if x == 1.0 => b,
            (_, Some(y)) if y == 1.0 => a,
            (Some(x), _) if x == -1.0 => self.neg(b),
            (_, Some(y)) if y == -1.0 => self.neg(a),
            _ => {
                // Keep literals on the left: `2*x`, not `x*2`.
                if self.value(b).is_some() && self.value(a).is_none() {
                    return self.add(Math::Mul([b, a]));
                }
                match (self.nodes[a].clone(), self.nodes[b].clone()) {
                    (Math::Neg(na), Math::Neg(nb)) => self.mul(na, nb),
                    (Math::Neg(na), _) => {
                        let m = self.mul(na, b);
                        self.neg(m)
                    }
                    (_, Math::Neg(nb)) => {
                        let m = self.mul(a, nb);
                        self.neg(m)
                    }
                    _ => self.add(Math::Mul([a, b])),
                }
            }
        }
    }

    pub fn div(&mut self, a: Id, b: Id) -> Id {
        if a == b {
            return self.num(1.0);
        }
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) if y != 0.0 && (x / y).is_finite() && is_plain(&self.nodes[a]) && is_plain(&self.nodes[b]) && is_short(x / y) => self.num(x / y),
            (Some(x), _) if x == 0.0 => self.num(0.0),
            (_, Some(y)) if y == 1.0 => a,
            (_, Some(y)) if y == -1.0 => self.neg(a),
            _ => match (self.nodes[a].clone(), self.nodes[b].clone()) {
                (Math::Neg(na), Math::Neg(nb)) => self.div(na, nb),
                (Math::Neg(na), _) => {
                    let d = self.div(na, b);
                    self.neg(d)
                }
                (_, Math::Neg(nb)) => {
                    let d = self.div(a, nb);
                    self.neg(d)
                }
                _ => self.add(Math::Div([a, b])),
            },
        }
    }

    pub fn pow(&mut self, a: Id, b: Id) -> Id {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) if x.powf(y).is_finite() && is_plain(&self.nodes[a]) && is_plain(&self.nodes[b]) && is_short(x.powf(y)) => self.num(x.powf(y)),
            (_, Some(y)) if y == 0.0 => self.num(1.0),
            (_, Some(y)) if y == 1.0 => a,
            _ => self.add(Math::Pow([a, b])),
        }
    }

    pub fn powi(&mut self, a: Id, n: i32) -> Id {
        let n = self.num(n as f64);
        self.pow(a, n)
    }

    pub fn neg(&mut self, a: Id) -> Id {
        match self.nodes[a].clone() {
            Math::Neg(inner) => inner,
            Math::Num(c) => self.num(-c.into_inner()),
            Math::Sub([p, q]) => self.sub(q, p),
            _ => self.add(Math::Neg(a)),
        }
    }

    /// An elementary function of `a`, e.g. `b.call(Func::Exp, x)`.
    pub fn call(&mut self, f: Func, a: Id) -> Id {
        // Fold the few identities that keep derived forms readable.
        if let Some(v) = self.value(a) {
            match (f, v) {
                (Func::Exp | Func::Cosh | Func::Cos, 0.0) => return self.num(1.0),
                (Func::Log, 1.0) => return self.num(0.0),
                (Func::Sqrt, 0.0 | 1.0) => return self.num(v),
                (Func::Sinh | Func::Tanh | Func::Sin | Func::Atan | Func::Asinh | Func::Erf | Func::Erfi, 0.0) => return self.num(0.0),
                _ => {}
            }
        }
        if let (Func::Log, Math::Call(Func::Exp, inner)) = (f, &self.nodes[a]) {
            return *inner;
        }
        self.add(Math::Call(f, a))
    }

    /// Sum of many terms (0 for none).
    pub fn sum(&mut self, terms: impl IntoIterator<Item = Id>) -> Id {
        let mut acc: Option<Id> = None;
        for t in terms {
            acc = Some(match acc {
                None => t,
                Some(s) => self.add_(s, t),
            });
        }
        acc.unwrap_or_else(|| self.num(0.0))
    }

    /// Finish with the last-added node as the root.
    pub fn finish(self) -> Expr {
        let root = Id::from(self.nodes.as_ref().len() - 1);
        self.finish_at(root)
    }

    /// Finish with `root` as the root, dropping nodes it does not reach.
    pub fn finish_at(&self, root: Id) -> Expr {
        let mut out = Builder::new();
        out.copy(&self.nodes, root);
        out.nodes
    }

    /// The raw nodes (for callers that index ids they hold).
    pub fn nodes(&self) -> &Expr {
        &self.nodes
    }
}

/// Numbers fold; `pi` and `e` stay symbolic so printed results keep them.
fn is_plain(node: &Math) -> bool {
    matches!(node, Math::Num(_))
}

/// A value that prints short (so `1/3` stays a fraction rather than 0.333…).
pub fn is_short(v: f64) -> bool {
    let s = format!("{v}");
    s.len() <= 8
}

/// Copy the subtree at `id` of `expr` into a fresh expression.
pub fn subtree(expr: &Expr, id: Id) -> Expr {
    let mut b = Builder::new();
    b.copy(expr, id);
    b.finish()
}
