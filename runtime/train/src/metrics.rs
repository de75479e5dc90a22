//! Per-epoch metrics and their files: `metrics.csv`, `metrics.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::{write_atomic, WriteError};

/// Gradient magnitudes of one layer's weight on one batch.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LayerGrad {
    pub layer: String,
    pub mean_abs: f64,
    /// The Frobenius norm ‖∂L/∂W‖ (absent in older metrics: 0).
    #[serde(default)]
    pub l2: f64,
    /// How many weights (absent in older metrics: 0).
    #[serde(default)]
    pub len: usize,
    /// Histogram of log10 |g| over [`HIST_LO`, `HIST_HI`) in `HIST_BINS` bins.
    pub log10_hist: Vec<u32>,
}

pub const HIST_LO: f64 = -10.0;
pub const HIST_HI: f64 = 0.0;
pub const HIST_BINS: usize = 40;

impl LayerGrad {
    pub fn from_values(layer: String, g: &[f32]) -> Self {
        let mut hist = vec![0u32; HIST_BINS];
        let (mut sum, mut sq) = (0.0f64, 0.0f64);
        for &v in g {
            let a = (v as f64).abs();
            sum += a;
            sq += a * a;
            let l = a.max(1e-30).log10();
            let b = (((l - HIST_LO) / (HIST_HI - HIST_LO)) * HIST_BINS as f64).floor();
            hist[b.clamp(0.0, HIST_BINS as f64 - 1.0) as usize] += 1;
        }
        LayerGrad { layer, mean_abs: sum / g.len().max(1) as f64, l2: sq.sqrt(), len: g.len(), log10_hist: hist }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
    /// Wall time of the epoch's training (not evaluation).
    pub seconds: f64,
    pub images_per_second: f64,
    /// Per layer (rank ≥ 2 weights, in module order), on the epoch's last batch.
    pub grads: Vec<LayerGrad>,
    /// The same on the epoch's first batch (epoch 1: the gradients at
    /// initialisation, before any step). Absent in older metrics.
    #[serde(default)]
    pub grads_first: Vec<LayerGrad>,
}

impl LayerGrad {
    /// ‖∂L/∂W‖ / √(weights): the root mean square gradient, comparable
    /// between layers of different sizes.
    pub fn rms(&self) -> f64 {
        self.l2 / (self.len.max(1) as f64).sqrt()
    }
}

pub fn csv(history: &[EpochMetrics]) -> String {
    let mut s = String::from("epoch,train_loss,test_loss,test_accuracy,seconds\n");
    for m in history {
        s += &format!("{},{:.6},{:.6},{:.6},{:.3}\n", m.epoch, m.train_loss, m.test_loss, m.test_accuracy, m.seconds);
    }
    s
}

/// The per-epoch table a run writes into its directory.
pub const CSV_FILE: &str = "metrics.csv";
/// The run's settings and every epoch's metrics, as JSON.
pub const JSON_FILE: &str = "metrics.json";

/// Writes [`CSV_FILE`] and [`JSON_FILE`] (atomically) into `dir`.
pub fn write(dir: &Path, history: &[EpochMetrics], extra: serde_json::Value) -> Result<(), WriteError> {
    write_atomic(&dir.join(CSV_FILE), csv(history).as_bytes())?;
    let json = serde_json::json!({ "run": extra, "epochs": history });
    write_atomic(&dir.join(JSON_FILE), format!("{json:#}\n").as_bytes())
}
