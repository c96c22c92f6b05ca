//! The exit state machine that both exit paths share: the first exit wins.
//!
//! A run of the exit functions is started at most once per process, by
//! whichever path gets there first: the normal-exit bridge (`atexit`) or the
//! dispatcher thread acting on a signal. A later path learns that it lost and
//! does what the contract says for it (wait, or do nothing).
//!
//! This file is also compiled on its own against loom's atomics, by the
//! model check in `tests/loom_state.rs` at the workspace root: it uses
//! nothing but `crate::atomic`, and holds no `static` (loom's atomics cannot
//! be built in a constant). The process's one state is built in the parent
//! module.

use crate::atomic::{self, AtomicU8, AtomicUsize, Ordering};

/// How the process is ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// `exit()`: return from `main`, `std::process::exit`, a panic out of `main`.
    Normal,
    /// A hooked signal that exit-attr owns.
    Signal,
}

/// What [`ExitState::begin`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// The caller won: it must run the exit functions.
    Started,
    /// The calling thread is the one already running them (an exit function
    /// called `exit`); `Path` is how the process was already ending.
    Reentered(Path),
    /// Another thread is running them; `Path` is how the process is
    /// ending.
    Busy(Path),
    /// They have all run.
    Finished,
}

pub(crate) const IDLE: u8 = 0;
const RUNNING_NORMAL: u8 = 1;
const RUNNING_SIGNAL: u8 = 2;
const FINISHED: u8 = 3;

/// Built with `phase` at [`IDLE`] and `runner` at 0.
pub(crate) struct ExitState {
    pub(crate) phase: AtomicU8,
    /// The identity of the thread that won (0 for none): the caller's
    /// choice, the same for every call made on one thread.
    pub(crate) runner: AtomicUsize,
}

impl ExitState {
    /// Tries to start the run of exit functions for `path` on `thread`.
    pub(crate) fn begin(&self, path: Path, thread: usize) -> Begin {
        let running = match path {
            Path::Normal => RUNNING_NORMAL,
            Path::Signal => RUNNING_SIGNAL,
        };
        match self
            .phase
            .compare_exchange(IDLE, running, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                self.runner.store(thread, Ordering::Release);
                Begin::Started
            }
            Err(FINISHED) => Begin::Finished,
            // Only the winner stores its own id, so a match means the calling
            // thread is the winner, called again from inside an exit function.
            Err(phase) if self.runner.load(Ordering::Acquire) == thread => {
                Begin::Reentered(path_of(phase))
            }
            Err(phase) => Begin::Busy(path_of(phase)),
        }
    }

    #[cfg(unix)]
    /// Whether exit functions are running now, on either path.
    /// Async-signal-safe: one atomic load.
    pub(crate) fn is_running(&self) -> bool {
        matches!(
            self.phase.load(Ordering::Acquire),
            RUNNING_NORMAL | RUNNING_SIGNAL
        )
    }

    /// Marks the run finished. On Unix only the normal path finishes: the
    /// signal path ends the process instead. On Windows a console event's
    /// run finishes too, and Windows then ends the process.
    pub(crate) fn finish(&self) {
        self.phase.store(FINISHED, Ordering::Release);
    }

    /// Blocks until the run is finished. On the signal path it never is: the
    /// process dies by the signal while the caller waits, as the contract
    /// wants ("a concurrent second path waits for the first").
    pub(crate) fn wait_until_finished(&self) {
        // Polling, not a condition variable: this wait happens at most once
        // per exiting thread, and an atomic survives `fork()` where a
        // condition variable with waiters would not.
        while self.phase.load(Ordering::Acquire) != FINISHED {
            atomic::backoff();
        }
    }

    #[cfg(unix)]
    /// In a forked child: the run (if any) belonged to a parent thread that
    /// does not exist here, unless the forking thread was the runner. Returns
    /// whether the state went back to idle.
    pub(crate) fn reset_after_fork(&self, forking_thread: usize) -> bool {
        let phase = self.phase.load(Ordering::Acquire);
        if phase == IDLE || phase == FINISHED {
            return false;
        }
        if self.runner.load(Ordering::Acquire) == forking_thread {
            return false;
        }
        self.phase.store(IDLE, Ordering::Release);
        self.runner.store(0, Ordering::Release);
        true
    }
}

/// The path of a run under way in `phase` (one of the `RUNNING_` phases).
fn path_of(phase: u8) -> Path {
    if phase == RUNNING_SIGNAL {
        Path::Signal
    } else {
        Path::Normal
    }
}
