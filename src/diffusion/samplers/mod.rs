//! Samplers, one function each in the spirit of k-diffusion's `sampling.py`:
//! `fn(run, x, sigmas, params) -> x0`, where `x` starts at `sigmas[0]` noise,
//! `sigmas` decrease to (usually) 0, and `run` carries the denoiser, the
//! noise source, the callback, the trajectory and the NFE count. All work in
//! VE/EDM coordinates (`x = x0 + σ ε`); VP methods convert internally.

mod ddim;
mod ddpm;
mod dpmpp_2m;
mod edm_stochastic;
mod euler;
mod euler_ancestral;
mod euler_maruyama;
mod heun;
pub mod ou;
mod params;
mod pc;
mod rk45;
mod rm;
mod rm_parallel;
mod run;
mod shortcut;
mod ulmc;

pub use params::{ParamValue, Params};
pub use run::{Callback, Noise, Record, Run, StepInfo};

use crate::error::Result;
use crate::tensor::Tensor;

/// A sampler in the registry.
pub struct Sampler {
    /// The name scripts use.
    pub name: &'static str,
    /// One line: what it is and where it comes from.
    pub summary: &'static str,
    /// Its own options.
    pub keys: &'static [&'static str],
    /// Whether it draws noise (and so can take a `noise` list).
    pub stochastic: bool,
    /// The function.
    pub run: fn(&mut Run, Tensor, &[f64], &Params) -> Result<Tensor>,
}

/// Every registered sampler.
pub const SAMPLERS: &[Sampler] = &[
    Sampler { name: "euler", summary: "Euler on the probability-flow ODE (Karras et al. 2022, Alg. 1 without the correction)", keys: &[], stochastic: false, run: euler::euler },
    Sampler { name: "heun", summary: "Heun's 2nd-order method, last step Euler (Karras et al. 2022, Alg. 1)", keys: &[], stochastic: false, run: heun::heun },
    Sampler { name: "dpmpp_2m", summary: "DPM-Solver++(2M), multistep 2nd order in log σ (Lu et al. 2022, Alg. 2)", keys: &[], stochastic: false, run: dpmpp_2m::dpmpp_2m },
    Sampler { name: "ddim", summary: "DDIM on the VP form, η = 0 deterministic (Song, Meng & Ermon 2021, eq. 12)", keys: &["eta"], stochastic: true, run: ddim::ddim },
    Sampler { name: "ddpm", summary: "DDPM ancestral sampling from the posterior q(x_{t−1} | x_t, x̂0) (Ho et al. 2020, eqs. 6–7)", keys: &[], stochastic: true, run: ddpm::ddpm },
    Sampler { name: "euler_ancestral", summary: "Euler with ancestral noise (k-diffusion's sample_euler_ancestral)", keys: &["eta", "s_noise"], stochastic: true, run: euler_ancestral::euler_ancestral },
    Sampler { name: "edm_stochastic", summary: "EDM's stochastic sampler with churn (Karras et al. 2022, Alg. 2)", keys: &["s_churn", "s_tmin", "s_tmax", "s_noise"], stochastic: true, run: edm_stochastic::edm_stochastic },
    Sampler { name: "euler_maruyama", summary: "Euler–Maruyama on the reverse-time SDE, last step denoised (Song et al. 2021)", keys: &[], stochastic: true, run: euler_maruyama::euler_maruyama },
    Sampler { name: "pc", summary: "Predictor–corrector: reverse diffusion + Langevin corrector with target SNR (Song et al. 2021, Algs. 4–5)", keys: &["snr", "corrector_steps"], stochastic: true, run: pc::pc },
    Sampler { name: "rk45", summary: "Adaptive Dormand–Prince RK45 on the probability-flow ODE in log σ, then a final denoise", keys: &["rtol", "atol"], stochastic: false, run: rk45::rk45 },
    Sampler { name: "shortcut", summary: "Shortcut MCMC: predict x̂0, re-noise to the next of K (random) levels (Chen 2023)", keys: &["choose"], stochastic: true, run: shortcut::shortcut },
    Sampler { name: "rm", summary: "Randomized midpoints on the OU probability-flow ODE, 2 NFE a step, optional underdamped Langevin corrector (Gupta, Cai & Chen 2024)", keys: &["corrector_steps", "corrector_size"], stochastic: true, run: rm::rm },
    Sampler { name: "rm_parallel", summary: "Parallel randomized midpoints: windows of R steps whose R midpoints are refined by K batched Picard rounds (Gupta, Cai & Chen 2024)", keys: &["parts", "rounds"], stochastic: false, run: rm_parallel::rm_parallel },
];

/// The sampler called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Sampler> {
    SAMPLERS.iter().find(|s| s.name == name).ok_or_else(|| {
        let known: Vec<&str> = SAMPLERS.iter().map(|s| s.name).collect();
        crate::Error::new(format!("unknown method \"{name}\"; the samplers are {}", known.join(", ")))
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
    params.check(sampler.name, sampler.keys)?;
    check_step_sigmas(sigmas)?;
    run.start(sampler.name, sigmas.len() - 1);
    let out = (sampler.run)(run, x, sigmas, params)?;
    run.finish();
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
