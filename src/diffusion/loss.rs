//! The denoising training loss: noise data at random times, ask the network,
//! and compare. Weightings follow Salimans & Ho (2022, sec. 4) and EDM.

use super::parameterization::{flow_rates, per_row, target, x0_from, EdmPrecond, Pred};
use super::schedule::Schedule;
use crate::error::Result;
use crate::nn::embed::TimeInput;
use crate::nn::network::Network;
use crate::tensor::{rng, Tensor};

/// How per-example errors are weighted, written in x0-space as w·‖x̂0 − x0‖².
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// The plain MSE of the prediction target itself (ε-MSE for eps, v-MSE for v, ...).
    Simple,
    /// w = SNR = α²/σ² (equal to ε-MSE).
    Snr,
    /// w = max(SNR, 1) (Salimans & Ho's "truncated SNR").
    SnrTrunc,
    /// w = SNR + 1 (equal to v-MSE).
    SnrPlus1,
    /// EDM's λ(σ) = (σ² + σ_data²)/(σ σ_data)².
    Edm,
}

/// The names of the weightings.
pub const WEIGHTINGS: &[&str] = &["simple", "snr", "snr_trunc", "snr+1", "edm"];

impl Weighting {
    /// Parses a weighting name.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "simple" | "mse" => Weighting::Simple,
            "snr" => Weighting::Snr,
            "snr_trunc" | "truncated_snr" => Weighting::SnrTrunc,
            "snr+1" | "snr_plus_1" => Weighting::SnrPlus1,
            "edm" => Weighting::Edm,
            other => crate::bail!("unknown weighting \"{other}\"; expected one of {}", WEIGHTINGS.join(", ")),
        })
    }
}

/// How training times are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeSampling {
    /// t uniform on [t_min, t_max].
    Uniform {
        /// lower end
        t_min: f64,
        /// upper end
        t_max: f64,
    },
    /// ln σ̃ ~ N(mean, std²) for the VE noise level σ̃ = σ/α (EDM's P_mean = −1.2, P_std = 1.2).
    LogNormal {
        /// mean of ln σ̃
        mean: f64,
        /// standard deviation of ln σ̃
        std: f64,
    },
    /// logit(t) ~ N(mean, std²), dense at mid times (Esser et al. 2024, §3.1, "lognorm(0, 1)").
    LogitNormal {
        /// mean of logit t
        mean: f64,
        /// standard deviation of logit t
        std: f64,
    },
}

/// The options of [`diffusion_loss`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossOptions {
    /// What the network predicts.
    pub pred: Pred,
    /// The weighting.
    pub weighting: Weighting,
    /// How times are drawn.
    pub times: TimeSampling,
}

impl LossOptions {
    /// The defaults for a schedule: uniform times over its range, or EDM's log-normal for EDM.
    pub fn default_times(s: &Schedule) -> TimeSampling {
        match s {
            Schedule::Edm { .. } => TimeSampling::LogNormal { mean: -1.2, std: 1.2 },
            _ => TimeSampling::Uniform { t_min: s.t_min(), t_max: s.t_max() },
        }
    }
}

/// The class labels of a batch for a class-conditional network's loss.
#[derive(Clone, Copy, Debug)]
pub struct TrainLabels<'a> {
    /// One label per example.
    pub labels: &'a Tensor,
    /// The probability that an example's label is replaced by the null label, so that one
    /// network learns the conditional and the unconditional model (Ho & Salimans 2022, alg. 1).
    pub dropout: f64,
}

