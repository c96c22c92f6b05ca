//! A model check of the exit state machine (`exit-attr/src/state/machine.rs`) with
//! loom, which runs each scenario under every interleaving of its threads
//! that the memory model allows: one run at most, the first exit wins, and a
//! waiter never returns while the functions are still running.
//!
//! The real `state/machine.rs` is compiled here against loom's atomics, through a
//! `crate::atomic` module of the same shape as the runtime's.

use loom::sync::Arc;
use loom::sync::atomic::AtomicUsize;
use loom::thread;

/// What `state/machine.rs` imports as `crate::atomic`.
mod atomic {
    pub(crate) use loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    pub(crate) fn backoff() {
        loom::thread::yield_now();
    }
}

#[path = "../exit-attr/src/state/machine.rs"]
#[allow(dead_code)] // the runtime uses parts this model does not
mod state;

use state::{Begin, ExitState, Path};

fn idle() -> ExitState {
    ExitState {
        phase: atomic::AtomicU8::new(state::IDLE),
        runner: atomic::AtomicUsize::new(0),
    }
}

/// What the `atexit` bridge does with the state: run the functions if it
/// won (counting the runs in `ran`), wait if another thread is running them.
/// Returns only when they have all run.
fn exit(state: &ExitState, ran: &AtomicUsize, thread: usize) {
    match state.begin(Path::Normal, thread) {
        Begin::Started => {
            ran.fetch_add(1, atomic::Ordering::SeqCst);
            state.finish();
        }
        Begin::Busy(_) => state.wait_until_finished(),
        Begin::Finished => {}
        Begin::Reentered(_) => panic!("thread {thread} never started a run"),
    }
}

/// Explores interleavings with up to three preemptions: the waiting loop
/// spins, which an unbounded search would follow forever.
fn model(scenario: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(scenario);
}

#[test]
fn concurrent_exits_run_the_functions_once_and_never_return_early() {
    model(|| {
        let state = Arc::new(idle());
        let ran = Arc::new(AtomicUsize::new(0));
        let other = {
            let (state, ran) = (state.clone(), ran.clone());
            thread::spawn(move || {
                exit(&state, &ran, 1);
                // Whoever returns, returns after the one run finished.
                assert_eq!(ran.load(atomic::Ordering::SeqCst), 1);
            })
        };
        exit(&state, &ran, 2);
        assert_eq!(ran.load(atomic::Ordering::SeqCst), 1);
        other.join().unwrap();
    });
}

#[test]
fn a_signal_and_an_exit_race_and_exactly_one_wins() {
    model(|| {
        let state = Arc::new(idle());
        let signal = {
            let state = state.clone();
            thread::spawn(move || state.begin(Path::Signal, 1))
        };
        let normal = state.begin(Path::Normal, 2);
        let signal = signal.join().unwrap();
        let outcomes = [signal, normal];
        assert_eq!(
            outcomes.iter().filter(|&&b| b == Begin::Started).count(),
            1,
            "{outcomes:?}"
        );
        // The loser sees the winner's run in progress: nobody has finished
        // it yet.
        match outcomes {
            [Begin::Started, normal] => assert_eq!(normal, Begin::Busy(Path::Signal)),
            [signal, _] => assert_eq!(signal, Begin::Busy(Path::Normal)),
        }
    });
}

#[test]
fn a_signal_after_a_finished_exit_starts_nothing() {
    model(|| {
        let state = Arc::new(idle());
        let ran = Arc::new(AtomicUsize::new(0));
        // The normal path, without its wait: a signal run would end the
        // process, which a model cannot do.
        let exiting = {
            let (state, ran) = (state.clone(), ran.clone());
            thread::spawn(move || {
                let begin = state.begin(Path::Normal, 1);
                if begin == Begin::Started {
                    ran.fetch_add(1, atomic::Ordering::SeqCst);
                    state.finish();
                }
                begin
            })
        };
        let signal = state.begin(Path::Signal, 2);
        let normal = exiting.join().unwrap();
        match (signal, normal) {
            (Begin::Started, Begin::Busy(_)) => assert_eq!(ran.load(atomic::Ordering::SeqCst), 0),
            (Begin::Busy(_) | Begin::Finished, Begin::Started) => {
                assert_eq!(ran.load(atomic::Ordering::SeqCst), 1);
            }
            outcome => panic!("not exactly one winner: {outcome:?}"),
        }
    });
}

#[test]
fn the_runner_calling_exit_again_is_told_it_reentered() {
    model(|| {
        let state = idle();
        assert_eq!(state.begin(Path::Signal, 7), Begin::Started);
        assert!(state.is_running());
        assert_eq!(state.begin(Path::Normal, 7), Begin::Reentered(Path::Signal));
        assert_eq!(state.begin(Path::Normal, 8), Begin::Busy(Path::Signal));
    });
}

#[test]
fn a_forked_child_forgets_a_run_of_another_thread() {
    model(|| {
        let state = idle();
        assert_eq!(state.begin(Path::Signal, 1), Begin::Started);
        assert!(
            !state.reset_after_fork(1),
            "the runner itself forked: keep running"
        );
        assert!(state.reset_after_fork(2));
        assert_eq!(state.begin(Path::Normal, 2), Begin::Started);
        state.finish();
        assert!(!state.reset_after_fork(3), "a finished run stays finished");
        assert_eq!(state.begin(Path::Normal, 3), Begin::Finished);
    });
}
