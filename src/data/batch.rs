//! Working with data sets stored as tensors whose first dimension indexes
//! examples: random minibatches, shuffling, splitting, and scaling to [-1, 1].

use crate::error::Result;
use crate::tensor::{rng, Tensor};

/// Row indices of a random minibatch of `n` from `len` rows: distinct when
/// `n <= len` (a partial shuffle), drawn with replacement otherwise.
pub fn batch_indices(len: usize, n: usize) -> Result<Vec<u32>> {
    if len == 0 {
        crate::bail!("cannot draw a batch from an empty data set");
    }
    crate::memory::check(n.max(len), 8)?;
    if n <= len {
        let mut order = rng::permutation(len)?;
        order.truncate(n);
        Ok(order.into_iter().map(|i| i as u32).collect())
    } else {
        Ok(rng::integers(n, 0, len as i64)?.into_iter().map(|i| i as u32).collect())
    }
}

/// The rows `indices` of `x`.
pub fn take_rows(x: &Tensor, indices: &[u32]) -> Result<Tensor> {
    let idx = candle_core::Tensor::new(indices, x.device())?;
    Ok(Tensor::from_candle(x.candle().index_select(&idx, 0)?))
}

fn first_dim(x: &Tensor) -> Result<usize> {
    match x.dims().first() {
        Some(&n) => Ok(n),
        None => crate::bail!("a data set needs a first dimension that indexes examples; got a 0-d tensor"),
    }
}

/// A random minibatch of `n` rows of `x`.
pub fn batch(x: &Tensor, n: usize) -> Result<Tensor> {
    take_rows(x, &batch_indices(first_dim(x)?, n)?)
}

/// The rows of `x` in random order.
pub fn shuffle(x: &Tensor) -> Result<Tensor> {
    let n = first_dim(x)?;
    take_rows(x, &batch_indices(n, n)?)
}

/// The first `fraction` of the rows and the rest.
pub fn split(x: &Tensor, fraction: f64) -> Result<(Tensor, Tensor)> {
    if fraction.is_nan() || fraction <= 0.0 || fraction >= 1.0 {
        crate::bail!("the fraction must be between 0 and 1 (both parts non-empty in general), got {fraction:?}");
    }
    let n = first_dim(x)?;
    let k = (n as f64 * fraction).round() as usize;
    Ok((x.narrow(0, 0, k)?, x.narrow(0, k as i64, n - k)?))
}

/// `x` mapped linearly from [lo, hi] to [-1, 1] (integer data, such as image bytes, as floats).
pub fn normalize(x: &Tensor, lo: f64, hi: f64) -> Result<Tensor> {
    check_range(lo, hi)?;
    Ok(Tensor::from_candle(as_float(x)?.candle().affine(2.0 / (hi - lo), -(hi + lo) / (hi - lo))?))
}

/// `x` mapped linearly from [-1, 1] back to [lo, hi] (integer data as floats).
pub fn denormalize(x: &Tensor, lo: f64, hi: f64) -> Result<Tensor> {
    check_range(lo, hi)?;
    Ok(Tensor::from_candle(as_float(x)?.candle().affine((hi - lo) / 2.0, (hi + lo) / 2.0)?))
}

/// A range for [`normalize`] and [`denormalize`]: finite, lo < hi.
fn check_range(lo: f64, hi: f64) -> Result<()> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        crate::bail!("need finite lo < hi, got {lo} and {hi}");
    }
    Ok(())
}

/// `x` itself when it holds floats, else converted to the default float type: an affine map
/// of integers would round its factors to integers (and overflow on large ones).
fn as_float(x: &Tensor) -> Result<Tensor> {
    if x.is_float() {
        return Ok(x.clone());
    }
    x.to_dtype(crate::tensor::dtype::DEFAULT_FLOAT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{arange, Placement};

    #[test]
    fn batches_are_distinct_rows_and_scaling_round_trips() {
        let x = arange(0.0, 10.0, 1.0, &Placement::default()).unwrap().reshape(&[5, 2]).unwrap();
        let b = batch(&x, 5).unwrap();
        let mut firsts: Vec<i64> = b.to_f64_vec().unwrap().chunks(2).map(|c| c[0] as i64).collect();
        firsts.sort();
        assert_eq!(firsts, vec![0, 2, 4, 6, 8]);
        assert_eq!(batch(&x, 12).unwrap().dims(), &[12, 2]);
        let (a, rest) = split(&x, 0.6).unwrap();
        assert_eq!((a.dims()[0], rest.dims()[0]), (3, 2));
        let n = normalize(&x, 0.0, 9.0).unwrap();
        let v = n.to_f64_vec().unwrap();
        assert!((v[0] + 1.0).abs() < 1e-6 && (v[9] - 1.0).abs() < 1e-6);
        let back = denormalize(&n, 0.0, 9.0).unwrap().to_f64_vec().unwrap();
        assert!(back.iter().zip(x.to_f64_vec().unwrap()).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn integer_data_scales_as_floats_and_ranges_must_be_finite() {
        let bytes = crate::tensor::create::from_i64(vec![0, 255], &[2], &Placement::default()).unwrap();
        assert_eq!(normalize(&bytes, 0.0, 255.0).unwrap().to_f64_vec().unwrap(), vec![-1.0, 1.0]);
        let signs = crate::tensor::create::from_i64(vec![-1, 1], &[2], &Placement::default()).unwrap();
        assert_eq!(denormalize(&signs, 0.0, 1.0).unwrap().to_f64_vec().unwrap(), vec![0.0, 1.0]);
        let err = denormalize(&signs, -1.0, f64::INFINITY).unwrap_err();
        assert_eq!(err.message(), "need finite lo < hi, got -1 and inf");
    }
}
