//! Running the exit functions: newest first, each once, a panic reported and
//! survived, and the rest abandoned when the timeout expires.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Instant;

use crate::log::report;
use crate::registry::{self, Callback, Entry};
use crate::state;

/// Runs every exit function not yet run, most recently registered first, on
/// the calling thread. A function that panics is reported and the others
/// still run.
///
/// Several calls cooperate: each function is taken out of the registry before
/// it runs, so a call made from inside an exit function (through `exit`)
/// continues the sequence instead of restarting it.
pub(crate) fn run_remaining() {
    state::run_on_this_thread();
    while !state::is_abandoned() {
        // A statement of its own, so that the lock is released before the
        // function runs: it may register or unregister.
        let next = registry::lock().take_next();
        let Some(entry) = next else {
            break;
        };
        run_one(entry);
    }
}

/// Runs the remaining exit functions on a new thread and waits for it, at
/// most until `deadline`.
///
/// On the normal path the C runtime has already destroyed the exiting
/// thread's thread-locals when it calls `atexit` handlers, so running user
/// code there would make every `thread_local!` access panic. A fresh thread
/// has working thread-locals and `std::thread::current()`. If no thread can
/// be started, the functions run here, which is better than not at all.
pub(crate) fn run_remaining_on_fresh_thread(deadline: Option<Instant>) {
    let (done, finished) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("exit-attr".into())
        .spawn(move || {
            run_remaining();
            drop(done);
        });
    let Ok(thread) = spawned else {
        run_remaining();
        return;
    };
    match deadline {
        // The thread catches every panic of the exit functions it runs.
        None => drop(thread.join()),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            // Disconnected means the thread finished; only a timeout is news.
            if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                abandon();
            }
        }
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
    let outcome = match callback {
        Callback::Function(function) => panic::catch_unwind(function),
        Callback::Closure(closure) => panic::catch_unwind(AssertUnwindSafe(closure)),
    };
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
