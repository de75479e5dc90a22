//! PNG plots with plotters: training curves, gradient magnitudes, overlays,
//! and activation shapes.
//!
//! Text needs a TrueType font; one is looked up at run time in the usual
//! system locations (or `FOIL_FONT`). Without one the plots are still drawn,
//! without captions and tick labels.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use super::metrics::{EpochMetrics, HIST_BINS, HIST_HI, HIST_LO};

pub type PlotResult = Result<(), String>;

const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a font once; true when text can be drawn.
fn have_font() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let env = std::env::var("FOIL_FONT").ok();
        for p in env.iter().map(String::as_str).chain(FONT_PATHS.iter().copied()) {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// One line of a panel, optionally with a shaded band (x, low, high) around it.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// E.g. mean ± std over seeds; empty for none.
    pub band: Vec<(f64, f64, f64)>,
}

impl Series {
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series { label: label.into(), points, band: Vec::new() }
    }
}

/// One chart: its series, axis names, and optionally a fixed y range (so
/// that panels side by side share a scale).
#[derive(Clone, Debug, Default)]
pub struct Panel {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub series: Vec<Series>,
    pub y_range: Option<(f64, f64)>,
}

impl Panel {
    pub fn new(title: impl Into<String>, x_desc: impl Into<String>, y_desc: impl Into<String>, series: Vec<Series>) -> Self {
        Panel { title: title.into(), x_desc: x_desc.into(), y_desc: y_desc.into(), series, y_range: None }
    }

    /// The finite (x, y) extent of its lines and bands, padded 5 % in y.
    pub fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let lines = self.series.iter().flat_map(|s| s.points.iter().copied());
        let bands = self.series.iter().flat_map(|s| s.band.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]));
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in lines.chain(bands).filter(|p| p.0.is_finite() && p.1.is_finite()) {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return ((0.0, 1.0), (0.0, 1.0));
        }
        if x1 - x0 < 1e-9 {
            x1 = x0 + 1.0;
        }
        let pad = ((y1 - y0) * 0.05).max(1e-6);
        ((x0, x1), (y0 - pad, y1 + pad))
    }
}

/// Width of the legend strip to the right of a chart, from its longest label.
fn legend_width(p: &Panel) -> u32 {
    let longest = p.series.iter().map(|s| s.label.chars().count()).max().unwrap_or(0) as u32;
    if longest == 0 {
        0
    } else {
        40 + 8 * longest
    }
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, p: &Panel) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let text = have_font();
    // The legend gets its own strip right of the chart: it never covers a curve.
    let (w, _) = area.dim_in_pixel();
    let lw = if text { legend_width(p).min(w / 2) } else { 0 };
    let (chart_area, legend_area) = area.split_horizontally(w - lw);
    let ((x0, x1), (y0, y1)) = p.bounds();
    let (y0, y1) = p.y_range.unwrap_or((y0, y1));
    let mut b = ChartBuilder::on(&chart_area);
    b.margin(12);
    if text {
        b.caption(&p.title, ("sans-serif", 20)).x_label_area_size(36).y_label_area_size(56);
    }
    let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
    let mut mesh = chart.configure_mesh();
    // Epochs and layer numbers: one tick per whole number, no 1.2, 1.4, ….
    let whole_x = p.series.iter().flat_map(|s| &s.points).all(|q| q.0.fract() == 0.0) && x1 - x0 <= 30.0;
    let int_label = |x: &f64| format!("{x:.0}");
    if text {
        mesh.x_desc(&p.x_desc).y_desc(&p.y_desc);
        if whole_x {
            mesh.x_labels((x1 - x0) as usize + 1).x_label_formatter(&int_label);
        }
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(err)?;
    for (i, s) in p.series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let band: Vec<(f64, f64, f64)> = s.band.iter().copied().filter(|b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite()).collect();
        if band.len() > 1 {
            let outline: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).chain(band.iter().rev().map(|b| (b.0, b.1))).collect();
            chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.18).filled()))).map_err(err)?;
        }
    }
    for (i, s) in p.series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|p| p.1.is_finite()).collect();
        chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2))).map_err(err)?;
        if pts.len() <= 60 {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(err)?;
        }
    }
    if lw > 0 {
        let top = if text { 44 } else { 12 };
        for (i, s) in p.series.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            let y = top + 22 * i as i32;
            legend_area.draw(&PathElement::new(vec![(4, y), (26, y)], c.stroke_width(3))).map_err(err)?;
            legend_area.draw(&Text::new(s.label.clone(), (32, y - 8), ("sans-serif", 15))).map_err(err)?;
        }
    }
    Ok(())
}

