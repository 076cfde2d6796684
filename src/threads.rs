//! The number of CPU threads, fixed once per process before any thread pool starts.
//!
//! candle 0.11's CPU matrix product asks `candle_core::utils::get_num_threads()` for the
//! thread count on every call. Unless `RAYON_NUM_THREADS` is set, that function derives the
//! count again each time through `num_cpus::get_physical`, which opens and parses
//! `/proc/cpuinfo`: a network composed in a script (hundreds of small products a step) read
//! the file about 4,000 times a second and spent more time in the kernel than in its own code.
//! With the variable set the lookup is an environment read. The binary therefore sets it at
//! start-up to the count candle would have chosen, unless the user set it, and every pool —
//! rayon's global one, which the fused CPU kernels and `gemm` use, and candle's own — is sized
//! from it.

/// The environment variable rayon and candle read their thread count from.
pub const ENV: &str = "RAYON_NUM_THREADS";

/// Fixes the process's CPU thread count and returns it: a positive `RAYON_NUM_THREADS` the
/// user set, else candle's default (the physical cores it may use), derived once here.
///
/// Call it before any other thread exists: it writes the process environment.
pub fn fix() -> usize {
    if let Some(n) = std::env::var(ENV).ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n > 0) {
        return n;
    }
    let count = candle_core::utils::get_num_threads();
    std::env::set_var(ENV, count.to_string());
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count the user set stays; without one, candle's default is written where candle
    /// reads it.
    #[test]
    fn a_set_count_stays_and_a_missing_one_is_fixed_where_candle_reads_it() {
        let before = std::env::var(ENV).ok();
        std::env::set_var(ENV, "3");
        assert_eq!(fix(), 3);
        assert_eq!(candle_core::utils::get_num_threads(), 3);
        std::env::remove_var(ENV);
        let default = candle_core::utils::get_num_threads();
        assert_eq!(fix(), default);
        assert_eq!(std::env::var(ENV).unwrap(), default.to_string());
        match before {
            Some(v) => std::env::set_var(ENV, v),
            None => std::env::remove_var(ENV),
        }
    }
}
