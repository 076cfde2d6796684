//! Pretrained models from scripts: `load_pretrained` reads a diffusers folder into a
//! denoiser every sampler takes, and the accessors of a wrapped network's denoiser (its
//! network, schedule, prediction, σ lists, class labels).

use rhai::plugin::*;

const LOAD_KEYS: &[&str] = &["dtype", "device"];
const SIGMAS_KEYS: &[&str] = &["spacing", "rho", "sigma_min", "sigma_max", "ays"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[("load_pretrained", LOAD_KEYS), ("sigmas", SIGMAS_KEYS)];

/// The denoiser of a model read from `path` onto `at`, after printing what was read with a
/// default or left aside.
fn load(path: &str, at: &crate::tensor::create::Placement) -> crate::Result<super::sample::ScriptDenoiser> {
    use crate::diffusion::discrete::DiscreteDenoiser;
    use crate::nn::network::Network;
    if std::path::Path::new(path).is_file() {
        let den = crate::diffusion::saved::load_denoiser(std::path::Path::new(path), &at.device)?;
        return Ok(super::sample::ScriptDenoiser::Native(den));
    }
    let found = crate::nn::pretrained::load::load(std::path::Path::new(path), at)?;
    for line in &found.warnings {
        crate::runtime::output::eprint(&format!("load_pretrained: warning: {line}\n"));
    }
    let net = Network::pretrained(found.config, found.store);
    let den = DiscreteDenoiser::new(net, found.scheduler).map_err(|e| e.context(path))?;
    Ok(super::sample::ScriptDenoiser::Native(std::sync::Arc::new(den)))
}

#[export_module]
mod api {
    use super::{load, LOAD_KEYS, SIGMAS_KEYS};
    use crate::runtime::api::sample::{sigma_list_of, with_denoiser, ScriptDenoiser};
    use crate::runtime::api::Options;
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options::CheckedOptions;
    use rhai::{Array, Dynamic, INT};

    /// Reads a pretrained diffusers model, a `UNet2DModel` folder (config.json and
    /// diffusion_pytorch_model.safetensors) or a pipeline folder (model_index.json, unet/,
    /// scheduler/), as a denoiser D(x, σ) every sampler takes: the discrete-time model is
    /// evaluated at x/√(1 + σ²) and at the timestep of σ (log-σ interpolation between its
    /// training levels, as k-diffusion's wrappers do), its ε, v or x0 turned into x0. Its
    /// schedule and prediction come from scheduler_config.json. A `.safetensors` file written
    /// by `save_denoiser` comes back as the denoiser it was. Options: dtype ("f32", or "f16" /
    /// "bf16" to keep half precision; a saved denoiser keeps its own), device.
    #[rhai_fn(return_raw)]
    pub fn load_pretrained(ctx: NativeCallContext, path: &str, options: Options) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || {
            let o = CheckedOptions::new(options, LOAD_KEYS)?;
            load(path, &o.placement(crate::tensor::DType::F32)?)
        })
    }
    #[rhai_fn(name = "load_pretrained", return_raw)]
    pub fn load_pretrained_default(ctx: NativeCallContext, path: &str) -> RhaiResult<ScriptDenoiser> {
        load_pretrained(ctx, path, rhai::Map::new())
    }

    /// Saves the network of a denoiser (a wrapped network, or a pretrained model) with its
    /// schedule and prediction in the file's metadata: `load_pretrained(path)` gives the same
    /// denoiser back, and `load(path)` the network, which then warns when a script pairs it
    /// with another schedule or prediction.
    #[rhai_fn(return_raw)]
    pub fn save_denoiser(ctx: NativeCallContext, den: ScriptDenoiser, path: &str) -> RhaiResult<()> {
        with_denoiser(&ctx, &den, |d| crate::diffusion::saved::save_denoiser(d, std::path::Path::new(path)))
    }

    /// The network a denoiser wraps (for a pretrained model, `net.forward(x, t)` takes its own
    /// timesteps, floats in 0..T, and returns the raw output).
    #[rhai_fn(get = "net", return_raw)]
    pub fn net(ctx: NativeCallContext, den: &mut ScriptDenoiser) -> RhaiResult<crate::nn::network::Network> {
        with_denoiser(&ctx, den, |d| {
            d.network().cloned().ok_or_else(|| crate::Error::new("this denoiser wraps no network"))
        })
    }

    /// The schedule a denoiser's network was trained under (a pretrained model's discrete
    /// β schedule); `()` for a denoiser with none.
    #[rhai_fn(get = "schedule", return_raw)]
    pub fn schedule(ctx: NativeCallContext, den: &mut ScriptDenoiser) -> RhaiResult<Dynamic> {
        with_denoiser(&ctx, den, |d| Ok(d.schedule().cloned().map_or(Dynamic::UNIT, Dynamic::from)))
    }

    /// What a denoiser's network predicts ("eps", "v", "x0", ...); `()` for a denoiser with none.
    #[rhai_fn(get = "pred", return_raw)]
    pub fn pred(ctx: NativeCallContext, den: &mut ScriptDenoiser) -> RhaiResult<Dynamic> {
        with_denoiser(&ctx, den, |d| Ok(d.prediction().map_or(Dynamic::UNIT, |p| p.name().into())))
    }

    /// The σ list of `n` steps (n levels, then 0) that `sample(den, #{ steps: n, ... })` would
    /// use with the same options: spacing "karras" (the default, over the denoiser's σ range),
    /// a pretrained model's "leading" / "trailing" / "linspace" (diffusers' spacings of its
    /// training timesteps, each level a training level), a schedule spacing, or the other σ
    /// lists; rho, sigma_min, sigma_max.
    #[rhai_fn(name = "sigmas", return_raw)]
    pub fn sigmas(ctx: NativeCallContext, den: &mut ScriptDenoiser, n: INT, options: Options) -> RhaiResult<Array> {
        let o = guard(&ctx, || CheckedOptions::new(options, SIGMAS_KEYS))?;
        let steps = guard(&ctx, || crate::runtime::convert::count_arg("n", n))?;
        let list = with_denoiser(&ctx, den, |d| sigma_list_of(&o, d, steps))?;
        Ok(list.into_iter().map(Dynamic::from_float).collect())
    }
    #[rhai_fn(name = "sigmas", return_raw)]
    pub fn sigmas_default(ctx: NativeCallContext, den: &mut ScriptDenoiser, n: INT) -> RhaiResult<Array> {
        sigmas(ctx, den, n, rhai::Map::new())
    }

    /// The same class-conditional denoiser with each row given a class: `labels` is one
    /// integer for every row, or an `[N]` tensor (or array) with one per row.
    #[rhai_fn(return_raw)]
    pub fn with_labels(
        ctx: NativeCallContext,
        den: &mut ScriptDenoiser,
        labels: Dynamic,
    ) -> RhaiResult<ScriptDenoiser> {
        let labels = guard(&ctx, || crate::runtime::convert::label_tensor(&labels))?;
        with_denoiser(&ctx, den, |d| Ok(ScriptDenoiser::Native(d.with_labels(labels)?)))
    }

    /// The model's (fractional) timestep at VE noise level σ, for a pretrained model.
    #[rhai_fn(return_raw)]
    pub fn timestep(ctx: NativeCallContext, den: &mut ScriptDenoiser, sigma: rhai::FLOAT) -> RhaiResult<rhai::FLOAT> {
        with_denoiser(&ctx, den, |d| {
            d.timestep_of(sigma).ok_or_else(|| crate::Error::new("only a pretrained discrete-time model has timesteps"))
        })
    }
}

/// The module of pretrained-model built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
