//! `foil fetch`: put a dataset where `--data DIR` reads it, from the network
//! or, offline, from a local copy (`--from`). Training never downloads: this
//! is the one command that may.
//!
//! Whatever the source, the result is checked by loading it exactly as
//! `foil train --data DIR` will, so a truncated download or a wrong archive
//! is reported here, naming the file, and not at the start of a training run.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use foil_train::Dataset;

use crate::outcome::{Exit, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DatasetName {
    /// The four gzipped IDX files of MNIST (60,000 + 10,000 digits).
    Mnist,
    /// CIFAR-10, binary version (cifar-10-binary.tar.gz).
    Cifar10,
    /// CIFAR-100, binary version (cifar-100-binary.tar.gz).
    Cifar100,
}

#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    #[arg(value_enum)]
    pub dataset: DatasetName,
    /// Directory to fill; `foil train --data DIR` then reads it.
    #[arg(long)]
    pub out: PathBuf,
    /// Offline: a local copy instead of the network — the .tar.gz (or .tar)
    /// archive for CIFAR, a directory holding the IDX files for MNIST.
    #[arg(long, conflicts_with = "url")]
    pub from: Option<PathBuf>,
    /// Download from this URL (a mirror) instead of the dataset's home; for
    /// MNIST, the directory URL the four file names are appended to.
    #[arg(long)]
    pub url: Option<String>,
}

const MNIST_FILES: [&str; 4] = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

impl DatasetName {
    fn home(self) -> &'static str {
        match self {
            DatasetName::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist/",
            DatasetName::Cifar10 => "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
            DatasetName::Cifar100 => "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
        }
    }
}

pub fn fetch(a: &FetchArgs) -> Outcome {
    if let Err(e) = foil_train::check_out_dir(&a.out) {
        return Outcome::fail(Exit::of_train(&e), e);
    }
    let placed = match (&a.from, a.dataset) {
        (Some(src), DatasetName::Mnist) => copy_idx_files(src, &a.out).map_err(|e| (Exit::Invalid, e)),
        (Some(src), _) => unpack(src, &a.out).map_err(|e| (Exit::Invalid, e)),
        (None, DatasetName::Mnist) => {
            let base = a.url.clone().unwrap_or_else(|| a.dataset.home().to_string());
            let base = if base.ends_with('/') { base } else { format!("{base}/") };
            MNIST_FILES.iter().try_for_each(|f| download(&format!("{base}{f}"), &a.out.join(f))).map_err(|e| (Exit::Internal, e))
        }
        (None, _) => {
            let url = a.url.clone().unwrap_or_else(|| a.dataset.home().to_string());
            let archive = a.out.join(".download.tar.gz");
            let r = download(&url, &archive).map_err(|e| (Exit::Internal, e)).and_then(|_| unpack(&archive, &a.out).map_err(|e| (Exit::Invalid, e)));
            let _ = std::fs::remove_file(&archive);
            r
        }
    };
    if let Err((exit, msg)) = placed {
        return Outcome::fail(exit, msg);
    }
    match Dataset::from_dir(&a.out) {
        Ok(d) => Outcome::ok(format!(
            "{}: {} training and {} test images of {}×{}×{}, {} classes; train with --data {}\n",
            d.name,
            d.train_len(),
            d.test_len(),
            d.channels,
            d.side,
            d.side,
            d.classes,
            a.out.display()
        )),
        Err(e) => Outcome::fail(Exit::of_data(&e), format!("the fetched files do not load as a dataset: {e}")),
    }
}

/// MNIST from a local directory: every IDX file there (either layout, `.gz` or not).
fn copy_idx_files(src: &Path, out: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(src).map_err(|e| format!("--from {}: {e}", src.display()))?;
    let mut copied = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.contains("-idx") && entry.path().is_file() {
            std::fs::copy(entry.path(), out.join(&*name)).map_err(|e| format!("copying {}: {e}", entry.path().display()))?;
            copied += 1;
        }
    }
    if copied == 0 {
        return Err(format!("--from {}: no IDX files (…-idx3-ubyte[.gz], …-idx1-ubyte[.gz]) there", src.display()));
    }
    Ok(())
}

/// Extracts a CIFAR archive (.tar.gz or .tar) into `out`; `tar` refuses
/// entries that would land outside it.
fn unpack(archive: &Path, out: &Path) -> Result<(), String> {
    let file = std::fs::File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut head = [0u8; 2];
    let gz = std::fs::File::open(archive).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == [0x1f, 0x8b];
    let reader: Box<dyn Read> = if gz { Box::new(flate2::read::GzDecoder::new(file)) } else { Box::new(file) };
    tar::Archive::new(reader).unpack(out).map_err(|e| format!("{}: not a readable CIFAR archive: {e}", archive.display()))
}

/// Downloads `url` to `dest` through a temporary file renamed into place, so
/// an interrupted download never leaves a file that looks complete.
fn download(url: &str, dest: &Path) -> Result<(), String> {
    let part = dest.with_extension("part");
    let result = (|| {
        let response = ureq::get(url).call().map_err(|e| format!("download of {url} failed: {e}"))?;
        let total: Option<u64> = response.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
        bar.set_message(url.to_string());
        let mut body = response.into_body().into_reader();
        let mut f = std::fs::File::create(&part).map_err(|e| format!("{}: {e}", part.display()))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = body.read(&mut buf).map_err(|e| format!("download of {url} interrupted: {e}"))?;
            if n == 0 {
                break;
            }
            f.write_all(&buf[..n]).map_err(|e| format!("{}: {e}", part.display()))?;
            bar.inc(n as u64);
        }
        f.sync_all().map_err(|e| format!("{}: {e}", part.display()))?;
        bar.finish_and_clear();
        std::fs::rename(&part, dest).map_err(|e| format!("{}: {e}", dest.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}
