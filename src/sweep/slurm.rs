//! The Slurm backend, through Slurm's command-line tools only: one batch script kept in the
//! sweep folder (readable, and resubmittable by hand), submitted as a job array with
//! `sbatch --parsable --array=LIST%K`, whose task `SLURM_ARRAY_TASK_ID` runs that point with
//! `difflab sweep task`; the tasks' states from `squeue`, then `sacct` where accounting
//! exists, else `scontrol show job`; `scancel` to cancel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The resources each task asks for, as `sbatch` options.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (a wall-time limit: `30`, `2:00:00`, `1-00:00:00`).
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<usize>,
    /// `--gpus-per-task`.
    pub gpus_per_task: Option<usize>,
    /// `--mem` (`16G`).
    pub mem: Option<String>,
    /// At most this many tasks at a time (the array's `%K`).
    pub max_parallel: Option<usize>,
    /// More `#SBATCH` lines, as written (`--account=lab --qos=high`).
    pub extra: Vec<String>,
}

/// The batch script of a sweep.
pub fn script_path(dir: &Path) -> PathBuf {
    dir.join("sweep.sbatch")
}

/// The file listing the jobs submitted for a sweep (one JSON object a line: job id, indices).
fn jobs_path(dir: &Path) -> PathBuf {
    dir.join("slurm_jobs.jsonl")
}

/// `text` quoted for bash.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Indices as Slurm's array list, runs of consecutive ones as ranges: `0-5,7,9-11`.
pub fn array_list(indices: &[usize]) -> String {
    let mut parts: Vec<String> = vec![];
    let mut i = 0;
    while i < indices.len() {
        let mut j = i;
        while j + 1 < indices.len() && indices[j + 1] == indices[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { indices[i].to_string() } else { format!("{}-{}", indices[i], indices[j]) });
        i = j + 1;
    }
    parts.join(",")
}

/// The batch script: the resources as `#SBATCH` lines, the whole array in `--array` (the
/// command line's `--array` replaces it on a resume), and one line running the task's point.
pub fn batch_script(dir: &Path, exe: &Path, points: usize, r: &Resources) -> String {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "sweep".into());
    let throttle = r.max_parallel.map(|k| format!("%{k}")).unwrap_or_default();
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("# difflab sweep {name}: {points} points, task i runs point i into runs/NNNN."),
        format!(
            "# Resubmit by hand: sbatch --array=0-{}{throttle} {}",
            points.saturating_sub(1),
            script_path(dir).display()
        ),
        format!("#SBATCH --job-name=difflab-{name}"),
        format!("#SBATCH --output={}/slurm/%A_%a.out", dir.display()),
        format!("#SBATCH --array=0-{}{throttle}", points.saturating_sub(1)),
    ];
    let mut option = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            lines.push(format!("#SBATCH --{key}={v}"));
        }
    };
    option("partition", r.partition.clone());
    option("time", r.time.clone());
    option("cpus-per-task", r.cpus_per_task.map(|n| n.to_string()));
    option("gpus-per-task", r.gpus_per_task.map(|n| n.to_string()));
    option("mem", r.mem.clone());
    lines.extend(r.extra.iter().map(|e| format!("#SBATCH {e}")));
    lines.push("set -euo pipefail".into());
    lines.push(format!(
        "exec {} sweep task {} \"$SLURM_ARRAY_TASK_ID\"",
        quoted(&exe.display().to_string()),
        quoted(&dir.display().to_string())
    ));
    lines.join("\n") + "\n"
}

/// Runs a Slurm tool; a missing tool is one clear error.
fn tool(name: &str, args: &[String]) -> crate::Result<std::process::Output> {
    Command::new(name).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            crate::Error::new(format!(
                "`{name}` is not installed or not on PATH: the Slurm backend needs Slurm's command-line tools \
                 (sbatch, squeue, scontrol, scancel), as on a cluster's login node; without them use --backend local"
            ))
        } else {
            crate::Error::new(format!("cannot run {name}: {e}"))
        }
    })
}

