//! Figures from script values and option maps: the series of each kind, their names,
//! colours, bands and smoothing, and the frame every figure takes.

use crate::plot::chart::Chart;
use crate::plot::figure::{Frame, Kind};
use crate::plot::grid::{Grid, Shared};
use crate::plot::series::{Curve, Paths, Points, Values};
use crate::plot::{images::ImageGrid, palette, Figure};
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use crate::tensor::Tensor;
use plotters::style::RGBColor;
use rhai::{Array, Dynamic, Map};

/// The keys every figure takes.
pub const FRAME_KEYS: &[&str] = &["title", "xlabel", "ylabel", "xlim", "ylim", "xlog", "ylog", "width", "height"];

pub(super) const SCATTER_KEYS: &[&str] = &["labels", "colors", "alpha", "size"];
pub(super) const LINE_KEYS: &[&str] = &["series", "order", "labels", "colors", "markers", "bands", "smooth"];
pub(super) const HIST_KEYS: &[&str] = &["bins", "density", "labels", "colors"];
pub(super) const DENSITY_KEYS: &[&str] = &["bins"];
pub(super) const IMAGES_KEYS: &[&str] = &["cols", "range"];
pub(super) const TRAJECTORIES_KEYS: &[&str] = &["count", "data", "view", "color"];
pub(super) const GRID_KEYS: &[&str] = &["cols", "sharex", "sharey"];

