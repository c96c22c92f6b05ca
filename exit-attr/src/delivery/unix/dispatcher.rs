//! The dispatcher: the thread that turns a signal into a clean exit, and runs
//! a normal exit's functions where thread-locals still work.
//!
//! It waits on the wake-up channel with every signal blocked. For a signal
//! that is the first exit of the process, it calls the log functions and
//! runs the exit functions, then lets the handler that was installed before
//! ours run (in a real signal context, with the original `siginfo_t`), and
//! ends the process by the signal. For a normal exit, it runs the exit
//! functions and says it is done.
//!
//! The thread is a raw `pthread`, not a `std::thread`, because it must also be
//! started in a forked child from a `pthread_atfork` handler. The first
//! registration starts it.

use std::io;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::copies;
use super::handler;
use super::wake::{self, Message};
use crate::log;
use crate::run;
use crate::signal::Signal;
use crate::state::{self, Begin, Path, Reason};
use crate::sys::Lock;
use crate::sys::{self, SigInfo};

/// Starts the dispatcher if this process has none. The caller holds the
/// registry lock, so two registrations never start two dispatchers.
/// On failure, says what could not be done.
///
/// Cheap when it is running: an atomic load, no system call. (A child
/// forked by a raw `fork` system call, which runs no fork handler, inherits
/// the parent's channel and is taken to have a dispatcher; its signal
/// handler knows better, and ends such a child by the signal.)
pub(crate) fn ensure_running() -> Result<(), (&'static str, io::Error)> {
    if wake::is_started() {
        return Ok(());
    }
    start()
}

/// Opens the wake-up channel and starts the thread that reads it.
fn start() -> Result<(), (&'static str, io::Error)> {
    wake::open().map_err(|e| ("open the dispatcher's wake-up channel", e))?;
    if let Err(e) = sys::spawn_with_signals_blocked(dispatcher_main, std::ptr::null_mut()) {
        return Err(("start the dispatcher thread", e));
    }
    wake::go_live();
    #[cfg(exit_attr_tsan)]
    super::tsan::start_acceptor();
    Ok(())
}

/// How long the dispatcher waits for work before it warms up. A short-lived
/// program (a command-line tool) is done by then and never pays for the
/// warm-up, which would otherwise compete with its start and delay its exit.
const IDLE_BEFORE_WARM_UP: Duration = Duration::from_millis(1);

extern "C" fn dispatcher_main(_: *mut c_void) -> *mut c_void {
    sys::name_current_thread(c"exit-attr");
    if !wake::wait_for_request(IDLE_BEFORE_WARM_UP) {
        warm_up();
    }
    loop {
        match wake::receive() {
            Message::NormalExit => {
                run::run_remaining();
                // Signals that arrived while the functions ran are still
                // waiting. Settle them (the normal exit won, so each changes
                // nothing) before the exit goes on, so that no signal of this
                // exit is acted on after it.
                while let Some(message) = wake::receive_waiting() {
                    match message {
                        Message::Signal(info) => act_on(info, Ending::Die),
                        Message::Chained { info, flags } => act_on(info, Ending::Reply(flags)),
                        Message::NormalExit => {}
                    }
                }
                wake::normal_exit_done();
                // The process is exiting, and the first exit won: nothing is
                // left for this thread to do. Ending it now spares the exit
                // the wake-up of an idle thread that the process's end
                // would otherwise need to stop it. The channel stays live:
                // signals that come later are left in it and ignored.
                return std::ptr::null_mut();
            }
            Message::Signal(info) => act_on(info, Ending::Die),
            Message::Chained { info, flags } => act_on(info, Ending::Reply(flags)),
        }
    }
}

/// Pays, while the program runs and on this thread rather than the main
/// one, the one-time costs that would otherwise fall between a signal and
/// its exit functions: glibc's per-thread malloc arena, the standard
/// library's thread handle, the first pages of the stack, and the code of
/// the log line and of the registry walk.
fn warm_up() {
    drop(std::hint::black_box(Box::new(0_u64)));
    drop(std::thread::current());
    std::hint::black_box([0_u8; 32 * 1024]);
    log::warm_up();
}

/// How a signal run ends, once its exit functions have run.
#[derive(Clone, Copy)]
enum Ending {
    /// The signal is ours: chain the older handler, then die by it.
    Die,
    /// Another copy of exit-attr, which owns the signal, chained to our
    /// handler with these flags (`copies.rs`), and the handler waits: reply,
    /// and that copy ends the process.
    Reply(u8),
}

impl Ending {
    /// The flags another copy passed, if one chained to us.
    fn flags_in(self) -> u8 {
        match self {
            Ending::Die => 0,
            Ending::Reply(flags) => flags,
        }
    }
}

/// The signal the dispatcher is acting on, for an exit function that calls
/// `exit` and so re-enters through the `atexit` bridge on this thread.
static ACTIVE: Lock<Option<(Signal, SigInfo, Ending)>> = Lock::new(None);

