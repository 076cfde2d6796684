//! The randomized-midpoint sampler (Gupta, Cai & Chen 2024, sequential
//! algorithm), on the OU clock (see [`super::ou`]): over each step of length h
//! in reverse time, with α ~ U[0, 1] drawn per sample,
//! `y_α = e^{αh} y + (e^{αh} − 1) s(y, t)` (an exponential-integrator step to the
//! midpoint), then `y ← e^h y + h e^{(1−α)h} s(y_α, t − αh)`, an unbiased
//! estimate of the drift integral. NFE = 2 per step. One uniform α per sample
//! and step is drawn in order from the seeded generator. With
//! `corrector_steps` > 0, each step into t > 0 is followed by that many
//! underdamped Langevin corrector steps at the new time (see [`super::ulmc`]).

use super::{ou, ulmc, Params, Run};
use crate::diffusion::parameterization::per_row;
use crate::error::Result;
use crate::tensor::Tensor;

/// One randomized-midpoint step of length `h` from OU time `t`; returns the new state.
pub(super) fn rm_step(run: &mut Run, y: &Tensor, t: f64, h: f64, alphas: &[f64]) -> Result<Tensor> {
    let yc = y.candle();
    let n = alphas.len();
    let s0 = ou::score(run, y, &[t])?;
    let grow: Vec<f64> = alphas.iter().map(|a| (a * h).exp()).collect();
    let g = per_row(&grow, yc)?;
    let gm1 = per_row(&grow.iter().map(|e| e - 1.0).collect::<Vec<_>>(), yc)?;
    let mid = Tensor::from_candle(yc.broadcast_mul(&g)?.add(&s0.candle().broadcast_mul(&gm1)?)?);
    let t_mid: Vec<f64> = alphas.iter().map(|a| (t - a * h).max(0.0)).collect();
    let s_mid = ou::score(run, &mid, &t_mid)?;
    let weight = per_row(&alphas.iter().map(|a| h * ((1.0 - a) * h).exp()).collect::<Vec<_>>(), yc)?;
    debug_assert_eq!(n, y.dims()[0]);
    Ok(Tensor::from_candle(((yc * h.exp())? + s_mid.candle().broadcast_mul(&weight)?)?))
}

/// Options `corrector_steps` (0) and `corrector_size` (0.25: the corrector's step over the OU noise
/// level σ_t); NFE = 2·steps + corrector_steps·(steps into σ > 0).
pub fn rm(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let corrector_steps = p.count("corrector_steps", 0)?;
    let corrector_size = p.number("corrector_size", 0.25)?;
    if !(corrector_size > 0.0 && corrector_size.is_finite()) {
        crate::bail!("option `corrector_size` must be a positive number, got {corrector_size}");
    }
    let times: Vec<f64> = sigmas.iter().map(|&s| ou::time_of_sigma(s)).collect();
    let n = x.dims()[0];
    let mut y = Tensor::from_candle((x.candle() * (-times[0]).exp())?);
    for i in 0..times.len() - 1 {
        let h = times[i] - times[i + 1];
        let alphas = run.uniform(n);
        y = rm_step(run, &y, times[i], h, &alphas)?;
        if corrector_steps > 0 && times[i + 1] > 0.0 {
            y = ulmc::correct(run, y, times[i + 1], corrector_steps, corrector_size)?;
        }
        let x_now = Tensor::from_candle((y.candle() * times[i + 1].exp())?);
        run.step(i, sigmas[i], sigmas[i + 1], &x_now, &x_now)?;
    }
    Ok(Tensor::from_candle((y.candle() * times[times.len() - 1].exp())?))
}
