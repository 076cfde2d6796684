//! Figures from scripts: `scatter`, `line`, `hist`, `density`, `images`, `trajectories`,
//! `grid`, `animate`, reference lines and notes over a chart, the `mean_std` of runs for
//! bands and error bars; saving and showing them.

mod animate;
mod build;
mod frame;
mod line;
mod overlay;
mod summary;

use build::{DENSITY_KEYS, GRID_KEYS, HIST_KEYS, IMAGES_KEYS, SCATTER_KEYS, TRAJECTORIES_KEYS};
use frame::FRAME_KEYS;
use line::LINE_KEYS;
use rhai::plugin::*;

/// The option keys of each figure besides the frame's (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("scatter", SCATTER_KEYS),
    ("line", LINE_KEYS),
    ("hist", HIST_KEYS),
    ("density", DENSITY_KEYS),
    ("images", IMAGES_KEYS),
    ("trajectories", TRAJECTORIES_KEYS),
    ("grid", GRID_KEYS),
    ("animate", animate::ANIMATE_KEYS),
];

/// The option keys of the functions that are not figures (for completion).
pub const OTHER_OPTIONS: &[(&str, &[&str])] = &[
    ("hline", overlay::LINE_KEYS),
    ("vline", overlay::LINE_KEYS),
    ("text", overlay::TEXT_KEYS),
    ("mean_std", summary::MEAN_STD_KEYS),
];

/// The keys every figure takes besides its own.
pub const FRAME: &[&str] = FRAME_KEYS;

#[export_module]
mod api {
    use super::{animate, build, line, overlay, summary};
    use crate::plot::animation::Animation;
    use crate::plot::Figure;
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::{display, output};
    use crate::tensor::Tensor;
    use rhai::{Array, Blob, INT};

