//! A scripting session: one engine, the variables, functions and imports
//! defined so far, and the text of every evaluated source for error messages.
//! `difflab run`, the REPL and the Jupyter kernel each drive one.

use super::engine::build_engine;
use super::error::{catch_panics, ErrorKind, ScriptError};
use super::help::catalog;
use rhai::{Array, Dynamic, Engine, Scope, AST};
use std::collections::HashMap;

/// Whether a piece of source is ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// It parses.
    Complete,
    /// It ends too early: more lines are coming.
    Incomplete,
    /// It cannot parse whatever follows: the message says why.
    Invalid(String),
}

/// Engine, scope, accumulated functions and the sources seen so far.
pub struct Session {
    engine: Engine,
    scope: Scope<'static>,
    functions: AST,
    sources: HashMap<String, String>,
    args: Vec<String>,
    /// The engine's module resolver, shared: what earlier evaluations imported.
    imports: super::stdlib::Resolver,
}

/// The script's command-line arguments, visible as the constant `ARGS`.
pub const ARGS: &str = "ARGS";

impl Session {
    /// A fresh session whose scripts see `args` as `ARGS`.
    pub fn new(args: Vec<String>) -> Self {
        super::error::install_panic_hook();
        let imports = super::stdlib::Resolver::default();
        let mut engine = build_engine();
        engine.set_module_resolver(imports.clone());
        engine.set_default_tag(Dynamic::from(super::experiment::Experiment::new(args.clone())));
        let mut session =
            Self { engine, imports, scope: Scope::new(), functions: AST::empty(), sources: HashMap::new(), args };
        session.push_args();
        session
    }

    fn push_args(&mut self) {
        let args: Array = self.args.iter().map(|a| Dynamic::from(a.clone())).collect();
        self.scope.push_constant(ARGS, args);
    }

    /// Forgets every variable, function and import.
    pub fn reset(&mut self) {
        *self = Self::new(std::mem::take(&mut self.args));
    }

    /// The engine (for completion and metadata).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The variables defined so far.
    pub fn scope(&self) -> &Scope<'static> {
        &self.scope
    }

    /// The script functions defined so far: (name, parameter names).
    pub fn functions(&self) -> Vec<(String, Vec<String>)> {
        self.functions
            .iter_functions()
            .map(|f| (f.name.to_string(), f.params.iter().map(|p| p.to_string()).collect()))
            .collect()
    }

    /// Evaluates `text`, named `name` in error messages (a file path, `<repl:3>`, a cell).
    /// Variables, functions and imports persist for later evaluations, also when this one fails.
    pub fn eval(&mut self, name: &str, text: &str) -> Result<Dynamic, ScriptError> {
        crate::interrupt::clear();
        self.sources.insert(name.to_string(), text.to_string());
        let mut ast =
            self.engine.compile_with_scope(&self.scope, text).map_err(|e| ScriptError::from_parse(e, name, text))?;
        ast.set_source(name);
        let mut program = self.functions.merge(&ast);
        program.set_source(name);
        let (engine, scope) = (&self.engine, &mut self.scope);
        let outcome = catch_panics(|| engine.eval_ast_with_scope::<Dynamic>(scope, &program));
        if crate::interrupt::is_requested() {
            crate::progress::interrupt_all();
        }
        crate::interrupt::clear();
        program.clear_statements();
        self.functions = program;
        self.keep_imports(&ast, name);
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(ScriptError::from_eval(*err, name, &|sig| catalog().explain_missing(sig), &|source| {
                self.source_text(source)
            })),
            Err(panic) => Err(ScriptError {
                kind: ErrorKind::Runtime,
                message: format!("internal error (a bug in difflab; please report it): {panic}"),
                location: None,
                trace: vec![],
                hint: None,
            }),
        }
    }

    /// Registers the modules imported at the top level of `ast`, so that later evaluations
    /// (REPL lines, notebook cells) still see them. Only modules that finished loading are
    /// kept: one stopped by an error or an interrupt is not run again here.
    fn keep_imports(&mut self, ast: &AST, name: &str) {
        use rhai::{Expr, Stmt};
        for stmt in ast.statements() {
            let Stmt::Import(import, _) = stmt else { continue };
            let (path, alias) = &**import;
            let Expr::StringConstant(path, _) = path else { continue };
            if alias.name.is_empty() {
                continue;
            }
            if let Some(module) = self.imports.loaded(Some(name), path) {
                self.engine.register_static_module(alias.name.as_str(), module);
            }
        }
    }

    /// Whether `text` parses, ends early, or is wrong, by Rhai's own parser.
    pub fn completeness(&self, text: &str) -> Completeness {
        completeness(&self.engine, text)
    }

    /// Records `text` as the source named `name` for error messages, without running it: a
    /// front end that runs a source piece by piece gives the whole of it read so far.
    pub fn remember_source(&mut self, name: &str, text: &str) {
        self.sources.insert(name.to_string(), text.to_string());
    }

    /// The error with its source line and call trace, for showing to the user.
    pub fn render_error(&self, err: &ScriptError) -> String {
        err.render(&|source| self.source_text(source))
    }

    /// The text of a named source: one evaluated here, a shipped module, or a file.
    fn source_text(&self, source: &str) -> Option<String> {
        if let Some(text) = self.sources.get(source) {
            return Some(text.clone());
        }
        if let Some(module) = source.strip_prefix("<stdlib>/").and_then(|s| s.strip_suffix(".rhai")) {
            return super::stdlib::source(module).map(str::to_string);
        }
        std::fs::read_to_string(source).ok()
    }
}

