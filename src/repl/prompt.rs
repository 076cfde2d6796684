//! The prompt: `difflab> `, and `   ...> ` on continuation lines.

use reedline::{Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus};
use std::borrow::Cow;

/// The REPL's prompt.
pub struct RhaiPrompt;

impl Prompt for RhaiPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        Cow::Borrowed("difflab")
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("   ...> ")
    }

    fn render_prompt_history_search_indicator(&self, search: PromptHistorySearch) -> Cow<'_, str> {
        let failed = if matches!(search.status, PromptHistorySearchStatus::Failing) { "failed " } else { "" };
        Cow::Owned(format!("({failed}search: {}) ", search.term))
    }
}
