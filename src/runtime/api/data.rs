//! Data sets from scripts: 2-D toys, Gaussian mixtures with exact parameters,
//! the shipped digits, procedural shapes, and minibatching.

use crate::data::toy::SwirlOptions;
use crate::diffusion::mixture::Mixture;
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use crate::tensor::create::Placement;
use crate::tensor::Tensor;
use rhai::plugin::*;
use rhai::Map;

const MIXTURE_KEYS: &[&str] = &["means", "stds", "weights"];
const SWIRL_KEYS: &[&str] = &["noise", "quantize", "dtype", "device"];
const MOONS_KEYS: &[&str] = &["noise", "dtype", "device"];
const RINGS_KEYS: &[&str] = &["count", "noise", "dtype", "device"];
const CHECKERBOARD_KEYS: &[&str] = &["squares", "dtype", "device"];
const PLACEMENT_KEYS: &[&str] = &["dtype", "device"];
const SHAPES_KEYS: &[&str] = &["size"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("mixture", MIXTURE_KEYS),
    ("swirl", SWIRL_KEYS),
    ("moons", MOONS_KEYS),
    ("rings", RINGS_KEYS),
    ("checkerboard", CHECKERBOARD_KEYS),
    ("sample", PLACEMENT_KEYS),
    ("shapes", SHAPES_KEYS),
];

/// A mixture from `#{ means: [[..], ..], stds: number or array, weights: array }`.
fn mixture_from(options: Map) -> crate::Result<Mixture> {
    let o = CheckedOptions::new(options, MIXTURE_KEYS)?;
    let Some(means) = o.opt_value("means") else {
        crate::bail!("option `means` is required: an array of points or a [K, D] tensor")
    };
    let means: Vec<Vec<f64>> = if let Some(t) = means.read_lock::<Tensor>() {
        let d = *t.dims().last().unwrap_or(&1);
        t.to_f64_vec()?.chunks(d.max(1)).map(<[f64]>::to_vec).collect()
    } else {
        let rows = means.as_array_ref().map_err(|_| {
            crate::Error::new(format!("option `means` must be an array of points, got {}", describe(&means)))
        })?;
        rows.iter()
            .map(|row| match row.as_array_ref() {
                Ok(r) => r.iter().map(number).collect::<crate::Result<Vec<f64>>>(),
                Err(_) => Ok(vec![number(row)?]),
            })
            .collect::<crate::Result<_>>()?
    };
    let k = means.len();
    let list = |key: &str, default: f64| -> crate::Result<Vec<f64>> {
        match o.opt_value(key) {
            None => Ok(vec![default; k]),
            Some(v) if number(&v).is_ok() => Ok(vec![number(&v)?; k]),
            Some(v) => match v.as_array_ref() {
                Ok(a) => a.iter().map(number).collect(),
                Err(_) => crate::bail!("option `{key}` must be a number or an array of numbers, got {}", describe(&v)),
            },
        }
    };
    Mixture::new(means, list("stds", 1.0)?, list("weights", 1.0)?)
}

fn placement(options: Map, extra: &'static [&'static str]) -> crate::Result<(CheckedOptions, Placement)> {
    let o = CheckedOptions::new(options, extra)?;
    let at = o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?;
    Ok((o, at))
}

#[export_module]
mod api {
    use super::{
        mixture_from, placement, SwirlOptions, CHECKERBOARD_KEYS, MOONS_KEYS, PLACEMENT_KEYS, RINGS_KEYS, SHAPES_KEYS,
        SWIRL_KEYS,
    };
    use crate::data::{batch as rows, digits as uci, shapes as procedural, toy};
    use crate::diffusion::mixture::Mixture;
    use crate::runtime::api::{Number, Options};
    use crate::runtime::convert::{count_arg, number_arg};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::tensor::create::Placement;
    use crate::tensor::Tensor;
    use rhai::{Array, Map, INT};

