//! Figures from scripts: `scatter`, `line`, `hist`, `density`, `images`,
//! `trajectories`, `grid`; saving and showing them.

use crate::plot::chart::Chart;
use crate::plot::figure::{Frame, Kind};
use crate::plot::series::{Curve, Points, Values};
use crate::plot::{grid::Grid, images::ImageGrid, palette, Figure};
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::{Array, Map};

/// The keys every figure takes.
const FRAME_KEYS: &[&str] = &["title", "xlabel", "ylabel", "xlim", "ylim", "xlog", "ylog", "width", "height"];

const SCATTER_KEYS: &[&str] = &["labels", "colors", "alpha", "size"];
const LINE_KEYS: &[&str] = &["series", "labels", "colors", "markers"];
const HIST_KEYS: &[&str] = &["bins", "density", "labels", "colors"];
const DENSITY_KEYS: &[&str] = &["bins"];
const IMAGES_KEYS: &[&str] = &["cols", "range"];
const TRAJECTORIES_KEYS: &[&str] = &["count", "data"];
const GRID_KEYS: &[&str] = &["cols"];

/// The option keys of each figure besides the frame's (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("scatter", SCATTER_KEYS),
    ("line", LINE_KEYS),
    ("hist", HIST_KEYS),
    ("density", DENSITY_KEYS),
    ("images", IMAGES_KEYS),
    ("trajectories", TRAJECTORIES_KEYS),
    ("grid", GRID_KEYS),
];

/// The keys every figure takes besides its own.
pub const FRAME: &[&str] = FRAME_KEYS;

/// Accepted keys: the frame's plus the figure's own.
fn keys(own: &[&'static str]) -> Vec<&'static str> {
    FRAME_KEYS.iter().chain(own).copied().collect()
}

fn frame(o: &CheckedOptions, default_size: (u32, u32)) -> crate::Result<Frame> {
    let size = |key: &str, d: u32| -> crate::Result<u32> { Ok(o.usize_or(key, d as usize)? as u32) };
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
    })
}

fn pair(key: &str, a: &Array) -> crate::Result<(f64, f64)> {
    match a.as_slice() {
        [lo, hi] => Ok((number(lo)?, number(hi)?)),
        _ => crate::bail!("option `{key}` must be [low, high]"),
    }
}

/// Checks options against the frame keys and the figure's own.
fn checked(options: Map, own: &[&'static str]) -> crate::Result<CheckedOptions> {
    CheckedOptions::new(options, &keys(own))
}

/// Numbers from a tensor (flattened) or an array.
fn numbers(v: &Dynamic, what: &str) -> crate::Result<Vec<f64>> {
    if let Some(t) = v.read_lock::<Tensor>() {
        return t.to_f64_vec();
    }
    match v.as_array_ref() {
        Ok(a) => a.iter().map(number).collect::<crate::Result<_>>().map_err(|e| e.context(what)),
        Err(_) => crate::bail!("{what} must be a tensor or an array of numbers, got {}", describe(v)),
    }
}

/// 2-D points from an `[N, 2]` (or wider: the first two columns) tensor.
fn points(v: &Dynamic, what: &str) -> crate::Result<Vec<(f64, f64)>> {
    let Some(t) = v.read_lock::<Tensor>().map(|t| t.clone()) else {
        crate::bail!("{what} must be an [N, 2] tensor, got {}", describe(v));
    };
    match t.dims() {
        [_, d] if *d >= 2 => Ok(t.to_f64_vec()?.chunks(*d).map(|c| (c[0], c[1])).collect()),
        d => crate::bail!("{what} must be an [N, 2] tensor, got shape {d:?}"),
    }
}

/// One value or a list of them: element `i` of an array option, or the single value.
fn per_series(o: &CheckedOptions, key: &str, i: usize) -> Option<Dynamic> {
    let v = o.opt_value(key)?;
    if v.is_array() {
        return v.into_array().ok()?.get(i).cloned();
    }
    Some(v)
}

fn label_of(o: &CheckedOptions, i: usize) -> crate::Result<String> {
    match per_series(o, "labels", i) {
        None => Ok(String::new()),
        Some(v) => v.into_string().map_err(|_| crate::Error::new("option `labels` must hold strings")),
    }
}

fn color_of(o: &CheckedOptions, i: usize) -> crate::Result<Option<plotters::style::RGBColor>> {
    match per_series(o, "colors", i) {
        None => Ok(None),
        Some(v) => {
            let name = v.into_string().map_err(|_| crate::Error::new("option `colors` must hold colour names"))?;
            Ok(Some(palette::parse(&name)?))
        }
    }
}

/// An array of the values, or the value itself as a one-element list.
fn listed(v: &Dynamic) -> Vec<Dynamic> {
    match v.as_array_ref() {
        Ok(a) if a.first().is_some_and(|x| x.read_lock::<Tensor>().is_some() || x.is_array()) => a.clone(),
        _ => vec![v.clone()],
    }
}

fn scatter_from(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, SCATTER_KEYS)?;
    let sets = listed(data)
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let alpha = per_series(&o, "alpha", i).map(|v| number(&v)).transpose()?.unwrap_or(0.7);
            let size = per_series(&o, "size", i).map(|v| number(&v)).transpose()?.unwrap_or(2.0);
            Ok(Points {
                label: label_of(&o, i)?,
                xy: points(d, &format!("series {i}"))?,
                color: color_of(&o, i)?,
                alpha: alpha.clamp(0.0, 1.0),
                size: size.clamp(1.0, 50.0) as u32,
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Figure::new(Chart::Scatter(sets).into(), frame(&o, (640, 480))?)
}

fn line_from(x: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, LINE_KEYS)?;
    let markers = o.bool_or("markers", false)?;
    let first = numbers(x, "the x values")?;
    let curves = match o.opt_map("series")? {
        Some(series) => series
            .iter()
            .enumerate()
            .map(|(i, (name, ys))| {
                let y = numbers(ys, &format!("series `{name}`"))?;
                if y.len() != first.len() {
                    crate::bail!("series `{name}` has {} values for {} x values", y.len(), first.len());
                }
                Ok(Curve { label: name.to_string(), x: first.clone(), y, color: color_of(&o, i)?, markers })
            })
            .collect::<crate::Result<Vec<_>>>()?,
        None => vec![Curve {
            label: label_of(&o, 0)?,
            x: (0..first.len()).map(|i| i as f64).collect(),
            y: first,
            color: color_of(&o, 0)?,
            markers,
        }],
    };
    Figure::new(Chart::Line(curves).into(), frame(&o, (640, 480))?)
}

fn hist_from(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, HIST_KEYS)?;
    let series = listed(data)
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(Values { label: label_of(&o, i)?, v: numbers(d, &format!("series {i}"))?, color: color_of(&o, i)? })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    let bins = o.usize_or("bins", 40)?;
    if bins == 0 {
        crate::bail!("bins must be at least 1");
    }
    Figure::new(Chart::Hist { series, bins, density: o.bool_or("density", false)? }.into(), frame(&o, (640, 480))?)
}

