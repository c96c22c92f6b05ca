//! The exit state machine that both exit paths share: the first exit wins.
//!
//! A run of the exit functions is started at most once per process, by
//! whichever path gets there first: the normal-exit bridge (`atexit`) or the
//! dispatcher thread acting on a signal. A later path learns that it lost and
//! does what the contract says for it (wait, or do nothing).

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

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
    /// Another thread is running them.
    Busy,
    /// They have all run.
    Finished,
}

const IDLE: u8 = 0;
const RUNNING_NORMAL: u8 = 1;
const RUNNING_SIGNAL: u8 = 2;
const FINISHED: u8 = 3;

pub(crate) struct ExitState {
    phase: AtomicU8,
    /// The [`crate::sys::thread_id`] of the thread that won.
    runner: AtomicUsize,
}

/// The process's one exit state.
pub(crate) static STATE: ExitState = ExitState::new();

impl ExitState {
    pub(crate) const fn new() -> ExitState {
        ExitState {
            phase: AtomicU8::new(IDLE),
            runner: AtomicUsize::new(0),
        }
    }

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
                Begin::Reentered(if phase == RUNNING_SIGNAL {
                    Path::Signal
                } else {
                    Path::Normal
                })
            }
            Err(_) => Begin::Busy,
        }
    }

    /// Marks the run finished. Only the normal path finishes: the signal
    /// path ends the process instead.
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
            std::thread::sleep(Duration::from_millis(1));
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_path_wins_and_the_second_learns_it() {
        let state = ExitState::new();
        assert_eq!(state.begin(Path::Signal, 1), Begin::Started);
        assert_eq!(state.begin(Path::Normal, 2), Begin::Busy);
        assert_eq!(state.begin(Path::Normal, 1), Begin::Reentered(Path::Signal));
    }

    #[test]
    fn a_finished_run_is_never_started_again() {
        let state = ExitState::new();
        assert_eq!(state.begin(Path::Normal, 1), Begin::Started);
        state.finish();
        state.wait_until_finished();
        assert_eq!(state.begin(Path::Signal, 2), Begin::Finished);
        assert_eq!(state.begin(Path::Normal, 1), Begin::Finished);
    }

    #[test]
    fn a_waiter_returns_only_after_the_run_finishes() {
        let state = std::sync::Arc::new(ExitState::new());
        assert_eq!(state.begin(Path::Normal, 1), Begin::Started);
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let state = state.clone();
            std::thread::spawn(move || {
                assert_eq!(state.begin(Path::Normal, 2), Begin::Busy);
                state.wait_until_finished();
                tx.send(()).unwrap();
            })
        };
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        state.finish();
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        waiter.join().unwrap();
    }

    #[test]
    fn a_forked_child_forgets_a_run_of_another_thread() {
        let state = ExitState::new();
        assert_eq!(state.begin(Path::Signal, 1), Begin::Started);
        assert!(
            !state.reset_after_fork(1),
            "the runner itself forked: keep running"
        );
        assert!(state.reset_after_fork(2));
        assert_eq!(state.begin(Path::Normal, 2), Begin::Started);
    }
}
