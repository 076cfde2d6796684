//! Sweeps: parameters and records in scripts, `difflab sweep` over a grid with the local
//! backend (failures, resume, Ctrl-C), collecting and summarizing, and the same sweep as a
//! Slurm job array on a real single-node Slurm (`tests/slurm/start.sh`, which `.ci/run` runs).

mod common;

use common::{difflab, run_ok};
use std::path::Path;
use std::process::Output;

/// The repository's file `path`.
fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `difflab sweep ARGS` in `dir`.
fn sweep(dir: &Path, args: &[&str]) -> Output {
    difflab().current_dir(dir).arg("sweep").args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The rows of a collected sweep, without the fields that differ between runs of the same
/// point (none do: the records hold parameters, results and the point's run id).
fn collected(dir: &Path) -> Vec<serde_json::Value> {
    let t = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    t.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn params_take_command_line_overrides_and_record_writes_rows() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("exp.rhai");
    std::fs::write(
        &script,
        "let p = params(#{ method: \"euler\", nfe: 8, eta: 0.5 });\nprint(p);\nrecord(#{ w2: 0.25, nfe: 7 });\n",
    )
    .unwrap();
    let results = dir.path().join("r.jsonl");
    let out = difflab()
        .args(["run", "--results"])
        .arg(&results)
        .arg(&script)
        .args(["method=heun", "eta=1", "--fast"])
        .env("DIFFLAB_RUN_ID", "r1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "#{\"eta\": 1.0, \"method\": \"heun\", \"nfe\": 8}\n");
    let row: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&results).unwrap().trim()).unwrap();
    assert_eq!(row, serde_json::json!({ "eta": 1.0, "method": "heun", "nfe": 7, "w2": 0.25, "run": "r1" }));
    // without a results file the row is printed
    let out = difflab().arg("run").arg(&script).arg("nfe=16").env("DIFFLAB_RUN_ID", "r2").output().unwrap();
    assert!(
        text(&out.stdout).ends_with("record: eta=0.5 method=euler nfe=7 run=r2 w2=0.25\n"),
        "{}",
        text(&out.stdout)
    );
    // a bad override is one error naming the key and the declared ones
    let out = difflab().arg("run").arg(&script).arg("nfee=4").output().unwrap();
    let e = text(&out.stderr);
    assert!(
        e.contains("exp.rhai:1:9: params: override `nfee=...`") && e.contains("its parameters are eta, method, nfe"),
        "{e}"
    );
}

#[test]
fn a_local_sweep_runs_the_grid_and_collects_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo("scripts/sampler_point.rhai");
    let script = script.to_str().unwrap();
    let out =
        sweep(dir.path(), &[script, "method=euler,heun", "nfe=4,8", "seed=0:3", "n=300", "--jobs", "2", "--out", "s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = dir.path().join("s");
    let rows = collected(&s);
    assert_eq!(rows.len(), 12);
    // the points in grid order, the last axis fastest; the budget bought Heun 2·steps − 1 evaluations
    let first: Vec<_> =
        rows.iter().take(4).map(|r| (r["method"].clone(), r["nfe"].clone(), r["seed"].clone())).collect();
    use serde_json::json;
    assert_eq!(
        first,
        [
            (json!("euler"), json!(4), json!(0)),
            (json!("euler"), json!(4), json!(1)),
            (json!("euler"), json!(4), json!(2)),
            (json!("euler"), json!(8), json!(0))
        ]
    );
    let heun8: Vec<_> = rows.iter().filter(|r| r["method"] == "heun" && r["nfe"] == 8).collect();
    assert!(heun8.iter().all(|r| r["steps"] == 4 && r["nfe_used"] == 7), "{heun8:?}");
    assert_eq!(rows[5]["run"], "0005");
    let csv = std::fs::read_to_string(s.join("results.csv")).unwrap();
    assert!(csv.starts_with("run,method,nfe,seed,"), "{csv}");
    assert_eq!(csv.lines().count(), 13);
    // every run folder holds what the run did
    let run = s.join("runs/0007");
    for f in ["overrides.json", "stdout.txt", "stderr.txt", "status.json", "records.jsonl", "figures"] {
        assert!(run.join(f).exists(), "{f}");
    }
    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("status.json")).unwrap()).unwrap();
    assert_eq!((status["state"].clone(), status["exit_code"].clone()), (json!("ok"), json!(0)));
    assert!(status["peak_memory_mib"].as_f64().unwrap() > 1.0 && status["wall_s"].as_f64().unwrap() > 0.0);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["points"], 12);
    assert_eq!(manifest["script_sha256"].as_str().unwrap().len(), 64);
    // summarize in a script, means with 95% t-intervals per group
    let out = run_ok(&format!(
        "let s = summarize(load_results(\"{}\"), #{{ by: [\"method\", \"nfe\"], value: \"w2\" }});\nprint(s.len());\nprint(table(s));",
        s.display()
    ));
    assert!(out.starts_with("4\nmethod  nfe  n    mean"), "{out}");
    assert!(out.lines().nth(3).unwrap().starts_with("euler     4  3"), "{out}");
    // a second start into the same folder is refused; --dry-run lists the points as done
    let out = sweep(dir.path(), &[script, "method=euler", "--out", "s"]);
    assert!(text(&out.stderr).contains("holds a sweep already: add --resume"), "{}", text(&out.stderr));
    let out = sweep(dir.path(), &["--resume", "--dry-run", "--out", "s"]);
    let listing = text(&out.stdout);
    assert!(
        listing.starts_with("0000  method=euler nfe=4 seed=0 n=300  (done)\n") && listing.ends_with("12 points\n"),
        "{listing}"
    );
}

