//! Where script output goes. The front end installs a sink: the terminal for
//! `difflab run` and the REPL, stream messages for the Jupyter kernel.

use super::display::Rich;
use std::io::Write;
use std::sync::{Arc, OnceLock, RwLock};

/// A destination for what scripts print.
pub trait Output: Send + Sync {
    /// One `print` call's text (a newline is added).
    fn print(&self, text: &str);
    /// One `eprint` call's text, or a warning (a newline is added).
    fn eprint(&self, text: &str);
    /// A help page. Terminals print it; notebooks may show it in a pager.
    fn page(&self, text: &str) {
        self.print(text);
    }

    /// Clears the output shown so far (in a notebook: the cell's output; `wait`
    /// delays it until new output arrives). Terminals ignore it.
    fn clear(&self, _wait: bool) {}

    /// Something to look at (a figure). Without a better way, its text form is printed.
    fn display(&self, item: &Rich) -> crate::Result<()> {
        self.print(&item.text);
        Ok(())
    }
}

/// Standard output and standard error.
pub struct Stdio;

impl Output for Stdio {
    fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn eprint(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

fn sink() -> &'static RwLock<Arc<dyn Output>> {
    static SINK: OnceLock<RwLock<Arc<dyn Output>>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(Arc::new(Stdio)))
}

/// Installs the sink every later print goes to.
pub fn set_sink(output: Arc<dyn Output>) {
    *sink().write().unwrap_or_else(|p| p.into_inner()) = output;
}

fn current() -> Arc<dyn Output> {
    sink().read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Prints a line to the current sink's standard output.
pub fn print(text: &str) {
    current().print(text);
}

/// Prints a line to the current sink's standard error.
pub fn eprint(text: &str) {
    current().eprint(text);
}

/// Shows a rich item through the current sink.
pub fn display(item: &Rich) -> crate::Result<()> {
    current().display(item)
}

/// Clears the current output.
pub fn clear(wait: bool) {
    current().clear(wait);
}

/// Shows a help page through the current sink.
pub fn page(text: &str) {
    current().page(text);
}
