//! Closures as exit functions, and the handle that unregisters them.

use crate::error::Error;
use crate::registry::Key;
use crate::signal::Signal;
use crate::wiring;

/// Registers the closure `f` to run once when the process ends, like
/// [`register_exit_fun`](fn@crate::register_exit_fun) does for a function,
/// and returns a handle that can unregister it.
///
/// Unlike functions, closures are never merged: registering two closures
/// (even equal ones) runs both. Registering and unregistering cost O(1) and
/// work from any thread.
///
/// # Errors
///
/// As [`register_exit_fun`](fn@crate::register_exit_fun):
/// [`Error::ExitInProgress`] once exit functions have started (also from
/// inside one: a running exit function can unregister, but not register),
/// and [`Error::Setup`] if a signal could not be hooked (the closure stays
/// registered for normal exit). A signal that cannot be hooked has no
/// [`Signal`] to pass.
///
/// # Examples
///
/// ```
/// use exit_attr::{register_exit_closure, Signal};
///
/// let socket = std::env::temp_dir().join("example.sock");
/// let handle = register_exit_closure(
///     move || {
///         let _ = std::fs::remove_file(&socket);
///     },
///     &[Signal::SIGTERM],
/// )?;
///
/// // The socket was closed cleanly after all: nothing to do at exit.
/// assert!(handle.unregister());
/// # Ok::<(), exit_attr::Error>(())
/// ```
#[track_caller]
pub fn register_exit_closure<F>(f: F, signals: &[Signal]) -> Result<ExitHandle, Error>
where
    F: FnOnce() + Send + 'static,
{
    wiring::register_closure(f, signals).map(|key| ExitHandle { key })
}

/// A registered exit closure, returned by [`register_exit_closure`].
///
/// Dropping the handle leaves the closure registered: call
/// [`ExitHandle::unregister`] to remove it. Handles are `Send` and `Sync`,
/// so another thread can take the registration back.
///
/// ```
/// use exit_attr::{register_exit_closure, ExitHandle};
///
/// let handle: ExitHandle = register_exit_closure(|| println!("bye"), &[])?;
/// let taken_back = std::thread::spawn(move || handle.unregister()).join().unwrap();
/// assert!(taken_back);
/// # Ok::<(), exit_attr::Error>(())
/// ```
#[derive(Debug)]
pub struct ExitHandle {
    key: Key,
}

impl ExitHandle {
    /// Removes the closure, so that it never runs. Returns `true` if it was
    /// removed before it started, and `false` if it had already started (or
    /// run, or was removed by the process's exit).
    ///
    /// O(1), from any thread, including from inside a running exit function,
    /// without waiting for the one that is running.
    ///
    /// ```
    /// let handle = exit_attr::register_exit_closure(|| println!("never printed"), &[])?;
    /// assert!(handle.unregister());
    /// # Ok::<(), exit_attr::Error>(())
    /// ```
    pub fn unregister(self) -> bool {
        wiring::unregister(self.key)
    }
}
