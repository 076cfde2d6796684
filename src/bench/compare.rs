//! Runs every case on both sides, each in its own process pinned to the same thread count,
//! and prints a Markdown table as each row finishes: difflab's rate and CPU time per
//! iteration, PyTorch's rate eager and under `torch.compile`, and difflab's ratio to each.

use super::workloads::{workload, Case, CPU_CASES, GPU_CASES, MODEL_VAR};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What `difflab bench` was asked.
#[derive(Clone, Debug)]
pub struct Settings {
    /// "cpu" or "cuda".
    pub device: String,
    /// Thread counts to pin both sides to (on a GPU only the largest is used).
    pub threads: Vec<usize>,
    /// The Python that has PyTorch.
    pub python: String,
    /// The PyTorch side (`benches/reference/workloads.py`).
    pub reference: PathBuf,
    /// Only these workloads (all when empty).
    pub only: Vec<String>,
    /// About how long each timing window lasts.
    pub seconds: f64,
    /// Whether to time PyTorch under `torch.compile` too (besides eager).
    pub compile: bool,
}

/// What the difflab side of a case measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Side {
    /// The rate in the workload's unit.
    pub rate: f64,
    /// User CPU seconds per iteration.
    pub user: f64,
    /// System CPU seconds per iteration.
    pub system: f64,
}

/// What a PyTorch run of a case measured.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reference {
    /// The rate in the workload's unit.
    rate: f64,
    /// Seconds of the first warm-up iteration (for `torch.compile`, the compilation).
    first: f64,
}

/// Runs the comparison and prints the table; fails if any side failed.
pub fn run(s: &Settings) -> Result<()> {
    let device = crate::tensor::device::parse_device(&s.device)?;
    for name in &s.only {
        workload(name)?;
    }
    if s.threads.is_empty() || s.threads.contains(&0) {
        crate::bail!("--threads takes thread counts of at least 1, e.g. 1,2");
    }
    if !s.reference.is_file() {
        crate::bail!("{} not found: run from the repository root or pass --reference", s.reference.display());
    }
    let torch = torch_version(&s.python)?;
    let cases: Vec<&Case> = if device.is_cuda() { GPU_CASES } else { CPU_CASES }
        .iter()
        .filter(|c| s.only.is_empty() || s.only.iter().any(|o| o == c.name))
        .collect();
    // a failure to write the model fails its row only
    let model = cases.iter().any(|c| c.name == "sample_ddpm32").then(|| model_folder(s));
    let thread_counts = if device.is_cuda() { vec![*s.threads.iter().max().unwrap_or(&1)] } else { s.threads.clone() };

    println!(
        "difflab {} vs PyTorch {torch} on {} ({}), {}",
        env!("CARGO_PKG_VERSION"),
        s.device,
        machine(),
        chrono::Local::now().format("%Y-%m-%d")
    );
    println!();
    println!(
        "| workload | size | threads | difflab | CPU user / sys per iteration | PyTorch eager | PyTorch compiled | difflab / eager | difflab / compiled |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut failures = Vec::new();
    let mut warmups = Vec::new();
    for &threads in &thread_counts {
        for case in &cases {
            let w = workload(case.name)?;
            eprintln!(
                "running {} ({}, {threads} thread{})",
                case.name,
                size_label(case),
                if threads == 1 { "" } else { "s" }
            );
            let ours = difflab_side(case, threads, s, model.as_ref());
            let eager = w.reference.then(|| pytorch_side(case, threads, s, false, model.as_ref()));
            let compiled = (w.reference && s.compile).then(|| pytorch_side(case, threads, s, true, model.as_ref()));
            let rate = |r: &Result<f64>| match r {
                Ok(v) => format!("{} {}", fmt_rate(*v), w.unit),
                Err(_) => "failed".into(),
            };
            let reference = |r: &Option<Result<Reference>>| match r {
                None => "—".to_string(),
                Some(r) => rate(&r.as_ref().map(|r| r.rate).map_err(Clone::clone)),
            };
            let ratio = |r: &Option<Result<Reference>>| match (&ours, r) {
                (Ok(a), Some(Ok(b))) => format!("**{:.2}**", a.rate / b.rate),
                _ => "—".into(),
            };
            let cpu = match &ours {
                Ok(side) => format!("{} / {}", fmt_seconds(side.user), fmt_seconds(side.system)),
                Err(_) => "—".into(),
            };
            println!(
                "| {} | {} | {threads} | {} | {cpu} | {} | {} | {} | {} |",
                case.name,
                size_label(case),
                rate(&ours.as_ref().map(|o| o.rate).map_err(Clone::clone)),
                reference(&eager),
                reference(&compiled),
                ratio(&eager),
                ratio(&compiled)
            );
            let _ = std::io::stdout().flush();
            if let (Some(Ok(e)), Some(Ok(c))) = (&eager, &compiled) {
                warmups.push(format!(
                    "{} at {threads} thread{}: {:.1} s ({:.2} s eager)",
                    case.name,
                    if threads == 1 { "" } else { "s" },
                    c.first,
                    e.first
                ));
            }
            if let Err(e) = &ours {
                failures.push(format!("{} difflab: {}", case.name, e.message()));
            }
            for (side, r) in [("PyTorch", &eager), ("PyTorch compiled", &compiled)] {
                if let Some(Err(e)) = r {
                    failures.push(format!("{} {side}: {}", case.name, e.message()));
                }
            }
        }
    }
    if !warmups.is_empty() {
        println!();
        println!("torch.compile's first iteration (compilation included; not in the rates): {}.", warmups.join("; "));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::new(failures.join("\n")))
    }
}

