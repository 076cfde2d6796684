//! Heun's 2nd-order method on the probability-flow ODE (Karras et al. 2022,
//! Alg. 1): an Euler step, then the average of the slopes at both ends; the
//! last step into σ = 0 stays Euler.

use super::{axpy, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// One Heun step from `sigma` (where `x` has slope `d` = (x − denoised)/σ) to `sigma_next`.
pub(super) fn heun_step(run: &mut Run, x: &Tensor, d: &Tensor, sigma: f64, sigma_next: f64) -> Result<Tensor> {
    let euler = axpy(x, sigma_next - sigma, d)?;
    if sigma_next == 0.0 {
        return Ok(euler);
    }
    let denoised_next = run.denoise(&euler, sigma_next)?;
    let d_next = ode_derivative(&euler, &denoised_next, sigma_next)?;
    let slope = Tensor::from_candle(((d.candle() + d_next.candle())? * 0.5)?);
    axpy(x, sigma_next - sigma, &slope)
}

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "heun",
    summary: "Heun's 2nd-order method, last step Euler (Karras et al. 2022, Alg. 1)",
    options: &[],
    stochastic: false,
    cost: super::nfe::TWO_PER_STEP,
    run: heun,
};

/// Heun with an Euler last step; NFE = 2·steps − 1 when the list ends in 0.
pub fn heun(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let denoised = run.denoise(&x, sigmas[i])?;
        let d = ode_derivative(&x, &denoised, sigmas[i])?;
        x = heun_step(run, &x, &d, sigmas[i], sigmas[i + 1])?;
        run.step(i, sigmas[i], sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}
