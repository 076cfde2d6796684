//! The output of `difflab run` (and of the REPL where a terminal cannot draw
//! images): text to stdout and stderr, figures saved as numbered PNG files (animations as
//! GIF) in a folder, their paths printed. Numbers continue after the highest one already in
//! the folder, so a new run never overwrites an earlier run's figures.

use super::display::Rich;
use super::output::{Output, Stdio};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The folder figures go to when none is given.
pub const DEFAULT_DIR: &str = "difflab-out";

/// Prints text, saves figures as `figure-N.png` (animations `figure-N.gif`) in a folder.
pub struct SaveFigures {
    dir: PathBuf,
    /// The last number used, once the folder has been looked at.
    last: Mutex<Option<usize>>,
}

/// The highest `N` of the `figure-N.png` or `figure-N.gif` files in `dir` (0 when none).
fn highest_number(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_prefix("figure-")?
                .strip_suffix(".png")
                .or_else(|| name.strip_prefix("figure-")?.strip_suffix(".gif"))?;
            stem.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

impl SaveFigures {
    /// Saves into `dir` (created when the first figure comes).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, last: Mutex::new(None) }
    }

    /// Writes the PNG of `item` (the GIF of an animation) under the next free number and
    /// returns its path.
    pub fn save(&self, item: &Rich) -> crate::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| crate::Error::new(format!("{}: cannot create the folder: {e}", self.dir.display())))?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let n = last.unwrap_or_else(|| highest_number(&self.dir)) + 1;
        *last = Some(n);
        let (ext, bytes) = match &item.gif {
            Some(gif) => ("gif", gif),
            None => ("png", &item.png),
        };
        let path = self.dir.join(format!("figure-{n}.{ext}"));
        crate::atomic_file::write_atomically(&path, bytes)?;
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
