//! Errors at the boundary between scripts and Rust: built-in calls are
//! guarded (errors named after the built-in, panics caught), and Rhai's
//! errors become one [`ScriptError`] with a file, line and column.

use rhai::{Dynamic, EvalAltResult, NativeCallContext, ParseError, Position};
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// What a built-in returns to Rhai.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

thread_local! {
    /// Set while a guarded built-in runs: its panics are reported, not printed.
    static GUARDED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps panics inside built-ins quiet, so
/// they surface as one script error instead of a crash report.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let guarded = GUARDED.with(|g| {
                let mut slot = g.borrow_mut();
                if slot.is_some() {
                    let message = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    let place = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
                    *slot = Some(format!("{message}{place}"));
                    true
                } else {
                    false
                }
            });
            if !guarded {
                default(info);
            }
        }));
    });
}

/// Runs `body` with panics caught; a panic becomes `Err(message)`.
pub fn catch_panics<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    install_panic_hook();
    let outer = GUARDED.with(|g| g.borrow_mut().replace(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let message = GUARDED.with(|g| std::mem::replace(&mut *g.borrow_mut(), outer));
    result.map_err(|_| message.filter(|m| !m.is_empty()).unwrap_or_else(|| "unknown panic".into()))
}

/// How a built-in is named in messages: `matmul`, or `operator +`.
pub fn builtin_label(name: &str) -> String {
    if name == "index$get$" {
        return "indexing".into();
    }
    if name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') {
        name.to_string()
    } else {
        format!("operator {name}")
    }
}

/// A script error raised at `pos` with `message`.
pub fn script_error(message: impl Into<String>, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), pos))
}

/// Converts a library error into a script error named after the built-in.
pub fn from_error(label: &str, err: crate::Error, pos: Position) -> Box<EvalAltResult> {
    if err.is_interrupted() {
        return Box::new(EvalAltResult::ErrorTerminated(Dynamic::UNIT, pos));
    }
    script_error(format!("{label}: {err}"), pos)
}

/// Runs a built-in's body: its errors are prefixed with the built-in's name,
/// and a panic inside it is reported as an error instead of ending the process.
pub fn guard<T>(ctx: &NativeCallContext, body: impl FnOnce() -> crate::Result<T>) -> RhaiResult<T> {
    let label = builtin_label(ctx.fn_name());
    let _entered = super::call_context::enter(ctx);
    match catch_panics(body) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(from_error(&label, err, ctx.call_position())),
        Err(panic) => Err(script_error(
            format!("{label}: internal error (a bug in difflab; please report it): {panic}"),
            ctx.call_position(),
        )),
    }
}

/// The message for an import that found nothing.
fn module_not_found(path: &str) -> String {
    let shipped: Vec<&str> = super::stdlib::MODULES.iter().map(|(name, _)| *name).collect();
    format!(
        "module \"{path}\" not found: no file {path}.rhai beside the script and no shipped module of that name (shipped: {})",
        shipped.join(", ")
    )
}

/// Whether the variable `name` written at `line`:`column` (1-based) of `text` is assigned
/// there: `name = ...` or `name += ...` and the other compound assignments.
fn assigns_at(text: &str, line: usize, column: usize, name: &str) -> bool {
    let Some(line) = text.lines().nth(line.wrapping_sub(1)) else { return false };
    let from: String = line.chars().skip(column.saturating_sub(1)).collect();
    let Some(rest) = from.strip_prefix(name).map(str::trim_start) else { return false };
    const COMPOUND: &[&str] = &["+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^="];
    (rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>"))
        || COMPOUND.iter().any(|op| rest.starts_with(op))
}

/// What went wrong with a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The source does not parse.
    Syntax,
    /// Evaluation failed.
    Runtime,
    /// Evaluation was interrupted (Ctrl-C or a kernel interrupt).
    Interrupted,
}

/// A place in a named source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name or cell name.
    pub source: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.source, self.line, self.column)
    }
}

/// A script error ready to show: `FILE:LINE:COL: message`, the offending line,
/// and the chain of function calls that led there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// Syntax, runtime or interrupt.
    pub kind: ErrorKind,
    /// The message, without position.
    pub message: String,
    /// Where it happened, when known.
    pub location: Option<Location>,
    /// Outer calls, innermost first: `in function f called at x.rhai:3:5`.
    pub trace: Vec<String>,
    /// A line of advice below the message, for mistakes habits from other languages make.
    pub hint: Option<String>,
}

fn location(source: &str, pos: Position) -> Option<Location> {
    match (pos.line(), pos.position()) {
        (Some(line), column) => Some(Location { source: source.to_string(), line, column: column.unwrap_or(1) }),
        _ => None,
    }
}