#[test]
fn summarize_gives_scipys_mean_std_sem_and_t_interval() {
    let out = run_ok(
        r#"
        let t = [#{ m: "a", v: 0.31 }, #{ m: "b", v: 1.0 }, #{ m: "a", v: 0.27 }, #{ m: "b", v: 2.0 },
                 #{ m: "b", v: 6.0 }, #{ m: "a", v: 0.35 }, #{ m: "b", v: 3 }];
        for r in summarize(t, #{ by: "m", value: "v", ci: 0.9 }) {
            print(`${r.m} ${r.n} ${r.mean} ${r.std} ${r.sem} ${r.ci_lower} ${r.ci_upper}`);
        }
        "#,
    );
    // numpy mean, std(ddof=1), scipy.stats.sem and scipy.stats.t.interval(0.9, n - 1, mean, sem)
    let want = [
        (
            "a",
            3,
            [
                0.31,
                0.039_999_999_999_999_98,
                0.023_094_010_767_585_02,
                0.242_565_821_566_118_06,
                0.377_434_178_433_881_9,
            ],
        ),
        (
            "b",
            4,
            [3.0, 2.160_246_899_469_287, 1.080_123_449_734_643_5, 0.458_076_968_322_483_7, 5.541_923_031_677_514_5],
        ),
    ];
    for (line, (m, n, values)) in out.lines().zip(want) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!((fields[0], fields[1]), (m, n.to_string().as_str()), "{line}");
        for (got, want) in fields[2..].iter().zip(values) {
            let got: f64 = got.parse().unwrap();
            assert!((got - want).abs() < 1e-9, "{m}: {got} vs {want}");
        }
    }
}

#[test]
fn bad_grids_are_refused_before_any_run_starts() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo("scripts/sampler_point.rhai");
    let script = script.to_str().unwrap();
    for (axis, says) in [
        ("steps=4,8", "the script declares no parameter `steps`; its parameters are method, n, nfe, seed"),
        ("methd=heun", "no parameter `methd`; did you mean \"method\"?"),
        ("nfe=4,x", "parameter `nfe` takes an integer (its default is 8), got `x`"),
        ("nfe=", "an empty value in the list"),
        ("seed=3:1", "the range 3:1 is empty"),
        ("seed=0:x", "a range is start:end with two integers"),
    ] {
        let out = sweep(dir.path(), &[script, "method=euler,heun", axis, "--out", "s"]);
        assert_eq!(out.status.code(), Some(2), "{axis}");
        assert!(text(&out.stderr).contains(says), "{axis}: {}", text(&out.stderr));
        assert!(!dir.path().join("s").exists(), "{axis}: the sweep started");
    }
}