/// Checks that `sbatch` answers, before a sweep for Slurm creates its folder.
pub fn check_installed() -> crate::Result<()> {
    tool("sbatch", &["--version".into()]).map(|_| ())
}

/// Writes the batch script and submits the points `indices` as one array job; returns its id.
pub fn submit(dir: &Path, exe: &Path, points: usize, indices: &[usize], r: &Resources) -> crate::Result<String> {
    std::fs::create_dir_all(dir.join("slurm"))
        .map_err(|e| crate::Error::new(format!("cannot create {}: {e}", dir.join("slurm").display())))?;
    crate::atomic_file::write_atomically(&script_path(dir), batch_script(dir, exe, points, r).as_bytes())?;
    let throttle = r.max_parallel.map(|k| format!("%{k}")).unwrap_or_default();
    let args = vec![
        "--parsable".to_string(),
        format!("--array={}{throttle}", array_list(indices)),
        script_path(dir).display().to_string(),
    ];
    let out = tool("sbatch", &args)?;
    if !out.status.success() {
        crate::bail!("sbatch refused the sweep: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    // --parsable prints "jobid" or "jobid;cluster"
    let stdout = String::from_utf8_lossy(&out.stdout);
    let job = stdout.trim().split(';').next().unwrap_or("").to_string();
    if job.is_empty() {
        crate::bail!("sbatch printed no job id");
    }
    let line = serde_json::json!({ "job": job, "indices": indices, "submitted": chrono::Local::now().to_rfc3339() });
    let mut all = std::fs::read_to_string(jobs_path(dir)).unwrap_or_default();
    all += &format!("{line}\n");
    crate::atomic_file::write_atomically(&jobs_path(dir), all.as_bytes())?;
    Ok(job)
}

/// The jobs submitted for the sweep in `dir`, oldest first: each id and its indices.
pub fn jobs(dir: &Path) -> Vec<(String, Vec<usize>)> {
    let text = std::fs::read_to_string(jobs_path(dir)).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let job = v.get("job")?.as_str()?.to_string();
            let indices = v.get("indices")?.as_array()?.iter().filter_map(|i| i.as_u64().map(|i| i as usize)).collect();
            Some((job, indices))
        })
        .collect()
}

/// Whether the sweep in `dir` was submitted to Slurm.
pub fn is_slurm_sweep(dir: &Path) -> bool {
    jobs_path(dir).exists()
}

/// One array task's state as Slurm reports it: `PENDING`, `RUNNING`, `COMPLETED`,
/// `FAILED`, `CANCELLED`, ... and its exit code (`0:0`) once it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskState {
    /// The state.
    pub state: String,
    /// `code:signal`, when known.
    pub exit_code: Option<String>,
}

/// The state of a submitted task Slurm no longer knows: cancelled before it started, or an
/// ended job purged after `MinJobAge`.
pub const NOT_FOUND: &str = "NOT_FOUND";

/// Whether a Slurm state is final.
pub fn is_final(state: &str) -> bool {
    !matches!(state, "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED" | "REQUEUED" | "RESIZING")
}

/// Expands an array task list such as `5-11%2` or `3,7-8` (the throttle dropped).
fn expand(list: &str) -> Vec<usize> {
    let list = list.trim_start_matches('[').trim_end_matches(']');
    let list = list.split('%').next().unwrap_or("");
    list.split(',')
        .flat_map(|part| match part.split_once('-') {
            Some((a, b)) => match (a.parse::<usize>(), b.parse::<usize>()) {
                (Ok(a), Ok(b)) => (a..=b).collect(),
                _ => vec![],
            },
            None => part.parse::<usize>().into_iter().collect(),
        })
        .collect()
}

