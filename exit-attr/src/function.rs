//! The function form: registering a function at run time.

use crate::error::Error;
use crate::registry::{Callback, Entry, Identity, Label, Log};
use crate::signal::Signal;
use crate::wiring;

/// Registers `fun` to run once when the process ends: at normal exit, and
/// when any of `signals` arrives while exit-attr owns it.
///
/// `signals` may be empty: `fun` then runs at normal exit, and also when a
/// signal that another registration listed arrives. When a listed signal
/// arrives, the default log function (see [`set_default_logfun`](crate::set_default_logfun); stderr
/// unless set) is given the line `signal SIGTERM received by process with
/// PID 1234` before the exit functions run.
///
/// # The same function again
///
/// Registering the same function again adds any new signals; it never
/// makes it run twice, and it keeps its place in the order (the first
/// registration's). A function is known by its type, never by its address:
/// two distinct functions are never merged, even when an optimised build
/// gives two functions with identical bodies one address. This is why `fun`
/// is generic, and meant for named functions:
///
/// - a function item (`register_exit_fun(flush_logs, ..)`) or a closure
///   that captures nothing is known by its type: registering it again is
///   the same registration;
/// - a `fn()` pointer carries nothing but its address, so two `fn()` values
///   that point to distinct functions with identical bodies may count as
///   one in a release build: pass the function itself instead;
/// - a closure that captures is never merged with another registration
///   (two closures of one type may hold different data): prefer
///   [`register_exit_closure`](crate::register_exit_closure), which also returns a handle.
///
/// # Errors
///
/// - [`Error::ExitInProgress`] if exit functions have already started
///   (for example, when called from an exit function).
/// - [`Error::Setup`] if the operating system refused a thread or a signal
///   action (or, on macOS, the pipe that wakes exit-attr's thread); `fun` is
///   still registered for normal exit (and for the
///   signals that could be hooked).
///
/// A signal exit-attr cannot hook (`SIGKILL`, `SIGSEGV`, `SIGCHLD`, ...) has
/// no [`Signal`] constant: `Signal::try_from` and `str::parse` refuse it.
///
/// # Examples
///
/// ```
/// use exit_attr::{register_exit_fun, Error, Signal};
///
/// fn flush_logs() {
///     println!("flushing logs");
/// }
///
/// register_exit_fun(flush_logs, &[Signal::SIGTERM, Signal::SIGHUP])?;
/// // Again, with one more signal: still runs once.
/// register_exit_fun(flush_logs, &[Signal::SIGINT])?;
/// // Normal exit only.
/// register_exit_fun(|| println!("bye"), &[])?;
/// # Ok::<(), Error>(())
/// ```
#[track_caller]
pub fn register_exit_fun<F>(fun: F, signals: &[Signal]) -> Result<(), Error>
where
    F: Fn() + Send + Sync + 'static,
{
    let identity = Identity::of(&fun);
    let entry = Entry {
        callback: Callback::new(fun),
        label: Label::Caller(std::panic::Location::caller()),
        signals: signals.iter().copied().collect(),
        log: Log::Default,
    };
    wiring::register(entry, identity, signals).map(drop)
}
