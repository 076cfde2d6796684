//! A class-conditional Gaussian mixture: one mixture per class with a prior over the classes.
//! Its denoiser is exact for every class and for the null label (the mixture of all classes,
//! each component weighted by its class's prior), so classifier-free guidance on it can be
//! checked against the closed form.

use super::denoiser::{check_row_sigmas, Denoiser};
use super::guidance::SharedDenoiser;
use super::mixture::Mixture;
use super::parameterization::per_row;
use crate::error::Result;
use crate::tensor::Tensor;
use std::sync::Arc;

/// Mixtures per class, with their prior and the unconditional mixture.
#[derive(Clone, Debug)]
pub struct ClassMixture {
    classes: Vec<Mixture>,
    prior: Vec<f64>,
    /// The mixture of every class's components, weighted by prior × weight.
    all: Mixture,
    /// The class of each row (one value: every row); `None`: the unconditional mixture.
    labels: Option<Vec<usize>>,
}

impl ClassMixture {
    /// The classes' mixtures (one dimension for all) with their prior (normalised to sum to 1).
    pub fn new(classes: Vec<Mixture>, prior: Vec<f64>) -> Result<Self> {
        if classes.is_empty() {
            crate::bail!("a class-conditional mixture needs at least one class");
        }
        let dim = classes[0].dim();
        if let Some((k, m)) = classes.iter().enumerate().find(|(_, m)| m.dim() != dim) {
            crate::bail!("every class must have the same dimension: class 0 has {dim}, class {k} has {}", m.dim());
        }
        if prior.len() != classes.len() {
            crate::bail!("{} classes need {} prior weights, got {}", classes.len(), classes.len(), prior.len());
        }
        if prior.iter().any(|p| !(*p >= 0.0 && p.is_finite())) || prior.iter().sum::<f64>() <= 0.0 {
            crate::bail!("prior weights must be >= 0 and not all zero, got {prior:?}");
        }
        let total: f64 = prior.iter().sum();
        let prior: Vec<f64> = prior.iter().map(|p| p / total).collect();
        let mut parts = (vec![], vec![], vec![]);
        for (m, p) in classes.iter().zip(&prior) {
            parts.0.extend(m.means().iter().cloned());
            parts.1.extend(m.stds());
            parts.2.extend(m.weights().iter().map(|w| w * p));
        }
        let all = Mixture::new(parts.0, parts.1, parts.2)?;
        Ok(Self { classes, prior, all, labels: None })
    }

    /// The mixture of class `k`.
    pub fn class(&self, k: usize) -> Option<&Mixture> {
        self.classes.get(k)
    }

    /// The prior over the classes.
    pub fn prior(&self) -> &[f64] {
        &self.prior
    }

    /// The unconditional mixture (every class's components, weighted by its prior).
    pub fn unconditional(&self) -> &Mixture {
        &self.all
    }

    /// The mixture for `label` (the class count: the null label, the unconditional mixture).
    fn of(&self, label: usize) -> &Mixture {
        self.classes.get(label).unwrap_or(&self.all)
    }
}

impl Denoiser for ClassMixture {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let rows = x.dims().first().copied().unwrap_or(0);
        check_row_sigmas(sigma, rows)?;
        let Some(labels) = self.labels.as_ref().filter(|_| rows > 0) else { return self.all.posterior_mean(x, sigma) };
        if labels.len() != 1 && labels.len() != rows {
            crate::bail!("{} class labels for {rows} rows; give one per row, or one for all", labels.len());
        }
        let label_of = |i: usize| labels[i.min(labels.len() - 1)];
        let mut used: Vec<usize> = (0..rows).map(label_of).collect();
        used.sort_unstable();
        used.dedup();
        let mut out: Option<candle_core::Tensor> = None;
        for label in used {
            let d = self.of(label).posterior_mean(x, sigma)?;
            let mask: Vec<f64> = (0..rows).map(|i| f64::from(u8::from(label_of(i) == label))).collect();
            let part = d.candle().broadcast_mul(&per_row(&mask, x.candle())?)?;
            out = Some(match out {
                Some(sum) => (sum + part)?,
                None => part,
            });
        }
        Ok(Tensor::from_candle(out.expect("at least one row")))
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        self.all.example_shape()
    }

    fn sigma_range(&self) -> (f64, f64) {
        self.all.sigma_range()
    }

    fn with_labels(&self, labels: Tensor) -> Result<SharedDenoiser> {
        let values = labels.to_f64_vec()?;
        crate::nn::embed::check_labels(&values, self.classes.len(), true, "mixture")?;
        let labels = Some(values.into_iter().map(|v| v as usize).collect());
        Ok(Arc::new(Self { labels, ..self.clone() }))
    }

    fn null_label(&self) -> Option<usize> {
        Some(self.classes.len())
    }
}
