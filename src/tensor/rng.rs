//! The seeded random state behind every random number difflab draws.
//!
//! Two streams, both fixed by `seed(n)` and until then started from
//! operating-system entropy, as NumPy and PyTorch do:
//! - tensor draws (`randn`, `rand` and the noise of training and sampling) come
//!   from a counter-based Philox stream ([`super::philox`]): a draw is a
//!   function of the seed and a position, computed on the tensor's device, so
//!   the CPU and a GPU give the same bits;
//! - host-side draws (initial weights, toy data, indices, permutations) come from
//!   a `StdRng`, made in `f64` and converted.
//!
//! The state belongs to the thread that runs the script (the REPL's, a kernel's
//! session thread), so a script's streams are its own.

use crate::error::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::cell::{Cell, RefCell};

thread_local! {
    static GENERATOR: RefCell<StdRng> = RefCell::new(StdRng::from_os_rng());
    static TENSOR_STREAM: Cell<PhiloxPosition> = Cell::new(PhiloxPosition { seed: rand::random(), next_block: 0 });
}

/// Where the tensor-draw stream stands: its seed and the next unused Philox block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhiloxPosition {
    /// The stream's seed (its Philox key).
    pub seed: u64,
    /// The first block the next draw uses.
    pub next_block: u64,
}

/// Reserves the blocks for a tensor draw of `n` values and returns where it starts.
pub fn take_tensor_draw(n: usize) -> PhiloxPosition {
    TENSOR_STREAM.with(|s| {
        let at = s.get();
        s.set(PhiloxPosition { next_block: at.next_block + n.div_ceil(4) as u64, ..at });
        at
    })
}

/// Runs `f` with exclusive use of this thread's generator.
pub fn with_rng<R>(f: impl FnOnce(&mut StdRng) -> R) -> R {
    GENERATOR.with(|g| f(&mut g.borrow_mut()))
}

/// Resets both streams so that every later draw is fixed by `seed`.
pub fn seed(seed: u64) {
    with_rng(|rng| *rng = StdRng::seed_from_u64(seed));
    TENSOR_STREAM.with(|s| s.set(PhiloxPosition { seed, next_block: 0 }));
}

/// How many draws are made between interrupt checks.
const CHECK_EVERY: usize = 1 << 16;

/// `n` draws of `draw`, stopping with an interrupt error when one is asked for.
fn draws<T>(n: usize, mut draw: impl FnMut(&mut StdRng) -> T) -> Result<Vec<T>> {
    crate::memory::check(n, std::mem::size_of::<T>())?;
    with_rng(|rng| {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            crate::interrupt::check()?;
            let more = (n - out.len()).min(CHECK_EVERY);
            out.extend((0..more).map(|_| draw(rng)));
        }
        Ok(out)
    })
}

/// `n` independent standard-normal draws.
pub fn normal(n: usize) -> Result<Vec<f64>> {
    draws(n, |rng| rng.sample::<f64, _>(StandardNormal))
}

/// `n` independent draws uniform on `[low, high)`.
pub fn uniform(n: usize, low: f64, high: f64) -> Result<Vec<f64>> {
    draws(n, |rng| low + (high - low) * rng.random::<f64>())
}

/// `n` independent integers uniform on `[low, high)`.
pub fn integers(n: usize, low: i64, high: i64) -> Result<Vec<i64>> {
    draws(n, |rng| rng.random_range(low..high))
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize) -> Result<Vec<usize>> {
    use rand::seq::SliceRandom;
    crate::memory::check(n, std::mem::size_of::<usize>())?;
    let mut order: Vec<usize> = (0..n).collect();
    with_rng(|rng| order.shuffle(rng));
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_moments_are_right() {
        seed(7);
        let a = normal(20_000).unwrap();
        seed(7);
        let b = normal(20_000).unwrap();
        assert_eq!(a, b);
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        let u = uniform(10_000, -1.0, 3.0).unwrap();
        assert!(u.iter().all(|x| (-1.0..3.0).contains(x)));
        let mut p = permutation(50).unwrap();
        p.sort();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn tensor_draws_take_whole_blocks_from_the_seeded_position() {
        seed(9);
        assert_eq!(take_tensor_draw(5), PhiloxPosition { seed: 9, next_block: 0 });
        assert_eq!(take_tensor_draw(8), PhiloxPosition { seed: 9, next_block: 2 });
        assert_eq!(take_tensor_draw(1).next_block, 4);
        seed(9);
        assert_eq!(take_tensor_draw(3).next_block, 0);
    }
}
