//! Whole-file writes that never leave a half-written file: checkpoints, figures,
//! JSON and the kernelspec are written to a temporary file beside the target,
//! synced, then renamed over it. A temporary file left by a process that was killed
//! mid-write is removed by the next write of the same file.

use crate::error::Result;
use std::path::Path;

/// Creates the folder `path` goes in, and the folders above it, where they are missing.
pub fn create_parent(path: &Path) -> Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| {
            crate::Error::new(format!("{}: cannot create the folder {}: {e}", path.display(), dir.display()))
        }),
        None => Ok(()),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        crate::bail!("{}: the folder {} does not exist", path.display(), dir.display());
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    remove_orphans(dir, &name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        crate::bail!("{}: cannot write: {e}", path.display());
    }
    Ok(())
}

/// Removes the temporary files `.NAME.tmp-PID` in `dir` whose process no longer runs
/// (where `/proc` tells), or that this process left.
fn remove_orphans(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = file.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else { continue };
        let ours = pid == std::process::id();
        let gone = Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists();
        if ours || gone {
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
        let orphan = dir.join(".net.safetensors.tmp-4999999");
        let other = dir.join(".other.safetensors.tmp-4999999");
        std::fs::write(&orphan, b"half").unwrap();
        std::fs::write(&other, b"half").unwrap();
        write_atomically(&target, b"whole").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert!(!orphan.exists(), "the orphan of this file is removed");
        assert!(other.exists(), "another file's temporary is left alone");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
