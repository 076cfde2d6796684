//! The 2-D charts (scatter, line, histogram, density, trajectories): axes with
//! labels, log scales drawn as decades, a legend, and the data-to-pixel map.

use super::figure::{draw_error, Frame, Mapping};
use super::font::FAMILY;
use super::palette::cycle;
use super::series;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

/// A 2-D chart: what it plots, in data coordinates.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Point sets.
    Scatter(Vec<series::Points>),
    /// Curves.
    Line(Vec<series::Curve>),
    /// 1-D histograms with `bins` bins, as densities or counts.
    Hist {
        /// The data sets.
        series: Vec<series::Values>,
        /// The number of bins.
        bins: usize,
        /// Normalise to a probability density.
        density: bool,
    },
    /// A 2-D histogram drawn as a heat map.
    Density {
        /// The points.
        points: Vec<(f64, f64)>,
        /// Bins per axis.
        bins: usize,
    },
    /// 2-D paths of particles, over optional background points.
    Trajectories {
        /// One path per particle.
        paths: Vec<Vec<(f64, f64)>>,
        /// Points drawn faintly behind the paths (e.g. the data).
        background: Option<Vec<(f64, f64)>>,
    },
}

impl Chart {
    /// What it shows, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Chart::Scatter(s) => format!("scatter of {} series", s.len()),
            Chart::Line(s) => format!("line plot of {} series", s.len()),
            Chart::Hist { series, .. } => format!("histogram of {} series", series.len()),
            Chart::Density { .. } => "2-D density".into(),
            Chart::Trajectories { paths, .. } => format!("{} trajectories", paths.len()),
        }
    }
}

/// An axis transform: identity, or log10 for a log axis.
#[derive(Clone, Copy)]
struct Axis {
    log: bool,
    name: &'static str,
}

impl Axis {
    fn map(self, v: f64) -> Result<f64> {
        if !self.log {
            return Ok(v);
        }
        if v <= 0.0 {
            crate::bail!("a log {} axis needs positive values, got {v}", self.name);
        }
        Ok(v.log10())
    }
}

/// Decade labels (0.01, 0.1, 1, 10, ...) on a log axis; other ticks unlabelled.
fn decade_label(v: f64) -> String {
    if (v - v.round()).abs() > 1e-9 {
        return String::new();
    }
    let k = v.round() as i32;
    if (-3..=5).contains(&k) {
        number_label(10f64.powi(k))
    } else {
        format!("1e{k}")
    }
}

/// A tick label: the number rounded to 6 significant digits, written shortest.
fn number_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if !(-4.0..6.0).contains(&magnitude) {
        return format!("{v:.1e}");
    }
    let scale = 10f64.powf(5.0 - magnitude);
    format!("{}", (v * scale).round() / scale)
}

fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo <= hi).then_some((lo, hi))
}

/// The range of the data with 5% padding, never empty.
fn padded(r: Option<(f64, f64)>) -> (f64, f64) {
    match r {
        None => (0.0, 1.0),
        Some((lo, hi)) if hi - lo < 1e-12 => (lo - 0.5, hi + 0.5),
        Some((lo, hi)) => {
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        }
    }
}

/// Histogram counts over `bins` equal bins of `range`.
fn histogram(values: &[f64], bins: usize, range: (f64, f64)) -> Vec<f64> {
    let mut counts = vec![0.0; bins];
    let width = (range.1 - range.0) / bins as f64;
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - range.0) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[i] += 1.0;
    }
    counts
}

/// Checks that every value on a log axis is positive.
pub fn check_log_axes(chart: &Chart, frame: &Frame) -> Result<()> {
    let ax = Axis { log: frame.xlog, name: "x" };
    let ay = Axis { log: frame.ylog, name: "y" };
    let check = |pts: &mut dyn Iterator<Item = (f64, f64)>| -> Result<()> {
        for (x, y) in pts {
            ax.map(x)?;
            ay.map(y)?;
        }
        Ok(())
    };
    match chart {
        Chart::Scatter(sets) => sets.iter().try_for_each(|s| check(&mut s.xy.iter().copied())),
        Chart::Line(curves) => curves.iter().try_for_each(|c| check(&mut c.x.iter().copied().zip(c.y.iter().copied()))),
        Chart::Density { points, .. } => check(&mut points.iter().copied()),
        Chart::Trajectories { paths, background } => {
            paths.iter().try_for_each(|p| check(&mut p.iter().copied()))?;
            background.iter().try_for_each(|b| check(&mut b.iter().copied()))
        }
        Chart::Hist { .. } => Ok(()),
    }
}

