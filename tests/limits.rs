//! The session's limits: sizes over the memory budget, recursion, expression and data
//! depth at and past their limits, and import cycles are each one clean error (exit 1),
//! never an abort; what is within the limits runs on the script thread's stack.

mod common;

use common::difflab;

/// Runs `source` under a 1 GB memory budget (so that what is too large does not depend on
/// the machine) and checks it fails with exit 1 and a message containing `expected`.
fn assert_error(source: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.rhai");
    std::fs::write(&path, source).unwrap();
    let out = difflab().env("DIFFLAB_MAX_MEMORY", "1G").current_dir(dir.path()).arg("run").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{source}\n--- stderr:\n{stderr}");
    assert!(stderr.contains(expected), "{source}\n  expected: {expected}\n  got: {stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
}

#[test]
fn sizes_over_the_budget_are_errors_naming_the_size_and_the_limit() {
    assert_error(
        "zeros([4294967296, 4294967296])",
        "zeros: the shape [4294967296, 4294967296] has more elements than memory can address",
    );
    assert_error(
        "linspace(0.0, 1.0, 1000000000000000000)",
        "linspace: needs 3.5 EB (1000000000000000000 values of 4 bytes), over the memory limit of",
    );
    for call in [
        "randn([1000000000000000000])",
        "full([1000000000000000000], 1.0)",
        "randperm(1000000000000000000)",
        "swirl(1000000000000000000)",
        "rings(1000000000000000000)",
        "gaussians_ring(8, 2.0, 0.1).sample(1000000000000000000)",
        "sample(gaussians_ring(8, 2.0, 0.1).denoiser(), #{ n: 1000000000000000000 })",
        "mlp(#{ hidden: [1000000000, 1000000000] })",
        "ones([50000, 50000])",
        "randn([1000000, 1]) @ randn([1, 1000000])",
        "batch(swirl(10), 1000000000000000000)",
    ] {
        assert_error(call, "over the memory limit of");
    }
    assert_error(
        "shapes(1000000000000000000)",
        "shapes: the shape [1000000000000000000, 16, 16] has more elements than",
    );
    assert_error(
        "sample(gaussians_ring(8, 2.0, 0.1).denoiser(), #{ steps: 1000000000000000000 })",
        "option `steps` must be an integer between 1 and 10000000",
    );
}

#[test]
fn rhai_values_doubled_by_its_own_operators_stop_at_a_sixteenth_of_the_budget() {
    // 1 GB budget: strings stop past 64 MiB, arrays past 4 Mi values of 16 bytes
    let string = "a string grew past 67,108,864 bytes, 1/16 of the memory limit of 1.0 GB";
    let array = "an array grew past 4,194,304 values, 1/16 of the memory limit of 1.0 GB";
    assert_error("let s = \"x\"; loop { s += s; }", string);
    assert_error("let s = \"x\"; loop { s = s + s; }", string);
    assert_error("let s = \"x\"; loop { s = `${s}${s}`; }", string);
    assert_error("let a = [1]; loop { a += a; }", array);
    assert_error("let a = [1]; loop { a = a + a; }", array);
    assert_error("let m = #{ a: 1 }; let n = 0; loop { n += 1; m[`k${n}`] = m; }", "an object map grew past");
}

#[test]
fn the_limit_is_set_by_the_option_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.rhai");
    std::fs::write(&path, "let a = zeros([1000]); let b = zeros([1000000]);").unwrap();
    let by_option = difflab().args(["--max-memory", "1M", "run"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&by_option.stderr);
    assert_eq!(by_option.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("zeros: needs 3.8 MB (1000000 values of 4 bytes), over the memory limit of 1.0 MB"),
        "{stderr}"
    );
    let by_env = difflab().env("DIFFLAB_MAX_MEMORY", "2G").arg("run").arg(&path).output().unwrap();
    assert_eq!(by_env.status.code(), Some(0));
    let bad = difflab().args(["--max-memory", "lots", "run"]).arg(&path).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-memory: `lots` is not a size"));
}

#[test]
fn depth_within_the_limits_runs_and_past_them_is_an_error() {
    // recursion: 200 nested script calls run, unbounded recursion stops at the call limit
    let out = common::run_ok("fn down(n) { if n == 0 { 0 } else { 1 + down(n - 1) } }\nprint(down(200));");
    assert_eq!(out.trim(), "200");
    assert_error("fn down(n) { 1 + down(n + 1) }\ndown(0);", "function calls nest more than 256 deep");
    // expressions: 100 nested parentheses parse, 400 do not
    let nested = |n: usize| format!("print({}1{});", "(".repeat(n), ")".repeat(n));
    assert_eq!(common::run_ok(&nested(100)).trim(), "1");
    assert_error(&nested(400), "Expression exceeds maximum complexity");
    // data: printing, comparing and writing JSON of arrays 256 deep works, deeper is an error
    let build = |n: usize| format!("let a = []; for i in 1..{n} {{ a = [a]; }}");
    let ok = common::run_ok(&format!("{} print(a == a); write_json(\"a.json\", a); print(\"ok\");", build(256)));
    assert_eq!(ok.trim(), "true\nok");
    for op in ["print(a)", "a == a", "write_json(\"a.json\", a)", "debug(a)", "a.to_string()"] {
        assert_error(&format!("{} {op}", build(3000)), "nests arrays or maps more than 256 levels deep");
    }
}

#[test]
fn import_cycles_and_deep_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rhai"), "import \"b\" as b;").unwrap();
    std::fs::write(dir.path().join("b.rhai"), "import \"a\" as a;").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/outer.rhai"), "import \"inner\" as i;\nfn f() { i::g() }").unwrap();
    std::fs::write(dir.path().join("sub/inner.rhai"), "fn g() { 41 }\nfn broken() { undefined_thing() }").unwrap();
    std::fs::write(dir.path().join("main.rhai"), "import \"sub/outer\" as o;\nprint(o::f() + 1);").unwrap();
    std::fs::write(dir.path().join("cycle.rhai"), "import \"a\" as a;").unwrap();
    let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {}", "(".repeat(10000));
    let npy = [b"\x93NUMPY\x01\x00".as_slice(), &(header.len() as u16).to_le_bytes(), header.as_bytes()].concat();
    std::fs::write(dir.path().join("deep.npy"), npy).unwrap();
    std::fs::write(dir.path().join("deep.json"), "[".repeat(100000)).unwrap();
    std::fs::write(dir.path().join("files.rhai"), "try { load_npy(\"deep.npy\") } catch (e) { print(e) }\ntry { read_json(\"deep.json\") } catch (e) { print(e) }").unwrap();

    let run = |file: &str| difflab().current_dir(dir.path()).arg("run").arg(file).output().unwrap();
    let sibling = run("main.rhai");
    assert_eq!(String::from_utf8_lossy(&sibling.stdout).trim(), "42", "a module's import is found beside the module");
    let cycle = run("cycle.rhai");
    let stderr = String::from_utf8_lossy(&cycle.stderr);
    assert_eq!(cycle.status.code(), Some(1));
    assert!(stderr.starts_with("a.rhai:1:8: import cycle: a.rhai imports b.rhai imports a.rhai"), "{stderr}");
    assert!(stderr.contains("in module \"a.rhai\" imported at cycle.rhai:1:8"), "{stderr}");
    let files = run("files.rhai");
    let stdout = String::from_utf8_lossy(&files.stdout);
    assert_eq!(files.status.code(), Some(0), "{}", String::from_utf8_lossy(&files.stderr));
    assert!(stdout.contains("at most 8 nested tuples"), "{stdout}");
    assert!(stdout.contains("recursion limit exceeded"), "{stdout}");
}
