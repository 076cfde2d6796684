//! The 2-D charts (scatter, line, histogram, density, trajectories): the axis ranges (equal
//! in data units per pixel when asked), axes with 1-2-5, log or chosen ticks and exact or
//! formatted labels, the data drawn cut to the plotting area ([`super::kinds`]), reference
//! lines and notes over it, a legend, and the data-to-pixel map. Text, margins and lines
//! grow with the frame's scale.

use super::clip::Rect;
use super::figure::{draw_error, Frame, Mapping};
use super::font::FAMILY;
use super::legend::Placement;
use super::marks::{Canvas, Ticked};
use super::ticks::{self, TickChoice, Ticks};
use super::{overlay, series};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A 2-D chart: what it plots, in data coordinates.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Point sets.
    Scatter(Vec<series::Points>),
    /// Curves, with optional bands and smoothing.
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
    /// Paths of particles through a sampler.
    Trajectories(series::Paths),
}

impl Chart {
    /// What it shows, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Chart::Scatter(s) => format!("scatter of {} series", s.len()),
            Chart::Line(s) => format!("line plot of {} series", s.len()),
            Chart::Hist { series, .. } => format!("histogram of {} series", series.len()),
            Chart::Density { .. } => "2-D density".into(),
            Chart::Trajectories(p) => format!("{} trajectories", p.paths.len()),
        }
    }
}

/// An axis transform: identity, or log10 for a log axis.
#[derive(Clone, Copy)]
pub(super) struct Axis {
    pub(super) log: bool,
    name: &'static str,
}

impl Axis {
    /// The x and y axes of `frame`.
    pub(super) fn of(frame: &Frame) -> (Axis, Axis) {
        (Axis { log: frame.xlog, name: "x" }, Axis { log: frame.ylog, name: "y" })
    }

    /// A value in axis coordinates.
    pub(super) fn map(self, v: f64) -> Result<f64> {
        if !self.log {
            return Ok(v);
        }
        if v <= 0.0 {
            crate::bail!("a log {} axis needs positive values, got {v}", self.name);
        }
        Ok(v.log10())
    }

    /// Points in axis coordinates.
    pub(super) fn map_points(x: Axis, y: Axis, pts: &[(f64, f64)]) -> Result<Vec<(f64, f64)>> {
        pts.iter().map(|&(a, b)| Ok((x.map(a)?, y.map(b)?))).collect()
    }
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
        Some((lo, hi)) if hi - lo < 1e-12 * lo.abs().max(1.0) => (lo - 0.5, hi + 0.5),
        Some((lo, hi)) => {
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        }
    }
}

/// Each histogram's bin heights over the common range, and that range.
pub(super) struct Bins {
    /// The x range the bins cover.
    pub range: (f64, f64),
    /// One height per bin, per series.
    pub heights: Vec<Vec<f64>>,
}

/// The bins of histograms of `series` over `xlim` (or their range), as densities or counts.
pub(super) fn histogram(series: &[series::Values], bins: usize, density: bool, xlim: Option<(f64, f64)>) -> Bins {
    let range = xlim.or_else(|| span(series.iter().flat_map(|s| s.v.iter().copied()))).unwrap_or((0.0, 1.0));
    let range = if range.1 - range.0 < 1e-12 { (range.0 - 0.5, range.1 + 0.5) } else { range };
    let width = (range.1 - range.0) / bins as f64;
    let heights = series
        .iter()
        .map(|s| {
            let mut counts = vec![0.0; bins];
            for &v in s.v.iter().filter(|v| v.is_finite()) {
                let i = (((v - range.0) / width).floor().max(0.0) as usize).min(bins - 1);
                counts[i] += 1.0;
            }
            if density {
                let total = s.v.len().max(1) as f64 * width;
                counts.iter_mut().for_each(|c| *c /= total);
            }
            counts
        })
        .collect();
    Bins { range, heights }
}

