//! DPM-Solver++(2S) with ancestral noise, as k-diffusion's `sample_dpmpp_2s_ancestral`
//! (Lu et al. 2022, "DPM-Solver++", Alg. 1 with r = 1/2): in λ = −log σ, a first-order
//! data-prediction step to the midpoint s = λ + h/2 of [λ_i, λ_down], then the full step
//! with the denoised estimate there:
//! x ← (σ_down/σ_i) x − (e^{−h} − 1) D(x_s, σ_s); Euler when σ_down = 0. Then
//! S_noise σ_up ε is added (one draw per step into σ_{i+1} > 0 with σ_up > 0).

use super::dpm_2_ancestral::{eta, ANCESTRAL_OPTIONS};
use super::{ancestral_step, axpy, combine, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpmpp_2s_ancestral",
    summary: "DPM-Solver++(2S), single-step 2nd order with ancestral noise (Lu et al. 2022, Alg. 1)",
    options: &ANCESTRAL_OPTIONS,
    stochastic: true,
    cost: super::nfe::TWO_PER_STEP,
    run: dpmpp_2s_ancestral,
};

/// NFE = 2·steps − 1 when the list ends in 0.
pub fn dpmpp_2s_ancestral(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let sigma_of = |t: f64| (-t).exp();
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let (down, up) = ancestral_step(sigma, next, eta);
        if down == 0.0 {
            let d = ode_derivative(&x, &denoised, sigma)?;
            x = axpy(&x, down - sigma, &d)?;
        } else {
            let (t, t_next) = (-sigma.ln(), -down.ln());
            let h = t_next - t;
            let s = t + 0.5 * h;
            let x_mid = combine(&[(sigma_of(s) / sigma_of(t), &x), (-(-0.5 * h).exp_m1(), &denoised)])?;
            let denoised_mid = run.denoise(&x_mid, sigma_of(s))?;
            x = combine(&[(sigma_of(t_next) / sigma_of(t), &x), (-(-h).exp_m1(), &denoised_mid)])?;
        }
        if next > 0.0 && up > 0.0 {
            let z = run.noise_like(&x)?;
            x = axpy(&x, s_noise * up, &z)?;
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
