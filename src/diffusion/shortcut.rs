//! Shortcut-MCMC training (Chen 2023, "Speed up the inference of diffusion
//! models via shortcut MCMC sampling", Algorithm 1): the usual ε-loss plus a
//! fidelity term that runs the shortcut sampler's chain through K randomly
//! chosen steps and penalises ‖x0 − x̂0‖² at its end. Unlike the authors' code,
//! the fidelity gradient flows back through the whole chain. Algorithm 1 takes the
//! two terms as two gradient steps per batch; [`Terms`] gives either term alone for
//! that, or their sum for one step.

use super::loss::{diffusion_loss, noise_input, LossOptions, Weighting};
use super::parameterization::{x0_from, Pred};
use super::schedule::Schedule;
use crate::error::Result;
use crate::nn::network::Network;
use crate::tensor::{create, create::Placement, rng, Tensor};
use candle_core::Tensor as CTensor;

/// Which terms [`shortcut_loss`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terms {
    /// The ε-loss plus the weighted fidelity: one gradient step takes both.
    Both,
    /// The ε-loss alone: Algorithm 1's first step.
    Diffusion,
    /// The weighted fidelity alone: Algorithm 1's second step.
    Fidelity,
}

impl Terms {
    /// Parses "both", "diffusion" or "fidelity".
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "both" => Terms::Both,
            "diffusion" => Terms::Diffusion,
            "fidelity" => Terms::Fidelity,
            other => crate::bail!("unknown terms \"{other}\"; expected \"both\", \"diffusion\" or \"fidelity\""),
        })
    }
}

/// The options of [`shortcut_loss`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortcutOptions {
    /// Steps in the fidelity chain (K).
    pub k: usize,
    /// The discrete steps the chain picks from (T); step j is time j/T.
    pub t: usize,
    /// The weight of the fidelity term.
    pub weight: f64,
    /// One ε for every re-noising (shared) instead of a fresh one per step. Fresh is
    /// the default because it is what the shortcut sampler does at inference.
    pub shared_eps: bool,
    /// Start the chain at the last step T (as the authors' code) instead of a random one.
    pub start_at_end: bool,
    /// What the network predicts.
    pub pred: Pred,
    /// Which terms the loss holds.
    pub terms: Terms,
}

/// K distinct steps from {1..T}, largest first; with `start_at_end` the first is T.
pub fn chain_steps(k: usize, t: usize, start_at_end: bool) -> Result<Vec<usize>> {
    if k == 0 || k > t {
        crate::bail!("K must be between 1 and T = {t}, got {k}");
    }
    let mut steps: Vec<usize> = if start_at_end {
        let mut rest: Vec<usize> = rng::permutation(t - 1)?.into_iter().take(k - 1).map(|i| i + 1).collect();
        rest.push(t);
        rest
    } else {
        rng::permutation(t)?.into_iter().take(k).map(|i| i + 1).collect()
    };
    steps.sort_unstable_by(|a, b| b.cmp(a));
    Ok(steps)
}

/// The end of the chain, x̂0 after the last step, from `x0` noised at the first
/// step with `eps[0]`, re-noised with `eps[k]` after step k.
pub fn chain_end(
    net: &Network,
    sched: &Schedule,
    x0: &CTensor,
    steps: &[usize],
    t_total: usize,
    eps: &[CTensor],
    pred: Pred,
) -> Result<CTensor> {
    let input = net.time_input().ok_or_else(|| crate::Error::new("a classifier cannot be trained as a denoiser"))?;
    let (lo, hi) = (sched.t_min(), sched.t_max());
    let time = |j: usize| (j as f64 / t_total as f64).clamp(lo, hi);
    let (a0, s0) = (sched.alpha(time(steps[0])), sched.sigma(time(steps[0])));
    let mut x = ((x0 * a0)? + (&eps[0] * s0)?)?;
    let mut x0_hat = x.clone();
    for (k, &step) in steps.iter().enumerate() {
        let t = time(step);
        let (a, s) = (sched.alpha(t), sched.sigma(t));
        let n = x.dims()[0];
        let c = create::full(
            &[n],
            noise_input(input, sched, &[t])[0],
            &Placement { dtype: x.dtype(), device: x.device().clone() },
        )?;
        let out = net.forward(&Tensor::from_candle(x.clone()), &c)?.into_candle();
        let at = Placement { dtype: x.dtype(), device: x.device().clone() };
        let (alpha, sigma) = (create::full(&[], a, &at)?.into_candle(), create::full(&[], s, &at)?.into_candle());
        x0_hat = x0_from(pred, &out, &x, &alpha, &sigma, None)?;
        if let Some(&next) = steps.get(k + 1) {
            let tn = time(next);
            x = ((&x0_hat * sched.alpha(tn))? + (&eps[k + 1] * sched.sigma(tn))?)?;
        }
    }
    Ok(x0_hat)
}

