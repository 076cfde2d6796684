//! The fuzz suite: bad scripts and corrupt files run through the real `difflab` binary.
//!
//! Every case must end with exit code 0, 1 or 130 (never a signal, 101 or 134), print no
//! "internal error" (a panic caught at the runtime boundary), finish within the timeout
//! (or stop within a second of SIGINT when it runs longer) and keep the child's peak resident memory
//! (`wait4`'s `ru_maxrss`) under the ceiling — the child is killed as soon as it passes it.
//!
//! The cases, from the same catalog `help()` prints (`difflab::runtime::help::catalog`):
//! - probes: each function that takes options, called with an unknown key, so its error
//!   lists the accepted keys the generators then use;
//! - fixed classes (`fixed.rs`): huge counts, deep nesting, rank-0 tensors given a dimension,
//!   integer tensors to float-only operations, degenerate noise-level lists, engine limits;
//! - corrupt files (`files.rs`): `.npy`, IDX/gzip (a bomb among them), CSV, safetensors,
//!   checkpoints, PNG folders, JSON, and `/dev/zero` given to every loader;
//! - a single-fault sweep over every form and parameter of every built-in;
//! - random calls with several bad arguments at once.
//!
//! Each script runs its calls inside `try`/`catch`, after a marker on stderr; a failure is
//! traced to its call, re-run alone, and reported with that smallest script.
//!
//! Settings (environment variables):
//! - `DIFFLAB_FUZZ_SEED`: the seed (decimal or 0x hex; default 0xD1FF1AB);
//! - `DIFFLAB_FUZZ_CASES`: how many random scripts (default 2000);
//! - `DIFFLAB_FUZZ_SWEEP`: the share of the single-fault sweep to run, 0 to 1 (default 1);
//! - `DIFFLAB_FUZZ_JOBS`: scripts run at once (default 2);
//! - `DIFFLAB_FUZZ_TIMEOUT`: seconds per script (default 10); a script still running then gets
//!   SIGINT and passes if it exits with 130 within a second (long work that Ctrl-C stops);
//! - `DIFFLAB_FUZZ_MAX_RSS`: the memory ceiling in MB (default 2048);
//! - `DIFFLAB_FUZZ_BUDGET`: the `DIFFLAB_MAX_MEMORY` given to the child (default 512M), so
//!   that what counts as "too large" does not depend on this machine's memory;
//! - `DIFFLAB_FUZZ_ONLY`: run only the cases whose class contains this text
//!   (`fixed`, `file/npy`, `sweep`, `random`, ...);
//! - `DIFFLAB_FUZZ_KEEP`: keep every case's folder, not only the failing ones'.
//!
//! A long local run (release build; each hanging case costs its timeout):
//!
//! ```text
//! DIFFLAB_FUZZ_CASES=20000 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! Another seed: `DIFFLAB_FUZZ_SEED=7 cargo test --test fuzz -- --nocapture`. Failing cases
//! keep their folder (script, files, reduced script) under `target/tmp/fuzz-SEED/`.

/// The suite's parts, in `tests/fuzz/`.
mod fuzz {
    pub mod files;
    pub mod fixed;
    pub mod generate;
    pub mod registry;
    pub mod rng;
    pub mod runner;
    pub mod values;
}

use fuzz::rng::Rng;
use fuzz::{files, fixed, generate, registry, runner};
use generate::{Case, Keys};
use runner::{End, Limits, Outcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The run's settings, from the environment.
#[derive(Clone, Debug)]
struct Config {
    seed: u64,
    cases: usize,
    sweep: f64,
    jobs: usize,
    limits: Limits,
    only: Option<String>,
    keep: bool,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not valid")),
        Err(_) => default,
    }
}