/// Checks options against the frame keys and the figure's own.
pub(super) fn checked(options: Map, own: &[&'static str]) -> crate::Result<CheckedOptions> {
    let keys: Vec<&str> = FRAME_KEYS.iter().chain(own).copied().collect();
    CheckedOptions::new(options, &keys)
}

/// The frame of a figure: title, labels, limits, log axes, size (`default_size` when not given).
pub(super) fn frame(o: &CheckedOptions, default_size: (u32, u32)) -> crate::Result<Frame> {
    let size =
        |key: &str, d: u32| -> crate::Result<u32> { Ok(o.usize_or(key, d as usize)?.min(u32::MAX as usize) as u32) };
    let lim = |key: &str| -> crate::Result<Option<(f64, f64)>> { o.opt_array(key)?.map(|a| pair(key, &a)).transpose() };
    Ok(Frame {
        title: o.opt_string("title")?.unwrap_or_default(),
        xlabel: o.opt_string("xlabel")?.unwrap_or_default(),
        ylabel: o.opt_string("ylabel")?.unwrap_or_default(),
        width: size("width", default_size.0)?,
        height: size("height", default_size.1)?,
        xlim: lim("xlim")?,
        ylim: lim("ylim")?,
        xlog: o.bool_or("xlog", false)?,
        ylog: o.bool_or("ylog", false)?,
        show_xaxis: true,
        show_yaxis: true,
    })
}

/// `[low, high]` as two numbers.
pub(super) fn pair(key: &str, a: &Array) -> crate::Result<(f64, f64)> {
    match a.as_slice() {
        [lo, hi] => Ok((number(lo)?, number(hi)?)),
        _ => crate::bail!("option `{key}` must be [low, high]"),
    }
}

/// Numbers from a tensor (flattened) or an array.
pub(super) fn numbers(v: &Dynamic, what: &str) -> crate::Result<Vec<f64>> {
    if let Some(t) = v.read_lock::<Tensor>() {
        return t.to_f64_vec();
    }
    match v.as_array_ref() {
        Ok(a) => a.iter().map(number).collect::<crate::Result<_>>().map_err(|e| e.context(what)),
        Err(_) => crate::bail!("{what} must be a tensor or an array of numbers, got {}", describe(v)),
    }
}

/// 2-D points from an `[N, 2]` tensor.
pub(super) fn points(v: &Dynamic, what: &str) -> crate::Result<Vec<(f64, f64)>> {
    let Some(t) = v.read_lock::<Tensor>().map(|t| t.clone()) else {
        crate::bail!("{what} must be an [N, 2] tensor, got {}", describe(v));
    };
    crate::plot::series::xy_of(&t, what)
}

/// Element `i` of an array option, or the option itself when it is a single value.
fn per_series(o: &CheckedOptions, key: &str, i: usize) -> Option<Dynamic> {
    let v = o.opt_value(key)?;
    if v.is_array() {
        return v.into_array().ok()?.get(i).cloned();
    }
    (!v.is_map()).then_some(v)
}

fn label_of(o: &CheckedOptions, i: usize) -> crate::Result<String> {
    match per_series(o, "labels", i) {
        None => Ok(String::new()),
        Some(v) => v.into_string().map_err(|_| crate::Error::new("option `labels` must hold strings")),
    }
}

/// The colour of series `i` called `name`: given by `colors` (an array by position, or a map
/// by name), else the session's colour for the name, else (unnamed) the cycle's at drawing.
fn color_of(o: &CheckedOptions, i: usize, name: &str) -> crate::Result<Option<RGBColor>> {
    let given = match o.opt_map("colors").ok().flatten() {
        Some(by_name) => by_name.get(name).cloned(),
        None => per_series(o, "colors", i),
    };
    match given {
        Some(v) => {
            let text = v.into_string().map_err(|_| crate::Error::new("option `colors` must hold colour names"))?;
            Ok(Some(palette::parse(&text)?))
        }
        None if name.is_empty() => Ok(None),
        None => Ok(Some(palette::for_name(name))),
    }
}

/// An array of the values, or the value itself as a one-element list.
fn listed(v: &Dynamic) -> Vec<Dynamic> {
    match v.as_array_ref() {
        Ok(a) if a.first().is_some_and(|x| x.read_lock::<Tensor>().is_some() || x.is_array()) => a.clone(),
        _ => vec![v.clone()],
    }
}

pub(super) fn scatter(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, SCATTER_KEYS)?;
    let sets = listed(data)
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let alpha = per_series(&o, "alpha", i).map(|v| number(&v)).transpose()?.unwrap_or(0.7);
            let size = per_series(&o, "size", i).map(|v| number(&v)).transpose()?.unwrap_or(2.0);
            let label = label_of(&o, i)?;
            Ok(Points {
                xy: points(d, &format!("series {i}"))?,
                color: color_of(&o, i, &label)?,
                label,
                alpha: alpha.clamp(0.0, 1.0),
                size: size.clamp(1.0, 50.0) as u32,
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Figure::new(Chart::Scatter(sets).into(), frame(&o, (640, 480))?)
}

/// The named y series of a line plot in the order to draw them: an array of `[name, values]`
/// pairs keeps its order; a map is drawn in `order` (when given) or by name.
fn named_series(o: &CheckedOptions) -> crate::Result<Option<Vec<(String, Dynamic)>>> {
    let Some(value) = o.opt_value("series") else { return Ok(None) };
    let mut named: Vec<(String, Dynamic)> = if let Some(map) = value.read_lock::<Map>() {
        map.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    } else if let Ok(list) = value.as_array_ref() {
        list.iter()
            .map(|pair| match pair.as_array_ref().ok().as_deref().map(|a| a.as_slice()) {
                Some([name, values]) if name.is_string() => Ok((name.to_string(), values.clone())),
                _ => crate::bail!("option `series` as an array holds [name, values] pairs, got {}", describe(pair)),
            })
            .collect::<crate::Result<_>>()?
    } else {
        crate::bail!("option `series` must be a map of name: values or an array of [name, values] pairs");
    };
    if let Some(order) = o.opt_array("order")? {
        let order: Vec<String> = order.iter().map(|n| n.to_string()).collect();
        if let Some(missing) = named.iter().find(|(n, _)| !order.contains(n)) {
            crate::bail!("option `order` does not list series `{}`", missing.0);
        }
        named.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    }
    Ok(Some(named))
}

/// The band of series `name` from the `bands` option: a map of name: `[lower, upper]` (for an
/// unnamed curve, the pair itself), each with one value per x.
fn band_of(o: &CheckedOptions, name: &str, n: usize) -> crate::Result<Option<(Vec<f64>, Vec<f64>)>> {
    let Some(value) = o.opt_value("bands") else { return Ok(None) };
    let pair = match value.read_lock::<Map>() {
        Some(map) => match map.get(name) {
            Some(p) => p.clone(),
            None => return Ok(None),
        },
        None => value.clone(),
    };
    let what = if name.is_empty() { "the band".to_string() } else { format!("the band of `{name}`") };
    let bounds = pair.as_array_ref().map_err(|_| crate::Error::new(format!("{what} must be [lower, upper]")))?;
    let [lo, hi] = bounds.as_slice() else { crate::bail!("{what} must be [lower, upper]") };
    let (lo, hi) = (numbers(lo, &format!("{what}'s lower edge"))?, numbers(hi, &format!("{what}'s upper edge"))?);
    if lo.len() != n || hi.len() != n {
        crate::bail!("{what} has {} and {} values for {n} x values", lo.len(), hi.len());
    }
    Ok(Some((lo, hi)))
}

pub(super) fn line(x: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, LINE_KEYS)?;
    let markers = o.bool_or("markers", false)?;
    let smooth = o.opt_f64("smooth")?;
    let first = numbers(x, "the x values")?;
    let curves = match named_series(&o)? {
        Some(series) => series
            .into_iter()
            .enumerate()
            .map(|(i, (name, ys))| {
                let y = numbers(&ys, &format!("series `{name}`"))?;
                if y.len() != first.len() {
                    crate::bail!("series `{name}` has {} values for {} x values", y.len(), first.len());
                }
                let band = band_of(&o, &name, y.len())?;
                Ok(Curve { color: color_of(&o, i, &name)?, label: name, x: first.clone(), y, markers, band, smooth })
            })
            .collect::<crate::Result<Vec<_>>>()?,
        None => {
            let label = label_of(&o, 0)?;
            vec![Curve {
                color: color_of(&o, 0, &label)?,
                band: band_of(&o, "", first.len())?,
                label,
                x: (0..first.len()).map(|i| i as f64).collect(),
                y: first,
                markers,
                smooth,
            }]
        }
    };
    if let Some(amount) = smooth {
        // checked now, so that a bad amount is `line`'s error rather than a drawing's
        crate::plot::smooth::check(amount)?;
    }
    Figure::new(Chart::Line(curves).into(), frame(&o, (640, 480))?)
}

pub(super) fn hist(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, HIST_KEYS)?;
    let series = listed(data)
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let label = label_of(&o, i)?;
            Ok(Values { color: color_of(&o, i, &label)?, label, v: numbers(d, &format!("series {i}"))? })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let bins = o.usize_or("bins", 40)?;
    if !(1..=100_000).contains(&bins) {
        crate::bail!("bins must be between 1 and 100000, got {bins}");
    }
    Figure::new(Chart::Hist { series, bins, density: o.bool_or("density", false)? }.into(), frame(&o, (640, 480))?)
}

