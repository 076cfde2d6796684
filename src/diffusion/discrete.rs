//! A discrete-time pretrained model as a denoiser D(x, σ), after k-diffusion's
//! `external.py` (Crowson, `DiscreteEpsDDPMDenoiser` and `DiscreteVDDPMDenoiser`): the model
//! was trained at timesteps k = 0..T−1 with `x_k = √ᾱ_k x0 + √(1 − ᾱ_k) ε`, whose VE noise
//! level is σ_k = √((1 − ᾱ_k)/ᾱ_k). For a VE state x̃ = x0 + σ ε the model sees the VP
//! state x̃/√(1 + σ²) at the timestep of σ, found by linear interpolation in log σ between the
//! two training levels around it (clamped to 0..T−1), and its prediction (ε, v or x0) is
//! turned into x0.

use super::denoiser::{check_row_sigmas, Denoiser};
use super::parameterization::{per_row, x0_from, Pred};
use super::schedule::Schedule;
use super::timesteps::karras_sigmas;
use crate::error::Result;
use crate::nn::network::Network;
use crate::nn::pretrained::scheduler::SchedulerConfig;
use crate::tensor::Tensor;

/// A pretrained discrete-time model as a denoiser.
#[derive(Clone, Debug)]
pub struct DiscreteDenoiser {
    /// The network: `forward(x, t)` takes the model's own timesteps.
    pub net: Network,
    /// The discrete VP schedule it was trained under.
    pub sched: Schedule,
    /// The scheduler config it came with: its β list, prediction and spacing.
    pub scheduler: SchedulerConfig,
    /// log σ_k of the training timesteps k = 0..T−1 (increasing).
    log_sigmas: Vec<f64>,
    /// The class labels of the rows, for a class-conditional model.
    labels: Option<Tensor>,
}

impl DiscreteDenoiser {
    /// Wraps `net`, trained under the β schedule and prediction of `scheduler`.
    pub fn new(net: Network, scheduler: SchedulerConfig) -> Result<Self> {
        if net.time_input() != Some(crate::nn::embed::TimeInput::Timestep) {
            crate::bail!(
                "a discrete-time denoiser wraps a pretrained model (load_pretrained), whose input is its own timestep"
            );
        }
        let sched = scheduler.schedule()?;
        let steps = scheduler.num_train_timesteps;
        let log_sigmas = (1..=steps).map(|i| sched.edm_sigma(i as f64 / steps as f64).ln()).collect();
        Ok(Self { net, sched, scheduler, log_sigmas, labels: None })
    }

    /// `n` noise levels and then 0 for `n` steps: `"karras"` (ρ = 7 over the model's σ range)
    /// or a diffusers spacing of its training timesteps (`"leading"`, with the config's
    /// steps_offset, `"trailing"`, `"linspace"`), each level a training level.
    pub fn sigmas(&self, n: usize, spacing: &str) -> Result<Vec<f64>> {
        if spacing == "karras" {
            let (lo, hi) = self.sigma_range();
            return karras_sigmas(n, lo, hi, 7.0);
        }
        let steps = self.scheduler.timesteps(n, spacing)?;
        Ok(steps.into_iter().map(|k| self.sigma_of_timestep(k)).chain([0.0]).collect())
    }

    /// The same model with every row given the class `labels` (one per row, or one for all).
    pub fn labeled(&self, labels: Tensor) -> Self {
        Self { labels: Some(labels), ..self.clone() }
    }

    /// The class labels the rows are given, if any.
    pub fn labels(&self) -> Option<&Tensor> {
        self.labels.as_ref()
    }

    /// σ_k of the training timestep `k`.
    pub fn sigma_of_timestep(&self, k: usize) -> f64 {
        self.log_sigmas[k.min(self.log_sigmas.len() - 1)].exp()
    }

    /// The model's (fractional) timestep at VE noise level `sigma` > 0: linear in log σ
    /// between the training levels around it, clamped to 0..T−1 (k-diffusion's
    /// `DiscreteSchedule.sigma_to_t`).
    pub fn timestep(&self, sigma: f64) -> f64 {
        let ls = &self.log_sigmas;
        let target = sigma.ln();
        let above = ls.partition_point(|&l| l <= target).clamp(1, ls.len() - 1);
        let (lo, hi) = (above - 1, above);
        let w = ((ls[lo] - target) / (ls[lo] - ls[hi])).clamp(0.0, 1.0);
        lo as f64 * (1.0 - w) + hi as f64 * w
    }
}

