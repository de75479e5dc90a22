//! Arbitrary text → `proc_macro2::TokenStream` → the macros' expansion
//! (`foil_codegen::expand`, the very code the proc-macro crate calls) →
//! SPEC → compiler → generated items.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(src) = foil_compiler::fuzzing::as_source(data) {
        foil_codegen::fuzz_check::check_macro_input(src);
    }
});
