//! DPM-Solver++(2M) SDE, as k-diffusion's `sample_dpmpp_2m_sde` (Lu et al. 2022,
//! "DPM-Solver++", the SDE variant of the 2M multistep solver): in λ = −log σ with
//! h = λ_{i+1} − λ_i,
//! x ← (σ_{i+1}/σ_i) e^{−ηh} x + (1 − e^{−h−ηh}) D_i + correction + σ_{i+1} √(1 − e^{−2ηh}) S_noise ε,
//! where the correction from the previous estimate (r = h_{i−1}/h) is
//! ½ (1 − e^{−h−ηh}) (D_i − D_{i−1})/r ("midpoint") or
//! ((1 − e^{−h−ηh})/(−h−ηh) + 1)(D_i − D_{i−1})/r ("heun"). The last step into σ = 0
//! returns D. One draw per step into σ > 0 when η > 0; η = 0 is DPM-Solver++(2M)'s ODE.

use super::dpm_2_ancestral::eta;
use super::{combine, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpmpp_2m_sde",
    summary: "DPM-Solver++(2M) SDE, multistep 2nd order with noise (k-diffusion's sample_dpmpp_2m_sde)",
    options: &[
        OptionSpec {
            key: "eta",
            default: OptionDefault::Number(1.0),
            doc: "η: the stochasticity, 0 for the ODE, 1 for the reverse SDE",
        },
        OptionSpec { key: "s_noise", default: OptionDefault::Number(1.0), doc: "the scale of the added noise" },
        OptionSpec {
            key: "solver_type",
            default: OptionDefault::Choice(&["midpoint", "heun"]),
            doc: "the form of the second-order correction",
        },
    ],
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: dpmpp_2m_sde,
};

/// NFE = steps.
pub fn dpmpp_2m_sde(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let heun = p.text("solver_type")? == "heun";
    let mut x = x;
    let mut previous: Option<(Tensor, f64)> = None;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        if next == 0.0 {
            x = denoised.clone();
        } else {
            let h = -next.ln() + sigma.ln();
            let eta_h = eta * h;
            let growth = -(-h - eta_h).exp_m1();
            x = combine(&[(next / sigma * (-eta_h).exp(), &x), (growth, &denoised)])?;
            if let Some((old, h_last)) = &previous {
                let r = h_last / h;
                let weight = if heun { (growth / (-h - eta_h) + 1.0) / r } else { 0.5 * growth / r };
                x = combine(&[(1.0, &x), (weight, &denoised), (-weight, old)])?;
            }
            if eta != 0.0 {
                let z = run.noise_like(&x)?;
                x = combine(&[(1.0, &x), (next * (-(-2.0 * eta_h).exp_m1()).sqrt() * s_noise, &z)])?;
            }
            previous = Some((denoised.clone(), h));
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
