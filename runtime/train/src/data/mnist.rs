//! MNIST as normalised `f32` buffers, from the committed 10k subset or any
//! directory holding the standard IDX files.

use std::path::{Path, PathBuf};

use super::idx::{read_images, read_labels};
use super::{normalise, DataError};

/// Side length of an MNIST image.
pub const SIDE: usize = 28;
/// Pixels per image (`SIDE * SIDE`); the row stride of [`Split::images`].
pub const PIXELS: usize = SIDE * SIDE;
/// Number of digit classes.
pub const CLASSES: usize = 10;

/// Directory of the committed 10,000-image subset (see its README).
pub const EMBEDDED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");

/// One partition of the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Row-major `len × PIXELS`, each pixel scaled from `0..=255` to `[0, 1]`.
    pub images: Vec<f32>,
    /// One label in `0..CLASSES` per image.
    pub labels: Vec<u8>,
    pub len: usize,
}

impl Split {
    /// The `i`-th image as `PIXELS` values, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[f32]> {
        self.images.get(i.checked_mul(PIXELS)?..i.checked_add(1)?.checked_mul(PIXELS)?)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Splits off everything from image `at` onwards (`at` is clamped to `len`).
    fn split_off(&mut self, at: usize) -> Split {
        let at = at.min(self.len);
        let tail = Split { images: self.images.split_off(at * PIXELS), labels: self.labels.split_off(at), len: self.len - at };
        self.len = at;
        tail
    }
}

/// MNIST train and test partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    pub train: Split,
    pub test: Split,
}

/// File names of the standard distribution, without the optional `.gz`.
const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
/// File names of the single-file layout used by the committed subset.
const ALL_IMAGES: &str = "images-idx3-ubyte";
const ALL_LABELS: &str = "labels-idx1-ubyte";

impl Mnist {
    /// The committed subset: the first 8,000 images train, the last 2,000 test.
    pub fn embedded() -> Result<Self, DataError> {
        Self::from_dir(EMBEDDED_DIR)
    }

    /// Loads from `dir` holding either the four standard files
    /// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally
    /// `.gz`), or the single-file layout `images-idx3-ubyte[.gz]` +
    /// `labels-idx1-ubyte[.gz]`, which is split 80/20 in file order (the
    /// committed files are already shuffled, so no reshuffle is needed).
    ///
    /// The standard layout wins when both are present.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let standard = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS].map(|n| find(dir, n));
        if let [Some(tr_img), Some(tr_lab), Some(te_img), Some(te_lab)] = &standard {
            return Ok(Mnist { train: load_split(tr_img, tr_lab)?, test: load_split(te_img, te_lab)? });
        }
        if let (Some(img), Some(lab)) = (find(dir, ALL_IMAGES), find(dir, ALL_LABELS)) {
            let mut train = load_split(&img, &lab)?;
            // ceil(0.8 n) for training; written this way it cannot overflow.
            let test = train.split_off(train.len - train.len / 5);
            return Ok(Mnist { train, test });
        }

        // Report the standard layout's missing files: it is the one users
        // download; the single-file layout is mentioned as the alternative.
        let mut missing: Vec<String> = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS]
            .iter()
            .zip(&standard)
            .filter(|(_, found)| found.is_none())
            .map(|(name, _)| format!("{name}[.gz]"))
            .collect();
        missing.push(format!("(or {ALL_IMAGES}[.gz] + {ALL_LABELS}[.gz])"));
        Err(DataError::MissingFiles { dir: dir.to_path_buf(), missing })
    }
}

/// `dir/name` if it exists, else `dir/name.gz` if that exists.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))].into_iter().find(|p| p.is_file())
}

/// Loads and cross-checks one image file and its label file.
fn load_split(images_path: &Path, labels_path: &Path) -> Result<Split, DataError> {
    let images = read_images(images_path)?;
    if (images.rows, images.cols) != (SIDE, SIDE) {
        return Err(DataError::BadShape { path: images_path.to_path_buf(), expected: (SIDE, SIDE), found: (images.rows, images.cols) });
    }
    let labels = read_labels(labels_path)?;
    if labels.len() != images.count {
        return Err(DataError::CountMismatch {
            images: images_path.to_path_buf(),
            labels: labels_path.to_path_buf(),
            image_count: images.count,
            label_count: labels.len(),
        });
    }
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| usize::from(l) >= CLASSES) {
        return Err(DataError::LabelOutOfRange { path: labels_path.to_path_buf(), index, label, classes: CLASSES as u16 });
    }
    Ok(Split { images: normalise(&images.pixels), labels, len: images.count })
}