/// Draws a chart of `kind` into `area`.
pub fn draw<DB: DrawingBackend>(kind: &Chart, frame: &Frame, area: &DrawingArea<DB, Shift>) -> Result<Mapping> {
    let ax = Axis { log: frame.xlog, name: "x" };
    let ay = Axis { log: frame.ylog, name: "y" };
    // Data in axis coordinates.
    let tr = |pts: &[(f64, f64)]| -> Result<Vec<(f64, f64)>> {
        pts.iter().map(|&(x, y)| Ok((ax.map(x)?, ay.map(y)?))).collect()
    };
    let mut hist_bins: Vec<(String, Vec<f64>, (f64, f64))> = vec![];
    let (xr, yr) = match kind {
        Chart::Scatter(sets) => {
            let all: Vec<(f64, f64)> = sets.iter().map(|s| tr(&s.xy)).collect::<Result<Vec<_>>>()?.concat();
            (span(all.iter().map(|p| p.0)), span(all.iter().map(|p| p.1)))
        }
        Chart::Line(curves) => {
            let xs: Vec<f64> = curves.iter().flat_map(|c| c.x.iter().map(|&v| ax.map(v))).collect::<Result<_>>()?;
            let ys: Vec<f64> = curves.iter().flat_map(|c| c.y.iter().map(|&v| ay.map(v))).collect::<Result<_>>()?;
            (span(xs.into_iter()), span(ys.into_iter()))
        }
        Chart::Hist { series, bins, density } => {
            let range =
                frame.xlim.or_else(|| span(series.iter().flat_map(|s| s.v.iter().copied()))).unwrap_or((0.0, 1.0));
            let range = if range.1 - range.0 < 1e-12 { (range.0 - 0.5, range.1 + 0.5) } else { range };
            let width = (range.1 - range.0) / *bins as f64;
            let mut top: f64 = 0.0;
            for s in series {
                let mut counts = histogram(&s.v, *bins, range);
                if *density {
                    let total = s.v.len().max(1) as f64 * width;
                    counts.iter_mut().for_each(|c| *c /= total);
                }
                top = counts.iter().copied().fold(top, f64::max);
                hist_bins.push((s.label.clone(), counts, range));
            }
            (Some(range), Some((0.0, top.max(1e-12) * 1.05)))
        }
        Chart::Density { points, .. } => {
            let p = tr(points)?;
            (span(p.iter().map(|q| q.0)), span(p.iter().map(|q| q.1)))
        }
        Chart::Trajectories { paths, background } => {
            let mut all: Vec<(f64, f64)> = paths.iter().map(|p| tr(p)).collect::<Result<Vec<_>>>()?.concat();
            if let Some(b) = background {
                all.extend(tr(b)?);
            }
            (span(all.iter().map(|p| p.0)), span(all.iter().map(|p| p.1)))
        }
    };
    let limit = |lim: Option<(f64, f64)>, a: Axis| -> Result<Option<(f64, f64)>> {
        lim.map(|(lo, hi)| Ok((a.map(lo)?, a.map(hi)?))).transpose()
    };
    let is_hist = matches!(kind, Chart::Hist { .. });
    let x_range = match limit(frame.xlim, ax)? {
        Some(r) => r,
        None if is_hist => xr.unwrap_or((0.0, 1.0)),
        None => padded(xr),
    };
    let y_range = match limit(frame.ylim, ay)? {
        Some(r) => r,
        None if is_hist => yr.unwrap_or((0.0, 1.0)),
        None => padded(yr),
    };
    if !(x_range.1 > x_range.0 && y_range.1 > y_range.0) {
        crate::bail!("the axis limits must increase, got x {x_range:?} and y {y_range:?}");
    }

    let mut builder = ChartBuilder::on(area);
    builder.margin(12).x_label_area_size(42).y_label_area_size(60);
    if !frame.title.is_empty() {
        builder.caption(&frame.title, (FAMILY, 20));
    }
    let mut chart = builder.build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1).map_err(draw_error)?;
    let x_fmt = |v: &f64| if frame.xlog { decade_label(*v) } else { number_label(*v) };
    let y_fmt = |v: &f64| if frame.ylog { decade_label(*v) } else { number_label(*v) };
    chart
        .configure_mesh()
        .x_desc(frame.xlabel.as_str())
        .y_desc(frame.ylabel.as_str())
        .axis_desc_style((FAMILY, 15))
        .label_style((FAMILY, 12))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(draw_error)?;

    let mut legend = false;
    match kind {
        Chart::Scatter(sets) => {
            for (i, s) in sets.iter().enumerate() {
                let color = s.color.unwrap_or_else(|| cycle(i));
                let style = color.mix(s.alpha).filled();
                let size = s.size;
                let anno = chart
                    .draw_series(tr(&s.xy)?.into_iter().map(move |p| Circle::new(p, size, style)))
                    .map_err(draw_error)?;
                if !s.label.is_empty() {
                    legend = true;
                    anno.label(s.label.clone()).legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
            }
        }
        Chart::Line(curves) => {
            for (i, c) in curves.iter().enumerate() {
                let color = c.color.unwrap_or_else(|| cycle(i));
                let pts: Vec<(f64, f64)> =
                    c.x.iter().zip(&c.y).map(|(&x, &y)| Ok((ax.map(x)?, ay.map(y)?))).collect::<Result<_>>()?;
                let anno =
                    chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2))).map_err(draw_error)?;
                if !c.label.is_empty() {
                    legend = true;
                    anno.label(c.label.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
                }
                if c.markers {
                    chart
                        .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                        .map_err(draw_error)?;
                }
            }
        }
        Chart::Hist { series, .. } => {
            for (i, (label, counts, range)) in hist_bins.iter().enumerate() {
                let color = series[i].color.unwrap_or_else(|| cycle(i));
                let width = (range.1 - range.0) / counts.len() as f64;
                let alpha = if series.len() > 1 { 0.5 } else { 0.85 };
                let bars = counts.iter().enumerate().map(move |(b, &c)| {
                    let x0 = range.0 + b as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, c)], color.mix(alpha).filled())
                });
                let anno = chart.draw_series(bars).map_err(draw_error)?;
                if !label.is_empty() {
                    legend = true;
                    anno.label(label.clone())
                        .legend(move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 16, y + 5)], color.filled()));
                }
            }
        }
        Chart::Density { points, bins } => {
            let n = *bins;
            let mut grid = vec![0.0f64; n * n];
            let (wx, wy) = ((x_range.1 - x_range.0) / n as f64, (y_range.1 - y_range.0) / n as f64);
            for (x, y) in tr(points)? {
                let (i, j) = (((x - x_range.0) / wx).floor(), ((y - y_range.0) / wy).floor());
                if (0.0..n as f64).contains(&i) && (0.0..n as f64).contains(&j) {
                    grid[j as usize * n + i as usize] += 1.0;
                }
            }
            let top = grid.iter().copied().fold(0.0, f64::max).max(1.0);
            let cells = (0..n * n).map(|k| {
                let (i, j) = ((k % n) as f64, (k / n) as f64);
                let x0 = x_range.0 + i * wx;
                let y0 = y_range.0 + j * wy;
                Rectangle::new(
                    [(x0, y0), (x0 + wx, y0 + wy)],
                    ViridisRGB.get_color_normalized(grid[k], 0.0, top).filled(),
                )
            });
            chart.draw_series(cells).map_err(draw_error)?;
        }
        Chart::Trajectories { paths, background } => {
            if let Some(b) = background {
                let style = RGBColor(150, 150, 150).mix(0.35).filled();
                chart.draw_series(tr(b)?.into_iter().map(move |p| Circle::new(p, 2, style))).map_err(draw_error)?;
            }
            for (i, path) in paths.iter().enumerate() {
                let color = cycle(i);
                let pts = tr(path)?;
                chart.draw_series(LineSeries::new(pts.clone(), color.mix(0.7).stroke_width(1))).map_err(draw_error)?;
                if let (Some(&first), Some(&last)) = (pts.first(), pts.last()) {
                    chart
                        .draw_series([
                            Circle::new(first, 3, color.stroke_width(1)),
                            Circle::new(last, 3, color.filled()),
                        ])
                        .map_err(draw_error)?;
                }
            }
        }
    }
    if legend {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_error)?;
    }
    let (c0, r0) = chart.backend_coord(&(x_range.0, y_range.0));
    let (c1, r1) = chart.backend_coord(&(x_range.1, y_range.1));
    Ok(Mapping { x: x_range, y: y_range, px: (c0, c1), py: (r0, r1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_labels_only_at_powers_of_ten() {
        assert_eq!(decade_label(2.0), "100");
        assert_eq!(decade_label(-2.0), "0.01");
        assert_eq!(decade_label(0.5), "");
        assert_eq!(decade_label(7.0), "1e7");
        assert_eq!(histogram(&[0.0, 0.1, 0.9, 1.0], 2, (0.0, 1.0)), vec![2.0, 2.0]);
        assert_eq!(number_label(0.30000000000000004), "0.3");
        assert_eq!(number_label(1250.0), "1250");
    }
}
