//! Figures from script values and option maps: the series of scatter plots, histograms,
//! densities, image grids, trajectories and grids of figures, with their names and colours
//! (`line` has its own module).

use super::frame::{checked, frame, pair};
use crate::plot::chart::Chart;
use crate::plot::figure::Kind;
use crate::plot::grid::{Grid, Shared};
use crate::plot::series::{Paths, Points, Values};
use crate::plot::{images::ImageGrid, palette, Figure};
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use crate::tensor::Tensor;
use plotters::style::RGBColor;
use rhai::{Array, Dynamic, Map};

pub(super) const SCATTER_KEYS: &[&str] = &["labels", "colors", "group", "alpha", "marker_size"];
pub(super) const HIST_KEYS: &[&str] = &["bins", "density", "labels", "colors"];
pub(super) const DENSITY_KEYS: &[&str] = &["bins"];
pub(super) const IMAGES_KEYS: &[&str] = &["cols", "range"];
pub(super) const TRAJECTORIES_KEYS: &[&str] = &["count", "data", "view", "color"];
pub(super) const GRID_KEYS: &[&str] = &["cols", "sharex", "sharey"];

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
pub(super) fn per_series(o: &CheckedOptions, key: &str, i: usize) -> Option<Dynamic> {
    let v = o.opt_value(key)?;
    if v.is_array() {
        return v.into_array().ok()?.get(i).cloned();
    }
    (!v.is_map()).then_some(v)
}

/// The label of series `i` from the `labels` option (empty when none).
pub(super) fn label_of(o: &CheckedOptions, i: usize) -> crate::Result<String> {
    match per_series(o, "labels", i) {
        None => Ok(String::new()),
        Some(v) => v.into_string().map_err(|_| crate::Error::new("option `labels` must hold strings")),
    }
}

/// The colour of series `i` called `name`: given by `colors` (an array by position, or a map
/// by name), else the session's colour for the name, else (unnamed) the cycle's at drawing.
pub(super) fn color_of(o: &CheckedOptions, i: usize, name: &str) -> crate::Result<Option<RGBColor>> {
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
    let sets = listed(data);
    let labels = (0..sets.len()).map(|i| label_of(&o, i)).collect::<crate::Result<Vec<_>>>()?;
    let groups: Vec<Option<String>> = (0..sets.len())
        .map(|i| match o.opt_value("group") {
            Some(g) if g.is_map() => g.cast::<Map>().get(labels[i].as_str()).map(|v| v.to_string()),
            _ => per_series(&o, "group", i).map(|v| v.to_string()),
        })
        .collect();
    let sets = sets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let alpha = per_series(&o, "alpha", i).map(|v| number(&v)).transpose()?.unwrap_or(0.7);
            let size = per_series(&o, "marker_size", i).map(|v| number(&v)).transpose()?.unwrap_or(2.0);
            let label = labels[i].clone();
            let color = match super::line::group_color(&o, &groups, i)? {
                Some(c) => Some(c),
                None => color_of(&o, i, &label)?,
            };
            Ok(Points {
                xy: points(d, &format!("series {i}"))?,
                color,
                label,
                alpha: alpha.clamp(0.0, 1.0),
                size: size.clamp(1.0, 50.0) as u32,
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Figure::new(Chart::Scatter(sets).into(), frame(&o, (640, 480))?)
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
