//! The tour's rows on Unix: signals, sent to the child with `kill`; the
//! child ends by the signal (`ExitStatusExt::signal`).

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};

use exit_attr::Signal;

use crate::{BOTH, End, Row, Setup};

/// How a child ended.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Ending {
    Code(i32),
    Signal(i32),
}

/// The extra signal of the `HupIgnored` row.
pub(crate) const HUP: [Signal; 1] = [Signal::SIGHUP];

/// The rows of the signals (console events), after the normal exits that
/// every platform shares (`NORMAL_EXITS`).
pub(crate) const SIGNAL_ROWS: &[Row] = &[
    Row {
        path: "SIGTERM",
        setup: Setup::Plain,
        end: End::Signal(Signal::SIGTERM),
        expected_ran: BOTH,
        expected_end: Ending::Signal(libc::SIGTERM),
    },
    Row {
        path: "SIGINT (Ctrl-C)",
        setup: Setup::Plain,
        end: End::Signal(Signal::SIGINT),
        expected_ran: BOTH,
        expected_end: Ending::Signal(libc::SIGINT),
    },
    Row {
        path: "SIGHUP, not hooked",
        setup: Setup::Plain,
        end: End::Signal(Signal::SIGHUP),
        expected_ran: &[],
        expected_end: Ending::Signal(libc::SIGHUP),
    },
    Row {
        path: "SIGTERM, older handler chained",
        setup: Setup::OlderHandler,
        end: End::Signal(Signal::SIGTERM),
        expected_ran: &["remove_pidfile", "flush_logs", "older handler"],
        expected_end: Ending::Signal(libc::SIGTERM),
    },
    // The newer handler owns SIGTERM; the functions run at the exit.
    Row {
        path: "SIGTERM, newer handler, then return",
        setup: Setup::NewerHandler,
        end: End::SignalThenReturn(Signal::SIGTERM),
        expected_ran: &["newer handler", "remove_pidfile", "flush_logs"],
        expected_end: Ending::Code(0),
    },
    Row {
        path: "SIGHUP ignored at start, then return",
        setup: Setup::HupIgnored,
        end: End::SignalThenReturn(Signal::SIGHUP),
        expected_ran: BOTH,
        expected_end: Ending::Code(0),
    },
    Row {
        path: "guard alive at SIGTERM",
        setup: Setup::Guard,
        end: End::Signal(Signal::SIGTERM),
        expected_ran: &["remove_pidfile", "remove_scratch", "flush_logs"],
        expected_end: Ending::Signal(libc::SIGTERM),
    },
    // At the drop, before the signal: first, and only once.
    Row {
        path: "guard dropped, then SIGTERM",
        setup: Setup::Guard,
        end: End::DropGuardThen(Signal::SIGTERM),
        expected_ran: &["remove_scratch", "remove_pidfile", "flush_logs"],
        expected_end: Ending::Signal(libc::SIGTERM),
    },
];

/// Nothing to prepare: signals go to one process.
pub(crate) fn before_the_tour() {}

/// The command that starts a row's child: the tour itself, and for the
/// `HupIgnored` row, the tour run by `nohup`, which starts it with SIGHUP
/// ignored (and, its stdio being pipes, changes nothing else).
///
/// A `pre_exec` that ignores SIGHUP would do the same with a `fork`, and
/// exit-attr's fork handler then starts the child's own thread before
/// `exec`. Natively that is fine; under qemu-user (where CI runs this tour
/// for ARM64), a thread created in the child of a fork hangs there when a
/// thread of the parent had just ended, as the tour's pipe readers have.
pub(crate) fn command(row: &Row, tour: PathBuf) -> Command {
    if row.setup == Setup::HupIgnored {
        let mut nohup = Command::new("nohup");
        nohup.arg(tour);
        nohup
    } else {
        Command::new(tour)
    }
}

pub(crate) fn send(child: &Child, signal: Signal) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as libc::pid_t, signal.as_raw()) };
}

/// How the child ended (Unix tells it by itself: the expectation is
/// not needed).
pub(crate) fn ending(status: ExitStatus, _: Ending) -> Result<Ending, String> {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ok(Ending::Code(code)),
        (None, Some(signal)) => Ok(Ending::Signal(signal)),
        _ => Err(format!("ended in an unknown way: {status}")),
    }
}

pub(crate) fn describe(ending: Ending) -> String {
    match ending {
        Ending::Code(code) => format!("exit code {code}"),
        Ending::Signal(number) => match Signal::try_from(number) {
            Ok(signal) => format!("signal {signal}"),
            Err(_) => format!("signal {number}"),
        },
    }
}

/// Prints `ran NAME` with `write(2)`, which a signal handler may call.
fn say_in_a_handler(line: &[u8]) {
    // SAFETY: write(2) is async-signal-safe; the buffer is valid.
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
}

extern "C" fn older_handler(_: libc::c_int) {
    say_in_a_handler(b"ran older handler\n");
}

extern "C" fn newer_handler(_: libc::c_int) {
    say_in_a_handler(b"ran newer handler\n");
}

fn install(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction with a valid plain handler and empty mask.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// A SIGTERM handler installed before exit-attr's: chained after the
/// cleanup.
pub(crate) fn install_older_handler() {
    install(older_handler);
}

/// A SIGTERM handler installed after exit-attr's: it owns the signal, as
/// tokio's or signal-hook's would.
pub(crate) fn install_newer_handler() {
    install(newer_handler);
}
