//! How each kind of chart draws its data on the plotting area, everything cut to it: points,
//! curves (with bands, capped error bars, line styles, markers and a smoothed line over the
//! raw one), histogram bars, a density heat map, and trajectories fading in along their paths.

use super::chart::{histogram, Axis, Chart};
use super::figure::{draw_error, Frame};
use super::marks::{self, Canvas, Plot, Swatch, SwatchShape};
use super::overlay::line_width;
use super::palette::cycle;
use super::series::{Curve, Paths};
use super::smooth::smooth;
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

/// Draws `kind`'s data, each labelled series with its legend entry.
pub fn draw<DB: DrawingBackend>(chart: &mut Plot<'_, DB>, canvas: &Canvas, kind: &Chart, frame: &Frame) -> Result<()> {
    let (ax, ay) = Axis::of(frame);
    let k = frame.scale();
    match kind {
        Chart::Scatter(sets) => {
            for (i, s) in sets.iter().enumerate() {
                let color = s.color.unwrap_or_else(|| cycle(i));
                let pts = Axis::map_points(ax, ay, &s.xy)?;
                let radius = frame.pixels(s.size as f64).round().max(1.0) as u32;
                let anno = marks::dots(chart, canvas, &pts, radius, color.mix(s.alpha).filled())?;
                if !s.label.is_empty() {
                    anno.label(s.label.clone()).legend(move |at| Swatch::new(at, SwatchShape::Dot, color, k));
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
                    let mut outline = Axis::map_points(ax, ay, &upper.collect::<Vec<_>>())?;
                    outline.extend(
                        lower.map(|(x, y)| Ok((ax.map(x)?, floor_cut(ay, y, canvas)?))).collect::<Result<Vec<_>>>()?,
                    );
                    marks::polygon(chart, canvas, &outline, color.mix(0.2).filled())?;
                }
            }
            for (i, c) in curves.iter().enumerate() {
                curve(chart, canvas, c, c.color.unwrap_or_else(|| cycle(i)), frame)?;
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
                    anno.label(s.label.clone()).legend(move |at| Swatch::new(at, SwatchShape::Box, color, k));
                }
            }
        }
        Chart::Density { points, bins } => density(chart, canvas, &Axis::map_points(ax, ay, points)?, *bins)?,
        Chart::Trajectories(p) => trajectories(chart, canvas, p, ax, ay)?,
    }
    Ok(())
}

/// One curve of a line plot: its error bars, the raw line in its style (lighter and thinner
/// under a smoothed one), its markers, and its legend entry when labelled.
fn curve<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    c: &Curve,
    color: RGBColor,
    frame: &Frame,
) -> Result<()> {
    let (ax, ay) = Axis::of(frame);
    let k = frame.scale();
    let width = line_width(frame, c.width);
    if let Some((lo, hi)) = &c.errors {
        error_bars(
            chart,
            canvas,
            (&c.x, lo, hi),
            color.stroke_width((width as f64 * 0.75).round().max(1.0) as u32),
            frame,
        )?;
    }
    let raw: Vec<(f64, f64)> = c.x.iter().copied().zip(c.y.iter().copied()).collect();
    let pts = Axis::map_points(ax, ay, &raw)?;
    let anno = match c.smooth {
        Some(amount) => {
            marks::stroke(chart, canvas, &pts, color.mix(0.3).stroke_width((width / 2).max(1)), c.dash)?;
            let smoothed: Vec<(f64, f64)> = c.x.iter().copied().zip(smooth(&c.y, amount)?).collect();
            marks::stroke(chart, canvas, &Axis::map_points(ax, ay, &smoothed)?, color.stroke_width(width), c.dash)?
        }
        None => marks::stroke(chart, canvas, &pts, color.stroke_width(width), c.dash)?,
    };
    let radius = marker_radius(width, k);
    if !c.label.is_empty() {
        let shape = SwatchShape::Line { width, dash: c.dash, marker: c.marker.map(|m| (m, radius)) };
        anno.label(c.label.clone()).legend(move |at| Swatch::new(at, shape, color, k));
    }
    if let Some(m) = c.marker {
        marks::markers(chart, canvas, &pts, m, radius, color.filled())?;
    }
    Ok(())
}

/// A band's or error bar's lower end in axis coordinates: on a log axis an end at or below
/// zero is cut at the plotting area's bottom (as matplotlib's `nonpositive="clip"`).
fn floor_cut(ay: Axis, v: f64, canvas: &Canvas) -> Result<f64> {
    if ay.log && v <= 0.0 {
        Ok(canvas.rect.y.0)
    } else {
        ay.map(v)
    }
}

/// The radius in pixels of the markers on a line `width` pixels wide, at scale `k`.
pub(super) fn marker_radius(width: u32, k: f64) -> f64 {
    1.5 * width as f64 + k
}

/// Error bars at each `x` from `lo` to `hi` (data units), with caps 4 points wide each side.
fn error_bars<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    (x, lo, hi): (&[f64], &[f64], &[f64]),
    style: ShapeStyle,
    frame: &Frame,
) -> Result<()> {
    let (ax, ay) = Axis::of(frame);
    let cap = 4.0 * frame.scale() * canvas.pixel.0;
    let mut pieces = vec![];
    for ((&x, &l), &h) in x.iter().zip(lo).zip(hi) {
        if ![x, l, h].iter().all(|v| v.is_finite()) {
            continue;
        }
        let cut = ay.log && l <= 0.0;
        let (x, l, h) = (ax.map(x)?, floor_cut(ay, l, canvas)?, ay.map(h)?);
        pieces.push(((x, l), (x, h), style));
        if !cut {
            pieces.push(((x - cap, l), (x + cap, l), style));
        }
        pieces.push(((x - cap, h), (x + cap, h), style));
    }
    marks::segments(chart, canvas, pieces.into_iter())
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
