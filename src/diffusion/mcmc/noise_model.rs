//! The posterior over noise levels p(σ | x) that DLG's Gibbs step draws from:
//! a noise-level classifier's softmax, or the exact posterior of a Gaussian
//! mixture (uniform prior mass per level: ∝ 1/σ on a geometric grid).

use crate::diffusion::mixture::Mixture;
use crate::error::Result;
use crate::nn::network::Network;
use crate::tensor::Tensor;

/// A model of p(σ | x) over a fixed grid of levels.
pub trait NoiseModel {
    /// The levels, in increasing order.
    fn levels(&self) -> &[f64];
    /// log p(σ_j | x) for each row of `x`: `[N][M]`.
    fn log_posterior(&self, x: &Tensor) -> Result<Vec<Vec<f64>>>;
}

/// The most noise levels a grid may have (a classifier has one class per level).
pub const MAX_LEVELS: usize = 100_000;

/// `m` levels geometric between `lo` and `hi`.
pub fn geometric_levels(lo: f64, hi: f64, m: usize) -> Result<Vec<f64>> {
    if !(lo > 0.0 && hi > lo) || m < 2 {
        crate::bail!("levels need 0 < sigma_min < sigma_max and at least 2 of them, got [{lo}, {hi}] and {m}");
    }
    if m > MAX_LEVELS {
        crate::bail!("at most {MAX_LEVELS} noise levels, got {m}");
    }
    Ok((0..m).map(|j| (lo.ln() + (hi.ln() - lo.ln()) * j as f64 / (m - 1) as f64).exp()).collect())
}

/// A trained classifier whose class j is level j.
pub struct Classifier {
    /// The network, with as many classes as levels.
    pub net: Network,
    /// The levels.
    pub levels: Vec<f64>,
}

impl NoiseModel for Classifier {
    fn levels(&self) -> &[f64] {
        &self.levels
    }

    fn log_posterior(&self, x: &Tensor) -> Result<Vec<Vec<f64>>> {
        let logits = self.net.logits(x)?;
        let m = *logits.dims().last().unwrap_or(&0);
        if m != self.levels.len() {
            crate::bail!("the classifier has {m} classes but there are {} levels", self.levels.len());
        }
        let lp = candle_nn::ops::log_softmax(logits.candle(), candle_core::D::Minus1)?;
        Ok(Tensor::from_candle(lp).to_f64_vec()?.chunks(m).map(<[f64]>::to_vec).collect())
    }
}

/// The exact posterior of a mixture.
pub struct Exact {
    /// The mixture.
    pub mix: Mixture,
    /// The levels.
    pub levels: Vec<f64>,
}

impl NoiseModel for Exact {
    fn levels(&self) -> &[f64] {
        &self.levels
    }

    fn log_posterior(&self, x: &Tensor) -> Result<Vec<Vec<f64>>> {
        self.mix.noise_log_posterior_rows(x, &self.levels)
    }
}

/// The level each row lands on: the most probable, or one drawn from the posterior.
pub fn pick_levels(log_post: &[Vec<f64>], levels: &[f64], sample: bool) -> Vec<f64> {
    use rand::Rng;
    log_post
        .iter()
        .map(|row| {
            let j = if sample {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = row.iter().map(|l| (l - max).exp()).collect();
                let total: f64 = weights.iter().sum();
                let u: f64 = crate::tensor::rng::with_rng(|r| r.random::<f64>()) * total;
                let mut acc = 0.0;
                weights
                    .iter()
                    .position(|w| {
                        acc += w;
                        acc >= u
                    })
                    .unwrap_or(row.len() - 1)
            } else {
                row.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best })
                    .0
            };
            levels[j]
        })
        .collect()
}
