//! Progress in a terminal: one indicatif bar per running task, with the
//! task's status message and its rate, drawn on standard error. A task that
//! stops early (interrupted, or failed) leaves its bar where it stopped.

use crate::number_text::significant;
use crate::progress::ProgressSink;
use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bars on standard error (or on another target, for tests).
pub struct TerminalBars {
    bars: Mutex<HashMap<u64, ProgressBar>>,
    target: Box<dyn Fn() -> ProgressDrawTarget + Send + Sync>,
}

impl Default for TerminalBars {
    fn default() -> Self {
        Self { bars: Mutex::new(HashMap::new()), target: Box::new(ProgressDrawTarget::stderr) }
    }
}

impl TerminalBars {
    /// Installs terminal bars as the progress sink when standard error is a
    /// terminal; otherwise progress stays silent.
    pub fn install_if_terminal() {
        if std::io::stderr().is_terminal() {
            crate::progress::set_sink(Some(Arc::new(TerminalBars::default())));
        }
    }

    /// Ends bar `id`; `interrupted` says whether the work was interrupted.
    fn end(&self, id: u64, interrupted: bool) {
        let Some(bar) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else { return };
        let complete = match bar.length() {
            Some(len) => bar.position() >= len,
            None => !interrupted,
        };
        if complete {
            bar.finish();
        } else {
            let why = if interrupted { "interrupted" } else { "stopped" };
            let last = bar.message();
            bar.abandon_with_message(if last.is_empty() { why.to_string() } else { format!("{why} ({last})") });
        }
        if !bar.is_hidden() {
            // indicatif leaves the cursor after the bar: what follows starts on a line of its own
            eprintln!();
        }
    }
}

/// A rate with three significant digits: `12.3 it/s`, `0.512 it/s`, `1530 it/s`.
pub fn rate_text(per_sec: f64) -> String {
    if per_sec.is_finite() && per_sec > 0.0 {
        format!("{} it/s", significant(per_sec, 3))
    } else {
        "- it/s".to_string()
    }
}

/// The units done per second since the task started.
fn average_rate(state: &ProgressState) -> f64 {
    state.pos() as f64 / state.elapsed().as_secs_f64()
}

/// A style from `template`, with the keys `rate` (units per second since the task started,
/// three significant digits) and `left` (the time left at that rate).
fn style(template: &str, fallback: ProgressStyle) -> ProgressStyle {
    let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = w.write_str(&rate_text(average_rate(state)));
    };
    let left = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let (rate, todo) = (average_rate(state), state.len().unwrap_or(0).saturating_sub(state.pos()));
        let _ = match Duration::try_from_secs_f64(todo as f64 / rate) {
            Ok(left) if rate > 0.0 => write!(w, "{:#}", HumanDuration(left)),
            _ => w.write_str("?"),
        };
    };
    let style = ProgressStyle::with_template(template).map(|s| s.with_key("rate", rate).with_key("left", left));
    style.unwrap_or(fallback)
}

impl ProgressSink for TerminalBars {
    fn start(&self, id: u64, label: &str, total: Option<u64>, elapsed: Duration) {
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), (self.target)()).with_style(style(
                "{prefix} {bar:30} {pos}/{len} [{elapsed} < {left}, {rate}] {msg}",
                ProgressStyle::default_bar(),
            )),
            None => ProgressBar::with_draw_target(None, (self.target)()).with_style(style(
                "{prefix} {spinner} {pos} [{elapsed}, {rate}] {msg}",
                ProgressStyle::default_spinner(),
            )),
        };
        let bar = bar.with_elapsed(elapsed);
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
        self.end(id, crate::interrupt::is_requested());
    }

    fn interrupt_all(&self) {
        let ids: Vec<u64> = self.bars.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect();
        for id in ids {
            self.end(id, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A terminal that keeps the last line drawn.
    #[derive(Debug, Default)]
    struct Screen(Mutex<String>);

    #[derive(Debug)]
    struct Shared(Arc<Screen>);

    impl indicatif::TermLike for Shared {
        fn width(&self) -> u16 {
            200
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.trim().is_empty() {
                *self.0 .0.lock().unwrap() = s.trim_end().to_string();
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The last line a bar stopped at `position` of 100 shows.
    fn stopped_at(position: u64, interrupted: bool) -> String {
        let screen = Arc::new(Screen::default());
        let on_screen = screen.clone();
        let target = Box::new(move || ProgressDrawTarget::term_like(Box::new(Shared(on_screen.clone()))));
        let bars = TerminalBars { bars: Mutex::new(HashMap::new()), target };
        bars.start(1, "train", Some(100), Duration::from_secs(2));
        bars.update(1, position, "loss 0.031");
        bars.end(1, interrupted);
        let shown = screen.0.lock().unwrap().clone();
        shown
    }

    #[test]
    fn a_stopped_bar_shows_where_it_stopped() {
        let shown = stopped_at(37, true);
        assert!(shown.ends_with(" 37/100 [2s < 3s, 18.5 it/s] interrupted (loss 0.031)"), "{shown}");
        let shown = stopped_at(37, false);
        assert!(shown.contains(" 37/100 ") && shown.ends_with("] stopped (loss 0.031)"), "{shown}");
        let shown = stopped_at(100, false);
        assert!(shown.contains(" 100/100 ") && shown.ends_with("] loss 0.031"), "{shown}");
    }

    #[test]
    fn rates_have_three_significant_digits() {
        assert_eq!(rate_text(12.345678), "12.3 it/s");
        assert_eq!(rate_text(0.5123), "0.512 it/s");
        assert_eq!(rate_text(1530.2), "1530 it/s");
        assert_eq!(rate_text(0.0), "- it/s");
        assert_eq!(rate_text(f64::NAN), "- it/s");
    }
}
