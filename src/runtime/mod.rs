//! The script runtime: the Rhai engine with every built-in registered, the
//! session that keeps state across evaluations, help, errors, output routing,
//! the shipped stdlib modules, and interruption.

pub mod api;
pub mod call_context;
pub mod complete;
pub mod convert;
pub mod display;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod help;
pub mod hints;
pub mod nesting;
pub mod options;
pub mod output;
pub mod overrides;
pub mod progress_bar;
pub mod repr;
pub mod save_figures;
pub mod script_thread;
pub mod session;
pub mod shared;
pub mod sized;
pub mod stdlib;

pub use error::ScriptError;
pub use session::{Completeness, Session};
