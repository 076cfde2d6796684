//! Sampling from scripts: denoisers (wrapped networks, exact mixtures, script
//! functions), `sample(den, #{ method, steps, ... })` over the sampler
//! registry, and the exact mixture quantities.

use crate::diffusion::denoiser::Denoiser;
use crate::diffusion::samplers::{self, ParamValue, Params, Sampler};
use crate::diffusion::timesteps::{
    ays_sigmas, exponential_sigmas, karras_sigmas, polyexponential_sigmas, sigma_steps, vp_sigmas, Spacing,
    SIGMA_SPACINGS,
};
use crate::runtime::convert::{describe, number};
use crate::runtime::error::{from_error, RhaiResult};
use crate::runtime::options::Range;
use crate::tensor::{create, create::Placement, Tensor};
use rhai::plugin::*;
use rhai::{EvalAltResult, FnPtr};
use std::cell::RefCell;
use std::sync::Arc;

/// A denoiser as scripts hold it.
#[derive(Clone)]
pub enum ScriptDenoiser {
    /// A Rust denoiser: a wrapped network or an exact mixture.
    Native(Arc<dyn Denoiser + Send + Sync>),
    /// A script function `|x, sigma| -> x0`.
    Function(FunctionSpec),
}

/// A script function as a denoiser, with what the samplers need to know of it: the shape of
/// one sample (so `sample(den, #{ n })` can draw the start) and the σ range it serves.
#[derive(Clone)]
pub struct FunctionSpec {
    /// The function `|x, sigma| -> x0`.
    pub f: FnPtr,
    /// The shape of one sample, without the batch dimension, when given.
    pub shape: Option<Vec<usize>>,
    /// The lowest and highest σ the default σ lists span.
    pub sigma_range: (f64, f64),
}

/// The option keys of `denoiser(|x, sigma| ..., #{ ... })`.
pub const FUNCTION_KEYS: &[&str] = &["shape", "sigma_min", "sigma_max"];

/// The options of the built-ins in this module, for completion.
pub const OPTIONS: &[(&str, &[&str])] = &[("denoiser", FUNCTION_KEYS)];

/// The σ range of a function denoiser given none: EDM's (Karras et al. 2022, table 1).
const FUNCTION_SIGMA_RANGE: (f64, f64) = (0.002, 80.0);

/// A script function used as a denoiser, for one call into the samplers. A
/// script error inside it is kept whole and reported as it was.
struct FunctionDenoiser<'a> {
    ctx: &'a NativeCallContext<'a>,
    spec: FunctionSpec,
    failure: RefCell<Option<Box<EvalAltResult>>>,
}

impl Denoiser for FunctionDenoiser<'_> {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> crate::Result<Tensor> {
        let s = sigma_value(sigma, x)?;
        match self.spec.f.call_within_context::<Dynamic>(self.ctx, (Dynamic::from(x.clone()), s)) {
            Ok(v) => match v.read_lock::<Tensor>() {
                Some(t) if t.dims() == x.dims() => Ok(t.clone()),
                Some(t) => crate::bail!("the denoiser function returned shape {:?} for input {:?}", t.dims(), x.dims()),
                None => crate::bail!("the denoiser function must return a tensor, it returned {}", describe(&v)),
            },
            Err(e) => {
                let interrupted = matches!(*e, EvalAltResult::ErrorTerminated(..));
                *self.failure.borrow_mut() = Some(e);
                Err(if interrupted {
                    crate::Error::interrupted()
                } else {
                    crate::Error::new("the denoiser function failed")
                })
            }
        }
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        self.spec.shape.clone()
    }

    fn sigma_range(&self) -> (f64, f64) {
        self.spec.sigma_range
    }
}

/// σ for a script function: a number, or a `[N]` tensor when rows differ.
fn sigma_value(sigma: &[f64], x: &Tensor) -> crate::Result<Dynamic> {
    if sigma.len() == 1 {
        return Ok(Dynamic::from_float(sigma[0]));
    }
    let at = Placement { dtype: x.dtype(), device: x.device().clone() };
    Ok(Dynamic::from(create::from_f64(sigma.to_vec(), &[sigma.len()], &at)?))
}

/// σ from a script value: a number, or one per row from a tensor or an array.
pub fn sigma_arg(v: &Dynamic) -> crate::Result<Vec<f64>> {
    if let Ok(x) = number(v) {
        return Ok(vec![x]);
    }
    if let Some(t) = v.read_lock::<Tensor>() {
        return t.to_f64_vec();
    }
    if let Ok(a) = v.as_array_ref() {
        return a.iter().map(number).collect();
    }
    crate::bail!("sigma must be a number, a tensor or an array of numbers, got {}", describe(v))
}

