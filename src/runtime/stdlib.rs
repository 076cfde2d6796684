//! The Rhai modules shipped inside the binary (`stdlib/*.rhai`), and the
//! module resolver: `import "name" as m;` finds `name.rhai` beside the
//! importing script first, then the shipped module of that name.

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::collections::HashMap;
use std::sync::Mutex;

/// The shipped modules: (name, source).
pub const MODULES: &[(&str, &str)] = &[
    ("distill", include_str!("../../stdlib/distill.rhai")),
    ("fit", include_str!("../../stdlib/fit.rhai")),
    ("report", include_str!("../../stdlib/report.rhai")),
    ("stats", include_str!("../../stdlib/stats.rhai")),
    ("train", include_str!("../../stdlib/train.rhai")),
];

/// The source of a shipped module.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Resolves imports from files beside the script, then from the shipped modules.
pub struct Resolver {
    files: FileModuleResolver,
    shipped: Mutex<HashMap<String, Shared<Module>>>,
}

impl Default for Resolver {
    fn default() -> Self {
        Self { files: FileModuleResolver::new(), shipped: Mutex::new(HashMap::new()) }
    }
}

impl Resolver {
    fn shipped(&self, engine: &Engine, name: &str, pos: Position) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(m) = self.shipped.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(m.clone());
        }
        let Some(text) = source(name) else {
            return Err(Box::new(EvalAltResult::ErrorModuleNotFound(name.into(), pos)));
        };
        let mut ast =
            engine.compile(text).map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e.into(), pos)))?;
        ast.set_source(format!("<stdlib>/{name}.rhai"));
        let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(name.into(), e, pos)))?
            .into();
        self.shipped.lock().unwrap_or_else(|p| p.into_inner()).insert(name.into(), module.clone());
        Ok(module)
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        match self.files.resolve(engine, source, path, pos) {
            Err(e) if matches!(*e, EvalAltResult::ErrorModuleNotFound(..)) => self.shipped(engine, path, pos),
            other => other,
        }
    }
}