/// Whether `text` is complete, by `engine`'s parser: an error at the very end
/// of the input means more is coming.
pub fn completeness(engine: &Engine, text: &str) -> Completeness {
    let Err(err) = engine.compile(text) else { return Completeness::Complete };
    let (kind, pos) = (err.err_type(), err.position());
    let unterminated = matches!(kind, rhai::ParseErrorType::BadInput(rhai::LexError::UnterminatedString));
    if unterminated || matches!(kind, rhai::ParseErrorType::UnexpectedEOF) || at_end(text, pos) {
        Completeness::Incomplete
    } else {
        Completeness::Invalid(ScriptError::from_parse(err, "<input>", text).headline())
    }
}

/// Whether `pos` lies after the last non-blank character of `text`.
fn at_end(text: &str, pos: rhai::Position) -> bool {
    let Some(line) = pos.line() else { return true };
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(0, |i| i + 1);
    let last_len = lines.get(last.wrapping_sub(1)).map_or(0, |l| l.trim_end().chars().count());
    line > last || (line == last && pos.position().unwrap_or(usize::MAX) > last_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_variables_and_imports_persist() {
        let mut s = Session::new(vec!["a".into()]);
        assert!(s.eval("<1>", "fn double(x) { x * 2 } let y = 21;").unwrap().is_unit());
        let v = s.eval("<2>", "double(y)").unwrap();
        assert_eq!(v.as_int().unwrap(), 42);
        assert!(s.eval("<3>", "import \"stats\" as st;").unwrap().is_unit());
        let c = s.eval("<4>", "st::cov(tensor([[1.0, 2.0], [3.0, 6.0]])).to_array()").unwrap();
        assert_eq!(format!("{c:?}"), "[[2.0, 4.0], [4.0, 8.0]]");
        assert_eq!(s.eval("<5>", "ARGS").unwrap().into_array().unwrap().len(), 1);
    }

    #[test]
    fn errors_keep_state_and_carry_positions() {
        let mut s = Session::new(vec![]);
        assert!(s.eval("<1>", "let keep = 5;").unwrap().is_unit());
        let err = s.eval("<2>", "let z = 1;\nones([2,3]).matmul(ones([2,3]))").unwrap_err();
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(2));
        assert!(err.message.starts_with("matmul: cannot multiply [2, 3] by [2, 3]"), "{}", err.message);
        assert_eq!(s.eval("<3>", "keep").unwrap().as_int().unwrap(), 5);
    }

    #[test]
    fn completeness_follows_the_parser() {
        let s = Session::new(vec![]);
        assert_eq!(s.completeness("let x = 1;"), Completeness::Complete);
        assert_eq!(s.completeness("fn f(x) {\n  x +"), Completeness::Incomplete);
        assert_eq!(s.completeness("for i in 0..3 {"), Completeness::Incomplete);
        assert_eq!(s.completeness("let s = `multi"), Completeness::Incomplete);
        assert_eq!(s.completeness("foo(1, 2"), Completeness::Incomplete);
        assert!(matches!(s.completeness("let = 3; let y = 2;"), Completeness::Invalid(_)));
        assert!(matches!(s.completeness("1 +* 2; 3"), Completeness::Invalid(_)));
    }
}
