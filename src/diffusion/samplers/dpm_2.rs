//! DPM-Solver-2 steps in σ with EDM's churn, as k-diffusion's `sample_dpm_2`: after
//! the churn (σ_i → σ̂, see `churn`), an Euler step to the log-midpoint
//! σ_mid = √(σ̂ σ_{i+1}), then the full step from σ̂ with the slope there
//! (Lu et al. 2022, DPM-Solver-2 in the form of Karras et al. 2022); the last step
//! into σ = 0 is Euler. No churn by default, as k-diffusion.

use super::churn::{self, Churn};
use super::{axpy, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpm_2",
    summary: "DPM-Solver-2 midpoint steps in log σ with optional churn (k-diffusion's sample_dpm_2)",
    options: &churn::options([0.0, 0.0, f64::INFINITY, 1.0]),
    stochastic: true,
    cost: super::nfe::TWO_PER_STEP,
    run: dpm_2,
};

/// NFE = 2·steps − 1 when the list ends in 0.
pub fn dpm_2(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let churn = Churn::new(p)?;
    let n = sigmas.len() - 1;
    let mut x = x;
    for i in 0..n {
        let (churned, sigma_hat) = churn.apply(run, x, sigmas[i], n)?;
        let next = sigmas[i + 1];
        let denoised = run.denoise(&churned, sigma_hat)?;
        let d = ode_derivative(&churned, &denoised, sigma_hat)?;
        x = if next == 0.0 {
            axpy(&churned, next - sigma_hat, &d)?
        } else {
            midpoint_step(run, &churned, &d, sigma_hat, next)?
        };
        run.step(i, sigmas[i], next, &x, &denoised)?;
    }
    Ok(x)
}

/// The DPM-Solver-2 step from σ (slope `d` at `x`) to `target` through σ_mid = exp((ln σ + ln target)/2).
pub(super) fn midpoint_step(run: &mut Run, x: &Tensor, d: &Tensor, sigma: f64, target: f64) -> Result<Tensor> {
    let (ls, lt) = (sigma.ln(), target.ln());
    let mid = (ls + 0.5 * (lt - ls)).exp();
    let x_mid = axpy(x, mid - sigma, d)?;
    let denoised_mid = run.denoise(&x_mid, mid)?;
    let d_mid = ode_derivative(&x_mid, &denoised_mid, mid)?;
    axpy(x, target - sigma, &d_mid)
}
