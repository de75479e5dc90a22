//! CIFAR-10 and CIFAR-100 in their "binary version" format.
//!
//! A file is a bare sequence of fixed-size records with no header: CIFAR-10
//! records are `label, 3072 pixels`; CIFAR-100 records are
//! `coarse label, fine label, 3072 pixels`. Pixels are three 32×32 planes
//! (red, green, blue), each row-major; we keep that channel-major (CHW)
//! order because it is what convolution layers consume.

use std::path::{Path, PathBuf};

use super::file::read_all;
use super::{normalise, DataError};

/// Side length of a CIFAR image.
pub const SIDE: usize = 32;
/// Colour channels per image.
pub const CHANNELS: usize = 3;
/// Values per image (`CHANNELS * SIDE * SIDE`); the row stride of [`CifarSplit::images`].
pub const PIXELS: usize = CHANNELS * SIDE * SIDE;

/// One partition of CIFAR data.
#[derive(Debug, Clone, PartialEq)]
pub struct CifarSplit {
    /// Row-major `len × PIXELS`, CHW within an image, scaled to `[0, 1]`.
    pub images: Vec<f32>,
    /// CIFAR-10: the class (`0..10`). CIFAR-100: the fine class (`0..100`).
    pub labels: Vec<u8>,
    /// CIFAR-100 only: the superclass (`0..20`) of each image.
    pub coarse_labels: Option<Vec<u8>>,
    pub len: usize,
}

impl CifarSplit {
    /// The `i`-th image as `PIXELS` values, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[f32]> {
        self.images.get(i.checked_mul(PIXELS)?..i.checked_add(1)?.checked_mul(PIXELS)?)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn append(&mut self, mut other: CifarSplit) {
        self.images.append(&mut other.images);
        self.labels.append(&mut other.labels);
        if let (Some(mine), Some(theirs)) = (&mut self.coarse_labels, &mut other.coarse_labels) {
            mine.append(theirs);
        }
        self.len += other.len;
    }
}

/// Which of the two record layouts a file uses.
#[derive(Clone, Copy)]
enum Variant {
    Cifar10,
    Cifar100,
}

impl Variant {
    fn label_bytes(self) -> usize {
        match self {
            Variant::Cifar10 => 1,
            Variant::Cifar100 => 2,
        }
    }

    fn record_size(self) -> usize {
        self.label_bytes() + PIXELS
    }

    /// Class counts of each label byte, in record order.
    fn classes(self) -> &'static [u16] {
        match self {
            Variant::Cifar10 => &[10],
            Variant::Cifar100 => &[20, 100],
        }
    }

    /// How a truncation error describes the unit the file must be made of.
    fn records_part(self) -> &'static str {
        match self {
            Variant::Cifar10 => "whole CIFAR-10 records (3073 bytes each)",
            Variant::Cifar100 => "whole CIFAR-100 records (3074 bytes each)",
        }
    }
}

/// Reads one CIFAR-10 batch file (e.g. `data_batch_1.bin`).
pub fn read_cifar10_file(path: impl AsRef<Path>) -> Result<CifarSplit, DataError> {
    read_file(path.as_ref(), Variant::Cifar10)
}

/// Reads one CIFAR-100 file (`train.bin` or `test.bin`).
pub fn read_cifar100_file(path: impl AsRef<Path>) -> Result<CifarSplit, DataError> {
    read_file(path.as_ref(), Variant::Cifar100)
}

fn read_file(path: &Path, variant: Variant) -> Result<CifarSplit, DataError> {
    let bytes = read_all(path)?;
    let record = variant.record_size();
    // An empty file is rejected too: it is a failed download, not a dataset.
    if bytes.is_empty() || bytes.len() % record != 0 {
        let whole = bytes.len().div_ceil(record).max(1) * record;
        return Err(DataError::Truncated { path: path.to_path_buf(), part: variant.records_part(), expected: whole as u64, found: bytes.len() as u64 });
    }

    let len = bytes.len() / record;
    let mut pixels = Vec::with_capacity(len * PIXELS);
    let mut label_cols: Vec<Vec<u8>> = vec![Vec::with_capacity(len); variant.label_bytes()];
    for (index, rec) in bytes.chunks_exact(record).enumerate() {
        let (labels, image) = rec.split_at(variant.label_bytes());
        for ((&label, &classes), col) in labels.iter().zip(variant.classes()).zip(&mut label_cols) {
            if u16::from(label) >= classes {
                return Err(DataError::LabelOutOfRange { path: path.to_path_buf(), index, label, classes });
            }
            col.push(label);
        }
        pixels.extend_from_slice(image);
    }

    // The fine label is the last byte of a CIFAR-100 record, the only one of CIFAR-10.
    let labels = label_cols.pop().unwrap_or_default();
    let coarse_labels = label_cols.pop();
    Ok(CifarSplit { images: normalise(&pixels), labels, coarse_labels, len })
}

/// Resolves `dir`, descending into the directory the official tarball
/// extracts to when the user points at its parent.
fn resolve_dir(dir: &Path, first_file: &str, tarball_dir: &str) -> PathBuf {
    let nested = dir.join(tarball_dir);
    if !dir.join(first_file).is_file() && nested.join(first_file).is_file() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// Fails with every missing file listed, rather than on the first one.
fn require(dir: &Path, names: &[&str]) -> Result<(), DataError> {
    let missing: Vec<String> = names.iter().filter(|n| !dir.join(n).is_file()).map(|n| n.to_string()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DataError::MissingFiles { dir: dir.to_path_buf(), missing })
    }
}

/// CIFAR-10: 10 classes, five training batches and one test batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Cifar10 {
    pub train: CifarSplit,
    pub test: CifarSplit,
}

impl Cifar10 {
    pub const TRAIN_FILES: [&'static str; 5] = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    pub const TEST_FILE: &'static str = "test_batch.bin";

    /// Loads from `dir` (or its `cifar-10-batches-bin/` subdirectory);
    /// the training batches are concatenated in order.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = resolve_dir(dir.as_ref(), Self::TRAIN_FILES[0], "cifar-10-batches-bin");
        let mut all = Self::TRAIN_FILES.to_vec();
        all.push(Self::TEST_FILE);
        require(&dir, &all)?;

        let mut train = read_cifar10_file(dir.join(Self::TRAIN_FILES[0]))?;
        for name in &Self::TRAIN_FILES[1..] {
            train.append(read_cifar10_file(dir.join(name))?);
        }
        let test = read_cifar10_file(dir.join(Self::TEST_FILE))?;
        Ok(Cifar10 { train, test })
    }
}

/// CIFAR-100: 100 fine classes grouped into 20 coarse ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Cifar100 {
    pub train: CifarSplit,
    pub test: CifarSplit,
}

impl Cifar100 {
    pub const TRAIN_FILE: &'static str = "train.bin";
    pub const TEST_FILE: &'static str = "test.bin";

    /// Loads from `dir` (or its `cifar-100-binary/` subdirectory).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = resolve_dir(dir.as_ref(), Self::TRAIN_FILE, "cifar-100-binary");
        require(&dir, &[Self::TRAIN_FILE, Self::TEST_FILE])?;
        Ok(Cifar100 { train: read_cifar100_file(dir.join(Self::TRAIN_FILE))?, test: read_cifar100_file(dir.join(Self::TEST_FILE))? })
    }
}
