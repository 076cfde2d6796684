//! DPM-Solver-2 with ancestral noise, as k-diffusion's `sample_dpm_2_ancestral`:
//! each step splits σ_{i+1} into σ_down and σ_up (see [`ancestral_step`]), takes
//! the DPM-Solver-2 midpoint step from σ_i to σ_down (Euler when σ_down = 0), then
//! adds S_noise σ_up ε. One draw per step with σ_up > 0.

use super::dpm_2::midpoint_step;
use super::{ancestral_step, axpy, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The options of the ancestral samplers: η and S_noise.
pub(super) const ANCESTRAL_OPTIONS: [OptionSpec; 2] = [
    OptionSpec {
        key: "eta",
        default: OptionDefault::Number(1.0),
        doc: "η: the share of each step taken as fresh noise (0 is deterministic)",
    },
    OptionSpec { key: "s_noise", default: OptionDefault::Number(1.0), doc: "the scale of the added noise" },
];

/// η (default 0: DPM-Solver's deterministic steps, as k-diffusion) and S_noise for the DPM-Solver samplers.
pub(super) const DPM_SOLVER_NOISE: [OptionSpec; 2] = [
    OptionSpec {
        key: "eta",
        default: OptionDefault::Number(0.0),
        doc: "η: the share of each step taken as fresh ancestral noise (0 is deterministic)",
    },
    ANCESTRAL_OPTIONS[1],
];

/// η from resolved params: finite and ≥ 0.
pub(super) fn eta(p: &Params) -> Result<f64> {
    let eta = p.number("eta")?;
    if !(eta >= 0.0 && eta.is_finite()) {
        crate::bail!("option `eta` must be a finite number >= 0, got {eta}");
    }
    Ok(eta)
}

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpm_2_ancestral",
    summary: "DPM-Solver-2 steps with ancestral noise (k-diffusion's sample_dpm_2_ancestral)",
    options: &ANCESTRAL_OPTIONS,
    stochastic: true,
    cost: super::nfe::TWO_PER_STEP,
    run: dpm_2_ancestral,
};

/// NFE = 2·steps − 1 when the list ends in 0.
pub fn dpm_2_ancestral(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let (down, up) = ancestral_step(sigma, next, eta);
        let d = ode_derivative(&x, &denoised, sigma)?;
        if down == 0.0 {
            x = axpy(&x, down - sigma, &d)?;
        } else {
            x = midpoint_step(run, &x, &d, sigma, down)?;
            if up > 0.0 {
                let z = run.noise_like(&x)?;
                x = axpy(&x, s_noise * up, &z)?;
            }
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
