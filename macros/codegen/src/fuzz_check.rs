//! The check the `macro_input` fuzz target (`fuzz/fuzz_targets/macro_input.rs`)
//! runs on each input, kept here so that the target and the corpus replay
//! test below run the same code.
//!
//! Arbitrary text is lexed into a `proc_macro2::TokenStream` and expanded by
//! each of the three macros. None may panic or run past the compiler's
//! [`CALL_TIME_BOUND`]; what they emit on success must be a well-formed Rust
//! file, and an error must be a compile error, not an empty expansion.

use crate::expand;
use foil_compiler::fuzzing::timed;
use proc_macro2::TokenStream;

pub fn check_macro_input(src: &str) {
    // Text that does not lex as Rust never reaches a macro: rustc refuses it first.
    let Ok(tokens) = src.parse::<TokenStream>() else { return };
    let macros: [(&str, fn(TokenStream) -> syn::Result<TokenStream>); 3] =
        [("activation!", expand::activation), ("adversarial!", expand::adversarial), ("hd_fgd!", expand::hd_fgd)];
    for (name, expand) in macros {
        match timed(name, src, || expand(tokens.clone())) {
            Ok(items) => {
                if let Err(e) = syn::parse2::<syn::File>(items) {
                    panic!("{name}({src}) emitted tokens that are not Rust items: {e}");
                }
            }
            Err(e) => {
                let message = e.to_string();
                assert!(!message.trim().is_empty(), "{name}({src}) failed without a message");
                assert!(!e.to_compile_error().is_empty(), "{name}({src}): empty compile error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Replays the committed `macro_input` fuzz corpus (a regression suite on
    /// the stable toolchain).
    #[test]
    fn fuzz_corpus_replays() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/macro_input");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            if let Ok(src) = std::str::from_utf8(&data) {
                super::check_macro_input(src);
            }
            count += 1;
        }
        assert!(count > 0, "no corpus in {}", dir.display());
    }
}
