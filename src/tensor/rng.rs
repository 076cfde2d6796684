//! The one seeded random generator behind every random number difflab draws.
//!
//! `seed(n)` resets it; until then it starts from operating-system entropy, as
//! NumPy and PyTorch do. Draws are made in `f64` and converted, so the same
//! seed gives the same values (up to rounding) whatever the dtype. The
//! generator belongs to the thread that runs the script (the REPL's, a
//! kernel's session thread), so a script's stream is its own.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::cell::RefCell;

thread_local! {
    static GENERATOR: RefCell<StdRng> = RefCell::new(StdRng::from_os_rng());
}

/// Runs `f` with exclusive use of this thread's generator.
pub fn with_rng<R>(f: impl FnOnce(&mut StdRng) -> R) -> R {
    GENERATOR.with(|g| f(&mut g.borrow_mut()))
}

/// Resets the global generator so that every later draw is fixed by `seed`.
pub fn seed(seed: u64) {
    with_rng(|rng| *rng = StdRng::seed_from_u64(seed));
}

/// `n` independent standard-normal draws.
pub fn normal(n: usize) -> Vec<f64> {
    with_rng(|rng| (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect())
}

/// `n` independent draws uniform on `[low, high)`.
pub fn uniform(n: usize, low: f64, high: f64) -> Vec<f64> {
    with_rng(|rng| (0..n).map(|_| low + (high - low) * rng.random::<f64>()).collect())
}

/// `n` independent integers uniform on `[low, high)`.
pub fn integers(n: usize, low: i64, high: i64) -> Vec<i64> {
    with_rng(|rng| (0..n).map(|_| rng.random_range(low..high)).collect())
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..n).collect();
    with_rng(|rng| order.shuffle(rng));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_moments_are_right() {
        seed(7);
        let a = normal(20_000);
        seed(7);
        let b = normal(20_000);
        assert_eq!(a, b);
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        let u = uniform(10_000, -1.0, 3.0);
        assert!(u.iter().all(|x| (-1.0..3.0).contains(x)));
        let mut p = permutation(50);
        p.sort();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
    }
}
