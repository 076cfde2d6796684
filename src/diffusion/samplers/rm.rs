//! The randomized-midpoint sampler (Gupta, Cai & Chen 2024, sequential
//! algorithm), on the OU clock (see [`super::ou`]): over each step of length h
//! in reverse time, with α ~ U[0, 1] drawn per sample,
//! `y_α = e^{αh} y + (e^{αh} − 1) s(y, t)` (an exponential-integrator step to the
//! midpoint), then `y ← e^h y + h e^{(1−α)h} s(y_α, t − αh)`, an unbiased
//! estimate of the drift integral. NFE = 2 per step. One uniform α per sample
//! and step is drawn in order from the seeded generator. With
//! `corrector_steps` > 0, each step into t > 0 is followed by that many
//! underdamped Langevin corrector steps at the new time (see [`super::ulmc`]).

use super::rm_parallel::{window, Weights};
use super::{nfe::Cost, ou, ulmc, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// NFE = 2·steps + corrector_steps·(steps into σ > 0).
const COST: Cost = Cost::Fixed {
    rule: "2·steps + corrector_steps·(steps into σ > 0)",
    count: |p| Ok(2 * p.steps + p.params.count("corrector_steps")? * (p.steps - usize::from(p.ends_at_zero))),
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "rm",
    summary: "Randomized midpoints on the OU probability-flow ODE, 2 NFE a step, optional underdamped Langevin corrector (Gupta, Cai & Chen 2024)",
    options: &[
        OptionSpec { key: "corrector_steps", default: OptionDefault::Count(0), doc: "underdamped Langevin corrector steps after each step into σ > 0" },
        OptionSpec { key: "corrector_size", default: OptionDefault::Number(0.25), doc: "the corrector's step over the OU noise level σ_t" },
    ],
    stochastic: true,
    cost: COST,
    run: rm,
};

/// NFE = 2·steps + corrector_steps·(steps into σ > 0).
pub fn rm(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let corrector_steps = p.count("corrector_steps")?;
    let corrector_size = p.number("corrector_size")?;
    if !(corrector_size > 0.0 && corrector_size.is_finite()) {
        crate::bail!("option `corrector_size` must be a positive number, got {corrector_size}");
    }
    let times: Vec<f64> = sigmas.iter().map(|&s| ou::time_of_sigma(s)).collect();
    let mut y = Tensor::from_candle((x.candle() * (-times[0]).exp())?);
    for i in 0..times.len() - 1 {
        // a window of one step with one round: the sequential update above
        y = Tensor::from_candle(window(run, y.candle(), &times[i..=i + 1], 1, Weights::Midpoint)?);
        if corrector_steps > 0 && times[i + 1] > 0.0 {
            y = ulmc::correct(run, y, times[i + 1], corrector_steps, corrector_size)?;
        }
        let x_now = Tensor::from_candle((y.candle() * times[i + 1].exp())?);
        run.step(i, sigmas[i], sigmas[i + 1], &x_now, &x_now)?;
    }
    Ok(Tensor::from_candle((y.candle() * times[times.len() - 1].exp())?))
}
