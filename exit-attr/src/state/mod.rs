//! The process's exit state: which exit won, which thread runs the exit
//! functions, whether the rest were abandoned, and the two settings that
//! shape a run (the timeout, and whether a second signal forces the end).
//!
//! All of it is atomics, so that the signal handler can read any of it: a
//! load is async-signal-safe.

mod machine;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::atomic;
use crate::sys;

pub(crate) use machine::{Begin, Path};

/// The process's one exit state machine. Built here rather than in
/// `machine.rs`, which is also compiled against loom's atomics, whose
/// constructors are not `const`.
static STATE: machine::ExitState = machine::ExitState {
    phase: atomic::AtomicU8::new(machine::IDLE),
    runner: atomic::AtomicUsize::new(0),
};

/// Tries to start the run of exit functions for `path` on the calling
/// thread: the first exit wins.
pub(crate) fn begin(path: Path) -> Begin {
    STATE.begin(path, sys::thread_id())
}

/// Whether exit functions are running now, on either path.
/// Async-signal-safe.
pub(crate) fn is_running() -> bool {
    STATE.is_running()
}

/// Marks the normal path's run finished.
pub(crate) fn finish() {
    STATE.finish();
}

/// Blocks until the normal path's run is finished (on the signal path, the
/// process ends first).
pub(crate) fn wait_until_finished() {
    STATE.wait_until_finished();
}

/// In a forked child: forgets a run that belonged to another parent thread.
/// Returns whether the state went back to idle.
pub(crate) fn reset_after_fork() -> bool {
    STATE.reset_after_fork(sys::thread_id())
}

/// The [`sys::thread_id`] of the thread running exit functions now (0
/// before any run): the signal handler must know whether an `abort()` comes
/// from an exit function.
static EXECUTING: AtomicUsize = AtomicUsize::new(0);

/// Records that exit functions run on the calling thread from now on.
pub(crate) fn run_on_this_thread() {
    EXECUTING.store(sys::thread_id(), Ordering::Release);
}

/// Whether the calling thread is the one running exit functions.
/// Async-signal-safe.
pub(crate) fn runs_on_this_thread() -> bool {
    EXECUTING.load(Ordering::Acquire) == sys::thread_id()
}

/// Set when the timeout expired: the functions not started by then are
/// abandoned.
static ABANDONED: AtomicBool = AtomicBool::new(false);

/// Abandons the exit functions not started yet. Returns true the first
/// time, so that only one caller reports it.
pub(crate) fn abandon() -> bool {
    !ABANDONED.swap(true, Ordering::AcqRel)
}

pub(crate) fn is_abandoned() -> bool {
    ABANDONED.load(Ordering::Acquire)
}

/// `set_timeout`'s value in nanoseconds; `u64::MAX` for none.
static TIMEOUT_NANOS: AtomicU64 = AtomicU64::new(u64::MAX);

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

/// The moment a run that starts now must end by, if a timeout is set (and
/// is not so long that the clock cannot name that moment).
pub(crate) fn deadline_from_now() -> Option<Instant> {
    timeout().and_then(|t| Instant::now().checked_add(t))
}

/// `set_force_on_second_signal`'s value.
static FORCE_ON_SECOND_SIGNAL: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_force_on_second_signal(force: bool) {
    FORCE_ON_SECOND_SIGNAL.store(force, Ordering::Release);
}

/// Whether a hooked signal that arrives during a run ends the process at
/// once. Async-signal-safe.
pub(crate) fn force_on_second_signal() -> bool {
    FORCE_ON_SECOND_SIGNAL.load(Ordering::Acquire)
}
