//! The parallel randomized-midpoint sampler (Gupta, Cai & Chen 2024, parallel
//! algorithm), on the OU clock (see [`super::ou`]). A window `[t, t − h]` of
//! reverse time is cut into R sub-windows `[b_r, b_r + δ_r]` (measured from the
//! window's start), each with a random midpoint `u_r = b_r + α_r δ_r`,
//! α_r ~ U[0, 1] per sample. Starting from the exponential-integrator guesses
//! `y_r = e^{u_r} y + (e^{u_r} − 1) s(y)`, each Picard round evaluates the score
//! at all R midpoints in one batched call and re-integrates
//! `y_r ← e^{u_r} y + Σ_{j<r} w_{rj} S_j + (e^{u_r − b_r} − 1) S_r`;
//! the window ends with the randomized-midpoint estimate
//! `y ← e^{h} y + Σ_j δ_j e^{h − u_j} S_j` from the last evaluated scores.
//!
//! Two ways to cut the windows (`split`):
//! - `"equal"`, the paper's scheme: every step of the σ list is one window, cut
//!   into R equal sub-windows δ = h/R, with the paper's exponential-integrator
//!   weights `w_{rj} = e^{u_r − b_j} − e^{u_r − b_j − δ_j}` (e^{u_r − τ} integrated
//!   exactly over sub-window j with its score held fixed). NFE per step: 1 + rounds·R.
//! - `"steps"`: a window is R consecutive steps of the list, each step one
//!   sub-window, with randomized-midpoint weights `w_{rj} = δ_j e^{u_r − u_j}`, so the
//!   list's refinement near σ → 0 (where the score is stiff, Lipschitz ~ 1/σ²)
//!   also refines the Picard iteration. NFE per R steps: 1 + rounds·R.
//!
//! `rounds` counts the batched midpoint evaluations of a window: the paper's K
//! Picard refinements are `rounds − 1`, the last evaluation feeding the final
//! update. Sequential rounds per window: 1 + rounds. With R = 1 and rounds = 1 a
//! window is one step of `rm`, which calls [`window`] so. `plan: "dimension"`
//! takes R and K from the data dimension d as the paper's parallel bound does
//! (K ∝ log d Picard rounds, R sub-windows growing polynomially in d): see
//! [`dimension_plan`]. Draws: R·N uniforms per window.

use super::{nfe::Cost, ou, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::diffusion::parameterization::per_row;
use crate::error::Result;
use crate::tensor::Tensor;
use candle_core::Tensor as CTensor;

/// NFE = 1 + rounds·R per window (R steps of the list, or R equal sub-windows of a step).
const COST: Cost = Cost::Fixed {
    rule: "1 + rounds·R per window: windows of `parts` steps (split \"steps\") or one step cut in `parts` (split \"equal\")",
    count: |p| {
        let (parts, rounds) = match p.params.text("plan")? {
            "dimension" => match p.dim {
                Some(d) => dimension_plan(d),
                None => crate::bail!("plan \"dimension\" takes R and K from the data dimension: give `dim`"),
            },
            _ => (p.params.count("parts")?, p.params.count("rounds")?),
        };
        if parts == 0 || rounds == 0 {
            crate::bail!("parts and rounds must be at least 1");
        }
        Ok(match p.params.text("split")? {
            "equal" => p.steps * (1 + rounds * parts),
            _ => p.steps.div_ceil(parts) + rounds * p.steps,
        })
    },
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "rm_parallel",
    summary: "Parallel randomized midpoints: windows of R sub-windows whose midpoints are refined by batched Picard rounds (Gupta, Cai & Chen 2024)",
    options: &[
        OptionSpec { key: "parts", default: OptionDefault::Count(4), doc: "R: sub-windows per window" },
        OptionSpec { key: "rounds", default: OptionDefault::Count(2), doc: "batched midpoint evaluations per window: the paper's K Picard refinements + 1" },
        OptionSpec { key: "split", default: OptionDefault::Choice(&["steps", "equal"]), doc: "\"steps\": a window is R steps of the list; \"equal\": each step is a window cut into R equal sub-windows (the paper's)" },
        OptionSpec { key: "plan", default: OptionDefault::Choice(&["given", "dimension"]), doc: "\"dimension\": R = ⌈d^(5/12)⌉, K = ⌈log₂ d⌉ from the data dimension d, in place of parts and rounds" },
    ],
    stochastic: false,
    cost: COST,
    run: rm_parallel,
};

/// How the Picard update weights an earlier sub-window's score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Weights {
    /// δ_j e^{u_r − u_j}: the sub-window's midpoint value times its length.
    Midpoint,
    /// e^{u_r − b_j} − e^{u_r − b_j − δ_j}: e^{u_r − τ} integrated exactly over the sub-window.
    Exponential,
}

