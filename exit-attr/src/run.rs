//! Running the exit functions: newest first, each once, a panic reported and
//! survived, and the rest abandoned when the timeout expires.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::log::report;
use crate::registry::{self, Entry};
use crate::state;
use crate::sys;

/// Runs every exit function not yet run, most recently registered first, on
/// the calling thread. A function that panics is reported and the others
/// still run.
///
/// Several calls cooperate: each function is taken out of the registry before
/// it runs, so a call made from inside an exit function (through `exit`)
/// continues the sequence instead of restarting it.
///
/// Returns once every function has run, including those that guards took
/// back to run in a drop (on other threads), or once the rest were
/// abandoned.
///
/// The functions run with the program's signal mask (see `sys/unix/mask.rs`; Windows has no signal masks),
/// whatever the calling thread blocks.
pub(crate) fn run_remaining() {
    state::run_on_this_thread();
    let _mask = sys::use_program_mask();
    while !state::is_abandoned() {
        // A statement of its own, so that the lock is released before the
        // function runs: it may register or unregister.
        let next = registry::lock().take_next();
        let Some(entry) = next else {
            break;
        };
        run_one(entry);
    }
    // Polling: a drop racing the exit is rare, and the timeout still bounds
    // this wait (the watchdog or the bridge abandons the run).
    while state::drop_runs_in_progress() && !state::is_abandoned() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Gives up on the exit functions still to run, and says so once.
pub(crate) fn abandon() {
    if state::abandon() {
        let timeout = state::timeout().unwrap_or_default();
        report(format_args!(
            "exit-attr: exit functions did not finish within {timeout:?}; abandoning the rest"
        ));
    }
}

fn run_one(entry: Entry) {
    let Entry {
        callback, label, ..
    } = entry;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| callback.call()));
    if let Err(payload) = outcome {
        let message = panic_message(payload.as_ref());
        report(format_args!(
            "exit-attr: {label} panicked: {message}; the remaining exit functions still run"
        ));
    }
}

/// The message of a panic payload, as the standard panic hook prints it.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}