/// Options `sample` reads itself; everything else goes to the method.
pub const COMMON: &[&str] = &[
    "method",
    "steps",
    "nfe",
    "n",
    "x",
    "z",
    "sigmas",
    "sigma_min",
    "sigma_max",
    "rho",
    "spacing",
    "ays",
    "noise",
    "callback",
    "trajectory",
    "check_finite",
    "dtype",
    "device",
];

/// A sampler's own options as a script wrote them (numbers, flags and words), to be checked
/// against the sampler's declared options when it runs.
pub fn method_params(options: &rhai::Map) -> Params {
    let mut params = Params::new();
    for (k, v) in options {
        if let Ok(x) = v.as_float().or_else(|_| v.as_int().map(|i| i as f64)) {
            params.set(k, ParamValue::Number(x));
        } else if let Ok(b) = v.as_bool() {
            params.set(k, ParamValue::Flag(b));
        } else {
            params.set(k, ParamValue::Text(v.to_string()));
        }
    }
    params
}

/// A sampler's options as a script map: the inverse of [`method_params`].
pub fn params_map(params: &Params) -> rhai::Map {
    params
        .entries()
        .map(|(k, v)| {
            let value = match v {
                ParamValue::Number(x) => Dynamic::from_float(*x),
                ParamValue::Flag(b) => Dynamic::from_bool(*b),
                ParamValue::Text(t) => Dynamic::from(t.clone()),
            };
            (k.into(), value)
        })
        .collect()
}

/// Refuses an option key of `sample` that neither `sample` itself nor any sampler takes,
/// suggesting the closest of those `sampler` accepts. (A key of another sampler is left to
/// the sampler's own check, which names the method.)
fn check_keys(sampler: &Sampler, own_keys: &[String]) -> crate::Result<()> {
    let anywhere = |k: &str| samplers::SAMPLERS.iter().any(|s| s.options.iter().any(|o| o.key == k));
    match own_keys.iter().find(|k| !anywhere(k)) {
        None => Ok(()),
        Some(key) => {
            let accepted: Vec<&str> = COMMON.iter().copied().chain(sampler.options.iter().map(|o| o.key)).collect();
            Err(crate::Error::new(crate::suggest::unknown_option(key, &accepted)))
        }
    }
}

/// Runs `f` with the Rust denoiser behind `den`, reporting a script function's own error if it failed.
pub fn with_denoiser<T>(
    ctx: &NativeCallContext,
    den: &ScriptDenoiser,
    f: impl FnOnce(&dyn Denoiser) -> crate::Result<T>,
) -> RhaiResult<T> {
    let label = crate::runtime::error::builtin_label(ctx.fn_name());
    let pos = ctx.call_position();
    let _entered = crate::runtime::call_context::enter(ctx);
    match den {
        ScriptDenoiser::Native(d) => crate::runtime::error::catch_panics(|| f(d.as_ref()))
            .map_err(|p| {
                crate::runtime::error::script_error(
                    format!("{label}: internal error (a bug in difflab; please report it): {p}"),
                    pos,
                )
            })?
            .map_err(|e| from_error(&label, e, pos)),
        ScriptDenoiser::Function(spec) => {
            let adapter = FunctionDenoiser { ctx, spec: spec.clone(), failure: RefCell::new(None) };
            let result = f(&adapter);
            if let Some(original) = adapter.failure.into_inner() {
                return Err(original);
            }
            result.map_err(|e| from_error(&label, e, pos))
        }
    }
}

/// The σ lists of a `sample` call that gives one list per row: `sigmas` as an array of arrays
/// or an `[N, steps + 1]` tensor. `None` for one list (or none) for all rows.
fn row_sigma_lists(o: &crate::runtime::options::CheckedOptions) -> crate::Result<Option<Vec<Vec<f64>>>> {
    let Some(v) = o.opt_value("sigmas") else { return Ok(None) };
    if let Some(t) = v.read_lock::<Tensor>() {
        if t.rank() != 2 {
            crate::bail!("option `sigmas` as a tensor must be [rows, steps + 1], one list per row; got shape {:?} (give one list as an array)", t.dims());
        }
        let width = t.dims()[1];
        let flat = t.to_f64_vec()?;
        return Ok(Some(flat.chunks(width.max(1)).map(<[f64]>::to_vec).collect()));
    }
    let Some(list) = v.read_lock::<rhai::Array>() else { return Ok(None) };
    if !list.first().is_some_and(|first| first.is_array()) {
        return Ok(None);
    }
    list.iter()
        .enumerate()
        .map(|(r, row)| {
            let Some(row) = row.read_lock::<rhai::Array>() else {
                crate::bail!(
                    "option `sigmas`: entry {r} is not a list, but entry 0 is (give one list per row, or one list)"
                );
            };
            row.iter()
                .map(number)
                .collect::<crate::Result<Vec<f64>>>()
                .map_err(|e| e.context(format!("option `sigmas`, row {r}")))
        })
        .collect::<crate::Result<Vec<_>>>()
        .map(Some)
}

