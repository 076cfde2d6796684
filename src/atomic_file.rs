//! Whole-file writes that never leave a half-written file: checkpoints, figures,
//! JSON and the kernelspec are written to a temporary file beside the target,
//! synced, then renamed over it.

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
