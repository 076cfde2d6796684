//! DPM-Solver++ (stochastic), as k-diffusion's `sample_dpmpp_sde`: in λ = −log σ,
//! with h = λ_{i+1} − λ_i and s = λ_i + r h, an ancestral first-order data-prediction
//! step to σ_s, then the second-order step from λ_i with the blend
//! (1 − 1/(2r)) D_i + 1/(2r) D_s, each followed by its ancestral noise
//! (see [`ancestral_step`]); Euler into σ = 0. Two draws per step with η > 0, in the
//! order k-diffusion's noise sampler is called (which draws from a Brownian tree;
//! here they are independent normals, or given).

use super::dpm_2_ancestral::eta;
use super::{ancestral_step, axpy, combine, ode_derivative, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpmpp_sde",
    summary: "DPM-Solver++ SDE, 2nd order with ancestral noise at both stages (k-diffusion's sample_dpmpp_sde)",
    options: &[
        OptionSpec {
            key: "eta",
            default: OptionDefault::Number(1.0),
            doc: "η: the share of each stage taken as fresh noise (0 is deterministic)",
        },
        OptionSpec { key: "s_noise", default: OptionDefault::Number(1.0), doc: "the scale of the added noise" },
        OptionSpec {
            key: "r",
            default: OptionDefault::Number(0.5),
            doc: "where the intermediate stage sits, as a share of the step in log σ (0, 1]",
        },
    ],
    stochastic: true,
    cost: super::nfe::TWO_PER_STEP,
    run: dpmpp_sde,
};

/// NFE = 2·steps − 1 when the list ends in 0.
pub fn dpmpp_sde(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise, r) = (eta(p)?, p.number("s_noise")?, p.number("r")?);
    if !(r > 0.0 && r <= 1.0) {
        crate::bail!("option `r` of method \"dpmpp_sde\" must be in (0, 1], got {r}");
    }
    let sigma_of = |t: f64| (-t).exp();
    let t_of = |sigma: f64| -sigma.ln();
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        if next == 0.0 {
            let d = ode_derivative(&x, &denoised, sigma)?;
            x = axpy(&x, next - sigma, &d)?;
        } else {
            let (t, t_next) = (t_of(sigma), t_of(next));
            let h = t_next - t;
            let s = t + h * r;
            let fac = 1.0 / (2.0 * r);
            // stage 1: to σ_s
            let (down, up) = ancestral_step(sigma_of(t), sigma_of(s), eta);
            let s_ = t_of(down);
            let mut x_s = combine(&[(sigma_of(s_) / sigma_of(t), &x), (-(t - s_).exp_m1(), &denoised)])?;
            if up > 0.0 {
                let z = run.noise_like(&x_s)?;
                x_s = axpy(&x_s, s_noise * up, &z)?;
            }
            let denoised_s = run.denoise(&x_s, sigma_of(s))?;
            // stage 2: to σ_{i+1}
            let (down, up) = ancestral_step(sigma_of(t), sigma_of(t_next), eta);
            let t_next_ = t_of(down);
            let blend = combine(&[(1.0 - fac, &denoised), (fac, &denoised_s)])?;
            x = combine(&[(sigma_of(t_next_) / sigma_of(t), &x), (-(t - t_next_).exp_m1(), &blend)])?;
            if up > 0.0 {
                let z = run.noise_like(&x)?;
                x = axpy(&x, s_noise * up, &z)?;
            }
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