/// Samples with one σ list per row (see [`samplers::sample_per_row`]): the start is `x` or
/// noise at each row's first level; a callback, a trajectory or given noise need one list.
fn sample_rows(
    o: &crate::runtime::options::CheckedOptions,
    den: &dyn Denoiser,
    method: &str,
    lists: &[Vec<f64>],
    params: &Params,
) -> crate::Result<(Tensor, samplers::Record)> {
    for key in
        ["callback", "trajectory", "noise", "z", "steps", "nfe", "spacing", "sigma_min", "sigma_max", "rho", "ays"]
    {
        if o.opt_value(key).is_some() {
            crate::bail!("option `{key}` needs one sigma list for all rows, but `sigmas` gives one per row");
        }
    }
    let x = match o.opt_value("x") {
        Some(v) => float_start(&v, "x")?,
        None => {
            let n = o.usize_or("n", lists.len())?;
            if n != lists.len() {
                crate::bail!("option `n` is {n}, but `sigmas` gives {} lists, one per row", lists.len());
            }
            let Some(shape) = den.example_shape() else {
                crate::bail!("this denoiser does not know its data shape: give the starting `x`");
            };
            let mut dims = vec![n];
            dims.extend(shape);
            let z = create::randn(&dims, &o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?)?;
            let first: Vec<f64> = lists.iter().map(|l| l.first().copied().unwrap_or(0.0)).collect();
            Tensor::from_candle(
                z.candle().broadcast_mul(&crate::diffusion::parameterization::per_row(&first, z.candle())?)?,
            )
        }
    };
    let mut run = samplers::Run::new(den, samplers::Noise::Random, None, false);
    if !o.bool_or("check_finite", true)? {
        run = run.without_finite_check();
    }
    let out = samplers::sample_per_row(method, &mut run, x, lists, params)?;
    Ok((out, run.record))
}

/// The start given as option `key` (`x` or `z`): a tensor, number or nested array, of a
/// float dtype (an integer start would be sampled in integer arithmetic).
fn float_start(v: &Dynamic, key: &str) -> crate::Result<Tensor> {
    let t = crate::runtime::convert::tensor_like(v, None).map_err(|e| e.context(format!("option `{key}`")))?;
    if !t.is_float() {
        crate::bail!(
            "option `{key}` must be a float tensor (the sampler's start), got {} values",
            crate::tensor::dtype::dtype_name(t.dtype())
        );
    }
    Ok(t)
}

/// Whether the warning of [`warn_if_unit_noise`] was printed (once a process).
static WARNED_UNIT_NOISE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Warns, once, when a start `x` looks like unit noise while the first level is large: `x` is
/// the state at sigmas[0], so `randn` there starts the sampler far too close to the data.
fn warn_if_unit_noise(x: &Tensor, sigma_max: f64) -> crate::Result<()> {
    use std::sync::atomic::Ordering;
    if sigma_max < 4.0 || x.numel() < 2 || WARNED_UNIT_NOISE.load(Ordering::Relaxed) {
        return Ok(());
    }
    // on the tensor's device, reading back one number
    let flat = x.candle().flatten_all()?.to_dtype(candle_core::DType::F64)?;
    let std = flat.broadcast_sub(&flat.mean_all()?)?.sqr()?.mean_all()?.to_scalar::<f64>()?.sqrt();
    if std < sigma_max / 4.0 && !WARNED_UNIT_NOISE.swap(true, Ordering::Relaxed) {
        crate::runtime::output::eprint(&format!(
            "sample: warning: `x` has standard deviation {} but sigmas[0] = {}: `x` is the state at sigmas[0] \
             (noise already scaled by it); for unit noise give `z` instead (the start becomes z · sigmas[0])\n",
            crate::number_text::short(std),
            crate::number_text::short(sigma_max)
        ));
    }
    Ok(())
}

/// What an NFE budget needs to know of a `sample` call besides the budget: the sampler, its
/// options and the dimension of one sample (for rules that take it from the data).
struct BudgetFor<'a> {
    sampler: &'static Sampler,
    params: &'a Params,
    dim: Option<usize>,
}

