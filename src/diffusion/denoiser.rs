//! The one denoiser interface every sampler uses: `D(x, σ) = E[x0 | x0 + σ ε = x]`
//! in VE/EDM coordinates, batched, with one σ per row or one for all
//! (Karras et al. 2022, sec. 2). Trained networks of any parameterization and
//! schedule are wrapped into it; Gaussian mixtures implement it exactly.

use super::loss::noise_input;
use super::parameterization::{flow_rates, per_row, x0_from, EdmPrecond, Pred};
use super::schedule::Schedule;
use crate::error::Result;
use crate::nn::network::Network;
use crate::tensor::Tensor;

/// A denoiser `D(x, σ)`.
pub trait Denoiser {
    /// The posterior-mean estimate of clean data for `x` (`[N, ...]`) at noise
    /// level `sigma` (one value, or one per row).
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor>;

    /// The shape of one example, when the denoiser knows it.
    fn example_shape(&self) -> Option<Vec<usize>>;

    /// The noise range it is meant for: (σ_min, σ_max), the default sampling range.
    fn sigma_range(&self) -> (f64, f64);

    /// The schedule a wrapped network was trained under, whose step spacings apply.
    fn schedule(&self) -> Option<&Schedule> {
        None
    }

    /// The network a wrapper holds.
    fn network(&self) -> Option<&Network> {
        None
    }

    /// What a wrapped network predicts.
    fn prediction(&self) -> Option<Pred> {
        None
    }

    /// What a wrapped network was trained with, as a saved denoiser records it.
    fn trained_with(&self) -> Option<super::saved::TrainedWith> {
        None
    }

    /// The same denoiser with each row given a class label (`labels`: one per row, or one for
    /// all), for a class-conditional model.
    fn with_labels(&self, _labels: Tensor) -> Result<std::sync::Arc<dyn Denoiser + Send + Sync>> {
        crate::bail!("this denoiser is not class-conditional: it takes no labels")
    }

    /// The label meaning "no class" that a class-conditional denoiser was trained with, where
    /// it has one (the unconditional model for classifier-free guidance).
    fn null_label(&self) -> Option<usize> {
        None
    }

    /// A discrete-time model's (fractional) timestep at VE noise level `sigma`.
    fn timestep_of(&self, _sigma: f64) -> Option<f64> {
        None
    }

    /// The σ list of `n` steps for a spacing of the denoiser's own (a pretrained model's
    /// training timesteps, spaced as diffusers does), or `None` where it has no such spacing.
    fn own_spacing(&self, _n: usize, _spacing: &str) -> Option<Result<Vec<f64>>> {
        None
    }

    /// The score ∇ log p_σ(x) = (D(x, σ) − x)/σ² (Tweedie's formula).
    fn score(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let d = self.denoise(x, sigma)?;
        let s2: Vec<f64> = sigma.iter().map(|s| 1.0 / (s * s)).collect();
        let inv = per_row(&s2, x.candle())?;
        Ok(Tensor::from_candle(d.candle().sub(x.candle())?.broadcast_mul(&inv)?))
    }
}

/// Checks the σ of one denoiser call against its batch: one value for every row, or one per
/// row, each finite and ≥ 0. (A sampler's list of steps is checked by
/// [`check_step_sigmas`](super::samplers::check_step_sigmas).)
pub fn check_row_sigmas(sigma: &[f64], rows: usize) -> Result<()> {
    if sigma.len() != 1 && sigma.len() != rows {
        crate::bail!("σ has {} values for {rows} rows; give one, or one per row", sigma.len());
    }
    if let Some(bad) = sigma.iter().find(|s| !(**s >= 0.0 && s.is_finite())) {
        crate::bail!("σ must be a finite number >= 0, got {bad}");
    }
    Ok(())
}

/// A trained network as a denoiser: the VE input is rescaled to the network's
/// schedule (`x = α x̃` at the time where σ/α = σ̃) and its prediction converted to x0.
/// It is for sampling: its output carries no gradient to the network's weights.
#[derive(Clone, Debug)]
pub struct NetworkDenoiser {
    /// The network.
    pub net: Network,
    /// The schedule it was trained under.
    pub sched: Schedule,
    /// What it predicts.
    pub pred: Pred,
    /// The class labels of the rows, for a class-conditional network (`None`: the null label).
    labels: Option<Tensor>,
}

