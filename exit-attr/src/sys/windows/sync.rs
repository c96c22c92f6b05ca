//! A mutex for static data. Windows has no `fork`, so the standard
//! library's mutex serves; a poisoned lock (a panic while it was held,
//! which exit-attr's own code never does) is still used, as the data it
//! guards stays consistent between its methods.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A mutual-exclusion lock for `static` data. Not reentrant: the crate never
/// calls user code while holding one.
pub(crate) struct Lock<T>(Mutex<T>);

impl<T> Lock<T> {
    pub(crate) const fn new(data: T) -> Lock<T> {
        Lock(Mutex::new(data))
    }

    /// Locks, blocking until the lock is free.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        Guard(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Access to the data of a [`Lock`]; unlocks when dropped.
pub(crate) struct Guard<'a, T>(MutexGuard<'a, T>);

impl<T> Deref for Guard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
