//! Sample-quality metrics from scripts.

use rhai::plugin::*;

const SLICED_KEYS: &[&str] = &["projections", "seed"];
const MMD_KEYS: &[&str] = &["bandwidths"];
const COVERAGE_KEYS: &[&str] = &["within"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] =
    &[("sliced_w2", SLICED_KEYS), ("mmd", MMD_KEYS), ("mode_coverage", COVERAGE_KEYS)];

#[export_module]
mod api {
    use super::{COVERAGE_KEYS, MMD_KEYS, SLICED_KEYS};
    use crate::diffusion::mixture::Mixture;
    use crate::metrics::{energy, mmd as kernel, modes, sliced_w2 as sliced};
    use crate::runtime::api::Options;
    use crate::runtime::convert::number;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::{Map, FLOAT, INT};

    /// The sliced 2-Wasserstein distance between point sets [N, d] and [M, d]: the root mean over random
    /// directions of the exact 1-D W2². Options: projections (128), seed (fixes the directions without
    /// touching the global random stream).
    #[rhai_fn(return_raw)]
    pub fn sliced_w2(ctx: NativeCallContext, a: Tensor, b: Tensor, options: Options) -> RhaiResult<FLOAT> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SLICED_KEYS)?;
            let seed = o.opt_f64("seed")?.map(|s| s as u64);
            sliced::sliced_w2(&a, &b, o.usize_or("projections", 128)?, seed)
        })
    }
    #[rhai_fn(name = "sliced_w2", return_raw)]
    pub fn sliced_w2_default(ctx: NativeCallContext, a: Tensor, b: Tensor) -> RhaiResult<FLOAT> {
        sliced_w2(ctx, a, b, Map::new())
    }

    /// The unbiased squared MMD with an RBF kernel summed over `bandwidths` (Gretton et al. 2012);
    /// without them, one bandwidth by the median heuristic.
    #[rhai_fn(return_raw)]
    pub fn mmd(ctx: NativeCallContext, a: Tensor, b: Tensor, options: Options) -> RhaiResult<FLOAT> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, MMD_KEYS)?;
            let bandwidths = match o.opt_array("bandwidths")? {
                Some(list) => list.iter().map(number).collect::<crate::Result<Vec<f64>>>()?,
                None => vec![],
            };
            kernel::mmd(&a, &b, &bandwidths)
        })
    }
    #[rhai_fn(name = "mmd", return_raw)]
    pub fn mmd_default(ctx: NativeCallContext, a: Tensor, b: Tensor) -> RhaiResult<FLOAT> {
        mmd(ctx, a, b, Map::new())
    }

    /// The energy distance 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ (Székely & Rizzo 2013), 0 for identical sets.
    #[rhai_fn(return_raw)]
    pub fn energy_distance(ctx: NativeCallContext, a: Tensor, b: Tensor) -> RhaiResult<FLOAT> {
        guard(&ctx, || energy::energy_distance(&a, &b))
    }

    /// How many of the mixture's modes the samples reach: `#{ covered, modes, counts, within }`. A sample is
    /// within its nearest mode inside `within` standard deviations (3) in 2-D, and inside the chi-square
    /// radius of the same probability in more dimensions.
    #[rhai_fn(return_raw)]
    pub fn mode_coverage(ctx: NativeCallContext, x: Tensor, mix: Mixture, options: Options) -> RhaiResult<Map> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, COVERAGE_KEYS)?;
            let r = modes::mode_report(&x, &mix, o.f64_in("within", 3.0, crate::runtime::options::Range::Positive)?)?;
            let counts: rhai::Array = r.counts.iter().map(|&c| Dynamic::from_int(c as INT)).collect();
            Ok(Map::from_iter([
                ("covered".into(), Dynamic::from_int(r.covered as INT)),
                ("modes".into(), Dynamic::from_int(mix.len() as INT)),
                ("counts".into(), Dynamic::from_array(counts)),
                ("within".into(), Dynamic::from_int(r.within as INT)),
            ]))
        })
    }
    #[rhai_fn(name = "mode_coverage", return_raw)]
    pub fn mode_coverage_default(ctx: NativeCallContext, x: Tensor, mix: Mixture) -> RhaiResult<Map> {
        mode_coverage(ctx, x, mix, Map::new())
    }

    /// The total-variation distance ½ Σ_k |share of samples nearest mode k − w_k| between the samples'
    /// split over modes and the mixture weights.
    #[rhai_fn(return_raw)]
    pub fn mode_tv(ctx: NativeCallContext, x: Tensor, mix: Mixture) -> RhaiResult<FLOAT> {
        guard(&ctx, || Ok(modes::mode_report(&x, &mix, 3.0)?.tv))
    }
}

/// The module of metrics.
pub fn module() -> Module {
    exported_module!(api)
}
