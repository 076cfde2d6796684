//! The `difflab` command.

use mimalloc::MiMalloc;

/// mimalloc doubles candle's CPU training speed over glibc's allocator.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// How long candle's elementwise worker threads spin before they sleep. Its default (25,000
/// spins) keeps them busy between ops, where they take cores from the matrix products' rayon
/// threads; on 2 cores training ran about 10% faster with 64.
const CANDLE_SPIN_LIMIT: &str = "64";

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (mimalloc.h).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory mapped before it returns it to the OS, in
/// milliseconds. Its default (10 ms) returns a training step's multi-megabyte activations
/// between steps, and the kernel zeroes the pages again on the next step's first touch. With
/// 1 s a UNet training step (0.7 s on 2 cores) still took 90,000 page faults per 3 s; with
/// 10 s about 8,000, and training and sampling ran 5–10% faster.
const PURGE_DELAY_MS: std::os::raw::c_long = 10_000;

fn main() -> std::process::ExitCode {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads it on its next purge
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // set before any other thread exists
        std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", CANDLE_SPIN_LIMIT);
    }
    difflab::cli::main()
}
