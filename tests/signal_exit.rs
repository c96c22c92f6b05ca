//! A hooked signal runs every registered function once, in
//! reverse order of registration, logs one line, and the process then dies
//! by that same signal. The first exit wins.

mod common;

use std::sync::{PoisonError, RwLock};

use common::{Fixture, REVERSED, THREE};

/// The signals a test may hook and send, as the fixture spells them.
const HOOKABLE: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
];

/// Held for reading while a test spawns a fixture, and for writing by the
/// test that closes the fixture's stdout: a child forked by another test
/// holds a copy of every open descriptor until it calls `exec`, which would
/// keep the read end of that stdout open.
static SPAWN: RwLock<()> = RwLock::new(());

/// [`Fixture::start`], never while a test needs its descriptors unshared.
fn start(args: &[&str]) -> Fixture {
    let _spawning = SPAWN.read().unwrap_or_else(PoisonError::into_inner);
    Fixture::start(args)
}

#[test]
fn every_hookable_signal_runs_them_once_logs_once_and_kills_by_itself() {
    for &(name, number) in HOOKABLE {
        let first = format!("first:{name}");
        let second = format!("second:{name}");
        // Two registrations list the signal: still one log line.
        let fixture = start(&["--fun", &first, "--fun", &second, "--fun", "third:"]);
        let outcome = fixture.end_by_hooked_signal(number);
        assert_eq!(outcome.ran(), REVERSED, "SIG{name}");
    }
}

#[test]
fn a_signal_nobody_hooked_keeps_its_default_action() {
    start(THREE).end_by_unhooked_signal(libc::SIGUSR1);
}

#[test]
fn empty_signals_hook_nothing() {
    start(&["--fun", "third:", "--fun", "first:"]).end_by_unhooked_signal(libc::SIGTERM);
}

#[test]
fn functions_with_empty_signals_run_when_another_registration_hooked_the_signal() {
    for (args, expected) in [
        (["first:TERM", "third:"], ["ran third", "ran first"]),
        (["third:", "first:TERM"], ["ran first", "ran third"]),
    ] {
        let fixture = start(&["--fun", args[0], "--fun", args[1]]);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), expected, "{args:?}");
    }
}

#[test]
fn registering_again_with_a_new_signal_hooks_it() {
    let fixture = start(&["--fun", "first:TERM", "--fun", "first:INT"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGINT);
    assert_eq!(outcome.ran(), ["ran first"]);
}

#[test]
fn a_panicking_function_is_reported_and_the_signal_still_kills() {
    let fixture = start(&[
        "--fun",
        "first:TERM",
        "--fun",
        "panics:",
        "--fun",
        "second:",
    ]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran second", "ran panics", "ran first"]);
    let report = outcome.the_panic_report();
    assert!(
        report.contains("panicked: boom in an exit function"),
        "{report}"
    );
}

/// Has the fixture send itself SIGTERM with `command`, and checks that
/// [`THREE`] ran once each and the signal ended the process.
fn sigterm_from_inside_runs_them_once(command: &str) {
    let mut fixture = start(THREE);
    fixture.send(command);
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), REVERSED, "{command}");
}

#[test]
fn raise_on_the_main_thread_runs_them_once() {
    sigterm_from_inside_runs_them_once("raise TERM");
}

#[test]
fn kill_from_another_thread_runs_them_once() {
    sigterm_from_inside_runs_them_once("kill-self TERM");
}

/// Starts an exit with `command` (`exit 4` or `exit-thread 4`), sends
/// SIGTERMs while its exit functions run, and checks that nothing changed:
/// the status, every line after `ready`, and no log line.
///
/// Today's runtime drops a signal that arrives while exit functions run;
/// whether it does, or hands it on to be ignored, `kill` cannot tell when
/// the process takes the signal, so the tests of `raises_term` below are the
/// ones that prove what happens when it is handled during the exit.
fn signals_during_a_normal_exit(command: &str) {
    let mut fixture = start(&["--fun", "first:TERM", "--fun", "gate:"]);
    fixture.send(command);
    fixture.wait_for("gate entered");
    for _ in 0..5 {
        fixture.signal(libc::SIGTERM);
    }
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(4), "{command}: {outcome:#?}");
    assert_eq!(
        outcome.after("ready"),
        ["gate entered", "ran gate", "ran first"],
        "{command}"
    );
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

#[test]
fn signals_during_a_normal_exit_do_not_change_it() {
    signals_during_a_normal_exit("exit 4");
}

/// `exit` from a thread other than main: the standard library then unmaps
/// the main thread's alternate signal stack while main, parked, can still
/// receive the signal. Repeated, because what then happens depends on whether
/// that memory was reused.
#[test]
fn signals_during_a_normal_exit_from_another_thread_do_not_change_it() {
    for _ in 0..100 {
        signals_during_a_normal_exit("exit-thread 4");
    }
}

