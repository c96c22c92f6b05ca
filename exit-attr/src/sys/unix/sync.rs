//! A mutex that can be held across `fork()`.
//!
//! `std::sync::Mutex` cannot be locked in a `pthread_atfork` prepare handler
//! and unlocked in the parent and child handlers, which is the only way to
//! fork while another thread might be changing the data it protects. This
//! small wrapper over a statically initialised `pthread_mutex_t` can.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

/// A mutual-exclusion lock for `static` data. Not reentrant: the crate never
/// calls user code while holding one.
pub(crate) struct Lock<T> {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex serialises every access to `data`, so sharing the lock
// between threads is sound whenever the data itself may move between threads.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T> Lock<T> {
    pub(crate) const fn new(data: T) -> Lock<T> {
        Lock {
            mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
            data: UnsafeCell::new(data),
        }
    }

    /// Locks, blocking until the lock is free.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        self.lock_raw();
        Guard { lock: self }
    }

    /// Locks without a guard; the lock stays held until [`Lock::unlock_raw`].
    /// For the `fork` handlers, which lock in one function and unlock in
    /// another.
    pub(crate) fn lock_raw(&self) {
        // SAFETY: the mutex is statically initialised and never moved (the
        // lock lives in a static); a default mutex locked by a thread that
        // does not already hold it cannot fail.
        unsafe { libc::pthread_mutex_lock(self.mutex.get()) };
    }

    /// A guard for a lock that the calling thread already holds through
    /// [`Lock::lock_raw`]; dropping it unlocks.
    ///
    /// # Safety
    ///
    /// The calling thread must hold the lock, and must not use another guard
    /// of it at the same time.
    pub(crate) unsafe fn assume_locked(&self) -> Guard<'_, T> {
        Guard { lock: self }
    }

    /// Unlocks a lock taken with [`Lock::lock_raw`].
    ///
    /// # Safety
    ///
    /// The calling thread must hold the lock (in a forked child, the thread
    /// that forked is the one that took it in the parent), and no guard of
    /// it may be in use.
    pub(crate) unsafe fn unlock_raw(&self) {
        // SAFETY: the caller holds the lock, as the contract requires.
        unsafe { libc::pthread_mutex_unlock(self.mutex.get()) };
    }
}

/// Access to the data of a [`Lock`]; unlocks when dropped.
pub(crate) struct Guard<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard proves that this thread holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref, and the guard is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard proves that this thread holds the lock, and the
        // guard is gone once this returns.
        unsafe { self.lock.unlock_raw() };
    }
}
