//! The `difflab` command.

use mimalloc::MiMalloc;

/// mimalloc doubles candle's CPU training speed over glibc's allocator.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> std::process::ExitCode {
    difflab::cli::main()
}
