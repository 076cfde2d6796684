//! The interrupt flag: set by Ctrl-C (through [`install_handler`]) or a Jupyter
//! interrupt, read by the script engine between operations and by long Rust loops
//! between steps.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Exit status of a run stopped by Ctrl-C, as shells report SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Asks whatever is running to stop at its next check.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Clears the flag before a new run starts.
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether an interrupt has been asked for since the last [`clear`].
pub fn is_requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// [`Error::interrupted`] once an interrupt has been asked for: long loops call
/// this between steps.
pub fn check() -> Result<()> {
    if is_requested() {
        Err(Error::interrupted())
    } else {
        Ok(())
    }
}

/// For candle kernels, at their start: an error once an interrupt has been asked for
/// (`Error::from` reads it as the interrupt), so a long chain of fused ops stops between them.
pub fn check_in_kernel() -> candle_core::Result<()> {
    if is_requested() {
        Err(candle_core::Error::Msg("interrupted".into()))
    } else {
        Ok(())
    }
}

/// Makes Ctrl-C (SIGINT) ask the running script to stop. With `exit_on_second`,
/// a second Ctrl-C while the first is still pending ends the process at once
/// (for a terminal user stuck in a long native call; a kernel never does).
pub fn install_handler(exit_on_second: bool) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(move || {
            if exit_on_second && is_requested() {
                eprintln!("interrupted");
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
            request();
        });
    });
}
