//! Euler's method on the probability-flow ODE dx/dσ = (x − D(x, σ))/σ
//! (Karras et al. 2022, eq. 3 and Alg. 1 without the 2nd-order correction).

use super::{axpy, ode_derivative, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "euler",
    summary: "Euler on the probability-flow ODE (Karras et al. 2022, Alg. 1 without the correction)",
    options: &[],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: euler,
};

/// One Euler step per interval; NFE = steps.
pub fn euler(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let denoised = run.denoise(&x, sigmas[i])?;
        let d = ode_derivative(&x, &denoised, sigmas[i])?;
        x = axpy(&x, sigmas[i + 1] - sigmas[i], &d)?;
        run.step(i, sigmas[i], sigmas[i + 1], &x, &denoised)?;
    }
    Ok(x)
}
