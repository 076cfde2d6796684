//! Progress in a terminal: one indicatif bar per running task, with the
//! task's status message and its rate, drawn on standard error.

use crate::progress::ProgressSink;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// Bars on standard error.
#[derive(Default)]
pub struct TerminalBars {
    bars: Mutex<HashMap<u64, ProgressBar>>,
}

impl TerminalBars {
    /// Installs terminal bars as the progress sink when standard error is a
    /// terminal; otherwise progress stays silent.
    pub fn install_if_terminal() {
        if std::io::stderr().is_terminal() {
            crate::progress::set_sink(Some(Arc::new(TerminalBars::default())));
        }
    }
}

impl ProgressSink for TerminalBars {
    fn start(&self, id: u64, label: &str, total: Option<u64>) {
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} [{elapsed} < {eta}, {per_sec}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{prefix} {spinner} {pos} [{elapsed}, {per_sec}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_prefix(label.to_string());
        self.bars.lock().unwrap_or_else(|p| p.into_inner()).insert(id, bar);
    }

    fn update(&self, id: u64, position: u64, message: &str) {
        if let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            bar.set_position(position);
            bar.set_message(message.to_string());
        }
    }

    fn finish(&self, id: u64) {
        if let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) {
            bar.finish();
        }
    }
}
