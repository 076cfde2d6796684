//! Core built-ins: the seed, help, and printing to stderr.

use rhai::plugin::*;

#[export_module]
mod api {
    use crate::runtime::{help, output};
    use crate::tensor::rng;
    use rhai::INT;

    /// Fixes every random number that follows: the same seed gives the same draws on every run.
    pub fn seed(n: INT) {
        rng::seed(n as u64);
    }

    /// Lists every built-in by group, with its one-line doc.
    #[rhai_fn(name = "help")]
    pub fn help_index() {
        output::page(&help::catalog().index());
    }

    /// Shows the signatures and doc of one built-in: `help("randn")`.
    #[rhai_fn(name = "help")]
    pub fn help_name(name: &str) {
        output::page(&help::catalog().describe(name));
    }

    /// Prints a value to standard error (a notebook shows it as stderr).
    pub fn eprint(ctx: NativeCallContext, value: Dynamic) {
        let text = if value.is_string() {
            value.to_string()
        } else {
            ctx.call_fn::<String>("to_string", (value.clone(),)).unwrap_or_else(|_| value.to_string())
        };
        output::eprint(&text);
    }
}

/// The module of core built-ins.
pub fn module() -> Module {
    exported_module!(api)
}
