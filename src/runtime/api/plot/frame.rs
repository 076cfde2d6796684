//! The options every figure takes: title, labels, limits, log axes, chosen ticks and their
//! format, size in pixels or in inches at a DPI, type size, legend placement and aspect.

use crate::plot::figure::Frame;
use crate::plot::legend::Placement;
use crate::plot::tick_format::TickFormat;
use crate::plot::ticks::TickChoice;
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use rhai::{Array, Dynamic, Map};

/// The keys every figure takes.
pub const FRAME_KEYS: &[&str] = &[
    "title",
    "xlabel",
    "ylabel",
    "xlim",
    "ylim",
    "xlog",
    "ylog",
    "width",
    "height",
    "size",
    "dpi",
    "font_size",
    "xticks",
    "yticks",
    "xtick_format",
    "ytick_format",
    "legend",
    "aspect",
];

/// The DPI of a figure sized in inches when none is given (matplotlib's).
const DEFAULT_DPI: f64 = 100.0;
/// The tick label size in points of a figure sized in inches when none is given: a
/// journal's column figure.
const INCH_FONT_SIZE: f64 = 8.0;

/// Checks options against the frame keys and the figure's own.
pub(super) fn checked(options: Map, own: &[&'static str]) -> crate::Result<CheckedOptions> {
    let keys: Vec<&str> = FRAME_KEYS.iter().chain(own).copied().collect();
    CheckedOptions::new(options, &keys)
}

/// `[low, high]` as two numbers.
pub(super) fn pair(key: &str, a: &Array) -> crate::Result<(f64, f64)> {
    match a.as_slice() {
        [lo, hi] => Ok((number(lo)?, number(hi)?)),
        _ => crate::bail!("option `{key}` must be [low, high]"),
    }
}

/// The frame of a figure from its options (`default_size` pixels when no size is given).
pub(super) fn frame(o: &CheckedOptions, default_size: (u32, u32)) -> crate::Result<Frame> {
    let lim = |key: &str| -> crate::Result<Option<(f64, f64)>> { o.opt_array(key)?.map(|a| pair(key, &a)).transpose() };
    let inches = inches(o)?;
    let dpi = o.opt_f64("dpi")?;
    if let Some(d) = dpi {
        if !(10.0..=2400.0).contains(&d) {
            crate::bail!("option `dpi` must be between 10 and 2400, got {d}");
        }
    }
    let (width, height) = match inches {
        Some((w, h)) => {
            if o.opt_value("width").is_some() || o.opt_value("height").is_some() {
                crate::bail!("give the size either in inches (`size`) or in pixels (`width`, `height`), not both");
            }
            let d = dpi.unwrap_or(DEFAULT_DPI);
            ((w * d).round() as u32, (h * d).round() as u32)
        }
        None => {
            let px = |key: &str, d: u32| -> crate::Result<u32> {
                Ok(o.usize_or(key, d as usize)?.min(u32::MAX as usize) as u32)
            };
            (px("width", default_size.0)?, px("height", default_size.1)?)
        }
    };
    let px_per_pt = match (dpi, inches) {
        (Some(d), _) => d / 72.0,
        (None, Some(_)) => DEFAULT_DPI / 72.0,
        (None, None) => 1.0,
    };
    let default_font = if inches.is_some() { INCH_FONT_SIZE } else { Frame::FONT_SIZE };
    let font_size = o.f64_or("font_size", default_font)?;
    if !(2.0..=72.0).contains(&font_size) {
        crate::bail!("option `font_size` must be between 2 and 72 points, got {font_size}");
    }
    let format = |key: &str| {
        o.opt_string(key)?.map(|f| TickFormat::parse(&f).map_err(|e| e.context(format!("option `{key}`")))).transpose()
    };
    Ok(Frame {
        title: o.opt_string("title")?.unwrap_or_default(),
        xlabel: o.opt_string("xlabel")?.unwrap_or_default(),
        ylabel: o.opt_string("ylabel")?.unwrap_or_default(),
        width,
        height,
        xlim: lim("xlim")?,
        ylim: lim("ylim")?,
        xlog: o.bool_or("xlog", false)?,
        ylog: o.bool_or("ylog", false)?,
        show_xaxis: true,
        show_yaxis: true,
        xticks: o.opt_value("xticks").map(|v| ticks("xticks", &v)).transpose()?,
        yticks: o.opt_value("yticks").map(|v| ticks("yticks", &v)).transpose()?,
        xtick_format: format("xtick_format")?,
        ytick_format: format("ytick_format")?,
        font_size,
        px_per_pt,
        legend: legend(o)?,
        equal_aspect: match o.opt_string("aspect")?.as_deref() {
            None | Some("auto") => false,
            Some("equal") => true,
            Some(other) => crate::bail!("option `aspect` must be \"equal\" or \"auto\", got \"{other}\""),
        },
        overlays: vec![],
    })
}

/// The figure size in inches from `size: [width, height]`.
fn inches(o: &CheckedOptions) -> crate::Result<Option<(f64, f64)>> {
    let Some(v) = o.opt_value("size") else { return Ok(None) };
    let Ok(a) = v.as_array_ref() else {
        crate::bail!(
            "option `size` is the figure size in inches, [width, height], got {}; a marker size is `marker_size`",
            describe(&v)
        );
    };
    let (w, h) = pair("size", &a)?;
    if !(0.5..=80.0).contains(&w) || !(0.5..=80.0).contains(&h) {
        crate::bail!("option `size` is in inches and must be between 0.5 and 80 a side, got [{w}, {h}]");
    }
    Ok(Some((w, h)))
}

/// The `legend` option: a placement name, or `false` for none.
fn legend(o: &CheckedOptions) -> crate::Result<Placement> {
    match o.opt_value("legend") {
        None => Ok(Placement::Best),
        Some(v) if v.is_bool() => Ok(if v.as_bool().unwrap_or(true) { Placement::Best } else { Placement::Hidden }),
        Some(v) => match v.clone().into_string() {
            Ok(name) => Placement::parse(&name).map_err(|e| e.context("option `legend`")),
            Err(_) => crate::bail!("option `legend` must be a placement name or false, got {}", describe(&v)),
        },
    }
}

/// Chosen ticks: `"data"`, or an array of values and `[value, label]` pairs.
fn ticks(key: &str, v: &Dynamic) -> crate::Result<TickChoice> {
    if let Ok(s) = v.clone().into_string() {
        return match s.as_str() {
            "data" => Ok(TickChoice::Data),
            _ => crate::bail!(
                "option `{key}` must be \"data\" or an array of values and [value, label] pairs, got \"{s}\""
            ),
        };
    }
    if let Some(t) = v.read_lock::<crate::tensor::Tensor>() {
        return Ok(TickChoice::At(t.to_f64_vec()?.into_iter().map(|x| (x, None)).collect()));
    }
    let expected = || format!("option `{key}` must be \"data\" or an array of values and [value, label] pairs");
    let Ok(list) = v.as_array_ref() else { crate::bail!("{}, got {}", expected(), describe(v)) };
    let values = list
        .iter()
        .map(|item| {
            if let Ok(x) = number(item) {
                return Ok((x, None));
            }
            match item.as_array_ref().ok().as_deref().map(|a| a.as_slice()) {
                Some([value, label]) if label.is_string() => Ok((number(value)?, Some(label.to_string()))),
                _ => crate::bail!("{}, got {} in it", expected(), describe(item)),
            }
        })
        .collect::<crate::Result<Vec<_>>>()?;
    if let Some((x, _)) = values.iter().find(|(x, _)| !x.is_finite()) {
        crate::bail!("option `{key}` holds {x}; ticks must be finite");
    }
    Ok(TickChoice::At(values))
}
