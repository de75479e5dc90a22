//! The SPEC §1 parser on arbitrary text (checks: `foil_compiler::fuzzing::check_parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(src) = foil_compiler::fuzzing::as_source(data) {
        let _ = foil_compiler::fuzzing::check_parse(src);
    }
});
