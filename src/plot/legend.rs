//! Where a chart's legend goes: the corner of the plotting area whose legend box hides the
//! fewest data points and line pieces (matplotlib's `loc="best"` rule), upper right on ties.

use super::chart::{Axis, Chart};
use super::figure::Frame;
use plotters::prelude::SeriesLabelPosition;

/// Pixels per legend row and per label character at the legend's 14 px font, and the legend
/// box's fixed parts (swatch, padding) and its distance from the plotting area's edge.
const ROW: i32 = 20;
const CHAR: f64 = 7.5;
const FIXED_WIDTH: i32 = 45;
const MARGIN: i32 = 10;
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

/// The legend corner for `kind`: `to_pixel` maps axis coordinates to pixels and `area` is the
/// plotting area's pixel box `((left, top), (right, bottom))`. Histograms, heat maps and
/// trajectories keep the upper right.
pub(super) fn corner(
    kind: &Chart,
    frame: &Frame,
    to_pixel: impl Fn((f64, f64)) -> (i32, i32),
    area: ((i32, i32), (i32, i32)),
) -> SeriesLabelPosition {
    let (ax, ay) = Axis::of(frame);
    let (labels, points): (Vec<&str>, Vec<(f64, f64)>) = match kind {
        Chart::Scatter(sets) => (
            sets.iter().map(|s| s.label.as_str()).filter(|l| !l.is_empty()).collect(),
            sets.iter().flat_map(|s| s.xy.iter().copied()).collect(),
        ),
        Chart::Line(curves) => (
            curves.iter().map(|c| c.label.as_str()).filter(|l| !l.is_empty()).collect(),
            curves.iter().flat_map(|c| along(&c.x, &c.y)).collect(),
        ),
        _ => return SeriesLabelPosition::UpperRight,
    };
    let pixels: Vec<(i32, i32)> = points
        .into_iter()
        .filter_map(|(x, y)| Some((ax.map(x).ok()?, ay.map(y).ok()?)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(&to_pixel)
        .collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let size = (FIXED_WIDTH + (longest as f64 * CHAR) as i32, ROW * labels.len() as i32 + MARGIN);
    let hidden = |c: &SeriesLabelPosition| {
        let (x0, x1, y0, y1) = legend_box(c, size, area);
        pixels.iter().filter(|(x, y)| (x0..=x1).contains(x) && (y0..=y1).contains(y)).count()
    };
    // the first corner of the fewest hidden points
    let best = (0..4).min_by_key(|&i| (hidden(&corner_at(i)), i)).unwrap_or(0);
    corner_at(best)
}

/// The pixel box `(left, right, top, bottom)` of a legend of `size` (width, height) at corner `c`.
fn legend_box(c: &SeriesLabelPosition, size: (i32, i32), area: ((i32, i32), (i32, i32))) -> (i32, i32, i32, i32) {
    let ((left, top), (right, bottom)) = area;
    let (w, h) = size;
    let (x0, x1) = match c {
        SeriesLabelPosition::UpperLeft | SeriesLabelPosition::LowerLeft => (left + MARGIN, left + MARGIN + w),
        _ => (right - MARGIN - w, right - MARGIN),
    };
    let (y0, y1) = match c {
        SeriesLabelPosition::LowerLeft | SeriesLabelPosition::LowerRight => (bottom - MARGIN - h, bottom - MARGIN),
        _ => (top + MARGIN, top + MARGIN + h),
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
        Curve { label: label.into(), x, y, color: None, markers: false, band: None, smooth: None }
    }

    /// Data (0..10, 0..10) drawn on a 400×300 box at (50, 20): y grows upward.
    fn pixel((x, y): (f64, f64)) -> (i32, i32) {
        (50 + (x * 40.0) as i32, 320 - (y * 30.0) as i32)
    }

    #[test]
    fn the_legend_avoids_the_data() {
        let area = ((50, 20), (450, 320));
        let frame = Frame::default();
        // rising to the upper right: the upper left is free
        let rising =
            Chart::Line(vec![line("a", vec![0.0, 10.0], vec![0.0, 10.0]), line("b", vec![0.0, 10.0], vec![0.0, 9.0])]);
        assert_eq!(corner(&rising, &frame, pixel, area), SeriesLabelPosition::UpperLeft);
        // falling from the upper left: the upper right is free, and preferred over the lower left
        let falling = Chart::Line(vec![line("a", vec![0.0, 10.0], vec![10.0, 0.0])]);
        assert_eq!(corner(&falling, &frame, pixel, area), SeriesLabelPosition::UpperRight);
        // a curve that rises and saturates near the top: the legend goes below it, on the right
        let saturating = Chart::Line(vec![line("a", vec![0.0, 1.0, 10.0], vec![0.0, 9.5, 9.5])]);
        assert_eq!(corner(&saturating, &frame, pixel, area), SeriesLabelPosition::LowerRight);
    }
}
