//! The sliced 2-Wasserstein distance between two point sets (Rabin et al. 2011;
//! Bonneel et al. 2015): the root mean, over random unit directions, of the
//! squared 1-D 2-Wasserstein distance between the projected sets, each 1-D
//! distance computed exactly from the sorted projections.

use super::points::pair;
use crate::error::Result;
use crate::tensor::{rng, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// How many projected values (both sets, all directions of a batch) one batch moves to the host.
const BATCH_VALUES: usize = 1 << 22;

/// SW₂(a, b) = sqrt(mean over θ of W₂²(θ·a, θ·b)) for point sets `a` `[N, d]` and
/// `b` `[M, d]` (any float dtype, computed in `f64`), over `projections` directions
/// uniform on the unit sphere (normalised Gaussians).
///
/// With `seed: Some(s)` the directions come from a generator of their own seeded
/// with `s`, leaving the global stream untouched; with `None` they are drawn from
/// the global seeded generator. Each 1-D W₂² is exact: the squared difference of
/// the two empirical quantile functions integrated over [0, 1] (with N = M, the
/// mean squared difference of the sorted projections).
///
/// For N(m₁, s₁² I) against N(m₂, s₂² I) in d dimensions the value is
/// sqrt(‖m₁ − m₂‖²/d + (s₁ − s₂)²).
pub fn sliced_w2(a: &Tensor, b: &Tensor, projections: usize, seed: Option<u64>) -> Result<f64> {
    let (x, y) = pair(a, b, "sliced_w2", 1)?;
    if projections == 0 {
        crate::bail!("sliced_w2 needs at least 1 projection, got 0");
    }
    let (n, m, d) = (x.dim(0)?, y.dim(0)?, x.dim(1)?);
    crate::memory::check(projections.saturating_mul(d), 8)?;
    let directions = match seed {
        Some(s) => unit_directions(&mut StdRng::seed_from_u64(s), d, projections),
        None => rng::with_rng(|r| unit_directions(r, d, projections)),
    };
    let per_batch = (BATCH_VALUES / (n + m)).max(1);
    let mut total = 0.0;
    for batch in directions.chunks(per_batch * d) {
        let count = batch.len() / d;
        let theta = candle_core::Tensor::from_slice(batch, (count, d), x.device())?;
        let px = theta.matmul(&x.t()?)?.to_vec2::<f64>()?;
        let py = theta.matmul(&y.t()?)?.to_vec2::<f64>()?;
        for (mut u, mut v) in px.into_iter().zip(py) {
            u.sort_unstable_by(f64::total_cmp);
            v.sort_unstable_by(f64::total_cmp);
            total += w2_squared_sorted(&u, &v);
        }
    }
    Ok((total / projections as f64).sqrt())
}

/// `count` directions uniform on the unit sphere in `d` dimensions, row-major `[count, d]`.
fn unit_directions(r: &mut StdRng, d: usize, count: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(count * d);
    while out.len() < count * d {
        let g: Vec<f64> = (0..d).map(|_| r.sample::<f64, _>(StandardNormal)).collect();
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            out.extend(g.iter().map(|v| v / norm));
        }
    }
    out
}

