//! DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Alg. 2), as k-diffusion's
//! `sample_dpmpp_2m`: a multistep 2nd-order exponential integrator in
//! λ = −log σ that reuses the previous denoised estimate; first and last steps
//! are 1st order.

use super::{Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpmpp_2m",
    summary: "DPM-Solver++(2M), multistep 2nd order in log σ (Lu et al. 2022, Alg. 2)",
    options: &[],
    stochastic: false,
    cost: super::nfe::ONE_PER_STEP,
    run: dpmpp_2m,
};

/// NFE = steps.
pub fn dpmpp_2m(run: &mut Run, x: Tensor, sigmas: &[f64], _: &Params) -> Result<Tensor> {
    let mut x = x;
    let mut old: Option<Tensor> = None;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        let denoised = run.denoise(&x, sigma)?;
        let (t, t_next) = (-sigma.ln(), -next.ln());
        let h = t_next - t;
        let target = match &old {
            Some(prev) if next > 0.0 => {
                let h_last = t - (-sigmas[i - 1].ln());
                let r = h_last / h;
                Tensor::from_candle(
                    ((denoised.candle() * (1.0 + 1.0 / (2.0 * r)))? - (prev.candle() * (1.0 / (2.0 * r)))?)?,
                )
            }
            _ => denoised.clone(),
        };
        // x ← (σ_next/σ) x − (e^{−h} − 1) D
        let scale = if next > 0.0 { next / sigma } else { 0.0 };
        x = Tensor::from_candle(((x.candle() * scale)? - (target.candle() * (-h).exp_m1())?)?);
        run.step(i, sigma, next, &x, &denoised)?;
        old = Some(denoised);
    }
    Ok(x)
}
