//! The tour's rows on Windows: Ctrl-C, the console control event that
//! exit-attr maps to SIGINT, sent by the tour to its console (and so to the
//! child); the child ends as Windows' default ends it, with
//! `STATUS_CONTROL_C_EXIT` (Wine, which runs the tour in exit-attr's CI,
//! ends it with 0).

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};

use exit_attr::Signal;
use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    CTRL_C_EVENT, GenerateConsoleCtrlEvent, SetConsoleCtrlHandler,
};
use windows_sys::core::BOOL;

use crate::{BOTH, End, Row, Setup};

/// How a child ended.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Ending {
    Code(u32),
    /// Ended as Windows' default console handler ends a process.
    ByTheConsoleEvent,
}

/// Windows has no SIGHUP to ignore.
pub(crate) const HUP: [Signal; 0] = [];

/// The rows of the signals (console events), after the normal exits that
/// every platform shares (`NORMAL_EXITS`).
pub(crate) const SIGNAL_ROWS: &[Row] = &[
    Row {
        path: "Ctrl-C (SIGINT)",
        setup: Setup::Plain,
        end: End::Signal(Signal::SIGINT),
        expected_ran: BOTH,
        expected_end: Ending::ByTheConsoleEvent,
    },
    Row {
        path: "Ctrl-C, older handler chained",
        setup: Setup::OlderHandler,
        end: End::Signal(Signal::SIGINT),
        expected_ran: &["remove_pidfile", "flush_logs", "older handler"],
        expected_end: Ending::ByTheConsoleEvent,
    },
    // The newer handler owns Ctrl-C; the functions run at the exit.
    Row {
        path: "Ctrl-C, newer handler, then return",
        setup: Setup::NewerHandler,
        end: End::SignalThenReturn(Signal::SIGINT),
        expected_ran: &["newer handler", "remove_pidfile", "flush_logs"],
        expected_end: Ending::Code(0),
    },
    Row {
        path: "guard alive at Ctrl-C",
        setup: Setup::Guard,
        end: End::Signal(Signal::SIGINT),
        expected_ran: &["remove_pidfile", "remove_scratch", "flush_logs"],
        expected_end: Ending::ByTheConsoleEvent,
    },
    // At the drop, before the event: first, and only once.
    Row {
        path: "guard dropped, then Ctrl-C",
        setup: Setup::Guard,
        end: End::DropGuardThen(Signal::SIGINT),
        expected_ran: &["remove_scratch", "remove_pidfile", "flush_logs"],
        expected_end: Ending::ByTheConsoleEvent,
    },
];

/// Ctrl-C reaches every process of the console, the tour's too: the tour
/// survives it with a handler that says it handled it. (Not by ignoring
/// Ctrl-C, which its children would inherit.)
pub(crate) fn before_the_tour() {
    add_handler(survive);
}

/// The command that starts a row's child: the tour itself, for every row.
pub(crate) fn command(_: &Row, tour: PathBuf) -> Command {
    Command::new(tour)
}

/// Sends Ctrl-C to the console, and so to the child (`SIGINT` is the only
/// event the tour uses: the others cannot be sent to a program).
pub(crate) fn send(_: &Child, signal: Signal) {
    assert_eq!(signal, Signal::SIGINT, "the tour sends only Ctrl-C");
    // SAFETY: no pointer; the event goes to this console's processes.
    unsafe { GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) };
}

/// How the child ended, given how the row expects it to: Windows' default
/// ends a process on Ctrl-C with `STATUS_CONTROL_C_EXIT`, while Wine ends
/// it with 0, which only the row's expectation tells from a `return`.
pub(crate) fn ending(status: ExitStatus, expected: Ending) -> Result<Ending, String> {
    const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;
    let code = status
        .code()
        .ok_or_else(|| format!("ended in an unknown way: {status}"))? as u32;
    let by_the_event = code == STATUS_CONTROL_C_EXIT
        || (code == 0 && expected == Ending::ByTheConsoleEvent && under_wine());
    Ok(if by_the_event {
        Ending::ByTheConsoleEvent
    } else {
        Ending::Code(code)
    })
}

pub(crate) fn describe(ending: Ending) -> String {
    match ending {
        Ending::Code(code) => format!("exit code {code}"),
        Ending::ByTheConsoleEvent => "Windows, on Ctrl-C".to_owned(),
    }
}

unsafe extern "system" fn survive(_: u32) -> BOOL {
    TRUE
}

unsafe extern "system" fn older_handler(_: u32) -> BOOL {
    println!("ran older handler");
    FALSE
}

unsafe extern "system" fn newer_handler(_: u32) -> BOOL {
    println!("ran newer handler");
    TRUE
}

fn add_handler(handler: unsafe extern "system" fn(u32) -> BOOL) {
    // SAFETY: a handler of the right signature that lives as long as the
    // program.
    unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) };
}

/// A console handler installed before exit-attr's: it runs after the
/// cleanup.
pub(crate) fn install_older_handler() {
    add_handler(older_handler);
}

/// A console handler installed after exit-attr's that says it handled the
/// event: it owns Ctrl-C, as ctrlc's would.
pub(crate) fn install_newer_handler() {
    add_handler(newer_handler);
}

/// Whether this is Wine: its ntdll exports `wine_get_version`.
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    let ntdll: Vec<u16> = "ntdll.dll\0".encode_utf16().collect();
    // SAFETY: a NUL-terminated wide string; ntdll is in every process.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    let name = c"wine_get_version".as_ptr().cast();
    // SAFETY: a module handle (or null, which fails) and a C string.
    !module.is_null() && unsafe { GetProcAddress(module, name) }.is_some()
}