/// ∫₀¹ (F⁻¹(t) − G⁻¹(t))² dt for the empirical quantile functions of the sorted
/// samples `u` (N values) and `v` (M values): both are steps, with breakpoints
/// i/N and j/M, so the integral is an exact sum over the merged breakpoints.
fn w2_squared_sorted(u: &[f64], v: &[f64]) -> f64 {
    let (n, m) = (u.len(), v.len());
    if n == m {
        return u.iter().zip(v).map(|(p, q)| (p - q) * (p - q)).sum::<f64>() / n as f64;
    }
    // positions in units of 1/(N M): step i of u ends at (i + 1) M, step j of v at (j + 1) N
    let (mut i, mut j, mut at, mut sum) = (0, 0, 0, 0.0);
    while i < n && j < m {
        let (end_u, end_v) = ((i + 1) * m, (j + 1) * n);
        let end = end_u.min(end_v);
        sum += (u[i] - v[j]) * (u[i] - v[j]) * (end - at) as f64;
        at = end;
        if end_u == end {
            i += 1;
        }
        if end_v == end {
            j += 1;
        }
    }
    sum / (n as f64 * m as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::DType;

    fn points(values: Vec<f64>, n: usize, d: usize) -> Tensor {
        from_f64(values, &[n, d], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    /// `n` draws of N(mean, std² I) from the global generator.
    fn gaussian(n: usize, mean: &[f64], std: f64) -> Tensor {
        let d = mean.len();
        let z = rng::normal(n * d).unwrap();
        points(z.iter().enumerate().map(|(k, v)| mean[k % d] + std * v).collect(), n, d)
    }

    #[test]
    fn gaussians_approach_the_closed_form() {
        rng::seed(11);
        for d in [2usize, 16] {
            let mut m2 = vec![0.0; d];
            m2[0] = 2.0;
            let a = gaussian(20_000, &vec![0.0; d], 1.0);
            let b = gaussian(20_000, &m2, 0.5);
            let want = (4.0 / d as f64 + 0.25f64).sqrt();
            let got = sliced_w2(&a, &b, 1000, Some(3)).unwrap();
            assert!((got - want).abs() < 0.03 * want, "d = {d}: {got} vs {want}");
        }
    }

    #[test]
    fn small_cases_are_exact() {
        let a = points(vec![0.0, 1.0], 2, 1);
        let b = points(vec![2.0, 3.0], 2, 1);
        assert_eq!(sliced_w2(&a, &b, 5, Some(1)).unwrap(), 2.0);
        let one = points(vec![0.0], 1, 1);
        let two = points(vec![0.0, 2.0], 2, 1);
        assert_eq!(sliced_w2(&one, &two, 3, Some(1)).unwrap(), 2f64.sqrt());
        // quantile steps 1/3 against 1/2: ∫ (F⁻¹ − G⁻¹)² = (1/3)·1 + (1/6)·0 + (1/6)·4 + (1/3)·1 = 4/3
        let three = points(vec![0.0, 1.0, 2.0], 3, 1);
        let ends = points(vec![1.0, 3.0], 2, 1);
        assert!((sliced_w2(&three, &ends, 2, Some(1)).unwrap() - (4.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn identical_sets_are_at_zero_and_f32_works() {
        let v: Vec<f64> = (0..30).map(|i| (i as f64 * 0.7).sin()).collect();
        let a = points(v.clone(), 10, 3);
        let b = from_f64(v, &[10, 3], &Placement { dtype: DType::F32, device: candle_core::Device::Cpu }).unwrap();
        assert_eq!(sliced_w2(&a, &a, 50, Some(2)).unwrap(), 0.0);
        assert!(sliced_w2(&a, &b, 50, Some(2)).unwrap() < 1e-6);
    }

    #[test]
    fn seeds_fix_the_directions_and_leave_the_global_stream_alone() {
        let a = points((0..40).map(|i| (i as f64).cos()).collect(), 20, 2);
        let b = points((0..30).map(|i| (i as f64).sin()).collect(), 15, 2);
        rng::seed(5);
        let first = sliced_w2(&a, &b, 4, Some(9)).unwrap();
        let next = rng::normal(1).unwrap();
        rng::seed(5);
        assert_eq!(rng::normal(1).unwrap(), next);
        assert_eq!(sliced_w2(&a, &b, 4, Some(9)).unwrap(), first);
        rng::seed(6);
        let global = sliced_w2(&a, &b, 4, None).unwrap();
        let after = rng::normal(1).unwrap();
        rng::seed(6);
        assert_eq!(sliced_w2(&a, &b, 4, None).unwrap(), global);
        assert_eq!(rng::normal(1).unwrap(), after);
        rng::seed(6);
        assert_ne!(rng::normal(1).unwrap(), after, "unseeded directions come from the global stream");
    }

    #[test]
    fn bad_inputs_are_errors() {
        let a = points(vec![0.0; 6], 3, 2);
        let b = points(vec![0.0; 12], 4, 3);
        let err = sliced_w2(&a, &b, 10, Some(1)).unwrap_err();
        assert_eq!(err.message(), "sliced_w2 needs two point sets of the same dimension, got shapes [3, 2] and [4, 3]");
        assert!(sliced_w2(&a, &a, 0, Some(1)).unwrap_err().message().contains("at least 1 projection"));
        let empty = points(vec![], 0, 2);
        assert!(sliced_w2(&a, &empty, 10, Some(1)).unwrap_err().message().contains("got shape [0, 2]"));
    }
}
