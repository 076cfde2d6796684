//! The one error type every layer returns: a message a researcher can read.
//!
//! candle's errors are cleaned on the way in (no backtraces, no nested debug
//! dumps), so what reaches a script is a single line or a short paragraph.

use std::fmt;

/// A difflab error: one readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    interrupted: bool,
}

/// The result type of the difflab library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), interrupted: false }
    }

    /// The error of work stopped by an interrupt (Ctrl-C, a Jupyter interrupt).
    pub fn interrupted() -> Self {
        Self { message: "interrupted".into(), interrupted: true }
    }

    /// Whether this error is an interrupt rather than a failure.
    pub fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// The message, without any prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` put in front of its message.
    pub fn context(self, context: impl fmt::Display) -> Self {
        if self.interrupted {
            return self;
        }
        Self::new(format!("{context}: {}", self.message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<candle_core::Error> for Error {
    /// candle's error, cleaned; while an interrupt is pending it is the interrupt (the custom
    /// kernels stop early with an error when one is asked for).
    fn from(err: candle_core::Error) -> Self {
        if crate::interrupt::is_requested() {
            return Self::interrupted();
        }
        Self::new(clean_candle_message(err))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::new(err.to_string())
    }
}

/// candle's message without its backtrace, contexts joined with `: `.
fn clean_candle_message(err: candle_core::Error) -> String {
    use candle_core::Error as E;
    match err {
        E::WithBacktrace { inner, .. } => clean_candle_message(*inner),
        E::Context { inner, context } => format!("{context}: {}", clean_candle_message(*inner)),
        E::WithPath { inner, path } => format!("{}: {}", path.display(), clean_candle_message(*inner)),
        other => other.to_string(),
    }
}

/// Return early with an [`Error`] built from a format string.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candle_backtraces_are_stripped_and_contexts_joined() {
        let inner = candle_core::Error::Msg("bad shape".into());
        let wrapped = candle_core::Error::WithBacktrace {
            inner: Box::new(inner.context("while adding")),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        };
        assert_eq!(Error::from(wrapped).message(), "while adding: bad shape");
    }
}
