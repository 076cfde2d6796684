//! `fig.hline`, `fig.vline` and `fig.text`: reference lines and notes added to a chart.

use crate::plot::overlay::{Align, Note, Overlay, Reference};
use crate::plot::style::Dash;
use crate::plot::{palette, Figure, Kind};
use crate::runtime::options::CheckedOptions;
use plotters::style::RGBColor;
use rhai::Map;

/// The options of a reference line.
pub(super) const LINE_KEYS: &[&str] = &["label", "style", "color", "line_width"];
/// The options of a note.
pub(super) const TEXT_KEYS: &[&str] = &["color", "align", "font_size"];

/// The grey reference lines are drawn in unless a colour is given.
const REFERENCE_GREY: RGBColor = RGBColor(90, 90, 90);

/// Adds `overlay` to a chart figure, checked as the figure would draw it.
fn add(fig: &mut Figure, overlay: Overlay, what: &str) -> crate::Result<Figure> {
    if !matches!(fig.kind, Kind::Chart(_)) {
        crate::bail!("{what} draws on a chart (scatter, line, hist, density, trajectories), not on {}", fig.describe());
    }
    let mut frame = fig.frame.clone();
    frame.overlays.push(overlay);
    let checked = Figure::new(fig.kind.clone(), frame)?;
    *fig = checked.clone();
    Ok(checked)
}

/// A horizontal (`vertical` false) or vertical reference line at `at`.
pub(super) fn reference(fig: &mut Figure, vertical: bool, at: f64, options: Map) -> crate::Result<Figure> {
    let what = if vertical { "vline" } else { "hline" };
    if !at.is_finite() {
        crate::bail!("{what} needs a finite position, got {at}");
    }
    let o = CheckedOptions::new(options, LINE_KEYS)?;
    let color = o.opt_string("color")?.map(|c| palette::parse(&c)).transpose()?.unwrap_or(REFERENCE_GREY);
    let dash = o.opt_string("style")?.map(|s| Dash::parse(&s)).transpose()?.unwrap_or(Dash::Dashed);
    let width = o.opt_f64("line_width")?;
    if let Some(w) = width {
        if !(0.1..=50.0).contains(&w) {
            crate::bail!("option `line_width` must be between 0.1 and 50 points, got {w}");
        }
    }
    let line = Reference { vertical, at, label: o.opt_string("label")?.unwrap_or_default(), color, dash, width };
    add(fig, Overlay::Reference(line), what)
}

/// Text at `(x, y)` in data coordinates.
pub(super) fn note(fig: &mut Figure, x: f64, y: f64, text: &str, options: Map) -> crate::Result<Figure> {
    if !x.is_finite() || !y.is_finite() {
        crate::bail!("text needs a finite position, got ({x}, {y})");
    }
    let o = CheckedOptions::new(options, TEXT_KEYS)?;
    let color = o.opt_string("color")?.map(|c| palette::parse(&c)).transpose()?.unwrap_or(RGBColor(0, 0, 0));
    let align = match o.opt_string("align")?.as_deref() {
        None | Some("left") => Align::Left,
        Some("center") => Align::Center,
        Some("right") => Align::Right,
        Some(other) => crate::bail!("option `align` must be \"left\", \"center\" or \"right\", got \"{other}\""),
    };
    let size = o.opt_f64("font_size")?;
    if let Some(s) = size {
        if !(2.0..=72.0).contains(&s) {
            crate::bail!("option `font_size` must be between 2 and 72 points, got {s}");
        }
    }
    add(fig, Overlay::Note(Note { x, y, text: text.to_string(), color, align, size }), "text")
}