/// The σ list of a `sample` call: given, or Karras / a schedule's spacing over the denoiser's
/// range for `steps` steps, or for the most steps whose NFE fits the budget `nfe`.
fn sigma_list(
    o: &crate::runtime::options::CheckedOptions,
    den: &dyn Denoiser,
    budget_for: &BudgetFor,
) -> crate::Result<Vec<f64>> {
    if let Some(list) = o.opt_array("sigmas")? {
        if o.opt_value("nfe").is_some() {
            crate::bail!("`sigmas` fixes the steps: give `sigmas` or an NFE budget `nfe`, not both");
        }
        let sigmas =
            list.iter().map(number).collect::<crate::Result<Vec<f64>>>().map_err(|e| e.context("option `sigmas`"))?;
        crate::diffusion::samplers::check_step_sigmas(&sigmas)?;
        return Ok(sigmas);
    }
    if o.opt_value("nfe").is_none() {
        return sigma_list_of(o, den, o.count_in("steps", 20, 1..=crate::diffusion::timesteps::MAX_STEPS)?);
    }
    if o.opt_value("steps").is_some() {
        crate::bail!("give `steps` or an NFE budget `nfe`, not both");
    }
    let budget = o.count_in("nfe", 1, 1..=crate::diffusion::timesteps::MAX_STEPS)?;
    // the rules count a last step into σ = 0 apart: see whether this spacing ends there
    let ends_at_zero = sigma_list_of(o, den, 2)?.last() == Some(&0.0);
    let BudgetFor { sampler, params, dim } = *budget_for;
    let steps = samplers::nfe::steps_for(sampler, budget, params, ends_at_zero, dim)?;
    sigma_list_of(o, den, steps)
}

/// The σ list of a `sample` call for `steps` steps: Karras / a schedule's spacing over the
/// denoiser's range.
pub(super) fn sigma_list_of(
    o: &crate::runtime::options::CheckedOptions,
    den: &dyn Denoiser,
    steps: usize,
) -> crate::Result<Vec<f64>> {
    let sched = den.schedule();
    let spacing = o.opt_string("spacing")?.unwrap_or_else(|| "karras".into());
    if let Some(list) = den.own_spacing(steps, &spacing) {
        return list;
    }
    if spacing != "ays" && o.opt_value("ays").is_some() {
        crate::bail!("option `ays` names an Align Your Steps list: it needs spacing \"ays\", got \"{spacing}\"");
    }
    if !SIGMA_SPACINGS.contains(&spacing.as_str()) {
        let parsed = Spacing::parse(&spacing)?;
        let Some(s) = sched else {
            crate::bail!("spacing \"{spacing}\" needs a schedule: wrap a network with denoiser(net, sched, pred)")
        };
        return sigma_steps(s, steps, parsed);
    }
    if spacing == "vp" {
        return vp_sigmas(steps);
    }
    if spacing == "ays" {
        if o.opt_value("sigma_min").is_some() || o.opt_value("sigma_max").is_some() {
            crate::bail!("spacing \"ays\" is a published list of levels: drop sigma_min/sigma_max, or give `sigmas`")
        }
        return ays_sigmas(steps, &o.opt_string("ays")?.unwrap_or_else(|| "sd1".into()));
    }
    let (lo, hi) = den.sigma_range();
    let lo = o.f64_in("sigma_min", lo, Range::Positive)?;
    let hi = o.f64_in("sigma_max", hi, Range::Positive)?;
    match spacing.as_str() {
        "exponential" => exponential_sigmas(steps, lo, hi),
        "polyexponential" => polyexponential_sigmas(steps, lo, hi, o.f64_in("rho", 1.0, Range::Positive)?),
        _ => karras_sigmas(steps, lo, hi, o.f64_in("rho", 7.0, Range::Positive)?),
    }
}

#[export_module]
mod api {
    use super::{check_keys, method_params, sigma_arg, sigma_list, with_denoiser, ScriptDenoiser, COMMON};
    use crate::diffusion::denoiser::NetworkDenoiser;
    use crate::diffusion::mixture::Mixture;
    use crate::diffusion::parameterization::Pred;
    use crate::diffusion::samplers::{self, Noise, Run, StepInfo};
    use crate::diffusion::schedule::Schedule;
    use crate::nn::network::Network;
    use crate::runtime::api::{DenoiserLike, Options, TensorLike};
    use crate::runtime::convert::{describe, tensors};
    use crate::runtime::error::{guard, RhaiResult};
    use crate::runtime::options;
    use crate::tensor::{create, Tensor};
    use rhai::{Array, FnPtr, Map, FLOAT, INT};
    use std::sync::Arc;