fn size_label(c: &Case) -> String {
    if c.steps > 0 {
        format!("{} × {} steps", c.size, c.steps)
    } else {
        c.size.to_string()
    }
}

/// CPU seconds as milliseconds, or seconds from 10 s on.
fn fmt_seconds(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.1} s")
    } else {
        format!("{:.1} ms", v * 1e3)
    }
}

fn fmt_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The CPU's model name and the number of logical cores.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model}, {cores} logical cores")
}

fn torch_version(python: &str) -> Result<String> {
    let out = Command::new(python).args(["-c", "import torch; print(torch.__version__)"]).output().map_err(|e| {
        Error::new(format!("cannot run `{python}` ({e}); pass --python with a Python that has PyTorch"))
    })?;
    if !out.status.success() {
        crate::bail!(
            "`{python}` cannot import torch; make a virtualenv with it (tools/bench.sh does) and pass --python"
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `sample_ddpm32`'s model folder in the system's temporary folder, written once by the
/// PyTorch side (`--write-model`, DDPM CIFAR-10's architecture with weights from seed 0).
fn model_folder(s: &Settings) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join("difflab-bench-ddpm32");
    if !dir.join("diffusion_pytorch_model.safetensors").is_file() {
        eprintln!("writing sample_ddpm32's model to {}", dir.display());
        let out = Command::new(&s.python).arg(&s.reference).arg("--write-model").arg(&dir).output()?;
        if !out.status.success() {
            crate::bail!(
                "{} --write-model failed (sample_ddpm32 needs diffusers beside PyTorch): {}",
                s.reference.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    Ok(dir)
}

/// The model folder of `case`, if it has one, or why it could not be written.
fn model_of<'a>(case: &Case, model: Option<&'a Result<PathBuf>>) -> Result<Option<&'a Path>> {
    match (case.name, model) {
        ("sample_ddpm32", Some(Ok(dir))) => Ok(Some(dir)),
        ("sample_ddpm32", Some(Err(e))) => Err(e.clone()),
        _ => Ok(None),
    }
}

fn difflab_side(case: &Case, threads: usize, s: &Settings, model: Option<&Result<PathBuf>>) -> Result<Side> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    if let Some(dir) = model_of(case, model)? {
        cmd.env(MODEL_VAR, dir);
    }
    cmd.args(["--device", &s.device, "bench-worker", case.name]).args([
        "--size",
        &case.size.to_string(),
        "--steps",
        &case.steps.to_string(),
        "--seconds",
        &s.seconds.to_string(),
    ]);
    let line = json_of(pin(&mut cmd, threads).output()?, "difflab")?;
    Ok(Side {
        rate: number(&line, "rate", "difflab")?,
        user: number(&line, "user_s", "difflab")?,
        system: number(&line, "sys_s", "difflab")?,
    })
}

fn pytorch_side(
    case: &Case,
    threads: usize,
    s: &Settings,
    compile: bool,
    model: Option<&Result<PathBuf>>,
) -> Result<Reference> {
    let mut cmd = Command::new(&s.python);
    let size_flag = if case.name == "sample_mlp" { "--points" } else { "--batch" };
    cmd.arg(&s.reference)
        .args([
            case.name,
            "--threads",
            &threads.to_string(),
            "--device",
            &s.device,
            "--seconds",
            &s.seconds.to_string(),
        ])
        .args([size_flag, &case.size.to_string()]);
    if case.steps > 0 {
        cmd.args(["--steps", &case.steps.to_string()]);
    }
    if compile {
        cmd.arg("--compile");
    }
    if let Some(dir) = model_of(case, model)? {
        cmd.arg("--model").arg(dir);
    }
    let side = if compile { "PyTorch compiled" } else { "PyTorch" };
    let line = json_of(pin(&mut cmd, threads).output()?, side)?;
    Ok(Reference { rate: number(&line, "rate", side)?, first: number(&line, "first_s", side)? })
}

/// Pins a side to `threads`: candle and rayon read RAYON_NUM_THREADS, PyTorch's OpenMP and MKL theirs.
fn pin(cmd: &mut Command, threads: usize) -> &mut Command {
    let n = threads.to_string();
    cmd.env("RAYON_NUM_THREADS", &n).env("OMP_NUM_THREADS", &n).env("MKL_NUM_THREADS", &n)
}

/// The JSON line a side prints last, or why it failed.
fn json_of(out: Output, side: &str) -> Result<serde_json::Value> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        crate::bail!("the {side} side failed ({}): {}", out.status, tail.join(" / "));
    }
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(line)
        .map_err(|_| Error::new(format!("the {side} side printed no result (last line: {line:?})")))
}

