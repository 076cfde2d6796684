//! Whole-file writes that never leave a half-written file: checkpoints, figures, arrays,
//! JSON and the kernelspec are written to a temporary file beside the target, synced, then
//! renamed over it, and the folder is synced. Every writer of the project goes through
//! [`write_atomically`], so they share one policy: missing folders are created, a failure is
//! `PATH: cannot write: CAUSE`, and writers in several processes or threads saving the same
//! path never collide (each temporary name is unique) — the last rename wins, whole. A
//! temporary file left by a process that was killed mid-write is removed by the next write of
//! the same file.

use crate::error::Result;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes so far by this process: with the process id, a temporary name no other writer uses.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`; creates the
/// folders above `path` where they are missing.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |cause: String| crate::Error::new(format!("{}: cannot write: {cause}", path.display()));
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder {}: {e}", dir.display())))?;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return Err(fail("the path names no file".into()));
    };
    remove_orphans(dir, &name);
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    let result = (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // the rename itself reaches the disk with the folder's entry
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e.to_string()));
    }
    Ok(())
}

/// Removes the temporary files `.NAME.tmp-PID-N` in `dir` whose process no longer runs (where
/// `/proc` tells); those of running processes, this one included, may be writes in progress.
fn remove_orphans(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let Ok(pid) = rest.split('-').next().unwrap_or_default().parse::<u32>() else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_and_removes_what_a_killed_write_left() {
        let dir = std::env::temp_dir().join(format!("difflab-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("net.safetensors");
        // a process id above the kernel's limit (4194304) never runs
        let orphan = dir.join(".net.safetensors.tmp-4999999-0");
        let other = dir.join(".other.safetensors.tmp-4999999-0");
        let running = dir.join(format!(".net.safetensors.tmp-{}-999999", std::process::id()));
        for f in [&orphan, &other, &running] {
            std::fs::write(f, b"half").unwrap();
        }
        write_atomically(&target, b"whole").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert!(!orphan.exists(), "the orphan of this file is removed");
        assert!(other.exists(), "another file's temporary is left alone");
        assert!(running.exists(), "a running process's write is left alone");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Missing folders are made; where a write cannot happen, one message names the path and
    /// the cause.
    #[test]
    fn missing_folders_are_made_and_failures_name_the_path() {
        let dir = tempfile_dir("folders");
        let deep = dir.join("a/b/c.json");
        write_atomically(&deep, b"{}").unwrap();
        assert_eq!(std::fs::read(&deep).unwrap(), b"{}");
        let file = dir.join("plain");
        std::fs::write(&file, b"x").unwrap();
        let e = write_atomically(&file.join("x.npy"), b"y").unwrap_err().message().to_string();
        assert!(
            e.starts_with(&format!("{}: cannot write: cannot create the folder", file.join("x.npy").display())),
            "{e}"
        );
        let e = write_atomically(&dir.join("a"), b"y").unwrap_err().message().to_string();
        assert!(e.starts_with(&format!("{}: cannot write: ", dir.join("a").display())), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Threads saving the same path at once all succeed, and the file is always one whole write.
    #[test]
    fn concurrent_writers_of_one_path_all_succeed() {
        let dir = tempfile_dir("concurrent");
        let target = dir.join("x.bin");
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let target = &target;
                s.spawn(move || {
                    for _ in 0..30 {
                        write_atomically(target, &vec![t; 100_000]).unwrap();
                        let now = std::fs::read(target).unwrap();
                        assert!(now.len() == 100_000 && now.iter().all(|&b| b == now[0]), "a torn file");
                    }
                });
            }
        });
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from("x.bin")], "no temporary left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(what: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("difflab-atomic-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
