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

/// One panel of line series: (label, points).
struct Panel<'a> {
    title: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    series: Vec<(String, Vec<(f64, f64)>)>,
}

fn bounds(series: &[(String, Vec<(f64, f64)>)]) -> ((f64, f64), (f64, f64)) {
    let pts = series.iter().flat_map(|s| s.1.iter()).filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
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

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, p: &Panel) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let text = have_font();
    let ((x0, x1), (y0, y1)) = bounds(&p.series);
    let mut b = ChartBuilder::on(area);
    b.margin(12);
    if text {
        b.caption(p.title, ("sans-serif", 20)).x_label_area_size(36).y_label_area_size(56);
    }
    let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc(p.x_desc).y_desc(p.y_desc);
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(err)?;
    for (i, (label, pts)) in p.series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|p| p.1.is_finite()).collect();
        let s = chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2))).map_err(err)?;
        if text {
            s.label(label.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        if pts.len() <= 60 {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(err)?;
        }
    }
    if text && !p.series.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

fn panels_png(path: &Path, panels: &[Panel], size: (u32, u32)) -> PlotResult {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let areas = root.split_evenly((1, panels.len()));
    for (a, p) in areas.iter().zip(panels) {
        draw_panel(a, p)?;
    }
    root.present().map_err(err)
}

/// `curves.png`: train/test loss and test accuracy per epoch.
pub fn training_curves(path: &Path, title: &str, history: &[EpochMetrics]) -> PlotResult {
    let e = |f: fn(&EpochMetrics) -> f64| history.iter().map(|m| (m.epoch as f64, f(m))).collect::<Vec<_>>();
    let loss = Panel {
        title: &format!("loss: {title}"),
        x_desc: "epoch",
        y_desc: "cross-entropy",
        series: vec![("train".into(), e(|m| m.train_loss)), ("test".into(), e(|m| m.test_loss))],
    };
    let acc = Panel { title: "test accuracy", x_desc: "epoch", y_desc: "accuracy", series: vec![("test".into(), e(|m| m.test_accuracy))] };
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
            (g.layer.clone(), pts)
        })
        .collect();
    let layers: Vec<String> = last.grads.iter().map(|g| g.layer.clone()).collect();
    let mean = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let pts = history.iter().filter_map(|m| m.grads.get(i).map(|g| (m.epoch as f64, g.mean_abs.max(1e-30).log10()))).collect();
            (l.clone(), pts)
        })
        .collect();
    panels_png(
        path,
        &[
            Panel { title: &format!("gradient magnitudes, epoch {}", last.epoch), x_desc: "log10 |dL/dW|", y_desc: "fraction of weights", series: hist },
            Panel { title: "mean |dL/dW| per layer", x_desc: "epoch", y_desc: "log10 mean |dL/dW|", series: mean },
        ],
        (1200, 450),
    )
}

/// One overlay figure: named series of (x, y) on a single panel per entry.
pub fn overlay(path: &Path, panels: Vec<(String, String, String, Vec<(String, Vec<(f64, f64)>)>)>) -> PlotResult {
    let ps: Vec<Panel> = panels.iter().map(|(t, x, y, s)| Panel { title: t, x_desc: x, y_desc: y, series: s.clone() }).collect();
    let w = 600 * ps.len() as u32;
    panels_png(path, &ps, (w.max(600), 450))
}