/// The number under `key` in a side's JSON line.
fn number(line: &serde_json::Value, key: &str, side: &str) -> Result<f64> {
    line.get(key)
        .and_then(|r| r.as_f64())
        .ok_or_else(|| Error::new(format!("the {side} side printed no {key} ({line})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_reports_its_rate_or_why_it_failed() {
        let ok = Command::new("sh")
            .args(["-c", r#"echo '{"workload": "x", "rate": 12.5, "unit": "steps/s", "first_s": 3.0}'"#])
            .output()
            .unwrap();
        let line = json_of(ok, "PyTorch").unwrap();
        assert_eq!(number(&line, "rate", "PyTorch").unwrap(), 12.5);
        assert!(number(&line, "user_s", "PyTorch").unwrap_err().message().contains("printed no user_s"));
        let failed = Command::new("sh").args(["-c", "echo 'no GPU' >&2; exit 3"]).output().unwrap();
        let e = json_of(failed, "PyTorch").unwrap_err();
        assert!(e.message().contains("PyTorch side failed") && e.message().contains("no GPU"), "{}", e.message());
        let silent = Command::new("true").output().unwrap();
        assert!(json_of(silent, "difflab").unwrap_err().message().contains("printed no result"));
    }

    #[test]
    fn settings_are_checked_before_anything_runs() {
        let s = Settings {
            device: "cpu".into(),
            threads: vec![1],
            python: "python3".into(),
            reference: PathBuf::from("benches/reference/workloads.py"),
            only: vec!["train_gan".into()],
            seconds: 0.1,
            compile: true,
        };
        assert!(run(&s).unwrap_err().message().contains("unknown workload"));
        let s = Settings { only: vec![], threads: vec![0], ..s };
        assert!(run(&s).unwrap_err().message().contains("--threads"));
        let s = Settings { threads: vec![1], reference: PathBuf::from("nowhere.py"), ..s };
        assert!(run(&s).unwrap_err().message().contains("nowhere.py not found"));
    }
}
