//! The REPL driven through a pseudo-terminal, as a user types into it.

use rexpect::session::{spawn_command, PtySession};
use std::process::Command;

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
