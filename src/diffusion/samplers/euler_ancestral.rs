//! Euler with ancestral noise, as k-diffusion's `sample_euler_ancestral`: each
//! step splits σ_{i+1} into a deterministic part σ_down reached by an Euler
//! step and fresh noise σ_up, with σ_up = min(σ_{i+1}, η √(σ_{i+1}²(σ_i² − σ_{i+1}²)/σ_i²))
//! and σ_down = √(σ_{i+1}² − σ_up²). One noise draw per step into σ > 0.

use super::{ancestral_step, axpy, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "euler_ancestral",
    summary: "Euler with ancestral noise (k-diffusion's sample_euler_ancestral)",
    options: &[
        OptionSpec {
            key: "eta",
            default: OptionDefault::Number(1.0),
            doc: "the share of each step taken as fresh noise (0 is Euler)",
        },
        OptionSpec { key: "s_noise", default: OptionDefault::Number(1.0), doc: "the scale of the added noise" },
    ],
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: euler_ancestral,
};

/// NFE = steps.
pub fn euler_ancestral(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let eta = p.number("eta")?;
    let s_noise = p.number("s_noise")?;
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let (down, up) = ancestral_step(sigma, next, eta);
        let d = ode_derivative(&x, &denoised, sigma)?;
        x = axpy(&x, down - sigma, &d)?;
        if next > 0.0 && up > 0.0 {
            let z = run.noise_like(&x)?;
            x = axpy(&x, s_noise * up, &z)?;
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
