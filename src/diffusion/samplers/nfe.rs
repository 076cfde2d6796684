//! What a sampler spends: its number of denoiser evaluations (NFE) for a step count, declared
//! with the sampler as a [`Cost`], and the inverse, the most steps an NFE budget allows. NFE is
//! counted as k-diffusion and the papers count it: one batched call over N samples is one
//! evaluation, and a parallel sampler's call over R points per sample counts R.

use super::{Params, Sampler};
use crate::error::Result;

/// What an NFE rule is asked about: a step count over a σ list, the sampler's options (resolved)
/// and, where known, the dimension of one sample.
pub struct Plan<'a> {
    /// Steps: the σ list's length − 1.
    pub steps: usize,
    /// Whether the list ends at σ = 0 (the default lists do), where second-order samplers take
    /// a last Euler step.
    pub ends_at_zero: bool,
    /// The sampler's options with their defaults filled in.
    pub params: &'a Params,
    /// The number of values in one sample, for rules that take it from the data.
    pub dim: Option<usize>,
}

/// How a sampler's NFE follows from its steps.
pub enum Cost {
    /// Fixed by the steps and the options: the rule in words (shown by `sampler_info` and
    /// `help`) and the count.
    Fixed {
        /// The rule, as a formula in `steps` and the options.
        rule: &'static str,
        /// The count for a plan.
        count: fn(&Plan) -> Result<usize>,
    },
    /// The sampler chooses its own steps (an adaptive step-size controller); why a budget
    /// cannot set them.
    Adaptive(&'static str),
}

impl Cost {
    /// The rule in words.
    pub fn rule(&self) -> &'static str {
        match self {
            Cost::Fixed { rule, .. } => rule,
            Cost::Adaptive(why) => why,
        }
    }
}

/// One evaluation per step.
pub const ONE_PER_STEP: Cost = Cost::Fixed { rule: "steps", count: one_per_step };

/// Two evaluations per step, one on a last step into σ = 0 (which is an Euler step, as
/// Karras et al. 2022, Alg. 1, line 8).
pub const TWO_PER_STEP: Cost =
    Cost::Fixed { rule: "2·steps − 1 (the last step, into σ = 0, is an Euler step)", count: two_per_step };

fn one_per_step(plan: &Plan) -> Result<usize> {
    Ok(plan.steps)
}

fn two_per_step(plan: &Plan) -> Result<usize> {
    Ok(2 * plan.steps - usize::from(plan.ends_at_zero && plan.steps > 0))
}

/// The NFE of `sampler` for `steps` with `params` (checked and completed with its defaults).
pub fn nfe_of(
    sampler: &Sampler,
    steps: usize,
    params: &Params,
    ends_at_zero: bool,
    dim: Option<usize>,
) -> Result<usize> {
    let params = params.resolve(sampler.name, sampler.options)?;
    match &sampler.cost {
        Cost::Fixed { count, .. } => count(&Plan { steps, ends_at_zero, params: &params, dim }),
        Cost::Adaptive(why) => crate::bail!("method \"{}\" {why}", sampler.name),
    }
}

