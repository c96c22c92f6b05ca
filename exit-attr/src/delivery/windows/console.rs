//! The console control handlers: exit-attr's answer to Ctrl-C, Ctrl-Break,
//! the console window closed, logoff and shutdown.
//!
//! Windows calls the process's console handlers newest first, each on a new
//! thread, until one returns `TRUE`; when all return `FALSE`, its default
//! ends the process (`STATUS_CONTROL_C_EXIT`) with `ExitProcess`, on that
//! thread. exit-attr installs its handler ([`on_event`]) when the first
//! registration lists one of the four signals, and removes it when no
//! registration lists any. Called for an event that a registration lists,
//! it runs the exit functions right there (an ordinary thread, where
//! thread-locals work), newest first, after the log line, and returns
//! `FALSE`: the handlers installed before it run after the cleanup, and
//! Windows' default ends the process as it would have. A handler installed
//! after it (ctrlc, `tokio::signal::windows`) is called first, and one that
//! returns `TRUE` keeps the event: it owns it, and the exit functions run
//! at the later normal exit, as on Unix.
//!
//! Windows' default end is an `ExitProcess`, which the normal-exit bridge
//! would take for an exit. So a second handler, installed at the first
//! registration and never removed ([`on_any_event`]), notes the thread of
//! every event that reaches it (every handler installed after it has let
//! the event go by), and the bridge runs nothing when the process ends on
//! that thread: an event that no registration lists ends the process
//! without the exit functions, as a signal nobody hooked does on Unix.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT,
};
use windows_sys::core::BOOL;

use crate::error::Error;
use crate::log;
use crate::run;
use crate::signal::Signal;
use crate::state::{self, Begin, Path, Reason};
use crate::sys::{self, STATUS_CONTROL_C_EXIT};

/// The signals that some registration lists, as bits by number.
static LISTENED: AtomicU64 = AtomicU64::new(0);
/// Whether [`on_event`] is installed.
static LISTENING: AtomicBool = AtomicBool::new(false);
/// Whether [`on_any_event`] is installed.
static NOTING: AtomicBool = AtomicBool::new(false);
/// The thread on which the last event passed every handler newer than
/// [`on_any_event`] (0: none).
static EVENT_PASSED_BY: AtomicUsize = AtomicUsize::new(0);

fn bit(signal: Signal) -> u64 {
    1 << signal.as_raw()
}

/// Installs the handler that notes where events go by, once. The caller
/// holds the registry lock, as for the other functions here.
pub(crate) fn note_events() -> Result<(), Error> {
    if NOTING.load(Ordering::Acquire) {
        return Ok(());
    }
    install(on_any_event, None)?;
    NOTING.store(true, Ordering::Release);
    Ok(())
}

/// Listens for `signal`'s events, installing [`on_event`] if no
/// registration listed one before.
pub(crate) fn listen(signal: Signal) -> Result<(), Error> {
    if !LISTENING.load(Ordering::Acquire) {
        install(on_event, Some(signal))?;
        LISTENING.store(true, Ordering::Release);
    }
    LISTENED.fetch_or(bit(signal), Ordering::AcqRel);
    Ok(())
}

/// Stops listening for `signal`'s events, and removes [`on_event`] once
/// no registration lists any of the four.
pub(crate) fn stop_listening(signal: Signal) {
    let left = LISTENED.fetch_and(!bit(signal), Ordering::AcqRel) & !bit(signal);
    if left == 0 && LISTENING.swap(false, Ordering::AcqRel) {
        sys::remove_console_handler(on_event);
    }
}

fn install(handler: sys::ConsoleHandler, signal: Option<Signal>) -> Result<(), Error> {
    sys::add_console_handler(handler).map_err(|source| Error::Setup {
        action: "install the console control handler",
        signal,
        source,
    })
}

/// Whether the process is ending on the thread where the last event went
/// by every handler: Windows' default is ending it for that event.
pub(crate) fn ends_by_a_passed_event() -> bool {
    EVENT_PASSED_BY.load(Ordering::Acquire) == sys::thread_id()
}

/// The handler that notes where events go by. Returns `FALSE`: the next
/// handler, or Windows' default, has the event.
unsafe extern "system" fn on_any_event(_: u32) -> BOOL {
    EVENT_PASSED_BY.store(sys::thread_id(), Ordering::Release);
    FALSE
}

/// The signal that a console event stands for.
fn signal_of(event: u32) -> Option<Signal> {
    match event {
        CTRL_C_EVENT => Some(Signal::SIGINT),
        CTRL_BREAK_EVENT => Some(Signal::SIGQUIT),
        CTRL_CLOSE_EVENT => Some(Signal::SIGHUP),
        CTRL_LOGOFF_EVENT | CTRL_SHUTDOWN_EVENT => Some(Signal::SIGTERM),
        _ => None,
    }
}

/// The console control handler. Returns `FALSE` to let the older handlers
/// and Windows' default end the process; `TRUE` when the event changes
/// nothing (another exit is under way or done, and the first exit wins).
unsafe extern "system" fn on_event(event: u32) -> BOOL {
    let listed =
        signal_of(event).filter(|&signal| LISTENED.load(Ordering::Acquire) & bit(signal) != 0);
    let Some(signal) = listed else {
        return FALSE;
    };
    // Nothing may unwind out of a handler Windows calls; `run` and `log`
    // catch the panics of user code, and this is a last guard.
    let handled = std::panic::catch_unwind(|| handle(signal));
    handled.unwrap_or(FALSE)
}

fn handle(signal: Signal) -> BOOL {
    match state::begin(Path::Signal) {
        Begin::Started => {
            state::set_reason(Reason::Signal {
                signal,
                sender_pid: None,
                sender_uid: None,
            });
            let _watchdog = state::deadline_from_now().map(Watchdog::start);
            log::log_signal(signal, false);
            run::run_remaining();
            // The run is over; the end of the process is Windows' (older
            // handlers, then its default), and any exit that comes through
            // meanwhile finds nothing left to do.
            state::finish();
            FALSE
        }
        Begin::Busy(_) | Begin::Reentered(_) => {
            if state::force_on_second_signal() {
                sys::terminate_process(STATUS_CONTROL_C_EXIT);
            }
            // The first exit wins: wait for its functions, then let it end
            // the process its own way.
            state::wait_until_finished();
            TRUE
        }
        Begin::Finished => TRUE,
    }
}

/// Ends the process as Windows' default would, `STATUS_CONTROL_C_EXIT`,
/// if the exit functions have not finished by the deadline. Told to stand
/// down by being dropped.
struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    fn start(deadline: Instant) -> Watchdog {
        let (done, finished) = mpsc::channel::<()>();
        let _ = std::thread::Builder::new()
            .name("exit-attr-watchdog".into())
            .spawn(move || {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                    run::abandon();
                    sys::terminate_process(STATUS_CONTROL_C_EXIT);
                }
            });
        Watchdog { _done: done }
    }
}
