//! Classifier-free guidance (Ho & Salimans 2022, eq. 6, written for the denoiser): a
//! class-conditional denoiser D(x, σ; c) trained with a null label ∅ gives the guided
//! denoiser D_w(x, σ; c) = D(x, σ; ∅) + w·(D(x, σ; c) − D(x, σ; ∅)). w = 0 is the
//! unconditional model, w = 1 the conditional one, w > 1 sharpens each class. The conditional
//! and unconditional halves are one batched call of the wrapped denoiser (the batch doubled),
//! so a guided step costs one evaluation of twice the rows.

use super::denoiser::Denoiser;
use super::parameterization::Pred;
use super::schedule::Schedule;
use crate::error::Result;
use crate::nn::network::Network;
use crate::tensor::{create, Tensor};
use std::sync::Arc;

/// A shared denoiser, as guidance wraps it.
pub type SharedDenoiser = Arc<dyn Denoiser + Send + Sync>;

/// The classifier-free-guided denoiser of a class-conditional one.
#[derive(Clone)]
pub struct Guided {
    inner: SharedDenoiser,
    /// The class of each row (one value: every row).
    labels: Vec<f64>,
    /// The label that means "no class".
    null: f64,
    /// The guidance scale w.
    scale: f64,
}

impl Guided {
    /// Guides `inner` towards the classes `labels` (one per row, or one for all) at scale `scale`,
    /// with `null` the label it was trained with for "no class".
    pub fn new(inner: SharedDenoiser, labels: &Tensor, null: usize, scale: f64) -> Result<Self> {
        if !scale.is_finite() {
            crate::bail!("the guidance scale must be a finite number, got {scale}");
        }
        let labels = labels.to_f64_vec()?;
        if labels.is_empty() {
            crate::bail!("guidance needs at least one class label");
        }
        // the model checks the labels and the null label once here, not on each step
        inner.with_labels(label_tensor(&[labels.as_slice(), &[null as f64]].concat()))?;
        Ok(Self { inner, labels, null: null as f64, scale })
    }

    /// The labels of `rows` rows, `first` for the conditional half and then the null label for
    /// the unconditional half.
    fn doubled_labels(&self, rows: usize) -> Result<Tensor> {
        if self.labels.len() != 1 && self.labels.len() != rows {
            crate::bail!("{} class labels for {rows} rows; give one per row, or one for all", self.labels.len());
        }
        let conditional = (0..rows).map(|i| self.labels[i.min(self.labels.len() - 1)]);
        Ok(label_tensor(&conditional.chain(std::iter::repeat_n(self.null, rows)).collect::<Vec<_>>()))
    }
}

/// Labels as a `[N]` tensor, as the networks take them.
fn label_tensor(labels: &[f64]) -> Tensor {
    create::from_f64(labels.to_vec(), &[labels.len()], &create::Placement::default())
        .expect("a vector of labels always makes a tensor")
}

