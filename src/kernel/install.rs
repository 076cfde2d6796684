//! `difflab kernel install`: writes the kernelspec (kernel.json and 32/64 px
//! logos) where Jupyter looks for it: the user's data folder, the current
//! Python environment (`--sys-prefix`), or a prefix of your choice.

use crate::error::{Error, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The kernel's name in Jupyter (`--kernel_name=difflab`).
pub const KERNEL_NAME: &str = "difflab";

/// Where to install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The user's Jupyter data folder.
    User,
    /// The prefix of the active Python environment.
    SysPrefix,
    /// `PREFIX/share/jupyter/kernels`.
    Prefix(PathBuf),
}

/// The user's Jupyter data folder ($JUPYTER_DATA_DIR, else the platform's default).
fn user_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if cfg!(target_os = "macos") {
        return dirs::home_dir().map(|h| h.join("Library/Jupyter")).ok_or_else(|| Error::new("no home folder"));
    }
    dirs::data_dir().map(|d| d.join("jupyter")).ok_or_else(|| Error::new("no user data folder"))
}

/// The active Python environment's prefix: $VIRTUAL_ENV, $CONDA_PREFIX, or python3's sys.prefix.
fn sys_prefix() -> Result<PathBuf> {
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(p) = std::env::var_os(var) {
            return Ok(PathBuf::from(p));
        }
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| Error::new(format!("--sys-prefix needs python3 to find the environment: {e}")))?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The folder the kernelspec goes into for `target`.
pub fn kernel_dir(target: &Target) -> Result<PathBuf> {
    let kernels = match target {
        Target::User => user_data_dir()?.join("kernels"),
        Target::SysPrefix => sys_prefix()?.join("share/jupyter/kernels"),
        Target::Prefix(p) => p.join("share/jupyter/kernels"),
    };
    Ok(kernels.join(KERNEL_NAME))
}

/// The kernel.json for the binary at `exe`.
pub fn kernel_json(exe: &Path) -> serde_json::Value {
    json!({
        "argv": [exe.display().to_string(), "kernel", "{connection_file}"],
        "display_name": "difflab (Rhai)",
        "language": "rhai",
        "interrupt_mode": "message",
        "metadata": { "debugger": false }
    })
}

/// A square logo of `size` pixels: "dl" on a dark blue disc, drawn with the embedded font.
pub fn logo(size: u32) -> Result<Vec<u8>> {
    use plotters::prelude::*;
    crate::plot::font::ensure_registered();
    let mut buf = vec![255u8; (size * size * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (size, size)).into_drawing_area();
        let draw = |e: DrawingAreaErrorKind<_>| Error::new(format!("cannot draw the logo: {e}"));
        root.fill(&WHITE).map_err(draw)?;
        let c = size as i32 / 2;
        root.draw(&Circle::new((c, c), c - 1, RGBColor(0x1f, 0x3a, 0x68).filled())).map_err(draw)?;
        let style = TextStyle::from((crate::plot::font::FAMILY, size as f64 * 0.5).into_font()).color(&WHITE).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ),
        );
        root.draw_text("dl", &style, (c, c)).map_err(draw)?;
        root.present().map_err(draw)?;
    }
    crate::plot::figure::encode_png(&buf, size, size)
}

/// Writes kernel.json and the logos for `target`; returns the folder.
pub fn install(target: &Target) -> Result<PathBuf> {
    let dir = kernel_dir(target)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::new(format!("cannot find the difflab binary: {e}")))?;
    let spec = serde_json::to_string_pretty(&kernel_json(&exe)).map_err(|e| Error::new(e.to_string()))?;
    crate::atomic_file::write_atomically(&dir.join("kernel.json"), spec.as_bytes())?;
    for size in [32, 64] {
        crate::atomic_file::write_atomically(&dir.join(format!("logo-{size}x{size}.png")), &logo(size)?)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernelspec_and_logos() {
        let spec = kernel_json(Path::new("/opt/difflab"));
        assert_eq!(spec["argv"], json!(["/opt/difflab", "kernel", "{connection_file}"]));
        assert_eq!(spec["interrupt_mode"], "message");
        assert_eq!(spec["language"], "rhai");
        for size in [32, 64] {
            let img = image::load_from_memory(&logo(size).unwrap()).unwrap();
            assert_eq!((img.width(), img.height()), (size, size));
        }
        assert_eq!(
            kernel_dir(&Target::Prefix("/p".into())).unwrap(),
            PathBuf::from("/p/share/jupyter/kernels/difflab")
        );
    }
}
