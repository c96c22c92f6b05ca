//! Guards: a closure that runs once, when its guard is dropped or when the
//! process ends, whichever comes first.

use crate::error::Error;
use crate::registry::Key;
use crate::signal::Signal;
use crate::wiring;

/// Registers `f` to run exactly once: when the returned guard is dropped,
/// or at exit or on one of `signals`, if that comes first.
///
/// This is cleanup that is a scope, like any guard whose `Drop` cleans up,
/// except that it also runs when the process is ending, even by a signal
/// that would otherwise skip every destructor: a temporary file or
/// directory, a lock file, a child process, for as long as one piece of
/// work runs. Other signal handlers keep working, as for every registration
/// (see the [crate documentation](crate)).
///
/// ```no_run
/// use exit_attr::{exit_guard, Signal};
///
/// fn convert(input: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
///     let scratch = std::env::temp_dir().join("convert-scratch");
///     std::fs::create_dir_all(&scratch)?;
///     let dir = scratch.clone();
///     let _guard = exit_guard(
///         move || {
///             let _ = std::fs::remove_dir_all(&dir);
///         },
///         &[Signal::SIGTERM, Signal::SIGINT],
///     )?;
///     // ... work in `scratch`; Ctrl-C, SIGTERM, `exit` or the end of this
///     // scope removes it, once.
///     Ok(())
/// }
/// ```
///
/// # Exactly once
///
/// `f` runs once, whoever gets there first: the drop, or an exit (a normal
/// one, or a hooked signal that exit-attr owns).
///
/// - Dropping the guard after `f` ran, or while it runs on the exit path,
///   does nothing more, and never waits for it.
/// - A guard dropped after the exit started but before `f`'s turn runs `f`
///   in the drop; the exit then does not.
/// - An exit that arrives while a drop runs `f` waits for `f` to finish
///   before the process ends ([`set_timeout`](crate::set_timeout) bounds that
///   wait, as it bounds every exit function).
/// - A guard dropped in a forked child runs `f` in the child; the parent's
///   registration is its own.
/// - A drop never takes a lock that the exit path holds while exit
///   functions run, so dropping a guard from inside another exit function
///   runs `f` there and then.
///
/// A panic in `f` when the guard is dropped propagates out of the drop, as
/// from any `Drop`; at exit, it is reported and the other functions run.
///
/// # Errors
///
/// As [`register_exit_closure`](crate::register_exit_closure):
/// [`Error::ExitInProgress`] once exit functions have started, and
/// [`Error::Setup`] if a signal could not be hooked (the guard then still
/// works for drops and normal exit).
#[track_caller]
pub fn exit_guard<F>(f: F, signals: &[Signal]) -> Result<ExitGuard, Error>
where
    F: FnOnce() + Send + 'static,
{
    wiring::register_closure(f, signals).map(|key| ExitGuard { key })
}

/// A closure that runs when this guard is dropped, unless the process's
/// exit ran it first. Returned by [`exit_guard`].
///
/// Guards are `Send`: one can be dropped, or dismissed, on another thread.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// let guard = exit_attr::exit_guard(move || flag.store(true, Ordering::SeqCst), &[])?;
/// drop(guard);
/// assert!(ran.load(Ordering::SeqCst));
/// # Ok::<(), exit_attr::Error>(())
/// ```
#[must_use = "a guard runs its closure when it is dropped: bind it to a name, such as `_guard`"]
#[derive(Debug)]
pub struct ExitGuard {
    key: Key,
}

impl ExitGuard {
    /// Unregisters the closure without running it. Returns `true` if it had
    /// not started (and now never will), `false` if the exit already ran it
    /// or is running it.
    ///
    /// ```
    /// let guard = exit_attr::exit_guard(|| unreachable!("dismissed"), &[])?;
    /// assert!(guard.dismiss());
    /// # Ok::<(), exit_attr::Error>(())
    /// ```
    pub fn dismiss(self) -> bool {
        let key = self.key;
        std::mem::forget(self);
        wiring::unregister(key)
    }
}

impl Drop for ExitGuard {
    /// Runs the closure on this thread, if the exit has not taken it.
    fn drop(&mut self) {
        if let Some(taken) = wiring::take_back(self.key) {
            taken.run();
        }
    }
}
