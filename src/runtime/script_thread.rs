//! The thread scripts run on, with a stack deep enough for every limit the engine
//! sets: Rhai evaluates recursively, so a script's call depth, expression depth and
//! data nesting all turn into native stack, and the main thread's 8 MB is not enough
//! for the limits a researcher may reach (a debug build takes about 30 KB a call level).

/// The stack of a script thread. Only the pages a script touches are ever committed.
pub const STACK_BYTES: usize = 512 << 20;

/// How many script function calls may be nested (Rhai's call-level limit).
pub const MAX_CALL_LEVELS: usize = 256;

/// How deep an expression, and a statement inside a function, may nest.
pub const MAX_EXPR_DEPTH: usize = 256;

/// How deep arrays and maps inside each other may be for the built-ins that walk
/// them (printing, comparing, JSON).
pub const MAX_DATA_DEPTH: usize = 256;

/// Runs `body` on a new thread with [`STACK_BYTES`] of stack and returns its result;
/// a panic in it is resumed on the caller.
pub fn run<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new().name("difflab-script".into()).stack_size(STACK_BYTES).spawn(body);
    match thread {
        Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        Err(e) => {
            eprintln!("difflab: cannot start the script thread: {e}");
            std::process::exit(1)
        }
    }
}
