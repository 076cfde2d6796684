//! Where a chart's legend goes: a corner the script names, outside on the right, nowhere, or
//! by default the corner of the plotting area whose legend box hides the fewest data points
//! and line pieces (matplotlib's `loc="best"` rule), upper right on ties.

use super::chart::{Axis, Chart};
use super::clip::Rect;
use super::figure::{draw_error, Frame};
use super::font::FAMILY;
use super::marks::{Swatch, SwatchShape};
use super::overlay::{line_width, Overlay};
use super::palette::cycle;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Pixels per legend row and per label character at the legend's 14 px font, and the legend
/// box's fixed parts (swatch, padding) and its distance from the plotting area's edge, in a
/// figure of scale 1.
const ROW: f64 = 20.0;
const CHAR: f64 = 7.5;
const FIXED_WIDTH: f64 = 45.0;
const MARGIN: f64 = 10.0;

/// Where a chart's legend goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// The corner that hides the least data.
    #[default]
    Best,
    /// A chosen corner.
    Corner(Corner),
    /// Right of the plotting area, which narrows to make room.
    Outside,
    /// No legend.
    Hidden,
}

/// A corner of the plotting area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    /// Upper right.
    UpperRight,
    /// Upper left.
    UpperLeft,
    /// Lower right.
    LowerRight,
    /// Lower left.
    LowerLeft,
}

/// The placements scripts may name.
pub const PLACEMENT_NAMES: &str =
    "\"best\", \"upper right\", \"upper left\", \"lower right\", \"lower left\", \"outside\" or \"none\"";

impl Placement {
    /// The placement called `name`.
    pub fn parse(name: &str) -> crate::Result<Self> {
        Ok(match name.trim() {
            "best" => Placement::Best,
            "upper right" => Placement::Corner(Corner::UpperRight),
            "upper left" => Placement::Corner(Corner::UpperLeft),
            "lower right" => Placement::Corner(Corner::LowerRight),
            "lower left" => Placement::Corner(Corner::LowerLeft),
            "outside" => Placement::Outside,
            "none" => Placement::Hidden,
            other => crate::bail!("unknown legend placement \"{other}\"; use {PLACEMENT_NAMES}"),
        })
    }
}

impl Corner {
    /// The corner as plotters names it.
    pub(super) fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
        }
    }
}

/// The labels a chart's legend lists: its series', then its reference lines'.
pub(super) fn labels<'a>(kind: &'a Chart, frame: &'a Frame) -> Vec<&'a str> {
    let series: Vec<&str> = match kind {
        Chart::Scatter(sets) => sets.iter().map(|s| s.label.as_str()).collect(),
        Chart::Line(curves) => curves.iter().map(|c| c.label.as_str()).collect(),
        Chart::Hist { series, .. } => series.iter().map(|s| s.label.as_str()).collect(),
        Chart::Density { .. } | Chart::Trajectories(_) => vec![],
    };
    let lines = frame.overlays.iter().filter_map(|o| match o {
        Overlay::Reference(r) => Some(r.label.as_str()),
        Overlay::Note(_) => None,
    });
    series.into_iter().chain(lines).filter(|l| !l.is_empty()).collect()
}

/// The entries of a chart's legend: label, swatch and colour, as the chart draws them.
fn entries(kind: &Chart, frame: &Frame) -> Vec<(String, SwatchShape, RGBColor)> {
    let k = frame.scale();
    let mut out: Vec<(String, SwatchShape, RGBColor)> = match kind {
        Chart::Scatter(sets) => sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.clone(), SwatchShape::Dot, s.color.unwrap_or_else(|| cycle(i))))
            .collect(),
        Chart::Line(curves) => curves
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let width = line_width(frame, c.width);
                let marker = c.marker.map(|m| (m, super::kinds::marker_radius(width, k)));
                (
                    c.label.clone(),
                    SwatchShape::Line { width, dash: c.dash, marker },
                    c.color.unwrap_or_else(|| cycle(i)),
                )
            })
            .collect(),
        Chart::Hist { series, .. } => series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.clone(), SwatchShape::Box, s.color.unwrap_or_else(|| cycle(i))))
            .collect(),
        Chart::Density { .. } | Chart::Trajectories(_) => vec![],
    };
    for o in &frame.overlays {
        if let Overlay::Reference(r) = o {
            let shape = SwatchShape::Line { width: line_width(frame, r.width), dash: r.dash, marker: None };
            out.push((r.label.clone(), shape, r.color));
        }
    }
    out.retain(|e| !e.0.is_empty());
    out
}

