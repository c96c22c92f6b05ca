//! A handler installed before exit-attr hooked a signal is chained, not
//! overwritten: it runs once, after the exit functions, with that signal;
//! if it returns, the process ends by the signal, and if it ends the process
//! itself, that status stands. A signal that was ignored stays ignored.

mod common;

use std::os::unix::process::CommandExt;

use common::Fixture;

#[test]
fn an_older_handler_that_returns_runs_once_after_the_functions() {
    let fixture = Fixture::start(&[
        "--older",
        "returns:TERM",
        "--fun",
        "first:TERM",
        "--fun",
        "second:",
    ]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        ["ran second", "ran first", "older handler ran for 15"]
    );
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

/// Each registration hooks the signals it lists; the second one that lists
/// SIGTERM must not record exit-attr's own handler as the older one.
#[test]
fn an_older_handler_is_chained_once_however_many_registrations_list_the_signal() {
    let fixture = Fixture::start(&[
        "--older",
        "returns:TERM",
        "--fun",
        "first:TERM",
        "--fun",
        "second:TERM",
        "--guard",
        "g:TERM",
    ]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [
            "ran g",
            "ran second",
            "ran first",
            "older handler ran for 15"
        ]
    );
}

#[test]
fn an_older_handler_that_calls_exit_keeps_its_status() {
    let fixture = Fixture::start(&[
        "--older",
        "exit7:TERM",
        "--fun",
        "first:TERM",
        "--fun",
        "second:",
    ]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(7), "{outcome:#?}");
    assert_eq!(
        outcome.after("ready"),
        ["ran second", "ran first", "older handler calls _exit(7)"]
    );
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

#[test]
fn an_older_siginfo_handler_sees_the_original_sender() {
    let fixture = Fixture::start(&["--older", "siginfo:TERM", "--fun", "first:TERM"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    // SI_USER (0): sent with kill(2), by this test process.
    let expected = format!(
        "older siginfo handler: signal 15 si_signo 15 si_code {} si_pid {}",
        libc::SI_USER,
        std::process::id()
    );
    assert_eq!(outcome.after("ready"), ["ran first", expected.as_str()]);
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

/// Spawns the fixture with SIGHUP ignored, as `nohup` does, and `first`
/// registered for SIGHUP and SIGTERM.
fn start_with_sighup_ignored() -> Fixture {
    Fixture::start_with(&["--fun", "first:HUP,TERM"], |command| {
        // SAFETY: signal is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGHUP, libc::SIG_IGN);
                Ok(())
            });
        }
    })
}

#[test]
fn a_hooked_sighup_ends_the_process_when_it_was_not_ignored() {
    // The control for the next two tests: the same registration, SIGHUP not
    // ignored by the parent.
    let fixture = Fixture::start(&["--fun", "first:HUP,TERM"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGHUP);
    assert_eq!(outcome.ran(), ["ran first"]);
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGHUP")));
}

#[test]
fn a_signal_ignored_before_exec_stays_ignored() {
    let fixture = start_with_sighup_ignored();
    for _ in 0..3 {
        fixture.signal(libc::SIGHUP);
    }
    // Whenever the SIGHUPs are handled, an ignored SIGHUP neither ends the
    // process nor logs anything, so the process exits with its own status.
    let outcome = fixture.end_with_command("exit 0", 0);
    assert_eq!(outcome.ran(), ["ran first"]);
    assert_eq!(outcome.stderr_count(&outcome.log_line("SIGHUP")), 0);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn the_other_signals_of_that_registration_are_still_hooked() {
    let fixture = start_with_sighup_ignored();
    fixture.signal(libc::SIGHUP);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran first"]);
    assert_eq!(outcome.stderr_count(&outcome.log_line("SIGHUP")), 0);
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}
