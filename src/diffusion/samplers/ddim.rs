//! DDIM (Song, Meng & Ermon 2021, eq. 12) on the variance-preserving form:
//! with ᾱ = 1/(1 + σ²) for VE level σ, `x_vp = √ᾱ x`, and
//! `x_{t−1} = √ᾱ_{t−1} x̂0 + √(1 − ᾱ_{t−1} − σ_η²) ε̂ + σ_η z`,
//! `σ_η = η √((1 − ᾱ_{t−1})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t−1})`.
//! η = 0 is deterministic (and equals Euler in VE coordinates); η = 1 is DDPM.
//! One noise draw per step with σ_η > 0, in step order.

use super::{axpy, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "ddim",
    summary: "DDIM on the VP form, η = 0 deterministic (Song, Meng & Ermon 2021, eq. 12)",
    options: &[OptionSpec {
        key: "eta",
        default: OptionDefault::Number(0.0),
        doc: "the noise scale η: 0 is deterministic, 1 is DDPM",
    }],
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: ddim,
};

/// NFE = steps.
pub fn ddim(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let eta = p.number("eta")?;
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let x0 = run.denoise(&x, sigma)?;
        let eps = Tensor::from_candle(((x.candle() - x0.candle())? / sigma)?);
        let (ab, ab_next) = (1.0 / (1.0 + sigma * sigma), 1.0 / (1.0 + next * next));
        let sigma_eta = eta * ((1.0 - ab_next) / (1.0 - ab)).sqrt() * (1.0 - ab / ab_next).max(0.0).sqrt();
        let direction = (1.0 - ab_next - sigma_eta * sigma_eta).max(0.0).sqrt();
        // back to VE coordinates: divide the VP update by √ᾱ_{t−1}
        let mut next_x = axpy(&x0, direction / ab_next.sqrt(), &eps)?;
        if sigma_eta > 0.0 {
            let z = run.noise_like(&x)?;
            next_x = axpy(&next_x, sigma_eta / ab_next.sqrt(), &z)?;
        }
        x = next_x;
        run.step(i, sigma, next, &x, &x0)?;
    }
    Ok(x)
}