/// The most steps of `sampler` whose NFE fits in `budget` (every sampler spends at least one
/// evaluation per step, or `steps` evaluations in all, so no more than `budget` steps are
/// tried). An error when even one step costs more, or when the sampler is adaptive.
pub fn steps_for(
    sampler: &Sampler,
    budget: usize,
    params: &Params,
    ends_at_zero: bool,
    dim: Option<usize>,
) -> Result<usize> {
    let one = nfe_of(sampler, 1, params, ends_at_zero, dim)?;
    if budget < one {
        crate::bail!(
            "an NFE budget of {budget} is below one step of method \"{}\", which spends {one} (NFE = {})",
            sampler.name,
            sampler.cost.rule()
        );
    }
    // NFE grows with the steps: the last count within the budget
    let mut best = 1;
    for steps in 2..=budget {
        if nfe_of(sampler, steps, params, ends_at_zero, dim)? > budget {
            break;
        }
        best = steps;
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::samplers::{find, ParamValue};

    #[test]
    fn heun_spends_two_per_step_but_the_last() {
        let heun = find("heun").unwrap();
        assert_eq!(nfe_of(heun, 10, &Params::new(), true, None).unwrap(), 19);
        assert_eq!(nfe_of(heun, 10, &Params::new(), false, None).unwrap(), 20);
        assert_eq!(steps_for(heun, 8, &Params::new(), true, None).unwrap(), 4);
        assert_eq!(steps_for(heun, 9, &Params::new(), true, None).unwrap(), 5);
    }

    /// A Gaussian's exact denoiser that counts its evaluations: the rows it denoises over the
    /// batch size (a parallel sampler's call over R points per sample counts R).
    struct Counting {
        inner: crate::diffusion::mixture::Mixture,
        batch: usize,
        evaluations: std::cell::Cell<usize>,
    }

    impl crate::diffusion::denoiser::Denoiser for Counting {
        fn denoise(&self, x: &crate::tensor::Tensor, sigma: &[f64]) -> Result<crate::tensor::Tensor> {
            assert_eq!(x.dims()[0] % self.batch, 0, "a call over part of the batch");
            self.evaluations.set(self.evaluations.get() + x.dims()[0] / self.batch);
            self.inner.denoise(x, sigma)
        }
        fn example_shape(&self) -> Option<Vec<usize>> {
            Some(vec![3])
        }
        fn sigma_range(&self) -> (f64, f64) {
            (0.01, 20.0)
        }
    }

    /// Runs `method` with `options` over `steps` Karras steps (ending at 0, or cut before it)
    /// and returns the evaluations counted and the rule's NFE.
    fn counted(method: &str, options: &[(&str, ParamValue)], steps: usize, ends_at_zero: bool) -> (usize, usize) {
        let den = Counting {
            inner: crate::diffusion::mixture::Mixture::new(vec![vec![0.5, -1.0, 2.0]], vec![0.7], vec![1.0]).unwrap(),
            batch: 2,
            evaluations: std::cell::Cell::new(0),
        };
        let mut params = Params::new();
        for (k, v) in options {
            params.set(k, v.clone());
        }
        let sigmas = if ends_at_zero {
            crate::diffusion::timesteps::karras_sigmas(steps, 0.01, 20.0, 7.0).unwrap()
        } else {
            crate::diffusion::timesteps::karras_sigmas(steps + 1, 0.01, 20.0, 7.0).unwrap()[..=steps].to_vec()
        };
        let x = crate::tensor::create::randn(&[2, 3], &Default::default()).unwrap();
        let mut run = super::super::Run::new(&den, super::super::Noise::Random, None, false);
        super::super::sample(method, &mut run, x, &sigmas, &params).unwrap();
        let sampler = find(method).unwrap();
        (den.evaluations.get(), nfe_of(sampler, steps, &params, ends_at_zero, Some(3)).unwrap())
    }

    #[test]
    fn every_rule_matches_the_evaluations_counted() {
        use ParamValue::{Number, Text};
        let variants: &[(&str, &[(&str, ParamValue)])] = &[
            ("pc", &[("corrector_steps", Number(0.0))]),
            ("pc", &[("corrector_steps", Number(3.0))]),
            ("rm", &[("corrector_steps", Number(2.0))]),
            ("rm_parallel", &[("parts", Number(3.0)), ("rounds", Number(3.0))]),
            ("rm_parallel", &[("split", Text("equal".into()))]),
            ("rm_parallel", &[("plan", Text("dimension".into()))]),
            ("shortcut", &[("choose", Number(2.0))]),
            ("unipc", &[("corrector", Number(0.0))]),
        ];
        let defaults = crate::diffusion::samplers::SAMPLERS
            .iter()
            .filter(|s| matches!(s.cost, Cost::Fixed { .. }))
            .map(|s| (s.name, &[][..]));
        let mut checked = 0;
        for (method, options) in defaults.chain(variants.iter().copied()) {
            for steps in 1..=11 {
                for ends_at_zero in [true, false] {
                    // DPM-Solver-fast needs two positive levels; shortcut chooses 2 of at least 2 steps
                    let positive_levels = steps + usize::from(!ends_at_zero);
                    if (method == "dpm_fast" && positive_levels < 2) || (method == "shortcut" && steps < 2) {
                        continue;
                    }
                    let (evaluations, rule) = counted(method, options, steps, ends_at_zero);
                    assert_eq!(
                        evaluations, rule,
                        "{method} {options:?}, {steps} steps, ending at zero: {ends_at_zero}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn budgets_below_one_step_and_adaptive_samplers_are_refused() {
        let mut p = Params::new();
        p.set("corrector_steps", ParamValue::Number(2.0));
        let e = steps_for(find("pc").unwrap(), 2, &p, true, None).unwrap_err().to_string();
        assert!(e.contains("below one step") && e.contains("spends 3"), "{e}");
        let e = steps_for(find("rk45").unwrap(), 20, &Params::new(), true, None).unwrap_err().to_string();
        assert!(e.contains("chooses its own steps"), "{e}");
    }
}