impl Config {
    fn from_env() -> Self {
        let seed = match std::env::var("DIFFLAB_FUZZ_SEED") {
            Ok(s) => match s.trim().strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).expect("DIFFLAB_FUZZ_SEED: bad hex"),
                None => s.trim().parse().expect("DIFFLAB_FUZZ_SEED: not a number"),
            },
            Err(_) => 0xD1FF1AB,
        };
        Config {
            seed,
            cases: env_or("DIFFLAB_FUZZ_CASES", 2000),
            sweep: env_or("DIFFLAB_FUZZ_SWEEP", 1.0f64).clamp(0.0, 1.0),
            jobs: env_or("DIFFLAB_FUZZ_JOBS", 2usize).max(1),
            limits: Limits {
                timeout: Duration::from_secs_f64(env_or("DIFFLAB_FUZZ_TIMEOUT", 10.0)),
                max_rss: env_or("DIFFLAB_FUZZ_MAX_RSS", 2048u64) << 20,
                budget: env_or("DIFFLAB_FUZZ_BUDGET", "512M".to_string()),
            },
            only: std::env::var("DIFFLAB_FUZZ_ONLY").ok().filter(|s| !s.is_empty()),
            keep: std::env::var_os("DIFFLAB_FUZZ_KEEP").is_some(),
        }
    }
}

/// One failing case, as reported.
#[derive(Clone, Debug)]
struct Failure {
    /// The case's class.
    class: String,
    /// The label of the part that failed (a built-in's name, a file's).
    label: String,
    /// Why it fails.
    kind: String,
    /// Exit code or signal.
    code: String,
    /// The most telling line of output.
    first: String,
    /// The script that reproduces it.
    script: String,
    /// Whether `script` is the one call alone (re-run and still failing).
    reduced: bool,
    /// The case's folder (kept).
    dir: PathBuf,
    /// Shared files it read.
    uses: Vec<String>,
}

/// The binary under test.
fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_difflab"))
}

/// A folder name for a case.
fn folder_name(index: usize, class: &str) -> String {
    let tag: String = class.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("{index:05}-{tag}")
}

/// Runs `case` in its own folder under `root`: its outcome, and its failure if it fails.
fn run_case(cfg: &Config, root: &Path, index: usize, case: &Case) -> (Outcome, Option<Failure>) {
    let dir = root.join(folder_name(index, &case.class));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("case folder");
    for (name, bytes) in &case.files {
        std::fs::write(dir.join(name), bytes).expect("case file");
    }
    let script = case.script();
    std::fs::write(dir.join("case.rhai"), &script).expect("case script");
    let outcome = runner::run(binary(), &dir, Path::new("case.rhai"), &cfg.limits);
    let Some(kind) = outcome.failure(&cfg.limits) else {
        if !cfg.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
        return (outcome, None);
    };
    let culprit = outcome.culprit().filter(|&i| i < case.parts.len());
    let label = culprit.map_or_else(|| case.class.clone(), |i| case.parts[i].label.clone());
    let mut failure = Failure {
        class: case.class.clone(),
        label,
        kind,
        code: outcome.code(),
        first: outcome.first_line(),
        script: script.clone(),
        reduced: false,
        dir: dir.clone(),
        uses: case.uses.clone(),
    };
    if let Some(i) = culprit {
        let single = case.single(i);
        if matches!(outcome.end, End::TimedOut(_)) {
            // A hang is traced by the marker of the part that was running; re-running it
            // would cost another timeout.
            failure.script = single;
            failure.reduced = true;
        } else if single != script {
            std::fs::write(dir.join("reduced.rhai"), &single).expect("reduced script");
            let again = runner::run(binary(), &dir, Path::new("reduced.rhai"), &cfg.limits);
            if let Some(kind) = again.failure(&cfg.limits) {
                failure = Failure {
                    kind,
                    code: again.code(),
                    first: again.first_line(),
                    script: single,
                    reduced: true,
                    ..failure
                };
            }
        }
    }
    failure.uses = match culprit {
        Some(i) if failure.reduced && case.uses.len() == case.parts.len() => vec![case.uses[i].clone()],
        _ if case.uses.is_empty() => {
            failure.script.split('"').filter(|s| s.starts_with('/')).map(str::to_string).collect()
        }
        _ => case.uses.clone(),
    };
    (outcome, Some(failure))
}

