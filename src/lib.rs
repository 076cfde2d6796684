//! difflab: a scripting lab for diffusion-model research.
//!
//! The layers, each depending only on the ones listed before it:
//! - [`tensor`]: the script-facing tensor over candle, devices, dtypes and the seeded RNG;
//! - [`nn`]: optimizers (and networks);
//! - [`runtime`]: the Rhai engine with every built-in registered, help, errors and interruption;
//! - [`repl`]: the terminal front end.
//!
//! [`error`] and [`interrupt`] are shared by all layers.

pub mod cli;
pub mod error;
pub mod interrupt;
pub mod nn;
pub mod repl;
pub mod runtime;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::Tensor;