/// Panels on a grid of `cols` columns, each `cell` pixels.
pub fn grid(path: &Path, panels: &[Panel], cols: usize, cell: (u32, u32)) -> PlotResult {
    let cols = cols.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(cols).max(1);
    let root = BitMapBackend::new(path, (cell.0 * cols as u32, cell.1 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let areas = root.split_evenly((rows, cols));
    for (a, p) in areas.iter().zip(panels) {
        draw_panel(a, p)?;
    }
    root.present().map_err(err)
}

fn panels_png(path: &Path, panels: &[Panel], size: (u32, u32)) -> PlotResult {
    grid(path, panels, panels.len(), (size.0 / panels.len().max(1) as u32, size.1))
}

/// `curves.png`: train/test loss and test accuracy per epoch.
pub fn training_curves(path: &Path, title: &str, history: &[EpochMetrics]) -> PlotResult {
    let e = |f: fn(&EpochMetrics) -> f64| history.iter().map(|m| (m.epoch as f64, f(m))).collect::<Vec<_>>();
    let loss = Panel::new(
        format!("loss: {title}"),
        "epoch",
        "cross-entropy",
        vec![Series::line("train", e(|m| m.train_loss)), Series::line("test", e(|m| m.test_loss))],
    );
    let acc = Panel::new("test accuracy", "epoch", "accuracy", vec![Series::line("test", e(|m| m.test_accuracy))]);
    panels_png(path, &[loss, acc], (1200, 450))
}

/// `grad_magnitudes.png`: per layer, the distribution of log10 |∂L/∂W| on the
/// last epoch's last batch (left) and the mean |∂L/∂W| per epoch (right).
pub fn gradient_magnitudes(path: &Path, history: &[EpochMetrics]) -> PlotResult {
    let last = history.last().ok_or("no epochs to plot")?;
    let width = (HIST_HI - HIST_LO) / HIST_BINS as f64;
    let hist = last
        .grads
        .iter()
        .map(|g| {
            let total: u32 = g.log10_hist.iter().sum::<u32>().max(1);
            let pts = g.log10_hist.iter().enumerate().map(|(i, &c)| (HIST_LO + (i as f64 + 0.5) * width, c as f64 / total as f64)).collect();
            Series::line(g.layer.clone(), pts)
        })
        .collect();
    let mean = last
        .grads
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let pts = history.iter().filter_map(|m| m.grads.get(i).map(|g| (m.epoch as f64, g.mean_abs.max(1e-30).log10()))).collect();
            Series::line(g.layer.clone(), pts)
        })
        .collect();
    panels_png(
        path,
        &[
            Panel::new(format!("gradient magnitudes, epoch {}", last.epoch), "log10 |dL/dW|", "fraction of weights", hist),
            Panel::new("mean |dL/dW| per layer", "epoch", "log10 mean |dL/dW|", mean),
        ],
        (1400, 450),
    )
}

/// Panels side by side, 600 × 450 pixels each.
pub fn overlay(path: &Path, panels: &[Panel]) -> PlotResult {
    panels_png(path, panels, (600 * panels.len().max(1) as u32, 450))
}