    /// The 2-D swirl of VDM's example (used by the shortcut-MCMC paper), as `[n, 2]` in about [-0.75, 0.65]:
    /// θ = 3π√u, r = 2θ + π, plus noise. Options: noise (0.25), quantize (false: 8-bit levels as VDM), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn swirl(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || toy::swirl(count_arg("n", n)?, SwirlOptions::default(), &Placement::default()))
    }
    #[rhai_fn(name = "swirl", return_raw)]
    pub fn swirl_with(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let (o, at) = placement(options, SWIRL_KEYS)?;
            let opts = SwirlOptions {
                noise: o.f64_in("noise", 0.25, crate::runtime::options::Range::NonNegative)?,
                quantize: o.bool_or("quantize", false)?,
            };
            toy::swirl(count_arg("n", n)?, opts, &at)
        })
    }

    /// Two interleaving half circles, `[n, 2]`, centred; options noise (0.05), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn moons(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || toy::moons(count_arg("n", n)?, 0.05, &Placement::default()))
    }
    #[rhai_fn(name = "moons", return_raw)]
    pub fn moons_with(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let (o, at) = placement(options, MOONS_KEYS)?;
            toy::moons(count_arg("n", n)?, o.f64_in("noise", 0.05, crate::runtime::options::Range::NonNegative)?, &at)
        })
    }

    /// Points on concentric circles of radii 1/count .. 1, `[n, 2]`; options count (3), noise (0.02), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn rings(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || toy::rings(count_arg("n", n)?, 3, 0.02, &Placement::default()))
    }
    #[rhai_fn(name = "rings", return_raw)]
    pub fn rings_with(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let (o, at) = placement(options, RINGS_KEYS)?;
            toy::rings(
                count_arg("n", n)?,
                o.usize_or("count", 3)?,
                o.f64_in("noise", 0.02, crate::runtime::options::Range::NonNegative)?,
                &at,
            )
        })
    }

    /// Uniform points on the dark squares of a checkerboard over [-2, 2]², `[n, 2]`; options squares (4), dtype, device.
    #[rhai_fn(return_raw)]
    pub fn checkerboard(ctx: NativeCallContext, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || toy::checkerboard(count_arg("n", n)?, 4, &Placement::default()))
    }
    #[rhai_fn(name = "checkerboard", return_raw)]
    pub fn checkerboard_with(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let (o, at) = placement(options, CHECKERBOARD_KEYS)?;
            toy::checkerboard(count_arg("n", n)?, o.usize_or("squares", 4)?, &at)
        })
    }

    /// `k` equal-weight Gaussians of std `std` on a circle of `radius`, with exact parameters.
    #[rhai_fn(return_raw)]
    pub fn gaussians_ring(ctx: NativeCallContext, k: INT, radius: Number, std: Number) -> RhaiResult<Mixture> {
        guard(&ctx, || Mixture::ring(count_arg("k", k)?, number_arg("radius", &radius)?, number_arg("std", &std)?))
    }

    /// `k` (a perfect square) equal-weight Gaussians on a centred square grid with `spacing`.
    #[rhai_fn(return_raw)]
    pub fn gaussians_grid(ctx: NativeCallContext, k: INT, spacing: Number, std: Number) -> RhaiResult<Mixture> {
        guard(&ctx, || Mixture::grid(count_arg("k", k)?, number_arg("spacing", &spacing)?, number_arg("std", &std)?))
    }

    /// A Gaussian mixture with isotropic components: `mixture(#{ means: [[0, 0], [3, 1]], stds: 0.5, weights: [1, 2] })`
    /// (means may be a [K, D] tensor; stds a number or one per component; weights default equal).
    #[rhai_fn(return_raw)]
    pub fn mixture(ctx: NativeCallContext, options: Options) -> RhaiResult<Mixture> {
        guard(&ctx, || mixture_from(options))
    }

    /// `n` samples `[n, dim]` of the mixture; options dtype, device.
    #[rhai_fn(name = "sample", return_raw)]
    pub fn sample(ctx: NativeCallContext, mix: &mut Mixture, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || mix.sample(count_arg("n", n)?, &Placement::default()))
    }
    #[rhai_fn(name = "sample", return_raw)]
    pub fn sample_with(ctx: NativeCallContext, mix: &mut Mixture, n: INT, options: Options) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let (_, at) = placement(options, PLACEMENT_KEYS)?;
            mix.sample(count_arg("n", n)?, &at)
        })
    }

    /// The component means as a `[K, dim]` tensor.
    #[rhai_fn(get = "means", return_raw)]
    pub fn means(ctx: NativeCallContext, mix: &mut Mixture) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let flat: Vec<f64> = mix.means().iter().flatten().copied().collect();
            crate::tensor::create::from_f64(flat, &[mix.len(), mix.dim()], &Placement::default())
        })
    }

    /// The component standard deviations.
    #[rhai_fn(get = "stds")]
    pub fn stds(mix: &mut Mixture) -> Array {
        mix.stds().iter().map(|&s| Dynamic::from_float(s)).collect()
    }

    /// The component weights (summing to 1).
    #[rhai_fn(get = "weights")]
    pub fn weights(mix: &mut Mixture) -> Array {
        mix.weights().iter().map(|&w| Dynamic::from_float(w)).collect()
    }

    /// The dimension of the mixture.
    #[rhai_fn(get = "dim")]
    pub fn dim(mix: &mut Mixture) -> INT {
        mix.dim() as INT
    }

    /// The number of components.
    #[rhai_fn(get = "components")]
    pub fn components(mix: &mut Mixture) -> INT {
        mix.len() as INT
    }

    /// A summary of the mixture.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_mixture(mix: &mut Mixture) -> String {
        format!("mixture of {} Gaussians in {} dimensions", mix.len(), mix.dim())
    }

    /// The UCI handwritten digits (1797 8×8 images, CC BY 4.0, shipped with difflab):
    /// `#{ images: [1797, 1, 8, 8] in [-1, 1], labels: [1797] i64 }`.
    #[rhai_fn(return_raw)]
    pub fn digits(ctx: NativeCallContext) -> RhaiResult<Map> {
        guard(&ctx, || {
            let (images, labels) = uci::digits()?;
            Ok(Map::from_iter([("images".into(), Dynamic::from(images)), ("labels".into(), Dynamic::from(labels))]))
        })
    }

    /// `n` procedural grayscale images of circles, squares and triangles:
    /// `#{ images: [n, 1, size, size] in [-1, 1], labels, names }`; option size (16).
    #[rhai_fn(return_raw)]
    pub fn shapes(ctx: NativeCallContext, n: INT, options: Options) -> RhaiResult<Map> {
        guard(&ctx, || {
            let o = crate::runtime::options::CheckedOptions::new(options, SHAPES_KEYS)?;
            let (images, labels) = procedural::shapes(count_arg("n", n)?, o.usize_or("size", 16)?)?;
            let names: Array = procedural::SHAPE_NAMES.iter().map(|s| Dynamic::from(s.to_string())).collect();
            Ok(Map::from_iter([
                ("images".into(), Dynamic::from(images)),
                ("labels".into(), Dynamic::from(labels)),
                ("names".into(), Dynamic::from_array(names)),
            ]))
        })
    }
    #[rhai_fn(name = "shapes", return_raw)]
    pub fn shapes_default(ctx: NativeCallContext, n: INT) -> RhaiResult<Map> {
        shapes(ctx, n, Map::new())
    }

    /// A random minibatch of `n` rows from the seeded generator: distinct rows when n ≤ the rows
    /// of `x`; for a larger n, drawn with replacement (rows repeat, as in a bootstrap sample).
    #[rhai_fn(name = "batch", return_raw)]
    pub fn batch(ctx: NativeCallContext, x: Tensor, n: INT) -> RhaiResult<Tensor> {
        guard(&ctx, || rows::batch(&x, count_arg("n", n)?))
    }

    /// The same random rows of every tensor in a data map: `batch(#{ images, labels }, 64)`
    /// (distinct rows when n ≤ the rows, drawn with replacement for a larger n).
    #[rhai_fn(name = "batch", return_raw)]
    pub fn batch_map(ctx: NativeCallContext, data: Map, n: INT) -> RhaiResult<Map> {
        guard(&ctx, || {
            let mut len = None;
            for (k, v) in &data {
                if let Some(t) = v.read_lock::<Tensor>() {
                    let rows_here = t.dims().first().copied().unwrap_or(0);
                    match len {
                        None => len = Some(rows_here),
                        Some(l) if l != rows_here => crate::bail!("`{k}` has {rows_here} rows, other entries have {l}"),
                        _ => {}
                    }
                }
            }
            let Some(len) = len else { crate::bail!("the map holds no tensors to batch") };
            let idx = rows::batch_indices(len, count_arg("n", n)?)?;
            data.into_iter()
                .map(|(k, v)| match v.read_lock::<Tensor>().map(|t| t.clone()) {
                    Some(t) => Ok((k, Dynamic::from(rows::take_rows(&t, &idx)?))),
                    None => Ok((k, v)),
                })
                .collect()
        })
    }

    /// The rows in random order.
    #[rhai_fn(name = "shuffle", return_raw)]
    pub fn shuffle(ctx: NativeCallContext, x: Tensor) -> RhaiResult<Tensor> {
        guard(&ctx, || rows::shuffle(&x))
    }

    /// `[first fraction of the rows, the rest]`: `let parts = x.split(0.8);`.
    #[rhai_fn(name = "split", return_raw)]
    pub fn split(ctx: NativeCallContext, x: Tensor, fraction: Number) -> RhaiResult<Array> {
        guard(&ctx, || {
            if let Ok(i) = fraction.as_int() {
                crate::bail!(
                    "the fraction must be a float between 0 and 1, got the integer {i} (in Rhai 4/5 is integer division, 0: write 0.8)"
                );
            }
            let (a, b) = rows::split(&x, number_arg("fraction", &fraction)?)?;
            Ok(vec![Dynamic::from(a), Dynamic::from(b)])
        })
    }

    /// `x` mapped linearly from [lo, hi] to [-1, 1].
    #[rhai_fn(return_raw)]
    pub fn normalize(ctx: NativeCallContext, x: Tensor, lo: Number, hi: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || rows::normalize(&x, number_arg("lo", &lo)?, number_arg("hi", &hi)?))
    }

    /// `x` mapped linearly from [-1, 1] back to [lo, hi].
    #[rhai_fn(return_raw)]
    pub fn denormalize(ctx: NativeCallContext, x: Tensor, lo: Number, hi: Number) -> RhaiResult<Tensor> {
        guard(&ctx, || rows::denormalize(&x, number_arg("lo", &lo)?, number_arg("hi", &hi)?))
    }
}

/// The module of data built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
