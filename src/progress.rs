//! Progress of long work (training, sampling, MCMC chains). Library code
//! reports through a [`Progress`] handle; the front end installs the sink that
//! shows it: a bar in a terminal, an updating display in a notebook, nothing
//! when output is not a terminal. Work that ends within half a second shows
//! nothing at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// How long work runs before its progress is shown.
pub const SHOW_AFTER: Duration = Duration::from_millis(500);

/// Where progress goes.
pub trait ProgressSink: Send + Sync {
    /// A task is shown; `total` is the number of units when known, `elapsed` how long it has
    /// run already (it is shown only after [`SHOW_AFTER`]).
    fn start(&self, id: u64, label: &str, total: Option<u64>, elapsed: Duration);
    /// The task has done `position` units; `message` is a short status (`loss 0.031`).
    fn update(&self, id: u64, position: u64, message: &str);
    /// The task ended (finished, failed or was interrupted).
    fn finish(&self, id: u64);
    /// The running script was interrupted: every task still shown ends as interrupted, also
    /// one whose handle the script keeps (`let p = progress(100)`), so it shows where it stopped.
    fn interrupt_all(&self);
}

fn sink() -> &'static RwLock<Option<Arc<dyn ProgressSink>>> {
    static SINK: OnceLock<RwLock<Option<Arc<dyn ProgressSink>>>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(None))
}

/// Installs the sink (or `None` for silence).
pub fn set_sink(new: Option<Arc<dyn ProgressSink>>) {
    *sink().write().unwrap_or_else(|p| p.into_inner()) = new;
}

fn current() -> Option<Arc<dyn ProgressSink>> {
    sink().read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Ends every task still shown as interrupted (see [`ProgressSink::interrupt_all`]).
pub fn interrupt_all() {
    if let Some(s) = current() {
        s.interrupt_all();
    }
}

/// A running task's progress; it finishes when dropped.
pub struct Progress {
    id: u64,
    label: String,
    total: Option<u64>,
    position: u64,
    started: Instant,
    shown: bool,
    done: bool,
}

impl Progress {
    /// Starts timing a task; it is shown once it has run for [`SHOW_AFTER`].
    pub fn new(label: &str, total: Option<u64>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        Self { id, label: label.to_string(), total, position: 0, started: Instant::now(), shown: false, done: false }
    }

    /// Sets how many units are done, with a status message.
    pub fn set(&mut self, position: u64, message: &str) {
        self.position = position;
        let Some(s) = current() else { return };
        if !self.shown {
            if self.started.elapsed() < SHOW_AFTER {
                return;
            }
            self.shown = true;
            s.start(self.id, &self.label, self.total, self.started.elapsed());
        }
        s.update(self.id, position, message);
    }

    /// One more unit done.
    pub fn inc(&mut self, message: &str) {
        self.set(self.position + 1, message);
    }

    /// How many units are done.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Ends the task.
    pub fn finish(&mut self) {
        if !self.done {
            self.done = true;
            if let (true, Some(s)) = (self.shown, current()) {
                s.finish(self.id);
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
