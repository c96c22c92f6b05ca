//! Running the exit functions: order, panics, and the signal log line.

use std::any::Any;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use crate::registry::{self, Entry};
use crate::signal::Signal;

/// Runs every exit function not yet run, most recently registered first, on
/// the calling thread. A function that panics is reported and the others
/// still run.
///
/// Several calls cooperate: each function is taken out of the registry before
/// it runs, so a call made from inside an exit function (through `exit`)
/// continues the sequence instead of restarting it.
pub(crate) fn run_remaining() {
    while let Some(entry) = registry::take_next() {
        run_one(&entry);
    }
}

/// Runs the remaining exit functions on a new thread and waits for it.
///
/// On the normal path the C runtime has already destroyed the exiting
/// thread's thread-locals when it calls `atexit` handlers, so running user
/// code there would make every `thread_local!` access panic. A fresh thread
/// has working thread-locals and `std::thread::current()`. If no thread can
/// be started, the functions run here, which is better than not at all.
pub(crate) fn run_remaining_on_fresh_thread() {
    let spawned = std::thread::Builder::new()
        .name("exit-attr".into())
        .spawn(run_remaining);
    match spawned {
        // The thread catches every panic of the exit functions it runs.
        Ok(thread) => drop(thread.join()),
        Err(_) => run_remaining(),
    }
}

fn run_one(entry: &Entry) {
    if let Err(payload) = panic::catch_unwind(entry.fun) {
        let message = panic_message(payload.as_ref());
        report(format_args!(
            "exit-attr: {} panicked: {message}; the remaining exit functions still run",
            entry.label
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

/// Calls, once each, the distinct log functions of the registrations that
/// list `signal`, with the line the contract fixes.
pub(crate) fn log_signal(signal: Signal) {
    let line = format!(
        "signal {signal} received by process with PID {}",
        std::process::id()
    );
    for logfun in registry::logfuns_for(signal) {
        if panic::catch_unwind(AssertUnwindSafe(|| logfun(&line))).is_err() {
            report(format_args!("exit-attr: the log function panicked"));
        }
    }
}

/// The default log function: the line on standard error.
pub(crate) fn log_to_stderr(line: &str) {
    report(format_args!("{line}"));
}

/// Writes one line to standard error, ignoring failure: an exit path has
/// nowhere else to report, and must not panic because stderr is closed.
fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
