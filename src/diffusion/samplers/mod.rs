//! Samplers, one function each in the spirit of k-diffusion's `sampling.py`:
//! `fn(run, x, sigmas, params) -> x0`, where `x` starts at `sigmas[0]` noise,
//! `sigmas` decrease to (usually) 0, and `run` carries the denoiser, the
//! noise source, the callback, the trajectory and the NFE count. All work in
//! VE/EDM coordinates (`x = x0 + σ ε`); VP methods convert internally.

mod churn;
mod ddim;
mod ddpm;
mod deis;
mod dpm_2;
mod dpm_2_ancestral;
mod dpm_adaptive;
mod dpm_fast;
mod dpm_solver;
mod dpmpp_2m;
mod dpmpp_2m_sde;
mod dpmpp_2s_ancestral;
mod dpmpp_3m_sde;
mod dpmpp_sde;
mod draw;
mod edm_stochastic;
mod euler;
mod euler_ancestral;
mod euler_maruyama;
mod heun;
mod ipndm;
mod lms;
pub mod nfe;
pub mod ou;
mod params;
mod pc;
mod per_row;
mod plms;
mod pndm;
mod rk45;
mod rm;
mod rm_parallel;
mod run;
mod shortcut;
mod ulmc;
mod unipc;

pub use draw::{draw, Drawn};
pub use params::{OptionDefault, OptionSpec, ParamValue, Params};
pub use run::{Callback, Noise, Record, Run, StepInfo};

use crate::error::Result;
use crate::tensor::Tensor;

/// A sampler in the registry: everything about it that scripts, `help` and completion see,
/// declared once, in the sampler's own file.
pub struct Sampler {
    /// The name scripts use.
    pub name: &'static str,
    /// One line: what it is and where it comes from.
    pub summary: &'static str,
    /// Its own options, with their defaults.
    pub options: &'static [OptionSpec],
    /// Whether it draws Gaussian noise (and so can take a `noise` list).
    pub stochastic: bool,
    /// How many denoiser evaluations its steps spend.
    pub cost: nfe::Cost,
    /// The function, called with every option resolved.
    run: fn(&mut Run, Tensor, &[f64], &Params) -> Result<Tensor>,
}

impl Sampler {
    /// `params` checked against the sampler's options and completed with their defaults; a
    /// `noise` list given to a deterministic sampler is refused.
    fn prepare(&self, run: &Run, params: &Params) -> Result<Params> {
        if run.has_given_noise() && !self.stochastic {
            crate::bail!("method \"{}\" is deterministic and draws no noise: drop the `noise` option", self.name);
        }
        params.resolve(self.name, self.options)
    }

    /// Runs the sampler from `x` along `sigmas` with `params` (checked and completed as in
    /// [`sample`], which also reports progress).
    pub fn call(&self, run: &mut Run, x: Tensor, sigmas: &[f64], params: &Params) -> Result<Tensor> {
        let params = self.prepare(run, params)?;
        (self.run)(run, x, sigmas, &params)
    }

    /// Runs the sampler with its own list of noise levels for every row (`sigmas[r]` for row
    /// r; see [`per_row`] for how the rows' denoiser calls are batched); the record gets the
    /// most evaluations, steps and rounds any row saw.
    pub fn call_per_row(&self, run: &mut Run, x: Tensor, sigmas: &[Vec<f64>], params: &Params) -> Result<Tensor> {
        let params = self.prepare(run, params)?;
        per_row::run_per_row(self, run, x, sigmas, &params)
    }
}

/// Every registered sampler, in the order `help("sample")` lists them.
pub const SAMPLERS: &[Sampler] = &[
    euler::SAMPLER,
    heun::SAMPLER,
    dpmpp_2m::SAMPLER,
    ddim::SAMPLER,
    ddpm::SAMPLER,
    euler_ancestral::SAMPLER,
    edm_stochastic::SAMPLER,
    euler_maruyama::SAMPLER,
    pc::SAMPLER,
    rk45::SAMPLER,
    lms::SAMPLER,
    dpm_2::SAMPLER,
    dpm_2_ancestral::SAMPLER,
    dpmpp_2s_ancestral::SAMPLER,
    dpmpp_sde::SAMPLER,
    dpmpp_2m_sde::SAMPLER,
    dpmpp_3m_sde::SAMPLER,
    dpm_fast::SAMPLER,
    dpm_adaptive::SAMPLER,
    unipc::SAMPLER,
    plms::SAMPLER,
    pndm::SAMPLER,
    ipndm::SAMPLER,
    deis::SAMPLER,
    shortcut::SAMPLER,
    rm::SAMPLER,
    rm_parallel::SAMPLER,
];

/// The sampler called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Sampler> {
    SAMPLERS.iter().find(|s| s.name == name).ok_or_else(|| {
        let known: Vec<&str> = SAMPLERS.iter().map(|s| s.name).collect();
        let close = crate::suggest::did_you_mean(name, known.iter().copied());
        crate::Error::new(format!("unknown method \"{name}\";{close} the samplers are {}", known.join(", ")))
    })
}

