//! What exit-attr says: the log line of a hooked signal, given to each
//! distinct log function, and its own reports on stderr.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use crate::registry;
use crate::signal::Signal;

/// Calls, once each, the distinct log functions of the registrations that
/// list `signal`, with the line `signal SIGTERM received by process with
/// PID 1234`, in registration order and outside the registry lock (a log
/// function is user code).
///
/// Allocates nothing in the usual case (a few distinct log functions): a
/// thread's first allocation makes glibc set up a memory arena for it, which
/// would otherwise sit between the signal and the exit functions.
pub(crate) fn log_signal(signal: Signal) {
    let mut buffer = [0_u8; LINE_CAPACITY];
    let line = format_line(signal, &mut buffer);
    let logfuns = registry::lock().logfuns_for(signal);
    for logfun in logfuns.iter() {
        if panic::catch_unwind(AssertUnwindSafe(|| logfun(line))).is_err() {
            report(format_args!("exit-attr: the log function panicked"));
        }
    }
}

/// Room for the longest log line (59 bytes).
const LINE_CAPACITY: usize = 96;

/// Formats the log line for `signal` into `buffer`.
fn format_line(signal: Signal, buffer: &mut [u8; LINE_CAPACITY]) -> &str {
    let length = {
        let mut cursor = &mut buffer[..];
        let _ = write!(
            cursor,
            "signal {signal} received by process with PID {}",
            std::process::id()
        );
        LINE_CAPACITY - cursor.len()
    };
    std::str::from_utf8(&buffer[..length]).unwrap_or_default()
}

/// Formats a line and walks the registry as [`log_signal`] does, calling
/// nothing, so that the code of the signal path is in memory before a
/// signal needs it.
pub(crate) fn warm_up() {
    let mut buffer = [0_u8; LINE_CAPACITY];
    std::hint::black_box(format_line(Signal::SIGTERM, &mut buffer));
    let logfuns = registry::lock().logfuns_for(Signal::SIGTERM);
    logfuns.iter().for_each(|logfun| {
        std::hint::black_box(logfun);
    });
}

/// The default log function: the line on standard error.
pub(crate) fn to_stderr(line: &str) {
    report(format_args!("{line}"));
}

/// Writes one line to standard error, ignoring failure: an exit path has
/// nowhere else to report, and must not panic because stderr is closed.
pub(crate) fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
