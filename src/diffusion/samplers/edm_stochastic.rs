//! EDM's stochastic sampler (Karras et al. 2022, Alg. 2): before each step,
//! "churn" raises the noise from σ_i to σ̂ = σ_i (1 + γ_i) by adding fresh
//! noise, then a Heun step goes from σ̂ to σ_{i+1}.
//!
//! γ_i = min(S_churn / N, √2 − 1) when S_tmin ≤ σ_i ≤ S_tmax, else 0. One noise
//! draw is consumed per step with γ_i > 0, in step order.
//!
//! The defaults are the paper's stochastic setting for its own ImageNet-64 model
//! (Karras et al. 2022, Table 5, "ImageNet-64, EDM" row; the settings NVlabs/edm's
//! README runs): S_churn = 40, S_tmin = 0.05, S_tmax = 50, S_noise = 1.003.
//! `s_churn: 0` gives Heun.

use super::churn::{self, Churn};
use super::heun::heun_step;
use super::{ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// S_churn, S_tmin, S_tmax, S_noise of Karras et al. 2022, Table 5, ImageNet-64 (EDM).
pub const EDM_IMAGENET64: [f64; 4] = [40.0, 0.05, 50.0, 1.003];

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "edm_stochastic",
    summary: "EDM's stochastic sampler with churn (Karras et al. 2022, Alg. 2); defaults from their Table 5, ImageNet-64 EDM row",
    options: &churn::options(EDM_IMAGENET64),
    stochastic: true,
    cost: super::nfe::TWO_PER_STEP,
    run: edm_stochastic,
};

/// A Heun step from each churned σ̂ (Euler into σ = 0); with s_churn = 0 it is `heun`.
pub fn edm_stochastic(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let churn = Churn::new(p)?;
    let n = sigmas.len() - 1;
    let mut x = x;
    for i in 0..n {
        let sigma = sigmas[i];
        let (churned, sigma_hat) = churn.apply(run, x, sigma, n)?;
        let denoised = run.denoise(&churned, sigma_hat)?;
        let d = ode_derivative(&churned, &denoised, sigma_hat)?;
        x = heun_step(run, &churned, &d, sigma_hat, sigmas[i + 1])?;
        run.step(i, sigma, sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}
