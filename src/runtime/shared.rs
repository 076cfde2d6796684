//! Script values with reference semantics: an optimizer or an EMA passed to a
//! script function is the same object, not a copy, as in Python.

use std::sync::{Arc, Mutex, MutexGuard};

/// A value shared by every script variable that holds it.
pub struct Shared<T>(Arc<Mutex<T>>);

impl<T> Shared<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(Arc::new(Mutex::new(value)))
    }

    /// Exclusive access to the value.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}
