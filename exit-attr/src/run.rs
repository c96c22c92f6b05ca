//! Running the exit functions: order, panics, the timeout, and the signal
//! log line.

use std::any::Any;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::registry::{self, Callback, Entry};
use crate::signal::Signal;
use crate::sys;

/// `set_timeout`'s value in nanoseconds; `u64::MAX` for none.
static TIMEOUT_NANOS: AtomicU64 = AtomicU64::new(u64::MAX);

/// Set when the timeout expired: the functions not started by then are
/// abandoned.
static ABANDONED: AtomicBool = AtomicBool::new(false);

/// The [`sys::thread_id`] of the thread running exit functions now (0 before
/// any run), for the signal handler.
static EXECUTING: AtomicUsize = AtomicUsize::new(0);

/// Whether the calling thread is the one running exit functions.
/// Async-signal-safe: one atomic load.
pub(crate) fn runs_on_this_thread() -> bool {
    EXECUTING.load(Ordering::Acquire) == sys::thread_id()
}

pub(crate) fn set_timeout(timeout: Option<Duration>) {
    let nanos = timeout.map_or(u64::MAX, |t| {
        u64::try_from(t.as_nanos()).unwrap_or(u64::MAX - 1)
    });
    TIMEOUT_NANOS.store(nanos, Ordering::Release);
}

/// The configured timeout, if any.
pub(crate) fn timeout() -> Option<Duration> {
    match TIMEOUT_NANOS.load(Ordering::Acquire) {
        u64::MAX => None,
        nanos => Some(Duration::from_nanos(nanos)),
    }
}

/// Runs every exit function not yet run, most recently registered first, on
/// the calling thread. A function that panics is reported and the others
/// still run.
///
/// Several calls cooperate: each function is taken out of the registry before
/// it runs, so a call made from inside an exit function (through `exit`)
/// continues the sequence instead of restarting it.
pub(crate) fn run_remaining() {
    EXECUTING.store(sys::thread_id(), Ordering::Release);
    while !ABANDONED.load(Ordering::Acquire) {
        let Some(entry) = registry::take_next() else {
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

/// The moment the run that starts now must end by, if a timeout is set.
pub(crate) fn deadline_from_now() -> Option<Instant> {
    timeout().map(|t| Instant::now() + t)
}

/// Gives up on the exit functions still to run, and says so.
pub(crate) fn abandon() {
    if !ABANDONED.swap(true, Ordering::AcqRel) {
        let timeout = timeout().unwrap_or_default();
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

/// Calls, once each, the distinct log functions of the registrations that
/// list `signal`, with the line the contract fixes.
///
/// Allocates nothing in the usual case (a few distinct log functions): a
/// thread's first allocation makes glibc set up a memory arena for it, which
/// would otherwise sit between the signal and the exit functions.
pub(crate) fn log_signal(signal: Signal) {
    let mut buffer = [0_u8; LINE_CAPACITY];
    let line = log_line(signal, &mut buffer);
    registry::with_logfuns_for(signal, |logfun| {
        if panic::catch_unwind(AssertUnwindSafe(|| logfun(line))).is_err() {
            report(format_args!("exit-attr: the log function panicked"));
        }
    });
}

/// Room for the longest log line (59 bytes).
const LINE_CAPACITY: usize = 96;

/// Formats the log line for `signal` into `buffer`.
fn log_line(signal: Signal, buffer: &mut [u8; LINE_CAPACITY]) -> &str {
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

/// Runs the signal path's formatting and registry walk once without calling
/// anything, so that their code is in memory before a signal needs it.
pub(crate) fn log_line_for_warm_up() {
    let mut buffer = [0_u8; LINE_CAPACITY];
    std::hint::black_box(log_line(Signal::SIGTERM, &mut buffer));
    registry::with_logfuns_for(Signal::SIGTERM, |logfun| {
        std::hint::black_box(logfun);
    });
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
