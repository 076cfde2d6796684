//! Euler–Maruyama on the reverse-time SDE of the variance-exploding process
//! (Song et al. 2021, eq. 6): `x ← x + (σ_i² − σ_{i+1}²) ∇log p_σi(x) + √(σ_i² − σ_{i+1}²) z`,
//! with the score (D − x)/σ². The last step, into σ = 0, returns the denoised
//! estimate instead. One noise draw per step except the last.

use super::{axpy, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "euler_maruyama",
    summary: "Euler–Maruyama on the reverse-time SDE, last step denoised (Song et al. 2021)",
    options: &[],
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: euler_maruyama,
};

/// NFE = steps.
pub fn euler_maruyama(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        if next == 0.0 {
            x = denoised.clone();
        } else {
            let var = sigma * sigma - next * next;
            // (σ_i² − σ_{i+1}²) · (D − x)/σ_i²
            let drift = Tensor::from_candle(((denoised.candle() - x.candle())? * (var / (sigma * sigma)))?);
            let z = run.noise_like(&x)?;
            x = axpy(&Tensor::from_candle((x.candle() + drift.candle())?), var.sqrt(), &z)?;
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
