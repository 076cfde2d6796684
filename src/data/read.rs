//! Reading whole files within the memory budget: a file larger than the budget, or a
//! device that never ends (`/dev/zero`), is an error instead of an allocation that
//! ends the process; long reads stop on an interrupt.

use crate::error::{Error, Result};
use crate::memory;
use std::io::Read;
use std::path::Path;

/// How much is read between interrupt checks.
const CHUNK: usize = 1 << 20;

/// The bytes of the file at `path`, read up to the memory budget.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    read_limited(path, memory::limit(), false)
}

/// The text of the file at `path`: valid UTF-8 without NUL bytes (a binary file or a
/// device such as `/dev/zero` is refused at its first chunk), a leading byte-order mark
/// removed.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = read_limited(path, memory::limit(), true)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(format!("{}: not a text file (it is not valid UTF-8)", path.display())))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn read_limited(path: &Path, limit: u64, text: bool) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| {
        let near = if e.kind() == std::io::ErrorKind::NotFound { near_names(path) } else { String::new() };
        Error::new(format!("{}: cannot read: {e}{near}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        crate::bail!("{}: is a folder, not a file", path.display());
    }
    if meta.is_file() && meta.len() > limit {
        crate::bail!(
            "{}: the file has {}, over the memory limit of {} (set --max-memory or {} to change it)",
            path.display(),
            memory::human(meta.len() as u128),
            memory::human(limit as u128),
            memory::ENV
        );
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() { meta.len() as usize } else { 0 });
    let mut reader = file.take(limit.saturating_add(1));
    loop {
        crate::interrupt::check()?;
        let before = bytes.len();
        let read = (&mut reader).take(CHUNK as u64).read_to_end(&mut bytes).map_err(cannot)?;
        if text && bytes[before..].contains(&0) {
            crate::bail!("{}: not a text file (it holds NUL bytes)", path.display());
        }
        if bytes.len() as u64 > limit {
            crate::bail!(
                "{}: more than the memory limit of {} to read (set --max-memory or {} to change it)",
                path.display(),
                memory::human(limit as u128),
                memory::ENV
            );
        }
        if read == 0 {
            return Ok(bytes);
        }
    }
}

/// `; did you mean "data/swirl.npy"?` for the files beside a missing `path` whose names are a
/// small edit away from its name, or nothing.
fn near_names(path: &Path) -> String {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_string()) else { return String::new() };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    let Ok(entries) = std::fs::read_dir(folder.unwrap_or(Path::new("."))) else { return String::new() };
    let names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    let shown: Vec<String> = crate::suggest::closest(&name, names.iter().map(String::as_str))
        .iter()
        .map(|c| format!("\"{}\"", folder.map_or(Path::new(c).to_path_buf(), |f| f.join(c)).display()))
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    format!("; did you mean {}?", shown.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_binary_files_are_refused_as_text() {
        let err = read_text(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.message(), "/dev/zero: not a text file (it holds NUL bytes)");
        let err = read_limited(Path::new("/dev/zero"), 3 << 20, false).unwrap_err();
        assert!(err.message().starts_with("/dev/zero: more than the memory limit of 3.0 MB to read"), "{err}");
        assert!(read_text(Path::new("/")).unwrap_err().message().ends_with("is a folder, not a file"));
    }

    #[test]
    fn a_missing_file_suggests_a_near_name_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("swirl.npy"), b"x").unwrap();
        std::fs::write(dir.path().join("other.csv"), b"x").unwrap();
        let err = read_bounded(&dir.path().join("swril.npy")).unwrap_err().message().to_string();
        let expected = format!("; did you mean \"{}\"?", dir.path().join("swirl.npy").display());
        assert!(err.contains("cannot read: No such file or directory") && err.ends_with(&expected), "{err}");
        let err = read_bounded(&dir.path().join("nothing_like_it.txt")).unwrap_err().message().to_string();
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_not_text() {
        let dir = std::env::temp_dir().join(format!("difflab-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bom.csv");
        std::fs::write(&path, "\u{feff}1,2\n3,4\n").unwrap();
        assert_eq!(read_text(&path).unwrap(), "1,2\n3,4\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
