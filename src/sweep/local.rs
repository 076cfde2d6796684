//! The local backend: the points run as `difflab sweep task` processes on this machine, at
//! most `jobs` at a time, under one progress bar that counts failures. A failed run does not
//! stop the others; Ctrl-C stops the running ones (each is recorded as interrupted) and starts
//! no more, so `--resume` finishes the sweep.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a local sweep did.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Runs that ended well.
    pub ok: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Whether Ctrl-C stopped the sweep early.
    pub interrupted: bool,
}

/// Runs the points `indices` of the sweep in `dir`, `jobs` at a time.
pub fn run(dir: &Path, indices: &[usize], jobs: usize, exe: &Path) -> crate::Result<Outcome> {
    crate::interrupt::install_handler(false);
    let bar = indicatif::ProgressBar::new(indices.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs {msg} [{elapsed_precise}, {eta} left]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut outcome = Outcome::default();
    let mut waiting = indices.iter().copied();
    let mut running: Vec<(usize, Child)> = vec![];
    loop {
        while running.len() < jobs.max(1) && !crate::interrupt::is_requested() {
            let Some(index) = waiting.next() else { break };
            let child = Command::new(exe)
                .arg("sweep")
                .arg("task")
                .arg(dir)
                .arg(index.to_string())
                .stdin(Stdio::null())
                .spawn()
                .map_err(|e| crate::Error::new(format!("cannot start {}: {e}", exe.display())))?;
            running.push((index, child));
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
        let mut still = vec![];
        for (index, mut child) in running {
            match child.try_wait() {
                Ok(None) => {
                    if crate::interrupt::is_requested() {
                        super::task::interrupt(child.id());
                    }
                    still.push((index, child));
                }
                Ok(Some(_)) | Err(_) => {
                    let status = super::layout::read_status(dir, index);
                    match status.as_ref().map(|s| s.state.as_str()) {
                        Some("ok") => outcome.ok += 1,
                        Some("interrupted") => outcome.interrupted = true,
                        _ => {
                            outcome.failed += 1;
                            let why = status.and_then(|s| s.exit_code).map(|c| format!("exit {c}"));
                            let folder = super::layout::run_dir(dir, index);
                            bar.suspend(|| {
                                eprintln!(
                                    "run {} failed ({}): see {}",
                                    super::layout::run_name(index),
                                    why.unwrap_or_else(|| "no status".into()),
                                    folder.join("stderr.txt").display()
                                )
                            });
                        }
                    }
                    bar.inc(1);
                    if outcome.failed > 0 {
                        bar.set_message(format!("({} failed)", outcome.failed));
                    }
                }
            }
        }
        running = still;
    }
    bar.finish_and_clear();
    outcome.interrupted |= crate::interrupt::is_requested();
    Ok(outcome)
}
