//! The README's sample outputs are what the binary prints today.
//!
//! The README's convention, which this test reads:
//! - a ```` ```text ```` block after a ```` ```rhai ```` block (only prose between them) is
//!   what `difflab run exp.rhai` prints when `exp.rhai` holds that script: standard output,
//!   then standard error;
//! - a plain ```` ``` ```` block that starts with `difflab> ` is a REPL transcript: the lines
//!   after `difflab> ` and `   ...> ` are typed, the other lines are what `difflab` prints for them.
//!
//! Outputs are compared exactly, except for whitespace at the ends of lines and at the end.
//! The examples print no timings, which would differ from run to run.

mod common;

use std::io::Write;
use std::process::Stdio;

/// A fenced block: its info string, its lines and the README line it starts on.
struct Block {
    info: String,
    lines: Vec<String>,
    line: usize,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = vec![];
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some(Block { info: info.trim().to_string(), lines: vec![], line: i + 1 }),
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(block), _) => block.lines.push(line.to_string()),
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "README.md ends inside a fenced block");
    out
}

fn normalized(text: &str) -> String {
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim_end().to_string()
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn script_outputs_are_what_difflab_run_prints() {
    let blocks = blocks(&readme());
    let mut checked = 0;
    for (k, block) in blocks.iter().enumerate().filter(|(_, b)| b.info == "text") {
        let script = k.checked_sub(1).map(|j| &blocks[j]).filter(|b| b.info == "rhai");
        let script =
            script.unwrap_or_else(|| panic!("README.md:{}: a text block must follow a rhai block", block.line));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("exp.rhai"), script.lines.join("\n")).unwrap();
        let out = common::difflab().current_dir(dir.path()).args(["run", "exp.rhai"]).output().unwrap();
        let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            normalized(&printed),
            normalized(&block.lines.join("\n")),
            "README.md:{}: the output shown differs from what difflab prints for the script at line {}",
            block.line,
            script.line
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} script outputs found in README.md");
}

#[test]
fn repl_transcripts_are_what_the_repl_prints() {
    let transcripts: Vec<Block> =
        blocks(&readme()).into_iter().filter(|b| b.info.is_empty() && b.lines[0].starts_with("difflab> ")).collect();
    assert!(!transcripts.is_empty(), "no REPL transcript found in README.md");
    for block in transcripts {
        let (mut typed, mut shown) = (vec![], vec![]);
        for line in &block.lines {
            match line.strip_prefix("difflab> ").or_else(|| line.strip_prefix("   ...> ")) {
                Some(input) => typed.push(input),
                None => shown.push(line.as_str()),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut child = common::difflab()
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{}\n", typed.join("\n")).as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "README.md:{}: {stderr}", block.line);
        assert_eq!(
            normalized(&String::from_utf8_lossy(&out.stdout)),
            normalized(&shown.join("\n")),
            "README.md:{}: the transcript differs from what the REPL prints",
            block.line
        );
    }
}