impl Denoiser for Guided {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let rows = x.dims().first().copied().unwrap_or(0);
        if self.scale == 0.0 {
            return self.inner.with_labels(label_tensor(&[self.null]))?.denoise(x, sigma);
        }
        let labels = self.doubled_labels(rows)?;
        if self.scale == 1.0 {
            return self.inner.with_labels(Tensor::from_candle(labels.candle().narrow(0, 0, rows)?))?.denoise(x, sigma);
        }
        let both = Tensor::from_candle(candle_core::Tensor::cat(&[x.candle(), x.candle()], 0)?);
        let sigmas: Vec<f64> = if sigma.len() == 1 { sigma.to_vec() } else { [sigma, sigma].concat() };
        let out = self.inner.with_labels(labels)?.denoise(&both, &sigmas)?;
        let conditional = out.candle().narrow(0, 0, rows)?;
        let unconditional = out.candle().narrow(0, rows, rows)?;
        let guided = (&unconditional + conditional.sub(&unconditional)?.affine(self.scale, 0.0)?)?;
        Ok(Tensor::from_candle(guided))
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        self.inner.example_shape()
    }

    fn sigma_range(&self) -> (f64, f64) {
        self.inner.sigma_range()
    }

    fn schedule(&self) -> Option<&Schedule> {
        self.inner.schedule()
    }

    fn network(&self) -> Option<&Network> {
        self.inner.network()
    }

    fn prediction(&self) -> Option<Pred> {
        self.inner.prediction()
    }

    fn trained_with(&self) -> Option<super::saved::TrainedWith> {
        self.inner.trained_with()
    }

    fn with_labels(&self, labels: Tensor) -> Result<SharedDenoiser> {
        Ok(Arc::new(Self::new(self.inner.clone(), &labels, self.null as usize, self.scale)?))
    }

    fn null_label(&self) -> Option<usize> {
        Some(self.null as usize)
    }

    fn timestep_of(&self, sigma: f64) -> Option<f64> {
        self.inner.timestep_of(sigma)
    }

    fn own_spacing(&self, n: usize, spacing: &str) -> Option<Result<Vec<f64>>> {
        self.inner.own_spacing(n, spacing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::class_mixture::ClassMixture;
    use crate::diffusion::mixture::Mixture;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::DType;

    /// The exact denoiser of one isotropic Gaussian N(μ, s² I) at σ: μ + s²/(s² + σ²)·(x − μ).
    fn gaussian_mean(mu: &[f64], s: f64, x: &[f64], sigma: f64) -> Vec<f64> {
        let k = s * s / (s * s + sigma * sigma);
        mu.iter().zip(x).map(|(m, v)| m + k * (v - m)).collect()
    }

    /// log N(x; μ, (s² + σ²) I) up to a constant shared by components of one dimension.
    fn log_density(mu: &[f64], s: f64, x: &[f64], sigma: f64) -> f64 {
        let var = s * s + sigma * sigma;
        let d2: f64 = mu.iter().zip(x).map(|(m, v)| (v - m).powi(2)).sum();
        -0.5 * d2 / var - 0.5 * x.len() as f64 * var.ln()
    }

    #[test]
    fn guidance_on_a_class_conditional_mixture_matches_its_closed_form() {
        // class 0: N((-2, 0), 0.5²), class 1: N((1.5, 1), 0.8²), priors 0.3 / 0.7; the
        // unconditional denoiser is the posterior-weighted mix of the two
        let (mu, s, prior) = ([[-2.0, 0.0], [1.5, 1.0]], [0.5, 0.8], [0.3, 0.7]);
        let classes = (0..2).map(|k| Mixture::new(vec![mu[k].to_vec()], vec![s[k]], vec![1.0]).unwrap()).collect();
        let mixture: SharedDenoiser = Arc::new(ClassMixture::new(classes, prior.to_vec()).unwrap());
        let f64s = Placement { dtype: DType::F64, device: candle_core::Device::Cpu };
        let points = [[0.3, -0.4], [-1.0, 2.0], [2.5, 0.5], [-3.0, -1.0]];
        let x = from_f64(points.iter().flatten().copied().collect(), &[4, 2], &f64s).unwrap();
        let labels = from_f64(vec![0.0, 1.0, 1.0, 0.0], &[4], &f64s).unwrap();
        for scale in [0.0, 1.0, 3.0, -0.5] {
            let guided = Guided::new(mixture.clone(), &labels, 2, scale).unwrap();
            for sigma in [vec![0.7], vec![0.1, 0.5, 2.0, 9.0]] {
                let got = guided.denoise(&x, &sigma).unwrap().to_f64_vec().unwrap();
                for (row, p) in points.iter().enumerate() {
                    let sg = sigma[row.min(sigma.len() - 1)];
                    let class = [0, 1, 1, 0][row];
                    let d: Vec<Vec<f64>> = (0..2).map(|k| gaussian_mean(&mu[k], s[k], p, sg)).collect();
                    let w: Vec<f64> = (0..2).map(|k| prior[k] * log_density(&mu[k], s[k], p, sg).exp()).collect();
                    let total = w[0] + w[1];
                    for j in 0..2 {
                        let unconditional = (w[0] * d[0][j] + w[1] * d[1][j]) / total;
                        let want = unconditional + scale * (d[class][j] - unconditional);
                        let g = got[row * 2 + j];
                        assert!((g - want).abs() < 1e-10, "w {scale} σ {sg} row {row}: {g} vs {want}");
                    }
                }
            }
        }
        let wrong = Guided::new(mixture.clone(), &from_f64(vec![0.0, 1.0], &[2], &f64s).unwrap(), 2, 3.0).unwrap();
        assert!(wrong.denoise(&x, &[0.5]).unwrap_err().message().contains("2 class labels for 4 rows"));
        assert!(Guided::new(mixture, &from_f64(vec![5.0], &[1], &f64s).unwrap(), 2, 3.0).is_err());
    }
}
