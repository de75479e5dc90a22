//! GA and SA on whatever parses, default e-graph limits; every claimed
//! result re-verified (checks: `foil_compiler::fuzzing::check_derive`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(src) = foil_compiler::fuzzing::as_source(data) {
        foil_compiler::fuzzing::check_derive(src);
    }
});