impl ScriptError {
    /// An error in parsing `text`, the source named `source`.
    pub fn from_parse(err: ParseError, source: &str, text: &str) -> Self {
        let ParseError(kind, pos) = err;
        let reserved = match &*kind {
            rhai::ParseErrorType::Reserved(word) => match word.as_str() {
                "null" | "nil" | "void" => " (Rhai has () for no value)",
                "var" => " (Rhai declares variables with `let`)",
                "++" | "--" => " (Rhai writes `x += 1` and `x -= 1`)",
                _ => "",
            },
            rhai::ParseErrorType::UnknownOperator(op) if op == "++" || op == "--" => {
                " (Rhai writes `x += 1` and `x -= 1`)"
            }
            _ => "",
        };
        let message = format!("{kind}{reserved}");
        let mut location = location(source, pos);
        let mut hint = None;
        if let Some(l) = &mut location {
            let (advice, moved) = super::hints::for_parse(&kind, text, l.line, l.column);
            hint = advice;
            if let Some((line, column)) = moved {
                (l.line, l.column) = (line, column);
            }
        }
        Self { kind: ErrorKind::Syntax, message, location, trace: vec![], hint }
    }

    /// An error in evaluating `source`. `explain_missing` turns Rhai's
    /// "function not found" signature into a helpful message; `source_text` finds the text
    /// of a named source (to tell an assignment to an undeclared variable from a read).
    pub fn from_eval(
        err: EvalAltResult,
        source: &str,
        explain_missing: &dyn Fn(&str) -> String,
        source_text: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let mut trace = Vec::new();
        let mut current = source.to_string();
        let mut err = err;
        loop {
            match err {
                EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                    let at = location(&current, pos).map(|l| format!(" called at {l}")).unwrap_or_default();
                    trace.push(format!("in function {name}{at}"));
                    if !src.is_empty() {
                        current = src;
                    }
                    err = *inner;
                }
                EvalAltResult::ErrorInModule(path, inner, pos) => {
                    let at = location(&current, pos).map(|l| format!(" imported at {l}")).unwrap_or_default();
                    trace.push(format!("in module \"{path}\"{at}"));
                    current = path;
                    err = *inner;
                }
                other => {
                    trace.reverse();
                    return Self::leaf(other, &current, trace, explain_missing, source_text);
                }
            }
        }
    }

    fn leaf(
        mut err: EvalAltResult,
        source: &str,
        trace: Vec<String>,
        explain_missing: &dyn Fn(&str) -> String,
        source_text: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let pos = err.take_position();
        let location = location(source, pos);
        let assigned = |name: &str| {
            let Some(l) = &location else { return false };
            source_text(&l.source).is_some_and(|text| assigns_at(&text, l.line, l.column, name))
        };
        let in_function = trace.first().is_some_and(|t| t.starts_with("in function "));
        let mut hint = None;
        let (kind, message) = match err {
            EvalAltResult::ErrorTerminated(..) => (ErrorKind::Interrupted, "interrupted".to_string()),
            EvalAltResult::ErrorStackOverflow(..) => (
                ErrorKind::Runtime,
                format!(
                    "function calls nest more than {} deep (does a recursion miss its base case?)",
                    super::script_thread::MAX_CALL_LEVELS
                ),
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) => (ErrorKind::Runtime, super::sized::too_large(&what)),
            EvalAltResult::ErrorRuntime(value, _) => (ErrorKind::Runtime, value.to_string()),
            EvalAltResult::ErrorFunctionNotFound(signature, _) => (ErrorKind::Runtime, explain_missing(&signature)),
            EvalAltResult::ErrorParsing(kind, _) => {
                if let (Some(l), Some(text)) = (&location, location.as_ref().and_then(|l| source_text(&l.source))) {
                    hint = super::hints::for_parse(&kind, &text, l.line, l.column).0;
                }
                (ErrorKind::Syntax, kind.to_string())
            }
            EvalAltResult::ErrorMismatchDataType(expected, actual, _) => {
                let (expected, actual) = (super::hints::short_type(&expected), super::hints::short_type(&actual));
                hint = super::hints::for_mismatch(&actual, &expected);
                let shown = EvalAltResult::ErrorMismatchDataType(expected, actual, Position::NONE);
                (ErrorKind::Runtime, shown.to_string())
            }
            EvalAltResult::ErrorMismatchOutputType(expected, actual, _) => {
                let (expected, actual) = (super::hints::short_type(&expected), super::hints::short_type(&actual));
                let shown = EvalAltResult::ErrorMismatchOutputType(expected, actual, Position::NONE);
                (ErrorKind::Runtime, shown.to_string())
            }
            EvalAltResult::ErrorModuleNotFound(path, _) => (ErrorKind::Runtime, module_not_found(&path)),
            EvalAltResult::ErrorVariableNotFound(name, _) => {
                let hint = match name.as_str() {
                    "True" | "False" | "TRUE" | "FALSE" => " (Rhai writes true/false)".to_string(),
                    "None" | "NULL" | "undefined" => " (Rhai has () for no value)".to_string(),
                    n if assigned(n) => format!("; declare it first with `let {n} = ...`"),
                    n => {
                        if in_function {
                            hint = Some(super::hints::for_variable_in_function(n));
                        }
                        String::new()
                    }
                };
                (ErrorKind::Runtime, format!("Variable not found: {name}{hint}"))
            }
            other => (ErrorKind::Runtime, other.to_string()),
        };
        Self { kind, message, location, trace, hint }
    }

    /// `FILE:LINE:COL: message` (or just the message when the place is unknown).
    pub fn headline(&self) -> String {
        match &self.location {
            Some(l) => format!("{l}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// The headline, the offending source line with a caret under the column,
    /// and the call trace. `source_text` finds the text of a named source.
    pub fn render(&self, source_text: &dyn Fn(&str) -> Option<String>) -> String {
        let mut out = self.headline();
        if let Some(l) = &self.location {
            if let Some(line) = source_text(&l.source).and_then(|t| t.lines().nth(l.line - 1).map(str::to_string)) {
                let number = l.line.to_string();
                let pad = " ".repeat(number.len());
                let caret_at: usize =
                    line.chars().take(l.column.saturating_sub(1)).map(|c| if c == '\t' { 4 } else { 1 }).sum();
                out.push_str(&format!(
                    "\n {number} | {}\n {pad} | {}^",
                    line.replace('\t', "    "),
                    " ".repeat(caret_at)
                ));
            }
        }
        if let Some(hint) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(hint);
        }
        for t in &self.trace {
            out.push_str("\n  ");
            out.push_str(t);
        }
        out
    }
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.headline())
    }
}