pub(super) fn density(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, DENSITY_KEYS)?;
    let bins = o.usize_or("bins", 80)?;
    if !(1..=1000).contains(&bins) {
        crate::bail!("bins must be between 1 and 1000, got {bins}");
    }
    Figure::new(Chart::Density { points: points(data, "the points")?, bins }.into(), frame(&o, (560, 520))?)
}

pub(super) fn images(t: &Tensor, options: Map) -> crate::Result<Figure> {
    let o = checked(options, IMAGES_KEYS)?;
    let range = o.opt_array("range")?.map(|a| pair("range", &a)).transpose()?;
    let cols = o.opt_value("cols").map(|_| o.usize_or("cols", 1)).transpose()?;
    let grid = ImageGrid::from_tensor(t, cols, range)?;
    Figure::new(Kind::Images(grid), frame(&o, (512, 512))?)
}

/// The states of a trajectory as point sets of equal size.
pub(super) fn states(traj: &Array) -> crate::Result<Vec<Vec<(f64, f64)>>> {
    let states =
        traj.iter().enumerate().map(|(i, s)| points(s, &format!("state {i}"))).collect::<crate::Result<Vec<_>>>()?;
    let Some(first) = states.first() else { crate::bail!("a trajectory needs at least one state") };
    let n = first.len();
    if let Some(i) = states.iter().position(|s| s.len() != n) {
        crate::bail!("state {i} has {} points, state 0 has {n}", states[i].len());
    }
    Ok(states)
}

/// The `view` option: the data's region (false) or everything (true).
pub(super) fn view_all(o: &CheckedOptions) -> crate::Result<bool> {
    match o.opt_string("view")?.as_deref() {
        None | Some("data") => Ok(false),
        Some("all") => Ok(true),
        Some(other) => crate::bail!("option `view` must be \"data\" or \"all\", got \"{other}\""),
    }
}

pub(super) fn trajectories(traj: &Array, options: Map) -> crate::Result<Figure> {
    let o = checked(options, TRAJECTORIES_KEYS)?;
    let states = states(traj)?;
    let n = states[0].len();
    let count = o.usize_or("count", 30)?.min(n);
    let stride = (n / count.max(1)).max(1);
    let paths = (0..count).map(|k| states.iter().map(|s| s[k * stride]).collect()).collect();
    let background = o.opt_value("data").map(|d| points(&d, "option `data`")).transpose()?;
    let color_by_time = match o.opt_string("color")?.as_deref() {
        None | Some("path") => false,
        Some("time") => true,
        Some(other) => crate::bail!("option `color` must be \"path\" or \"time\", got \"{other}\""),
    };
    let paths = Paths { paths, background, view_all: view_all(&o)?, color_by_time };
    Figure::new(Chart::Trajectories(paths).into(), frame(&o, (640, 560))?)
}

pub(super) fn grid(figs: &Array, options: Map) -> crate::Result<Figure> {
    let o = checked(options, GRID_KEYS)?;
    let panels = figs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.read_lock::<Figure>()
                .map(|f| f.clone())
                .ok_or_else(|| crate::Error::new(format!("element {i} is {}, not a figure", describe(f))))
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let cols = o.opt_value("cols").map(|_| o.usize_or("cols", 1)).transpose()?;
    let shared = Shared { x: o.bool_or("sharex", false)?, y: o.bool_or("sharey", false)? };
    let grid = Grid::new(panels, cols, shared)?;
    let size = grid.natural_size();
    Figure::new(Kind::Grid(grid), frame(&o, size)?)
}
