//! DDPM ancestral sampling (Ho et al. 2020, eqs. 6–7) on the variance-preserving
//! form with ᾱ = 1/(1 + σ²): sample x_{t−1} from the Gaussian posterior
//! q(x_{t−1} | x_t, x0 = x̂0) with mean
//! `√ᾱ_{t−1} β/(1 − ᾱ_t) x̂0 + √(1 − β)(1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t` and variance
//! `β (1 − ᾱ_{t−1})/(1 − ᾱ_t)`, where `β = 1 − ᾱ_t/ᾱ_{t−1}` spans the step.
//! One noise draw per step into σ > 0, in step order.

use super::{axpy, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "ddpm",
    summary: "DDPM ancestral sampling from the posterior q(x_{t−1} | x_t, x̂0) (Ho et al. 2020, eqs. 6–7)",
    options: &[],
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: ddpm,
};

/// NFE = steps.
pub fn ddpm(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let x0 = run.denoise(&x, sigma)?;
        let (ab, ab_next) = (1.0 / (1.0 + sigma * sigma), 1.0 / (1.0 + next * next));
        let beta = 1.0 - ab / ab_next;
        let c0 = ab_next.sqrt() * beta / (1.0 - ab);
        let ct = (1.0 - beta).sqrt() * (1.0 - ab_next) / (1.0 - ab);
        // x_t (VP) = √ᾱ_t x; the result is divided by √ᾱ_{t−1} to return to VE coordinates
        let mean = Tensor::from_candle(
            ((x0.candle() * (c0 / ab_next.sqrt()))? + (x.candle() * (ct * ab.sqrt() / ab_next.sqrt()))?)?,
        );
        x = if next > 0.0 {
            let std = (beta * (1.0 - ab_next) / (1.0 - ab)).sqrt();
            let z = run.noise_like(&mean)?;
            axpy(&mean, std / ab_next.sqrt(), &z)?
        } else {
            mean
        };
        run.step(i, sigma, next, &x, &x0)?;
    }
    Ok(x)
}
