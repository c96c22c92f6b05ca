//! Unix: POSIX signals, caught by a handler that only leaves a note and
//! wakes the dispatcher thread, which runs the exit functions; the normal
//! exit bridged by an `atexit` handler; `fork` handled around the call.
//!
//! Bottom up: `copies.rs` (how copies of exit-attr in one process
//! recognise each other), `wake/` (the channel from the handler to the
//! dispatcher), `handler.rs` (signal context), `tsan.rs` (ThreadSanitizer
//! builds only), `dispatcher.rs` (the signal path's thread), `at_exit.rs`
//! (the normal exit) and `fork.rs`.

mod at_exit;
mod copies;
mod dispatcher;
mod fork;
mod handler;
#[cfg(exit_attr_tsan)]
mod tsan;
mod wake;

use crate::error::Error;
use crate::signal::Signal;
use crate::sys;

/// What the process needs once, before anything of exit-attr's exists to
/// change a signal mask or to point into this copy's code: the program's
/// mask, recorded for exit functions to run with; this copy pinned in
/// memory if it is in a shared library; the `atexit` bridge and the fork
/// handlers.
pub(crate) fn prepare_process() -> Result<(), Error> {
    sys::record_program_mask();
    sys::pin_in_memory();
    at_exit::ensure_registered()?;
    fork::ensure_registered()
}

/// Starts the dispatcher, which runs a normal exit's functions too (the
/// exiting thread's thread-locals are gone by then): now, while the program
/// starts, rather than on the exit's critical path. If it cannot start, a
/// normal exit starts one then, or falls back to a fresh thread; hooking a
/// signal reports the failure.
pub(crate) fn prepare_exit_path() {
    let _ = dispatcher::ensure_running();
}

/// Hooks `signal`, starting the dispatcher first if this process has none.
pub(crate) fn hook(signal: Signal) -> Result<(), Error> {
    let wanted = handler::wants_install(signal).map_err(|source| Error::Setup {
        action: "read the current signal action",
        signal: Some(signal),
        source,
    })?;
    if !wanted {
        return Ok(());
    }
    dispatcher::ensure_running().map_err(|(action, source)| Error::Setup {
        action,
        signal: Some(signal),
        source,
    })?;
    handler::install(signal)?;
    #[cfg(exit_attr_tsan)]
    tsan::route_to_acceptor(signal);
    Ok(())
}

/// Gives `signal` back to the action installed before exit-attr hooked it
/// (unless a newer handler owns it now).
pub(crate) fn give_back(signal: Signal) {
    handler::uninstall(signal);
}
