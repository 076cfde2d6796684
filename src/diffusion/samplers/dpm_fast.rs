//! DPM-Solver-fast (Lu et al. 2022, "DPM-Solver", §3.4), as k-diffusion's
//! `sample_dpm_fast`: a budget of NFE = `steps` model calls spent on
//! ⌊steps/3⌋ + 1 equal steps in t = −log σ from the list's first σ to its smallest
//! positive one, third-order steps with a second- and first-order step (steps
//! divisible by 3) or one lower-order step (otherwise) at the end. It stops at
//! σ_min, as k-diffusion does (no last step into σ = 0). With η > 0 each step stops
//! at its ancestral σ_down and adds S_noise σ_up ε: one draw per step with σ_up > 0.

use super::dpm_2_ancestral::{eta, DPM_SOLVER_NOISE};
use super::dpm_solver::{sigma_of, sigma_range, t_of, Solver, Stages};
use super::{axpy, combine, nfe::Cost, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::Tensor;

/// NFE = steps: the step count is the budget, spent on ⌊steps/3⌋ + 1 steps of order ≤ 3.
const COST: Cost =
    Cost::Fixed { rule: "steps (the budget, spent on ⌊steps/3⌋ + 1 steps of order ≤ 3)", count: |p| Ok(p.steps) };

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "dpm_fast",
    summary: "DPM-Solver-fast: `steps` NFE in equal log-σ steps of order 3 (Lu et al. 2022, §3.4)",
    options: &DPM_SOLVER_NOISE,
    stochastic: true,
    cost: COST,
    run: dpm_fast,
};

/// The orders of the steps for an NFE budget (k-diffusion's split).
fn orders(nfe: usize) -> Vec<usize> {
    let m = nfe / 3 + 1;
    let mut out = vec![3; if nfe % 3 == 0 { m - 2 } else { m - 1 }];
    if nfe % 3 == 0 {
        out.extend([2, 1]);
    } else {
        out.push(nfe % 3);
    }
    out
}

/// NFE = steps (the length of the σ list − 1); only its first and smallest positive σ are used.
pub fn dpm_fast(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let (eta, s_noise) = (eta(p)?, p.number("s_noise")?);
    let (sigma_min, sigma_max) = sigma_range(sigmas)?;
    let nfe = sigmas.len() - 1;
    let (t_start, t_end) = (t_of(sigma_max), t_of(sigma_min));
    let orders = orders(nfe);
    let m = nfe / 3 + 1;
    // torch.linspace(t_start, t_end, m + 1)
    let ts: Vec<f64> =
        (0..=m).map(|i| if i == m { t_end } else { t_start + (t_end - t_start) * i as f64 / m as f64 }).collect();
    let mut x = x;
    for (i, order) in orders.into_iter().enumerate() {
        let (t, t_next) = (ts[i], ts[i + 1]);
        let (reached, up) = Solver::ancestral(t, t_next, t_end, eta);
        let mut stages = Stages::default();
        let mut solver = Solver { run: &mut *run };
        let eps = solver.eps(&mut stages, &x, t)?;
        let denoised = combine(&[(1.0, &x), (-sigma_of(t), &eps)])?;
        x = match order {
            1 => solver.first(&mut stages, &x, t, reached)?,
            2 => solver.second(&mut stages, &x, t, reached, 0.5)?,
            _ => solver.third(&mut stages, &x, t, reached)?,
        };
        if up > 0.0 {
            let z = run.noise_like(&x)?;
            x = axpy(&x, up * s_noise, &z)?;
        }
        run.step(i, sigma_of(t), sigma_of(t_next), &x, &denoised)?;
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::orders;

    #[test]
    fn the_budget_is_split_as_k_diffusion_does() {
        assert_eq!(orders(1), vec![1]);
        assert_eq!(orders(3), vec![2, 1]);
        assert_eq!(orders(10), vec![3, 3, 3, 1]);
        assert_eq!(orders(12), vec![3, 3, 3, 2, 1]);
        for nfe in 1..40 {
            assert_eq!(orders(nfe).iter().sum::<usize>(), nfe);
        }
    }
}