fn density_from(data: &Dynamic, options: Map) -> crate::Result<Figure> {
    let o = checked(options, DENSITY_KEYS)?;
    let bins = o.usize_or("bins", 80)?;
    if !(1..=1000).contains(&bins) {
        crate::bail!("bins must be between 1 and 1000, got {bins}");
    }
    Figure::new(Chart::Density { points: points(data, "the points")?, bins }.into(), frame(&o, (560, 520))?)
}

fn images_from(t: &Tensor, options: Map) -> crate::Result<Figure> {
    let o = checked(options, IMAGES_KEYS)?;
    let range = o.opt_array("range")?.map(|a| pair("range", &a)).transpose()?;
    let cols = o.opt_value("cols").map(|_| o.usize_or("cols", 1)).transpose()?;
    let grid = ImageGrid::from_tensor(t, cols, range)?;
    Figure::new(Kind::Images(grid), frame(&o, (512, 512))?)
}

fn trajectories_from(traj: &Array, options: Map) -> crate::Result<Figure> {
    let o = checked(options, TRAJECTORIES_KEYS)?;
    let states =
        traj.iter().enumerate().map(|(i, s)| points(s, &format!("state {i}"))).collect::<crate::Result<Vec<_>>>()?;
    let Some(first) = states.first() else { crate::bail!("trajectories needs at least one state") };
    let n = first.len();
    if let Some(i) = states.iter().position(|s| s.len() != n) {
        crate::bail!("state {i} has {} points, state 0 has {n}", states[i].len());
    }
    let count = o.usize_or("count", 30)?.min(n);
    let stride = (n / count.max(1)).max(1);
    let paths = (0..count).map(|k| states.iter().map(|s| s[k * stride]).collect()).collect();
    let background = o.opt_value("data").map(|d| points(&d, "option `data`")).transpose()?;
    Figure::new(Chart::Trajectories { paths, background }.into(), frame(&o, (640, 560))?)
}

fn grid_from(figs: &Array, options: Map) -> crate::Result<Figure> {
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
    let grid = Grid::new(panels, cols)?;
    let size = grid.natural_size();
    Figure::new(Kind::Grid(grid), frame(&o, size)?)
}

#[export_module]
mod api {
    use super::{density_from, grid_from, hist_from, images_from, line_from, scatter_from, trajectories_from};
    use crate::plot::Figure;
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::{display, output};
    use crate::tensor::Tensor;
    use rhai::{Array, Blob, INT};

