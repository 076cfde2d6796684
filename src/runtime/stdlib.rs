//! The Rhai modules shipped inside the binary (`stdlib/*.rhai`), and the
//! module resolver: `import "name" as m;` finds `name.rhai` beside the
//! importing script first, then the shipped module of that name.

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The shipped modules: (name, source).
pub const MODULES: &[(&str, &str)] = &[
    ("distill", include_str!("../../stdlib/distill.rhai")),
    ("fit", include_str!("../../stdlib/fit.rhai")),
    ("flow", include_str!("../../stdlib/flow.rhai")),
    ("report", include_str!("../../stdlib/report.rhai")),
    ("stats", include_str!("../../stdlib/stats.rhai")),
    ("train", include_str!("../../stdlib/train.rhai")),
];

/// The source of a shipped module.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// How deep imports may nest (a module importing a module ...).
const MAX_IMPORT_DEPTH: usize = 64;

/// Resolves imports from files beside the importing script (or module), then from the
/// shipped modules. Each module runs once per session and is kept; a module that imports
/// itself, directly or through others, is an error naming the cycle. Clones share the
/// modules loaded so far.
#[derive(Clone, Default)]
pub struct Resolver {
    inner: std::sync::Arc<Loaded>,
}

#[derive(Default)]
struct Loaded {
    /// Finished modules by file path (or `<stdlib>/name.rhai`).
    modules: Mutex<HashMap<String, Shared<Module>>>,
    /// The modules being loaded now, outermost first.
    loading: Mutex<Vec<String>>,
}

/// Where `import "path"` inside `source` finds its file: beside `source` when that is a
/// file, else in the working folder; `.rhai` is added.
fn file_for(source: Option<&str>, path: &str) -> PathBuf {
    let base = source.map(Path::new).filter(|s| s.is_file()).and_then(Path::parent).unwrap_or(Path::new(""));
    let mut file = base.join(path);
    file.set_extension("rhai");
    file
}

fn module_error(path: &str, message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorInModule(path.into(), EvalAltResult::ErrorRuntime(message.into(), pos).into(), pos))
}

impl Resolver {
    /// The module `import "path"` inside `source` loaded earlier, without running anything.
    pub fn loaded(&self, source: Option<&str>, path: &str) -> Option<Shared<Module>> {
        let modules = self.inner.modules.lock().unwrap_or_else(|p| p.into_inner());
        let file = file_for(source, path);
        modules.get(&file.display().to_string()).or_else(|| modules.get(&shipped_name(path))).cloned()
    }

    /// Runs the module `text` named `name` (its key in the cache and in error messages)
    /// once; a second import gets the same module.
    fn load(
        &self,
        engine: &Engine,
        name: &str,
        text: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(m) = self.inner.modules.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(m.clone());
        }
        {
            let mut loading = self.inner.loading.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(start) = loading.iter().position(|l| l == name) {
                let cycle: Vec<&str> = loading[start..].iter().map(String::as_str).chain([name]).collect();
                return Err(module_error(name, format!("import cycle: {}", cycle.join(" imports ")), pos));
            }
            if loading.len() == MAX_IMPORT_DEPTH {
                return Err(module_error(name, format!("imports nest more than {MAX_IMPORT_DEPTH} modules deep"), pos));
            }
            loading.push(name.to_string());
        }
        let result = (|| {
            let mut ast =
                engine.compile(text).map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e.into(), pos)))?;
            ast.set_source(name);
            Module::eval_ast_as_new(Scope::new(), &ast, engine)
                .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e, pos)))
        })();
        self.inner.loading.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let module: Shared<Module> = result?.into();
        self.inner.modules.lock().unwrap_or_else(|p| p.into_inner()).insert(name.into(), module.clone());
        Ok(module)
    }
}

/// The name a shipped module is known by in errors and the cache.
fn shipped_name(name: &str) -> String {
    format!("<stdlib>/{name}.rhai")
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let file = file_for(source, path);
        if file.is_file() {
            let name = file.display().to_string();
            let text = crate::data::read::read_text(&file).map_err(|e| module_error(&name, e.to_string(), pos))?;
            return self.load(engine, &name, &text, pos);
        }
        match self::source(path) {
            Some(text) => self.load(engine, &shipped_name(path), text, pos),
            None => Err(Box::new(EvalAltResult::ErrorModuleNotFound(path.into(), pos))),
        }
    }
}