/// Runs `cases` on `cfg.jobs` threads, printing progress; returns every outcome in order.
fn run_all(
    cfg: &Config,
    root: &Path,
    first_index: usize,
    cases: &[Case],
    failures: &Mutex<Vec<Failure>>,
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let (outcome, failure) = run_case(cfg, root, first_index + i, case);
                if let Some(f) = failure {
                    report_one(&f);
                    failures.lock().expect("failures").push(f);
                }
                results.lock().expect("results")[i] = Some(outcome);
                let done = finished.fetch_add(1, Ordering::SeqCst) + 1;
                if done % 100 == 0 {
                    let n = failures.lock().expect("failures").len();
                    eprintln!(
                        "fuzz: {done}/{} scripts, {n} failing so far, {:.0} s",
                        cases.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
            });
        }
    });
    results.into_inner().expect("results").into_iter().map(|o| o.expect("every case ran")).collect()
}

/// Prints one failure as it happens: the exact script and the files it used.
fn report_one(f: &Failure) {
    let mut text = format!(
        "\nFAIL [{}] {} — {} (exit {}) — {}\n  folder: {}\n",
        f.class,
        f.label,
        f.kind,
        f.code,
        f.first,
        f.dir.display()
    );
    for u in &f.uses {
        text.push_str(&format!("  file: {u}\n"));
    }
    text.push_str(if f.reduced { "  script (the failing call alone):\n" } else { "  script:\n" });
    for line in f.script.lines() {
        text.push_str(&format!("    {}\n", runner::clip(line, 400)));
    }
    eprint!("{text}");
}

/// Learns every function's option keys from the probes' errors.
fn probe_keys(cfg: &Config, root: &Path, forms: &[registry::Form], failures: &Mutex<Vec<Failure>>) -> Keys {
    let probes = generate::probes(forms);
    let cases: Vec<Case> = probes.iter().map(|(_, c)| c.clone()).collect();
    let outcomes = run_all(cfg, root, 0, &cases, failures);
    let mut keys = Keys::default();
    for ((name, _), outcome) in probes.iter().zip(&outcomes) {
        keys.learn(name, &outcome.stderr.head);
    }
    keys
}

/// Makes the files the checkpoint mutations start from, with the binary itself.
fn originals(cfg: &Config, dir: &Path) {
    std::fs::create_dir_all(dir).expect("originals folder");
    std::fs::write(dir.join("make.rhai"), files::ORIGINALS_SCRIPT).expect("originals script");
    let out = runner::run(binary(), dir, Path::new("make.rhai"), &cfg.limits);
    if out.end != End::Exited(0) {
        eprintln!("fuzz: could not save the original checkpoints ({}): {}", out.code(), out.first_line());
    }
}

/// The summary: failures grouped by class, one line each, then one script per class and label.
fn summary(failures: &[Failure]) -> String {
    let mut by_class: BTreeMap<&str, Vec<&Failure>> = BTreeMap::new();
    for f in failures {
        by_class.entry(f.class.as_str()).or_default().push(f);
    }
    let mut out = String::from("\n== failures by class (class, label, exit, first line of output) ==\n");
    for (class, list) in &by_class {
        out.push_str(&format!("{class} ({} failing)\n", list.len()));
        let mut sorted = list.clone();
        sorted.sort_by(|a, b| (&a.label, &a.kind).cmp(&(&b.label, &b.kind)));
        for f in sorted {
            out.push_str(&format!("  {class} {:<24} {:<16} {}\n", f.label, f.code, runner::clip(&f.first, 160)));
        }
    }
    out.push_str("\n== one reproduction per class and label ==\n");
    let mut seen = std::collections::BTreeSet::new();
    let mut sorted: Vec<&Failure> = failures.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.class, &a.label, !a.reduced, a.script.len()).cmp(&(&b.class, &b.label, !b.reduced, b.script.len()))
    });
    for f in sorted {
        if !seen.insert((f.class.clone(), f.label.clone())) {
            continue;
        }
        out.push_str(&format!(
            "--- [{}] {}: {} (exit {}) — {}\n",
            f.class,
            f.label,
            f.kind,
            f.code,
            runner::clip(&f.first, 200)
        ));
        for u in &f.uses {
            out.push_str(&format!("    file: {u}\n"));
        }
        for line in f.script.lines() {
            out.push_str(&format!("    {}\n", runner::clip(line, 400)));
        }
    }
    out
}