/// Checks that every value on a log axis is positive.
pub fn check_log_axes(chart: &Chart, frame: &Frame) -> Result<()> {
    let (ax, ay) = Axis::of(frame);
    let check = |pts: &mut dyn Iterator<Item = (f64, f64)>| -> Result<()> {
        for (x, y) in pts {
            ax.map(x)?;
            ay.map(y)?;
        }
        Ok(())
    };
    let (xs, ys) = overlay::extents(&frame.overlays);
    xs.iter().try_for_each(|&x| ax.map(x).map(|_| ()))?;
    ys.iter().try_for_each(|&y| ay.map(y).map(|_| ()))?;
    match chart {
        Chart::Scatter(sets) => sets.iter().try_for_each(|s| check(&mut s.xy.iter().copied())),
        Chart::Line(curves) => curves.iter().try_for_each(|c| {
            check(&mut c.x.iter().copied().zip(c.y.iter().copied()))?;
            // a band or error bar may reach below zero on a log axis: it is cut at the bottom
            let ends = c.band.iter().chain(&c.errors).flat_map(|(lo, hi)| lo.iter().chain(hi));
            check(&mut c.x.iter().copied().cycle().zip(ends.copied().filter(|&v| !ay.log || v > 0.0)))
        }),
        Chart::Density { points, .. } => check(&mut points.iter().copied()),
        Chart::Trajectories(p) => {
            p.paths.iter().try_for_each(|p| check(&mut p.iter().copied()))?;
            p.background.iter().try_for_each(|b| check(&mut b.iter().copied()))
        }
        Chart::Hist { .. } => Ok(()),
    }
}

/// The x and y spans of the data a chart shows, in axis coordinates.
struct Spans {
    x: Option<(f64, f64)>,
    y: Option<(f64, f64)>,
    /// Drawn as they are (a histogram's), not padded.
    tight: bool,
}

/// The spans of the data `kind` shows.
fn data_spans(kind: &Chart, frame: &Frame) -> Result<Spans> {
    let (ax, ay) = Axis::of(frame);
    let spans = |pts: &[(f64, f64)]| (span(pts.iter().map(|p| p.0)), span(pts.iter().map(|p| p.1)));
    Ok(match kind {
        Chart::Scatter(sets) => {
            let all: Vec<(f64, f64)> = sets.iter().flat_map(|s| s.xy.iter().copied()).collect();
            let (x, y) = spans(&Axis::map_points(ax, ay, &all)?);
            Spans { x, y, tight: false }
        }
        Chart::Line(curves) => {
            let mut xs = vec![];
            let mut ys = vec![];
            for c in curves {
                xs.extend(c.x.iter().map(|&v| ax.map(v)).collect::<Result<Vec<_>>>()?);
                ys.extend(c.y.iter().map(|&v| ay.map(v)).collect::<Result<Vec<_>>>()?);
                for (lo, hi) in c.band.iter().chain(&c.errors) {
                    // ends at or below zero on a log axis are cut at the bottom, not shown
                    let shown = lo.iter().chain(hi).filter(|&&v| !ay.log || v > 0.0);
                    ys.extend(shown.map(|&v| ay.map(v)).collect::<Result<Vec<_>>>()?);
                }
            }
            Spans { x: span(xs.into_iter()), y: span(ys.into_iter()), tight: false }
        }
        Chart::Hist { series, bins, density } => {
            let b = histogram(series, *bins, *density, frame.xlim);
            let top = b.heights.iter().flatten().copied().fold(0.0, f64::max);
            Spans { x: Some(b.range), y: Some((0.0, top.max(1e-12) * 1.05)), tight: true }
        }
        Chart::Density { points, .. } => {
            let (x, y) = spans(&Axis::map_points(ax, ay, points)?);
            Spans { x, y, tight: false }
        }
        Chart::Trajectories(p) => {
            // the data's region: the background, or where the paths end; or everything
            let shown: Vec<(f64, f64)> = match (&p.background, p.view_all) {
                (_, true) => p.paths.iter().flatten().chain(p.background.iter().flatten()).copied().collect(),
                (Some(b), false) => b.clone(),
                (None, false) => p.paths.iter().filter_map(|path| path.last().copied()).collect(),
            };
            let (x, y) = spans(&Axis::map_points(ax, ay, &shown)?);
            Spans { x, y, tight: false }
        }
    })
}

/// A span widened to hold `values` (axis coordinates).
fn widened(span: Option<(f64, f64)>, values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(span, |s, v| Some(s.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))))
}

/// The axis ranges of a chart, in axis coordinates: the frame's limits, else the span of the
/// data and the reference lines (padded by 5%, but a histogram's).
pub fn ranges(kind: &Chart, frame: &Frame) -> Result<Rect> {
    let (ax, ay) = Axis::of(frame);
    let mut spans = data_spans(kind, frame)?;
    let (xs, ys) = overlay::extents(&frame.overlays);
    spans.x = widened(spans.x, xs.into_iter().filter_map(|v| ax.map(v).ok()));
    spans.y = widened(spans.y, ys.into_iter().filter_map(|v| ay.map(v).ok()));
    let pick = |lim: Option<(f64, f64)>, a: Axis, data: Option<(f64, f64)>| -> Result<(f64, f64)> {
        let r = match lim {
            Some((lo, hi)) => (a.map(lo)?, a.map(hi)?),
            None if spans.tight => data.unwrap_or((0.0, 1.0)),
            None => padded(data),
        };
        if !(r.1 > r.0 && (r.1 - r.0).is_finite()) {
            crate::bail!("the {} axis range must be finite and increasing, got [{}, {}]", a.name, r.0, r.1);
        }
        Ok(r)
    };
    Ok(Rect { x: pick(frame.xlim, ax, spans.x)?, y: pick(frame.ylim, ay, spans.y)? })
}

