//! Running the exit functions: newest first, each once, a panic reported and
//! survived, and the rest abandoned when the timeout expires.

use std::any::Any;
use std::os::raw::c_void;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::log::report;
use crate::mask;
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
/// The functions run with the program's signal mask (see `mask.rs`),
/// whatever the calling thread blocks.
pub(crate) fn run_remaining() {
    state::run_on_this_thread();
    let _mask = mask::use_program_mask();
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

/// Runs the remaining exit functions on a new thread and waits for it, at
/// most until `deadline`.
///
/// For an exiting thread whose thread-locals the C runtime has already
/// destroyed (it calls `atexit` handlers after that), when the dispatcher
/// cannot run them: user code there would make every `thread_local!` access
/// panic. A fresh thread has working thread-locals and
/// `std::thread::current()`. It is a raw thread: the standard library's
/// spawn uses the spawning thread's thread-locals, and some toolchains (Rust
/// 1.85) panic there. If no thread can be started, the functions run here,
/// which is better than not at all.
pub(crate) fn run_remaining_on_fresh_thread(deadline: Option<Instant>) {
    static FINISHED: AtomicBool = AtomicBool::new(false);

    extern "C" fn fresh_thread(_: *mut c_void) -> *mut c_void {
        sys::name_current_thread(c"exit-attr");
        run_remaining();
        FINISHED.store(true, Ordering::Release);
        std::ptr::null_mut()
    }

    let Ok(thread) = sys::spawn_joinable(fresh_thread, std::ptr::null_mut()) else {
        run_remaining();
        return;
    };
    let Some(deadline) = deadline else {
        thread.join();
        return;
    };
    // Polling: this fallback runs at most once per process, and it must not
    // need a descriptor, which may be what the dispatcher lacked.
    while !FINISHED.load(Ordering::Acquire) {
        if Instant::now() >= deadline {
            abandon();
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    thread.join();
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