impl TrainLabels<'_> {
    /// The labels of `n` examples for `net`, each replaced by the null label with probability
    /// `dropout` (one uniform draw per example is made whatever the dropout).
    fn draw(&self, net: &Network, n: usize) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&self.dropout) {
            crate::bail!("label_dropout must be in [0, 1], got {}", self.dropout);
        }
        let values = self.labels.to_f64_vec()?;
        if values.len() != n {
            crate::bail!("{} labels for a batch of {n}; give one label per example", values.len());
        }
        let u = rng::uniform(n, 0.0, 1.0)?;
        if self.dropout == 0.0 {
            return Ok(self.labels.clone());
        }
        let Some(null) = net.null_label() else {
            crate::bail!(
                "label_dropout needs a network with a null label: make it with #{{ classes: K }} (its null label is K)"
            );
        };
        let kept = values.iter().zip(u).map(|(&v, u)| if u < self.dropout { null as f64 } else { v }).collect();
        crate::tensor::create::from_f64(kept, &[n], &crate::tensor::create::Placement::default())
    }
}

/// Draws `n` training times.
pub fn sample_times(s: &Schedule, n: usize, times: TimeSampling) -> Result<Vec<f64>> {
    match times {
        TimeSampling::Uniform { t_min, t_max } => rng::uniform(n, t_min, t_max),
        TimeSampling::LogNormal { mean, std } => {
            let (lo, hi) = (s.t_min(), s.t_max());
            Ok(rng::normal(n)?.into_iter().map(|z| s.t_of_edm_sigma((mean + std * z).exp()).clamp(lo, hi)).collect())
        }
        TimeSampling::LogitNormal { mean, std } => {
            let (lo, hi) = (s.t_min(), s.t_max());
            Ok(rng::normal(n)?.into_iter().map(|z| (1.0 / (1.0 + (-(mean + std * z)).exp())).clamp(lo, hi)).collect())
        }
    }
}

/// The network's noise input at times `t`: t itself, the VE noise level σ/α, or a discrete
/// model's timestep `T·t − 1`.
pub fn noise_input(input: TimeInput, s: &Schedule, t: &[f64]) -> Vec<f64> {
    match input {
        TimeInput::T => t.to_vec(),
        TimeInput::LogSigma => t.iter().map(|&t| s.edm_sigma(t)).collect(),
        TimeInput::Timestep => {
            let steps = s.discrete_steps().unwrap_or(1000) as f64;
            t.iter().map(|&t| (t * steps - 1.0).max(0.0)).collect()
        }
    }
}

/// The network's output and everything needed to read it, for data `x0` noised at times `t`.
pub struct Noised {
    /// x = α x0 + σ ε
    pub x: candle_core::Tensor,
    /// The noise ε.
    pub eps: candle_core::Tensor,
    /// α per row.
    pub alpha: candle_core::Tensor,
    /// σ per row.
    pub sigma: candle_core::Tensor,
    /// The pair the prediction needs besides α and σ: EDM's (c_skip, c_out), or the flow
    /// prediction's rates (dα/dt, dσ/dt), per row.
    pub precond: Option<(candle_core::Tensor, candle_core::Tensor)>,
    /// The network output.
    pub out: candle_core::Tensor,
}

/// Noises `x0` at times `t` with `eps` (fresh noise when `None`) and runs the network on it.
pub fn noise_and_predict(
    net: &Network,
    s: &Schedule,
    x0: &Tensor,
    t: &[f64],
    pred: Pred,
    eps: Option<&Tensor>,
    labels: Option<&Tensor>,
) -> Result<Noised> {
    let input = net.time_input().ok_or_else(|| crate::Error::new("a classifier cannot be trained as a denoiser"))?;
    let x0c = x0.candle();
    let (a, sg): (Vec<f64>, Vec<f64>) = t.iter().map(|&t| (s.alpha(t), s.sigma(t))).unzip();
    let alpha = per_row(&a, x0c)?;
    let sigma = per_row(&sg, x0c)?;
    let eps = match eps {
        Some(e) => crate::tensor::transfer::to_device(e.candle(), x0.device())?.to_dtype(x0.dtype())?,
        None => crate::tensor::create::randn(
            x0.dims(),
            &crate::tensor::create::Placement { dtype: x0.dtype(), device: x0.device().clone() },
        )?
        .into_candle(),
    };
    let x = x0c.broadcast_mul(&alpha)?.add(&eps.broadcast_mul(&sigma)?)?;
    let c = Tensor::from_candle(per_row(&noise_input(input, s, t), x0c)?.flatten_all()?);
    let (net_in, precond) = if pred == Pred::Edm {
        let pre: Vec<EdmPrecond> = a.iter().zip(&sg).map(|(a, sg)| EdmPrecond::new(sg / a, s.sigma_data())).collect();
        let c_in = per_row(&pre.iter().map(|p| p.c_in).collect::<Vec<_>>(), x0c)?;
        let c_skip = per_row(&pre.iter().map(|p| p.c_skip).collect::<Vec<_>>(), x0c)?;
        let c_out = per_row(&pre.iter().map(|p| p.c_out).collect::<Vec<_>>(), x0c)?;
        (x.broadcast_div(&alpha)?.broadcast_mul(&c_in)?, Some((c_skip, c_out)))
    } else if pred == Pred::Flow {
        (x.clone(), Some(flow_rates(s, t, x0c)?))
    } else {
        (x.clone(), None)
    };
    let out = net.forward_labeled(&Tensor::from_candle(net_in), &c, labels)?.into_candle();
    Ok(Noised { x, eps, alpha, sigma, precond, out })
}