/// The ticks of an axis over `range` (axis coordinates) with room for about `count` labels:
/// the frame's chosen ticks, else 1-2-5 or log ones; labels in the axis's format.
fn axis_ticks(kind: &Chart, frame: &Frame, x: bool, range: (f64, f64), count: f64) -> Result<Ticks> {
    let (axis, log) = if x { (Axis::of(frame).0, frame.xlog) } else { (Axis::of(frame).1, frame.ylog) };
    let (choice, format) = if x { (&frame.xticks, &frame.xtick_format) } else { (&frame.yticks, &frame.ytick_format) };
    let values: Vec<(f64, Option<String>)> = match choice {
        None => {
            let count = (count as usize).max(2);
            let auto = if log { ticks::log(range.0, range.1, count) } else { ticks::linear(range.0, range.1, count) };
            return Ok(match format {
                Some(f) => auto.formatted(f, log),
                None => auto,
            });
        }
        Some(TickChoice::At(values)) => values.clone(),
        Some(TickChoice::Data) => {
            let shown = ticks::distinct(data_values(kind, x)?.into_iter());
            if shown.len() > 60 {
                crate::bail!(
                    "{}ticks: \"data\" would put {} ticks on the axis; give the values instead",
                    axis.name,
                    shown.len()
                );
            }
            shown.into_iter().map(|v| (v, None)).collect()
        }
    };
    let positions = values.iter().map(|(v, _)| axis.map(*v)).collect::<Result<Vec<_>>>()?;
    Ok(ticks::chosen(&values, &positions, range, log, format.as_ref()))
}

/// The values the data take on the x (or y) axis, for ticks at the data.
fn data_values(kind: &Chart, x: bool) -> Result<Vec<f64>> {
    let name = if x { "x" } else { "y" };
    Ok(match kind {
        Chart::Line(curves) => curves.iter().flat_map(|c| if x { c.x.clone() } else { c.y.clone() }).collect(),
        Chart::Scatter(sets) => sets.iter().flat_map(|s| s.xy.iter().map(|p| if x { p.0 } else { p.1 })).collect(),
        _ => crate::bail!("{name}ticks: \"data\" needs a line or scatter plot; give the tick values instead"),
    })
}

/// An axis title with the labels' shared power of ten, if any.
fn axis_title(label: &str, t: &Ticks) -> String {
    format!("{label}{}", t.title_suffix()).trim().to_string()
}

/// `rect` widened on one axis so that a data unit spans as many pixels on x as on y in a
/// plotting area of `pw × ph` pixels.
fn equal_aspect(rect: Rect, pw: u32, ph: u32) -> Rect {
    let (ux, uy) = ((rect.x.1 - rect.x.0) / pw.max(1) as f64, (rect.y.1 - rect.y.0) / ph.max(1) as f64);
    let u = ux.max(uy);
    let widen = |(lo, hi): (f64, f64), pixels: u32| {
        let (mid, half) = ((lo + hi) / 2.0, u * pixels.max(1) as f64 / 2.0);
        (mid - half, mid + half)
    };
    Rect { x: widen(rect.x, pw), y: widen(rect.y, ph) }
}