/// The text style of legend labels at scale `k`.
fn label_style(k: f64) -> TextStyle<'static> {
    (FAMILY, 14.0 * k).into_font().color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ))
}

/// Swatch width, padding and row height of a legend drawn outside, at scale 1.
const SWATCH: f64 = 30.0;
const PAD: f64 = 8.0;

/// The width in pixels of the legend drawn outside the plotting area.
pub(super) fn outside_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, kind: &Chart, frame: &Frame) -> i32 {
    let k = frame.scale();
    let style = label_style(k);
    let widest = entries(kind, frame)
        .iter()
        .map(|(label, _, _)| area.estimate_text_size(label, &style).map(|(w, _)| w as i32).unwrap_or(0))
        .max()
        .unwrap_or(0);
    widest + ((SWATCH + 2.0 * PAD) * k) as i32
}

/// Draws the legend outside the plotting area, its top left at pixel `at` of `area`.
pub(super) fn draw_outside<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    kind: &Chart,
    frame: &Frame,
    at: (i32, i32),
) -> Result<()> {
    let k = frame.scale();
    let rows = entries(kind, frame);
    let row = (ROW * k) as i32;
    let width = outside_width(area, kind, frame);
    let height = row * rows.len() as i32 + (PAD * k) as i32;
    let corners = [at, (at.0 + width, at.1 + height)];
    area.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled())).map_err(draw_error)?;
    area.draw(&Rectangle::new(corners, RGBColor(180, 180, 180))).map_err(draw_error)?;
    let style = label_style(k);
    for (i, (label, shape, color)) in rows.into_iter().enumerate() {
        let y = at.1 + (PAD * k / 2.0) as i32 + row * i as i32 + row / 2;
        let x = at.0 + (PAD * k) as i32;
        area.draw(&Swatch::new((x, y), shape, color, k)).map_err(draw_error)?;
        area.draw(&Text::new(label, (x + (SWATCH * k) as i32, y), style.clone())).map_err(draw_error)?;
    }
    Ok(())
}

/// The pixel size (width, height) of a legend listing `labels` at scale `k`.
pub(super) fn box_size(labels: &[&str], k: f64) -> (i32, i32) {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    (((FIXED_WIDTH + longest as f64 * CHAR) * k) as i32, ((ROW * labels.len() as f64 + MARGIN) * k) as i32)
}
/// Points sampled along each line segment, so a line crossing a corner counts.
const PER_SEGMENT: usize = 8;

/// The corners tried, in order of preference.
fn corner_at(i: usize) -> SeriesLabelPosition {
    match i {
        0 => SeriesLabelPosition::UpperRight,
        1 => SeriesLabelPosition::UpperLeft,
        2 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::LowerLeft,
    }
}

