//! Improved PNDM (iPNDM; Zhang & Chen 2022, "Fast Sampling of Diffusion Models with
//! Exponential Integrator", which proposes it beside DEIS; as diffusers' `IPNDMScheduler`): the pseudo
//! linear multistep update of PLMS (Liu et al. 2022, eq. 12), x' = x + (σ' − σ) ε̄ in VE
//! coordinates with ε̄ the Adams–Bashforth combination of the noise predictions
//! ε_i = (x_i − D)/σ_i, but warmed up with the lower-order Adams–Bashforth weights instead of
//! Runge–Kutta steps: Euler first, then orders 2, 3 and 4. One call per step (NFE = steps),
//! the step into σ = 0 included.

use super::plms::adams_bashforth;
use super::{axpy, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;
use std::collections::VecDeque;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "ipndm",
    summary: "improved PNDM: Adams-Bashforth on ε up to 4th order, warmed up with lower orders (Zhang & Chen 2022)",
    options: &[OptionSpec {
        key: "order",
        default: OptionDefault::Count(4),
        doc: "the highest Adams-Bashforth order, 1 to 4 (1 is Euler; diffusers' IPNDMScheduler uses 4)",
    }],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: ipndm,
};

/// NFE = steps.
pub fn ipndm(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let order = p.count("order")?;
    if !(1..=4).contains(&order) {
        crate::bail!("option `order` of method \"ipndm\" must be from 1 to 4, got {order}");
    }
    let mut x = x;
    // the earlier noise predictions, newest first
    let mut earlier: VecDeque<Tensor> = VecDeque::with_capacity(order);
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let eps = ode_derivative(&x, &denoised, sigma)?;
        let slope = adams_bashforth(&eps, &earlier)?;
        earlier.push_front(eps);
        earlier.truncate(order - 1);
        x = axpy(&x, next - sigma, &slope)?;
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
