//! One point of a sweep, run the same way by both backends (`difflab sweep task DIR INDEX`,
//! which a Slurm array task runs with its `SLURM_ARRAY_TASK_ID`): a fresh run folder, one
//! `difflab run` process with the point's overrides, its output into files, and its exit
//! status, wall time and peak memory into `status.json`.

use super::layout::{self, Status};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs point `index` of the sweep in `dir` with the difflab at `exe`; returns how it ended.
/// Ctrl-C (or SIGINT from the sweep) is passed on to the run, which stops and is recorded
/// as interrupted.
pub fn run(dir: &Path, index: usize, exe: &Path) -> crate::Result<Status> {
    let manifest = layout::read_manifest(dir)?;
    let points = super::grid::points(&manifest.axes())?;
    let Some(point) = points.get(index) else {
        crate::bail!("the sweep in {} has {} points; there is no point {index}", dir.display(), points.len());
    };
    let folder = layout::run_dir(dir, index);
    if folder.exists() {
        std::fs::remove_dir_all(&folder)
            .map_err(|e| crate::Error::new(format!("cannot clear {} for a new run: {e}", folder.display())))?;
    }
    std::fs::create_dir_all(folder.join("figures"))
        .map_err(|e| crate::Error::new(format!("cannot create {}: {e}", folder.display())))?;
    let overrides: serde_json::Map<String, serde_json::Value> =
        point.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    crate::atomic_file::write_atomically(
        &folder.join("overrides.json"),
        serde_json::to_string_pretty(&overrides).unwrap_or_default().as_bytes(),
    )?;
    let file = |name: &str| {
        std::fs::File::create(folder.join(name))
            .map_err(|e| crate::Error::new(format!("cannot create {}: {e}", folder.join(name).display())))
    };
    let mut command = Command::new(exe);
    if let Some(device) = &manifest.device {
        command.arg("--device").arg(device);
    }
    command
        .arg("--out")
        .arg(folder.join("figures"))
        .arg("run")
        .arg("--results")
        .arg(folder.join("records.jsonl"))
        .arg(&manifest.script)
        .args(point.iter().map(|(k, v)| format!("{k}={v}")))
        .args(&manifest.script_args)
        .env(crate::runtime::experiment::RUN_ID_VAR, layout::run_name(index))
        .stdin(Stdio::null())
        .stdout(file("stdout.txt")?)
        .stderr(file("stderr.txt")?);
    crate::interrupt::install_handler(false);
    let started = chrono::Local::now().to_rfc3339();
    let clock = Instant::now();
    let mut child = command.spawn().map_err(|e| crate::Error::new(format!("cannot start {}: {e}", exe.display())))?;
    let mut passed_on = false;
    let exit = loop {
        if let Some(exit) = child.try_wait().map_err(|e| crate::Error::new(format!("waiting for the run: {e}")))? {
            break exit;
        }
        if crate::interrupt::is_requested() && !passed_on {
            interrupt(child.id());
            passed_on = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let interrupted = passed_on || exit.code() == Some(i32::from(crate::interrupt::EXIT_INTERRUPTED));
    let state = if exit.success() {
        "ok"
    } else if interrupted {
        "interrupted"
    } else {
        "failed"
    };
    let status = Status {
        state: state.into(),
        exit_code: exit.code(),
        wall_s: clock.elapsed().as_secs_f64(),
        peak_memory_mib: children_peak_memory_mib(),
        host: host_name(),
        started,
    };
    layout::write_status(dir, index, &status)?;
    Ok(status)
}

/// Sends SIGINT to process `pid` (the run stops as after Ctrl-C).
pub fn interrupt(pid: u32) {
    // SAFETY: kill(2) with a pid of our own child and a valid signal number touches no memory.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
}

/// The largest resident memory any waited-for child of this process reached, in MiB (Linux
/// reports `ru_maxrss` in KiB); this process waits for one run only.
fn children_peak_memory_mib() -> f64 {
    // SAFETY: getrusage fills the zeroed struct we pass; rusage is plain old data.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    usage.ru_maxrss as f64 / 1024.0
}

/// This machine's name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default()
}
