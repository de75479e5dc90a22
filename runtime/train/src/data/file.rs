//! Whole-file reads with transparent gzip and a size cap.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::DataError;

/// Upper bound on the (decompressed) size of any one data file.
///
/// The largest real inputs (CIFAR-100 `train.bin`, 150 MB; full MNIST train
/// images, 47 MB) sit far below it. The cap exists so that a gzip bomb or a
/// corrupt header becomes an error rather than an out-of-memory abort.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads `path` fully, gunzipping it if it starts with the gzip signature.
///
/// Sniffing the content instead of trusting the `.gz` suffix lets users
/// pass files that were decompressed but not renamed (or vice versa).
pub(crate) fn read_all(path: &Path) -> Result<Vec<u8>, DataError> {
    let too_large = || DataError::FileTooLarge { path: path.to_path_buf(), limit: MAX_FILE_BYTES };

    let mut raw = Vec::new();
    File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut raw)).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    if raw.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }

    // Multi-member so that concatenated gzip files (valid per RFC 1952) work;
    // reading to the end also makes flate2 verify the CRC.
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip { path: path.to_path_buf(), source })?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(out)
}
