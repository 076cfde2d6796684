//! Noise schedules, step lists, prediction conversions and the diffusion
//! training loss, from scripts.

use crate::diffusion::schedule::Schedule;
use crate::runtime::convert::{describe, number};
use crate::tensor::Tensor;
use rhai::plugin::*;

/// Applies `f` to a number (giving a float) or to every element of a tensor
/// (giving a tensor of the same shape and float dtype).
fn elementwise(v: &Dynamic, f: impl Fn(f64) -> f64) -> crate::Result<Dynamic> {
    if let Some(t) = v.read_lock::<Tensor>() {
        let values: Vec<f64> = t.to_f64_vec()?.into_iter().map(&f).collect();
        let dtype = if t.is_float() { t.dtype() } else { crate::tensor::dtype::DEFAULT_FLOAT };
        let at = crate::tensor::create::Placement { dtype, device: t.device().clone() };
        return Ok(Dynamic::from(crate::tensor::create::from_f64(values, t.dims(), &at)?));
    }
    match number(v) {
        Ok(x) => Ok(Dynamic::from_float(f(x))),
        Err(_) => crate::bail!("expected a number or a tensor, got {}", describe(v)),
    }
}

/// Per-example times from a number or a `[N]` tensor, for `n` rows.
fn times(v: &Dynamic, n: usize) -> crate::Result<Vec<f64>> {
    if let Some(t) = v.read_lock::<Tensor>() {
        let values = t.to_f64_vec()?;
        return match values.len() {
            1 => Ok(vec![values[0]; n]),
            m if m == n => Ok(values),
            m => crate::bail!("t has {m} values for a batch of {n}"),
        };
    }
    Ok(vec![
        number(v).map_err(|_| crate::Error::new(format!("t must be a number or a tensor, got {}", describe(v))))?;
        n
    ])
}

const VP_LINEAR_KEYS: &[&str] = &["beta_start", "beta_end", "steps"];
const VP_COSINE_KEYS: &[&str] = &["s"];
const LOGSNR_KEYS: &[&str] = &["logsnr_min", "logsnr_max"];
const VE_KEYS: &[&str] = &["sigma_min", "sigma_max"];
const EDM_KEYS: &[&str] = &["sigma_min", "sigma_max", "rho", "sigma_data"];
const SPACING_KEYS: &[&str] = &["spacing"];
const CONVERT_KEYS: &[&str] = &["from", "to"];
const LOSS_KEYS: &[&str] = &[
    "pred",
    "weighting",
    "t_min",
    "t_max",
    "times",
    "p_mean",
    "p_std",
    "logit_mean",
    "logit_std",
    "noise",
    "labels",
    "label_dropout",
];
const FLOW_LOSS_KEYS: &[&str] = &[
    "interpolant",
    "weighting",
    "t_sampling",
    "t_min",
    "t_max",
    "logit_mean",
    "logit_std",
    "noise",
    "labels",
    "label_dropout",
];

/// The option keys of this module's functions (for completion).
pub const OPTIONS: &[(&str, &[&str])] = &[
    ("vp_linear", VP_LINEAR_KEYS),
    ("vp_cosine", VP_COSINE_KEYS),
    ("vp_logsnr_cosine", LOGSNR_KEYS),
    ("ve_geometric", VE_KEYS),
    ("edm", EDM_KEYS),
    ("timesteps", SPACING_KEYS),
    ("sigmas", SPACING_KEYS),
    ("convert_pred", CONVERT_KEYS),
    ("diffusion_loss", LOSS_KEYS),
    ("flow_matching_loss", FLOW_LOSS_KEYS),
];

