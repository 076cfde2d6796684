//! What a script draws over a chart after its data: reference lines across the whole
//! plotting area at a value of one axis (a data floor, a paper's number), and text at a
//! point in data coordinates.

use super::chart::Axis;
use super::figure::{draw_error, Frame};
use super::font::FAMILY;
use super::marks::{self, Canvas, Plot, Swatch, SwatchShape};
use super::style::Dash;
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A line or text drawn over a chart.
#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    /// A line across the plotting area.
    Reference(Reference),
    /// Text at a point.
    Note(Note),
}

/// A horizontal line at `y = at`, or a vertical one at `x = at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Vertical (at an x value) rather than horizontal (at a y value).
    pub vertical: bool,
    /// Where it crosses its axis, in data units.
    pub at: f64,
    /// Legend text (empty: not in the legend).
    pub label: String,
    /// Its colour.
    pub color: RGBColor,
    /// Its style.
    pub dash: Dash,
    /// Its width in points (the figure's line width when `None`).
    pub width: Option<f64>,
}

/// Text whose anchor sits at a point in data coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// The anchor's x in data units.
    pub x: f64,
    /// The anchor's y in data units.
    pub y: f64,
    /// The text.
    pub text: String,
    /// Its colour.
    pub color: RGBColor,
    /// Which side of the text the anchor is on; the anchor is at the text's vertical middle.
    pub align: Align,
    /// Its size in points (the tick labels' when `None`).
    pub size: Option<f64>,
}

/// Where a note's anchor is along its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// At the text's left end.
    Left,
    /// At its middle.
    Center,
    /// At its right end.
    Right,
}

impl Align {
    fn anchor(self) -> HPos {
        match self {
            Align::Left => HPos::Left,
            Align::Center => HPos::Center,
            Align::Right => HPos::Right,
        }
    }
}

/// The default stroke width in pixels of a figure's lines.
pub fn line_width(frame: &Frame, points: Option<f64>) -> u32 {
    let px = points.map(|p| frame.pixels(p)).unwrap_or(2.0 * frame.scale());
    px.round().max(1.0) as u32
}

/// The values the overlays put on each axis, so the axis ranges include them:
/// `(xs, ys)` of the reference lines (notes do not widen the view).
pub fn extents(overlays: &[Overlay]) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (vec![], vec![]);
    for o in overlays {
        if let Overlay::Reference(r) = o {
            if r.vertical {
                xs.push(r.at);
            } else {
                ys.push(r.at);
            }
        }
    }
    (xs, ys)
}

/// Draws `frame`'s overlays; returns whether any has a legend entry.
pub fn draw<DB: DrawingBackend>(chart: &mut Plot<'_, DB>, canvas: &Canvas, frame: &Frame) -> Result<bool> {
    let (ax, ay) = Axis::of(frame);
    let r = canvas.rect;
    let k = frame.scale();
    let mut legend = false;
    for o in &frame.overlays {
        match o {
            Overlay::Reference(line) => {
                let pts = if line.vertical {
                    let x = ax.map(line.at)?;
                    [(x, r.y.0), (x, r.y.1)]
                } else {
                    let y = ay.map(line.at)?;
                    [(r.x.0, y), (r.x.1, y)]
                };
                let width = line_width(frame, line.width);
                let (color, dash) = (line.color, line.dash);
                let anno = marks::stroke(chart, canvas, &pts, color.stroke_width(width), dash)?;
                if !line.label.is_empty() {
                    legend = true;
                    let shape = SwatchShape::Line { width, dash, marker: None };
                    anno.label(line.label.clone()).legend(move |at| Swatch::new(at, shape, color, k));
                }
            }
            Overlay::Note(note) => {
                let at = (ax.map(note.x)?, ay.map(note.y)?);
                if !r.contains(at) {
                    continue;
                }
                let size = note.size.map(|p| frame.pixels(p)).unwrap_or(Frame::FONT_SIZE * k);
                let style =
                    (FAMILY, size).into_font().color(&note.color).pos(Pos::new(note.align.anchor(), VPos::Center));
                chart.draw_series(std::iter::once(Text::new(note.text.clone(), at, style))).map_err(draw_error)?;
            }
        }
    }
    Ok(legend)
}
