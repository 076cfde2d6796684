//! The data of a figure's series, already on the host in `f64`.

use plotters::style::RGBColor;

/// Points of a scatter plot.
#[derive(Clone, Debug)]
pub struct Points {
    /// Legend text (empty: not in the legend).
    pub label: String,
    /// The points.
    pub xy: Vec<(f64, f64)>,
    /// The colour (the cycle's when `None`).
    pub color: Option<RGBColor>,
    /// Opacity in [0, 1].
    pub alpha: f64,
    /// Marker radius in pixels.
    pub size: u32,
}

/// A curve of a line plot.
#[derive(Clone, Debug)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values.
    pub y: Vec<f64>,
    /// The colour (the cycle's when `None`).
    pub color: Option<RGBColor>,
    /// Whether to mark each point.
    pub markers: bool,
}

/// The values of one histogram.
#[derive(Clone, Debug)]
pub struct Values {
    /// Legend text.
    pub label: String,
    /// The values.
    pub v: Vec<f64>,
    /// The colour (the cycle's when `None`).
    pub color: Option<RGBColor>,
}
