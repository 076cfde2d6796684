//! Exact quantities of a Gaussian mixture under Gaussian noise, `x = x0 + σ ε`:
//! each component `N(μ_k, s_k² I)` becomes `N(μ_k, (s_k² + σ²) I)`, so the
//! posterior mean (the ideal denoiser), the score, the log-density and the
//! posterior over noise levels are all closed forms.

use super::denoiser::{check_row_sigmas, Denoiser};
use super::mixture::Mixture;
use super::parameterization::per_row;
use crate::error::Result;
use crate::tensor::transfer::{download_f64, upload};
use crate::tensor::Tensor;
use candle_core::{Tensor as CTensor, D};

/// Per-row variances `s_k² + σ_n²` `[N or 1, K]` and the log-densities
/// `log w_k + log N(x_n; μ_k, v_nk I)` `[N, K]`.
struct Components {
    var: CTensor,
    log_joint: CTensor,
}

impl Mixture {
    /// The means `[K, dim]`, component variances `[1, K]` and log-weights `[1, K]` on
    /// `like`'s device and in its dtype: uploaded on first use there, then reused.
    fn constants(&self, like: &CTensor) -> Result<(CTensor, CTensor, CTensor)> {
        let (k, d) = (self.len(), self.dim());
        let (dev, dtype) = (like.device(), like.dtype());
        self.tensors.get_or_make(dev, dtype, 0, || {
            let means = self.means().iter().flatten().copied().collect::<Vec<f64>>();
            let s2 = self.stds().iter().map(|s| s * s).collect::<Vec<f64>>();
            let logw = self.weights().iter().map(|w| w.ln()).collect::<Vec<f64>>();
            Ok((upload(means, (k, d), dtype, dev)?, upload(s2, (1, k), dtype, dev)?, upload(logw, (1, k), dtype, dev)?))
        })
    }

    fn components(&self, x: &CTensor, sigma: &[f64]) -> Result<(Components, CTensor)> {
        let (n, d) = x.dims2().map_err(|_| {
            crate::Error::new(format!("the mixture takes [N, {}] points, got {:?}", self.dim(), x.dims()))
        })?;
        if d != self.dim() {
            crate::bail!("the mixture takes [N, {}] points, got [{n}, {d}]", self.dim());
        }
        check_row_sigmas(sigma, n)?;
        let (means, s2, logw) = self.constants(x)?;
        let var = s2.broadcast_add(&per_row(&sigma.iter().map(|s| s * s).collect::<Vec<f64>>(), x)?)?;
        // ‖x − μ‖² = ‖x‖² − 2 x·μ + ‖μ‖², clamped at 0 against rounding
        let x2 = x.sqr()?.sum_keepdim(1)?;
        let m2 = means.sqr()?.sum_keepdim(1)?.t()?;
        let cross = x.matmul(&means.t()?)?;
        let dist2 = x2.broadcast_add(&m2)?.sub(&(cross * 2.0)?)?.relu()?;
        let two_pi = 2.0 * std::f64::consts::PI;
        let log_norm = ((var.clone() * two_pi)?.log()? * (-0.5 * d as f64))?;
        let log_joint = logw.broadcast_add(&log_norm)?.broadcast_sub(&dist2.broadcast_div(&(var.clone() * 2.0)?)?)?;
        Ok((Components { var, log_joint }, means))
    }

    /// The exact posterior mean E[x0 | x0 + σ ε = x].
    pub fn posterior_mean(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let x = &x.as_float()?;
        let xc = x.candle();
        let (c, means) = self.components(xc, sigma)?;
        let r = candle_nn::ops::softmax(&c.log_joint, D::Minus1)?;
        let (_, s2, _) = self.constants(xc)?;
        // E[x0 | x, k] = μ_k + (s_k²/v_k)(x − μ_k): a mix of the means and of x itself
        let shrink = s2.broadcast_div(&c.var)?;
        let on_means = r.mul(&shrink.affine(-1.0, 1.0)?.broadcast_as(r.shape())?)?.matmul(&means)?;
        let on_x = r.mul(&shrink.broadcast_as(r.shape())?)?.sum_keepdim(1)?;
        Ok(Tensor::from_candle(on_means.add(&xc.broadcast_mul(&on_x)?)?))
    }