/// One signal has arrived: exit cleanly if it is the first exit.
fn act_on(info: SigInfo, ending: Ending) {
    let first = match Signal::try_from(info.0.si_signo) {
        Ok(signal) if state::begin(Path::Signal) == Begin::Started => Some(signal),
        _ => None,
    };
    let Some(signal) = first else {
        // Not ours to act on, or not the first exit: a normal exit is under
        // way or done, and the first exit wins. A copy that chained to us
        // needs its answer all the same: our functions have run or are
        // running on that exit's behalf.
        if let Ending::Reply(flags) = ending {
            wake::chain_done(flags);
        }
        return;
    };
    state::set_reason(Reason::Signal {
        signal,
        sender_pid: sys::sender_pid(&info.0),
        sender_uid: sys::sender_uid(&info.0),
    });
    *ACTIVE.lock() = Some((signal, info, ending));
    let _watchdog =
        state::deadline_from_now().map(|deadline| Watchdog::start(deadline, signal, info, ending));
    log::log_signal(signal, ending.flags_in() & copies::DEFAULT_LINE_LOGGED != 0);
    run::run_remaining();
    finish(signal, &info, ending, Finisher::Dispatcher);
}

/// Ends the signal path when the timeout expires first: abandons the exit
/// functions not yet run and ends the run as it would have ended, whatever
/// the dispatcher thread is stuck in. Told to stand down by being dropped.
struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    fn start(deadline: Instant, signal: Signal, info: SigInfo, ending: Ending) -> Option<Watchdog> {
        let (done, finished) = mpsc::channel::<()>();
        // Spawned from the dispatcher, it inherits its mask: every signal
        // blocked, as `finish_signal_run` needs.
        let spawned = std::thread::Builder::new()
            .name("exit-attr-watchdog".into())
            .spawn(move || {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                    run::abandon();
                    finish(signal, &info, ending, Finisher::Watchdog);
                }
            });
        spawned.ok().map(|_| Watchdog { _done: done })
    }
}

/// Who calls [`finish`].
#[derive(Clone, Copy, PartialEq)]
enum Finisher {
    Dispatcher,
    Watchdog,
}

/// The end of a signal run, after every exit function has run (or the
/// timeout expired).
fn finish(signal: Signal, info: &SigInfo, ending: Ending, by: Finisher) {
    match ending {
        Ending::Die => finish_signal_run(signal, info, by),
        Ending::Reply(flags) => wake::chain_done(flags | copies_flags()),
    }
}

/// What this copy passes on to another that it chains to (`copies.rs`).
fn copies_flags() -> u8 {
    if log::default_line_logged() {
        copies::DEFAULT_LINE_LOGGED
    } else {
        0
    }
}

/// The end of the signal path: chain the older handler, then die by the
/// signal. Only the first caller chains. When the watchdog comes second,
/// the older handler has not returned by the deadline, and the process ends
/// now; when the dispatcher comes second, the watchdog is ending it.
fn finish_signal_run(signal: Signal, info: &SigInfo, by: Finisher) -> ! {
    static FINISHING: AtomicBool = AtomicBool::new(false);
    if FINISHING.swap(true, Ordering::AcqRel) {
        if by == Finisher::Watchdog {
            sys::die_by(signal.as_raw());
        }
        loop {
            std::thread::park();
        }
    }
    if handler::has_older_handler(signal) {
        // If it ends the process itself (say `_exit(7)`), that status stands.
        handler::chain_older_handler(signal, &info.0, copies_flags());
    }
    sys::die_by(signal.as_raw())
}

/// Called by the `atexit` bridge on the dispatcher thread when an exit
/// function called `exit` during a signal run, once the remaining functions
/// have run: the run still ends as it would have.
pub(crate) fn finish_reentered_signal_run() {
    let active = *ACTIVE.lock();
    if let Some((signal, info, ending)) = active {
        finish(signal, &info, ending, Finisher::Dispatcher);
    }
}

/// In a forked child: the parent's dispatcher thread does not exist here,
/// and what waited in the channel was the parent's. Give the child a
/// channel and a dispatcher of its own, so its signals run its exit
/// functions and never the parent's.
///
/// Runs in the `pthread_atfork` child handler, with every signal blocked and
/// the registry lock held; it calls `pthread_create` (which glibc supports
/// after `fork`), and nothing else that could take a lock. Also run, with
/// the registry lock held, by the normal exit of a child forked by the raw
/// system call, which ran no handler. Does nothing in a process whose
/// channel is its own.
pub(crate) fn restart_after_fork() {
    if !wake::is_inherited() {
        return;
    }
    let restarted = wake::reopen_after_fork()
        .map_err(drop)
        .and_then(|()| start().map_err(drop));
    if restarted.is_err() {
        sys::write_stderr(
            b"exit-attr: could not start a dispatcher thread in the forked child; its hooked signals will end it without running exit functions\n",
        );
    }
}