/// The states of the array tasks of `job`, by index: from `sacct` where accounting exists,
/// else from `scontrol show job` (which keeps an ended job for `MinJobAge` seconds); the tasks
/// `squeue` lists as live are taken from it.
pub fn task_states(job: &str) -> crate::Result<BTreeMap<usize, TaskState>> {
    let mut states = BTreeMap::new();
    let sacct = tool(
        "sacct",
        &["-n".into(), "-P".into(), "-X".into(), "-j".into(), job.into(), "--format=JobID,State,ExitCode".into()],
    );
    let accounted = matches!(&sacct, Ok(out) if out.status.success() && !out.stdout.is_empty());
    if let (true, Ok(out)) = (accounted, &sacct) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let fields: Vec<&str> = line.split('|').collect();
            let [id, state, code] = fields[..] else { continue };
            let Some((_, tasks)) = id.split_once('_') else { continue };
            let state = state.split_whitespace().next().unwrap_or("").to_string();
            for i in expand(tasks) {
                states.insert(i, TaskState { state: state.clone(), exit_code: Some(code.to_string()) });
            }
        }
    } else {
        let out = tool("scontrol", &["show".into(), "job".into(), "-o".into(), job.into()])?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|t| t.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
                    .map(str::to_string)
            };
            let (Some(tasks), Some(state)) = (field("ArrayTaskId"), field("JobState")) else { continue };
            for i in expand(&tasks) {
                states.insert(i, TaskState { state: state.clone(), exit_code: field("ExitCode") });
            }
        }
    }
    let out = tool("squeue", &["-h".into(), "-r".into(), "-j".into(), job.into(), "-o".into(), "%i %T".into()])?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((id, state)) = line.trim().split_once(' ') else { continue };
        let Some((_, tasks)) = id.split_once('_') else { continue };
        for i in expand(tasks) {
            states.insert(i, TaskState { state: state.trim().to_string(), exit_code: None });
        }
    }
    Ok(states)
}

/// The Slurm state of every submitted index of the sweep in `dir`, from its latest job.
pub fn sweep_states(dir: &Path) -> crate::Result<BTreeMap<usize, (String, TaskState)>> {
    let mut out = BTreeMap::new();
    for (job, indices) in jobs(dir) {
        let states = task_states(&job)?;
        for i in indices {
            // a pending task cancelled before it started leaves no record: ended, with no result
            let s = states.get(&i).cloned().unwrap_or(TaskState { state: NOT_FOUND.into(), exit_code: None });
            out.insert(i, (job.clone(), s));
        }
    }
    Ok(out)
}

/// Cancels every job of the sweep in `dir` (`scancel`); returns their ids.
pub fn cancel(dir: &Path) -> crate::Result<Vec<String>> {
    let ids: Vec<String> = jobs(dir).into_iter().map(|(j, _)| j).collect();
    if ids.is_empty() {
        crate::bail!("{} was not submitted to Slurm: a local sweep stops with Ctrl-C", dir.display());
    }
    let out = tool("scancel", &ids)?;
    if !out.status.success() {
        crate::bail!("scancel failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_become_slurm_array_lists_and_back() {
        assert_eq!(array_list(&[0, 1, 2, 3, 5, 7, 8]), "0-3,5,7-8");
        assert_eq!(expand("[5-7%2]"), [5, 6, 7]);
        assert_eq!(expand("3,7-8"), [3, 7, 8]);
    }

    #[test]
    fn the_batch_script_asks_for_the_resources_and_runs_the_task_of_its_index() {
        let r = Resources {
            partition: Some("gpu".into()),
            gpus_per_task: Some(1),
            max_parallel: Some(4),
            extra: vec!["--account=lab".into()],
            ..Default::default()
        };
        let text = batch_script(Path::new("/runs/a b"), Path::new("/bin/difflab"), 12, &r);
        for line in [
            "#SBATCH --array=0-11%4",
            "#SBATCH --partition=gpu",
            "#SBATCH --gpus-per-task=1",
            "#SBATCH --account=lab",
            "exec '/bin/difflab' sweep task '/runs/a b' \"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
    }
}
