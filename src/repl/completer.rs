//! Tab completion in the REPL: `:` commands, then whatever
//! [`crate::runtime::complete`] offers for the session.

use super::commands::COMMANDS;
use crate::runtime::complete::complete;
use crate::runtime::help::catalog;
use crate::runtime::Session;
use reedline::{Completer, Span, Suggestion};
use std::sync::{Arc, Mutex};

/// Completes against the live session.
pub struct RhaiCompleter {
    session: Arc<Mutex<Session>>,
}

impl RhaiCompleter {
    /// A completer reading `session`'s variables and functions.
    pub fn new(session: Arc<Mutex<Session>>) -> Self {
        Self { session }
    }
}

fn suggestion(value: String, description: Option<String>, start: usize, end: usize) -> Suggestion {
    Suggestion { value, description, span: Span::new(start, end), ..Suggestion::default() }
}

impl Completer for RhaiCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> reedline::CompletionResult {
        let pos = pos.min(line.len());
        if let Some(typed) = line[..pos].trim_start().strip_prefix(':').filter(|t| !t.contains(' ')) {
            let start = pos - typed.len() - 1;
            let found: Vec<Suggestion> = COMMANDS
                .iter()
                .filter(|(name, _)| name.starts_with(typed))
                .map(|(name, doc)| suggestion(format!(":{name}"), Some(doc.to_string()), start, pos))
                .collect();
            return reedline::CompletionResult::fresh(found);
        }
        let Ok(session) = self.session.try_lock() else { return reedline::CompletionResult::fresh(vec![]) };
        let found = complete(&session, line, pos);
        let suggestions: Vec<Suggestion> = found
            .matches
            .into_iter()
            .map(|m| {
                let doc = catalog().get(&m).map(|e| e.summary().to_string());
                suggestion(m, doc, found.start, found.end)
            })
            .collect();
        reedline::CompletionResult::fresh(suggestions)
    }
}