/// How training times are drawn: `kind` ("uniform", "lognormal" or "logit_normal") with its
/// options, or the schedule's default when neither the kind nor a range is given.
fn time_sampling(
    o: &crate::runtime::options::CheckedOptions,
    kind: Option<&str>,
    sched: &Schedule,
) -> crate::Result<crate::diffusion::loss::TimeSampling> {
    use crate::diffusion::loss::{LossOptions, TimeSampling};
    use crate::runtime::options::Range;
    let ranged = o.opt_f64("t_min")?.is_some() || o.opt_f64("t_max")?.is_some();
    Ok(match kind {
        None if !ranged => LossOptions::default_times(sched),
        None | Some("uniform") => {
            TimeSampling::Uniform { t_min: o.f64_or("t_min", sched.t_min())?, t_max: o.f64_or("t_max", sched.t_max())? }
        }
        Some("lognormal") => {
            TimeSampling::LogNormal { mean: o.f64_or("p_mean", -1.2)?, std: o.f64_in("p_std", 1.2, Range::Positive)? }
        }
        Some("logit_normal") => TimeSampling::LogitNormal {
            mean: o.f64_or("logit_mean", 0.0)?,
            std: o.f64_in("logit_std", 1.0, Range::Positive)?,
        },
        Some(other) => {
            crate::bail!("unknown time sampling \"{other}\"; expected \"uniform\", \"lognormal\" or \"logit_normal\"")
        }
    })
}

/// The noise ε coupled to `x0` row by row (option `noise`), checked against its shape.
fn given_noise(o: &crate::runtime::options::CheckedOptions, x0: &Tensor) -> crate::Result<Option<Tensor>> {
    let Some(v) = o.opt_value("noise") else { return Ok(None) };
    let eps = crate::runtime::convert::tensor_like(&v, None).map_err(|e| e.context("option `noise`"))?;
    if eps.dims() != x0.dims() {
        crate::bail!("option `noise` has shape {:?}, but x0 has {:?}", eps.dims(), x0.dims());
    }
    Ok(Some(eps.as_float()?))
}

/// The `labels` (one per row of the batch) and `label_dropout` (0) options of a loss.
fn given_labels(o: &crate::runtime::options::CheckedOptions) -> crate::Result<Option<(Tensor, f64)>> {
    let dropout = o.opt_f64("label_dropout")?;
    let Some(v) = o.opt_value("labels") else {
        if dropout.is_some() {
            crate::bail!("option `label_dropout` needs `labels`, the class of each example");
        }
        return Ok(None);
    };
    let labels = crate::runtime::convert::label_tensor(&v).map_err(|e| e.context("option `labels`"))?;
    Ok(Some((labels, dropout.unwrap_or(0.0))))
}

/// The `spacing` option of a step list ("uniform" when absent).
fn spacing_of(o: &crate::runtime::options::CheckedOptions) -> crate::Result<crate::diffusion::timesteps::Spacing> {
    crate::diffusion::timesteps::Spacing::parse(&o.opt_string("spacing")?.unwrap_or_else(|| "uniform".into()))
}

fn schedule_from(kind: &str, options: rhai::Map) -> crate::Result<Schedule> {
    use crate::runtime::options::CheckedOptions;
    match kind {
        "vp_linear" => {
            let o = CheckedOptions::new(options, VP_LINEAR_KEYS)?;
            Schedule::vp_linear(
                o.f64_in("beta_start", 1e-4, crate::runtime::options::Range::UnitOpenAbove)?,
                o.f64_in("beta_end", 0.02, crate::runtime::options::Range::UnitOpenAbove)?,
                o.usize_or("steps", 1000)?,
            )
        }
        "vp_cosine" => Schedule::vp_cosine(CheckedOptions::new(options, VP_COSINE_KEYS)?.f64_in(
            "s",
            0.008,
            crate::runtime::options::Range::NonNegative,
        )?),
        "vp_logsnr_cosine" => {
            let o = CheckedOptions::new(options, LOGSNR_KEYS)?;
            Schedule::vp_logsnr_cosine(o.f64_or("logsnr_min", -20.0)?, o.f64_or("logsnr_max", 20.0)?)
        }
        "ve_geometric" => {
            let o = CheckedOptions::new(options, VE_KEYS)?;
            Schedule::ve_geometric(
                o.f64_in("sigma_min", 0.01, crate::runtime::options::Range::Positive)?,
                o.f64_in("sigma_max", 50.0, crate::runtime::options::Range::Positive)?,
            )
        }
        _ => {
            let o = CheckedOptions::new(options, EDM_KEYS)?;
            Schedule::edm(
                o.f64_in("sigma_min", 0.002, crate::runtime::options::Range::Positive)?,
                o.f64_in("sigma_max", 80.0, crate::runtime::options::Range::Positive)?,
                o.f64_in("rho", 7.0, crate::runtime::options::Range::Positive)?,
                o.f64_in("sigma_data", 0.5, crate::runtime::options::Range::Positive)?,
            )
        }
    }
}

