//! The normal-exit bridge: one handler, registered with `atexit` (or glibc's
//! `on_exit`, which also passes the exit status), that runs the exit
//! functions when the process calls `exit()` (return from `main`,
//! `std::process::exit`, a panic that unwinds out of `main`).

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::dispatcher;
use super::wake::{self, Waited};
use crate::error::Error;
use crate::registry;
use crate::run;
use crate::state::{self, Begin, Path, Reason};
use crate::sys;

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Registers the bridge with `atexit`, once per process. The caller holds the
/// registry lock.
pub(crate) fn ensure_registered() -> Result<(), Error> {
    if REGISTERED.load(Ordering::Acquire) {
        return Ok(());
    }
    sys::on_exit_handler(bridge).map_err(|source| Error::Setup {
        action: "register the atexit handler",
        signal: None,
        source,
    })?;
    REGISTERED.store(true, Ordering::Release);
    Ok(())
}

/// What glibc's `on_exit` calls, with the status given to `exit`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn bridge(status: c_int, _: *mut std::os::raw::c_void) {
    on_exit(Some(status));
}

/// What `atexit` calls: the C library does not say the status.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
extern "C" fn bridge() {
    on_exit(None);
}

fn on_exit(code: Option<c_int>) {
    // If this thread was running a guard's function in a drop, that function
    // called `exit`: it never returns, and no exit may wait for it.
    state::exiting_from_drop_runs();
    match state::begin(Path::Normal) {
        Begin::Started => {
            state::set_reason(Reason::Exit { code });
            // On timeout, return: the C runtime then ends the process with
            // the status it was exiting with, ending the abandoned thread.
            run_normal_exit(state::deadline_from_now());
            state::finish();
        }
        // An exit function called `exit` on the dispatcher thread: run the
        // rest, and still end by the signal. The signal run's watchdog, if
        // any, keeps watching the time.
        Begin::Reentered(Path::Signal) => {
            run_remaining_on_fresh_thread(None);
            dispatcher::finish_reentered_signal_run();
        }
        // Only possible when the functions run on the exiting thread itself
        // (no thread could be started) and one of them called `libc::exit`:
        // carry on with the rest.
        Begin::Reentered(Path::Normal) => run::run_remaining(),
        // Another thread is running them: wait, so that this exit never
        // finishes before they do. On the signal path the wait ends with the
        // process.
        Begin::Busy(_) => state::wait_until_finished(),
        Begin::Finished => {}
    }
}

/// Runs the exit functions off the exiting thread, whose thread-locals the C
/// runtime has already destroyed: on the dispatcher, which registering
/// started (or, if it could not, which is started now), or on a fresh thread
/// when there can be none. Waits until they have run, or until `deadline`,
/// when the rest are abandoned.
fn run_normal_exit(deadline: Option<Instant>) {
    if !wake::is_live() {
        let _registry = registry::lock();
        // A child forked by the raw system call ran no fork handler: the
        // channel it inherited is its parent's, and no dispatcher reads it
        // here. It gets its own now, so that a signal during this exit
        // changes nothing, as in any process (and not, for want of a
        // dispatcher, end it by the signal).
        dispatcher::restart_after_fork();
        let _ = dispatcher::ensure_running();
    }
    if !wake::request_normal_exit() {
        run_remaining_on_fresh_thread(deadline);
        return;
    }
    match wake::wait_for_normal_exit(deadline) {
        Waited::Done => {}
        Waited::TimedOut => run::abandon(),
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
fn run_remaining_on_fresh_thread(deadline: Option<Instant>) {
    static FINISHED: AtomicBool = AtomicBool::new(false);

    extern "C" fn fresh_thread(_: *mut c_void) -> *mut c_void {
        sys::name_current_thread(c"exit-attr");
        run::run_remaining();
        FINISHED.store(true, Ordering::Release);
        std::ptr::null_mut()
    }

    let Ok(thread) = sys::spawn_joinable(fresh_thread, std::ptr::null_mut()) else {
        run::run_remaining();
        return;
    };
    let Some(deadline) = deadline else {
        thread.join();
        return;
    };
    // Polling: this fallback runs at most once per process, when no
    // dispatcher could be started.
    while !FINISHED.load(Ordering::Acquire) {
        if Instant::now() >= deadline {
            run::abandon();
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    thread.join();
}
