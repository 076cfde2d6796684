//! The parallel randomized-midpoint sampler (Gupta, Cai & Chen 2024, parallel
//! algorithm, Alg. 2), on the OU clock (see [`super::ou`]). The step list is cut
//! into windows of R consecutive steps; each step r of a window is a sub-window
//! `[b_r, b_r + δ_r]` (reverse time from the window's start) with a random
//! midpoint `u_r = b_r + α_r δ_r`, α_r ~ U[0, 1] per sample. Starting from the
//! exponential-integrator guesses `y_r = e^{u_r} y + (e^{u_r} − 1) s(y)`, K Picard
//! rounds each evaluate the score at all R midpoints in one batched call and
//! re-integrate
//! `y_r ← e^{u_r} y + Σ_{j<r} δ_j e^{u_r − u_j} S_j + (e^{u_r − b_r} − 1) S_r`;
//! the window ends with `y ← e^{h} y + Σ_j δ_j e^{h − u_j} S_j`.
//!
//! The paper splits each window into equal sub-windows; here the sub-windows
//! are the steps of the list, so the list's refinement near σ → 0 (where the
//! score is stiff, Lipschitz ~ 1/σ²) also refines the Picard iteration, which
//! otherwise diverges on long windows. NFE per window is 1 + K·R; sequential
//! rounds are 1 + K. With R = K = 1 a window is one step of `rm`, which calls [`window`] so.
//! Draws: R·N uniforms per window.

use super::{ou, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::diffusion::parameterization::per_row;
use crate::error::Result;
use crate::tensor::Tensor;
use candle_core::Tensor as CTensor;

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "rm_parallel",
    summary: "Parallel randomized midpoints: windows of R steps whose R midpoints are refined by K batched Picard rounds (Gupta, Cai & Chen 2024)",
    options: &[
        OptionSpec { key: "parts", default: OptionDefault::Count(4), doc: "R: steps per window" },
        OptionSpec { key: "rounds", default: OptionDefault::Count(2), doc: "K: Picard rounds per window" },
    ],
    stochastic: false,
    run: rm_parallel,
};

/// NFE = 1 + K·R per window, in 1 + K sequential rounds.
pub fn rm_parallel(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let parts = p.count("parts")?;
    let rounds = p.count("rounds")?;
    if parts == 0 || rounds == 0 {
        crate::bail!("parts and rounds must be at least 1");
    }
    let times: Vec<f64> = sigmas.iter().map(|&s| ou::time_of_sigma(s)).collect();
    let mut y = (x.candle() * (-times[0]).exp())?;
    let mut start = 0;
    while start + 1 < times.len() {
        let end = (start + parts).min(times.len() - 1);
        y = window(run, &y, &times[start..=end], rounds)?;
        run.add_rounds(1 + rounds);
        let x_now = Tensor::from_candle((&y * times[end].exp())?);
        run.step(end - 1, sigmas[start], sigmas[end], &x_now, &x_now)?;
        start = end;
    }
    Ok(Tensor::from_candle((y * times[times.len() - 1].exp())?))
}

/// One window: the OU state `y` at `times[0]` carried to the last of `times` (decreasing
/// OU times, one sub-window per step) with `rounds` Picard rounds. Draws R·N uniforms.
pub(super) fn window(run: &mut Run, y: &CTensor, times: &[f64], rounds: usize) -> Result<CTensor> {
    let n = y.dims()[0];
    let t = times[0];
    let r_count = times.len() - 1;
    // sub-window r: [b[r], b[r] + d[r]] in reverse time from the window start
    let b: Vec<f64> = times[..r_count].iter().map(|ti| t - ti).collect();
    let d: Vec<f64> = times.windows(2).map(|w| w[0] - w[1]).collect();
    let h = t - times[r_count];
    let alphas = run.uniform(r_count * n)?;
    let u: Vec<Vec<f64>> =
        (0..r_count).map(|r| alphas[r * n..(r + 1) * n].iter().map(|a| b[r] + a * d[r]).collect()).collect();
    let rows = |v: Vec<f64>| per_row(&v, y);
    let s0 = ou::score(run, &Tensor::from_candle(y.clone()), &[t])?.into_candle();
    let mut mids: Vec<CTensor> = u
        .iter()
        .map(|ur| {
            Ok(y.broadcast_mul(&rows(ur.iter().map(|v| v.exp()).collect())?)?
                .add(&s0.broadcast_mul(&rows(ur.iter().map(|v| v.exp_m1()).collect())?)?)?)
        })
        .collect::<Result<_>>()?;
    let mut scores: Vec<CTensor> = vec![];
    for _ in 0..rounds {
        // every midpoint of the window in one batched call
        let stacked = Tensor::from_candle(CTensor::cat(&mids, 0)?);
        let t_mid: Vec<f64> = u.iter().flat_map(|ur| ur.iter().map(|v| (t - v).max(0.0))).collect();
        let all = ou::score(run, &stacked, &t_mid)?.into_candle();
        run.record.nfe += r_count - 1;
        scores = (0..r_count).map(|r| all.narrow(0, r * n, n)).collect::<candle_core::Result<_>>()?;
        mids = (0..r_count)
            .map(|r| {
                let mut acc = y.broadcast_mul(&rows(u[r].iter().map(|v| v.exp()).collect())?)?;
                for j in 0..r {
                    let w = rows(u[r].iter().zip(&u[j]).map(|(ur, uj)| d[j] * (ur - uj).exp()).collect())?;
                    acc = acc.add(&scores[j].broadcast_mul(&w)?)?;
                }
                let partial = rows(u[r].iter().map(|ur| (ur - b[r]).exp_m1()).collect())?;
                Ok(acc.add(&scores[r].broadcast_mul(&partial)?)?)
            })
            .collect::<Result<_>>()?;
    }
    let mut next = (y.clone() * h.exp())?;
    for (j, s) in scores.iter().enumerate() {
        next = next.add(&s.broadcast_mul(&rows(u[j].iter().map(|uj| d[j] * (h - uj).exp()).collect())?)?)?;
    }
    Ok(next)
}
