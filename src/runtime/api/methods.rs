//! The four methods difflab is for, as primitives: shortcut-MCMC training
//! (the `shortcut` sampler is in the registry), progressive distillation,
//! Denoising Langevin Gibbs with plain Langevin beside it (randomized midpoints
//! are the `rm` and `rm_parallel` samplers).

use crate::diffusion::mcmc::dlg::{DlgOptions, Init};
use crate::diffusion::mcmc::noise_model::{geometric_levels, Classifier, Exact, NoiseModel};
use crate::diffusion::mixture::Mixture;
use crate::nn::network::Network;
use crate::runtime::convert::{describe, number};
use crate::runtime::options::CheckedOptions;
use crate::tensor::Tensor;
use rhai::plugin::*;

const SHORTCUT_KEYS: &[&str] = &["K", "T", "weight", "shared_eps", "start_at_end", "pred", "terms"];
const DISTILL_KEYS: &[&str] = &["steps", "pred", "teacher_pred", "weighting"];
const DLG_KEYS: &[&str] = &[
    "chains",
    "iterations",
    "eta",
    "scale_eta",
    "n_skip",
    "n_den",
    "method",
    "den_options",
    "sample_sigma",
    "init",
    "init_steps",
    "init_noise",
    "init_gibbs",
    "levels",
    "sigma_min",
    "sigma_max",
    "m",
];
const LANGEVIN_KEYS: &[&str] = &["eta", "steps", "sigma"];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] =
    &[("shortcut_loss", SHORTCUT_KEYS), ("distill_loss", DISTILL_KEYS), ("dlg", DLG_KEYS), ("langevin", LANGEVIN_KEYS)];

/// The grid of levels: `levels: [...]`, or `m` geometric levels in [sigma_min, sigma_max].
fn levels_of(o: &CheckedOptions, default_m: usize) -> crate::Result<Vec<f64>> {
    if let Some(list) = o.opt_array("levels")? {
        let mut v: Vec<f64> = list.iter().map(number).collect::<crate::Result<_>>()?;
        if v.len() < 2 || v.windows(2).any(|w| w[1] <= w[0]) || v[0] <= 0.0 {
            crate::bail!("option `levels` must be at least 2 increasing positive numbers");
        }
        v.dedup();
        return Ok(v);
    }
    geometric_levels(
        o.f64_in("sigma_min", 0.002, crate::runtime::options::Range::Positive)?,
        o.f64_in("sigma_max", 80.0, crate::runtime::options::Range::Positive)?,
        o.usize_or("m", default_m)?,
    )
}

/// The noise model of a DLG call: a classifier network or an exact mixture.
fn noise_model(v: &Dynamic, o: &CheckedOptions) -> crate::Result<Box<dyn NoiseModel>> {
    if let Some(net) = v.read_lock::<Network>() {
        let classes = match net.architecture() {
            crate::nn::network::Architecture::Classifier(c) => c.classes,
            crate::nn::network::Architecture::Composed(_) if net.is_classifier() => {
                if o.opt_value("m").is_none() && o.opt_value("levels").is_none() {
                    crate::bail!("a classifier composed in a script needs `m` (its number of classes) or `levels`");
                }
                0
            }
            _ => crate::bail!(
                "the noise model must be a classifier (classifier(...)) or a mixture, got a denoiser network"
            ),
        };
        return Ok(Box::new(Classifier { net: net.clone(), levels: levels_of(o, classes)? }));
    }
    if let Some(mix) = v.read_lock::<Mixture>() {
        return Ok(Box::new(Exact { mix: mix.clone(), levels: levels_of(o, 200)? }));
    }
    crate::bail!("the noise model must be a classifier network or a mixture, got {}", describe(v))
}

fn dlg_options(o: &CheckedOptions) -> crate::Result<DlgOptions> {
    let init = match o.opt_value("init") {
        Some(v) if v.read_lock::<Tensor>().is_some() => {
            let x = v.read_lock::<Tensor>().map(|t| t.clone()).expect("checked");
            if x.rank() < 2 || x.dims()[0] == 0 {
                crate::bail!("option `init` must hold starting points [chains, ...], got shape {:?}", x.dims());
            }
            Init::Given(x.as_float()?)
        }
        Some(v) if v.clone().into_string().ok().as_deref() != Some("sampler") => {
            crate::bail!("option `init` must be \"sampler\" or a tensor of starting points, got {}", describe(&v))
        }
        _ => Init::Sampler {
            steps: o.usize_or("init_steps", 2)?,
            noise: o.f64_in("init_noise", 0.5, crate::runtime::options::Range::NonNegative)?,
        },
    };
    let method = o.opt_string("method")?.unwrap_or_else(|| "edm_stochastic".into());
    let given = match o.opt_value("den_options") {
        None => crate::diffusion::samplers::Params::new(),
        Some(v) => match v.try_cast::<rhai::Map>() {
            Some(map) => crate::runtime::api::sample::method_params(&map),
            None => crate::bail!("option `den_options` must be a map of the denoising sampler's options"),
        },
    };
    // checked and completed with the sampler's defaults now, so the record shows what ran
    let sampler = crate::diffusion::samplers::find(&method)?;
    let den_options = given.resolve(sampler.name, sampler.options).map_err(|e| e.context("option `den_options`"))?;
    Ok(DlgOptions {
        chains: o.usize_or("chains", 64)?,
        iterations: o.usize_or("iterations", 100)?,
        eta: o.f64_in("eta", 0.1, crate::runtime::options::Range::Positive)?,
        scale_eta: o.bool_or("scale_eta", true)?,
        n_skip: o.usize_or("n_skip", 10)?,
        n_den: o.usize_or("n_den", 9)?,
        method,
        den_options,
        sample_sigma: o.bool_or("sample_sigma", true)?,
        init,
        init_gibbs: o.usize_or("init_gibbs", 5)?,
    })
}

