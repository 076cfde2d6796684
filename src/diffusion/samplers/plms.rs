//! Pseudo linear multistep (PLMS; Liu et al. 2022, "Pseudo Numerical Methods for Diffusion
//! Models on Manifolds", eq. 12 with the second-order start of diffusers' `PNDMScheduler`
//! with `skip_prk_steps`): in VE coordinates the transfer part is DDIM's, x' = x + (σ' − σ) ε,
//! and ε is the Adams–Bashforth combination of the noise predictions ε_i = (x_i − D)/σ_i of the
//! last steps, with the constant weights of equal steps: (3ε₀ − ε₁)/2, (23ε₀ − 16ε₁ + 5ε₂)/12,
//! then (55ε₀ − 59ε₁ + 37ε₂ − 9ε₃)/24. The first step is a Heun step (its second call is not
//! kept among the ε), so NFE = steps + 1 (1 for a single step).

use super::{axpy, combine, nfe::Cost, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// NFE = steps + 1 for two steps or more: the first step is a Heun step.
const COST: Cost = Cost::Fixed {
    rule: "steps + 1 (the first step is a Heun step), 1 for one step",
    count: |p| Ok(p.steps + usize::from(p.steps >= 2)),
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "plms",
    summary: "pseudo linear multistep, 4th-order Adams-Bashforth on ε with a Heun start (Liu et al. 2022, eq. 12)",
    options: &[],
    stochastic: false,
    cost: COST,
    run: plms,
};

/// The pseudo linear multistep combination (Liu et al. 2022, eq. 12, with the lower-order
/// Adams–Bashforth weights while fewer predictions exist): `eps` the newest noise prediction,
/// `earlier` up to three before it, newest first.
pub(super) fn adams_bashforth(eps: &Tensor, earlier: &VecDeque<Tensor>) -> Result<Tensor> {
    match earlier.len() {
        0 => Ok(eps.clone()),
        1 => combine(&[(1.5, eps), (-0.5, &earlier[0])]),
        2 => combine(&[(23.0 / 12.0, eps), (-16.0 / 12.0, &earlier[0]), (5.0 / 12.0, &earlier[1])]),
        _ => combine(&[
            (55.0 / 24.0, eps),
            (-59.0 / 24.0, &earlier[0]),
            (37.0 / 24.0, &earlier[1]),
            (-9.0 / 24.0, &earlier[2]),
        ]),
    }
}

/// NFE = steps + 1 for two steps or more.
pub fn plms(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let n = sigmas.len() - 1;
    let mut x = x;
    // the earlier noise predictions, newest first
    let mut earlier: VecDeque<Tensor> = VecDeque::with_capacity(3);
    for i in 0..n {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let eps = ode_derivative(&x, &denoised, sigma)?;
        let slope = if earlier.is_empty() && n > 1 {
            let ahead = axpy(&x, next - sigma, &eps)?;
            let denoised_ahead = run.denoise(&ahead, next)?;
            let eps_ahead = ode_derivative(&ahead, &denoised_ahead, next)?;
            combine(&[(0.5, &eps), (0.5, &eps_ahead)])?
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
