//! Whoever installs a handler after exit-attr owns the signal. When
//! tokio, ctrlc or signal-hook handles SIGTERM, exit-attr does nothing on
//! the signal (no log line, no exit functions, no death by the signal); the
//! exit functions run once at the normal exit that follows.

mod common;

use common::Fixture;

const TWO: &[&str] = &["--fun", "first:TERM", "--fun", "second:TERM"];

/// Installs the owner with `command`, sends SIGTERM `signals` times once it
/// is ready (the later ones after it reported the first, as `reported`), and
/// checks that the owner reported the signal, then `main` returned normally
/// and ran the exit functions once, without exit-attr logging or acting on
/// the signal.
fn assert_owner_handles_sigterm(command: &str, reported: &str, signals: usize) {
    let mut fixture = Fixture::start(TWO);
    fixture.send(command);
    fixture.wait_for("owner ready");
    fixture.signal(libc::SIGTERM);
    fixture.wait_for(reported);
    for _ in 1..signals {
        fixture.signal(libc::SIGTERM);
    }
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.after("owner ready"),
        [reported, "ran second", "ran first"]
    );
    assert_eq!(outcome.stderr_count(&outcome.log_line("SIGTERM")), 0);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn tokio_owns_sigterm_and_the_functions_run_at_the_normal_exit() {
    assert_owner_handles_sigterm("tokio", "tokio received SIGTERM", 1);
}

#[test]
fn a_second_sigterm_after_tokio_handled_the_first_changes_nothing() {
    // Whether it arrives before, during or after the exit functions, tokio's
    // handler still owns SIGTERM: the outcome is the same.
    assert_owner_handles_sigterm("tokio", "tokio received SIGTERM", 2);
}

#[test]
fn ctrlc_owns_sigterm_and_the_functions_run_at_the_normal_exit() {
    assert_owner_handles_sigterm("ctrlc", "ctrlc received a signal", 1);
}

#[test]
fn signal_hook_owns_sigterm_and_the_functions_run_at_the_normal_exit() {
    assert_owner_handles_sigterm("signal-hook", "signal-hook flag set", 1);
}
