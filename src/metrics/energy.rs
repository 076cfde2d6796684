//! The energy distance between two point sets (Székely & Rizzo 2013).

use super::points::{centered, for_each_distance_block, pair};
use crate::error::Result;
use crate::tensor::Tensor;

/// The squared energy distance 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ between `a`
/// `[N, d]` and `b` `[M, d]` (Székely & Rizzo 2013, eq. 2.1), estimated with
/// V-statistics: every expectation is the mean over all pairs, i = j included.
/// It is therefore >= 0 up to rounding, and exactly 0 for identical sets.
pub fn energy_distance(a: &Tensor, b: &Tensor) -> Result<f64> {
    let (x, y) = pair(a, b, "energy_distance", 1)?;
    let (x, y) = centered(&x, &y)?;
    Ok(2.0 * mean_distance(&x, &y)? - mean_distance(&x, &x)? - mean_distance(&y, &y)?)
}

/// The mean of ‖xᵢ − yⱼ‖ over all pairs.
fn mean_distance(x: &candle_core::Tensor, y: &candle_core::Tensor) -> Result<f64> {
    let mut total = 0.0;
    for_each_distance_block(x, y, |sq| {
        total += sq.sqrt()?.sum_all()?.to_scalar::<f64>()?;
        Ok(())
    })?;
    Ok(total / (x.dim(0)? * y.dim(0)?) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::create::{from_f64, Placement};
    use crate::tensor::{rng, DType};

    fn points(values: Vec<f64>, n: usize, d: usize) -> Tensor {
        from_f64(values, &[n, d], &Placement { dtype: DType::F64, device: candle_core::Device::Cpu }).unwrap()
    }

    #[test]
    fn identical_sets_are_at_zero_and_point_masses_at_twice_their_gap() {
        rng::seed(3);
        let v = rng::normal(600).unwrap();
        let (a, b) = (points(v.clone(), 200, 3), points(v, 200, 3));
        assert_eq!(energy_distance(&a, &b).unwrap(), 0.0);
        let (zero, one) = (points(vec![0.0], 1, 1), points(vec![1.0], 1, 1));
        assert_eq!(energy_distance(&zero, &one).unwrap(), 2.0);
    }

    #[test]
    fn small_sets_match_the_formula_and_shifts_grow_it() {
        // x = {0, 1}, y = {3}: 2·(3 + 2)/2 − (0 + 1 + 1 + 0)/4 − 0 = 4.5
        let got = energy_distance(&points(vec![0.0, 1.0], 2, 1), &points(vec![3.0], 1, 1)).unwrap();
        assert!((got - 4.5).abs() < 1e-14, "{got}");
        let a = points((0..40).map(|i| (i as f64 * 1.3).sin()).collect(), 20, 2);
        let near = points((0..40).map(|i| (i as f64 * 1.3).sin() + 0.1).collect(), 20, 2);
        let far = points((0..40).map(|i| (i as f64 * 1.3).sin() + 1.0).collect(), 20, 2);
        let (e_near, e_far) = (energy_distance(&a, &near).unwrap(), energy_distance(&a, &far).unwrap());
        assert!(0.0 < e_near && e_near < e_far, "{e_near} {e_far}");
    }

    #[test]
    fn mismatched_dimensions_are_an_error() {
        let err = energy_distance(&points(vec![0.0; 4], 2, 2), &points(vec![0.0; 3], 1, 3)).unwrap_err();
        assert_eq!(
            err.message(),
            "energy_distance needs two point sets of the same dimension, got shapes [2, 2] and [1, 3]"
        );
    }
}
