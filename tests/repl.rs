//! The REPL driven through a pseudo-terminal, as a user types into it, and fed
//! from a pipe.

use rexpect::session::{spawn_command, PtySession};
use std::io::Write;
use std::process::{Command, Stdio};

/// A REPL under a pseudo-terminal. reedline asks the terminal for the cursor
/// position (`ESC [ 6 n`) before each prompt; the driver answers as a terminal would.
struct Repl {
    pty: PtySession,
    _home: tempfile::TempDir,
}

const ASK_CURSOR: &str = "\x1b[6n";

impl Repl {
    fn start() -> Self {
        Self::start_with(&[])
    }

    fn start_with(args: &[&str]) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_difflab"));
        cmd.args(args).current_dir(home.path());
        cmd.env("HOME", home.path()).env("XDG_DATA_HOME", home.path().join("data")).env("TERM", "xterm");
        let pty = spawn_command(cmd, Some(20_000)).unwrap();
        let mut repl = Repl { pty, _home: home };
        repl.pty.exp_string("Ctrl-D quits").unwrap();
        repl.prompt();
        repl
    }

    /// Waits for the next prompt and answers its cursor-position query.
    fn prompt(&mut self) {
        self.pty.exp_string(ASK_CURSOR).unwrap();
        self.pty.send("\x1b[1;1R").unwrap();
        self.pty.flush().unwrap();
    }

    /// Types `line` and Enter.
    fn enter(&mut self, line: &str) {
        self.pty.send(line).unwrap();
        self.pty.send("\r").unwrap();
        self.pty.flush().unwrap();
    }

    /// Types a complete input and waits for its output to contain `expected`.
    fn eval(&mut self, line: &str, expected: &str) {
        self.enter(line);
        self.expect(expected);
        self.prompt();
    }

    /// Waits for `text` in the output, answering cursor queries on the way.
    fn expect(&mut self, text: &str) {
        use rexpect::ReadUntil;
        loop {
            match self.pty.exp_any(vec![ReadUntil::String(text.into()), ReadUntil::String(ASK_CURSOR.into())]) {
                Ok((_, found)) if found == ASK_CURSOR && text != ASK_CURSOR => {
                    self.pty.send("\x1b[1;1R").unwrap();
                    self.pty.flush().unwrap();
                }
                Ok(_) => return,
                Err(e) => panic!("expected {text:?} in the REPL output: {e}"),
            }
        }
    }
}

#[test]
fn variables_functions_and_multiline_input_persist() {
    let mut r = Repl::start();
    r.eval("seed(0); let x = randn([1024, 2]);", "");
    r.eval("(x * 2.0 + 1.0).mean(0)", "shape=[2], dtype=f32, device=cpu)");
    // An open brace keeps reading: the function is complete only after the second line.
    r.enter("fn twice(a) {");
    r.pty.exp_string("...> ").unwrap();
    r.enter("  a * 2 }");
    r.prompt();
    r.eval("twice(21)", "42");
    r.eval("x.shape()", "[1024, 2]");
    r.eval(":vars", "x: Tensor [1024, 2] f32");
}

#[test]
fn errors_and_ctrl_c_keep_the_session() {
    let mut r = Repl::start();
    r.eval("let kept = 7;", "");
    r.eval("ones([2,3]).matmul(ones([2,3]))", "matmul: cannot multiply [2, 3] by [2, 3]");
    r.enter("let i = 0; loop { i += 1; }");
    std::thread::sleep(std::time::Duration::from_millis(500));
    r.pty.send_control('c').unwrap();
    r.expect("interrupted");
    r.prompt();
    r.eval("kept * 6", "42");
    r.eval("i > 0", "true");
}

#[test]
fn help_commands_and_completion() {
    let mut r = Repl::start();
    r.eval(":help randn", "randn(shape: array, options: Options) -> Tensor");
    r.eval("help(\"matmul\")", "matmul(a: Tensor, b: Tensor) -> Tensor");
    r.eval(":help", ":vars");
    r.eval("let weights = ones([3]);", "");
    // Tab completes a variable name, then Enter runs the completed line.
    r.pty.send("weig\t").unwrap();
    r.pty.flush().unwrap();
    r.expect("hts");
    r.eval("", "tensor([1., 1., 1.]");
    r.eval(":time ones([64, 64]).matmul(ones([64, 64])).sum()", "time: ");
    r.eval(":reset", "the session is empty again");
    r.eval("weights", "Variable not found: weights");
    r.enter(":quit");
    r.pty.exp_eof().unwrap();
}

