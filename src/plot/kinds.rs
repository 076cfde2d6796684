//! How each kind of chart draws its data on the plotting area, everything cut to it: points,
//! curves (with bands, markers and a smoothed line over the raw one), histogram bars, a
//! density heat map, and trajectories fading in along their paths.

use super::chart::{histogram, Axis, Chart};
use super::figure::{draw_error, Frame};
use super::marks::{self, Canvas, Plot};
use super::palette::cycle;
use super::series::{Curve, Paths};
use super::smooth::smooth;
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

/// Draws `kind`'s data; returns whether any series has a legend entry.
pub fn draw<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    kind: &Chart,
    frame: &Frame,
) -> Result<bool> {
    let (ax, ay) = Axis::of(frame);
    let mut legend = false;
    match kind {
        Chart::Scatter(sets) => {
            for (i, s) in sets.iter().enumerate() {
                let color = s.color.unwrap_or_else(|| cycle(i));
                let pts = Axis::map_points(ax, ay, &s.xy)?;
                let anno = marks::dots(chart, canvas, &pts, s.size, color.mix(s.alpha).filled())?;
                if !s.label.is_empty() {
                    legend = true;
                    anno.label(s.label.clone()).legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
            }
        }
        Chart::Line(curves) => {
            // bands under every line
            for (i, c) in curves.iter().enumerate() {
                if let Some((lo, hi)) = &c.band {
                    let color = c.color.unwrap_or_else(|| cycle(i));
                    let upper = c.x.iter().copied().zip(hi.iter().copied());
                    let lower = c.x.iter().copied().zip(lo.iter().copied()).rev();
                    let outline = Axis::map_points(ax, ay, &upper.chain(lower).collect::<Vec<_>>())?;
                    marks::polygon(chart, canvas, &outline, color.mix(0.2).filled())?;
                }
            }
            for (i, c) in curves.iter().enumerate() {
                legend |= curve(chart, canvas, c, c.color.unwrap_or_else(|| cycle(i)), ax, ay)?;
            }
        }
        Chart::Hist { series, bins, density } => {
            let b = histogram(series, *bins, *density, frame.xlim);
            let width = (b.range.1 - b.range.0) / *bins as f64;
            for (i, (s, heights)) in series.iter().zip(&b.heights).enumerate() {
                let color = s.color.unwrap_or_else(|| cycle(i));
                let alpha = if series.len() > 1 { 0.5 } else { 0.85 };
                let corners = heights.iter().enumerate().map(|(k, &c)| {
                    let x0 = b.range.0 + k as f64 * width;
                    ((x0, 0.0), (x0 + width, c))
                });
                let anno = marks::bars(chart, canvas, corners, color.mix(alpha).filled())?;
                if !s.label.is_empty() {
                    legend = true;
                    anno.label(s.label.clone())
                        .legend(move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 16, y + 5)], color.filled()));
                }
            }
        }
        Chart::Density { points, bins } => density(chart, canvas, &Axis::map_points(ax, ay, points)?, *bins)?,
        Chart::Trajectories(p) => trajectories(chart, canvas, p, ax, ay)?,
    }
    Ok(legend)
}

/// One curve of a line plot: the raw line (lighter and thinner under a smoothed one), its
/// markers; returns whether it has a legend entry.
fn curve<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    c: &Curve,
    color: RGBColor,
    ax: Axis,
    ay: Axis,
) -> Result<bool> {
    let raw: Vec<(f64, f64)> = c.x.iter().copied().zip(c.y.iter().copied()).collect();
    let pts = Axis::map_points(ax, ay, &raw)?;
    let anno = match c.smooth {
        Some(amount) => {
            marks::polyline(chart, canvas, &pts, color.mix(0.3).stroke_width(1))?;
            let smoothed: Vec<(f64, f64)> = c.x.iter().copied().zip(smooth(&c.y, amount)?).collect();
            marks::polyline(chart, canvas, &Axis::map_points(ax, ay, &smoothed)?, color.stroke_width(2))?
        }
        None => marks::polyline(chart, canvas, &pts, color.stroke_width(2))?,
    };
    let labelled = !c.label.is_empty();
    if labelled {
        anno.label(c.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    if c.markers {
        marks::dots(chart, canvas, &pts, 3, color.filled())?;
    }
    Ok(labelled)
}

/// A 2-D histogram of `points` (axis coordinates) over the plotting area, as a viridis heat map.
fn density<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    n: usize,
) -> Result<()> {
    let r = canvas.rect;
    let mut grid = vec![0.0f64; n * n];
    let (wx, wy) = ((r.x.1 - r.x.0) / n as f64, (r.y.1 - r.y.0) / n as f64);
    for &(x, y) in points {
        let (i, j) = (((x - r.x.0) / wx).floor(), ((y - r.y.0) / wy).floor());
        if (0.0..n as f64).contains(&i) && (0.0..n as f64).contains(&j) {
            grid[j as usize * n + i as usize] += 1.0;
        }
    }
    let top = grid.iter().copied().fold(0.0, f64::max).max(1.0);
    let cells = (0..n * n).map(|k| {
        let (x0, y0) = (r.x.0 + (k % n) as f64 * wx, r.y.0 + (k / n) as f64 * wy);
        Rectangle::new([(x0, y0), (x0 + wx, y0 + wy)], ViridisRGB.get_color_normalized(grid[k], 0.0, top).filled())
    });
    chart.draw_series(cells).map_err(draw_error)?;
    Ok(())
}

/// Trajectories: the background faintly, then each path fading in from its start (one colour
/// per path, or viridis by time), a hollow circle at its start and a dot at its end where they
/// are in view.
fn trajectories<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    p: &Paths,
    ax: Axis,
    ay: Axis,
) -> Result<()> {
    if let Some(b) = &p.background {
        marks::dots(chart, canvas, &Axis::map_points(ax, ay, b)?, 2, RGBColor(150, 150, 150).mix(0.35).filled())?;
    }
    for (i, path) in p.paths.iter().enumerate() {
        let pts = Axis::map_points(ax, ay, path)?;
        let last = pts.len().saturating_sub(1).max(1) as f64;
        let color = cycle(i);
        let pieces = pts.windows(2).enumerate().map(|(j, w)| {
            let t = (j + 1) as f64 / last;
            let style = if p.color_by_time {
                ViridisRGB.get_color_normalized(t, 0.0, 1.0).mix(0.85).stroke_width(1)
            } else {
                color.mix(0.12 + 0.78 * t).stroke_width(1)
            };
            (w[0], w[1], style)
        });
        marks::segments(chart, canvas, pieces)?;
        let at = |t: f64| if p.color_by_time { ViridisRGB.get_color_normalized(t, 0.0, 1.0) } else { color };
        if let (Some(&first), Some(&end)) = (pts.first(), pts.last()) {
            marks::dots(chart, canvas, &[first], 3, at(0.0).mix(0.5).stroke_width(1))?;
            marks::dots(chart, canvas, &[end], 3, at(1.0).filled())?;
        }
    }
    Ok(())
}
