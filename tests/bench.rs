//! `difflab bench`'s worker, as the comparison runs it: what it reports, and a guard against
//! storms of system calls (candle once re-read /proc/cpuinfo on every matrix product, and
//! system time outgrew user time). Alone in its test binary, so no other test loads the cores.

mod common;

/// The rate and the CPU time per iteration of `workload` at `threads` (the machine's default
/// when `None`), from the worker's JSON.
fn worker(workload: &str, size: usize, threads: Option<usize>) -> serde_json::Value {
    let mut cmd = common::difflab();
    match threads {
        Some(n) => cmd.env("RAYON_NUM_THREADS", n.to_string()),
        None => cmd.env_remove("RAYON_NUM_THREADS"),
    };
    let out = cmd.args(["bench-worker", workload, "--size", &size.to_string(), "--seconds", "0.5"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// MLP training at 2 threads spends under a fifth of its user CPU time in the kernel: a ratio
/// within one run, not an absolute time. Then a network composed in a script, which runs many
/// small candle products, with the thread count left to the machine (no RAYON_NUM_THREADS):
/// each product once re-read /proc/cpuinfo and the kernel time outgrew the user time. The two
/// run one after the other, so neither loads the cores under the other.
#[test]
fn training_spends_little_system_time() {
    let v = worker("train_mlp", 1024, Some(2));
    let (rate, user, sys) = (v["rate"].as_f64().unwrap(), v["user_s"].as_f64().unwrap(), v["sys_s"].as_f64().unwrap());
    assert_eq!(v["unit"], "steps/s");
    assert!(rate > 0.0 && user > 0.0 && sys >= 0.0, "{v}");
    // a step's CPU time across both threads is at least about its wall time, 1 / rate
    assert!(user + sys > 0.5 / rate, "{v}");
    assert!(sys < 0.2 * user, "system time {sys:.2e} s against user {user:.2e} s per step: {v}");

    let v = worker("train_unet_composed", 32, None);
    let (user, sys) = (v["user_s"].as_f64().unwrap(), v["sys_s"].as_f64().unwrap());
    assert!(user > 0.0 && sys < 0.2 * user, "system time {sys:.2e} s against user {user:.2e} s per step: {v}");
}

/// candle's CPU matrix product looks up the thread count on every call; unless the count is
/// fixed in the environment, that lookup opened /proc/cpuinfo (16,000 times in 4 s of a
/// composed network's training). `difflab` fixes it at start-up, so a script of 2,000 small
/// products, with RAYON_NUM_THREADS unset, opens the file at most a handful of times.
/// Needs strace (`.ci/run` installs it); skipped with a reason elsewhere.
#[test]
fn matrix_products_do_not_reopen_proc_cpuinfo() {
    if std::process::Command::new("strace").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "strace is needed in CI (.ci/run installs it)");
        eprintln!("skipped: strace is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (script, trace) = (dir.path().join("products.rhai"), dir.path().join("trace.txt"));
    std::fs::write(&script, "let a = randn([64, 64]) * 0.1;\nlet h = randn([256, 64]);\nfor i in 0..2000 { h = h.matmul(a).tanh(); }\nprint(h.shape);\n").unwrap();
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_difflab"))
        .arg("run")
        .arg(&script)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let opens = std::fs::read_to_string(&trace).unwrap().lines().filter(|l| l.contains("/proc/cpuinfo")).count();
    assert!(opens <= 5, "/proc/cpuinfo opened {opens} times");
}
