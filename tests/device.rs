//! The device checks of `tests/device/` on the CPU: each script must exit 0 and print
//! `ok NAME` under `difflab run --device cpu`. `tools/gpu-check.sh` runs the same scripts with
//! `--device cuda` on a GPU machine.

mod common;

/// The checks, one per script in `tests/device/`.
const CHECKS: &[&str] = &["methods", "placement", "pretrained", "rng", "samplers", "training", "transfers"];

/// Copies the folder `from` into `to`, files and subfolders.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Runs `tests/device/NAME.rhai --device cpu` in a temporary folder holding a copy of
/// `tests/data/pretrained` as `pretrained/` (as `tools/gpu-check.sh` runs it), and returns its output.
fn check(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    copy_folder(std::path::Path::new("tests/data/pretrained"), &dir.path().join("pretrained"));
    let script = std::fs::canonicalize(format!("tests/device/{name}.rhai")).unwrap();
    let out = common::difflab().current_dir(dir.path()).args(["run", "--device", "cpu"]).arg(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name}: exit {:?}\n{stderr}\n{stdout}", out.status.code());
    assert!(stdout.lines().any(|l| l == format!("ok {name}")), "{name} did not print `ok {name}`:\n{stdout}");
    stdout
}

#[test]
fn every_script_in_the_folder_is_a_check() {
    let mut found: Vec<String> = std::fs::read_dir("tests/device")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, CHECKS);
}

#[test]
fn loaded_diffusers_models_sample_as_on_the_cpu() {
    let out = check("pretrained");
    for what in ["tiny_ddpm ddim", "tiny_ddpm dpmpp_2m", "tiny_cond guided ddim", "tiny_cond saved on the device"] {
        assert!(out.contains(&format!("{what}: ")), "{what} was not compared:\n{out}");
    }
}

#[test]
fn seeded_draws_match_the_cpu() {
    check("rng");
}

#[test]
fn everything_is_made_on_the_requested_device() {
    check("placement");
}

#[test]
fn every_sampler_matches_the_cpu() {
    check("samplers");
}

#[test]
fn training_follows_the_cpu_and_checkpoints_move() {
    check("training");
}

#[test]
fn the_methods_run_on_the_device() {
    check("methods");
}

#[test]
fn sampler_steps_copy_nothing_but_the_stated_exceptions() {
    let out = check("transfers");
    // every sampler was measured on both denoisers
    let rows = out.lines().filter(|l| l.contains(" uploads, ")).count();
    assert!(rows >= 2 * 13, "{out}");
    assert!(out.contains("mixture heun: 0 uploads, 0 downloads"), "{out}");
    assert!(out.contains("network heun: 0 uploads, 0 downloads"), "{out}");
}
