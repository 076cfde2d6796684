//! DPM-Solver++(3M) SDE, as k-diffusion's `sample_dpmpp_3m_sde`: the third-order
//! multistep exponential integrator in λ = −log σ with noise. With h = λ_{i+1} − λ_i
//! and h_η = (1 + η) h,
//! x ← e^{−h_η} x + (1 − e^{−h_η}) D_i + φ₂ d₁ − φ₃ d₂ + σ_{i+1} √(1 − e^{−2ηh}) S_noise ε,
//! where φ₂ = (e^{−h_η} − 1)/h_η + 1, φ₃ = φ₂/h_η − ½, and d₁, d₂ are the first and
//! second divided differences of the last three denoised estimates (second order,
//! φ₂ d₁ only, on the second step; first order on the first). The last step into
//! σ = 0 returns D. One draw per step into σ > 0 when η > 0.

use super::dpm_2_ancestral::{eta, ANCESTRAL_OPTIONS};
use super::{combine, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpmpp_3m_sde",
    summary: "DPM-Solver++(3M) SDE, multistep 3rd order with noise (k-diffusion's sample_dpmpp_3m_sde)",
    options: &ANCESTRAL_OPTIONS,
    stochastic: true,
    cost: super::nfe::ONE_PER_STEP,
    run: dpmpp_3m_sde,
};

/// NFE = steps.
pub fn dpmpp_3m_sde(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let mut x = x;
    // the last two denoised estimates and step lengths, newest first
    let mut history: Vec<(Tensor, f64)> = Vec::with_capacity(3);
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        if next == 0.0 {
            x = denoised.clone();
        } else {
            let h = -next.ln() + sigma.ln();
            let h_eta = h * (eta + 1.0);
            x = combine(&[((-h_eta).exp(), &x), (-(-h_eta).exp_m1(), &denoised)])?;
            let phi_2 = (-h_eta).exp_m1() / h_eta + 1.0;
            match history.as_slice() {
                [(d_1, h_1), (d_2, h_2)] => {
                    let (r0, r1) = (h_1 / h, h_2 / h);
                    // d1_0 = (D − D₁)/r0, d1_1 = (D₁ − D₂)/r1
                    let d1_0 = combine(&[(1.0 / r0, &denoised), (-1.0 / r0, d_1)])?;
                    let d1_1 = combine(&[(1.0 / r1, d_1), (-1.0 / r1, d_2)])?;
                    // d1 = d1_0 + (d1_0 − d1_1) r0/(r0 + r1), d2 = (d1_0 − d1_1)/(r0 + r1)
                    let gap = combine(&[(1.0, &d1_0), (-1.0, &d1_1)])?;
                    let d1 = combine(&[(1.0, &d1_0), (r0 / (r0 + r1), &gap)])?;
                    let phi_3 = phi_2 / h_eta - 0.5;
                    x = combine(&[(1.0, &x), (phi_2, &d1), (-phi_3 / (r0 + r1), &gap)])?;
                }
                [(d_1, h_1)] => {
                    let r = h_1 / h;
                    x = combine(&[(1.0, &x), (phi_2 / r, &denoised), (-phi_2 / r, d_1)])?;
                }
                _ => {}
            }
            if eta != 0.0 {
                let z = run.noise_like(&x)?;
                x = combine(&[(1.0, &x), (next * (-(-2.0 * h * eta).exp_m1()).sqrt() * s_noise, &z)])?;
            }
            history.insert(0, (denoised.clone(), h));
            history.truncate(2);
        }
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