/// The ε-loss at a random time plus `weight` times the fidelity ‖x0 − x̂0‖² of a K-step chain
/// (or one of the two, as `opts.terms` says).
pub fn shortcut_loss(net: &Network, sched: &Schedule, x0: &Tensor, opts: &ShortcutOptions) -> Result<Tensor> {
    if matches!(opts.pred, Pred::Edm | Pred::Flow) {
        crate::bail!("the shortcut chain takes eps, x0, v or score predictions");
    }
    let base = match opts.terms {
        Terms::Fidelity => None,
        _ => Some(diffusion_loss(
            net,
            sched,
            x0,
            &LossOptions { pred: opts.pred, weighting: Weighting::Simple, times: LossOptions::default_times(sched) },
            None,
            None,
        )?),
    };
    if opts.terms == Terms::Diffusion {
        return Ok(base.expect("computed for these terms"));
    }
    let steps = chain_steps(opts.k, opts.t, opts.start_at_end)?;
    let at = Placement { dtype: x0.dtype(), device: x0.device().clone() };
    let first = create::randn(x0.dims(), &at)?.into_candle();
    let eps: Vec<CTensor> = (0..steps.len())
        .map(|k| {
            if k == 0 || opts.shared_eps {
                Ok(first.clone())
            } else {
                Ok(create::randn(x0.dims(), &at)?.into_candle())
            }
        })
        .collect::<Result<_>>()?;
    let end = chain_end(net, sched, x0.candle(), &steps, opts.t, &eps, opts.pred)?;
    let fidelity = (end.sub(x0.candle())?.sqr()?.flatten_from(1)?.mean(1)?.mean_all()? * opts.weight)?;
    Ok(Tensor::from_candle(match base {
        Some(base) => (base.into_candle() + fidelity)?,
        None => fidelity,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::embed::TimeInput;
    use crate::nn::mlp::MlpConfig;
    use crate::nn::network::Architecture;

    #[test]
    fn steps_are_distinct_descending_and_may_start_at_t() {
        for _ in 0..20 {
            let s = chain_steps(10, 200, false).unwrap();
            assert_eq!(s.len(), 10);
            assert!(s.windows(2).all(|w| w[0] > w[1]) && s.iter().all(|&j| (1..=200).contains(&j)));
            assert_eq!(chain_steps(4, 50, true).unwrap()[0], 50);
        }
        assert!(chain_steps(0, 5, false).is_err() && chain_steps(6, 5, false).is_err());
    }

    /// A 2-D MLP with one hidden layer of 16, drawn from the current seed.
    fn small_mlp() -> Network {
        let arch = Architecture::Mlp(MlpConfig { hidden: vec![16], time_dim: 8, ..Default::default() });
        Network::new(arch, &Placement::default()).unwrap()
    }

    #[test]
    fn both_terms_are_the_diffusion_step_and_then_the_fidelity_step() {
        let net = small_mlp();
        let sched = Schedule::vp_cosine(0.008).unwrap();
        let x0 = create::randn(&[8, 2], &Placement::default()).unwrap();
        let loss = |terms| {
            let opts = ShortcutOptions {
                k: 3,
                t: 20,
                weight: 0.5,
                shared_eps: false,
                start_at_end: false,
                pred: Pred::V,
                terms,
            };
            shortcut_loss(&net, &sched, &x0, &opts).unwrap().to_f64_vec().unwrap()[0]
        };
        rng::seed(11);
        let both = loss(Terms::Both);
        rng::seed(11);
        let (diffusion, fidelity) = (loss(Terms::Diffusion), loss(Terms::Fidelity));
        assert!(diffusion > 0.0 && fidelity > 0.0);
        assert!((both - (diffusion + fidelity)).abs() < 1e-5 * both, "{both} vs {diffusion} + {fidelity}");
        assert!(Terms::parse("all").unwrap_err().message().contains("\"both\", \"diffusion\" or \"fidelity\""));
    }

    #[test]
    fn the_fidelity_gradient_flows_through_the_whole_chain() {
        rng::seed(3);
        let net = small_mlp();
        let sched = Schedule::vp_cosine(0.008).unwrap();
        let x0 = create::randn(&[8, 2], &Placement::default()).unwrap().into_candle();
        let eps: Vec<CTensor> =
            (0..3).map(|_| create::randn(&[8, 2], &Placement::default()).unwrap().into_candle()).collect();
        let steps = [150, 90, 30];
        let end = chain_end(&net, &sched, &x0, &steps, 200, &eps, Pred::Eps).unwrap();
        let loss = end.sub(&x0).unwrap().sqr().unwrap().mean_all().unwrap();
        let grads = loss.backward().unwrap();
        let first_layer =
            net.store().params().iter().find(|(n, _)| n == "layers.0.weight").unwrap().1.as_tensor().clone();
        let through = grads.get(&first_layer).unwrap().clone();
        assert!(through.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0);
        // the same chain with its intermediate states cut from the graph gives a different gradient:
        // the earlier steps' contributions are part of the full one
        let cut = {
            let input = TimeInput::T;
            let mut x = ((&x0 * sched.alpha(0.75)).unwrap() + (&eps[0] * sched.sigma(0.75)).unwrap()).unwrap();
            let mut x0_hat = x.clone();
            for (k, &step) in steps.iter().enumerate() {
                let t = step as f64 / 200.0;
                let c = create::full(&[8], noise_input(input, &sched, &[t])[0], &Placement::default()).unwrap();
                let out = net.forward(&Tensor::from_candle(x.detach()), &c).unwrap().into_candle();
                x0_hat = ((x.detach() - (out * sched.sigma(t)).unwrap()).unwrap() / sched.alpha(t)).unwrap();
                if let Some(&next) = steps.get(k + 1) {
                    let tn = next as f64 / 200.0;
                    x = ((&x0_hat * sched.alpha(tn)).unwrap() + (&eps[k + 1] * sched.sigma(tn)).unwrap()).unwrap();
                }
            }
            let l = x0_hat.sub(&x0).unwrap().sqr().unwrap().mean_all().unwrap();
            l.backward().unwrap().get(&first_layer).unwrap().clone()
        };
        let differs = through.sub(&cut).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(differs > 1e-6, "backpropagating through the chain must change the gradient");
    }
}
