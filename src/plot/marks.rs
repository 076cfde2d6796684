//! What a chart draws on its plotting area, cut to it: polylines (decimated when long, drawn
//! segment by segment so that no miter of a sharp turn juts out), points, filled polygons and
//! bars. Everything is in axis coordinates (log10 of the value on a log axis).

use super::clip::Rect;
use super::decimate;
use super::figure::draw_error;
use crate::error::Result;
use plotters::chart::SeriesAnno;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
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
