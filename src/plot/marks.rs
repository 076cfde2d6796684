//! What a chart draws on its plotting area, cut to it: polylines (decimated when long, drawn
//! segment by segment so that no miter of a sharp turn juts out), points, filled polygons and
//! bars, markers of each kind, and the swatches legends show. Everything is in axis
//! coordinates (log10 of the value on a log axis).

use super::clip::Rect;
use super::figure::draw_error;
use super::style::{Dash, Marker};
use super::{dash, decimate};
use crate::error::Result;
use plotters::chart::SeriesAnno;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};
use std::ops::Range;

/// A linear axis (in axis coordinates) whose grid lines and tick marks are chosen ticks: the
/// labelled ones bold, the minor ones light.
#[derive(Clone)]
pub struct Ticked {
    inner: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ticked {
    /// The axis over `range` with `bold` and `light` ticks.
    pub fn new(range: (f64, f64), bold: Vec<f64>, light: Vec<f64>) -> Self {
        Self { inner: (range.0..range.1).into(), bold, light }
    }
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }
}

/// The chart every 2-D figure draws on: linear axes in axis coordinates with chosen ticks.
pub type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// The plotting rectangle and the size of a pixel in axis units.
#[derive(Clone, Copy, Debug)]
pub struct Canvas {
    /// The axis ranges.
    pub rect: Rect,
    /// Axis units per pixel, along x and y.
    pub pixel: (f64, f64),
    /// Pixel columns of the plotting area.
    pub columns: usize,
}

impl Canvas {
    /// The rectangle a stroke of `width` pixels stays inside when its centre line does.
    fn inner(&self, width: f64) -> Rect {
        self.rect.inset(self.pixel.0 * width / 2.0, self.pixel.1 * width / 2.0)
    }
}

/// A polyline through `points`, cut to the plotting area; returns the series for a legend.
pub fn polyline<'c, 'a, DB: DrawingBackend>(
    chart: &'c mut Plot<'a, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    style: ShapeStyle,
) -> Result<&'c mut SeriesAnno<'a, DB>> {
    let drawn = decimate::min_max(points, canvas.rect.x, canvas.columns);
    let pieces = canvas.inner(style.stroke_width as f64).clip_polyline(&drawn);
    chart.draw_series(pieces.into_iter().map(move |(a, b)| PathElement::new(vec![a, b], style))).map_err(draw_error)
}

/// A polyline through `points` in `dash`'s pattern (scaled by the stroke width), cut to the
/// plotting area; returns the series for a legend.
pub fn stroke<'c, 'a, DB: DrawingBackend>(
    chart: &'c mut Plot<'a, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    style: ShapeStyle,
    line: Dash,
) -> Result<&'c mut SeriesAnno<'a, DB>> {
    if line == Dash::Solid {
        return polyline(chart, canvas, points, style);
    }
    let width = style.stroke_width.max(1) as f64;
    let pattern: Vec<f64> = line.pattern().iter().map(|l| l * width).collect();
    let drawn = decimate::min_max(points, canvas.rect.x, canvas.columns);
    let inner = canvas.inner(width);
    // each dash a filled rectangle around its centre line (a wide stroke per dash leaves seams)
    let (ux, uy) = canvas.pixel;
    let fill = ShapeStyle { filled: true, stroke_width: 0, ..style };
    let pieces: Vec<_> = dash::dashes(&inner.clip_polyline(&drawn), &pattern, canvas.pixel)
        .into_iter()
        .filter_map(|(a, b)| {
            let (dx, dy) = ((b.0 - a.0) / ux, (b.1 - a.1) / uy);
            let length = dx.hypot(dy);
            (length > 1e-9).then(|| {
                let (nx, ny) = (-dy / length * width / 2.0 * ux, dx / length * width / 2.0 * uy);
                Polygon::new(
                    vec![(a.0 + nx, a.1 + ny), (b.0 + nx, b.1 + ny), (b.0 - nx, b.1 - ny), (a.0 - nx, a.1 - ny)],
                    fill,
                )
            })
        })
        .collect();
    chart.draw_series(pieces).map_err(draw_error)
}

/// Segments `(from, to, style)` each cut to the plotting area.
pub fn segments<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    pieces: impl Iterator<Item = ((f64, f64), (f64, f64), ShapeStyle)>,
) -> Result<()> {
    let cut = pieces.filter_map(|(a, b, style)| {
        canvas.inner(style.stroke_width as f64).clip_segment(a, b).map(|(a, b)| PathElement::new(vec![a, b], style))
    });
    chart.draw_series(cut.collect::<Vec<_>>()).map_err(draw_error)?;
    Ok(())
}

/// Circles of radius `size` at the points inside the plotting area.
pub fn dots<'c, 'a, DB: DrawingBackend>(
    chart: &'c mut Plot<'a, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    size: u32,
    style: ShapeStyle,
) -> Result<&'c mut SeriesAnno<'a, DB>> {
    let inside: Vec<(f64, f64)> = points.iter().copied().filter(|p| canvas.rect.contains(*p)).collect();
    chart.draw_series(inside.into_iter().map(move |p| Circle::new(p, size, style))).map_err(draw_error)
}

/// Markers of kind `marker` and radius `r` pixels at the points inside the plotting area.
pub fn markers<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    marker: Marker,
    r: f64,
    style: ShapeStyle,
) -> Result<()> {
    let inside = points.iter().copied().filter(|p| canvas.rect.contains(*p));
    chart.draw_series(inside.map(|at| MarkerAt { at, marker, r, style })).map_err(draw_error)?;
    Ok(())
}

