//! The configured Rhai engine: every built-in, output routed to the current
//! sink, interruption between operations, and the module resolver.

use super::{api, output, script_thread, stdlib};
use rhai::{Dynamic, Engine};

/// A Rhai engine with all of difflab registered.
pub fn build_engine() -> Engine {
    let mut engine = Engine::new();
    api::register_all(&mut engine);
    super::nesting::register(&mut engine);
    super::sized::register(&mut engine);
    engine.on_print(output::print);
    engine.on_debug(|text, _source, _pos| output::eprint(text));
    engine.on_progress(|_| crate::interrupt::is_requested().then_some(Dynamic::UNIT));
    engine.set_module_resolver(stdlib::Resolver::default());
    engine.set_max_call_levels(script_thread::MAX_CALL_LEVELS);
    engine.set_max_expr_depths(script_thread::MAX_EXPR_DEPTH, script_thread::MAX_EXPR_DEPTH);
    engine
}
