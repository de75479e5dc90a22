//! E-graph search for a form some specialist accepts.
//!
//! The integrand goes into an e-graph, a small bounded set of identities
//! (kept as data in [`rules`]) saturates it, and then every e-node of the
//! root class is offered to the specialists, with children extracted by
//! AST size. Linearity is used on the way: a class containing `a + b`,
//! `a - b`, `-a` or `c·a` integrates if its parts do (memoised per class,
//! cycle-guarded, because classes can contain themselves).

use super::specialists;
use crate::build::Builder;
use crate::lang::{Expr, Math};
use egg::{rewrite as rw, AstSize, EGraph, Extractor, Id, Language, RecExpr, Rewrite, Runner, Symbol};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The e-graph analysis. `()` for now, isolated here so the shared
/// constant-folding analysis of `crate::simplify` can replace it.
type Analysis = ();

const NODE_LIMIT: usize = 5_000;
const ITER_LIMIT: usize = 8;
const TIME_LIMIT: Duration = Duration::from_millis(50);
/// Offering forms to the specialists costs a self-check each; bound the total.
const SEARCH_BUDGET: Duration = Duration::from_millis(1500);

/// The identities the search may use: each rewrites toward a form that one
/// specialist's canonical conversion handles. Built once per process, as
/// [`crate::simplify::rules`].
fn rules() -> &'static [Rewrite<Math, Analysis>] {
    static RULES: std::sync::OnceLock<Vec<Rewrite<Math, Analysis>>> = std::sync::OnceLock::new();
    RULES.get_or_init(build_rules)
}

fn build_rules() -> Vec<Rewrite<Math, Analysis>> {
    vec![
        rw!("recip-recip"; "(/ 1 (/ 1 ?a))" => "?a"),
        rw!("div-div"; "(/ ?a (/ ?b ?c))" => "(/ (* ?a ?c) ?b)"),
        rw!("sech2"; "(- 1 (^ (tanh ?a) 2))" => "(/ 1 (^ (cosh ?a) 2))"),
        rw!("cosh2"; "(^ (cosh ?a) 2)" => "(/ (+ (cosh (* 2 ?a)) 1) 2)"),
        rw!("sinh2"; "(^ (sinh ?a) 2)" => "(/ (- (cosh (* 2 ?a)) 1) 2)"),
        rw!("cos2"; "(^ (cos ?a) 2)" => "(/ (+ 1 (cos (* 2 ?a))) 2)"),
        rw!("sin2"; "(^ (sin ?a) 2)" => "(/ (- 1 (cos (* 2 ?a))) 2)"),
        rw!("exp-add"; "(* (exp ?a) (exp ?b))" => "(exp (+ ?a ?b))"),
        rw!("div-exp"; "(/ ?a (exp ?b))" => "(* ?a (exp (neg ?b)))"),
        rw!("distribute"; "(* ?a (+ ?b ?c))" => "(+ (* ?a ?b) (* ?a ?c))"),
        rw!("distribute-sub"; "(* ?a (- ?b ?c))" => "(- (* ?a ?b) (* ?a ?c))"),
        rw!("div-add"; "(/ (+ ?a ?b) ?c)" => "(+ (/ ?a ?c) (/ ?b ?c))"),
        rw!("div-sub"; "(/ (- ?a ?b) ?c)" => "(- (/ ?a ?c) (/ ?b ?c))"),
        rw!("mul-comm"; "(* ?a ?b)" => "(* ?b ?a)"),
        rw!("sqrt-pow"; "(sqrt ?a)" => "(^ ?a 0.5)"),
        rw!("log-exp"; "(log (exp ?a))" => "?a"),
        rw!("exp-log"; "(exp (log ?a))" => "?a"),
    ]
}