/// Draws a chart of `kind` into `area`.
pub fn draw<DB: DrawingBackend>(kind: &Chart, frame: &Frame, area: &DrawingArea<DB, Shift>) -> Result<Mapping> {
    let k = frame.scale();
    let px = |v: f64| (v * k).round() as i32;
    let labels = super::legend::labels(kind, frame);
    let legend = !labels.is_empty() && frame.legend != Placement::Hidden;
    let outside = legend && frame.legend == Placement::Outside;
    let (margin, gap) = (px(12.0), px(10.0));
    let right = margin + if outside { super::legend::outside_width(area, kind, frame) + gap } else { 0 };
    let full = area;
    let mut area = area.margin(margin, margin, margin, right);
    if !frame.title.is_empty() {
        area = area.titled(&frame.title, (FAMILY, 20.0 * k)).map_err(draw_error)?;
    }
    let (w, h) = area.dim_in_pixel();
    let (x_area, y_area) = (px(42.0).max(0) as u32, px(60.0).max(0) as u32);
    let (pw, ph) = (w.saturating_sub(y_area), h.saturating_sub(x_area));
    let rect = ranges(kind, frame)?;
    let rect = if frame.equal_aspect { equal_aspect(rect, pw, ph) } else { rect };
    let (full_w, full_h) = (w + 2 * margin as u32, h + 2 * margin as u32);
    let xt = axis_ticks(kind, frame, true, rect.x, full_w as f64 / (70.0 * k))?;
    let yt = axis_ticks(kind, frame, false, rect.y, full_h as f64 / (45.0 * k))?;

    let mut builder = ChartBuilder::on(&area);
    builder.x_label_area_size(x_area).y_label_area_size(y_area);
    let x_axis = Ticked::new(rect.x, xt.major.iter().map(|t| t.0).collect(), xt.minor.clone());
    let y_axis = Ticked::new(rect.y, yt.major.iter().map(|t| t.0).collect(), yt.minor.clone());
    let mut chart = builder.build_cartesian_2d(x_axis, y_axis).map_err(draw_error)?;
    let x_fmt = |v: &f64| if frame.show_xaxis { xt.label_at(*v) } else { String::new() };
    let y_fmt = |v: &f64| if frame.show_yaxis { yt.label_at(*v) } else { String::new() };
    let x_title = if frame.show_xaxis { axis_title(&frame.xlabel, &xt) } else { String::new() };
    let y_title = if frame.show_yaxis { axis_title(&frame.ylabel, &yt) } else { String::new() };
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .axis_desc_style((FAMILY, 15.0 * k))
        .label_style((FAMILY, 12.0 * k))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(px(5.0).max(1))
        .axis_style(BLACK.mix(0.8).stroke_width(px(1.0).max(1) as u32))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(draw_error)?;

    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let canvas = Canvas {
        rect,
        pixel: ((rect.x.1 - rect.x.0) / pw.max(1) as f64, (rect.y.1 - rect.y.0) / ph.max(1) as f64),
        columns: pw.max(1) as usize,
    };
    super::kinds::draw(&mut chart, &canvas, kind, frame)?;
    overlay::draw(&mut chart, &canvas, frame)?;
    let (c0, r0) = chart.backend_coord(&(rect.x.0, rect.y.0));
    let (c1, r1) = chart.backend_coord(&(rect.x.1, rect.y.1));
    if outside {
        let base = full.get_base_pixel();
        super::legend::draw_outside(full, kind, frame, (c0.max(c1) + gap - base.0, r0.min(r1) - base.1))?;
    } else if legend {
        let box_area = ((c0.min(c1), r0.min(r1)), (c0.max(c1), r0.max(r1)));
        let position = match frame.legend {
            Placement::Corner(c) => c.position(),
            _ => super::legend::corner(kind, frame, rect, |p| chart.backend_coord(&p), box_area),
        };
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14.0 * k))
            .legend_area_size(px(30.0).max(1) as u32)
            .margin(px(10.0).max(0) as u32)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(position)
            .draw()
            .map_err(draw_error)?;
    }
    Ok(Mapping { x: rect.x, y: rect.y, px: (c0, c1), py: (r0, r1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_pad_the_data_and_refuse_infinite_limits() {
        let line = Chart::Line(vec![series::Curve {
            label: String::new(),
            x: vec![0.0, 10.0],
            y: vec![1.0, 3.0],
            band: Some((vec![0.5, 2.0], vec![1.5, 4.0])),
            ..series::Curve::default()
        }]);
        let r = ranges(&line, &Frame::default()).unwrap();
        assert_eq!(r.x, (-0.5, 10.5));
        assert!((r.y.0 - 0.325).abs() < 1e-12 && (r.y.1 - 4.175).abs() < 1e-12, "the band counts: {r:?}");
        for lim in [(f64::NEG_INFINITY, 1.0), (-1e308, 1e308), (2.0, 1.0)] {
            let err = ranges(&line, &Frame { xlim: Some(lim), ..Frame::default() }).unwrap_err();
            assert!(err.to_string().contains("the x axis range must be finite and increasing"), "{err}");
        }
        let b = histogram(
            &[series::Values { label: String::new(), v: vec![0.0, 0.1, 0.9, 1.0], color: None }],
            2,
            false,
            None,
        );
        assert_eq!((b.range, b.heights), ((0.0, 1.0), vec![vec![2.0, 2.0]]));
    }
}
