//! The data of a figure's series, already on the host in `f64`.

use super::style::{Dash, Marker};
use crate::error::Result;
use crate::tensor::Tensor;
use plotters::style::RGBColor;

/// The rows of an `[N, 2]` tensor as points; `what` names it in the error for another shape.
pub fn xy_of(t: &Tensor, what: &str) -> Result<Vec<(f64, f64)>> {
    match t.dims() {
        [_, 2] => Ok(t.to_f64_vec()?.chunks(2).map(|c| (c[0], c[1])).collect()),
        [n, d] => crate::bail!(
            "{what} must be an [N, 2] tensor, got shape [{n}, {d}]: pick two columns, e.g. x.narrow(1, 0, 2)"
        ),
        d => crate::bail!("{what} must be an [N, 2] tensor, got shape {d:?}"),
    }
}

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
#[derive(Clone, Debug, Default)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values.
    pub y: Vec<f64>,
    /// The colour (the cycle's when `None`).
    pub color: Option<RGBColor>,
    /// The marker drawn at each point, if any.
    pub marker: Option<Marker>,
    /// A shaded band `(lower, upper)` around the curve, one pair per x (e.g. mean ± std over seeds).
    pub band: Option<(Vec<f64>, Vec<f64>)>,
    /// Error bars with caps: their ends `(lower, upper)`, one pair per x.
    pub errors: Option<(Vec<f64>, Vec<f64>)>,
    /// The line style.
    pub dash: Dash,
    /// The line width in points (the figure's default when `None`).
    pub width: Option<f64>,
    /// Draw a smoothed curve over the raw one, which is drawn lighter: an EMA weight in
    /// `[0, 1)` or a moving-average window (see [`super::smooth`]).
    pub smooth: Option<f64>,
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

/// Paths of particles through a sampler, from noise to data.
#[derive(Clone, Debug)]
pub struct Paths {
    /// One path per particle, in time order.
    pub paths: Vec<Vec<(f64, f64)>>,
    /// Points drawn faintly behind the paths (e.g. the data).
    pub background: Option<Vec<(f64, f64)>>,
    /// Frame the whole paths; by default the view is the data's region (the background, or
    /// the paths' ends), and the paths' early parts are cut at its frame.
    pub view_all: bool,
    /// Colour each path by time along it (viridis) instead of one colour per path.
    pub color_by_time: bool,
}
