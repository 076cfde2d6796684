//! The interrupt flag: set by Ctrl-C (or a Jupyter interrupt), read by the
//! script engine between operations and by long Rust loops between steps.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

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