/// The mean over the batch of the weighted denoising error of `net` on `x0`, noised with `eps`
/// (one draw per row, coupled to x0 as in reflow) or fresh noise, with class `labels` for a
/// class-conditional network.
pub fn diffusion_loss(
    net: &Network,
    s: &Schedule,
    x0: &Tensor,
    opts: &LossOptions,
    eps: Option<&Tensor>,
    labels: Option<TrainLabels>,
) -> Result<Tensor> {
    if x0.rank() < 2 || x0.dims()[0] == 0 {
        crate::bail!("x0 must be a batch [N, ...] with N >= 1, got shape {:?}", x0.dims());
    }
    if !x0.is_float() {
        crate::bail!("x0 must be a float tensor, got {}", x0.dtype().as_str());
    }
    let n = x0.dims()[0];
    let t = sample_times(s, n, opts.times)?;
    let labels = labels.map(|l| l.draw(net, n)).transpose()?;
    let nz = noise_and_predict(net, s, x0, &t, opts.pred, eps, labels.as_ref())?;
    let pre = nz.precond.as_ref().map(|(a, b)| (a, b));
    let per_example = |sq: candle_core::Tensor| -> Result<candle_core::Tensor> { Ok(sq.flatten_from(1)?.mean(1)?) };
    let loss = match opts.weighting {
        Weighting::Simple => {
            let goal = target(opts.pred, x0.candle(), &nz.eps, &nz.alpha, &nz.sigma, pre)?;
            let diff = if opts.pred == Pred::Score {
                // σ²‖ŝ − s‖² = ‖σ ŝ + ε‖², the denoising score matching weight of Song et al.
                nz.out.broadcast_mul(&nz.sigma)?.add(&nz.eps)?
            } else {
                nz.out.sub(&goal)?
            };
            per_example(diff.sqr()?)?.mean_all()?
        }
        w => {
            let x0_hat = x0_from(opts.pred, &nz.out, &nz.x, &nz.alpha, &nz.sigma, pre)?;
            let weights: Vec<f64> = t
                .iter()
                .map(|&t| {
                    let snr = (s.alpha(t) / s.sigma(t)).powi(2);
                    match w {
                        Weighting::Snr => snr,
                        Weighting::SnrTrunc => snr.max(1.0),
                        Weighting::SnrPlus1 => snr + 1.0,
                        Weighting::Edm => EdmPrecond::weight(s.edm_sigma(t), s.sigma_data()),
                        Weighting::Simple => unreachable!("handled above"),
                    }
                })
                .collect();
            let w = crate::tensor::transfer::upload(weights, n, x0.dtype(), x0.device())?;
            per_example(x0_hat.sub(x0.candle())?.sqr()?)?.mul(&w)?.mean_all()?
        }
    };
    Ok(Tensor::from_candle(loss))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::mlp::MlpConfig;
    use crate::nn::network::Architecture;
    use crate::tensor::create::{randn, Placement};

    fn net(input: TimeInput) -> Network {
        let arch =
            Architecture::Mlp(MlpConfig { hidden: vec![32], time_embed: input, time_dim: 8, ..Default::default() });
        Network::new(arch, &Placement::default()).unwrap()
    }

    #[test]
    fn dropped_labels_are_the_null_label() {
        let arch =
            Architecture::Mlp(MlpConfig { hidden: vec![16], time_dim: 8, classes: Some(3), ..Default::default() });
        let n = Network::new(arch, &Placement::default()).unwrap();
        let s = Schedule::vp_cosine(0.008).unwrap();
        let x0 = randn(&[8, 2], &Placement::default()).unwrap();
        let opts = LossOptions { pred: Pred::Eps, weighting: Weighting::Simple, times: LossOptions::default_times(&s) };
        let given = |labels: Vec<f64>, dropout: f64| {
            rng::seed(3);
            let labels = crate::tensor::create::from_f64(labels, &[8], &Placement::default()).unwrap();
            let loss = diffusion_loss(&n, &s, &x0, &opts, None, Some(TrainLabels { labels: &labels, dropout }));
            loss.unwrap().to_scalar_f64().unwrap()
        };
        let all_dropped = given(vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0], 1.0);
        assert_eq!(all_dropped, given(vec![3.0; 8], 0.0));
        assert_ne!(all_dropped, given(vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0], 0.0));
        let labels = crate::tensor::create::from_f64(vec![0.0; 8], &[8], &Placement::default()).unwrap();
        let err = diffusion_loss(
            &net(TimeInput::T),
            &s,
            &x0,
            &opts,
            None,
            Some(TrainLabels { labels: &labels, dropout: 0.1 }),
        );
        assert!(err.unwrap_err().message().contains("needs a network with a null label"));
    }

    #[test]
    fn snr_weighting_equals_eps_mse() {
        // With the same times and noise, the SNR-weighted x0 error equals the ε-MSE.
        let s = Schedule::vp_cosine(0.008).unwrap();
        let n = net(TimeInput::T);
        let x0 = randn(&[64, 2], &Placement::default()).unwrap();
        let run = |w| {
            rng::seed(5);
            let opts = LossOptions { pred: Pred::Eps, weighting: w, times: LossOptions::default_times(&s) };
            diffusion_loss(&n, &s, &x0, &opts, None, None).unwrap().to_scalar_f64().unwrap()
        };
        let (simple, snr) = (run(Weighting::Simple), run(Weighting::Snr));
        assert!((simple - snr).abs() < 1e-4 * simple, "{simple} vs {snr}");
    }

    #[test]
    fn every_pred_and_weighting_gives_a_finite_differentiable_loss() {
        let schedules = [Schedule::vp_linear(1e-4, 0.02, 1000).unwrap(), Schedule::edm(0.002, 80.0, 7.0, 0.5).unwrap()];
        for s in &schedules {
            for input in [TimeInput::T, TimeInput::LogSigma] {
                let n = net(input);
                let x0 = randn(&[16, 2], &Placement::default()).unwrap();
                for p in crate::diffusion::parameterization::PREDS {
                    for w in WEIGHTINGS {
                        let opts = LossOptions {
                            pred: Pred::parse(p).unwrap(),
                            weighting: Weighting::parse(w).unwrap(),
                            times: LossOptions::default_times(s),
                        };
                        let loss = diffusion_loss(&n, s, &x0, &opts, None, None).unwrap();
                        let v = loss.to_scalar_f64().unwrap();
                        assert!(v.is_finite() && v >= 0.0, "{} {p} {w}: {v}", s.name());
                        let grads = loss.gradients().unwrap();
                        assert!(grads.get(n.store().params()[0].1.as_tensor()).is_some());
                    }
                }
            }
        }
    }
}