/// A marker drawn centred on a point in axis coordinates.
struct MarkerAt {
    at: (f64, f64),
    marker: Marker,
    r: f64,
    style: ShapeStyle,
}

impl<'a> PointCollection<'a, (f64, f64)> for &'a MarkerAt {
    type Point = &'a (f64, f64);
    type IntoIter = std::iter::Once<&'a (f64, f64)>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for MarkerAt {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
        match pos.next() {
            Some(c) => draw_marker(backend, c, self.marker, self.r, &self.style),
            None => Ok(()),
        }
    }
}

/// A marker of kind `marker` and radius `r` pixels centred on pixel `c`.
fn draw_marker<DB: DrawingBackend>(
    backend: &mut DB,
    c: BackendCoord,
    marker: Marker,
    r: f64,
    style: &ShapeStyle,
) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
    let at = |(x, y): (i32, i32)| (c.0 + x, c.1 + y);
    if let Some(polygon) = marker.polygon(r) {
        return backend.fill_polygon(polygon.into_iter().map(at), &style.filled());
    }
    if let Some(strokes) = marker.strokes(r) {
        let line = ShapeStyle { stroke_width: (r / 2.5).round().max(1.0) as u32, ..*style };
        for [a, b] in strokes {
            backend.draw_line(at(a), at(b), &line)?;
        }
        return Ok(());
    }
    backend.draw_circle(c, r.round().max(1.0) as u32, style, style.filled)
}

/// What a legend entry shows before its label, drawn from the entry's anchor pixel: a line
/// in its style (with its marker), a dot, or a box.
pub struct Swatch {
    at: BackendCoord,
    shape: SwatchShape,
    color: RGBColor,
    /// The legend's scale: 1 in a default figure.
    k: f64,
}

/// The kinds of legend swatches.
#[derive(Clone, Copy)]
pub enum SwatchShape {
    /// A line of `width` pixels in `dash`, with a marker at its middle.
    Line {
        /// Stroke width in pixels.
        width: u32,
        /// The line style.
        dash: Dash,
        /// The marker and its radius in pixels.
        marker: Option<(Marker, f64)>,
    },
    /// A filled circle (a scatter's points).
    Dot,
    /// A filled box (a histogram's bars).
    Box,
}

impl Swatch {
    /// The swatch of `shape` in `color` at the legend anchor `at`, for a legend at scale `k`.
    pub fn new(at: BackendCoord, shape: SwatchShape, color: RGBColor, k: f64) -> Self {
        Self { at, shape, color, k }
    }
}

impl<'a> PointCollection<'a, BackendCoord> for &'a Swatch {
    type Point = &'a BackendCoord;
    type IntoIter = std::iter::Once<&'a BackendCoord>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for Swatch {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else { return Ok(()) };
        let k = self.k;
        let px = |v: f64| (v * k).round() as i32;
        match self.shape {
            SwatchShape::Line { width, dash: line, marker } => {
                let (x0, x1) = (x, x + px(22.0));
                let pattern: Vec<f64> = line.pattern().iter().map(|l| l * width.max(1) as f64).collect();
                let pts = [((x0 as f64, y as f64), (x1 as f64, y as f64))];
                let (top, bottom) = (y - width as i32 / 2, y - width as i32 / 2 + width.max(1) as i32 - 1);
                for (a, b) in dash::dashes(&pts, &pattern, (1.0, 1.0)) {
                    let (left, right) = (a.0.round() as i32, (b.0.round() as i32 - 1).max(a.0.round() as i32));
                    backend.draw_rect((left, top), (right, bottom), &self.color.filled(), true)?;
                }
                match marker {
                    Some((m, r)) => draw_marker(backend, ((x0 + x1) / 2, y), m, r, &self.color.filled()),
                    None => Ok(()),
                }
            }
            SwatchShape::Dot => {
                backend.draw_circle((x + px(10.0), y), px(4.0).max(1) as u32, &self.color.filled(), true)
            }
            SwatchShape::Box => {
                backend.draw_rect((x + px(4.0), y - px(5.0)), (x + px(16.0), y + px(5.0)), &self.color.filled(), true)
            }
        }
    }
}

/// A filled polygon, cut to the plotting area.
pub fn polygon<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    canvas: &Canvas,
    points: &[(f64, f64)],
    style: ShapeStyle,
) -> Result<()> {
    let cut = canvas.rect.clip_polygon(points);
    if cut.len() >= 3 {
        chart.draw_series(std::iter::once(Polygon::new(cut, style))).map_err(draw_error)?;
    }
    Ok(())
}

/// Filled rectangles given by opposite corners, cut to the plotting area; returns the series
/// for a legend.
pub fn bars<'c, 'a, DB: DrawingBackend>(
    chart: &'c mut Plot<'a, DB>,
    canvas: &Canvas,
    corners: impl Iterator<Item = ((f64, f64), (f64, f64))>,
    style: ShapeStyle,
) -> Result<&'c mut SeriesAnno<'a, DB>> {
    let r = canvas.rect;
    let cut: Vec<[(f64, f64); 2]> = corners
        .filter_map(|(a, b)| {
            let (x0, x1) = (a.0.min(b.0).max(r.x.0), a.0.max(b.0).min(r.x.1));
            let (y0, y1) = (a.1.min(b.1).max(r.y.0), a.1.max(b.1).min(r.y.1));
            (x0 < x1 && y0 < y1).then_some([(x0, y0), (x1, y1)])
        })
        .collect();
    chart.draw_series(cut.into_iter().map(move |c| Rectangle::new(c, style))).map_err(draw_error)
}