    /// The exact score ∇ log p_σ(x) = Σ_k r_k (μ_k − x)/(s_k² + σ²), valid at σ = 0 too.
    pub fn score_exact(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let x = &x.as_float()?;
        let xc = x.candle();
        let (c, means) = self.components(xc, sigma)?;
        let r = candle_nn::ops::softmax(&c.log_joint, D::Minus1)?;
        let weights = r.broadcast_div(&c.var)?;
        let toward = weights.matmul(&means)?;
        Ok(Tensor::from_candle(toward.sub(&xc.broadcast_mul(&weights.sum_keepdim(1)?)?)?))
    }

    /// The exact log-density log p_σ(x) per row, `[N]`.
    pub fn log_prob(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let x = &x.as_float()?;
        let (c, _) = self.components(x.candle(), sigma)?;
        Ok(Tensor::from_candle(logsumexp(&c.log_joint)?))
    }

    /// The posterior over noise levels, log p(σ_j | x) `[N, M]`, for a grid of
    /// levels with uniform prior mass per level (on a geometric grid: density ∝ 1/σ).
    pub fn noise_log_posterior(&self, x: &Tensor, levels: &[f64]) -> Result<Tensor> {
        let x = &x.as_float()?;
        if levels.is_empty() {
            crate::bail!("the grid of noise levels is empty");
        }
        let columns = levels
            .iter()
            .map(|&s| Ok(self.log_prob(x, &[s])?.into_candle().unsqueeze(1)?))
            .collect::<Result<Vec<_>>>()?;
        let lik = CTensor::cat(&columns, 1)?;
        Ok(Tensor::from_candle(lik.broadcast_sub(&logsumexp(&lik)?.unsqueeze(1)?)?))
    }
}

impl Mixture {
    /// log p(σ_j | x) per row as host vectors `[N][M]`, with the distances to the
    /// means computed once for all levels (uniform prior mass per level).
    pub fn noise_log_posterior_rows(&self, x: &Tensor, levels: &[f64]) -> Result<Vec<Vec<f64>>> {
        let xc = x.candle().to_dtype(candle_core::DType::F64)?;
        let (n, d) = xc.dims2().map_err(|_| {
            crate::Error::new(format!("the mixture takes [N, {}] points, got {:?}", self.dim(), x.dims()))
        })?;
        if d != self.dim() {
            crate::bail!("the mixture takes [N, {}] points, got [{n}, {d}]", self.dim());
        }
        let (means, _, _) = self.constants(&xc)?;
        let x2 = xc.sqr()?.sum_keepdim(1)?;
        let m2 = means.sqr()?.sum_keepdim(1)?.t()?;
        let dist2 = download_f64(&x2.broadcast_add(&m2)?.sub(&(xc.matmul(&means.t()?)? * 2.0)?)?.relu()?)?;
        let k = self.len();
        let logw: Vec<f64> = self.weights().iter().map(|w| w.ln()).collect();
        let s2: Vec<f64> = self.stds().iter().map(|s| s * s).collect();
        let two_pi = 2.0 * std::f64::consts::PI;
        let mut out = vec![vec![0.0; levels.len()]; n];
        let mut terms = vec![0.0; k];
        for (j, &sigma) in levels.iter().enumerate() {
            let var: Vec<f64> = s2.iter().map(|s| s + sigma * sigma).collect();
            let norm: Vec<f64> = var.iter().zip(&logw).map(|(v, lw)| lw - 0.5 * d as f64 * (two_pi * v).ln()).collect();
            for (row, lik) in out.iter_mut().enumerate() {
                let dr = &dist2[row * k..(row + 1) * k];
                let mut max = f64::NEG_INFINITY;
                for c in 0..k {
                    terms[c] = norm[c] - dr[c] / (2.0 * var[c]);
                    max = max.max(terms[c]);
                }
                lik[j] = max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln();
            }
        }
        for row in out.iter_mut() {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            row.iter_mut().for_each(|v| *v -= total);
        }
        Ok(out)
    }
}

/// log Σ_k exp(a_k) over the last dimension, stably.
fn logsumexp(a: &CTensor) -> Result<CTensor> {
    let max = a.max_keepdim(D::Minus1)?;
    let shifted = a.broadcast_sub(&max)?.exp()?.sum_keepdim(D::Minus1)?.log()?;
    Ok(shifted.add(&max)?.squeeze(D::Minus1)?)
}

impl Denoiser for Mixture {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        self.posterior_mean(x, sigma)
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        Some(vec![self.dim()])
    }

    fn sigma_range(&self) -> (f64, f64) {
        (0.002, 80.0)
    }

    fn score(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        self.score_exact(x, sigma)
    }
}
