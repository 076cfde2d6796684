//! `difflab run` as a user runs it: outputs, exit codes, error messages, interrupts.

mod common;

use common::{difflab, run_file};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `source` as a script file and returns (exit code, stdout, stderr).
fn run_source(source: &str) -> (i32, String, String) {
    let r = common::run_source(source);
    (r.code, r.stdout, r.stderr)
}

#[test]
fn quickstart_runs_and_prints_tensors() {
    let out = run_file(Path::new("scripts/quickstart.rhai"), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("tensor([[ 7., 10.],\n        [15., 22.]], shape=[2, 2], dtype=f32, device=cpu)"),
        "{stdout}"
    );
    assert!(stdout.contains("d/dw sum(w²) = [2.0, -4.0, 6.0]"), "{stdout}");
}

#[test]
fn sum_of_ones_times_three_prints_eighteen() {
    let (code, stdout, _) = run_source("let x = ones([2,3]); print((x*3.0).sum());");
    assert_eq!((code, stdout.as_str()), (0, "18.0\n"));
}

#[test]
fn matmul_shape_error_names_function_shapes_and_line() {
    let (code, _, stderr) = run_source("ones([2,3]).matmul(ones([2,3]))");
    assert_eq!(code, 1);
    let first = stderr.lines().next().unwrap();
    assert!(first.contains("script.rhai:1:13: matmul: cannot multiply [2, 3] by [2, 3]"), "{stderr}");
    assert!(stderr.contains(" 1 | ones([2,3]).matmul(ones([2,3]))"), "{stderr}");
}

#[test]
fn the_same_seed_prints_the_same_numbers_on_every_run() {
    let script = "seed(7); print(randn([3]).to_array());";
    let (_, first, _) = run_source(script);
    let (_, second, _) = run_source(script);
    assert_eq!(first, second);
    let numbers: Vec<f64> = first.trim().trim_matches(['[', ']']).split(", ").map(|s| s.parse().unwrap()).collect();
    assert_eq!(numbers.len(), 3);
    assert!(numbers.windows(2).all(|w| w[0] != w[1]));
    let (_, other, _) = run_source("seed(8); print(randn([3]).to_array());");
    assert_ne!(first, other);
}

