//! EDM's stochastic sampler (Karras et al. 2022, Alg. 2): before each step,
//! "churn" raises the noise from σ_i to σ̂ = σ_i (1 + γ_i) by adding fresh
//! noise, then a Heun step goes from σ̂ to σ_{i+1}.
//!
//! γ_i = min(S_churn / N, √2 − 1) when S_tmin ≤ σ_i ≤ S_tmax, else 0. One noise
//! draw is consumed per step with γ_i > 0, in step order.

use super::heun::heun_step;
use super::{axpy, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "edm_stochastic",
    summary: "EDM's stochastic sampler with churn (Karras et al. 2022, Alg. 2)",
    options: &[
        OptionSpec {
            key: "s_churn",
            default: OptionDefault::Number(0.0),
            doc: "S_churn: the total churn; γ_i = min(S_churn/N, √2 − 1), so 0 is Heun",
        },
        OptionSpec {
            key: "s_tmin", default: OptionDefault::Number(0.0), doc: "S_tmin: churn only where σ_i ≥ S_tmin"
        },
        OptionSpec {
            key: "s_tmax",
            default: OptionDefault::Number(f64::INFINITY),
            doc: "S_tmax: churn only where σ_i ≤ S_tmax",
        },
        OptionSpec {
            key: "s_noise",
            default: OptionDefault::Number(1.0),
            doc: "S_noise: the scale of the churn noise",
        },
    ],
    stochastic: true,
    run: edm_stochastic,
};

/// A Heun step from each churned σ̂ (Euler into σ = 0); with s_churn = 0 it is `heun`.
pub fn edm_stochastic(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let churn = p.number("s_churn")?;
    let (tmin, tmax) = (p.number("s_tmin")?, p.number("s_tmax")?);
    let s_noise = p.number("s_noise")?;
    let n = sigmas.len() - 1;
    let mut x = x;
    for i in 0..n {
        let sigma = sigmas[i];
        let gamma = if (tmin..=tmax).contains(&sigma) { (churn / n as f64).min(2f64.sqrt() - 1.0) } else { 0.0 };
        let sigma_hat = sigma * (1.0 + gamma);
        if gamma > 0.0 {
            let z = run.noise_like(&x)?;
            x = axpy(&x, s_noise * (sigma_hat * sigma_hat - sigma * sigma).sqrt(), &z)?;
        }
        let denoised = run.denoise(&x, sigma_hat)?;
        let d = ode_derivative(&x, &denoised, sigma_hat)?;
        x = heun_step(run, &x, &d, sigma_hat, sigmas[i + 1])?;
        run.step(i, sigma, sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}
