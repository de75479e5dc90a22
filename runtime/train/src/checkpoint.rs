//! Checkpoints: one file per epoch, written atomically and verified on load.
//!
//! Layout (little endian): `FOILCKPT` magic, u32 format version, then three
//! length-prefixed (u64) sections: a JSON header ([`CheckpointHeader`]), the
//! model record (burnpack bytes) and the optimizer record; then an FNV-1a
//! 64-bit checksum of everything before it. A file that is truncated, has
//! trailing bytes, or fails the checksum is rejected with the reason and its
//! path; nothing is ever deleted on failure, so the previous epoch's file
//! stays usable.
//!
//! Writing: atomic ([`crate::atomic`]). A crash at any point leaves either the old state or
//! the complete new file.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::metrics::EpochMetrics;
use crate::TrainConfig;

const MAGIC: &[u8; 8] = b"FOILCKPT";
const VERSION: u32 = 1;

/// What a checkpoint knows besides the weights.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CheckpointHeader {
    pub config: TrainConfig,
    /// Epochs completed (1-based count).
    pub epoch: usize,
    pub history: Vec<EpochMetrics>,
}

pub struct Checkpoint {
    pub header: CheckpointHeader,
    pub model: Vec<u8>,
    pub optimizer: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot write checkpoint {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read checkpoint {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("checkpoint {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// `DIR/checkpoint-epoch-NNNN.bin`.
pub fn path_for(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("checkpoint-epoch-{epoch:04}.bin"))
}

/// Checkpoint files in `dir`, newest epoch first.
pub fn list(dir: &Path) -> Vec<(usize, PathBuf)> {
    let mut v: Vec<(usize, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("checkpoint-epoch-")?.strip_suffix(".bin")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0));
    v
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

impl Checkpoint {
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("header serialises");
        let mut out = Vec::with_capacity(header.len() + self.model.len() + self.optimizer.len() + 48);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        for section in [&header[..], &self.model, &self.optimizer] {
            out.extend_from_slice(&(section.len() as u64).to_le_bytes());
            out.extend_from_slice(section);
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        let corrupt = |reason: String| CheckpointError::Corrupt { path: path.to_path_buf(), reason };
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(corrupt("not a foil checkpoint (bad magic; truncated or another file)".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != VERSION {
            return Err(corrupt(format!("format version {version}, this foil reads version {VERSION}")));
        }
        let mut pos = 12;
        let mut sections = Vec::new();
        for name in ["header", "model", "optimizer"] {
            let len = bytes
                .get(pos..pos + 8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize)
                .ok_or_else(|| corrupt(format!("truncated before the {name} section ({} bytes)", bytes.len())))?;
            pos += 8;
            let end = pos
                .checked_add(len)
                .filter(|&e| e <= bytes.len())
                .ok_or_else(|| corrupt(format!("truncated in the {name} section (needs {len} bytes, file has {} bytes)", bytes.len())))?;
            sections.push(&bytes[pos..end]);
            pos = end;
        }
        let stored =
            bytes.get(pos..pos + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap())).ok_or_else(|| corrupt("truncated before the checksum".into()))?;
        if pos + 8 != bytes.len() {
            return Err(corrupt(format!("{} unexpected trailing bytes", bytes.len() - pos - 8)));
        }
        if fnv1a(&bytes[..pos]) != stored {
            return Err(corrupt("checksum mismatch (the file was modified or partly written)".into()));
        }
        let header: CheckpointHeader = serde_json::from_slice(sections[0]).map_err(|e| corrupt(format!("unreadable header: {e}")))?;
        Ok(Checkpoint { header, model: sections[1].to_vec(), optimizer: sections[2].to_vec() })
    }

    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes = fs::read(path).map_err(|source| CheckpointError::Read { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes, path)
    }

    /// Atomic write: temp file + fsync + rename + directory fsync.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        write_atomic(path, &self.to_bytes()).map_err(|e| CheckpointError::Write { path: e.path, source: e.source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelConfig;
    use foil_burn::Mode;

    fn sample() -> Checkpoint {
        Checkpoint {
            header: CheckpointHeader { config: TrainConfig::new(ModelConfig::mlp("tanh(x)", Mode::Ga, 2, 16), 3, 7), epoch: 1, history: vec![] },
            model: vec![1, 2, 3, 4, 5],
            optimizer: vec![9; 100],
        }
    }

    #[test]
    fn round_trips_and_rejects_every_truncation_and_bit_flip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.bin");
        let c = sample();
        c.save(&p).unwrap();
        let back = Checkpoint::load(&p).unwrap();
        assert_eq!(back.header, c.header);
        assert_eq!((back.model, back.optimizer), (c.model.clone(), c.optimizer.clone()));
        let bytes = c.to_bytes();
        for cut in [0, 5, 12, 20, bytes.len() / 2, bytes.len() - 1] {
            let e = Checkpoint::from_bytes(&bytes[..cut], &p).err().expect("truncated must fail");
            assert!(matches!(e, CheckpointError::Corrupt { .. }), "{e}");
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(Checkpoint::from_bytes(&b, &p).is_err(), "flip at {i} accepted");
        }
        assert!(!dir.path().join("c.tmp").exists(), "temp file left behind");
    }
}
