//! Multi-line input: Enter inserts a new line while Rhai's parser says the
//! input ends too early (an open brace, a dangling operator, an open string).

use crate::runtime::engine::build_engine;
use crate::runtime::session::{completeness, Completeness};
use reedline::{ValidationResult, Validator};

/// Asks Rhai's parser whether the input is complete.
pub struct RhaiValidator {
    engine: rhai::Engine,
}

impl RhaiValidator {
    /// A validator with difflab's operators known to its parser.
    pub fn new() -> Self {
        Self { engine: build_engine() }
    }
}

impl Validator for RhaiValidator {
    fn validate(&self, line: &str) -> ValidationResult {
        if line.trim_start().starts_with(':') {
            return ValidationResult::Complete;
        }
        match completeness(&self.engine, line) {
            Completeness::Incomplete => ValidationResult::Incomplete,
            Completeness::Complete | Completeness::Invalid(_) => ValidationResult::Complete,
        }
    }
}
