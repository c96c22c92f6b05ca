//! Windows: no POSIX signals, but console control events, which play their
//! role (the mapping is .NET's: Ctrl-C is `SIGINT`, Ctrl-Break `SIGQUIT`,
//! the console window closed `SIGHUP`, logoff and shutdown `SIGTERM`). One
//! console control handler of exit-attr's runs the exit functions on the
//! thread Windows calls it on (`console.rs`); the normal exit is bridged by
//! the C runtime's `atexit` and, for `ExitProcess`, by the callbacks that
//! run when the process detaches (`exit.rs`).

mod console;
mod exit;

use crate::error::Error;
use crate::signal::Signal;

/// The normal-exit bridge, and the handler that tells Windows' default end
/// of a console event from an exit, once.
pub(crate) fn prepare_process() -> Result<(), Error> {
    exit::ensure_registered()?;
    console::note_events()
}

/// Nothing: exit functions run on the threads that Windows and the exit
/// give exit-attr, not on one of its own.
pub(crate) fn prepare_exit_path() {}

/// Listens for the console events that `signal` stands for.
pub(crate) fn hook(signal: Signal) -> Result<(), Error> {
    console::listen(signal)
}

/// Stops listening for them, once no registration lists `signal`.
pub(crate) fn give_back(signal: Signal) {
    console::stop_listening(signal);
}
