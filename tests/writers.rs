//! Every writer a script can call shares one policy: missing folders are created, the file is
//! replaced whole, and a write that still fails says `PATH: cannot write: CAUSE`.

mod common;

use common::difflab;

/// Each writer, as a statement that saves to `{DIR}/NAME`, and the file it writes.
const WRITERS: &[(&str, &str)] = &[
    ("net.save(\"{DIR}/net.safetensors\")", "net.safetensors"),
    ("opt.save(\"{DIR}/opt.safetensors\")", "opt.safetensors"),
    ("avg.save(\"{DIR}/ema.safetensors\")", "ema.safetensors"),
    ("save_npy(\"{DIR}/x.npy\", x)", "x.npy"),
    ("save_tensors(\"{DIR}/t.safetensors\", #{ x: x })", "t.safetensors"),
    ("write_json(\"{DIR}/r.json\", #{ w2: 0.5 })", "r.json"),
    ("scatter(x).save(\"{DIR}/f.png\")", "f.png"),
    ("scatter(x).save(\"{DIR}/f.svg\")", "f.svg"),
    ("animate([x, x * 2.0]).save(\"{DIR}/a.gif\")", "a.gif"),
];

const SETUP: &str = "let net = mlp(#{ dim: 2, hidden: [8] });\n\
                     let opt = adamw(net, #{ lr: 1e-3 });\n\
                     let avg = ema(net, #{ decay: 0.9 });\n\
                     let x = randn([5, 2]);\n";

/// Runs `source` in `dir` and returns (exit code, stderr).
fn run_in(dir: &std::path::Path, source: &str) -> (i32, String) {
    let path = dir.join("script.rhai");
    std::fs::write(&path, source).unwrap();
    let out = difflab().current_dir(dir).arg("run").arg(&path).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn every_writer_creates_missing_folders_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let statements: Vec<String> = WRITERS.iter().map(|(s, _)| s.replace("{DIR}", "results/run1/deep")).collect();
    let source = format!("{SETUP}{};\n", statements.join(";\n"));
    let (code, stderr) = run_in(dir.path(), &source);
    assert_eq!(code, 0, "{stderr}");
    let folder = dir.path().join("results/run1/deep");
    let mut written: Vec<String> =
        std::fs::read_dir(&folder).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    written.sort();
    let mut expected: Vec<String> = WRITERS.iter().map(|(_, f)| f.to_string()).collect();
    expected.sort();
    assert_eq!(written, expected, "each writer wrote its file and nothing else");
    for (_, f) in WRITERS {
        assert!(std::fs::metadata(folder.join(f)).unwrap().len() > 0, "{f} is empty");
    }
    // what was written reads back
    let check = "let net = load(\"results/run1/deep/net.safetensors\");\n\
                 print(load_npy(\"results/run1/deep/x.npy\").shape());\n\
                 print(read_json(\"results/run1/deep/r.json\").w2);";
    let (code, stderr) = run_in(dir.path(), check);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_write_under_a_file_fails_with_one_message_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    for (statement, file) in WRITERS {
        let source = format!("{SETUP}{};\n", statement.replace("{DIR}", "blocker/sub"));
        let (code, stderr) = run_in(dir.path(), &source);
        assert_eq!(code, 1, "{statement}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        let expected = format!("blocker/sub/{file}: cannot write: cannot create the folder blocker/sub:");
        assert!(first.contains(&expected), "{statement}: {first}");
        assert!(first.contains("script.rhai:5:"), "the message names the script line: {first}");
    }
}

#[test]
fn a_missing_file_suggests_the_near_name_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let (code, stderr) =
        run_in(dir.path(), "save_npy(\"data/swirl.npy\", randn([4, 2]));\nload_npy(\"data/swril.npy\")");
    assert_eq!(code, 1);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.ends_with("load_npy: data/swril.npy: cannot read: No such file or directory (os error 2); did you mean \"data/swirl.npy\"?"),
        "{first}"
    );
}