#[export_module]
mod api {
    use super::{dlg_options, noise_model, DISTILL_KEYS, DLG_KEYS, LANGEVIN_KEYS, SHORTCUT_KEYS};
    use crate::diffusion::distill::{distill_loss as distill, DistillOptions};
    use crate::diffusion::loss::Weighting;
    use crate::diffusion::mcmc::noise_model::geometric_levels;
    use crate::diffusion::mcmc::{dlg as chains, langevin as plain};
    use crate::diffusion::parameterization::Pred;
    use crate::diffusion::samplers::{Noise, Run};
    use crate::diffusion::schedule::Schedule;
    use crate::diffusion::shortcut::{shortcut_loss as shortcut, ShortcutOptions, Terms};
    use crate::nn::network::Network;
    use crate::runtime::api::sample::ScriptDenoiser;
    use crate::runtime::api::{Number, Options};
    use crate::runtime::convert::{count_arg, number_arg};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::{create, Tensor};
    use rhai::{Array, Map, FLOAT, INT};

    /// Shortcut-MCMC training loss (Chen 2023, Alg. 1): the ε-loss at a random time plus `weight` × the
    /// fidelity ‖x0 − x̂0‖² of a chain through K random steps of T (x̂0 predicted, re-noised to the next
    /// step), back-propagated through the whole chain. Options: K (10), T (200), weight (1), shared_eps
    /// (false: fresh ε per re-noising, as the sampler does), start_at_end (false; true starts at step T
    /// as the authors' code), pred ("eps"), terms ("both": the sum, for one gradient step per batch;
    /// "diffusion" or "fidelity" alone, for Algorithm 1's two steps per batch).
    #[rhai_fn(return_raw)]
    pub fn shortcut_loss(
        ctx: NativeCallContext,
        net: Network,
        sched: Schedule,
        x0: Tensor,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SHORTCUT_KEYS)?;
            let opts = ShortcutOptions {
                k: o.usize_or("K", 10)?,
                t: o.usize_or("T", 200)?,
                weight: o.f64_in("weight", 1.0, crate::runtime::options::Range::NonNegative)?,
                shared_eps: o.bool_or("shared_eps", false)?,
                start_at_end: o.bool_or("start_at_end", false)?,
                pred: Pred::parse(&o.opt_string("pred")?.unwrap_or_else(|| "eps".into()))?,
                terms: Terms::parse(&o.opt_string("terms")?.unwrap_or_else(|| "both".into()))?,
            };
            shortcut(&net, &sched, &x0, &opts)
        })
    }

    /// Progressive-distillation loss (Salimans & Ho 2022, Alg. 2): with t = i/N, the teacher takes two
    /// DDIM steps t → t − 0.5/N → t − 1/N; the student's target is the x̂ that makes one DDIM step land
    /// there, x̃ = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t) (the teacher's x̂ at the last
    /// step). Options: steps N (the student's), pred ("v") and teacher_pred (= pred), weighting
    /// ("snr_trunc" = max(SNR, 1), or "snr+1").
    #[rhai_fn(return_raw)]
    pub fn distill_loss(
        ctx: NativeCallContext,
        teacher: Network,
        student: Network,
        sched: Schedule,
        x0: Tensor,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, DISTILL_KEYS)?;
            let pred = Pred::parse(&o.opt_string("pred")?.unwrap_or_else(|| "v".into()))?;
            let opts = DistillOptions {
                steps: o.usize_or("steps", 0)?,
                pred,
                teacher_pred: match o.opt_string("teacher_pred")? {
                    Some(p) => Pred::parse(&p)?,
                    None => pred,
                },
                weighting: Weighting::parse(&o.opt_string("weighting")?.unwrap_or_else(|| "snr_trunc".into()))?,
            };
            distill(&teacher, &student, &sched, &x0, &opts)
        })
    }

    /// Denoising Langevin Gibbs (Kim & Ye 2022): chains over (x, σ) — a Langevin step in x with step
    /// η σ², then a Gibbs draw σ ~ p(σ | x) from `noise_model` (a noise-level classifier, or
    /// a mixture for its exact posterior); every n_skip iterations each chain's lowest-σ iterate is
    /// denoised to 0 by `method` with about n_den NFE. Options: chains (64), iterations (100), eta (0.1),
    /// scale_eta (true), n_skip (10), n_den (9), method ("edm_stochastic"), den_options (the method's own
    /// options, e.g. `#{ s_churn: 0.0 }`; its defaults otherwise), sample_sigma (true; false takes the mode of p(σ | x) instead, which
    /// settles chains at the lowest levels and stops them mixing), init
    /// ("sampler": a 2-step Euler run plus noise of std init_noise 0.5 — or a tensor of starting points),
    /// init_steps, init_noise, init_gibbs (5), and the level grid: levels, or m levels geometric in
    /// [sigma_min, sigma_max]. Returns `#{ x, chains, nfe, chain_nfe, nfe_per_sample, init_nfe, sigma_trace, levels }`: `nfe` counts batched
    /// calls (every block's denoising is batched over the chains, each row along its own σ list, so it
    /// equals chain_nfe), `chain_nfe` the evaluations one chain saw (the paper's cost), `nfe_per_sample` = chain_nfe / blocks;
    /// `den_method` and `den_options` record the denoising sampler and every option it ran with.
    #[rhai_fn(return_raw)]
    pub fn dlg(ctx: NativeCallContext, den: ScriptDenoiser, model: Dynamic, options: Options) -> RhaiResult<Map> {
        let o = guard(&ctx, || options::CheckedOptions::new(options, DLG_KEYS))?;
        let model = guard(&ctx, || noise_model(&model, &o))?;
        let opts = guard(&ctx, || dlg_options(&o))?;
        let result = crate::runtime::api::sample::with_denoiser(&ctx, &den, |d| {
            let dims = match &opts.init {
                crate::diffusion::mcmc::dlg::Init::Given(x) => x.dims()[1..].to_vec(),
                _ => d.example_shape().ok_or_else(|| {
                    crate::Error::new("this denoiser does not know its data shape: give `init` points")
                })?,
            };
            let mut run = Run::new(d, Noise::Random, None, false);
            chains::dlg(&mut run, model.as_ref(), &dims, &opts)
        })?;
        let blocks = opts.iterations / opts.n_skip;
        let iterations = result.sigma_trace.len();
        let flat: Vec<f64> = result.sigma_trace.into_iter().flatten().collect();
        let trace = guard(&ctx, || create::from_f64(flat, &[iterations, opts.chains], &create::Placement::default()))?;
        let levels: Array = model.levels().iter().map(|&l| Dynamic::from_float(l)).collect();
        Ok(Map::from_iter([
            ("x".into(), Dynamic::from(result.samples)),
            ("chains".into(), Dynamic::from(result.chains)),
            ("nfe".into(), Dynamic::from_int(result.nfe as INT)),
            ("init_nfe".into(), Dynamic::from_int(result.init_nfe as INT)),
            ("chain_nfe".into(), Dynamic::from_int(result.chain_nfe as INT)),
            ("nfe_per_sample".into(), Dynamic::from_float(result.chain_nfe as FLOAT / blocks as FLOAT)),
            ("sigma_trace".into(), Dynamic::from(trace)),
            ("levels".into(), Dynamic::from_array(levels)),
            ("den_method".into(), Dynamic::from(opts.method.clone())),
            ("den_options".into(), Dynamic::from_map(crate::runtime::api::sample::params_map(&opts.den_options))),
        ]))
    }

    /// Plain Langevin dynamics x ← x + (η/2) s(x, σ) + √η z at a fixed level σ (0.002), the baseline DLG is
    /// compared with. Options: eta (1e-3), steps (100), sigma.
    #[rhai_fn(return_raw)]
    pub fn langevin(ctx: NativeCallContext, den: ScriptDenoiser, x: Tensor, options: Options) -> RhaiResult<Tensor> {
        let o = guard(&ctx, || options::CheckedOptions::new(options, LANGEVIN_KEYS))?;
        let (eta, steps, sigma) = guard(&ctx, || {
            Ok((
                o.f64_in("eta", 1e-3, crate::runtime::options::Range::Positive)?,
                o.usize_or("steps", 100)?,
                o.f64_in("sigma", 0.002, crate::runtime::options::Range::NonNegative)?,
            ))
        })?;
        crate::runtime::api::sample::with_denoiser(&ctx, &den, |d| {
            let mut run = Run::new(d, Noise::Random, None, false);
            run.start("langevin", steps);
            let out = plain::langevin(&mut run, x.clone(), sigma, eta, steps)?;
            run.finish()?;
            Ok(out)
        })
    }

    /// `m` noise levels geometric between sigma_min and sigma_max (DLG's grid; class j of a noise-level
    /// classifier is level j).
    #[rhai_fn(return_raw)]
    pub fn noise_levels(ctx: NativeCallContext, sigma_min: Number, sigma_max: Number, m: INT) -> RhaiResult<Array> {
        guard(&ctx, || {
            let v = geometric_levels(
                number_arg("sigma_min", &sigma_min)?,
                number_arg("sigma_max", &sigma_max)?,
                count_arg("m", m)?,
            )?;
            Ok(v.into_iter().map(Dynamic::from_float).collect())
        })
    }
}

/// The module of the methods' primitives.
pub fn module() -> Module {
    exported_module!(api)
}
