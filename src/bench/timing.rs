//! The timing protocol both sides of a benchmark follow (`benches/reference/workloads.py`
//! does the same in Python): three warm-up iterations timed one by one; from the fastest, a
//! window of `iters` iterations lasting about the requested seconds; three such windows; the
//! rate is `iters` over the fastest window. Taking the fastest window discounts moments when the
//! machine was busy with something else. The process's user and system CPU time over the three
//! windows (`getrusage`), per iteration, show where a side spends it: a storm of system calls or
//! of idle threads waking shows as system time.

use crate::error::Result;
use std::time::Instant;

/// What timing a workload measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// Iterations per second, over the fastest window.
    pub rate: f64,
    /// User CPU seconds per iteration (all threads), over the three windows.
    pub user: f64,
    /// System CPU seconds per iteration (all threads), over the three windows.
    pub system: f64,
}

/// The process's user and system CPU seconds so far, all threads together.
pub fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage writes one rusage struct, which lives on this stack
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

/// Iterations per second of `run` (which runs the given number of iterations and returns
/// once they are finished, on the device too), and its CPU time per iteration.
pub fn best_rate(seconds: f64, mut run: impl FnMut(usize) -> Result<()>) -> Result<Measured> {
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
    let (user0, system0) = cpu_seconds();
    for _ in 0..WINDOWS {
        let start = Instant::now();
        run(iters)?;
        fastest = fastest.min(start.elapsed().as_secs_f64());
    }
    let (user1, system1) = cpu_seconds();
    let done = (WINDOWS * iters) as f64;
    Ok(Measured { rate: iters as f64 / fastest, user: (user1 - user0) / done, system: (system1 - system0) / done })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_iterations_over_the_fastest_window() {
        let mut calls = Vec::new();
        let m = best_rate(0.02, |n| {
            calls.push(n);
            std::thread::sleep(std::time::Duration::from_millis(2 * n as u64));
            Ok(())
        })
        .unwrap();
        assert_eq!(calls.len(), 6);
        assert_eq!(&calls[..3], &[1, 1, 1]);
        assert!((8..=12).contains(&calls[3]), "window of {} iterations", calls[3]);
        assert!(m.rate > 300.0 && m.rate <= 500.0, "rate {}", m.rate);
        // CPU time of the whole process (other tests' threads included), per iteration
        assert!(m.user.is_finite() && m.user >= 0.0 && m.system.is_finite() && m.system >= 0.0, "{m:?}");
    }
}