/// The first exit wins, without a race: `raises_term` returns only once
/// a SIGTERM has been delivered to a thread of the process and its handler
/// has returned, so exit-attr has had the signal, while the normal exit's
/// functions run, before `first` runs and before the exit is done. Whatever
/// exit-attr does with it (drop it in the handler, or hand it on and
/// ignore it), the exit must stay as it was: its status, each function
/// once, in order, and no log line.
#[test]
fn a_sigterm_handled_during_a_normal_exit_does_not_change_it() {
    for (command, code) in [
        ("exit 4", 4),
        ("return", 0),
        ("panic", 101),
        ("exit-thread 4", 4),
    ] {
        let fixture = start(&["--fun", "first:TERM", "--fun", "raises_term:"]);
        let outcome = fixture.end_with_command(command, code);
        assert_eq!(
            outcome.after("ready"),
            ["ran raises_term", "ran first"],
            "{command}: {outcome:#?}"
        );
        assert!(
            outcome.log_lines().is_empty(),
            "{command}: {}",
            outcome.stderr
        );
    }
}

/// Starts a signal run with `start_run` (`first` lists SIGTERM, `second`
/// SIGINT), sends more SIGTERMs and a SIGINT while the gate holds it, then
/// `lines` on stdin: the run must end as it began, each function once.
fn later_signals_during_a_signal_run(start_run: impl FnOnce(&mut Fixture), lines: &[&str]) {
    let mut fixture = start(&[
        "--fun",
        "first:TERM",
        "--fun",
        "gate:",
        "--fun",
        "second:INT",
    ]);
    start_run(&mut fixture);
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGTERM);
    fixture.signal(libc::SIGINT);
    fixture.signal(libc::SIGTERM);
    for line in lines {
        fixture.send(line);
    }
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran second", "ran gate", "ran first"]);
}

/// The first signal comes from outside. The main thread is then usually
/// blocked reading stdin and holds its lock, so the first line written goes
/// to it: `exit 4`, a later exit that must not change the outcome either; the
/// gate reads the next one. (Were the lines to go the other way round, main
/// would exit with 64 on the unknown command `go`: the outcome must be the
/// same.)
#[test]
fn later_signals_and_exits_during_a_signal_run_do_not_change_it() {
    later_signals_during_a_signal_run(|f| f.signal(libc::SIGTERM), &["exit 4", "go"]);
}

/// As above, but the first SIGTERM is sent by the fixture to itself, so that
/// the main thread is parked and the gate reads `go` itself.
#[test]
fn later_signals_during_a_signal_run_do_not_change_it() {
    later_signals_during_a_signal_run(|f| f.send("kill-self TERM"), &["go"]);
}

/// A handler that returns (here: a second SIGTERM during the run, which
/// changes nothing) leaves the `errno` of the thread it interrupted as it
/// was. The thread sends the signal to itself, so that the handler runs on
/// it, between setting `errno` and reading it back; it closed every
/// descriptor from 3 up first, so that where the dispatcher's wake-up
/// channel is a pipe (`EXIT_ATTR_WAKE=pipe`, macOS) the handler's own calls
/// on it fail, and set `errno`, as they would in a daemon.
#[test]
fn a_signal_handled_during_a_run_leaves_the_interrupted_threads_errno_alone() {
    let mut fixture = start(&["--fun", "first:TERM", "--fun", "gate:"]);
    fixture.send("in-gate errno-across TERM");
    fixture.wait_for("in-gate armed");
    fixture.send("kill-self TERM");
    let errno = fixture.wait_for_prefix("errno after the handler: ");
    fixture.send("go");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(errno, "errno after the handler: 4242", "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
}

/// Repeated: `std::process::exit` on the dispatcher thread races with the
/// main thread still returning from the signal handler.
#[test]
fn exit_called_from_an_exit_function_does_not_change_the_signal_outcome() {
    for _ in 0..30 {
        let fixture = start(&["--fun", "first:TERM", "--fun", "exits:", "--fun", "second:"]);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran second", "ran exits", "ran first"]);
    }
}

#[test]
fn printing_to_a_closed_stdout_is_reported_and_the_signal_still_kills() {
    // No other test may fork until the read end of stdout is closed.
    let spawning = SPAWN.write().unwrap_or_else(PoisonError::into_inner);
    let fixture = Fixture::start_closing_stdout_after_ready(&[
        "--fun",
        "first:TERM",
        "--fun",
        "prints_to_closed_stdout:",
    ]);
    drop(spawning);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    let stderr = &outcome.stderr;
    // Both functions print; prints_to_closed_stdout runs first and its
    // println! panics before it reaches its eprintln!; first still runs.
    assert!(
        !stderr.contains("prints_to_closed_stdout survived println"),
        "{stderr}"
    );
    let reports = outcome.panic_reports();
    assert_eq!(reports.len(), 2, "{stderr}");
    for report in reports {
        assert!(
            report.contains("panicked: failed printing to stdout"),
            "{report}"
        );
    }
}

#[test]
fn a_burst_of_signals_runs_them_once() {
    let fixture = start(THREE);
    for _ in 0..299 {
        fixture.signal(libc::SIGTERM);
    }
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), REVERSED);
}

#[test]
fn a_signal_during_an_allocation_storm_never_deadlocks() {
    for _ in 0..20 {
        let mut fixture = start(THREE);
        fixture.send("alloc-storm");
        fixture.wait_for("storming");
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), REVERSED);
    }
}

#[test]
fn thread_locals_work_on_the_signal_path() {
    let fixture = start(&["--fun", "uses_thread_locals:TERM"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    let ran = outcome.ran();
    assert_eq!(ran.len(), 1, "{outcome:#?}");
    assert!(
        ran[0].starts_with("ran uses_thread_locals: thread-local ok, thread ThreadId(")
            && ran[0].ends_with(", os name exit-attr"),
        "{}",
        ran[0]
    );
}