/// The legend corner for `kind` that hides the least: `view` is the axis ranges, `to_pixel`
/// maps axis coordinates in it to pixels and `area` is the plotting area's pixel box
/// `((left, top), (right, bottom))`; what lies outside the view is not counted.
/// Histograms, heat maps and trajectories keep the upper right.
pub(super) fn corner(
    kind: &Chart,
    frame: &Frame,
    view: Rect,
    to_pixel: impl Fn((f64, f64)) -> (i32, i32),
    area: ((i32, i32), (i32, i32)),
) -> SeriesLabelPosition {
    let (ax, ay) = Axis::of(frame);
    let points: Vec<(f64, f64)> = match kind {
        Chart::Scatter(sets) => sets.iter().flat_map(|s| s.xy.iter().copied()).collect(),
        Chart::Line(curves) => curves.iter().flat_map(|c| along(&c.x, &c.y)).collect(),
        _ => return SeriesLabelPosition::UpperRight,
    };
    let k = frame.scale();
    let mut pixels: Vec<(i32, i32)> = points
        .into_iter()
        .filter_map(|(x, y)| Some((ax.map(x).ok()?, ay.map(y).ok()?)))
        .filter(|&p| view.contains(p))
        .map(&to_pixel)
        .collect();
    // reference lines, sampled across the plotting area
    let ((left, top), (right, bottom)) = area;
    for o in &frame.overlays {
        let Overlay::Reference(r) = o else { continue };
        let middle = ((view.x.0 + view.x.1) / 2.0, (view.y.0 + view.y.1) / 2.0);
        let at = match (r.vertical, if r.vertical { ax.map(r.at) } else { ay.map(r.at) }) {
            (true, Ok(x)) => (x, middle.1),
            (false, Ok(y)) => (middle.0, y),
            (_, Err(_)) => continue,
        };
        if !view.contains(at) {
            continue;
        }
        let (c, row) = to_pixel(at);
        let pixel = if r.vertical { c } else { row };
        for i in 0..=4 * PER_SEGMENT as i32 {
            let t = i as f64 / (4 * PER_SEGMENT) as f64;
            pixels.push(if r.vertical {
                (pixel, top + (t * (bottom - top) as f64) as i32)
            } else {
                (left + (t * (right - left) as f64) as i32, pixel)
            });
        }
    }
    let size = box_size(&labels(kind, frame), k);
    let margin = (MARGIN * k) as i32;
    let hidden = |c: &SeriesLabelPosition| {
        let (x0, x1, y0, y1) = legend_box(c, size, margin, area);
        pixels.iter().filter(|(x, y)| (x0..=x1).contains(x) && (y0..=y1).contains(y)).count()
    };
    // the first corner of the fewest hidden points
    let best = (0..4).min_by_key(|&i| (hidden(&corner_at(i)), i)).unwrap_or(0);
    corner_at(best)
}

/// The pixel box `(left, right, top, bottom)` of a legend of `size` (width, height) at corner `c`.
fn legend_box(
    c: &SeriesLabelPosition,
    (w, h): (i32, i32),
    margin: i32,
    area: ((i32, i32), (i32, i32)),
) -> (i32, i32, i32, i32) {
    let ((left, top), (right, bottom)) = area;
    let (x0, x1) = match c {
        SeriesLabelPosition::UpperLeft | SeriesLabelPosition::LowerLeft => (left + margin, left + margin + w),
        _ => (right - margin - w, right - margin),
    };
    let (y0, y1) = match c {
        SeriesLabelPosition::LowerLeft | SeriesLabelPosition::LowerRight => (bottom - margin - h, bottom - margin),
        _ => (top + margin, top + margin + h),
    };
    (x0, x1, y0, y1)
}

/// The points of a curve and points sampled along each of its segments (data coordinates;
/// a segment with a non-finite end is a gap).
fn along(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    let mut out = pts.clone();
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if [x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
            out.extend((1..PER_SEGMENT).map(|k| {
                let t = k as f64 / PER_SEGMENT as f64;
                (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::series::Curve;

    fn line(label: &str, x: Vec<f64>, y: Vec<f64>) -> Curve {
        Curve { label: label.into(), x, y, ..Curve::default() }
    }

    /// Data (0..10, 0..10) drawn on a 400×300 box at (50, 20): y grows upward.
    fn pixel((x, y): (f64, f64)) -> (i32, i32) {
        (50 + (x * 40.0) as i32, 320 - (y * 30.0) as i32)
    }

    #[test]
    fn the_legend_avoids_the_data() {
        let area = ((50, 20), (450, 320));
        let frame = Frame::default();
        let view = Rect { x: (0.0, 10.0), y: (0.0, 10.0) };
        // rising to the upper right: the upper left is free
        let rising =
            Chart::Line(vec![line("a", vec![0.0, 10.0], vec![0.0, 10.0]), line("b", vec![0.0, 10.0], vec![0.0, 9.0])]);
        assert_eq!(corner(&rising, &frame, view, pixel, area), SeriesLabelPosition::UpperLeft);
        // falling from the upper left: the upper right is free, and preferred over the lower left
        let falling = Chart::Line(vec![line("a", vec![0.0, 10.0], vec![10.0, 0.0])]);
        assert_eq!(corner(&falling, &frame, view, pixel, area), SeriesLabelPosition::UpperRight);
        // a curve that rises and saturates near the top: the legend goes below it, on the right
        let saturating = Chart::Line(vec![line("a", vec![0.0, 1.0, 10.0], vec![0.0, 9.5, 9.5])]);
        assert_eq!(corner(&saturating, &frame, view, pixel, area), SeriesLabelPosition::LowerRight);
    }
}