impl NetworkDenoiser {
    /// Wraps `net`, trained under `sched` to predict `pred`.
    pub fn new(net: Network, sched: Schedule, pred: Pred) -> Result<Self> {
        if net.time_input().is_none() {
            crate::bail!("a classifier is not a denoiser; wrap a network made by mlp(...) or unet(...)");
        }
        Ok(Self { net, sched, pred, labels: None })
    }
}

impl Denoiser for NetworkDenoiser {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let n = x.dims().first().copied().unwrap_or(0);
        check_row_sigmas(sigma, n)?;
        let (lo, hi) = self.sigma_range();
        if let Some(bad) = sigma.iter().find(|&&s| s > hi * (1.0 + 1e-6)) {
            let shown = crate::number_text::short;
            crate::bail!(
                "σ = {} is beyond the {} schedule's range (σ ≤ {})",
                shown(*bad),
                self.sched.name(),
                shown(hi)
            );
        }
        if sigma.iter().all(|&s| s == 0.0) {
            return Ok(x.clone());
        }
        let clamped: Vec<f64> = sigma.iter().map(|&s| s.max(lo)).collect();
        let t: Vec<f64> = clamped.iter().map(|&s| self.sched.t_of_edm_sigma(s)).collect();
        let xc = x.candle();
        let (a, sg): (Vec<f64>, Vec<f64>) = t.iter().map(|&t| (self.sched.alpha(t), self.sched.sigma(t))).unzip();
        let alpha = per_row(&a, xc)?;
        let sig = per_row(&sg, xc)?;
        let x_vp = xc.broadcast_mul(&alpha)?;
        let input = self.net.time_input().expect("checked in new");
        let c_values = noise_input(input, &self.sched, &t);
        let (net_in, precond) = if self.pred == Pred::Edm {
            let pre: Vec<EdmPrecond> = clamped.iter().map(|&s| EdmPrecond::new(s, self.sched.sigma_data())).collect();
            let c_in = per_row(&pre.iter().map(|p| p.c_in).collect::<Vec<_>>(), xc)?;
            let c_skip = per_row(&pre.iter().map(|p| p.c_skip).collect::<Vec<_>>(), xc)?;
            let c_out = per_row(&pre.iter().map(|p| p.c_out).collect::<Vec<_>>(), xc)?;
            (xc.broadcast_mul(&c_in)?, Some((c_skip, c_out)))
        } else if self.pred == Pred::Flow {
            (x_vp.clone(), Some(flow_rates(&self.sched, &t, xc)?))
        } else {
            (x_vp.clone(), None)
        };
        let net_in = Tensor::from_candle(net_in);
        let out = if self.labels.is_none() && c_values.iter().all(|&v| v == c_values[0]) {
            self.net.forward_at_level(&net_in, c_values[0])?
        } else {
            let c = Tensor::from_candle(per_row(&c_values, xc)?.flatten_all()?);
            self.net.forward_labeled(&net_in, &c, self.labels.as_ref())?
        };
        // detached: a sampler chains these outputs, and each would otherwise keep the network's
        // whole forward graph (every activation) alive for the rest of the run
        let out = out.candle().detach();
        let pre = precond.as_ref().map(|(a, b)| (a, b));
        let x0 = x0_from(self.pred, &out, &x_vp, &alpha, &sig, pre)?;
        Ok(Tensor::from_candle(x0))
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        Some(self.net.input_shape())
    }

    fn sigma_range(&self) -> (f64, f64) {
        (self.sched.edm_sigma(self.sched.t_min()), self.sched.edm_sigma(self.sched.t_max()))
    }

    fn schedule(&self) -> Option<&Schedule> {
        Some(&self.sched)
    }

    fn network(&self) -> Option<&Network> {
        Some(&self.net)
    }

    fn prediction(&self) -> Option<Pred> {
        Some(self.pred)
    }

    fn trained_with(&self) -> Option<super::saved::TrainedWith> {
        Some(super::saved::TrainedWith::Continuous { schedule: self.sched.clone(), pred: self.pred })
    }

    fn with_labels(&self, labels: Tensor) -> Result<std::sync::Arc<dyn Denoiser + Send + Sync>> {
        if !self.net.takes_labels() {
            crate::bail!("this network is not class-conditional: it takes no labels (make it with #{{ classes: K }})");
        }
        if let Some(classes) = self.net.null_label() {
            crate::nn::embed::check_labels(&labels.to_f64_vec()?, classes, true, "network")?;
        }
        Ok(std::sync::Arc::new(Self { labels: Some(labels), ..self.clone() }))
    }

    fn null_label(&self) -> Option<usize> {
        self.net.null_label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::act::Act;
    use crate::nn::embed::TimeInput;
    use crate::nn::mlp::MlpConfig;
    use crate::nn::network::Architecture;
    use crate::tensor::create::{randn, Placement};
    use crate::tensor::DType;

    fn net(input: TimeInput) -> Network {
        let arch = Architecture::Mlp(MlpConfig {
            hidden: vec![16],
            act: Act::Tanh,
            time_embed: input,
            time_dim: 8,
            ..Default::default()
        });
        Network::new(arch, &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    #[test]
    fn outputs_keep_no_graph_of_the_network() {
        // a sampler chains the outputs: a graph kept by each call grew a UNet sampling run past memory
        let d = NetworkDenoiser::new(net(TimeInput::T), Schedule::vp_cosine(0.008).unwrap(), Pred::Eps).unwrap();
        let x = randn(&[4, 2], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap();
        for sigma in [vec![0.5], vec![0.5, 0.5, 1.0, 2.0]] {
            assert!(!d.denoise(&x, &sigma).unwrap().candle().track_op(), "σ {sigma:?}");
        }
        assert!(d
            .net
            .forward(
                &x,
                &crate::tensor::create::full(
                    &[4],
                    0.3,
                    &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }
                )
                .unwrap()
            )
            .unwrap()
            .candle()
            .track_op());
    }

    #[test]
    fn wrapped_networks_convert_their_prediction_to_x0() {
        let f64s = Placement { dtype: DType::F64, device: candle_core::Device::Cpu };
        let x = randn(&[3, 2], &f64s).unwrap();
        let sigma = 1.7;
        for (sched, input) in [
            (Schedule::vp_cosine(0.008).unwrap(), TimeInput::T),
            (Schedule::edm(0.002, 80.0, 7.0, 0.5).unwrap(), TimeInput::LogSigma),
        ] {
            let n = net(input);
            let t = sched.t_of_edm_sigma(sigma);
            let (a, s) = (sched.alpha(t), sched.sigma(t));
            let c = crate::tensor::create::full(&[3], if input == TimeInput::T { t } else { sigma }, &f64s).unwrap();
            for pred in [Pred::Eps, Pred::X0, Pred::V, Pred::Edm] {
                let d = NetworkDenoiser::new(n.clone(), sched.clone(), pred).unwrap();
                let got = d.denoise(&x, &[sigma]).unwrap().to_f64_vec().unwrap();
                let x_vp: Vec<f64> = x.to_f64_vec().unwrap().iter().map(|v| a * v).collect();
                let input_x = if pred == Pred::Edm {
                    let p = EdmPrecond::new(sigma, sched.sigma_data());
                    x.to_f64_vec().unwrap().iter().map(|v| p.c_in * v).collect()
                } else {
                    x_vp.clone()
                };
                let out = n
                    .forward(&crate::tensor::create::from_f64(input_x, &[3, 2], &f64s).unwrap(), &c)
                    .unwrap()
                    .to_f64_vec()
                    .unwrap();
                let want: Vec<f64> = x_vp
                    .iter()
                    .zip(&out)
                    .zip(x.to_f64_vec().unwrap())
                    .map(|((xv, o), xe)| match pred {
                        Pred::Eps => (xv - s * o) / a,
                        Pred::X0 => *o,
                        Pred::V => (a * xv - s * o) / (a * a + s * s),
                        _ => {
                            let p = EdmPrecond::new(sigma, sched.sigma_data());
                            p.c_skip * xe + p.c_out * o
                        }
                    })
                    .collect();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-10, "{} {pred:?}: {g} vs {w}", sched.name());
                }
            }
        }
        let too_big =
            NetworkDenoiser::new(net(TimeInput::T), Schedule::vp_linear(1e-4, 0.02, 1000).unwrap(), Pred::Eps).unwrap();
        assert!(too_big.denoise(&x, &[500.0]).unwrap_err().message().contains("beyond the vp_linear schedule's range"));
    }
}
