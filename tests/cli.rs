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
            "adamw: unknown option `lrr`; did you mean `lr`? accepted: lr, betas, eps, weight_decay",
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
        (
            "mlp(#{ dim: 2, hiden: [8] })",
            "mlp: unknown option `hiden`; did you mean `hidden`? accepted: dim, hidden, act",
        ),
        ("mlp(#{ hidden: [] })", "mlp: hidden must list at least one layer width"),
        ("unet(#{ image: [1, 7, 7], mults: [1, 2] })", "unet: 7×7 images cannot be halved 1 times"),
        ("let n = mlp(#{ dim: 2 });\nn.forward(ones([4, 3]), 0.5)", "forward: the MLP takes [N, 2] inputs, got [4, 3]"),
        ("load(\"missing.safetensors\")", "load: missing.safetensors: cannot read: No such file"),
        (
            "save_tensors(\"junk.safetensors\", #{ a: ones([2]) });\nload(\"junk.safetensors\")",
            "load: junk.safetensors: has no difflab metadata",
        ),
        ("vp_linear(#{ steps: 1 })", "vp_linear: steps must be between 2 and 10000000, got 1"),
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
            "train: unknown option `stepz`; did you mean `steps`? accepted: steps, batch",
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
fn rough_edges_get_hints() {
    let mix = "let mix = gaussians_grid(4, 1.0, 0.1);\n";
    // (script, the first line of stderr)
    let cases = [
        ("let a = True;", "script.rhai:1:9: Variable not found: True (Rhai writes true/false)"),
        ("let a = False;", "script.rhai:1:9: Variable not found: False (Rhai writes true/false)"),
        ("let a = None;", "script.rhai:1:9: Variable not found: None (Rhai has () for no value)"),
        ("let a = null;", "script.rhai:1:9: 'null' is a reserved keyword (Rhai has () for no value)"),
        ("let x = 1;\ny = 3;", "script.rhai:2:1: Variable not found: y; declare it first with `let y = ...`"),
        ("let x = 1;\nx = y;", "script.rhai:2:5: Variable not found: y"),
        (
            &format!("{mix}sample(mix, #{{ metod: \"heun\" }})"),
            "sample: unknown option `metod`; did you mean `method`? accepted: method, steps, nfe, n, x, z, sigmas,",
        ),
        (
            &format!("{mix}sample(mix, #{{ method: \"euler_ancestral\", etta: 1.0 }})"),
            "sample: unknown option `etta`; did you mean `eta`? accepted: method, steps,",
        ),
        (
            &format!("{mix}sample(mix, #{{ method: \"heun\", eta: 1.0 }})"),
            "sample: method \"heun\" takes no option `eta`",
        ),
        ("mlp(#{ hiden: [8] })", "mlp: unknown option `hiden`; did you mean `hidden`? accepted: dim, hidden,"),
        ("adamw(mlp(#{}), #{ weight_decy: 0.1 })", "adamw: unknown option `weight_decy`; did you mean `weight_decay`?"),
        (
            &format!("{mix}dlg(mix.denoiser(), mix, #{{ chain: 4 }})"),
            "dlg: unknown option `chain`; did you mean `chains`? accepted: chains, iterations,",
        ),
        ("scatter(randn([4, 2]), #{ titel: \"a\" })", "scatter: unknown option `titel`; did you mean `title`?"),
        ("line([1, 2], #{ xlable: \"step\" })", "line: unknown option `xlable`; did you mean `xlabel`?"),
        (
            "import \"fit\" as fit;\nfit::minimize([param(ones([1]))], |s| 0.0, #{ setps: 3 })",
            "minimize: unknown option `setps`; did you mean `steps`? accepted: steps, lr, optimizer, momentum, every",
        ),
        ("tensor(3.0)[0..1]", "script.rhai:1:12: indexing: a 0-dimensional tensor has no first dimension to slice"),
    ];
    for (script, expected) in cases {
        let (code, _, stderr) = run_source(script);
        assert_eq!(code, 1, "{script}: {stderr}");
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.contains(expected), "{script}\n  expected: {expected}\n  got: {stderr}");
    }
}

#[test]
fn python_habits_get_a_hint_below_rhais_message() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "let net = mlp({ dim: 2 });",
            "script.rhai:1:20: Expecting ';' to terminate this statement",
            "  hint: object maps are written `#{ dim: ... }` in Rhai; a bare `{` opens a block",
        ),
        (
            "let x = randn([3]);\nif x.mean() > 0.0 { print(1); }",
            "script.rhai:2:13: Data type incorrect: Tensor (expecting bool)",
            "  hint: a tensor is not a bool, even with one element: take its number with `.item()`",
        ),
        (
            "let n = 3;\nfn draw() { n + 1 }\nprint(draw());",
            "script.rhai:2:13: Variable not found: n",
            "  hint: a Rhai function sees only its arguments: pass `n` in, declare it `const n = ...` and read `global::n`",
        ),
        (
            "let w2 = 1.5;\nprint(f\"w2 = {w2}\");",
            "script.rhai:2:8: Expecting ',' to separate the arguments",
            "  hint: Rhai has no f\"...\" strings; a template is written in backticks: `w2 = ${w2}`",
        ),
        (
            "let a = 1;\nlet b = a + 2\nprint(b);",
            "script.rhai:2:14: Expecting ';' to terminate this statement",
            "  hint: missing `;` at the end of line 2?",
        ),
    ];
    for (script, first, hint) in cases {
        let (code, _, stderr) = run_source(script);
        assert_eq!(code, 1, "{script}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(lines[0].contains(first), "{script}\n  expected: {first}\n  got: {stderr}");
        assert!(lines.iter().any(|l| l.starts_with(hint)), "{script}\n  expected: {hint}\n  got: {stderr}");
        assert!(!stderr.contains("difflab::"), "no Rust path in a user's message: {stderr}");
    }
}

#[test]
fn tensors_have_a_shape_property_len_and_range_slices() {
    let script = r#"
        let x = arange(10);
        print(x.shape); print(x.shape()); print(len(x)); print(x.len());
        print(x[2..5].to_array()); print(x[2..=4].to_array());
        print(x[-3..10].to_array()); print(x[-3..=-1].to_array());
        print(x[-100..100].shape); print(x[7..2].shape); print(x[8..=20].to_array());
        let m = ones([4, 3]);
        print(m[1..3].shape); print(m[0..0].shape);
    "#;
    let out = common::run_ok(script);
    let expected =
        "[10]\n[10]\n10\n10\n[2, 3, 4]\n[2, 3, 4]\n[7, 8, 9]\n[7, 8, 9]\n[10]\n[0]\n[8, 9]\n[2, 3]\n[0, 3]\n";
    assert_eq!(out, expected);
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
    // into the loop, so that the message can name its line
    std::thread::sleep(Duration::from_millis(300));
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
    // the message says which line was running
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("{}:3:", path.display())) && first.ends_with(": interrupted"), "{stderr}");
    assert!(stderr.contains(" 3 | loop { i += 1; }"), "{stderr}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = run_file(Path::new("no/such/script.rhai"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("no/such/script.rhai: cannot read the script:"));
}
