//! The macros' diagnostics, pinned with trybuild (`tests/ui/*.stderr`), and
//! `adversarial!` compiled and run by a crate that depends only on `foil`.
//!
//! They live here rather than in the facade `foil` so that trybuild's own build
//! of `foil` has no default features: the generated code needs only cubecl's
//! frontend, not a GPU runtime or burn (which would more than double the cost
//! of this test on a cold cache).

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

/// `adversarial!` on SPEC §2's examples, compiled and run as a user crate would.
#[test]
fn adversarial_global() {
    trybuild::TestCases::new().pass("tests/ui-pass/*.rs");
}
