//! The committed fuzz corpora of `parse` and `derive` (`fuzz/corpus/`),
//! replayed through the checks the fuzz targets run
//! ([`foil_compiler::fuzzing`]): every input a fuzz run found interesting, or
//! that once crashed a target, stays a regression test on stable.

use foil_compiler::fuzzing::{as_source, check_derive, check_parse};
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
}

#[test]
fn parse_corpus_replays() {
    for (_, data) in corpus("parse") {
        if let Some(src) = as_source(&data) {
            let _ = check_parse(src);
        }
    }
}

#[test]
fn derive_corpus_replays() {
    for (path, data) in corpus("derive") {
        if let Some(src) = as_source(&data) {
            eprintln!("{}", path.file_name().unwrap().to_string_lossy());
            check_derive(src);
        }
    }
}
