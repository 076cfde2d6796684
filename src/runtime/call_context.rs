//! The call context of the built-in running now on this thread, so that Rust code deep
//! inside it (the forward pass of a network composed in a script, reached from a loss or a
//! sampler) can call back into the script's functions.

use rhai::NativeCallContext;
use std::cell::Cell;

thread_local! {
    static CURRENT: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// While alive, its context is the current one; dropping it restores the one before.
pub struct Entered {
    previous: *const (),
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Makes `ctx` the current context until the returned guard is dropped.
pub fn enter(ctx: &NativeCallContext) -> Entered {
    let pointer = (ctx as *const NativeCallContext).cast::<()>();
    Entered { previous: CURRENT.with(|c| c.replace(pointer)) }
}

/// `f` of the current context, or `None` outside every built-in.
pub fn with<T>(f: impl FnOnce(&NativeCallContext) -> T) -> Option<T> {
    let pointer = CURRENT.with(Cell::get);
    if pointer.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer was set by `enter` from a reference to a context that
    // outlives the `Entered` it returned (the guard lives inside the built-in's call, the
    // context in its caller), and that guard resets the pointer when dropped; guards are
    // dropped in reverse order of entry on this one thread, so the pointer always refers
    // to a context still alive on this thread's stack. `f` cannot keep the reference.
    let ctx = unsafe { &*pointer.cast::<NativeCallContext>() };
    Some(f(ctx))
}