impl Denoiser for DiscreteDenoiser {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let n = x.dims().first().copied().unwrap_or(0);
        check_row_sigmas(sigma, n)?;
        let (_, hi) = self.sigma_range();
        if let Some(bad) = sigma.iter().find(|&&s| s > hi * (1.0 + 1e-6)) {
            let shown = crate::number_text::short;
            crate::bail!("σ = {} is beyond the model's training levels (σ ≤ {})", shown(*bad), shown(hi));
        }
        if sigma.iter().all(|&s| s == 0.0) {
            return Ok(x.clone());
        }
        // a row at σ = 0 is its own estimate; it is run at the lowest level and replaced
        let levels: Vec<f64> = sigma.iter().map(|&s| if s == 0.0 { self.sigma_of_timestep(0) } else { s }).collect();
        let xc = x.candle();
        let alpha_values: Vec<f64> = levels.iter().map(|s| 1.0 / (1.0 + s * s).sqrt()).collect();
        let alpha = per_row(&alpha_values, xc)?;
        let sig = per_row(&levels.iter().zip(&alpha_values).map(|(s, a)| s * a).collect::<Vec<_>>(), xc)?;
        let x_vp = xc.broadcast_mul(&alpha)?;
        let steps: Vec<f64> = levels.iter().map(|&s| self.timestep(s)).collect();
        let at = crate::tensor::create::Placement { dtype: crate::tensor::DType::F32, device: self.net.device() };
        let t = crate::tensor::create::from_f64(steps, &[levels.len()], &at)?;
        let out = self.net.forward_labeled(&Tensor::from_candle(x_vp.clone()), &t, self.labels.as_ref())?;
        let x0 = x0_from(self.scheduler.pred, &out.candle().detach(), &x_vp, &alpha, &sig, None)?;
        if sigma.contains(&0.0) {
            let keep = per_row(&sigma.iter().map(|&s| f64::from(u8::from(s == 0.0))).collect::<Vec<_>>(), xc)?;
            let mixed = xc.broadcast_mul(&keep)?.add(&x0.broadcast_mul(&keep.affine(-1.0, 1.0)?)?)?;
            return Ok(Tensor::from_candle(mixed));
        }
        Ok(Tensor::from_candle(x0))
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        Some(self.net.input_shape())
    }

    fn sigma_range(&self) -> (f64, f64) {
        (self.sigma_of_timestep(0), self.sigma_of_timestep(usize::MAX))
    }

    fn schedule(&self) -> Option<&Schedule> {
        Some(&self.sched)
    }

    fn network(&self) -> Option<&Network> {
        Some(&self.net)
    }

    fn prediction(&self) -> Option<Pred> {
        Some(self.scheduler.pred)
    }

    fn trained_with(&self) -> Option<super::saved::TrainedWith> {
        Some(super::saved::TrainedWith::Discrete { scheduler: self.scheduler.clone() })
    }

    fn with_labels(&self, labels: Tensor) -> Result<std::sync::Arc<dyn Denoiser + Send + Sync>> {
        let classes = match self.net.architecture() {
            crate::nn::network::Architecture::DiffusersUnet(c) => c.num_class_embeds,
            _ => None,
        };
        let Some(classes) = classes else {
            crate::bail!("this model has no class embedding: it takes no labels");
        };
        crate::nn::embed::check_labels(&labels.to_f64_vec()?, classes, false, "model")?;
        Ok(std::sync::Arc::new(self.labeled(labels)))
    }

    fn timestep_of(&self, sigma: f64) -> Option<f64> {
        Some(self.timestep(sigma))
    }

    fn own_spacing(&self, n: usize, spacing: &str) -> Option<Result<Vec<f64>>> {
        DISCRETE_SPACINGS.contains(&spacing).then(|| self.sigmas(n, spacing))
    }
}

/// The spacings of a discrete model's training timesteps (diffusers' `timestep_spacing`).
pub const DISCRETE_SPACINGS: &[&str] = &["leading", "trailing", "linspace"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::pretrained::scheduler::SchedulerConfig;

    #[test]
    fn timesteps_interpolate_in_log_sigma_between_training_levels() {
        let json = serde_json::json!({ "block_out_channels": [8], "down_block_types": ["DownBlock2D"],
            "up_block_types": ["UpBlock2D"], "norm_num_groups": 4, "sample_size": 4, "layers_per_block": 1 });
        let (config, _) = crate::nn::pretrained::config::UnetConfig::from_json(&json).unwrap();
        let arch = crate::nn::network::Architecture::DiffusersUnet(config);
        let net = Network::new(arch, &Default::default()).unwrap();
        let d = DiscreteDenoiser::new(net, SchedulerConfig::default()).unwrap();
        assert_eq!(d.sched.discrete_steps(), Some(1000));
        for k in [0, 1, 17, 500, 999] {
            assert!((d.timestep(d.sigma_of_timestep(k)) - k as f64).abs() < 1e-9, "{k}");
        }
        let mid = (d.sigma_of_timestep(10).ln() * 0.25 + d.sigma_of_timestep(11).ln() * 0.75).exp();
        assert!((d.timestep(mid) - 10.75).abs() < 1e-9);
        assert_eq!((d.timestep(1e-9), d.timestep(1e9)), (0.0, 999.0));
        // DDPM's linear β: σ_0 = √(β_0/(1 − β_0)) and σ_999 ≈ 157.4
        let (lo, hi) = d.sigma_range();
        assert!((lo - (1e-4f64 / (1.0 - 1e-4)).sqrt()).abs() < 1e-12 && (hi - 157.4).abs() < 0.1, "{lo} {hi}");
        let leading = d.sigmas(10, "leading").unwrap();
        assert_eq!((leading[0], leading[9], leading[10]), (d.sigma_of_timestep(900), d.sigma_of_timestep(0), 0.0));
    }
}
