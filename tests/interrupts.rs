//! Ctrl-C stops long native work within a second: each script prints `ready`, starts one
//! long call into Rust (a sleep, a huge draw, a product of large matrices, UNet training, a
//! data set, an import with a long top level), gets SIGINT a moment later and must exit with 130.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long after SIGINT the process may take to exit.
const WITHIN: Duration = Duration::from_secs(1);

/// Runs `source` (with `files` beside it), sends SIGINT once it printed `ready` and the long
/// call has had `settle` to start, and returns the exit code and the time from SIGINT to exit.
fn interrupt(source: &str, files: &[(&str, &str)], settle: Duration) -> (Option<i32>, Duration, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().join("script.rhai");
    std::fs::write(&path, source).unwrap();
    let mut child = common::difflab()
        .current_dir(dir.path())
        .arg("run")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().map(|l| l.unwrap());
    assert_eq!(first.as_deref(), Some("ready"), "the script did not start: {source}");
    std::thread::sleep(settle);
    assert!(child.try_wait().unwrap().is_none(), "the long call ended before the interrupt: {source}");
    let sent = Instant::now();
    // SAFETY: sends a signal to the child this test started and still owns
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let deadline = sent + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 20 s after SIGINT: {source}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = sent.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), took, stderr)
}

fn assert_stops(source: &str, files: &[(&str, &str)]) {
    let (code, took, stderr) = interrupt(source, files, Duration::from_millis(300));
    assert_eq!(code, Some(130), "{source}\n--- stderr:\n{stderr}");
    assert!(took < WITHIN, "{source}: took {took:?} to stop after SIGINT");
    assert!(stderr.contains("interrupted"), "{source}\n--- stderr:\n{stderr}");
}

#[test]
fn sleep_of_any_number_type_stops() {
    assert_stops("print(\"ready\"); sleep(1000);", &[]);
    assert_stops("print(\"ready\"); sleep(1000.0);", &[]);
    assert_stops("print(\"ready\"); sleep(1.0 / 0.0);", &[]);
}

#[test]
fn huge_draws_and_products_stop() {
    assert_stops("print(\"ready\"); let x = randn([200000000]);", &[]);
    assert_stops("let a = randn([5000, 5000]); print(\"ready\"); let b = a @ a; let c = b @ b;", &[]);
}

#[test]
fn training_a_unet_stops() {
    assert_stops(
        "let net = unet(#{ image: [1, 28, 28], channels: 32 }); let opt = adamw(net.params(), #{ lr: 1e-4 });\n\
         let x = randn([128, 1, 28, 28]); print(\"ready\");\n\
         loop { opt.step(diffusion_loss(net, vp_cosine(), x)); }",
        &[],
    );
}

#[test]
fn data_sets_and_sampling_stop() {
    assert_stops("print(\"ready\"); let x = swirl(30000000);", &[]);
    assert_stops("print(\"ready\"); let x = shapes(400000);", &[]);
    assert_stops("print(\"ready\"); let x = rings(30000000);", &[]);
    assert_stops(
        "let m = gaussians_ring(8, 2.0, 0.1); print(\"ready\"); sample(m.denoiser(), #{ n: 1000000, steps: 100000 });",
        &[],
    );
}

#[test]
fn an_import_with_a_long_top_level_stops_at_the_first_interrupt() {
    let module = "let i = 0;\nwhile i >= 0 { i += 1; }\nfn f() { 1 }\n";
    assert_stops("let a = 1;\nprint(\"ready\");\nimport \"slow\" as slow;\n", &[("slow.rhai", module)]);
}
