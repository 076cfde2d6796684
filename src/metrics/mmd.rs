//! Maximum mean discrepancy between two point sets with a sum of Gaussian
//! kernels (Gretton et al. 2012), and the median heuristic for its bandwidth.

use super::points::{centered, for_each_distance_block, pair};
use crate::error::Result;
use crate::tensor::Tensor;

/// How many pooled points the median heuristic looks at, at most.
const MEDIAN_POINTS: usize = 1000;

/// The unbiased estimate of MMD² between `a` `[N, d]` and `b` `[M, d]`
/// (Gretton et al. 2012, eq. 3), N, M >= 2:
///
/// 1/(N(N−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(M(M−1)) Σ_{i≠j} k(yᵢ, yⱼ) − 2/(NM) Σ_{i,j} k(xᵢ, yⱼ)
///
/// with k(x, y) = Σ_h exp(−‖x − y‖² / (2h²)) over `bandwidths`, or over the single
/// bandwidth [`median_bandwidth`] when `bandwidths` is empty. Being unbiased, the
/// estimate scatters around 0 (negative values included) when both sets come from
/// one distribution.
pub fn mmd(a: &Tensor, b: &Tensor, bandwidths: &[f64]) -> Result<f64> {
    let (x, y) = pair(a, b, "mmd", 2)?;
    if let Some(bad) = bandwidths.iter().find(|h| !(**h > 0.0 && h.is_finite())) {
        crate::bail!("mmd bandwidths must be positive finite numbers, got {bad} in {bandwidths:?}");
    }
    let (x, y) = centered(&x, &y)?;
    let median;
    let bandwidths = if bandwidths.is_empty() {
        median = [median_distance(&x, &y)?];
        &median[..]
    } else {
        bandwidths
    };
    let (n, m) = (x.dim(0)? as f64, y.dim(0)? as f64);
    // k(x, x) = one per bandwidth: the diagonal left out of the within-set sums
    let diagonal = bandwidths.len() as f64;
    let kxx = kernel_sum(&x, &x, bandwidths)? - n * diagonal;
    let kyy = kernel_sum(&y, &y, bandwidths)? - m * diagonal;
    let kxy = kernel_sum(&x, &y, bandwidths)?;
    Ok(kxx / (n * (n - 1.0)) + kyy / (m * (m - 1.0)) - 2.0 * kxy / (n * m))
}

/// The median heuristic (Gretton et al. 2012, sec. 8): the median of the pairwise
/// distances between the points of `a` and `b` pooled, taken on at most 1000 pooled
/// points spaced evenly through the rows of `a` then `b`.
pub fn median_bandwidth(a: &Tensor, b: &Tensor) -> Result<f64> {
    let (x, y) = pair(a, b, "median_bandwidth", 1)?;
    let (x, y) = centered(&x, &y)?;
    median_distance(&x, &y)
}

/// Σ_{i,j} Σ_h exp(−‖xᵢ − yⱼ‖² / (2h²)).
fn kernel_sum(x: &candle_core::Tensor, y: &candle_core::Tensor, bandwidths: &[f64]) -> Result<f64> {
    let mut total = 0.0;
    for_each_distance_block(x, y, |sq| {
        for h in bandwidths {
            total += sq.affine(-0.5 / (h * h), 0.0)?.exp()?.sum_all()?.to_scalar::<f64>()?;
        }
        Ok(())
    })?;
    Ok(total)
}

/// The median pairwise distance of the pooled sets, as [`median_bandwidth`] describes.
fn median_distance(x: &candle_core::Tensor, y: &candle_core::Tensor) -> Result<f64> {
    let pooled = candle_core::Tensor::cat(&[x, y], 0)?;
    let count = pooled.dim(0)?;
    let pooled = if count > MEDIAN_POINTS {
        let rows: Vec<u32> = (0..MEDIAN_POINTS).map(|i| (i * count / MEDIAN_POINTS) as u32).collect();
        pooled.index_select(&candle_core::Tensor::new(rows, pooled.device())?, 0)?
    } else {
        pooled
    };
    let mut square = Vec::new();
    for_each_distance_block(&pooled, &pooled, |sq| {
        square.extend(sq.to_vec2::<f64>()?);
        Ok(())
    })?;
    let mut distances: Vec<f64> =
        square.iter().enumerate().flat_map(|(i, row)| row[i + 1..].iter().map(|v| v.sqrt())).collect();
    distances.sort_unstable_by(f64::total_cmp);
    let mid = distances.len() / 2;
    let median = if distances.len() % 2 == 1 { distances[mid] } else { 0.5 * (distances[mid - 1] + distances[mid]) };
    if median <= 0.0 {
        crate::bail!("the median pairwise distance is 0 (most points coincide), so it cannot be a bandwidth; pass bandwidths explicitly");
    }
    Ok(median)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::{rng, DType};

    fn points(values: Vec<f64>, n: usize, d: usize) -> Tensor {
        from_f64(values, &[n, d], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    /// `n` draws of N(shift·1, I) in `d` dimensions from the global generator.
    fn gaussian(n: usize, d: usize, shift: f64) -> Tensor {
        points(rng::normal(n * d).unwrap().into_iter().map(|v| v + shift).collect(), n, d)
    }

    #[test]
    fn one_distribution_is_near_zero_and_a_shift_is_not() {
        rng::seed(21);
        let (a, b, c) = (gaussian(1500, 2, 0.0), gaussian(1500, 2, 0.0), gaussian(1500, 2, 1.0));
        let same = mmd(&a, &b, &[0.5, 1.0, 2.0]).unwrap();
        let shifted = mmd(&a, &c, &[0.5, 1.0, 2.0]).unwrap();
        assert!(same.abs() < 0.01, "{same}");
        assert!(shifted > 0.3, "{shifted}");
        let median = mmd(&a, &c, &[]).unwrap();
        assert!(median > 0.1, "{median}");
    }

    #[test]
    fn small_sets_match_the_formula() {
        // x = {0, 1}, y = {0, 2}, one bandwidth h = 1: k(r) = exp(−r²/2)
        let k = |r: f64| (-r * r / 2.0).exp();
        let want = (2.0 * k(1.0)) / 2.0 + (2.0 * k(2.0)) / 2.0 - 2.0 * (k(0.0) + k(2.0) + k(1.0) + k(1.0)) / 4.0;
        let got = mmd(&points(vec![0.0, 1.0], 2, 1), &points(vec![0.0, 2.0], 2, 1), &[1.0]).unwrap();
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }

    #[test]
    fn the_median_heuristic_takes_the_median_distance() {
        // pooled {0, 1, 3}: distances 1, 3, 2
        assert_eq!(median_bandwidth(&points(vec![0.0, 1.0], 2, 1), &points(vec![3.0], 1, 1)).unwrap(), 2.0);
        let same = points(vec![1.0; 4], 2, 2);
        assert!(median_bandwidth(&same, &same).unwrap_err().message().contains("pass bandwidths explicitly"));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let a = points(vec![0.0; 4], 2, 2);
        let err = mmd(&a, &points(vec![0.0; 2], 1, 2), &[1.0]).unwrap_err();
        assert_eq!(err.message(), "mmd needs at least 2 points in a set, got shape [1, 2]");
        let err = mmd(&a, &a, &[1.0, f64::NAN]).unwrap_err();
        assert!(err.message().starts_with("mmd bandwidths must be positive finite numbers, got NaN"), "{err}");
        assert!(mmd(&a, &points(vec![0.0; 6], 2, 3), &[1.0]).unwrap_err().message().contains("[2, 2] and [2, 3]"));
    }
}
