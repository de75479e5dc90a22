//! The checks the fuzz targets (`fuzz/`) run on each input, shared with the
//! corpus replay test (`compiler/tests/fuzz_corpus.rs`) so that the committed
//! corpus is a regression suite on the stable toolchain.
//!
//! Every check panics on a violation (that is how libFuzzer learns of it):
//! a panic inside the compiler, a call slower than [`CALL_TIME_BOUND`], a
//! parse error whose span is not on the input's char boundaries, or a claimed
//! GA/SA that does not pass an independent re-verification.

use crate::diff::derivative;
use crate::eval::eval1;
use crate::ga::{derive_global_adversarial, GaOptions, GaResult};
use crate::hdfgd::{derive_split_adversarial, Granularity, SaResult, TermConstant};
use crate::lang::{Expr, Func};
use crate::parse::{parse, ParseError};
use crate::print::to_spec;
use crate::simplify::Limits;
use crate::verify::verify_adversarial;
use std::time::{Duration, Instant};

/// The most one compiler call (parse, GA or SA) may take on any input. The
/// e-graph's own time limit is 1 s per simplification and a derivation runs a
/// handful of them, so anything past this is a runaway, not a slow input.
pub const CALL_TIME_BOUND: Duration = Duration::from_secs(20);

/// Run `f`, panicking if it takes longer than [`CALL_TIME_BOUND`].
pub fn timed<T>(what: &str, src: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took <= CALL_TIME_BOUND, "{what} took {took:?} (bound {CALL_TIME_BOUND:?}) on {src:?}");
    out
}

/// Fuzz input bytes as the compiler sees them: only UTF-8 reaches it (the CLI
/// and the macros refuse other bytes before parsing).
pub fn as_source(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The `parse` target: parsing never panics, never exceeds the time bound,
/// and every error carries a span inside the input on char boundaries.
pub fn check_parse(src: &str) -> Result<Expr, ParseError> {
    let result = timed("parse", src, || parse(src));
    if let Err(e) = &result {
        let (start, end) = (e.span.offset(), e.span.offset() + e.span.len());
        assert!(
            end <= src.len() && src.is_char_boundary(start) && src.is_char_boundary(end),
            "span {start}..{end} of {:?} is not on the char boundaries of the {}-byte input {src:?}",
            e.kind,
            src.len()
        );
        assert!(!e.message.is_empty(), "{:?} error without a message on {src:?}", e.kind);
    }
    result
}

/// The `derive` target: whatever parses goes through GA and SA (elementary
/// split, plain terms) with the default e-graph limits; neither panics nor
/// exceeds the time bound, and every result they claim re-verifies.
pub fn check_derive(src: &str) {
    if let Ok(f) = check_parse(src) {
        check_derive_expr(&f, src, &Limits::default());
    }
}

/// [`check_derive`] on a built expression (`label` names it in a failure),
/// with the given e-graph limits: the random-tree property test uses this
/// with small limits so that thousands of trees fit in a CI run.
pub fn check_derive_expr(f: &Expr, label: &str, limits: &Limits) {
    let opts = GaOptions { limits: limits.clone(), ..GaOptions::default() };
    if let Ok(ga) = timed("GA", label, || derive_global_adversarial(f, &opts)) {
        check_ga(&ga, label);
    }
    let sa = timed("SA", label, || derive_split_adversarial(f, Granularity::Elementary, TermConstant::Plain, &opts));
    if let Ok(sa) = sa {
        check_sa(&sa, label);
    }
}

/// Re-verify a claimed GA from its input alone: f' and g' are differentiated
/// afresh here, not taken from the result.
fn check_ga(ga: &GaResult, src: &str) {
    let g = &ga.adversarial;
    let (df, dg) = (derivative(&ga.input, "x"), derivative(g, "x"));
    let anchor = ga.anchor.map(|a| (a, eval1(&ga.input, "x", a)));
    if ga.closed_form {
        let v = verify_adversarial(&df, g, &dg, "x", &ga.break_points, anchor);
        assert!(v.passed, "GA of {src:?} claimed g = {} but it fails verification: {:?}", to_spec(g), v.failure);
    } else {
        // A numeric (piecewise-polynomial) g is verified by the compiler to its
        // own stated bound; here the claim must at least be that it passed
        // with a finite bound.
        assert!(ga.verification.passed, "GA of {src:?} returned an unverified numeric result");
        assert!(ga.error_bound.is_some_and(f64::is_finite), "GA of {src:?} is numeric without a finite error bound: {:?}", ga.error_bound);
    }
}

/// Re-verify every term of a claimed SA: a_i' = 1/t_i' in the term's own
/// variable, and the split recombines to f.
fn check_sa(sa: &SaResult, src: &str) {
    for t in &sa.terms {
        let dt = derivative(&rename(&t.term, &t.var), &t.var);
        // A term with break points (where, abs, min, max) is verified by the
        // compiler around its breaks, which the result does not carry; such
        // terms rely on that verification below.
        if t.closed_form && !has_breaks(&t.term) {
            let da = derivative(&t.adversarial, &t.var);
            let v = verify_adversarial(&dt, &t.adversarial, &da, &t.var, &[], None);
            assert!(
                v.passed,
                "SA of {src:?}: term {} = {} claimed a = {} but it fails verification: {:?}",
                t.var,
                to_spec(&t.term),
                to_spec(&t.adversarial),
                v.failure
            );
        }
        assert!(t.verification.passed, "SA of {src:?}: term {} returned unverified", t.var);
    }
    assert!(sa.split_max_rel_error <= 1e-9, "SA of {src:?}: F(x,…,x) differs from f by {:.3e}", sa.split_max_rel_error);
}

fn has_breaks(e: &Expr) -> bool {
    use crate::lang::Math;
    e.as_ref().iter().any(|n| matches!(n, Math::Where(_) | Math::Call(Func::Abs, _) | Math::Min(_) | Math::Max(_)))
}

/// A term is stored in `x`; its adversarial in its own variable `u_i`.
fn rename(e: &Expr, to: &str) -> Expr {
    let mut b = crate::build::Builder::new();
    let x = egg::Symbol::from("x");
    let r = b.substitute(e, crate::lang::root(e), &|bb, s| (s == x).then(|| bb.var(to)));
    b.finish_at(r)
}
