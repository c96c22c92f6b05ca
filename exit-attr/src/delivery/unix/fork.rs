//! What happens around `fork()`.
//!
//! A child created by `fork()` keeps the parent's registrations (its memory is
//! a copy) and the parent's signal handlers, but not the parent's dispatcher
//! thread, and it inherits the requests that were waiting for that thread.
//! Left alone, a signal sent to the child would wait for a dispatcher that is
//! not there. So exit-attr registers `pthread_atfork` handlers:
//!
//! - before `fork`, in the forking thread: block every signal, then take the
//!   registry lock, so the child never inherits it held or half-changed;
//! - after `fork`, in the parent: release the lock, restore the signal mask;
//! - after `fork`, in the child: forget any exit run that belonged to another
//!   parent thread, give the child its own wake-up channel and dispatcher
//!   thread (if the parent had one), release the lock, restore the signal
//!   mask. Signals sent to the child in the meantime stay pending until
//!   then, and are then handled by the child's own dispatcher.
//!
//! Between `fork` and `exec` (`Command` with `pre_exec`, for example), the
//! child therefore runs: `pthread_sigmask`, `pthread_mutex_unlock`, `getpid`,
//! atomic stores, the `pthread_attr_*` functions and `pthread_create` for the
//! new dispatcher (which then sleeps until `exec` replaces the process); where
//! the wake-up is a semaphore, `sem_destroy` and `sem_init`, and where it is a
//! pipe, `fstat`, `close`, `pipe` and `fcntl`. None of these allocates
//! through Rust's allocator or takes a lock that another parent thread could
//! have held. `posix_spawn` and `vfork`, which `Command` uses when it has no
//! `pre_exec`, do not run fork handlers at all. A child created by a raw
//! `fork` system call skips them too; the signal handler notices that it is
//! not running in the process that owns the wake-up channel and ends that
//! child by the signal instead of waiting for a dispatcher. Its normal exit
//! starts the child's own dispatcher (`at_exit.rs`), so that a signal during
//! that exit changes nothing.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};

use super::dispatcher;
use super::handler;
use crate::error::Error;
use crate::registry::REGISTRY;
use crate::state;
use crate::sys::{self, SigSet};

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The forking thread's signal mask, saved by [`prepare`] for [`parent`] and
/// [`child`].
struct SavedMask(UnsafeCell<Option<SigSet>>);

// SAFETY: only the fork handlers touch it, and they run between taking and
// releasing the registry lock, so one fork at a time.
unsafe impl Sync for SavedMask {}

static SAVED_MASK: SavedMask = SavedMask(UnsafeCell::new(None));

/// Registers the fork handlers, once per process. The caller holds the
/// registry lock.
pub(crate) fn ensure_registered() -> Result<(), Error> {
    if REGISTERED.load(Ordering::Acquire) {
        return Ok(());
    }
    // SAFETY: the three handlers are `extern "C" fn()`s that never unwind.
    let status = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    if status != 0 {
        return Err(Error::Setup {
            action: "register the fork handlers",
            signal: None,
            source: std::io::Error::from_raw_os_error(status),
        });
    }
    REGISTERED.store(true, Ordering::Release);
    Ok(())
}

extern "C" fn prepare() {
    let previous = sys::thread_mask(libc::SIG_SETMASK, &SigSet::full());
    REGISTRY.lock_raw();
    // SAFETY: this thread now holds the registry lock (see SavedMask).
    unsafe { *SAVED_MASK.0.get() = Some(previous) };
}

/// Releases what [`prepare`] took, in the parent or the child.
fn release() {
    // SAFETY: this thread took the registry lock in prepare (see SavedMask),
    // and no guard of it is in use.
    let previous = unsafe {
        let previous = (*SAVED_MASK.0.get()).take();
        REGISTRY.unlock_raw();
        previous
    };
    if let Some(previous) = previous {
        sys::thread_mask(libc::SIG_SETMASK, &previous);
    }
}

extern "C" fn parent() {
    release();
}

extern "C" fn child() {
    {
        // SAFETY: prepare took the lock on the forking thread, which is the
        // only thread of the child; this guard is the only one.
        let mut registry = unsafe { REGISTRY.assume_locked() };
        if state::reset_after_fork() {
            registry.reopen();
        }
        // Keep the lock: release() unlocks it.
        std::mem::forget(registry);
    }
    state::reset_drop_runs_after_fork();
    handler::reset_after_fork();
    dispatcher::restart_after_fork();
    release();
}
