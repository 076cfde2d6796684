//! A sweep's folder: the manifest at its top, one folder per point under `runs/` (its
//! overrides, output, exit status, wall time, peak memory, figures and records), and what
//! `collect` and the Slurm backend write beside them.
//!
//! ```text
//! DIR/manifest.json        grid, command line, difflab version, script and its hash
//! DIR/runs/0007/           point 7: overrides.json, stdout.txt, stderr.txt, status.json,
//!                          records.jsonl, figures/
//! DIR/results.csv, results.jsonl, failures.csv   written by `difflab sweep collect`
//! DIR/sweep.sbatch, slurm/, slurm_jobs.json      the Slurm backend's script, logs and jobs
//! ```

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a sweep is: written once when it starts, read by every task and by `--resume`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The script, as an absolute path.
    pub script: PathBuf,
    /// The SHA-256 of the script's text when the sweep started (hex).
    pub script_sha256: String,
    /// The axes, in order: each parameter and its values as written.
    pub grid: Vec<(String, Vec<String>)>,
    /// How many points the grid has.
    pub points: usize,
    /// Arguments passed to every run after the overrides (not axes: `--fast`).
    pub script_args: Vec<String>,
    /// The device every run is given (`--device`), if any.
    pub device: Option<String>,
    /// The command line that started the sweep.
    pub command_line: Vec<String>,
    /// The difflab version that started it.
    pub difflab_version: String,
    /// When it started (local time, RFC 3339).
    pub created: String,
}

impl Manifest {
    /// The grid's axes.
    pub fn axes(&self) -> Vec<super::grid::Axis> {
        self.grid.iter().map(|(key, values)| super::grid::Axis { key: key.clone(), values: values.clone() }).collect()
    }
}

/// How one run ended.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Status {
    /// "ok", "failed" or "interrupted".
    pub state: String,
    /// The run's exit code (none when a signal ended it).
    pub exit_code: Option<i32>,
    /// Seconds from start to end.
    pub wall_s: f64,
    /// The run's peak resident memory, in MiB.
    pub peak_memory_mib: f64,
    /// The machine it ran on.
    pub host: String,
    /// When it started (local time, RFC 3339).
    pub started: String,
}

/// The manifest's file.
pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("manifest.json")
}

/// The folder of point `index`.
pub fn run_dir(dir: &Path, index: usize) -> PathBuf {
    dir.join("runs").join(run_name(index))
}

/// The name of point `index`'s folder, also its run id in records: `0007`.
pub fn run_name(index: usize) -> String {
    format!("{index:04}")
}

/// Reads the manifest of the sweep in `dir`.
pub fn read_manifest(dir: &Path) -> crate::Result<Manifest> {
    let path = manifest_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        crate::Error::new(format!("{} holds no sweep (cannot read {}: {e})", dir.display(), path.display()))
    })?;
    serde_json::from_str(&text).map_err(|e| crate::Error::new(format!("{}: not a sweep manifest: {e}", path.display())))
}

/// Writes the manifest (atomically).
pub fn write_manifest(dir: &Path, m: &Manifest) -> crate::Result<()> {
    let text = serde_json::to_string_pretty(m).map_err(|e| crate::Error::new(format!("the manifest: {e}")))?;
    crate::atomic_file::write_atomically(&manifest_path(dir), text.as_bytes())
}

/// How point `index` ended, or `None` when it has not (yet) ended.
pub fn read_status(dir: &Path, index: usize) -> Option<Status> {
    let text = std::fs::read_to_string(run_dir(dir, index).join("status.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes how point `index` ended (atomically).
pub fn write_status(dir: &Path, index: usize, s: &Status) -> crate::Result<()> {
    let text = serde_json::to_string_pretty(s).map_err(|e| crate::Error::new(format!("the status: {e}")))?;
    crate::atomic_file::write_atomically(&run_dir(dir, index).join("status.json"), text.as_bytes())
}

/// Whether point `index` ran to a successful end.
pub fn succeeded(dir: &Path, index: usize) -> bool {
    read_status(dir, index).is_some_and(|s| s.state == "ok")
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