/// Checks a sampler's list of noise levels: at least two entries, finite, ≥ 0, strictly
/// decreasing. (The σ of one denoiser call is checked by
/// [`check_row_sigmas`](crate::diffusion::denoiser::check_row_sigmas).)
pub fn check_step_sigmas(sigmas: &[f64]) -> Result<()> {
    if sigmas.len() < 2 {
        crate::bail!("sigmas needs at least 2 entries (one step), got {}", sigmas.len());
    }
    if let Some(bad) = sigmas.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        crate::bail!("every sigma must be a finite number >= 0, got {bad}");
    }
    if let Some(i) = (1..sigmas.len()).find(|&i| sigmas[i] >= sigmas[i - 1]) {
        crate::bail!("sigmas must decrease strictly, but sigmas[{i}] = {} follows {}", sigmas[i], sigmas[i - 1]);
    }
    Ok(())
}

/// Runs sampler `name` from `x` along `sigmas` with `params`.
pub fn sample(name: &str, run: &mut Run, x: Tensor, sigmas: &[f64], params: &Params) -> Result<Tensor> {
    let sampler = find(name)?;
    check_step_sigmas(sigmas)?;
    if x.rank() == 0 {
        crate::bail!("the starting `x` must have a first dimension that counts samples, got a 0-d tensor");
    }
    // an integer start is taken as floats, as PyTorch's `x.float()`
    let x = if x.is_float() { x } else { x.to_dtype(crate::tensor::dtype::DEFAULT_FLOAT)? };
    if run.record.trajectory.is_some() {
        // every state is kept
        crate::memory::check(sigmas.len().saturating_mul(2 * x.numel()), x.dtype().size_in_bytes())
            .map_err(|e| e.context("the trajectory"))?;
    }
    let params = sampler.prepare(run, params)?;
    run.start(sampler.name, sigmas.len() - 1);
    let out = (sampler.run)(run, x, sigmas, &params)?;
    run.finish()?;
    Ok(out)
}

/// Runs sampler `name` from `x` with its own list of noise levels for every row, as
/// [`Sampler::call_per_row`], reporting progress.
pub fn sample_per_row(name: &str, run: &mut Run, x: Tensor, sigmas: &[Vec<f64>], params: &Params) -> Result<Tensor> {
    let sampler = find(name)?;
    if x.rank() == 0 {
        crate::bail!("the starting `x` must have a first dimension that counts samples, got a 0-d tensor");
    }
    if run.record.trajectory.is_some() {
        crate::bail!("trajectories are kept for one sigma list: give `sigmas` as one list to keep one");
    }
    let x = if x.is_float() { x } else { x.to_dtype(crate::tensor::dtype::DEFAULT_FLOAT)? };
    run.start(sampler.name, sigmas.iter().map(|s| s.len().saturating_sub(1)).max().unwrap_or(0));
    let out = sampler.call_per_row(run, x, sigmas, params)?;
    run.finish()?;
    Ok(out)
}

/// `(x − D(x, σ))/σ`, the probability-flow ODE's dx/dσ (Karras et al. 2022, eq. 3 with σ(t) = t).
pub fn ode_derivative(x: &Tensor, denoised: &Tensor, sigma: f64) -> Result<Tensor> {
    Ok(Tensor::from_candle(((x.candle() - denoised.candle())? / sigma)?))
}

/// `a + s·b`.
pub fn axpy(a: &Tensor, s: f64, b: &Tensor) -> Result<Tensor> {
    Ok(Tensor::from_candle((a.candle() + (b.candle() * s)?)?))
}

/// `Σ cᵢ·tᵢ` over `(cᵢ, tᵢ)` pairs (at least one).
pub fn combine(terms: &[(f64, &Tensor)]) -> Result<Tensor> {
    let Some(((c0, t0), rest)) = terms.split_first() else {
        crate::bail!("an empty linear combination");
    };
    let mut acc = (t0.candle() * *c0)?;
    for (c, t) in rest {
        acc = (acc + (t.candle() * *c)?)?;
    }
    Ok(Tensor::from_candle(acc))
}

/// An ancestral step from σ to σ' (k-diffusion's `get_ancestral_step`): the level σ_down
/// reached deterministically and the fresh noise σ_up added after it, with
/// σ_up = min(σ', η √(σ'²(σ² − σ'²)/σ²)) and σ_down = √(σ'² − σ_up²); η = 0 gives (σ', 0).
pub fn ancestral_step(sigma: f64, sigma_next: f64, eta: f64) -> (f64, f64) {
    if eta == 0.0 {
        return (sigma_next, 0.0);
    }
    let up = (eta * (sigma_next * sigma_next * (sigma * sigma - sigma_next * sigma_next) / (sigma * sigma)).sqrt())
        .min(sigma_next);
    ((sigma_next * sigma_next - up * up).sqrt(), up)
}
