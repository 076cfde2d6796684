//! Pseudo numerical methods (PNDM; Liu et al. 2022, "Pseudo Numerical Methods for Diffusion
//! Models on Manifolds", Alg. 2, as diffusers' `PNDMScheduler` without `skip_prk_steps`):
//! the first three steps are pseudo Runge–Kutta steps (eq. 13), the rest pseudo linear
//! multistep steps (eq. 12, as `plms`). Both use DDIM's transfer part, in VE coordinates
//! x' = x + (σ' − σ) ε. A PRK step from σ to σ' over the midpoint level σ_m evaluates
//! ε₁ at (x, σ), ε₂ at (x + (σ_m − σ) ε₁, σ_m), ε₃ at (x + (σ_m − σ) ε₂, σ_m) and ε₄ at
//! (x + (σ' − σ) ε₃, σ'), and steps with (ε₁ + 2ε₂ + 2ε₃ + ε₄)/6; only ε₁ joins the multistep
//! history. σ_m is the level at the middle of the step in the time of the denoiser's schedule
//! (diffusers' t − ⌊T/N⌋/2, equal to it when T/N is even), or √(σσ') (the middle in log σ)
//! for a denoiser without a schedule. NFE = steps + 9 from four steps on; a step into σ = 0
//! among the first three is a multistep step.

use super::plms::adams_bashforth;
use super::{axpy, combine, nfe::Cost, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// How many steps at the start are Runge–Kutta steps.
const PRK_STEPS: usize = 3;

/// NFE: 4 for each of the first three (Runge–Kutta) steps, 1 for a step into σ = 0 among
/// them, then 1 a step.
const COST: Cost = Cost::Fixed {
    rule: "steps + 9 from four steps on (three Runge–Kutta steps of 4 evaluations first)",
    count: |p| {
        let rk = p.steps.min(PRK_STEPS);
        let last_is_multistep = p.ends_at_zero && p.steps <= PRK_STEPS;
        Ok(4 * rk - 3 * usize::from(last_is_multistep) + (p.steps - rk))
    },
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "pndm",
    summary: "pseudo numerical methods: 3 pseudo Runge-Kutta steps, then PLMS (Liu et al. 2022, Alg. 2)",
    options: &[],
    stochastic: false,
    cost: COST,
    run: pndm,
};

/// The midpoint level of a step from σ to σ' > 0 (see the module doc).
fn midpoint(run: &Run, sigma: f64, next: f64) -> f64 {
    let in_log_sigma = (sigma * next).sqrt();
    let Some(schedule) = run.denoiser().schedule() else {
        return in_log_sigma;
    };
    let t = 0.5 * (schedule.t_of_edm_sigma(sigma) + schedule.t_of_edm_sigma(next));
    let mid = schedule.edm_sigma(t);
    // a step outside the schedule's range has no middle in its time
    if mid > next && mid < sigma {
        mid
    } else {
        in_log_sigma
    }
}

/// The noise prediction ε = (x − D(x, σ))/σ.
fn noise(run: &mut Run, x: &Tensor, sigma: f64) -> Result<(Tensor, Tensor)> {
    let denoised = run.denoise(x, sigma)?;
    Ok((ode_derivative(x, &denoised, sigma)?, denoised))
}

/// NFE = steps + 9 for four steps or more.
pub fn pndm(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    // the earlier noise predictions, newest first
    let mut earlier: VecDeque<Tensor> = VecDeque::with_capacity(3);
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let (eps, denoised) = noise(run, &x, sigma)?;
        let slope = if i < PRK_STEPS && next > 0.0 {
            let mid = midpoint(run, sigma, next);
            let (eps2, _) = noise(run, &axpy(&x, mid - sigma, &eps)?, mid)?;
            let (eps3, _) = noise(run, &axpy(&x, mid - sigma, &eps2)?, mid)?;
            let (eps4, _) = noise(run, &axpy(&x, next - sigma, &eps3)?, next)?;
            combine(&[(1.0 / 6.0, &eps), (1.0 / 3.0, &eps2), (1.0 / 3.0, &eps3), (1.0 / 6.0, &eps4)])?
        } else {
            adams_bashforth(&eps, &earlier)?
        };
        earlier.push_front(eps);
        earlier.truncate(3);
        x = axpy(&x, next - sigma, &slope)?;
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
