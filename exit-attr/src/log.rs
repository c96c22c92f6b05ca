//! What exit-attr says: the log line of a hooked signal, given to each
//! distinct log function, and its own reports on stderr.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::registry;
use crate::signal::Signal;
use crate::sys;

/// Calls, once each, the distinct log functions of the registrations that
/// list `signal`, with the line `signal SIGTERM received by process with
/// PID 1234`, in registration order and outside the registry lock (a log
/// function is user code).
///
/// When another copy of exit-attr in this process has already printed the
/// line with the built-in default (`default_line_logged`; see `delivery/unix/copies.rs`),
/// this copy's built-in default does not print it again.
///
/// Allocates nothing in the usual case (a few distinct log functions): a
/// thread's first allocation makes glibc set up a memory arena for it, which
/// would otherwise sit between the signal and the exit functions.
pub(crate) fn log_signal(signal: Signal, default_line_logged: bool) {
    if default_line_logged {
        DEFAULT_LINE_LOGGED.store(true, Ordering::Release);
    }
    let mut buffer = [0_u8; LINE_CAPACITY];
    let line = format_line(signal, &mut buffer);
    let logfuns = registry::lock().logfuns_for(signal, default());
    // Log functions are the program's code, as exit functions are.
    let _mask = sys::use_program_mask();
    for logfun in logfuns.iter() {
        if logfun as usize == to_stderr as fn(&str) as usize && default_line_logged {
            continue;
        }
        if panic::catch_unwind(AssertUnwindSafe(|| logfun(line))).is_err() {
            report(format_args!("exit-attr: the log function panicked"));
        }
    }
}

#[cfg(unix)]
/// Whether the built-in default log function has printed the line, here or
/// in another copy of exit-attr that said so.
pub(crate) fn default_line_logged() -> bool {
    DEFAULT_LINE_LOGGED.load(Ordering::Acquire)
}

static DEFAULT_LINE_LOGGED: AtomicBool = AtomicBool::new(false);

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

#[cfg(unix)]
/// Formats a line and walks the registry as [`log_signal`] does, calling
/// nothing, so that the code of the signal path is in memory before a
/// signal needs it.
pub(crate) fn warm_up() {
    let mut buffer = [0_u8; LINE_CAPACITY];
    std::hint::black_box(format_line(Signal::SIGTERM, &mut buffer));
    let logfuns = registry::lock().logfuns_for(Signal::SIGTERM, default());
    logfuns.iter().for_each(|logfun| {
        std::hint::black_box(logfun);
    });
}

/// The log function of every registration that did not name one:
/// [`to_stderr`], nothing, or a function's address.
static DEFAULT: AtomicUsize = AtomicUsize::new(STDERR);
const STDERR: usize = 0;
const SILENT: usize = 1;

/// `set_default_logfun`.
pub(crate) fn set_default(logfun: Option<fn(&str)>) {
    // No function lives at address 0 or 1, the two other meanings.
    DEFAULT.store(logfun.map_or(SILENT, |f| f as usize), Ordering::Release);
}

/// The default log function now.
fn default() -> Option<fn(&str)> {
    match DEFAULT.load(Ordering::Acquire) {
        STDERR => Some(to_stderr),
        SILENT => None,
        // SAFETY: any other value was stored by `set_default` from a
        // `fn(&str)`; a function pointer survives the round trip through its
        // address.
        address => Some(unsafe { std::mem::transmute::<usize, fn(&str)>(address) }),
    }
}

/// The built-in default log function: the line on standard error.
fn to_stderr(line: &str) {
    DEFAULT_LINE_LOGGED.store(true, Ordering::Release);
    report(format_args!("{line}"));
}

/// Writes one line to standard error, ignoring failure: an exit path has
/// nowhere else to report, and must not panic because stderr is closed.
pub(crate) fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
