//! Arbitrary text → `proc_macro2::TokenStream` → the macros' own
//! tokens → SPEC → compiler → codegen path. The macros crate is a proc-macro
//! crate and cannot be linked, so its modules are compiled in here from their
//! source files; they are the same files rustc compiles into the macros.
#![no_main]

#[path = "../../macros/src/spec_text.rs"]
#[allow(dead_code)]
mod spec_text;
#[path = "../../macros/src/invocation.rs"]
mod invocation;
#[path = "../../macros/src/expand.rs"]
mod expand;
#[path = "../../macros/src/fuzz_check.rs"]
mod fuzz_check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(src) = foil_compiler::fuzzing::as_source(data) {
        fuzz_check::check_macro_input(src);
    }
});
