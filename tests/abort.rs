//! SIGABRT: when it is hooked, `std::process::abort()`, `libc::abort()`
//! and a panic under `panic = "abort"` run the exit functions, and the
//! process still dies by SIGABRT. When it is not, `abort` runs none.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Fixture, build_fixture_package};

const TWO: &[&str] = &["--fun", "first:ABRT", "--fun", "second:"];

#[test]
fn abort_runs_them_when_sigabrt_is_hooked_and_still_dies_by_it() {
    for command in ["abort", "libc-abort"] {
        let mut fixture = Fixture::start(TWO);
        fixture.send(command);
        let outcome = fixture.finish();
        outcome.assert_died_by_hooked_signal(libc::SIGABRT);
        assert_eq!(outcome.ran(), ["ran second", "ran first"], "{command}");
    }
}

#[test]
fn an_external_sigabrt_runs_them_when_it_is_hooked() {
    let outcome = Fixture::start(TWO).end_by_hooked_signal(libc::SIGABRT);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

#[test]
fn abort_runs_nothing_when_sigabrt_is_not_hooked() {
    for command in ["abort", "libc-abort"] {
        let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
        fixture.send(command);
        fixture
            .finish()
            .assert_died_by_unhooked_signal(libc::SIGABRT);
    }
}

/// A SIGABRT sent to one thread from outside (`tgkill`, as `abort()` sends
/// it, but by another process) is not an `abort()`: the thread that
/// receives it returns from the handler, as after any hooked signal, and so
/// releases the lock that `needs_lock`, an exit function, waits for. Kept in
/// the handler, it would hold that lock until the process ended: never.
#[test]
fn a_sigabrt_sent_to_a_thread_by_another_process_does_not_keep_that_thread() {
    let mut fixture = Fixture::start(&["--fun", "needs_lock:ABRT"]);
    fixture.send("hold-lock-in-sigsuspend ABRT");
    fixture.wait_for("held sigsuspend");
    let pid = fixture.pid();
    // SAFETY: tgkill has no memory preconditions; the fixture's main thread
    // has the process's id as its thread id.
    let sent = unsafe { libc::syscall(libc::SYS_tgkill, pid, pid, libc::SIGABRT) };
    assert_eq!(sent, 0, "tgkill: {}", std::io::Error::last_os_error());
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGABRT);
    assert_eq!(outcome.ran(), ["ran needs_lock"]);
}

/// The thread that called `abort()` waits inside the signal handler for the
/// exit functions; the timeout still ends a run that hangs, by SIGABRT.
#[test]
fn abort_with_a_hanging_function_dies_by_sigabrt_at_the_timeout() {
    let mut fixture = Fixture::start(&[
        "--timeout",
        "300",
        "--fun",
        "first:ABRT",
        "--fun",
        "hangs:",
        "--fun",
        "second:",
    ]);
    fixture.send("abort");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGABRT);
    assert_eq!(outcome.ran(), ["ran second", "ran hangs"]);
}

/// An exit function that calls `abort()` ends the process there, by
/// SIGABRT, on either path: the thread that aborts is the one running the
/// exit functions, so it must not wait in the signal handler for a run that
/// only it could finish. The functions after it do not run.
#[test]
fn an_exit_function_that_aborts_ends_the_process_by_sigabrt_there() {
    for ending in ["return", "SIGTERM"] {
        let mut fixture = Fixture::start(&[
            "--fun",
            "first:ABRT,TERM",
            "--fun",
            "aborts:",
            "--fun",
            "second:",
        ]);
        if ending == "return" {
            fixture.send("return");
        } else {
            fixture.signal(libc::SIGTERM);
        }
        let outcome = fixture.finish();
        assert_eq!(
            outcome.signal(),
            Some(libc::SIGABRT),
            "{ending}: {outcome:#?}"
        );
        assert_eq!(outcome.ran(), ["ran second", "ran aborts"], "{ending}");
    }
}

/// With SIGABRT hooked, `abort()` is one more hooked-signal
/// exit, and a later one must neither cut short nor change an exit already
/// under way ("the first exit wins"; `set_force_on_second_signal` is off).
/// Another thread calls `abort()` while `gate` holds the run open; the run
/// must then finish and the process end as it was ending.
///
/// The first run is started by SIGTERM through `kill-self`, so that the
/// main thread parks and `go` reaches the gate.
// Not under an emulator (`emulated`, see the root `build.rs`): the test
// waits until the aborting thread sleeps with every signal blocked, as the
// kernel shows it, and an emulator keeps guest masks to itself.
#[cfg(not(emulated))]
#[test]
fn abort_during_a_signal_run_does_not_change_how_it_ends() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM,ABRT", "--fun", "gate:"]);
    fixture.send("abort-in-gate");
    fixture.wait_for("abort armed");
    fixture.send("kill-self TERM");
    wait_until_aborted(&mut fixture);
    fixture.send("go");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
}

/// As above, during a normal exit: the status stays 4.
// Not under an emulator (`emulated`, see the root `build.rs`): the test
// waits until the aborting thread sleeps with every signal blocked, as the
// kernel shows it, and an emulator keeps guest masks to itself.
#[cfg(not(emulated))]
#[test]
fn abort_during_a_normal_exit_does_not_change_how_it_ends() {
    let mut fixture = Fixture::start(&["--fun", "first:ABRT", "--fun", "gate:"]);
    fixture.send("abort-in-gate");
    fixture.wait_for("abort armed");
    fixture.send("exit 4");
    wait_until_aborted(&mut fixture);
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(4), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

/// Waits until the thread that printed `aborting TID` has called `abort()`
/// and waits in exit-attr's signal handler (or the process has ended).
/// Only then may the test let the exit functions finish: released earlier,
/// they could finish before the abort, which would then test nothing.
fn wait_until_aborted(fixture: &mut Fixture) {
    let line = fixture.wait_for_prefix("aborting ");
    let tid = line["aborting ".len()..]
        .parse()
        .unwrap_or_else(|_| panic!("no thread id in {line:?}"));
    fixture.wait_until_thread_waits_in_a_signal_handler(tid);
}

/// `tests/abort-fixture`, built with the `panic-abort` profile once per
/// test binary.
fn abort_fixture() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| build_fixture_package("exit-attr-abort-fixture", "panic-abort"))
}

#[test]
fn a_panic_under_panic_abort_runs_them_and_dies_by_sigabrt() {
    let program = abort_fixture().to_str().unwrap();
    let mut fixture = Fixture::start_program(program, &[], |_| {});
    fixture.send("panic now");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGABRT);
    assert_eq!(outcome.ran(), ["ran cleanup"], "{outcome:#?}");
    assert!(
        outcome.stderr.contains("panic under panic=abort"),
        "{}",
        outcome.stderr
    );
}

/// The same program's other hooked signal, for comparison.
#[test]
fn the_panic_abort_fixture_runs_them_on_sigterm_too() {
    let program = abort_fixture().to_str().unwrap();
    let fixture = Fixture::start_program(program, &[], |_| {});
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran cleanup"], "{outcome:#?}");
}
