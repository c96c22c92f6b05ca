//! Guards that run their function in a drop, which an exit waits for.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many guards are running their function in a drop: an exit that
/// finds its own functions all run waits for them. And how many of those
/// will never finish, because their function called `exit`.
static DROP_RUNS: AtomicUsize = AtomicUsize::new(0);
static STUCK_DROP_RUNS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// How many of the drop runs are on this thread. `const` and without a
    /// destructor, so that it can still be read while the thread exits,
    /// when its thread-locals with destructors are gone.
    static DROP_RUNS_HERE: Cell<usize> = const { Cell::new(0) };
}

/// Counts a guard's function as running in a drop until the returned
/// value is dropped. The caller holds the registry lock, so that an exit
/// which takes the last function after that also sees this count.
pub(crate) fn drop_run() -> DropRun {
    DROP_RUNS.fetch_add(1, Ordering::AcqRel);
    DROP_RUNS_HERE.set(DROP_RUNS_HERE.get() + 1);
    DropRun(())
}

/// A guard's function running in a drop, counted by [`drop_run`].
pub(crate) struct DropRun(());

impl Drop for DropRun {
    fn drop(&mut self) {
        DROP_RUNS_HERE.set(DROP_RUNS_HERE.get().saturating_sub(1));
        DROP_RUNS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether some guard is running its function in a drop, one that can
/// still finish.
pub(crate) fn drop_runs_in_progress() -> bool {
    DROP_RUNS.load(Ordering::Acquire) > STUCK_DROP_RUNS.load(Ordering::Acquire)
}

/// Called by an exit on the exiting thread: the drop runs on this thread
/// never finish (one of their functions is what calls `exit`), and the exit
/// must not wait for them.
pub(crate) fn exiting_from_drop_runs() {
    let here = DROP_RUNS_HERE.replace(0);
    if here != 0 {
        STUCK_DROP_RUNS.fetch_add(here, Ordering::AcqRel);
    }
}

/// When every other thread is gone (Windows ends them all before the
/// process-detach callbacks run): no drop run can finish any more, and the
/// exit must not wait for one.
#[cfg(windows)]
pub(crate) fn other_threads_are_gone() {
    STUCK_DROP_RUNS.store(
        DROP_RUNS
            .load(Ordering::Acquire)
            .saturating_sub(DROP_RUNS_HERE.get()),
        Ordering::Release,
    );
}

#[cfg(unix)]
/// In a forked child: only the forking thread exists, so only its own drop
/// runs can finish there.
pub(crate) fn reset_drop_runs_after_fork() {
    DROP_RUNS.store(DROP_RUNS_HERE.get(), Ordering::Release);
    STUCK_DROP_RUNS.store(0, Ordering::Release);
}