    /// Wraps a trained network as a denoiser D(x, σ): `denoiser(net, sched, "eps")`. The prediction is
    /// "eps", "x0", "v", "score", "flow" or "edm"; VP schedules are handled by rescaling x to α x.
    /// With "edm" the network is EDM's F and D = c_skip x + c_out F(c_in x, c_noise) (Karras et
    /// al. 2022, table 1, from the schedule's sigma_data); a network with `time_embed: "log_sigma"`
    /// gets σ and embeds c_noise = ln(σ)/4 itself (see `help("edm")`).
    #[rhai_fn(name = "denoiser", return_raw)]
    pub fn from_network(
        ctx: NativeCallContext,
        net: Network,
        sched: Schedule,
        pred: &str,
    ) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || {
            let pred = Pred::parse(pred)?;
            if let Some(line) = crate::diffusion::saved::mismatch(&net, &sched, pred) {
                crate::runtime::output::eprint(&format!("denoiser: warning: {line}\n"));
            }
            Ok(ScriptDenoiser::Native(Arc::new(NetworkDenoiser::new(net, sched, pred)?)))
        })
    }

    /// A script function `|x, sigma| -> x0` as a denoiser (sigma is a number, or a tensor when
    /// rows differ). It knows no data shape, so `sample` needs the start `x`; give the shape
    /// with `denoiser(f, #{ shape: [2] })` to sample with `n`.
    #[rhai_fn(name = "denoiser")]
    pub fn from_function(f: FnPtr) -> ScriptDenoiser {
        ScriptDenoiser::Function(super::FunctionSpec { f, shape: None, sigma_range: super::FUNCTION_SIGMA_RANGE })
    }

    /// A script function `|x, sigma| -> x0` as a denoiser that knows its data:
    /// `denoiser(|x, s| x / (1.0 + s * s), #{ shape: [2], sigma_min: 0.002, sigma_max: 80.0 })`.
    /// shape (one sample's shape, so `sample(den, #{ n })` draws the start), sigma_min and
    /// sigma_max (the range the default σ lists span; 0.002 and 80, EDM's).
    #[rhai_fn(name = "denoiser", return_raw)]
    pub fn from_function_with(ctx: NativeCallContext, f: FnPtr, options: Options) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || {
            let o = options::CheckedOptions::new(options, super::FUNCTION_KEYS)?;
            let shape = match o.opt_array("shape")? {
                Some(dims) => Some(crate::runtime::convert::shape(&dims).map_err(|e| e.context("option `shape`"))?),
                None => None,
            };
            let (lo, hi) = super::FUNCTION_SIGMA_RANGE;
            let lo = o.f64_in("sigma_min", lo, options::Range::Positive)?;
            let hi = o.f64_in("sigma_max", hi, options::Range::Positive)?;
            if lo >= hi {
                crate::bail!("sigma_min ({lo}) must be below sigma_max ({hi})");
            }
            Ok(ScriptDenoiser::Function(super::FunctionSpec { f, shape, sigma_range: (lo, hi) }))
        })
    }

    /// The exact denoiser of the mixture: the posterior mean E[x0 | x] under noise σ.
    #[rhai_fn(name = "denoiser")]
    pub fn from_mixture(mix: &mut Mixture) -> ScriptDenoiser {
        ScriptDenoiser::Native(Arc::new(mix.clone()))
    }

    /// The exact denoiser of one Gaussian N(mean, std² I): `gaussian_denoiser([0.0, 0.0], 1.0)`.
    #[rhai_fn(return_raw)]
    pub fn gaussian_denoiser(ctx: NativeCallContext, mean: TensorLike, std: FLOAT) -> RhaiResult<ScriptDenoiser> {
        guard(&ctx, || {
            let m = crate::runtime::convert::tensor_like(&mean, None)?.to_f64_vec()?;
            Ok(ScriptDenoiser::Native(Arc::new(Mixture::new(vec![m], vec![std], vec![1.0])?)))
        })
    }

    /// D(x, σ): the denoised estimate of a batch `x` at noise level σ (a number or one per row).
    #[rhai_fn(name = "denoise", return_raw)]
    pub fn denoise(ctx: NativeCallContext, den: &mut ScriptDenoiser, x: Tensor, sigma: Dynamic) -> RhaiResult<Tensor> {
        let s = guard(&ctx, || sigma_arg(&sigma))?;
        with_denoiser(&ctx, den, |d| d.denoise(&x, &s))
    }

    /// The score ∇ log p_σ(x) = (D(x, σ) − x)/σ² (exact for mixtures, also at σ = 0).
    #[rhai_fn(name = "score", return_raw)]
    pub fn score(ctx: NativeCallContext, den: &mut ScriptDenoiser, x: Tensor, sigma: Dynamic) -> RhaiResult<Tensor> {
        let s = guard(&ctx, || sigma_arg(&sigma))?;
        with_denoiser(&ctx, den, |d| d.score(&x, &s))
    }

    /// The exact posterior mean of the mixture at noise σ (a number or one per row).
    #[rhai_fn(name = "denoise", return_raw)]
    pub fn mixture_denoise(ctx: NativeCallContext, mix: &mut Mixture, x: Tensor, sigma: Dynamic) -> RhaiResult<Tensor> {
        guard(&ctx, || mix.posterior_mean(&x, &sigma_arg(&sigma)?))
    }

    /// The exact score of the mixture under noise σ: Σ_k r_k (μ_k − x)/(s_k² + σ²).
    #[rhai_fn(name = "score", return_raw)]
    pub fn mixture_score(ctx: NativeCallContext, mix: &mut Mixture, x: Tensor, sigma: Dynamic) -> RhaiResult<Tensor> {
        guard(&ctx, || mix.score_exact(&x, &sigma_arg(&sigma)?))
    }

    /// The exact log-density log p_σ(x) per row.
    #[rhai_fn(name = "log_prob", return_raw)]
    pub fn log_prob(ctx: NativeCallContext, mix: &mut Mixture, x: Tensor, sigma: Dynamic) -> RhaiResult<Tensor> {
        guard(&ctx, || mix.log_prob(&x, &sigma_arg(&sigma)?))
    }

    /// p(σ_j | x) `[N, M]` over a grid of levels (an array or tensor) with equal prior mass per level
    /// (density ∝ 1/σ on a geometric grid), the posterior Denoising MCMC samples σ from.
    #[rhai_fn(name = "noise_posterior", return_raw)]
    pub fn noise_posterior(
        ctx: NativeCallContext,
        mix: &mut Mixture,
        x: Tensor,
        levels: Dynamic,
    ) -> RhaiResult<Tensor> {
        guard(&ctx, || Ok(Tensor::from_candle(mix.noise_log_posterior(&x, &sigma_arg(&levels)?)?.candle().exp()?)))
    }

    /// Draws samples: `sample(den, #{ method: "heun", steps: 10, n: 4000 })`. Common options: method
    /// ("heun"), steps (20), nfe (an NFE budget in place of steps: the most steps whose NFE fits,
    /// see `steps_for`; adaptive methods refuse it), n (draw the start: noise at sigmas[0]), x (the start as given: the state
    /// at sigmas[0], noise already scaled by sigmas[0], not unit noise) or z (unit noise: the start
    /// is z · sigmas[0]), sigmas (a decreasing list; or
    /// one list per row, as an array of lists or an [N, steps + 1] tensor, run in one batched
    /// denoiser call per round), or
    /// sigma_min/sigma_max/rho with spacing "karras" (the default; ρ = 7), "exponential",
    /// "polyexponential" (ρ = 1) or "vp" (k-diffusion's σ lists over the denoiser's range), "ays"
    /// (Align Your Steps' published list `ays`: "sd1" (default), "sdxl" or "svd", interpolated
    /// in log σ to `steps`; for those models' σ ranges), or a
    /// schedule's spacing ("uniform", "logsnr", "quadratic", "leading", "trailing"), noise (the draws of a stochastic
    /// method, in its documented order), callback (|info| with i, sigma, x, denoised), trajectory
    /// (keep every state), check_finite (true: a step that makes NaN or infinite values is an
    /// error naming it), dtype, device; plus the method's own options. Returns
    /// `#{ x, nfe, steps, rounds, sigmas }` (and `trajectory`, `denoised` when asked).
    #[rhai_fn(return_raw)]
    pub fn sample(ctx: NativeCallContext, den: DenoiserLike, options: Options) -> RhaiResult<Map> {
        let den = match den.read_lock::<ScriptDenoiser>().map(|d| d.clone()) {
            Some(d) => d,
            None => match den.read_lock::<Mixture>() {
                Some(m) => ScriptDenoiser::Native(Arc::new(m.clone())),
                None => {
                    let got = describe(&den);
                    return guard(&ctx, || {
                        crate::bail!("the first argument must be a denoiser (denoiser(net, sched, pred), mix.denoiser(), denoiser(|x, sigma| ...)) or a mixture, got {got}")
                    });
                }
            },
        };
        let mut common = Map::new();
        let mut own = Map::new();
        for (k, v) in options {
            if COMMON.contains(&k.as_str()) {
                common.insert(k, v);
            } else {
                own.insert(k, v);
            }
        }
        let own_keys: Vec<String> = own.keys().map(|k| k.to_string()).collect();
        let method_params = method_params(&own);
        let o = guard(&ctx, || options::CheckedOptions::new(common, COMMON))?;
        let method = guard(&ctx, || Ok(o.opt_string("method")?.unwrap_or_else(|| "heun".into())))?;
        guard(&ctx, || check_keys(samplers::find(&method)?, &own_keys))?;
        let callback = guard(&ctx, || Ok(o.opt_value("callback")))?
            .map(|v| v.try_cast::<FnPtr>().ok_or_else(|| crate::Error::new("option `callback` must be a function")))
            .transpose()
            .map_err(|e| crate::runtime::error::from_error("sample", e, ctx.call_position()))?;
        let trajectory = guard(&ctx, || o.bool_or("trajectory", false))?;
        let check_finite = guard(&ctx, || o.bool_or("check_finite", true))?;
        let noise = guard(&ctx, || match o.opt_array("noise")? {
            Some(list) => Ok(Noise::Given(tensors(&list)?.into())),
            None => Ok(Noise::Random),
        })?;
        let callback_failure: std::cell::RefCell<Option<Box<rhai::EvalAltResult>>> = std::cell::RefCell::new(None);
        let result = with_denoiser(&ctx, &den, |d| {
            if let Some(lists) = row_sigma_lists(&o)? {
                let (out, record) = sample_rows(&o, d, &method, &lists, &method_params)?;
                let rows =
                    lists.into_iter().map(|l| Dynamic::from_array(l.into_iter().map(Dynamic::from_float).collect()));
                return Ok((out, record, Dynamic::from_array(rows.collect())));
            }
            let dim = match o.opt_value("x").or_else(|| o.opt_value("z")) {
                Some(v) => v.read_lock::<Tensor>().map(|t| t.numel() / t.dims().first().copied().unwrap_or(1).max(1)),
                None => d.example_shape().map(|s| s.iter().product()),
            };
            let budget_for = super::BudgetFor { sampler: samplers::find(&method)?, params: &method_params, dim };
            let sigmas = sigma_list(&o, d, &budget_for)?;
            let x = match (o.opt_value("x"), o.opt_value("z")) {
                (Some(_), Some(_)) => {
                    crate::bail!("give the start as `x` (at sigmas[0]) or as `z` (unit noise), not both")
                }
                (Some(v), None) => {
                    let x = super::float_start(&v, "x")?;
                    super::warn_if_unit_noise(&x, sigmas[0])?;
                    x
                }
                (None, Some(v)) => {
                    let z = super::float_start(&v, "z")?;
                    Tensor::from_candle((z.candle() * sigmas[0])?)
                }
                (None, None) => {
                    let n = o.usize_or("n", 1000)?;
                    let Some(shape) = d.example_shape() else {
                        crate::bail!("this denoiser does not know its data shape: give the starting `x`");
                    };
                    let mut dims = vec![n];
                    dims.extend(shape);
                    let at = o.placement(crate::tensor::dtype::DEFAULT_FLOAT)?;
                    let z = create::randn(&dims, &at)?;
                    Tensor::from_candle((z.candle() * sigmas[0])?)
                }
            };
            let mut report = |info: &StepInfo| -> crate::Result<()> {
                let Some(f) = &callback else { return Ok(()) };
                let mut m = Map::new();
                m.insert("i".into(), Dynamic::from_int(info.i as INT));
                m.insert("sigma".into(), Dynamic::from_float(info.sigma));
                m.insert("sigma_next".into(), Dynamic::from_float(info.sigma_next));
                m.insert("x".into(), Dynamic::from(info.x.clone()));
                m.insert("denoised".into(), Dynamic::from(info.denoised.clone()));
                match f.call_within_context::<Dynamic>(&ctx, (Dynamic::from_map(m),)) {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let interrupted = matches!(*e, rhai::EvalAltResult::ErrorTerminated(..));
                        *callback_failure.borrow_mut() = Some(e);
                        Err(if interrupted {
                            crate::Error::interrupted()
                        } else {
                            crate::Error::new("the callback failed")
                        })
                    }
                }
            };
            let cb: Option<samplers::Callback> = if callback.is_some() { Some(&mut report) } else { None };
            let mut run = Run::new(d, noise, cb, trajectory);
            if !check_finite {
                run = run.without_finite_check();
            }
            let out = samplers::sample(&method, &mut run, x, &sigmas, &method_params)?;
            Ok((out, run.record, Dynamic::from_array(sigmas.into_iter().map(Dynamic::from_float).collect())))
        });
        if let Some(original) = callback_failure.into_inner() {
            return Err(original);
        }
        let (x, record, sigmas) = result?;
        let mut m = Map::new();
        m.insert("x".into(), Dynamic::from(x));
        m.insert("nfe".into(), Dynamic::from_int(record.nfe as INT));
        m.insert("steps".into(), Dynamic::from_int(record.steps as INT));
        m.insert("rounds".into(), Dynamic::from_int(record.rounds as INT));
        m.insert("sigmas".into(), sigmas);
        if let Some(t) = record.trajectory {
            m.insert("trajectory".into(), Dynamic::from_array(t.into_iter().map(Dynamic::from).collect()));
        }
        if let Some(d) = record.denoised {
            m.insert("denoised".into(), Dynamic::from_array(d.into_iter().map(Dynamic::from).collect()));
        }
        Ok(m)
    }

    /// The names of the registered samplers.
    pub fn samplers() -> Array {
        samplers::SAMPLERS.iter().map(|s| Dynamic::from(s.name.to_string())).collect()
    }

    /// What the registry knows of one sampler: `#{ name, summary, stochastic, options, nfe, adaptive }`,
    /// where `options` maps each of its own option keys to its default, `stochastic` says whether
    /// it takes a `noise` list, `nfe` is its evaluations as a rule in `steps` ("2·steps − 1") and
    /// `adaptive` whether it chooses its own steps (and so refuses an NFE budget).
    #[rhai_fn(return_raw)]
    pub fn sampler_info(ctx: NativeCallContext, name: &str) -> RhaiResult<Map> {
        let s = guard(&ctx, || samplers::find(name))?;
        let mut options = Map::new();
        for o in s.options {
            let default = match o.default {
                samplers::OptionDefault::Number(v) => Dynamic::from_float(v),
                samplers::OptionDefault::Count(n) => Dynamic::from_int(n as INT),
                samplers::OptionDefault::Choice(words) => Dynamic::from(words[0].to_string()),
            };
            options.insert(o.key.into(), default);
        }
        let mut m = Map::new();
        m.insert("name".into(), Dynamic::from(s.name.to_string()));
        m.insert("summary".into(), Dynamic::from(s.summary.to_string()));
        m.insert("stochastic".into(), Dynamic::from_bool(s.stochastic));
        m.insert("nfe".into(), Dynamic::from(s.cost.rule().to_string()));
        m.insert("adaptive".into(), Dynamic::from_bool(matches!(s.cost, samplers::nfe::Cost::Adaptive(_))));
        m.insert("options".into(), Dynamic::from_map(options));
        Ok(m)
    }

    /// The NFE (denoiser evaluations) `method` spends on `steps` steps of a σ list that ends at 0,
    /// as every spacing's does: `nfe_of("heun", 10)` is 19 (its last step is an Euler step).
    #[rhai_fn(name = "nfe_of", return_raw)]
    pub fn nfe_of(ctx: NativeCallContext, method: &str, steps: INT) -> RhaiResult<INT> {
        nfe_of_with(ctx, method, steps, Map::new())
    }

    /// The NFE of `method` on `steps` steps with its options: `nfe_of("pc", 10, #{ corrector_steps: 2 })`
    /// is 30; `dim` (the values in one sample) serves rm_parallel's plan "dimension".
    #[rhai_fn(name = "nfe_of", return_raw)]
    pub fn nfe_of_with(ctx: NativeCallContext, method: &str, steps: INT, options: Map) -> RhaiResult<INT> {
        guard(&ctx, || {
            let (sampler, params, dim) = super::budget_query(method, options)?;
            let steps = super::at_least_one("steps", steps)?;
            Ok(samplers::nfe::nfe_of(sampler, steps, &params, true, dim)? as INT)
        })
    }

    /// The most steps of `method` whose NFE fits in `nfe`, on a σ list that ends at 0:
    /// `steps_for("heun", 8)` is 4 (7 evaluations). What `sample(den, #{ method, nfe })` runs.
    #[rhai_fn(name = "steps_for", return_raw)]
    pub fn steps_for(ctx: NativeCallContext, method: &str, nfe: INT) -> RhaiResult<INT> {
        steps_for_with(ctx, method, nfe, Map::new())
    }

    /// The most steps of `method` with its options whose NFE fits in `nfe`:
    /// `steps_for("pc", 30, #{ corrector_steps: 2 })` is 10.
    #[rhai_fn(name = "steps_for", return_raw)]
    pub fn steps_for_with(ctx: NativeCallContext, method: &str, nfe: INT, options: Map) -> RhaiResult<INT> {
        guard(&ctx, || {
            let (sampler, params, dim) = super::budget_query(method, options)?;
            let nfe = super::at_least_one("nfe", nfe)?;
            Ok(samplers::nfe::steps_for(sampler, nfe, &params, true, dim)? as INT)
        })
    }

    /// A summary of the denoiser.
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn describe_denoiser(den: &mut ScriptDenoiser) -> String {
        match den {
            ScriptDenoiser::Native(d) => {
                let (lo, hi) = d.sigma_range();
                let shown = crate::number_text::short;
                format!("denoiser over σ ∈ [{}, {}]", shown(lo), shown(hi))
            }
            ScriptDenoiser::Function(spec) => {
                let shown = crate::number_text::short;
                let (lo, hi) = spec.sigma_range;
                let shape = spec.shape.as_ref().map(|s| format!(", samples of shape {s:?}")).unwrap_or_default();
                let from = if spec.f.is_anonymous() { "a closure".to_string() } else { spec.f.fn_name().to_string() };
                format!("denoiser from {from} over σ ∈ [{}, {}]{shape}", shown(lo), shown(hi))
            }
        }
    }
}

/// A step count or budget of `nfe_of` / `steps_for`: from 1 to the most steps a list may have.
fn at_least_one(name: &str, v: rhai::INT) -> crate::Result<usize> {
    let max = crate::diffusion::timesteps::MAX_STEPS;
    match usize::try_from(v) {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => crate::bail!("`{name}` must be an integer from 1 to {max}, got {v}"),
    }
}

/// The sampler, its options and the `dim` of an `nfe_of` / `steps_for` call.
fn budget_query(method: &str, mut options: rhai::Map) -> crate::Result<(&'static Sampler, Params, Option<usize>)> {
    let sampler = samplers::find(method)?;
    let dim = match options.remove("dim") {
        Some(v) => match v.as_int() {
            Ok(d) if d >= 1 => Some(d as usize),
            _ => crate::bail!("option `dim` must be an integer >= 1 (the values in one sample), got {}", describe(&v)),
        },
        None => None,
    };
    Ok((sampler, method_params(&options), dim))
}

/// The module of sampling built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
