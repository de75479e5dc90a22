//! The one error type shared by all loaders, so callers match on a single enum.

use std::io;
use std::path::PathBuf;

/// Why a dataset file could not be loaded. Every variant names the file (or
/// directory) involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    #[error("{}: I/O error: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    /// The file starts with the gzip signature but does not decompress.
    #[error("{}: corrupt gzip data: {source}", path.display())]
    Gzip { path: PathBuf, source: io::Error },

    #[error("{}: file exceeds the {limit}-byte limit (after decompression)", path.display())]
    FileTooLarge { path: PathBuf, limit: u64 },

    #[error("{}: wrong magic number 0x{found:08x}, expected 0x{expected:08x}", path.display())]
    BadMagic { path: PathBuf, found: u32, expected: u32 },

    /// A well-formed IDX header for an element type other than `u8`.
    #[error(
        "{}: unsupported IDX element type 0x{code:02x} ({}); only unsigned bytes (0x08) are supported",
        path.display(),
        dtype_name(*code)
    )]
    UnsupportedDtype { path: PathBuf, code: u8 },

    /// Header dimensions whose product overflows or exceeds [`crate::data::MAX_FILE_BYTES`].
    #[error("{}: header declares dimensions {dims:?}, more than the {limit}-byte limit", path.display())]
    DimsTooLarge { path: PathBuf, dims: Vec<u32>, limit: u64 },

    #[error("{}: truncated file: expected {expected} bytes of {part}, found {found}", path.display())]
    Truncated { path: PathBuf, part: &'static str, expected: u64, found: u64 },

    /// More payload than the header declares: usually a mismatched or concatenated file.
    #[error("{}: expected {expected} bytes of payload, found {found} (trailing data)", path.display())]
    TrailingData { path: PathBuf, expected: u64, found: u64 },

    #[error(
        "label count ≠ image count: {} holds {label_count} labels but {} holds {image_count} images",
        labels.display(),
        images.display()
    )]
    CountMismatch { images: PathBuf, labels: PathBuf, image_count: usize, label_count: usize },

    #[error("{}: images are {}×{}, expected {}×{}", path.display(), found.0, found.1, expected.0, expected.1)]
    BadShape { path: PathBuf, expected: (usize, usize), found: (usize, usize) },

    #[error("{}: label {label} of record {index} is outside 0..{classes}", path.display())]
    LabelOutOfRange { path: PathBuf, index: usize, label: u8, classes: u16 },

    #[error("{}: missing dataset files: {}", dir.display(), missing.join(", "))]
    MissingFiles { dir: PathBuf, missing: Vec<String> },

    /// A dataset that comes as a system package, not installed.
    #[error(
        "{dataset} is not installed: {} holds no {}. It is the Debian package {package}: `sudo apt-get install {package}`",
        dir.display(),
        missing.join(", ")
    )]
    NotInstalled { dataset: &'static str, dir: PathBuf, package: &'static str, missing: Vec<String> },
}

/// IDX type codes, so an "unsupported dtype" message says what the file holds.
fn dtype_name(code: u8) -> &'static str {
    match code {
        0x08 => "u8",
        0x09 => "i8",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown",
    }
}