    /// A scatter plot of one [N, 2] tensor or an array of them: `scatter([data, out.x], #{ labels: ["data", "heun"] })`.
    /// Options: labels, colors (names or #rrggbb, by position or a map by label or group; a label keeps its
    /// colour in every figure of the session), group (the colour family of each set, by position or a map by
    /// label: sets of one group share a hue, lighter to darker in order), alpha (0.7), marker_size (2 points),
    /// and every figure's options (see `line`): title, xlabel, ylabel, xlim, ylim, xlog, ylog, width, height,
    /// size, dpi, font_size, xticks, yticks, xtick_format, ytick_format, legend, aspect ("equal": one data unit
    /// as long on both axes).
    #[rhai_fn(return_raw)]
    pub fn scatter(ctx: NativeCallContext, data: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::scatter(&data, options))
    }
    #[rhai_fn(name = "scatter", return_raw)]
    pub fn scatter_plain(ctx: NativeCallContext, data: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || build::scatter(&data, Options::new()))
    }

    /// A line plot, in three forms. `line(losses)` against the step; `line(nfes, #{ series: #{ euler: e, heun: h } })`
    /// with a shared x and named y series (a map, drawn in `order` or by name, or [name, values] pairs, in order);
    /// `line(#{ series: [#{ name: "heun", x: [3, 7, 15], y: w, errors: [lo, hi], style: "dashed", marker: "s" }] })`,
    /// each series with its own x and, optionally, errors, band, style, color, marker, line_width, group; and
    /// `line(table, #{ x: "nfe", y: "mean", errors: "ci", group: "method" })` for a table (an array of row maps,
    /// one per result): one series per value of the `group` column, sorted by x, error bars from the columns
    /// NAME_lower and NAME_upper (else NAME as half-widths, or a pair of column names).
    /// Series options (a map by name, an array by position, or one value for all): labels, colors, group (related
    /// series share a hue, lighter to darker; `colors` may name a group's hue), markers (true, or "circle" "o",
    /// "square" "s", "triangle" "^", "diamond" "d", "plus" "+", "cross" "x"), styles ("solid", "dashed",
    /// "dotted", "dashdot"), line_width (points), errors (capped error bars: half-widths, one number or one per
    /// point, or [lower, upper] ends such as mean_std gives), bands (shaded, the same forms), smooth (an EMA weight
    /// in [0, 1) or a moving-average window, drawn over the lighter raw line); order.
    /// Figure options: title, xlabel, ylabel, xlim and ylim ([lo, hi]: what lies outside is not drawn), xlog, ylog;
    /// xticks and yticks (values, [value, label] pairs, or "data": the data's x values; log axes keep minor ticks);
    /// xtick_format and ytick_format ("{:.0e}", "{:.2f}", "{:.3g}", "{:.0%}", "{} steps", or "percent");
    /// width and height in pixels (640 × 480), or size: [w, h] in inches at dpi (100; pixels follow, 3.5 × 2.5 at
    /// 300 is 1050 × 750); font_size, the tick labels' points (12, or 8 for a size in inches; titles, lines,
    /// markers and margins grow with it); legend ("best", "upper right", "upper left", "lower right",
    /// "lower left", "outside", "none"); aspect ("equal" or "auto").
    /// Add reference lines and notes with fig.hline, fig.vline and fig.text. Long series are drawn with every
    /// spike kept, at a few points per pixel.
    #[rhai_fn(return_raw)]
    pub fn line(ctx: NativeCallContext, x: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || line::line(&x, options))
    }
    #[rhai_fn(name = "line", return_raw)]
    pub fn line_plain(ctx: NativeCallContext, x: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || line::line(&x, Options::new()))
    }

    /// A histogram of values (a tensor, flattened) or of several series: options bins (40), density, labels, colors.
    #[rhai_fn(return_raw)]
    pub fn hist(ctx: NativeCallContext, data: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::hist(&data, options))
    }
    #[rhai_fn(name = "hist", return_raw)]
    pub fn hist_plain(ctx: NativeCallContext, data: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || build::hist(&data, Options::new()))
    }

    /// A 2-D histogram of [N, 2] points as a heat map (viridis); option bins (80 per axis).
    #[rhai_fn(return_raw)]
    pub fn density(ctx: NativeCallContext, points: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::density(&points, options))
    }
    #[rhai_fn(name = "density", return_raw)]
    pub fn density_plain(ctx: NativeCallContext, points: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || build::density(&points, Options::new()))
    }

    /// A grid of images from [N, C, H, W] (C = 1 or 3) or [N, H, W]; values in [-1, 1] or [0, 1]
    /// (option range: [lo, hi]); option cols.
    #[rhai_fn(return_raw)]
    pub fn images(ctx: NativeCallContext, x: Tensor, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::images(&x, options))
    }
    #[rhai_fn(name = "images", return_raw)]
    pub fn images_plain(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Figure> {
        guard(&ctx, || build::images(&x, Options::new()))
    }

    /// Paths of particles through a sampler, from `sample(..., #{ trajectory: true }).trajectory`, fading in
    /// from their start: options count (30 paths), data (points drawn faintly behind), view ("data": the data's
    /// region, the paths cut at its frame; "all": the whole paths), color ("path" or "time").
    #[rhai_fn(return_raw)]
    pub fn trajectories(ctx: NativeCallContext, states: Array, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::trajectories(&states, options))
    }
    #[rhai_fn(name = "trajectories", return_raw)]
    pub fn trajectories_plain(ctx: NativeCallContext, states: Array) -> RhaiResult<Figure> {
        guard(&ctx, || build::trajectories(&states, Options::new()))
    }

    /// Figures side by side: `grid([a, b, c], #{ cols: 3, title: "..." })`; sharex / sharey give every chart one
    /// range on that axis, labelled once (under the bottom row, beside the left column). The size is the panels'
    /// own, in rows and columns, unless width and height or size (inches, at dpi) are given.
    #[rhai_fn(return_raw)]
    pub fn grid(ctx: NativeCallContext, figures: Array, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::grid(&figures, options))
    }
    #[rhai_fn(name = "grid", return_raw)]
    pub fn grid_plain(ctx: NativeCallContext, figures: Array) -> RhaiResult<Figure> {
        guard(&ctx, || build::grid(&figures, Options::new()))
    }

    /// A horizontal reference line across a chart at `y`, e.g. a data floor: `fig.hline(0.05, #{ label: "data
    /// floor" })`. Options: label (a legend entry), style ("dashed"; "solid", "dotted", "dashdot"), color (gray),
    /// line_width (points). The y range grows to show it. Returns the figure, so calls chain.
    #[rhai_fn(return_raw)]
    pub fn hline(ctx: NativeCallContext, fig: &mut Figure, y: Dynamic, options: rhai::Map) -> RhaiResult<Figure> {
        guard(&ctx, || overlay::reference(fig, false, crate::runtime::convert::number_arg("y", &y)?, options))
    }
    #[rhai_fn(name = "hline", return_raw)]
    pub fn hline_plain(ctx: NativeCallContext, fig: &mut Figure, y: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || overlay::reference(fig, false, crate::runtime::convert::number_arg("y", &y)?, rhai::Map::new()))
    }

    /// A vertical reference line across a chart at `x`: `fig.vline(18, #{ label: "EDM's NFE", style: "dotted" })`;
    /// the options of `hline`. Returns the figure.
    #[rhai_fn(return_raw)]
    pub fn vline(ctx: NativeCallContext, fig: &mut Figure, x: Dynamic, options: rhai::Map) -> RhaiResult<Figure> {
        guard(&ctx, || overlay::reference(fig, true, crate::runtime::convert::number_arg("x", &x)?, options))
    }
    #[rhai_fn(name = "vline", return_raw)]
    pub fn vline_plain(ctx: NativeCallContext, fig: &mut Figure, x: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || overlay::reference(fig, true, crate::runtime::convert::number_arg("x", &x)?, rhai::Map::new()))
    }

    /// Text on a chart at (x, y) in data coordinates, its left end at the point by default:
    /// `fig.text(8, 0.3, "Heun overtakes")`. Options: color (black), align ("left", "center", "right"),
    /// font_size (points; the tick labels' by default). Returns the figure.
    #[rhai_fn(name = "text", return_raw)]
    pub fn note(
        ctx: NativeCallContext,
        fig: &mut Figure,
        x: Dynamic,
        y: Dynamic,
        text: &str,
        options: rhai::Map,
    ) -> RhaiResult<Figure> {
        guard(&ctx, || {
            let (x, y) = (crate::runtime::convert::number_arg("x", &x)?, crate::runtime::convert::number_arg("y", &y)?);
            overlay::note(fig, x, y, text, options)
        })
    }
    #[rhai_fn(name = "text", return_raw)]
    pub fn note_plain(
        ctx: NativeCallContext,
        fig: &mut Figure,
        x: Dynamic,
        y: Dynamic,
        text: &str,
    ) -> RhaiResult<Figure> {
        guard(&ctx, || {
            let (x, y) = (crate::runtime::convert::number_arg("x", &x)?, crate::runtime::convert::number_arg("y", &y)?);
            overlay::note(fig, x, y, text, rhai::Map::new())
        })
    }

    /// Writes the figure as PNG or SVG, by the extension: `fig.save("plots/swirl.png")` (missing folders are made).
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

    /// An animated GIF of a sampler's states, the points moving from noise to data on fixed axes:
    /// `animate(out.trajectory, #{ data: data, sigmas: out.sigmas })`. Options: fps (10), every (1: each state),
    /// hold (1 s on the last frame), data (drawn faintly behind), view ("data": the data's region, or "all"),
    /// sigmas (one per state, shown in the title), marker_size (2), alpha (0.7), color, and the figure options
    /// (480 × 480). Save it with `a.save("a.gif")`; a notebook shows it inline.
    #[rhai_fn(return_raw)]
    pub fn animate(ctx: NativeCallContext, states: Array, options: Options) -> RhaiResult<Animation> {
        guard(&ctx, || animate::animate(&states, options))
    }
    #[rhai_fn(name = "animate", return_raw)]
    pub fn animate_plain(ctx: NativeCallContext, states: Array) -> RhaiResult<Animation> {
        guard(&ctx, || animate::animate(&states, Options::new()))
    }

    /// Writes the animation as a GIF: `a.save("sampling.gif")` (missing folders are made).
    #[rhai_fn(name = "save", return_raw)]
    pub fn save_animation(ctx: NativeCallContext, anim: &mut Animation, path: &str) -> RhaiResult<()> {
        guard(&ctx, || anim.save(std::path::Path::new(path)))
    }

    /// The number of frames.
    #[rhai_fn(get = "frames")]
    pub fn frames(anim: &mut Animation) -> INT {
        anim.len() as INT
    }

    /// How many frames, at what rate and size.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_animation(anim: &mut Animation) -> String {
        anim.describe()
    }

    /// The mean and spread over runs (seeds) of equal-length series, for a band or error bars:
    /// `#{ mean, std, sem, n, lower, upper }` from an array of series or a [runs, n] tensor, per position. Option
    /// interval: "std" (lower and upper are mean ∓ std, the sample standard deviation), "sem" (mean ∓ std/√n), or
    /// "ci95" (the Student-t 95% interval of the mean, mean ∓ t·sem with n − 1 degrees of freedom; any level:
    /// "ci90", "ci99"): `let s = mean_std(errors, #{ interval: "ci95" });
    /// line(nfe, #{ series: #{ heun: s.mean }, errors: #{ heun: [s.lower, s.upper] } })`.
    #[rhai_fn(return_raw)]
    pub fn mean_std(ctx: NativeCallContext, runs: Dynamic, options: rhai::Map) -> RhaiResult<rhai::Map> {
        guard(&ctx, || summary::mean_std(&runs, options))
    }
    #[rhai_fn(name = "mean_std", return_raw)]
    pub fn mean_std_plain(ctx: NativeCallContext, runs: Dynamic) -> RhaiResult<rhai::Map> {
        guard(&ctx, || summary::mean_std(&runs, rhai::Map::new()))
    }

    /// Shows a value now: a figure (or an animation) inline in a notebook or an image-capable terminal, else saved
    /// to a file whose path is printed (the next free number in the output folder); anything else is printed.
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
