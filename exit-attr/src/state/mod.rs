//! The process's exit state: which exit won (`machine.rs`, through the
//! functions here) and why the process is ending (`reason.rs`), which
//! thread runs the exit functions and whether the rest were abandoned
//! (here), how many guards run theirs in a drop (`drop_runs.rs`), and the
//! two settings that shape a run (`settings.rs`).
//!
//! Everything the signal handler reads is an atomic, whose load is
//! async-signal-safe; the one thread-local (a thread's own drop runs) is
//! never read there.

mod drop_runs;
mod machine;
mod reason;
mod settings;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::atomic;
use crate::sys;

#[cfg(windows)]
pub(crate) use drop_runs::other_threads_are_gone;
#[cfg(unix)]
pub(crate) use drop_runs::reset_drop_runs_after_fork;
pub(crate) use drop_runs::{DropRun, drop_run, drop_runs_in_progress, exiting_from_drop_runs};
pub(crate) use machine::{Begin, Path};
pub(crate) use reason::{Reason, reason, set_reason};
pub(crate) use settings::{
    deadline_from_now, force_on_second_signal, set_force_on_second_signal, set_timeout, timeout,
};

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

#[cfg(unix)]
/// Whether exit functions are running now, on either path.
/// Async-signal-safe.
pub(crate) fn is_running() -> bool {
    STATE.is_running()
}

/// Marks the run finished.
pub(crate) fn finish() {
    STATE.finish();
}

/// Blocks until the normal path's run is finished (on the signal path, the
/// process ends first).
pub(crate) fn wait_until_finished() {
    STATE.wait_until_finished();
}

#[cfg(unix)]
/// In a forked child: forgets a run that belonged to another parent thread,
/// and why it ran. Returns whether the state went back to idle.
pub(crate) fn reset_after_fork() -> bool {
    let reset = STATE.reset_after_fork(sys::thread_id());
    if reset {
        reason::forget();
    }
    reset
}

/// The [`sys::thread_id`] of the thread running exit functions now (0
/// before any run): the signal handler must know whether an `abort()` comes
/// from an exit function.
static EXECUTING: AtomicUsize = AtomicUsize::new(0);

/// Records that exit functions run on the calling thread from now on.
pub(crate) fn run_on_this_thread() {
    EXECUTING.store(sys::thread_id(), Ordering::Release);
}

#[cfg(unix)]
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