    /// A scatter plot of one [N, 2] tensor or an array of them: `scatter([data, out.x], #{ labels: ["data", "heun"] })`.
    /// Options: labels, colors (names or #rrggbb), alpha (0.7), size (2 px), and every figure's title, xlabel,
    /// ylabel, xlim, ylim ([lo, hi]), xlog, ylog, width, height.
    #[rhai_fn(return_raw)]
    pub fn scatter(ctx: NativeCallContext, data: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || scatter_from(&data, options))
    }
    #[rhai_fn(name = "scatter", return_raw)]
    pub fn scatter_plain(ctx: NativeCallContext, data: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || scatter_from(&data, Options::new()))
    }

    /// A line plot: `line(losses)` against the step, or `line(nfes, #{ series: #{ euler: e, heun: h }, xlog: true })`
    /// with x values and named y series. Options: series, labels, colors, markers, and the figure options.
    #[rhai_fn(return_raw)]
    pub fn line(ctx: NativeCallContext, x: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || line_from(&x, options))
    }
    #[rhai_fn(name = "line", return_raw)]
    pub fn line_plain(ctx: NativeCallContext, x: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || line_from(&x, Options::new()))
    }

    /// A histogram of values (a tensor, flattened) or of several series: options bins (40), density, labels, colors.
    #[rhai_fn(return_raw)]
    pub fn hist(ctx: NativeCallContext, data: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || hist_from(&data, options))
    }
    #[rhai_fn(name = "hist", return_raw)]
    pub fn hist_plain(ctx: NativeCallContext, data: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || hist_from(&data, Options::new()))
    }

    /// A 2-D histogram of [N, 2] points as a heat map (viridis); option bins (80 per axis).
    #[rhai_fn(return_raw)]
    pub fn density(ctx: NativeCallContext, points: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || density_from(&points, options))
    }
    #[rhai_fn(name = "density", return_raw)]
    pub fn density_plain(ctx: NativeCallContext, points: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || density_from(&points, Options::new()))
    }

    /// A grid of images from [N, C, H, W] (C = 1 or 3) or [N, H, W]; values in [-1, 1] or [0, 1]
    /// (option range: [lo, hi]); option cols.
    #[rhai_fn(return_raw)]
    pub fn images(ctx: NativeCallContext, x: Tensor, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || images_from(&x, options))
    }
    #[rhai_fn(name = "images", return_raw)]
    pub fn images_plain(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Figure> {
        guard(&ctx, || images_from(&x, Options::new()))
    }

    /// Paths of particles through a sampler, from `sample(..., #{ trajectory: true }).trajectory`:
    /// option count (30 paths), data (points drawn faintly behind).
    #[rhai_fn(return_raw)]
    pub fn trajectories(ctx: NativeCallContext, states: Array, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || trajectories_from(&states, options))
    }
    #[rhai_fn(name = "trajectories", return_raw)]
    pub fn trajectories_plain(ctx: NativeCallContext, states: Array) -> RhaiResult<Figure> {
        guard(&ctx, || trajectories_from(&states, Options::new()))
    }

    /// Figures side by side: `grid([a, b, c], #{ cols: 3, title: "..." })`.
    #[rhai_fn(return_raw)]
    pub fn grid(ctx: NativeCallContext, figures: Array, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || grid_from(&figures, options))
    }
    #[rhai_fn(name = "grid", return_raw)]
    pub fn grid_plain(ctx: NativeCallContext, figures: Array) -> RhaiResult<Figure> {
        guard(&ctx, || grid_from(&figures, Options::new()))
    }

    /// Writes the figure as PNG or SVG, by the extension: `fig.save("swirl.png")`.
    #[rhai_fn(name = "save", return_raw)]
    pub fn save(ctx: NativeCallContext, fig: &mut Figure, path: &str) -> RhaiResult<()> {
        guard(&ctx, || fig.save(std::path::Path::new(path)))
    }

    /// The PNG bytes of the figure.
    #[rhai_fn(name = "png", return_raw)]
    pub fn png(ctx: NativeCallContext, fig: &mut Figure) -> RhaiResult<Blob> {
        guard(&ctx, || fig.png())
    }

    /// The SVG document of the figure.
    #[rhai_fn(name = "svg", return_raw)]
    pub fn svg(ctx: NativeCallContext, fig: &mut Figure) -> RhaiResult<String> {
        guard(&ctx, || fig.svg())
    }

    /// The width in pixels.
    #[rhai_fn(get = "width")]
    pub fn width(fig: &mut Figure) -> INT {
        fig.frame.width as INT
    }

    /// The height in pixels.
    #[rhai_fn(get = "height")]
    pub fn height(fig: &mut Figure) -> INT {
        fig.frame.height as INT
    }

    /// What the figure shows and its size.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe(fig: &mut Figure) -> String {
        fig.describe()
    }

    /// Shows a value now: a figure inline in a notebook or an image-capable terminal, else saved to a file
    /// whose path is printed; anything else is printed.
    #[rhai_fn(return_raw)]
    pub fn show(ctx: NativeCallContext, value: Dynamic) -> RhaiResult<()> {
        guard(&ctx, || match display::rich(&value) {
            Some(item) => output::display(&item?),
            None => {
                output::print(&crate::runtime::repr::repr(&value).unwrap_or_default());
                Ok(())
            }
        })
    }
}

/// The module of plotting built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
