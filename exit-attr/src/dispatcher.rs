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
use std::time::Instant;

use crate::handler;
use crate::log;
use crate::run;
use crate::signal::Signal;
use crate::state::{self, Begin, Path, Reason};
use crate::sync::Lock;
use crate::sys::{self, SigInfo};
use crate::wake::{self, Message};

/// Starts the dispatcher if this process has none. The caller holds the
/// registry lock, so two registrations never start two dispatchers.
/// On failure, says what could not be done.
pub(crate) fn ensure_running() -> Result<(), (&'static str, io::Error)> {
    if wake::is_live() {
        return Ok(());
    }
    start()
}

/// Opens the wake-up channel and starts the thread that reads it.
fn start() -> Result<(), (&'static str, io::Error)> {
    wake::open().map_err(|e| ("create the dispatcher's pipe", e))?;
    if let Err(e) = sys::spawn_with_signals_blocked(dispatcher_main, std::ptr::null_mut()) {
        wake::close();
        return Err(("start the dispatcher thread", e));
    }
    wake::go_live();
    Ok(())
}

extern "C" fn dispatcher_main(_: *mut c_void) -> *mut c_void {
    warm_up();
    while let Some(message) = wake::receive() {
        match message {
            Message::NormalExit => {
                run::run_remaining();
                // Signals that arrived while the functions ran are queued
                // behind the request. Settle them (the normal exit won, so
                // each changes nothing) before the exit goes on, so that no
                // signal of this exit is acted on after it.
                while let Some(Message::Signal(info)) = wake::receive_waiting() {
                    act_on(info);
                }
                wake::normal_exit_done();
            }
            Message::Signal(info) => act_on(info),
        }
    }
    // The channel failed (nothing in this crate closes it): without a reader
    // the handler's messages would be lost, so let it fall back to ending the
    // process by the signal.
    wake::go_dead();
    std::ptr::null_mut()
}

/// Pays, while the program starts and on this thread rather than the main
/// one, the one-time costs that would otherwise fall between a signal and
/// its exit functions: naming the thread, glibc's per-thread malloc arena,
/// the standard library's thread handle, the first pages of the stack, and
/// the code of the log line and of the registry walk.
fn warm_up() {
    sys::name_current_thread(c"exit-attr");
    drop(std::hint::black_box(Box::new(0_u64)));
    drop(std::thread::current());
    std::hint::black_box([0_u8; 32 * 1024]);
    log::warm_up();
}

/// The signal the dispatcher is acting on, for an exit function that calls
/// `exit` and so re-enters through the `atexit` bridge on this thread.
static ACTIVE: Lock<Option<(Signal, SigInfo)>> = Lock::new(None);

/// One signal has arrived: exit cleanly if it is the first exit.
fn act_on(info: SigInfo) {
    let Ok(signal) = Signal::try_from(info.0.si_signo) else {
        return;
    };
    match state::begin(Path::Signal) {
        Begin::Started => {}
        // A normal exit is under way or done: the first exit wins, and the
        // process ends with its exit status.
        Begin::Busy | Begin::Finished | Begin::Reentered(_) => return,
    }
    state::set_reason(Reason::Signal {
        signal,
        sender_pid: sys::sender_pid(&info.0),
        sender_uid: sys::sender_uid(&info.0),
    });
    *ACTIVE.lock() = Some((signal, info));
    let _watchdog =
        state::deadline_from_now().map(|deadline| Watchdog::start(deadline, signal, info));
    log::log_signal(signal);
    run::run_remaining();
    finish_signal_run(signal, &info);
}

/// Ends the signal path when the timeout expires first: abandons the exit
/// functions not yet run and ends the process by the signal, whatever the
/// dispatcher thread is stuck in. Told to stand down by being dropped.
struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    fn start(deadline: Instant, signal: Signal, info: SigInfo) -> Option<Watchdog> {
        let (done, finished) = mpsc::channel::<()>();
        // Spawned from the dispatcher, it inherits its mask: every signal
        // blocked, as `finish_signal_run` needs.
        let spawned = std::thread::Builder::new()
            .name("exit-attr-watchdog".into())
            .spawn(move || {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                    run::abandon();
                    finish_signal_run(signal, &info);
                }
            });
        spawned.ok().map(|_| Watchdog { _done: done })
    }
}

/// The end of the signal path, after every exit function has run (or the
/// timeout expired): chain the older handler, then die by the signal. Only
/// the first caller does it; a second (the watchdog racing the dispatcher)
/// waits for the process to end.
fn finish_signal_run(signal: Signal, info: &SigInfo) -> ! {
    static FINISHING: AtomicBool = AtomicBool::new(false);
    if FINISHING.swap(true, Ordering::AcqRel) {
        loop {
            std::thread::park();
        }
    }
    if handler::has_older_handler(signal) {
        // If it ends the process itself (say `_exit(7)`), that status stands.
        handler::chain_older_handler(signal, &info.0);
    }
    // Where the kernel will not let the process die by its own signal (PID 1
    // of a PID namespace), exit as a shell reports a death by it.
    sys::raise_default(signal.as_raw());
    sys::exit_immediately(128 + signal.as_raw())
}

/// Called by the `atexit` bridge on the dispatcher thread when an exit
/// function called `exit` during a signal run, once the remaining functions
/// have run: the process still ends by the signal.
pub(crate) fn finish_reentered_signal_run() {
    let active = *ACTIVE.lock();
    if let Some((signal, info)) = active {
        finish_signal_run(signal, &info);
    }
}

/// In a forked child: the parent's dispatcher thread does not exist here and
/// the channel belongs to the parent. Give the child a channel and a
/// dispatcher of its own, so its signals run its exit functions and never
/// the parent's.
///
/// Runs in the `pthread_atfork` child handler, with every signal blocked and
/// the registry lock held; it calls `pipe`, `fcntl`, `close` and
/// `pthread_create` (which glibc supports after `fork`), and nothing else.
pub(crate) fn restart_after_fork() {
    if !wake::is_inherited() {
        return;
    }
    wake::close();
    if start().is_err() {
        sys::write_stderr(
            b"exit-attr: could not start a dispatcher thread in the forked child; its hooked signals will end it without running exit functions\n",
        );
    }
}