/// The paper's parallel choice of (R, rounds) for data dimension d: R = ⌈d^{5/12}⌉
/// sub-windows (the sequential method's d^{5/12} step count spread over the window)
/// and K = ⌈log₂ d⌉ Picard refinements (the contraction that reaches accuracy
/// poly(1/d) in O(log d) rounds), so rounds = K + 1. The paper gives rates only;
/// the constants (1 and 1) are difflab's.
pub fn dimension_plan(d: usize) -> (usize, usize) {
    let d = d.max(2) as f64;
    let parts = (d.powf(5.0 / 12.0) - 1e-9).ceil() as usize;
    let refinements = (d.log2() - 1e-9).ceil() as usize;
    (parts, refinements + 1)
}

/// NFE = 1 + rounds·R per window, in 1 + rounds sequential rounds.
pub fn rm_parallel(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (parts, rounds) = match p.text("plan")? {
        "dimension" => dimension_plan(x.candle().elem_count() / x.dims()[0].max(1)),
        _ => (p.count("parts")?, p.count("rounds")?),
    };
    if parts == 0 || rounds == 0 {
        crate::bail!("parts and rounds must be at least 1");
    }
    let times: Vec<f64> = sigmas.iter().map(|&s| ou::time_of_sigma(s)).collect();
    let mut y = (x.candle() * (-times[0]).exp())?;
    let equal = p.text("split")? == "equal";
    let mut start = 0;
    while start + 1 < times.len() {
        let end = if equal { start + 1 } else { (start + parts).min(times.len() - 1) };
        let (cuts, weights) = if equal {
            let (t0, t1) = (times[start], times[end]);
            ((0..=parts).map(|r| t0 + (t1 - t0) * r as f64 / parts as f64).collect(), Weights::Exponential)
        } else {
            (times[start..=end].to_vec(), Weights::Midpoint)
        };
        y = window(run, &y, &cuts, rounds, weights)?;
        run.add_rounds(1 + rounds);
        let x_now = Tensor::from_candle((&y * times[end].exp())?);
        run.step(end - 1, sigmas[start], sigmas[end], &x_now, &x_now)?;
        start = end;
    }
    Ok(Tensor::from_candle((y * times[times.len() - 1].exp())?))
}

/// The weight of sub-window j's score in the Picard update of midpoint r (j < r), for
/// midpoints `u_r`, `u_j`, sub-window start `b_j` and length `d_j`.
pub(super) fn earlier_weight(kind: Weights, u_r: f64, u_j: f64, b_j: f64, d_j: f64) -> f64 {
    match kind {
        Weights::Midpoint => d_j * (u_r - u_j).exp(),
        Weights::Exponential => (u_r - b_j).exp() - (u_r - b_j - d_j).exp(),
    }
}

/// One window: the OU state `y` at `times[0]` carried to the last of `times` (decreasing
/// OU times, one sub-window between neighbours) with `rounds` batched midpoint
/// evaluations. Draws R·N uniforms.
pub(super) fn window(run: &mut Run, y: &CTensor, times: &[f64], rounds: usize, kind: Weights) -> Result<CTensor> {
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
                    let w = u[r].iter().zip(&u[j]).map(|(ur, uj)| earlier_weight(kind, *ur, *uj, b[j], d[j]));
                    acc = acc.add(&scores[j].broadcast_mul(&rows(w.collect())?)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_weights_are_the_papers() {
        // the paper, for δ = h/R and midpoint α_i h in sub-window i (1-based):
        // x_{α_i h} ≈ e^{α_i h} x + Σ_{j ≤ i} (e^{α_i h − (j−1)δ} − max(e^{α_i h − jδ}, 1)) s_j;
        // the j = i term is the current sub-window's (e^{u_r − b_r} − 1), the rest are earlier_weight
        let (h, parts) = (0.9, 5usize);
        let delta = h / parts as f64;
        let alphas = [0.13, 0.4, 0.77, 0.05, 0.5];
        for i in 1..=parts {
            let u_i = ((i - 1) as f64 + alphas[i - 1]) * delta;
            for j in 1..i {
                let paper = (u_i - (j - 1) as f64 * delta).exp() - (u_i - j as f64 * delta).exp().max(1.0);
                let u_j = ((j - 1) as f64 + alphas[j - 1]) * delta;
                let ours = earlier_weight(Weights::Exponential, u_i, u_j, (j - 1) as f64 * delta, delta);
                assert!((paper - ours).abs() < 1e-15, "i {i} j {j}: {paper} vs {ours}");
            }
            let current = (u_i - (i - 1) as f64 * delta).exp() - (u_i - i as f64 * delta).exp().max(1.0);
            assert!((current - (u_i - (i - 1) as f64 * delta).exp_m1()).abs() < 1e-15);
        }
    }

    #[test]
    fn the_dimension_plan_follows_the_rates() {
        assert_eq!(dimension_plan(2), (2, 2));
        assert_eq!(dimension_plan(16), (4, 5));
        assert_eq!(dimension_plan(64), (6, 7));
        assert_eq!(dimension_plan(1024), (18, 11));
    }
}
