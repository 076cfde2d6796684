//! Figures from scripts: `scatter`, `line`, `hist`, `density`, `images`, `trajectories`,
//! `grid`, `animate`, the `mean_std` of runs for bands; saving and showing them.

mod animate;
mod build;
mod summary;

use build::{DENSITY_KEYS, FRAME_KEYS, GRID_KEYS, HIST_KEYS, IMAGES_KEYS, LINE_KEYS, SCATTER_KEYS, TRAJECTORIES_KEYS};
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

/// The keys every figure takes besides its own.
pub const FRAME: &[&str] = FRAME_KEYS;

#[export_module]
mod api {
    use super::{animate, build, summary};
    use crate::plot::animation::Animation;
    use crate::plot::Figure;
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::{display, output};
    use crate::tensor::Tensor;
    use rhai::{Array, Blob, INT};

    /// A scatter plot of one [N, 2] tensor or an array of them: `scatter([data, out.x], #{ labels: ["data", "heun"] })`.
    /// Options: labels, colors (names or #rrggbb, by position or a map by label; a label keeps its colour in
    /// every figure of the session), alpha (0.7), size (2 px), and every figure's title, xlabel, ylabel, xlim,
    /// ylim ([lo, hi]: what lies outside is not drawn), xlog, ylog, width, height.
    #[rhai_fn(return_raw)]
    pub fn scatter(ctx: NativeCallContext, data: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::scatter(&data, options))
    }
    #[rhai_fn(name = "scatter", return_raw)]
    pub fn scatter_plain(ctx: NativeCallContext, data: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || build::scatter(&data, Options::new()))
    }

    /// A line plot: `line(losses)` against the step, or `line(nfes, #{ series: #{ euler: e, heun: h }, xlog: true })`
    /// with x values and named y series (a map, drawn in `order` or by name, or an array of [name, values] pairs,
    /// drawn in that order). Options: series, order, labels, colors (by position or a map by name), markers,
    /// bands (a map of name: [lower, upper], e.g. from `mean_std`; the pair itself for one unnamed curve),
    /// smooth (an EMA weight in [0, 1) or a moving-average window, drawn over the lighter raw line), and the
    /// figure options. Long series are drawn with every spike kept, at a few points per pixel.
    #[rhai_fn(return_raw)]
    pub fn line(ctx: NativeCallContext, x: Dynamic, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::line(&x, options))
    }
    #[rhai_fn(name = "line", return_raw)]
    pub fn line_plain(ctx: NativeCallContext, x: Dynamic) -> RhaiResult<Figure> {
        guard(&ctx, || build::line(&x, Options::new()))
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
    /// range on that axis, labelled once (under the bottom row, beside the left column).
    #[rhai_fn(return_raw)]
    pub fn grid(ctx: NativeCallContext, figures: Array, options: Options) -> RhaiResult<Figure> {
        guard(&ctx, || build::grid(&figures, options))
    }
    #[rhai_fn(name = "grid", return_raw)]
    pub fn grid_plain(ctx: NativeCallContext, figures: Array) -> RhaiResult<Figure> {
        guard(&ctx, || build::grid(&figures, Options::new()))
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
    /// sigmas (one per state, shown in the title), size (2), alpha (0.7), color, and the figure options
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

    /// The mean and spread over runs (seeds) of equal-length series, for a band: `#{ mean, std, lower, upper }`
    /// (lower and upper are mean ∓ std) from an array of series or a [runs, n] tensor:
    /// `let s = mean_std(errors); line(nfe, #{ series: #{ heun: s.mean }, bands: #{ heun: [s.lower, s.upper] } })`.
    #[rhai_fn(return_raw)]
    pub fn mean_std(ctx: NativeCallContext, runs: Dynamic) -> RhaiResult<rhai::Map> {
        guard(&ctx, || summary::mean_std(&runs))
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
