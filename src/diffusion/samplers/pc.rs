//! Predictor–corrector sampling (Song et al. 2021, Algs. 4–5, VE form): at each
//! level, `corrector_steps` Langevin corrections with a step size set by the
//! target signal-to-noise ratio, ε = 2 (snr ‖z‖ / ‖∇log p‖)² (norms averaged over
//! the batch; at most σ²), then a reverse-diffusion predictor step to the next level. The
//! last predictor step, into σ = 0, returns its mean (the denoised estimate).
//! Noise order per level: the corrector draws, then the predictor draw.

use super::{axpy, nfe::Cost, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// The mean over rows of the per-row L2 norms, as a 0-d tensor where `t` lives (read by
/// no one on the host: the step size stays on the device).
fn mean_row_norm(t: &Tensor) -> Result<candle_core::Tensor> {
    Ok(t.candle().flatten_from(1)?.sqr()?.sum(1)?.sqrt()?.mean_all()?)
}

/// NFE = steps·(1 + corrector_steps): every level's correctors, then its predictor.
const COST: Cost = Cost::Fixed {
    rule: "steps·(1 + corrector_steps)",
    count: |p| Ok(p.steps * (1 + p.params.count("corrector_steps")?)),
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "pc",
    summary:
        "Predictor–corrector: reverse diffusion + Langevin corrector with target SNR (Song et al. 2021, Algs. 4–5)",
    options: &[
        OptionSpec {
            key: "snr",
            default: OptionDefault::Number(0.16),
            doc: "the corrector's target signal-to-noise ratio (Song et al.'s VE setting)",
        },
        OptionSpec {
            key: "corrector_steps",
            default: OptionDefault::Count(1),
            doc: "Langevin corrector steps at each level",
        },
    ],
    stochastic: true,
    cost: COST,
    run: pc,
};

/// NFE = steps·(1 + corrector_steps).
pub fn pc(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let snr = p.number("snr")?;
    let correctors = p.count("corrector_steps")?;
    let mut x = x;
    for i in 0..sigmas.len() - 1 {
        let (sigma, next) = (sigmas[i], sigmas[i + 1]);
        for _ in 0..correctors {
            let denoised = run.denoise(&x, sigma)?;
            let score = Tensor::from_candle(((denoised.candle() - x.candle())? / (sigma * sigma))?);
            let z = run.noise_like(&x)?;
            let ratio = (mean_row_norm(&z)? * snr)?.div(&mean_row_norm(&score)?.maximum(1e-30)?)?;
            // capped at σ²: where the score vanishes (x already denoised, in f32) the
            // ratio is unbounded, and a Langevin step beyond the level is never wanted
            let step = (ratio.sqr()? * 2.0)?.minimum(sigma * sigma)?;
            let spread = (&step * 2.0)?.sqrt()?;
            let moved = x.candle().add(&score.candle().broadcast_mul(&step)?)?;
            x = Tensor::from_candle(moved.add(&z.candle().broadcast_mul(&spread)?)?);
        }
        let denoised = run.denoise(&x, sigma)?;
        let var = sigma * sigma - next * next;
        let mean = Tensor::from_candle((x.candle() + ((denoised.candle() - x.candle())? * (var / (sigma * sigma)))?)?);
        x = if next > 0.0 {
            let z = run.noise_like(&mean)?;
            axpy(&mean, var.sqrt(), &z)?
        } else {
            mean
        };
        run.step(i, sigma, next, &x, &denoised)?;
    }
    Ok(x)
}