#[test]
fn arguments_reach_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("args.rhai");
    std::fs::write(&path, "print(ARGS.len()); for a in ARGS { print(a); }").unwrap();
    let out = run_file(&path, &["--fast", "7"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n--fast\n7\n");
}

#[test]
fn gradient_descent_recovers_linear_regression_coefficients() {
    let out = run_file(Path::new("tests/scripts/linear_regression.rhai"), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let values: Vec<f64> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().unwrap()).collect();
    let expected = [1.5, -2.0, 0.25, 0.75];
    assert_eq!(values.len(), expected.len());
    for (got, want) in values.iter().zip(expected) {
        assert!((got - want).abs() < 1e-3, "recovered {values:?}, expected {expected:?}");
    }
}

#[test]
fn imports_resolve_beside_the_script_and_from_the_stdlib() {
    let out = run_file(Path::new("tests/scripts/imports.rhai"), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n[[2.0, 4.0], [4.0, 8.0]]\n");
}

#[test]
fn bad_scripts_give_one_clear_message_and_no_panic() {
    // (script, the message expected on the first line of stderr)
    let cases = [
        ("ones([2,3]) + ones([3,2])", "script.rhai:1:13: operator +: shapes [2, 3] and [3, 2] do not broadcast"),
        ("randn([2, 2]).matmul(3)", "script.rhai:1:15: matmul: no form takes (Tensor, int); expected one of:"),
        ("randn(\"a\")", "randn: no form takes (string); expected one of:"),
        (
            "adamw([param(ones([2]))], #{ lrr: 0.1 })",
            "adamw: unknown option `lrr`; accepted: lr, betas, eps, weight_decay",
        ),
        ("sgd([param(ones([2]))], #{ lr: \"fast\" })", "sgd: option `lr` must be a number, got the string \"fast\""),
        ("let x = ones([3]);\nx[5]", "script.rhai:2:2: indexing: index 5 is out of range for dimension 0 of size 3"),
        ("ones([2]).sum(3)", "sum: dimension 3 is out of range for a tensor with 1 dimension"),
        ("ones([2]).narrow(0, 1, 5)", "narrow: range 1..6 is out of bounds for dimension 0 of size 2"),
        ("tensor([[1, 2], [3]])", "tensor: ragged nested array: element [1] has 1 entries, expected 2"),
        ("ones([2]).reshape([3])", "reshape: cannot reshape [2] (2 elements) into [3] (3 elements)"),
        ("zeros([2], #{ dtype: \"f128\" })", "zeros: option `dtype`: unknown dtype \"f128\""),
        ("ones([2]).to(\"cuda\")", "to: this difflab binary was built without CUDA"),
        ("adamw([ones([2])])", "adamw: params[0]: the tensor of shape [2] is not a parameter; make one with param(t)"),
        (
            "let p = param(ones([1]));\nlet o = sgd([p]);\no.step((p * (0.0 / 0.0)).sum())",
            "step: the loss is NaN at step 1",
        ),
        ("(ones([2, 2])).backward()", "backward: backward needs a scalar (one-element) loss, got shape [2, 2]"),
        ("import \"nothere\" as n;", "module \"nothere\" not found"),
        ("fn f(a) { a.matmul(a) }\nf(ones([2, 3]))", "script.rhai:1:13: matmul: cannot multiply [2, 3] by [2, 3]"),
        ("let x = 5 +", "script.rhai:1:12:"),
        ("ones([2]).frobnicate()", "unknown function frobnicate(Tensor)"),
        ("device(\"cuda\")", "device: this difflab binary was built without CUDA"),
        ("mlp(#{ dim: 2, hiden: [8] })", "mlp: unknown option `hiden`; accepted: dim, hidden, act"),
        ("mlp(#{ hidden: [] })", "mlp: hidden must list at least one layer width"),
        ("unet(#{ image: [1, 7, 7], mults: [1, 2] })", "unet: 7×7 images cannot be halved 1 times"),
        ("let n = mlp(#{ dim: 2 });\nn.forward(ones([4, 3]), 0.5)", "forward: the MLP takes [N, 2] inputs, got [4, 3]"),
        ("load(\"missing.safetensors\")", "load: missing.safetensors: No such file"),
        (
            "save_tensors(\"junk.safetensors\", #{ a: ones([2]) });\nload(\"junk.safetensors\")",
            "load: junk.safetensors: has no difflab metadata",
        ),
        ("vp_linear(#{ steps: 1 })", "vp_linear: steps must be at least 2, got 1"),
        (
            "vp_cosine().timesteps(4, #{ spacing: \"cubic\" })",
            "timesteps: unknown spacing \"cubic\"; expected one of uniform, logsnr",
        ),
        (
            "diffusion_loss(mlp(#{}), vp_cosine(), ones([4, 2]), #{ pred: \"noise\" })",
            "diffusion_loss: unknown pred \"noise\"; expected one of eps, x0, v, score, edm",
        ),
        ("gaussians_grid(8, 1.0, 0.1)", "gaussians_grid: k must be a perfect square"),
        (
            "import \"train\" as tr;\ntr::train(mlp(#{}), vp_cosine(), swirl(64), #{ stepz: 3 })",
            "train: unknown option `stepz`; accepted: steps, batch",
        ),
        ("cross_entropy(zeros([2, 3]), tensor([0, 3]))", "cross_entropy: label 3 is outside 0..3"),
    ];
    for (script, expected) in cases {
        let (code, _, stderr) = run_source(script);
        assert_eq!(code, 1, "{script}: {stderr}");
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.contains(expected), "{script}\n  expected: {expected}\n  got: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{script}: {stderr}");
    }
}

#[test]
fn sigint_stops_a_long_loop_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.rhai");
    std::fs::write(&path, "print(\"started\");\nlet i = 0;\nloop { i += 1; }").unwrap();
    let mut child = difflab().arg("run").arg(&path).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"started\n");
    let sent = Instant::now();
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(sent.elapsed() < Duration::from_secs(1), "still running 1 s after SIGINT");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr.trim(), "interrupted");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = run_file(Path::new("no/such/script.rhai"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("no/such/script.rhai: cannot read the script:"));
}
