//! The terminal REPL on reedline: multi-line input decided by Rhai's parser,
//! Tab completion, syntax highlighting, persistent history, `:` commands, and
//! Ctrl-C that cancels a running line without losing the session. Input from a
//! pipe runs the same way, without the line editor.

mod commands;
mod completer;
mod highlighter;
pub mod inline_image;
mod prompt;
mod validator;

use crate::runtime::error::ErrorKind;
use crate::runtime::{repr::repr, Completeness, ScriptError, Session};
use reedline::{
    default_emacs_keybindings, ColumnarMenu, Emacs, FileBackedHistory, KeyCode, KeyModifiers, MenuBuilder, Reedline,
    ReedlineEvent, ReedlineMenu, Signal,
};
use rhai::Dynamic;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// How many lines the history file keeps.
const HISTORY_LINES: usize = 10_000;

/// The history file in the user's data directory (`~/.local/share/difflab/history.txt` on Linux).
pub fn history_path() -> Option<std::path::PathBuf> {
    let dir = dirs::data_dir()?.join("difflab");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("history.txt"))
}

/// What an input did: go on, or leave the REPL.
pub enum Flow {
    /// Read the next input.
    Continue,
    /// Exit.
    Quit,
}

/// Evaluates one input and shows its value (a figure drawn or saved, anything
/// else printed) or its error; returns the kind of error, if any.
pub fn evaluate(session: &mut Session, name: &str, text: &str) -> Option<ErrorKind> {
    let result = session.eval(name, text);
    show(session, result)
}

/// Shows the value or the error of an evaluation; returns the kind of error, if any.
fn show(session: &Session, result: Result<Dynamic, ScriptError>) -> Option<ErrorKind> {
    match result {
        Ok(value) => {
            match crate::runtime::display::rich(&value) {
                Some(Ok(item)) => {
                    if let Err(e) = crate::runtime::output::display(&item) {
                        eprintln!("cannot show the figure: {e}");
                    }
                }
                Some(Err(e)) => eprintln!("cannot render the figure: {e}"),
                None => {
                    if let Some(text) = repr(&value) {
                        println!("{text}");
                    }
                }
            }
            None
        }
        Err(e) if e.kind == ErrorKind::Interrupted => {
            eprintln!("interrupted");
            Some(e.kind)
        }
        Err(e) => {
            eprintln!("{}", session.render_error(&e));
            Some(e.kind)
        }
    }
}

/// The name errors give to input read from a pipe.
const STDIN: &str = "<stdin>";

/// Runs input that is not a terminal (`difflab < exp.rhai`, `echo 'print(1)' | difflab`) as
/// the REPL runs typed lines: lines gather until Rhai's parser finds a complete input, which
/// then runs with its value shown; `:` commands work. Errors name the line of the whole input
/// (`<stdin>:LINE:COL`) and reading goes on after them. Exit status 0, 1 if any input failed,
/// 130 when interrupted (reading stops).
pub fn run_piped(mut input: impl std::io::BufRead) -> ExitCode {
    let mut session = Session::new(vec![]);
    let (mut all, mut pending) = (String::new(), String::new());
    let (mut lines, mut first) = (0usize, 1usize);
    let mut failed = false;
    loop {
        let mut line = String::new();
        let at_end = match input.read_line(&mut line) {
            Ok(n) => n == 0,
            Err(e) => {
                eprintln!("difflab: cannot read standard input: {e}");
                return ExitCode::from(1);
            }
        };
        if !at_end {
            lines += 1;
            let line = line.trim_end_matches(['\n', '\r']);
            all.push_str(line);
            all.push('\n');
            pending.push_str(line);
            pending.push('\n');
        }
        let command = pending.trim_start().strip_prefix(':').map(|c| c.trim().to_string());
        let ready = at_end || command.is_some() || session.completeness(&pending) != Completeness::Incomplete;
        if ready && !pending.trim().is_empty() {
            let outcome = match command {
                Some(command) => match commands::run(&mut session, &command) {
                    Flow::Quit => break,
                    Flow::Continue => None,
                },
                None => {
                    // blank lines before the input keep its line numbers those of the whole input
                    let result = session.eval(STDIN, &format!("{}{pending}", "\n".repeat(first - 1)));
                    if result.is_err() {
                        // the error may lie in a function an earlier input defined
                        session.remember_source(STDIN, &all);
                    }
                    show(&session, result)
                }
            };
            match outcome {
                Some(ErrorKind::Interrupted) => return ExitCode::from(crate::interrupt::EXIT_INTERRUPTED),
                Some(_) => failed = true,
                None => {}
            }
        }
        if ready {
            pending.clear();
            first = lines + 1;
        }
        if at_end {
            break;
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn editor(session: &Arc<Mutex<Session>>) -> Reedline {
    let mut keybindings = default_emacs_keybindings();
    keybindings.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![ReedlineEvent::Menu("completion_menu".into()), ReedlineEvent::MenuNext]),
    );
    let menu = ColumnarMenu::default().with_name("completion_menu");
    let mut editor = Reedline::create()
        .with_validator(Box::new(validator::RhaiValidator::new()))
        .with_completer(Box::new(completer::RhaiCompleter::new(session.clone())))
        .with_highlighter(Box::new(highlighter::RhaiHighlighter::new()))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(menu)))
        .with_quick_completions(true)
        .with_partial_completions(true)
        .with_edit_mode(Box::new(Emacs::new(keybindings)));
    if let Some(path) = history_path() {
        if let Ok(history) = FileBackedHistory::with_file(HISTORY_LINES, path) {
            editor = editor.with_history(Box::new(history));
        }
    }
    editor
}

/// Runs the REPL until `:quit` or Ctrl-D; figures are drawn with `images` or saved into `out_dir`.
/// Input that is not a terminal runs as [`run_piped`] runs it.
pub fn run(images: inline_image::ImageMode, out_dir: std::path::PathBuf) -> ExitCode {
    crate::interrupt::install_handler(true);
    crate::runtime::progress_bar::TerminalBars::install_if_terminal();
    crate::runtime::output::set_sink(Arc::new(inline_image::TerminalOutput::new(images, out_dir)));
    if !std::io::stdin().is_terminal() {
        return run_piped(std::io::stdin().lock());
    }
    let session = Arc::new(Mutex::new(Session::new(vec![])));
    let mut editor = editor(&session);
    let prompt = prompt::RhaiPrompt;
    println!(
        "difflab {} (Rhai over candle). help() lists built-ins, :help the REPL commands, Ctrl-D quits.",
        env!("CARGO_PKG_VERSION")
    );
    let mut count = 0usize;
    loop {
        match editor.read_line(&prompt) {
            Ok(Signal::Success(input)) => {
                if input.trim().is_empty() {
                    continue;
                }
                count += 1;
                let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
                let flow = match input.trim_start().strip_prefix(':') {
                    Some(command) => commands::run(&mut session, command.trim()),
                    None => {
                        evaluate(&mut session, &format!("<repl:{count}>"), &input);
                        Flow::Continue
                    }
                };
                if let Flow::Quit = flow {
                    break;
                }
            }
            Ok(Signal::CtrlC) => continue,
            Ok(Signal::CtrlD) => break,
            Ok(_) => continue,
            Err(e) => {
                eprintln!("difflab: the terminal failed: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