/// A script whose point `fail=1` fails and whose point `spin=1` runs until interrupted.
const FLAKY: &str = r#"
let p = params(#{ k: 0, fail: 0, spin: 0 });
if p.fail == 1 { throw "this point fails"; }
if p.spin == 1 { let i = 0; loop { i += 1; } }
record(#{ square: p.k * p.k });
"#;

#[test]
fn failed_runs_do_not_stop_the_others_and_resume_reruns_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("flaky.rhai");
    std::fs::write(&script, FLAKY).unwrap();
    let out = sweep(dir.path(), &["flaky.rhai", "k=0:3", "fail=0,1", "--jobs", "2", "--out", "s"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = dir.path().join("s");
    assert_eq!(collected(&s).len(), 3);
    let failures = std::fs::read_to_string(s.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 4, "{failures}");
    assert!(failures.contains("0001,failed,1,k=0 fail=1,"), "{failures}");
    assert!(failures.contains("this point fails"), "{failures}");
    let started = |i: usize| std::fs::read_to_string(s.join(format!("runs/{i:04}/status.json"))).unwrap();
    let ok_before = started(0);
    // the script is fixed; --resume runs only the three failed points
    std::fs::write(&script, FLAKY.replace("throw \"this point fails\";", "")).unwrap();
    let out = sweep(dir.path(), &["--resume", "--jobs", "2", "--out", "s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("3 of 6 points"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("changed since the sweep started"), "{}", text(&out.stderr));
    assert_eq!(started(0), ok_before);
    let squares: Vec<i64> = collected(&s).iter().map(|r| r["square"].as_i64().unwrap()).collect();
    assert_eq!(squares, [0, 0, 1, 1, 4, 4]);
}

#[test]
fn ctrl_c_stops_the_running_points_and_leaves_the_sweep_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("flaky.rhai");
    std::fs::write(&script, FLAKY).unwrap();
    let child = difflab()
        .current_dir(dir.path())
        .args(["sweep", "flaky.rhai", "k=0:4", "spin=1", "--jobs", "2", "--out", "s"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let s = dir.path().join("s");
    // wait until both runs of the first two points are spinning
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !(s.join("runs/0000/stdout.txt").exists() && s.join("runs/0001/stdout.txt").exists()) {
        assert!(std::time::Instant::now() < deadline, "the runs did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SIGINT to the sweep only, as `kill -INT` would send it: it passes it on
    // SAFETY: kill(2) on our own child's pid touches no memory.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted: finish it with `difflab sweep --resume"), "{}", text(&out.stderr));
    let state = |i: usize| {
        let t = std::fs::read_to_string(s.join(format!("runs/{i:04}/status.json"))).unwrap();
        serde_json::from_str::<serde_json::Value>(&t).unwrap()["state"].clone()
    };
    assert_eq!((state(0), state(1)), (serde_json::json!("interrupted"), serde_json::json!("interrupted")));
    assert!(!s.join("runs/0002").exists(), "a point started after Ctrl-C");
    std::fs::write(&script, FLAKY.replace("loop { i += 1; }", "")).unwrap();
    let out = sweep(dir.path(), &["--resume", "--out", "s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(collected(&s).len(), 4);
}

/// Whether a Slurm cluster answers here; when none is installed and `CI` is unset, the
/// Slurm test is skipped with the reason printed.
fn slurm_ready() -> bool {
    let installed = std::process::Command::new("sbatch").arg("--version").output().is_ok_and(|o| o.status.success());
    let up = installed && std::process::Command::new("scontrol").arg("ping").output().is_ok_and(|o| o.status.success());
    if !up && std::env::var_os("CI").is_none() {
        let why = if installed { "no slurmctld answers `scontrol ping`" } else { "Slurm is not installed" };
        eprintln!("skipped: {why} (tests/slurm/start.sh brings up a single-node Slurm; CI runs it)");
        return false;
    }
    assert!(up, "CI is set but no Slurm cluster answers (did .ci/run start tests/slurm/start.sh?)");
    true
}

#[test]
fn a_slurm_sweep_gives_the_local_table_and_resumes_after_scancel() {
    if !slurm_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = repo("scripts/sampler_point.rhai");
    let script = script.to_str().unwrap();
    let grid = [script, "method=euler,heun", "nfe=4,8", "seed=0:3", "n=300"];
    let out = sweep(dir.path(), &[&grid[..], &["--jobs", "2", "--out", "local"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sweep(
        dir.path(),
        &[&grid[..], &["--backend", "slurm", "--max-parallel", "2", "--wait", "--out", "slurm"]].concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("submitted Slurm job"), "{}", text(&out.stderr));
    assert_eq!(collected(&dir.path().join("slurm")), collected(&dir.path().join("local")));
    let batch = std::fs::read_to_string(dir.path().join("slurm/sweep.sbatch")).unwrap();
    assert!(batch.contains("#SBATCH --array=0-11%2") && batch.contains("\"$SLURM_ARRAY_TASK_ID\""), "{batch}");

    // a task killed with scancel is resubmitted alone by --resume
    let slow = dir.path().join("slow.rhai");
    std::fs::write(&slow, "let p = params(#{ k: 0, wait: 0 });\nif p.k == 3 { let t = timestamp(); while t.elapsed < 120.0 {} }\nrecord(#{ k2: p.k * 2 });\n").unwrap();
    let out = sweep(dir.path(), &["slow.rhai", "k=0:5", "--backend", "slurm", "--out", "cancel"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c = dir.path().join("cancel");
    let submitted: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(c.join("slurm_jobs.jsonl")).unwrap().trim()).unwrap();
    let job = submitted["job"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !(0..5).filter(|&i| i != 3).all(|i| c.join(format!("runs/{i:04}/status.json")).exists()) {
        assert!(std::time::Instant::now() < deadline, "the quick tasks did not end");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let cancelled = std::process::Command::new("scancel").arg(format!("{job}_3")).status().unwrap();
    assert!(cancelled.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = sweep(dir.path(), &["status", "cancel"]);
        let report = text(&out.stdout);
        if report.contains("ended without a result") {
            assert!(report.contains(&format!("[slurm {job}_3: CANCELLED")), "{report}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the cancelled task is not reported: {report}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    std::fs::write(&slow, "let p = params(#{ k: 0, wait: 0 });\nrecord(#{ k2: p.k * 2 });\n").unwrap();
    let out = sweep(dir.path(), &["--resume", "--backend", "slurm", "--wait", "--out", "cancel"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 task (3)"), "{}", text(&out.stderr));
    let k2: Vec<i64> = collected(&c).iter().map(|r| r["k2"].as_i64().unwrap()).collect();
    assert_eq!(k2, [0, 2, 4, 6, 8]);
}