#[export_module]
mod api {
    use super::{
        elementwise, given_labels, given_noise, schedule_from, spacing_of, time_sampling, times, CONVERT_KEYS,
        FLOW_LOSS_KEYS, LOSS_KEYS, SPACING_KEYS,
    };
    use crate::diffusion::loss::{diffusion_loss as loss, LossOptions, TrainLabels, Weighting};
    use crate::diffusion::parameterization::{convert, flow_rates, per_row, EdmPrecond, Pred};
    use crate::diffusion::schedule::Schedule;
    use crate::diffusion::timesteps::{karras_sigmas as karras, sigma_steps, timesteps as steps};
    use crate::nn::network::Network;
    use crate::runtime::api::{Number, Options, TensorLike};
    use crate::runtime::convert::{count_arg, number_arg};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::Tensor;
    use rhai::{Array, Map, FLOAT, INT};

    /// DDPM's variance-preserving schedule with β linear from `beta_start` (1e-4) to `beta_end` (0.02)
    /// over `steps` (1000) discrete steps (Ho et al. 2020); t = i/steps.
    #[rhai_fn(return_raw)]
    pub fn vp_linear(ctx: NativeCallContext, options: Options) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_linear", options))
    }
    #[rhai_fn(name = "vp_linear", return_raw)]
    pub fn vp_linear_default(ctx: NativeCallContext) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_linear", Map::new()))
    }

    /// The cosine variance-preserving schedule (Nichol & Dhariwal 2021) with offset `s` (0.008).
    #[rhai_fn(return_raw)]
    pub fn vp_cosine(ctx: NativeCallContext, options: Options) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_cosine", options))
    }
    #[rhai_fn(name = "vp_cosine", return_raw)]
    pub fn vp_cosine_default(ctx: NativeCallContext) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_cosine", Map::new()))
    }

    /// The variance-preserving schedule with log-SNR λ(t) = −2 log tan(a t + b) between `logsnr_max`
    /// (20, at t = 0) and `logsnr_min` (−20, at t = 1), as in progressive distillation (Salimans & Ho 2022).
    #[rhai_fn(return_raw)]
    pub fn vp_logsnr_cosine(ctx: NativeCallContext, options: Options) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_logsnr_cosine", options))
    }
    #[rhai_fn(name = "vp_logsnr_cosine", return_raw)]
    pub fn vp_logsnr_cosine_default(ctx: NativeCallContext) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("vp_logsnr_cosine", Map::new()))
    }

    /// The variance-exploding schedule σ(t) = σ_min (σ_max/σ_min)^t (Song et al. 2021); sigma_min 0.01, sigma_max 50.
    #[rhai_fn(return_raw)]
    pub fn ve_geometric(ctx: NativeCallContext, options: Options) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("ve_geometric", options))
    }
    #[rhai_fn(name = "ve_geometric", return_raw)]
    pub fn ve_geometric_default(ctx: NativeCallContext) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("ve_geometric", Map::new()))
    }

    /// The EDM schedule (Karras et al. 2022): α = 1, σ(t) ρ-interpolated from sigma_min (0.002) to
    /// sigma_max (80) with rho (7); sigma_data (0.5) sets its preconditioning and loss weight.
    /// EDM training is `diffusion_loss(net, edm(), x0, #{ pred: "edm", weighting: "edm" })`: with
    /// `pred: "edm"` the network is EDM's F and D(x, σ) = c_skip x + c_out F(c_in x, c_noise) is
    /// applied for you (by the loss, `denoiser(net, sched, "edm")` and every sampler; table 1's
    /// c_skip, c_out, c_in from sigma_data, see `edm_precond`); "edm" weighting is λ(σ) = 1/c_out²;
    /// the training σ are lognormal, ln σ ~ N(−1.2, 1.2²), unless `times` says otherwise. Give
    /// the network `time_embed: "log_sigma"`: its noise input is then σ and its embedding sees
    /// c_noise = ln(σ)/4, computed inside the network (with the default "t" it sees the schedule's
    /// t ∈ [0, 1] instead). Sample with "heun" (EDM's deterministic sampler) or "edm_stochastic".
    /// `scripts/train_edm.rhai` trains one end to end.
    #[rhai_fn(return_raw)]
    pub fn edm(ctx: NativeCallContext, options: Options) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("edm", options))
    }
    #[rhai_fn(name = "edm", return_raw)]
    pub fn edm_default(ctx: NativeCallContext) -> RhaiResult<Schedule> {
        guard(&ctx, || schedule_from("edm", Map::new()))
    }

    /// α(t), the scale of the data in x_t = α x0 + σ ε (t a number or a tensor).
    #[rhai_fn(name = "alpha", return_raw)]
    pub fn alpha(ctx: NativeCallContext, s: &mut Schedule, t: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&t, |t| s.alpha(t)))
    }

    /// σ(t), the scale of the noise (t a number or a tensor).
    #[rhai_fn(name = "sigma", return_raw)]
    pub fn sigma(ctx: NativeCallContext, s: &mut Schedule, t: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&t, |t| s.sigma(t)))
    }

    /// λ(t) = log(α²/σ²), the log signal-to-noise ratio.
    #[rhai_fn(name = "logsnr", return_raw)]
    pub fn logsnr(ctx: NativeCallContext, s: &mut Schedule, t: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&t, |t| s.logsnr(t)))
    }

    /// σ(t)/α(t), the VE / EDM noise level of the same point.
    #[rhai_fn(name = "edm_sigma", return_raw)]
    pub fn edm_sigma(ctx: NativeCallContext, s: &mut Schedule, t: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&t, |t| s.edm_sigma(t)))
    }

    /// The time at which σ(t) equals `sigma` (the inverse of `sigma`).
    #[rhai_fn(name = "t_of_sigma", return_raw)]
    pub fn t_of_sigma(ctx: NativeCallContext, s: &mut Schedule, sigma: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&sigma, |v| s.t_of_sigma(v)))
    }

    /// The time at which the log-SNR equals `logsnr`.
    #[rhai_fn(name = "t_of_logsnr", return_raw)]
    pub fn t_of_logsnr(ctx: NativeCallContext, s: &mut Schedule, logsnr: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&logsnr, |v| s.t_of_logsnr(v)))
    }

    /// The time at which σ/α equals `sigma`.
    #[rhai_fn(name = "t_of_edm_sigma", return_raw)]
    pub fn t_of_edm_sigma(ctx: NativeCallContext, s: &mut Schedule, sigma: TensorLike) -> RhaiResult<Dynamic> {
        guard(&ctx, || elementwise(&sigma, |v| s.t_of_edm_sigma(v)))
    }

    /// n + 1 decreasing times for n sampling steps; option `spacing`: "uniform", "logsnr",
    /// "quadratic", "karras", "leading" or "trailing" (Lin et al. 2024).
    #[rhai_fn(name = "timesteps", return_raw)]
    pub fn timesteps(ctx: NativeCallContext, s: &mut Schedule, n: INT, options: Options) -> RhaiResult<Array> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SPACING_KEYS)?;
            Ok(steps(s, count_arg("n", n)?, spacing_of(&o)?)?.into_iter().map(Dynamic::from_float).collect())
        })
    }

    /// The VE / EDM noise levels σ/α of `timesteps(n, options)`, ending in 0 — what samplers take as `sigmas`.
    #[rhai_fn(name = "sigmas", return_raw)]
    pub fn sigmas(ctx: NativeCallContext, s: &mut Schedule, n: INT, options: Options) -> RhaiResult<Array> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, SPACING_KEYS)?;
            Ok(sigma_steps(s, count_arg("n", n)?, spacing_of(&o)?)?.into_iter().map(Dynamic::from_float).collect())
        })
    }

    /// The schedule's name.
    #[rhai_fn(get = "name")]
    pub fn name(s: &mut Schedule) -> String {
        s.name().to_string()
    }

    /// The smallest VE noise level σ/α the schedule trains and samples at (at t_min).
    #[rhai_fn(get = "sigma_min")]
    pub fn sigma_min(s: &mut Schedule) -> FLOAT {
        s.edm_sigma(s.t_min())
    }

    /// The largest VE noise level σ/α the schedule trains and samples at (at t_max): a sampler's
    /// start is x = sigma_max · ε.
    #[rhai_fn(get = "sigma_max")]
    pub fn sigma_max(s: &mut Schedule) -> FLOAT {
        s.edm_sigma(s.t_max())
    }

    /// The schedule and its parameters.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe(s: &mut Schedule) -> String {
        s.describe()
    }

    /// `n` σ values ρ-spaced from sigma_max down to sigma_min, then 0 (Karras et al. 2022, eq. 5).
    #[rhai_fn(return_raw)]
    pub fn karras_sigmas(
        ctx: NativeCallContext,
        n: INT,
        sigma_min: Number,
        sigma_max: Number,
        rho: Number,
    ) -> RhaiResult<Array> {
        guard(&ctx, || {
            let v = karras(
                count_arg("n", n)?,
                number_arg("sigma_min", &sigma_min)?,
                number_arg("sigma_max", &sigma_max)?,
                number_arg("rho", &rho)?,
            )?;
            Ok(v.into_iter().map(Dynamic::from_float).collect())
        })
    }

    /// The denoising loss of `net` on a batch `x0` (a differentiable scalar): random times, fresh noise
    /// (or `noise`, one ε per row), x_t = α x0 + σ ε. Options: pred ("eps"|"x0"|"v"|"score"|"edm"|"flow"),
    /// weighting ("simple": the target's own MSE, "snr", "snr_trunc" = max(SNR, 1), "snr+1", "edm"), times
    /// ("uniform" in [t_min, t_max], "lognormal" ln σ ~ N(p_mean, p_std²), EDM's default, or "logit_normal"
    /// logit t ~ N(logit_mean, logit_std²)). For a class-conditional network (`#{ classes: K }`):
    /// labels (one per row), label_dropout (0; the chance each label becomes the null label K,
    /// 0.1–0.2 for classifier-free guidance, Ho & Salimans 2022).
    #[rhai_fn(return_raw)]
    pub fn diffusion_loss(
        ctx: NativeCallContext,
        net: Network,
        sched: Schedule,
        x0: Tensor,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, LOSS_KEYS)?;
            let pred = Pred::parse(&o.opt_string("pred")?.unwrap_or_else(|| "eps".into()))?;
            let weighting = Weighting::parse(&o.opt_string("weighting")?.unwrap_or_else(|| "simple".into()))?;
            let times = time_sampling(&o, o.opt_string("times")?.as_deref(), &sched)?;
            let eps = given_noise(&o, &x0)?;
            let labels = given_labels(&o)?;
            let labels = labels.as_ref().map(|(labels, dropout)| TrainLabels { labels, dropout: *dropout });
            loss(&net, &sched, &x0, &LossOptions { pred, weighting, times }, eps.as_ref(), labels)
        })
    }

    /// The flow-matching loss (Lipman et al. 2023; Liu et al. 2023): x_t = α x0 + σ ε along the
    /// `interpolant` ("linear": α = 1 − t, σ = t, the `flow_linear()` schedule; "cosine": α = cos(πt/2),
    /// σ = sin(πt/2), `vp_cosine(#{ s: 0.0 })`), the network predicting the velocity u = α' x0 + σ' ε
    /// (ε − x0 for "linear"), its MSE by default (weighting as `diffusion_loss`). Times: t_sampling
    /// ("uniform" on [t_min, t_max], or "logit_normal" with logit_mean 0, logit_std 1 as Esser et al.
    /// 2024). `noise` couples one ε to each row of x0 (reflow). Sample the model with
    /// `denoiser(net, flow_linear(), "flow")`: D(x, σ) at σ = t/(1 − t).
    #[rhai_fn(return_raw)]
    pub fn flow_matching_loss(
        ctx: NativeCallContext,
        net: Network,
        x0: Tensor,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, FLOW_LOSS_KEYS)?;
            let sched = match o.opt_string("interpolant")?.as_deref() {
                None | Some("linear") => Schedule::FlowLinear,
                Some("cosine") => Schedule::vp_cosine(0.0)?,
                Some(other) => crate::bail!("unknown interpolant \"{other}\"; expected \"linear\" or \"cosine\""),
            };
            let weighting = Weighting::parse(&o.opt_string("weighting")?.unwrap_or_else(|| "simple".into()))?;
            let kind = o.opt_string("t_sampling")?;
            let times = time_sampling(&o, Some(kind.as_deref().unwrap_or("uniform")), &sched)?;
            let eps = given_noise(&o, &x0)?;
            let labels = given_labels(&o)?;
            let labels = labels.as_ref().map(|(labels, dropout)| TrainLabels { labels, dropout: *dropout });
            loss(&net, &sched, &x0, &LossOptions { pred: Pred::Flow, weighting, times }, eps.as_ref(), labels)
        })
    }
    #[rhai_fn(name = "flow_matching_loss", return_raw)]
    pub fn flow_matching_loss_default(ctx: NativeCallContext, net: Network, x0: Tensor) -> RhaiResult<Tensor> {
        flow_matching_loss(ctx, net, x0, Map::new())
    }

    /// The linear interpolant of flow matching and rectified flow as a schedule: α = 1 − t, σ = t,
    /// so the VE noise level is t/(1 − t) (trained and sampled for t in [0.001, 0.999]).
    pub fn flow_linear() -> Schedule {
        Schedule::FlowLinear
    }

    #[rhai_fn(name = "diffusion_loss", return_raw)]
    pub fn diffusion_loss_default(
        ctx: NativeCallContext,
        net: Network,
        sched: Schedule,
        x0: Tensor,
    ) -> RhaiResult<Tensor> {
        diffusion_loss(ctx, net, sched, x0, Map::new())
    }

    /// Converts a prediction `out` made at `x` (time t: a number or one per row) from one kind to
    /// another: `convert_pred(out, sched, x, t, #{ from: "eps", to: "x0" })` (eps, x0, v, score, edm, flow).
    #[rhai_fn(return_raw)]
    pub fn convert_pred(
        ctx: NativeCallContext,
        out: Tensor,
        sched: Schedule,
        x: Tensor,
        t: TensorLike,
        options: Options,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, CONVERT_KEYS)?;
            let from = Pred::parse(&o.opt_string("from")?.unwrap_or_else(|| "eps".into()))?;
            let to = Pred::parse(&o.opt_string("to")?.unwrap_or_else(|| "x0".into()))?;
            let n = x.dims().first().copied().unwrap_or(1);
            let ts = times(&t, n)?;
            let a: Vec<f64> = ts.iter().map(|&t| sched.alpha(t)).collect();
            let sg: Vec<f64> = ts.iter().map(|&t| sched.sigma(t)).collect();
            let pre: Vec<EdmPrecond> =
                ts.iter().map(|&t| EdmPrecond::new(sched.edm_sigma(t), sched.sigma_data())).collect();
            let xc = x.candle();
            let c_skip = per_row(&pre.iter().map(|p| p.c_skip).collect::<Vec<_>>(), xc)?;
            let c_out = per_row(&pre.iter().map(|p| p.c_out).collect::<Vec<_>>(), xc)?;
            let (d_alpha, d_sigma) = flow_rates(&sched, &ts, xc)?;
            let extra = |p: Pred| match p {
                Pred::Edm => Some((&c_skip, &c_out)),
                Pred::Flow => Some((&d_alpha, &d_sigma)),
                _ => None,
            };
            let (alpha, sigma) = (per_row(&a, xc)?, per_row(&sg, xc)?);
            let r = convert((from, extra(from)), (to, extra(to)), out.candle(), xc, &alpha, &sigma)?;
            Ok(Tensor::from_candle(r))
        })
    }

    /// EDM's preconditioning at noise level σ: `#{ c_skip, c_out, c_in, c_noise, weight }` (Karras et al. 2022, table 1).
    #[rhai_fn(return_raw)]
    pub fn edm_precond(ctx: NativeCallContext, sigma: Number, sigma_data: Number) -> RhaiResult<Map> {
        guard(&ctx, || {
            let (s, d) = (number_arg("sigma", &sigma)?, number_arg("sigma_data", &sigma_data)?);
            let p = EdmPrecond::new(s, d);
            let pairs: [(&str, FLOAT); 5] = [
                ("c_skip", p.c_skip),
                ("c_out", p.c_out),
                ("c_in", p.c_in),
                ("c_noise", p.c_noise),
                ("weight", EdmPrecond::weight(s, d)),
            ];
            Ok(pairs.into_iter().map(|(k, v)| (k.into(), Dynamic::from_float(v))).collect())
        })
    }
}

/// The module of schedule and loss built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
