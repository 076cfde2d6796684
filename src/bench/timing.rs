//! The timing protocol both sides of a benchmark follow (`benches/reference/workloads.py`
//! does the same in Python): three warm-up iterations timed one by one; from the fastest, a
//! window of `iters` iterations lasting about the requested seconds; three such windows; the
//! rate is `iters` over the fastest window. Taking the fastest window discounts moments when the
//! machine was busy with something else.

use crate::error::Result;
use std::time::Instant;

/// Iterations per second of `run` (which runs the given number of iterations and returns
/// once they are finished, on the device too).
pub fn best_rate(seconds: f64, mut run: impl FnMut(usize) -> Result<()>) -> Result<f64> {
    const WARMUP: usize = 3;
    const WINDOWS: usize = 3;
    let mut per_iteration = f64::INFINITY;
    for _ in 0..WARMUP {
        // the fastest warm-up iteration: the first pays one-time costs (allocation, caches)
        let start = Instant::now();
        run(1)?;
        per_iteration = per_iteration.min(start.elapsed().as_secs_f64());
    }
    let iters = ((seconds / per_iteration.max(1e-9)).round() as usize).max(1);
    let mut fastest = f64::INFINITY;
    for _ in 0..WINDOWS {
        let start = Instant::now();
        run(iters)?;
        fastest = fastest.min(start.elapsed().as_secs_f64());
    }
    Ok(iters as f64 / fastest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_iterations_over_the_fastest_window() {
        let mut calls = Vec::new();
        let rate = best_rate(0.02, |n| {
            calls.push(n);
            std::thread::sleep(std::time::Duration::from_millis(2 * n as u64));
            Ok(())
        })
        .unwrap();
        assert_eq!(calls.len(), 6);
        assert_eq!(&calls[..3], &[1, 1, 1]);
        assert!((8..=12).contains(&calls[3]), "window of {} iterations", calls[3]);
        assert!(rate > 300.0 && rate <= 500.0, "rate {rate}");
    }
}
