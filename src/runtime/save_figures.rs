//! The output of `difflab run` (and of the REPL where a terminal cannot draw
//! images): text to stdout and stderr, figures saved as numbered PNG files in a
//! folder, their paths printed.

use super::display::Rich;
use super::output::{Output, Stdio};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The folder figures go to when none is given.
pub const DEFAULT_DIR: &str = "difflab-out";

/// Prints text, saves figures as `figure-N.png` in a folder.
pub struct SaveFigures {
    dir: PathBuf,
    count: AtomicUsize,
}

impl SaveFigures {
    /// Saves into `dir` (created when the first figure comes).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, count: AtomicUsize::new(0) }
    }

    /// Writes the PNG of `item` and returns its path.
    pub fn save(&self, item: &Rich) -> crate::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| crate::Error::new(format!("{}: cannot create the folder: {e}", self.dir.display())))?;
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let path = self.dir.join(format!("figure-{n}.png"));
        crate::atomic_file::write_atomically(&path, &item.png)?;
        Ok(path)
    }
}

impl Output for SaveFigures {
    fn print(&self, text: &str) {
        Stdio.print(text);
    }

    fn eprint(&self, text: &str) {
        Stdio.eprint(text);
    }

    fn display(&self, item: &Rich) -> crate::Result<()> {
        let path = self.save(item)?;
        Stdio.print(&format!("[{}] saved {}", item.text, path.display()));
        Ok(())
    }
}
