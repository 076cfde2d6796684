//! Mode coverage of samples against a Gaussian mixture: each sample's nearest
//! component in units of that component's standard deviation, how many
//! components hold samples within a chosen radius, and how far the share of
//! samples per component is from the mixture weights.

pub use super::chi2::{chi2_quantile, chi2_radius_sq};
use super::points::{for_each_distance_block, points};
use crate::diffusion::mixture::Mixture;
use crate::error::Result;
use crate::tensor::{shape::fmt_dims, Tensor};

/// Above this many sample–component pairs the distances are a device matmul, below it exact host loops.
const DEVICE_PAIRS: usize = 1 << 16;

/// How samples cover the components of a mixture (see [`mode_report`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ModeReport {
    /// Per component, the samples nearest to it and within the radius of it.
    pub counts: Vec<usize>,
    /// The samples within the radius of their nearest component (the sum of `counts`).
    pub within: usize,
    /// The components with at least one sample within the radius.
    pub covered: usize,
    /// ½ Σ_k |n_k/N − w_k|: the total-variation distance between the shares n_k/N of
    /// all samples nearest each component (within the radius or not) and the weights.
    pub tv: f64,
}

/// For each sample of `x` `[N, d]` (d = the mixture's dimension), the component k
/// minimising the scaled squared distance ‖x − μ_k‖²/s_k², and that distance
/// (ties go to the lower k). Large N·K use a matmul on the samples' device.
pub fn assign(x: &Tensor, mix: &Mixture) -> Result<Vec<(usize, f64)>> {
    let xs = points(x, "mode assignment", 1)?;
    let (n, d) = (x.dims()[0], x.dims()[1]);
    if d != mix.dim() {
        crate::bail!("the samples have shape {} but the mixture is {}-dimensional", fmt_dims(x.dims()), mix.dim());
    }
    if n * mix.len() > DEVICE_PAIRS {
        nearest_on_device(&xs, mix)
    } else {
        Ok(nearest_on_host(&xs.flatten_all()?.to_vec1::<f64>()?, mix))
    }
}

/// How the samples `x` `[N, d]` cover the components of `mix`.
///
/// A sample is within its nearest component when its scaled squared distance is
/// at most r² = [`chi2_radius_sq`]`(within_stds, d)`, the χ²_d quantile at
/// p = 1 − exp(−within_stds²/2): in 2-D exactly `within_stds` standard deviations,
/// in d dimensions the radius holding the same probability of a component's own
/// samples. `counts`, `covered` and `within` count those samples; `tv` compares
/// the shares of all samples per nearest component with the weights.
pub fn mode_report(x: &Tensor, mix: &Mixture, within_stds: f64) -> Result<ModeReport> {
    if !(within_stds > 0.0 && within_stds.is_finite()) {
        crate::bail!("within_stds must be a positive number, got {within_stds}");
    }
    let assigned = assign(x, mix)?;
    let radius_sq = chi2_radius_sq(within_stds, mix.dim());
    let mut counts = vec![0; mix.len()];
    let mut nearest = vec![0; mix.len()];
    for &(k, dist_sq) in &assigned {
        nearest[k] += 1;
        if dist_sq <= radius_sq {
            counts[k] += 1;
        }
    }
    let total = assigned.len() as f64;
    let tv = 0.5 * nearest.iter().zip(mix.weights()).map(|(&n, w)| (n as f64 / total - w).abs()).sum::<f64>();
    Ok(ModeReport { within: counts.iter().sum(), covered: counts.iter().filter(|&&c| c > 0).count(), counts, tv })
}

/// The nearest component of each row of the row-major samples `x`, by direct sums.
fn nearest_on_host(x: &[f64], mix: &Mixture) -> Vec<(usize, f64)> {
    x.chunks(mix.dim())
        .map(|row| {
            let scaled = mix
                .means()
                .iter()
                .zip(mix.stds())
                .map(|(mean, s)| row.iter().zip(mean).map(|(v, m)| (v - m) * (v - m)).sum::<f64>() / (s * s));
            scaled.enumerate().fold((0, f64::INFINITY), |best, (k, dist)| if dist < best.1 { (k, dist) } else { best })
        })
        .collect()
}