impl std::error::Error for ScriptError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        let r: Result<(), String> = catch_panics(|| panic!("boom"));
        assert!(r.unwrap_err().starts_with("boom"));
        assert_eq!(catch_panics(|| 3), Ok(3));
    }

    #[test]
    fn a_panicking_builtin_becomes_a_script_error() {
        let mut engine = rhai::Engine::new();
        engine.register_fn("explode", |ctx: NativeCallContext, n: rhai::INT| -> RhaiResult<rhai::INT> {
            guard(&ctx, || {
                let v: Vec<rhai::INT> = vec![];
                Ok(v[n as usize])
            })
        });
        let err = engine.eval::<rhai::INT>("let a = 1;\nexplode(3)").unwrap_err();
        let e = ScriptError::from_eval(*err, "t.rhai", &|s| s.to_string(), &|_| None);
        assert!(
            e.message.starts_with("explode: internal error (a bug in difflab; please report it): index out of bounds"),
            "{}",
            e.message
        );
        assert_eq!(e.location.map(|l| (l.line, l.column)), Some((2, 1)));
    }

    #[test]
    fn missing_variables_get_hints() {
        let engine = rhai::Engine::new();
        let message = |text: &str| {
            let err = engine.run(text).unwrap_err();
            let source = text.to_string();
            ScriptError::from_eval(*err, "t.rhai", &|s| s.to_string(), &|_| Some(source.clone())).message
        };
        assert_eq!(message("let a = True;"), "Variable not found: True (Rhai writes true/false)");
        assert_eq!(message("let a = False;"), "Variable not found: False (Rhai writes true/false)");
        assert_eq!(message("let a = None;"), "Variable not found: None (Rhai has () for no value)");
        assert_eq!(message("let x = 1;\n  y = 3;"), "Variable not found: y; declare it first with `let y = ...`");
        assert_eq!(message("total += 1;"), "Variable not found: total; declare it first with `let total = ...`");
        assert_eq!(message("let b = y + 1;"), "Variable not found: y");
        assert_eq!(message("if y == 3 { }"), "Variable not found: y");
    }

    #[test]
    fn reserved_words_from_other_languages_get_hints() {
        let message =
            |text: &str| ScriptError::from_parse(rhai::Engine::new().compile(text).unwrap_err(), "t", text).message;
        assert_eq!(message("let a = null;"), "'null' is a reserved keyword (Rhai has () for no value)");
        assert_eq!(message("var a = 1;"), "'var' is a reserved keyword (Rhai declares variables with `let`)");
        assert_eq!(message("let i = 0; ++i;"), "'++' is a reserved symbol (Rhai writes `x += 1` and `x -= 1`)");
        assert_eq!(message("let i = 0; i--;"), "Unknown operator: '--' (Rhai writes `x += 1` and `x -= 1`)");
    }

    #[test]
    fn render_points_at_the_column() {
        let e = ScriptError {
            kind: ErrorKind::Runtime,
            message: "bad".into(),
            location: Some(Location { source: "a.rhai".into(), line: 2, column: 5 }),
            trace: vec!["in function f called at a.rhai:3:1".into()],
            hint: Some("try this".into()),
        };
        let text = e.render(&|_| Some("let x = 1;\nlet y = z;\n".into()));
        assert_eq!(
            text,
            "a.rhai:2:5: bad\n 2 | let y = z;\n   |     ^\n  hint: try this\n  in function f called at a.rhai:3:1"
        );
        assert_eq!(builtin_label("+"), "operator +");
    }
}
