//! The process's exit state: which exit won and why the process is ending,
//! which thread runs the exit functions, how many guards run theirs in a
//! drop, whether the rest were abandoned, and the two settings that shape a
//! run (the timeout, and whether a second signal forces the end).
//!
//! Everything the signal handler reads is an atomic, whose load is
//! async-signal-safe; the one thread-local (a thread's own drop runs) is
//! never read there.

mod machine;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::atomic;
use crate::signal::Signal;
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
        REASON.store(0, Ordering::Release);
    }
    reset
}

/// How the process is ending, as the exit that won recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `exit()`, with its status where the C library tells it.
    Exit { code: Option<i32> },
    /// A hooked signal, with its sender where the kernel tells it.
    Signal {
        signal: Signal,
        sender_pid: Option<i32>,
        sender_uid: Option<u32>,
    },
}

/// The [`Reason`], packed into one word so that readers on any thread see
/// all of it or none of it: 0 before an exit won; else the kind in bits
/// 0-1, which optional fields are present in bits 2-4, the code or signal
/// in bits 8-39, and the sender's pid in bits 40-63 (Linux pids fit in 22
/// bits). The sender's uid is [`REASON_UID`], written before the word.
static REASON: AtomicU64 = AtomicU64::new(0);
static REASON_UID: AtomicU64 = AtomicU64::new(0);

const KIND_EXIT: u64 = 1;
const KIND_SIGNAL: u64 = 2;
const HAS_CODE: u64 = 1 << 2;
const HAS_PID: u64 = 1 << 3;
const HAS_UID: u64 = 1 << 4;

/// Records why the process is ending. Called by the exit that won, before
/// any exit function runs.
pub(crate) fn set_reason(reason: Reason) {
    let (word, uid) = pack(reason);
    REASON_UID.store(uid, Ordering::Relaxed);
    REASON.store(word, Ordering::Release);
}

/// Why the process is ending, once an exit has won.
pub(crate) fn reason() -> Option<Reason> {
    let word = REASON.load(Ordering::Acquire);
    unpack(word, || REASON_UID.load(Ordering::Relaxed))
}

/// `reason` as the word [`REASON`] holds, and the uid for [`REASON_UID`].
/// A sender pid that does not fit the word's 24 bits is left out.
fn pack(reason: Reason) -> (u64, u64) {
    match reason {
        Reason::Exit { code } => {
            let word = KIND_EXIT | code.map_or(0, |code| HAS_CODE | u64::from(code as u32) << 8);
            (word, 0)
        }
        Reason::Signal {
            signal,
            sender_pid,
            sender_uid,
        } => {
            let pid = sender_pid
                .and_then(|pid| u64::try_from(pid).ok())
                .filter(|&pid| pid < 1 << 24);
            let word = KIND_SIGNAL
                | u64::from(signal.as_raw() as u32) << 8
                | pid.map_or(0, |pid| HAS_PID | pid << 40)
                | sender_uid.map_or(0, |_| HAS_UID);
            (word, u64::from(sender_uid.unwrap_or(0)))
        }
    }
}

/// The [`Reason`] that `word` holds, reading the uid only if it has one.
fn unpack(word: u64, uid: impl FnOnce() -> u64) -> Option<Reason> {
    let value = (word >> 8) as u32 as i32;
    match word & 3 {
        KIND_EXIT => Some(Reason::Exit {
            code: (word & HAS_CODE != 0).then_some(value),
        }),
        KIND_SIGNAL => Some(Reason::Signal {
            signal: Signal::try_from(value).ok()?,
            sender_pid: (word & HAS_PID != 0).then_some((word >> 40) as i32),
            sender_uid: (word & HAS_UID != 0).then(|| uid() as u32),
        }),
        _ => None,
    }
}

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
#[cfg_attr(not(windows), allow(dead_code))]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(reason: Reason) -> Option<Reason> {
        let (word, uid) = pack(reason);
        unpack(word, || uid)
    }

    fn from(signal: Signal, sender_pid: Option<i32>, sender_uid: Option<u32>) -> Reason {
        Reason::Signal {
            signal,
            sender_pid,
            sender_uid,
        }
    }

    #[test]
    fn nothing_recorded_is_no_reason() {
        assert_eq!(unpack(0, || unreachable!("no uid to read")), None);
    }

    #[test]
    fn an_exit_keeps_its_code_whatever_its_bits() {
        for code in [
            None,
            Some(0),
            Some(3),
            Some(-1),
            Some(i32::MIN),
            Some(i32::MAX),
        ] {
            let reason = Reason::Exit { code };
            assert_eq!(round_trip(reason), Some(reason));
        }
    }

    #[test]
    fn a_signal_keeps_its_sender() {
        for (pid, uid) in [
            (None, None),
            (Some(1), Some(0)),
            (Some(4_194_304), Some(u32::MAX)),
            (Some((1 << 24) - 1), None),
        ] {
            let reason = from(Signal::SIGTERM, pid, uid);
            assert_eq!(round_trip(reason), Some(reason));
        }
    }

    /// The one test in this binary that sets the timeout: no other reads it.
    #[test]
    fn a_timeout_is_kept_and_one_too_long_to_count_stays_a_timeout() {
        for (set, read) in [
            (None, None),
            (Some(Duration::ZERO), Some(Duration::ZERO)),
            (
                Some(Duration::from_millis(300)),
                Some(Duration::from_millis(300)),
            ),
            // Past u64::MAX nanoseconds (584 years): the longest one kept, not
            // "no timeout", which is what u64::MAX means.
            (
                Some(Duration::MAX),
                Some(Duration::from_nanos(u64::MAX - 1)),
            ),
        ] {
            set_timeout(set);
            assert_eq!(timeout(), read, "{set:?}");
        }
        set_timeout(None);
    }

    #[test]
    fn a_sender_pid_that_does_not_fit_is_left_out() {
        for pid in [1 << 24, i32::MAX, -1] {
            assert_eq!(
                round_trip(from(Signal::SIGINT, Some(pid), Some(7))),
                Some(from(Signal::SIGINT, None, Some(7)))
            );
        }
    }
}