/// The nearest component of each row of `x` `[N, d]` (`f64`), from matmul distances on its device.
fn nearest_on_device(x: &candle_core::Tensor, mix: &Mixture) -> Result<Vec<(usize, f64)>> {
    let flat: Vec<f64> = mix.means().concat();
    let means = candle_core::Tensor::from_vec(flat, (mix.len(), mix.dim()), x.device())?;
    let inv_var: Vec<f64> = mix.stds().iter().map(|s| 1.0 / (s * s)).collect();
    let inv_var = candle_core::Tensor::from_vec(inv_var, (1, mix.len()), x.device())?;
    let mut out = Vec::with_capacity(x.dim(0)?);
    for_each_distance_block(x, &means, |sq| {
        let scaled = sq.broadcast_mul(&inv_var)?;
        let best = scaled.argmin(1)?.to_vec1::<u32>()?;
        let dist = scaled.min(1)?.to_vec1::<f64>()?;
        out.extend(best.into_iter().map(|k| k as usize).zip(dist));
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::{rng, DType};

    fn points(values: Vec<f64>, n: usize, d: usize) -> Tensor {
        from_f64(values, &[n, d], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    /// The ring's means, `copies[k]` times each, row-major.
    fn at_means(mix: &Mixture, copies: &[usize]) -> Tensor {
        let rows: Vec<f64> = mix.means().iter().zip(copies).flat_map(|(m, &c)| m.repeat(c)).collect();
        let n = copies.iter().sum();
        points(rows, n, 2)
    }

    #[test]
    fn samples_at_the_means_cover_every_mode_with_zero_tv() {
        let ring = Mixture::ring(8, 4.0, 0.3).unwrap();
        let report = mode_report(&at_means(&ring, &[1; 8]), &ring, 3.0).unwrap();
        assert_eq!(report, ModeReport { counts: vec![1; 8], within: 8, covered: 8, tv: 0.0 });
        let report = mode_report(&at_means(&ring, &[3; 8]), &ring, 3.0).unwrap();
        assert_eq!((report.covered, report.within, report.tv), (8, 24, 0.0));
        // all mass on two modes: shares ½, ½ against eight weights ⅛ → tv = ½ (2·⅜ + 6·⅛) = ¾
        let report = mode_report(&at_means(&ring, &[2, 0, 0, 2, 0, 0, 0, 0]), &ring, 3.0).unwrap();
        assert_eq!(report.counts, vec![2, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(report.covered, 2);
        assert!((report.tv - 0.75).abs() < 1e-15, "{}", report.tv);
    }

    #[test]
    fn the_radius_separates_two_from_four_stds() {
        let ring = Mixture::ring(8, 4.0, 0.3).unwrap();
        // outward from mode 0 at (4, 0): 2 and 4 stds, mode 0 stays the nearest
        let x = points(vec![4.0 + 2.0 * 0.3, 0.0, 4.0 + 4.0 * 0.3, 0.0], 2, 2);
        let assigned = assign(&x, &ring).unwrap();
        assert_eq!(assigned[0].0, 0);
        assert_eq!(assigned[1].0, 0);
        assert!((assigned[0].1 - 4.0).abs() < 1e-12 && (assigned[1].1 - 16.0).abs() < 1e-12, "{assigned:?}");
        let report = mode_report(&x, &ring, 3.0).unwrap();
        assert_eq!((report.counts[0], report.within, report.covered), (1, 1, 1));
        // tv: both samples on mode 0 → ½ (⅞ + 7·⅛)
        assert!((report.tv - 0.875).abs() < 1e-15);
    }

    #[test]
    fn the_device_path_agrees_with_the_host_path() {
        rng::seed(4);
        let mix = Mixture::new(
            vec![vec![0.0, 0.0, 0.0], vec![3.0, 0.0, 1.0], vec![-2.0, 2.0, 0.0]],
            vec![0.5, 1.0, 2.0],
            vec![1.0, 1.0, 2.0],
        )
        .unwrap();
        let (x, _) =
            mix.sample_with_labels(30_000, &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap();
        let host = nearest_on_host(&x.to_f64_vec().unwrap(), &mix);
        let device = assign(&x, &mix).unwrap();
        assert_eq!(host.len(), device.len());
        for (h, g) in host.iter().zip(&device) {
            assert!((h.1 - g.1).abs() < 1e-9 * h.1.max(1.0), "{h:?} vs {g:?}");
            assert!(h.0 == g.0 || (h.1 - g.1).abs() < 1e-9, "{h:?} vs {g:?}");
        }
    }

    #[test]
    fn sampled_mixtures_are_covered_in_higher_dimensions() {
        rng::seed(8);
        let means = (0..4).map(|k| (0..16).map(|j| if j == k { 10.0 } else { 0.0 }).collect()).collect();
        let mix = Mixture::new(means, vec![1.0; 4], vec![1.0; 4]).unwrap();
        let (x, _) = mix.sample_with_labels(4000, &Placement::default()).unwrap();
        let report = mode_report(&x, &mix, 3.0).unwrap();
        // 3 stds holds 1 − e^(−4.5) ≈ 98.9 % of each component's own samples in any dimension
        let share = report.within as f64 / 4000.0;
        assert!((share - (1.0 - (-4.5f64).exp())).abs() < 0.01, "{share}");
        assert_eq!(report.covered, 4);
        assert!(report.tv < 0.03, "{}", report.tv);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let ring = Mixture::ring(8, 4.0, 0.3).unwrap();
        let err = mode_report(&points(vec![0.0; 6], 2, 3), &ring, 3.0).unwrap_err();
        assert_eq!(err.message(), "the samples have shape [2, 3] but the mixture is 2-dimensional");
        assert!(mode_report(&points(vec![0.0; 2], 1, 2), &ring, f64::NAN).unwrap_err().message().contains("got NaN"));
        assert!(mode_report(&points(vec![], 0, 2), &ring, 3.0).unwrap_err().message().contains("got shape [0, 2]"));
    }
}