#[test]
fn fuzz_scripts_and_files() {
    let cfg = Config::from_env();
    let started = Instant::now();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{:x}", cfg.seed));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("fuzz folder");
    let failures = Mutex::new(Vec::new());

    let forms = registry::forms();
    assert!(forms.len() > 100, "the catalog lists only {} forms", forms.len());
    let keys = probe_keys(&cfg, &root.join("probes"), &forms, &failures);
    let methods: Vec<String> = keys.methods.iter().map(|(m, _)| m.clone()).collect();
    assert!(!methods.is_empty(), "the sampler probe found no samplers");
    originals(&cfg, &root.join("originals"));
    let corrupt = files::make(&root.join("files"), &root.join("originals"));
    let paths = corrupt.paths();

    let mut rng = Rng::for_case(cfg.seed, u64::MAX);
    let mut cases: Vec<Case> = Vec::new();
    cases.extend(fixed::cases(&methods));
    cases.extend(files::cases(&corrupt, 6));
    let sweep = generate::sweep(&forms, &keys, &paths, &mut rng, 8, 5);
    let sweep_total = sweep.len();
    cases.extend(sweep.into_iter().filter(|_| rng.chance(cfg.sweep)));
    for i in 0..cfg.cases {
        let mut r = Rng::for_case(cfg.seed, i as u64);
        cases.push(generate::random(&forms, &keys, &paths, &mut r));
    }
    if let Some(only) = &cfg.only {
        cases.retain(|c| c.class.contains(only.as_str()));
    }
    let count = |p: &str| cases.iter().filter(|c| c.class.starts_with(p)).count();
    eprintln!(
        "fuzz: seed {:#x}; {} forms, option keys for {} functions, {} samplers; {} scripts: {} fixed, {} file, {} sweep (of {sweep_total}), {} random; {} jobs, {} s timeout",
        cfg.seed,
        forms.len(),
        keys.by_name.len(),
        methods.len(),
        cases.len(),
        count("fixed"),
        count("file"),
        count("sweep"),
        count("random"),
        cfg.jobs,
        cfg.limits.timeout.as_secs_f64(),
    );
    let outcomes = run_all(&cfg, &root.join("cases"), 0, &cases, &failures);
    let mut slowest: Vec<(f64, String)> = outcomes
        .iter()
        .zip(&cases)
        .filter(|(o, _)| o.failure(&cfg.limits).is_none())
        .map(|(o, c)| {
            (o.elapsed.as_secs_f64(), format!("{} {}", c.class, c.parts.first().map_or("", |p| p.label.as_str())))
        })
        .collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slow: Vec<String> = slowest.iter().take(8).map(|(t, c)| format!("{c} {t:.1} s")).collect();
    eprintln!("fuzz: slowest passing scripts: {}", slow.join(", "));
    let busy = |failing: bool| -> f64 {
        outcomes.iter().filter(|o| o.failure(&cfg.limits).is_some() == failing).map(|o| o.elapsed.as_secs_f64()).sum()
    };
    eprintln!(
        "fuzz: time spent in the binary: {:.0} s on passing scripts, {:.0} s on failing ones",
        busy(false),
        busy(true)
    );

    let failures = failures.into_inner().expect("failures");
    let elapsed = started.elapsed().as_secs_f64();
    if failures.is_empty() {
        eprintln!("fuzz: {} scripts passed in {elapsed:.0} s", cases.len());
        if !cfg.keep {
            let _ = std::fs::remove_dir_all(&root);
        }
        return;
    }
    eprintln!("{}", summary(&failures));
    panic!(
        "fuzz: {} of {} scripts failed (seed {:#x}, {elapsed:.0} s); reproduce one with `difflab run` on its script above, or the whole run with DIFFLAB_FUZZ_SEED={:#x}",
        failures.len(),
        cases.len(),
        cfg.seed,
        cfg.seed
    );
}