/// Some verified antiderivative of `integrand` found through equivalent forms.
pub fn antiderivative(integrand: &Expr, var: Symbol, rejected: &mut Option<Expr>) -> Option<Expr> {
    let runner = Runner::<Math, Analysis>::default()
        .with_node_limit(NODE_LIMIT)
        .with_iter_limit(ITER_LIMIT)
        .with_time_limit(TIME_LIMIT)
        .with_expr(integrand)
        .run(rules());
    let root = runner.egraph.find(runner.roots[0]);
    let mut search = Search {
        egraph: &runner.egraph,
        extractor: Extractor::new(&runner.egraph, AstSize),
        var,
        out: Builder::new(),
        memo: HashMap::new(),
        rejected,
        deadline: Instant::now() + SEARCH_BUDGET,
    };
    let id = search.class(root)?;
    Some(search.out.finish_at(id))
}

struct Search<'a, 'r> {
    egraph: &'a EGraph<Math, Analysis>,
    extractor: Extractor<'a, AstSize, Math, Analysis>,
    var: Symbol,
    out: Builder,
    /// `None` while a class is being worked on (the cycle guard) or once it failed.
    memo: HashMap<Id, Option<Id>>,
    rejected: &'r mut Option<Expr>,
    deadline: Instant,
}

impl Search<'_, '_> {
    fn class(&mut self, class: Id) -> Option<Id> {
        let class = self.egraph.find(class);
        if let Some(done) = self.memo.get(&class) {
            return *done;
        }
        self.memo.insert(class, None);
        let found = self.try_class(class);
        self.memo.insert(class, found);
        found
    }

    fn try_class(&mut self, class: Id) -> Option<Id> {
        let (_, best) = self.extractor.find_best(class);
        if let Some(id) = self.leaf(&best) {
            return Some(id);
        }
        let nodes = self.egraph[class].nodes.clone();
        for node in &nodes {
            if let Some(id) = self.linear(node) {
                return Some(id);
            }
            // The node itself with its children at their smallest forms.
            let expr = node_expr(node, &|c| self.extractor.find_best(c).1);
            if let Some(id) = self.leaf(&expr) {
                return Some(id);
            }
        }
        None
    }

    /// ∫(a ± b), ∫-a, ∫c·a, ∫a/c from the parts.
    fn linear(&mut self, node: &Math) -> Option<Id> {
        match *node {
            Math::Add([a, c]) | Math::Sub([a, c]) => {
                let (ia, ic) = (self.class(a)?, self.class(c)?);
                Some(if matches!(node, Math::Add(_)) { self.out.add_(ia, ic) } else { self.out.sub(ia, ic) })
            }
            Math::Neg(a) => {
                let ia = self.class(a)?;
                Some(self.out.neg(ia))
            }
            Math::Mul([k, a]) | Math::Div([a, k]) => {
                let kexpr = self.extractor.find_best(k).1;
                super::constant_value(&kexpr, crate::lang::root(&kexpr))?;
                let ia = self.class(a)?;
                let kid = self.out.copy(&kexpr, crate::lang::root(&kexpr));
                Some(if matches!(node, Math::Mul(_)) { self.out.mul(kid, ia) } else { self.out.div(ia, kid) })
            }
            _ => None,
        }
    }

    fn leaf(&mut self, expr: &Expr) -> Option<Id> {
        if Instant::now() > self.deadline {
            return None;
        }
        let found = specialists(expr, crate::lang::root(expr), self.var, self.rejected)?;
        Some(self.out.copy(&found, crate::lang::root(&found)))
    }
}

/// `node` with each child class replaced by the expression `child` gives.
fn node_expr(node: &Math, child: &dyn Fn(Id) -> Expr) -> Expr {
    let mut out = RecExpr::default();
    let node = node.clone().map_children(|c| {
        let sub = child(c);
        let mut map = Vec::with_capacity(sub.as_ref().len());
        for n in sub.as_ref() {
            map.push(out.add(n.clone().map_children(|g| map[usize::from(g)])));
        }
        *map.last().expect("non-empty child")
    });
    out.add(node);
    out
}