#[test]
fn ctrl_d_leaves_and_history_is_written() {
    let mut r = Repl::start();
    r.eval("let remembered = 1;", "");
    r.pty.send_control('d').unwrap();
    r.pty.exp_eof().unwrap();
    let history = std::fs::read_to_string(r._home.path().join("data/difflab/history.txt")).unwrap();
    assert!(history.contains("let remembered = 1;"), "{history}");
}

#[test]
fn figures_are_drawn_inline_or_saved() {
    let mut r = Repl::start_with(&["--images", "kitty"]);
    r.eval("scatter(randn([50, 2]))", "\x1b_Ga=T,f=100");
    let mut r = Repl::start_with(&["--images", "off", "--out", "figs"]);
    r.eval("let f = line([3, 1, 2]);", "");
    r.eval("f", "saved figs/figure-1.png");
    r.eval("show(f)", "saved figs/figure-2.png");
    assert!(r._home.path().join("figs/figure-2.png").exists());
}

/// Runs `difflab` with `stdin` as its standard input: (exit code, stdout, stderr).
fn with_stdin(stdin: Stdio, input: Option<&str>) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_difflab"))
        .current_dir(home.path())
        .env("HOME", home.path())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = input {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn piped(input: &str) -> (i32, String, String) {
    with_stdin(Stdio::piped(), Some(input))
}

#[test]
fn input_from_a_pipe_runs_statement_by_statement() {
    assert_eq!(piped("print(1+1)\n"), (0, "2\n".into(), String::new()));
    // values are shown as in the REPL, statements span lines, the last needs no newline
    let (code, out, err) = piped("let x = 2;\nfn f(a) {\n  a * 3\n}\nf(x)\nlet s = \"a\";\ns + \"b\"");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "6\n\"ab\"\n", ""));
    // an error names the line of the whole input; the statements after it still run
    let (code, out, err) = piped("let x = 2;\n\nlet y = True;\nx + 1\n");
    assert_eq!(code, 1);
    assert_eq!(out, "3\n");
    assert_eq!(
        err,
        "<stdin>:3:9: Variable not found: True (Rhai writes true/false)\n 3 | let y = True;\n   |         ^\n"
    );
    // an error inside a function defined earlier shows that function's line
    let (code, _, err) = piped("fn g(a) {\n  a.frobnicate()\n}\nlet k = 1;\ng(k)\n");
    assert_eq!(code, 1);
    assert!(err.starts_with("<stdin>:2:5: unknown function frobnicate(int)\n 2 |   a.frobnicate()\n"), "{err}");
    assert!(err.contains("in function g called at <stdin>:5:1"), "{err}");
    // a syntax error, and input that ends inside a statement
    assert_eq!(piped("let = 3;\n").0, 1);
    let (code, _, err) = piped("fn h(a) {\n  a\n");
    assert_eq!(code, 1);
    assert!(err.starts_with("<stdin>:"), "{err}");
    // `:` commands work too
    let (code, out, _) = piped("let kept = 1;\nfn twice(a) { a * 2 }\n:vars\n");
    assert_eq!(code, 0);
    assert!(out.contains("kept: i64") && out.contains("fn twice(a)"), "{out}");
    // `:time` of an expression that fails shows the error, and no time
    let (_, out, err) = piped(":time undefined_thing()\n:time 1 + 1\n");
    assert!(err.contains("unknown function undefined_thing()"), "{err}");
    assert_eq!(out.matches("time: ").count(), 1, "{out}");
}

#[test]
fn a_script_file_redirected_to_the_repl_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exp.rhai");
    std::fs::write(&path, "let m = #{\n  a: 1,\n  b: [1,\n 2]\n};\nprint(m.b);\nm.a + 1\n").unwrap();
    let (code, out, err) = with_stdin(Stdio::from(std::fs::File::open(&path).unwrap()), None);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "[1, 2]\n2\n", ""));
}
