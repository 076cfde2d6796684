//! The shortcut sampler of Chen (2023), "Speed up the inference of diffusion
//! models via shortcut MCMC sampling": K noise levels, each step predicts x̂0
//! and re-noises it straight to the next level, `x ← x̂0 + σ_next ε` (in VP
//! form `x_{t_{k−1}} = α x̂0 + σ ε`). With `choose: K` the K levels are drawn at
//! random (distinct, kept in order) from the given list, always starting at its
//! first level, as the paper's sampler picks K of T steps. One noise draw per
//! step into σ > 0.

use super::{axpy, nfe::Cost, OptionDefault, OptionSpec, Params, Run, Sampler};
use crate::error::Result;
use crate::tensor::{rng, Tensor};

/// The levels actually used: all of `sigmas`, or the first, `choose − 1` random
/// interior ones (sorted), and the final one.
fn chosen_levels(sigmas: &[f64], choose: usize) -> Result<Vec<f64>> {
    let interior = sigmas.len().saturating_sub(2);
    if choose == 0 || choose > interior + 1 {
        crate::bail!("choose must be between 1 and {} (the steps of the list), got {choose}", interior + 1);
    }
    let mut picked: Vec<usize> = rng::permutation(interior)?.into_iter().take(choose - 1).map(|i| i + 1).collect();
    picked.sort_unstable();
    let mut levels = vec![sigmas[0]];
    levels.extend(picked.into_iter().map(|i| sigmas[i]));
    levels.push(sigmas[sigmas.len() - 1]);
    Ok(levels)
}

/// NFE = steps, or K with `choose: K` (K levels drawn from the list, whatever its length).
const COST: Cost = Cost::Fixed {
    rule: "steps, or `choose` when it is set",
    count: |p| match p.params.count("choose")? {
        0 => Ok(p.steps),
        k if k <= p.steps => Ok(k),
        k => crate::bail!("choose must be between 1 and {} (the steps of the list), got {k}", p.steps),
    },
};

/// The registry's entry.
pub const SAMPLER: Sampler = Sampler {
    name: "shortcut",
    summary: "Shortcut MCMC: predict x̂0, re-noise to the next of K (random) levels (Chen 2023)",
    options: &[OptionSpec {
        key: "choose",
        default: OptionDefault::Count(0),
        doc: "K: how many levels to draw at random from the list (0: use every level)",
    }],
    stochastic: true,
    cost: COST,
    run: shortcut,
};

/// One denoiser call per level used, but the last.
pub fn shortcut(run: &mut Run, x: Tensor, sigmas: &[f64], p: &Params) -> Result<Tensor> {
    let choose = p.count("choose")?;
    let levels = if choose == 0 { sigmas.to_vec() } else { chosen_levels(sigmas, choose)? };
    let mut x = x;
    for i in 0..levels.len() - 1 {
        let (sigma, next) = (levels[i], levels[i + 1]);
        let x0 = run.denoise(&x, sigma)?;
        x = if next > 0.0 {
            let z = run.noise_like(&x0)?;
            axpy(&x0, next, &z)?
        } else {
            x0.clone()
        };
        run.step(i, sigma, next, &x, &x0)?;
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_levels_keep_the_ends_and_order() {
        let sigmas: Vec<f64> = (0..=20).rev().map(|i| i as f64).collect();
        let levels = chosen_levels(&sigmas, 5).unwrap();
        assert_eq!(levels.len(), 6);
        assert_eq!((levels[0], levels[5]), (20.0, 0.0));
        assert!(levels.windows(2).all(|w| w[0] > w[1]));
        assert!(chosen_levels(&sigmas, 30).is_err());
    }
}
