//! Gaussian mixtures with isotropic components, kept with their exact
//! parameters so they serve both as data and as analytic test problems.

use crate::error::Result;
use crate::tensor::{create, create::Placement, per_device::PerDevice, rng, Tensor};
use candle_core::Tensor as CTensor;
use rand::Rng;

/// `Σ_k w_k N(μ_k, s_k² I)` in `dim` dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    means: Vec<Vec<f64>>,
    stds: Vec<f64>,
    weights: Vec<f64>,
    /// The means `[K, dim]`, variances `[1, K]` and log-weights `[1, K]` as tensors, per
    /// device and dtype, made on first use by the exact quantities in `analytic.rs`.
    pub(super) tensors: PerDevice<(CTensor, CTensor, CTensor)>,
}

impl Mixture {
    /// A mixture from its means (`K` rows of equal length), per-component standard
    /// deviations and weights (normalised to sum to 1).
    pub fn new(means: Vec<Vec<f64>>, stds: Vec<f64>, weights: Vec<f64>) -> Result<Self> {
        let k = means.len();
        if k == 0 {
            crate::bail!("a mixture needs at least one component");
        }
        let dim = means[0].len();
        if dim == 0 || means.iter().any(|m| m.len() != dim) {
            crate::bail!("every mean must have the same, non-zero length");
        }
        if let Some(bad) = means.iter().flatten().find(|v| !v.is_finite()) {
            crate::bail!("every mean must be finite, got {bad}");
        }
        crate::memory::check(k.saturating_mul(dim), 8)?;
        if stds.len() != k || weights.len() != k {
            crate::bail!("{k} means need {k} stds and {k} weights, got {} and {}", stds.len(), weights.len());
        }
        if stds.iter().any(|s| !(*s > 0.0 && s.is_finite())) {
            crate::bail!("every std must be a positive number, got {stds:?}");
        }
        if weights.iter().any(|w| !(*w >= 0.0 && w.is_finite())) || weights.iter().sum::<f64>() <= 0.0 {
            crate::bail!("weights must be >= 0 and not all zero, got {weights:?}");
        }
        let total: f64 = weights.iter().sum();
        let weights = weights.into_iter().map(|w| w / total).collect();
        Ok(Self { means, stds, weights, tensors: PerDevice::new() })
    }

    /// `k` equal-weight components on a circle of `radius`, each with std `std`.
    pub fn ring(k: usize, radius: f64, std: f64) -> Result<Self> {
        if k == 0 {
            crate::bail!("k must be at least 1");
        }
        if !radius.is_finite() {
            crate::bail!("the radius must be finite, got {radius}");
        }
        crate::memory::check_shape(&[k, 2], 8)?;
        let means = (0..k)
            .map(|i| {
                let a = 2.0 * std::f64::consts::PI * i as f64 / k as f64;
                vec![radius * a.cos(), radius * a.sin()]
            })
            .collect();
        Self::new(means, vec![std; k], vec![1.0; k])
    }

    /// `k` equal-weight components on a centred square grid (`k` a perfect square) with `spacing`.
    pub fn grid(k: usize, spacing: f64, std: f64) -> Result<Self> {
        crate::memory::check_shape(&[k, 2], 8)?;
        let side = (k as f64).sqrt().round() as usize;
        if side * side != k || k == 0 {
            crate::bail!("k must be a perfect square (4, 9, 16, 25, ...), got {k}");
        }
        let offset = (side as f64 - 1.0) / 2.0;
        let means = (0..k)
            .map(|i| vec![((i % side) as f64 - offset) * spacing, ((i / side) as f64 - offset) * spacing])
            .collect();
        Self::new(means, vec![std; k], vec![1.0; k])
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.means[0].len()
    }

    /// The number of components.
    pub fn len(&self) -> usize {
        self.means.len()
    }

    /// Whether there are no components (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.means.is_empty()
    }

    /// The component means.
    pub fn means(&self) -> &[Vec<f64>] {
        &self.means
    }

    /// The component standard deviations.
    pub fn stds(&self) -> &[f64] {
        &self.stds
    }

    /// The normalised weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `n` samples `[n, dim]` and the component each came from.
    pub fn sample_with_labels(&self, n: usize, at: &Placement) -> Result<(Tensor, Vec<usize>)> {
        let d = self.dim();
        // the labels, the normal draws and the values, 8 bytes each
        crate::memory::check_shape(&[n, 2 * d + 1], 8)?;
        let cumulative: Vec<f64> = self
            .weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        let labels: Vec<usize> = rng::with_rng(|r| {
            (0..n)
                .map(|_| {
                    let u: f64 = r.random();
                    cumulative.iter().position(|&c| u < c).unwrap_or(self.len() - 1)
                })
                .collect()
        });
        let z = rng::normal(n * d)?;
        let mut values = Vec::with_capacity(n * d);
        for (i, &k) in labels.iter().enumerate() {
            for j in 0..d {
                values.push(self.means[k][j] + self.stds[k] * z[i * d + j]);
            }
        }
        Ok((create::from_f64(values, &[n, d], at)?, labels))
    }

    /// `n` samples `[n, dim]`.
    pub fn sample(&self, n: usize, at: &Placement) -> Result<Tensor> {
        Ok(self.sample_with_labels(n, at)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_and_grids_place_their_means() {
        let r = Mixture::ring(4, 2.0, 0.1).unwrap();
        assert!((r.means()[1][0]).abs() < 1e-12 && (r.means()[1][1] - 2.0).abs() < 1e-12);
        let g = Mixture::grid(9, 1.5, 0.1).unwrap();
        assert_eq!(g.means()[0], vec![-1.5, -1.5]);
        assert_eq!(g.means()[8], vec![1.5, 1.5]);
        assert!(Mixture::grid(8, 1.0, 0.1).is_err());
        assert!(Mixture::new(vec![vec![0.0]], vec![-1.0], vec![1.0]).is_err());
    }

    #[test]
    fn samples_follow_the_weights() {
        let m = Mixture::new(vec![vec![-5.0], vec![5.0]], vec![0.5, 0.5], vec![1.0, 3.0]).unwrap();
        let (x, labels) = m.sample_with_labels(20_000, &Placement::default()).unwrap();
        let right = labels.iter().filter(|&&k| k == 1).count() as f64 / 20_000.0;
        assert!((right - 0.75).abs() < 0.02, "{right}");
        let v = x.to_f64_vec().unwrap();
        let mean: f64 = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - 2.5).abs() < 0.15, "{mean}");
    }
}
