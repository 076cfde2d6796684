//! Helpers shared by the integration tests: run the real `difflab` binary.

#![allow(dead_code)]

pub mod figures;
pub mod vectors;

use std::path::Path;
use std::process::{Command, Output};

/// The `difflab` binary under test.
pub fn difflab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_difflab"))
}

/// `difflab run FILE ARGS...`.
pub fn run_file(path: &Path, args: &[&str]) -> Output {
    difflab().arg("run").arg(path).args(args).output().unwrap()
}

/// What a run gave: exit code, standard output, standard error.
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `source` as `script.rhai` in a fresh temporary folder (its working directory).
pub fn run_source(source: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.rhai");
    std::fs::write(&path, source).unwrap();
    let out = difflab().current_dir(dir.path()).arg("run").arg(&path).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Runs `source` and returns its standard output, failing the test on a non-zero exit.
pub fn run_ok(source: &str) -> String {
    let r = run_source(source);
    assert_eq!(r.code, 0, "script failed:\n{source}\n--- stderr:\n{}", r.stderr);
    r.stdout
}

/// The lines of `stdout` parsed as numbers.
pub fn numbers(stdout: &str) -> Vec<f64> {
    stdout.lines().map(|l| l.trim().parse().unwrap_or_else(|_| panic!("not a number: {l:?}"))).collect()
}
