//! Reader for the IDX format used by MNIST (and Fashion-MNIST, EMNIST).
//!
//! Layout: a 4-byte magic `00 00 <dtype> <rank>`, then `rank` big-endian
//! `u32` dimensions, then the row-major payload. Only `u8` payloads are
//! supported, since every dataset we load stores bytes. Files may be gzipped.

use std::path::Path;

use super::file::{read_all, MAX_FILE_BYTES};
use super::DataError;

/// IDX element type code for unsigned bytes.
const DTYPE_U8: u8 = 0x08;

/// Magic of a rank-3 `u8` file: images as `count × rows × cols`.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic of a rank-1 `u8` file: one label per image.
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// A decoded rank-3 IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    /// `count * rows * cols` raw pixel bytes, row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX image file (magic `0x00000803`), gzipped or not.
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    let path = path.as_ref();
    let (dims, pixels) = read_u8(path, 3)?;
    Ok(IdxImages { count: dims[0], rows: dims[1], cols: dims[2], pixels })
}

/// Reads an IDX label file (magic `0x00000801`), gzipped or not.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    Ok(read_u8(path.as_ref(), 1)?.1)
}

/// Reads a `u8` IDX file of the given rank, returning its dimensions and payload.
fn read_u8(path: &Path, rank: u8) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let mut bytes = read_all(path)?;
    let (dims, header_len) = parse_header(path, &bytes, rank)?;
    // Drop the header in place rather than copying the payload out.
    bytes.drain(..header_len);
    Ok((dims, bytes))
}

/// Validates the header and payload length; returns dims and header length.
fn parse_header(path: &Path, bytes: &[u8], rank: u8) -> Result<(Vec<usize>, usize), DataError> {
    let header_len = 4 + 4 * usize::from(rank);
    let truncated_header = || DataError::Truncated { path: path.to_path_buf(), part: "header", expected: header_len as u64, found: bytes.len() as u64 };

    let Some(&[m0, m1, m2, m3]) = bytes.get(..4) else {
        return Err(truncated_header());
    };
    let magic = [m0, m1, m2, m3];
    let expected_magic = u32::from_be_bytes([0, 0, DTYPE_U8, rank]);
    let found_magic = u32::from_be_bytes(magic);
    if found_magic != expected_magic {
        // A valid IDX header of another element type deserves a clearer
        // message than "wrong magic".
        if magic[..2] == [0, 0] && magic[2] != DTYPE_U8 {
            return Err(DataError::UnsupportedDtype { path: path.to_path_buf(), code: magic[2] });
        }
        return Err(DataError::BadMagic { path: path.to_path_buf(), found: found_magic, expected: expected_magic });
    }

    let header = bytes.get(4..header_len).ok_or_else(truncated_header)?;
    let raw_dims: Vec<u32> = header.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();

    // Checked product: three u32 dims can overflow u64, and a corrupt header
    // must not lead us to trust an absurd size.
    let expected = raw_dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(u64::from(d)))
        .filter(|&n| n <= MAX_FILE_BYTES)
        .ok_or_else(|| DataError::DimsTooLarge { path: path.to_path_buf(), dims: raw_dims.clone(), limit: MAX_FILE_BYTES })?;

    let found = (bytes.len() - header_len) as u64;
    if found < expected {
        return Err(DataError::Truncated { path: path.to_path_buf(), part: "payload", expected, found });
    }
    if found > expected {
        return Err(DataError::TrailingData { path: path.to_path_buf(), expected, found });
    }

    // A zero dim makes the product 0 whatever the others are, so they can be
    // up to u32::MAX; that fits any usize of 32 bits or more, and we still
    // convert fallibly rather than assume it.
    let dims = raw_dims.iter().map(|&d| usize::try_from(d)).collect::<Result<Vec<_>, _>>().map_err(|_| DataError::DimsTooLarge {
        path: path.to_path_buf(),
        dims: raw_dims.clone(),
        limit: MAX_FILE_BYTES,
    })?;
    Ok((dims, header_len))
}
