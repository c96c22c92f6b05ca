//! Console control events on Windows, which exit-attr maps to signals
//! (Ctrl-C is SIGINT): exit-attr's console handler runs every exit
//! function once, newest first, after the log line, then lets the older
//! handlers and Windows' default end the process; a newer handler that
//! says it handled the event owns it. The tests send Ctrl-C with
//! `GenerateConsoleCtrlEvent`, from the test or from the fixture itself;
//! Ctrl-Break, the console's close, logoff and shutdown cannot be sent to
//! a program under Wine, and are not run here (see the README).
#![cfg(windows)]

mod common;

use common::{
    Fixture, NEWEST_FIRST, Outcome, STATUS_CONTROL_C_EXIT, THREE, WITH_A_PANIC,
    default_ctrl_c_status, start_with_a_dropped_and_a_dismissed_guard,
};

fn assert_ran_every_function_once_after_the_log_line(outcome: &Outcome) {
    assert_eq!(outcome.ran(), NEWEST_FIRST, "{outcome:#?}");
    outcome.assert_one_log_line("SIGINT");
}

/// The process then ends as Windows' default ends it, with nothing more
/// from `main`, which was waiting for a command.
#[test]
fn ctrl_c_runs_every_function_once_newest_first_then_windows_ends_the_process() {
    let outcome = Fixture::start(THREE).end_by_ctrl_c();
    assert_ran_every_function_once_after_the_log_line(&outcome);
}

#[test]
fn a_ctrl_c_the_program_sends_itself_does_the_same() {
    let mut fixture = Fixture::start(THREE);
    fixture.send("ctrl-c");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), default_ctrl_c_status(), "{outcome:#?}");
    assert_ran_every_function_once_after_the_log_line(&outcome);
}

/// No registration lists SIGINT: the handler lets the event go at once,
/// and Windows' default ends the process with nothing run and nothing
/// logged.
#[test]
fn a_ctrl_c_that_no_registration_lists_runs_nothing() {
    let outcome = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]).end_by_ctrl_c();
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{outcome:#?}");
}

/// A signal given back (its last closure unregistered) is as if never
/// listed: Ctrl-C runs nothing, and Windows' default ends the process.
#[test]
fn a_ctrl_c_whose_last_closure_was_unregistered_runs_nothing() {
    let outcome = Fixture::start(&["--fun", "first:", "--forgotten", "INT"]).end_by_ctrl_c();
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{outcome:#?}");
}

/// A handler installed before exit-attr's runs after the exit functions,
/// once.
#[test]
fn an_older_handler_runs_after_the_exit_functions_once() {
    let mut args = vec!["--older"];
    args.extend_from_slice(THREE);
    let outcome = Fixture::start(&args).end_by_ctrl_c();
    assert_ran_every_function_once_after_the_log_line(&outcome);
    let after = &outcome.stdout[outcome
        .stdout
        .iter()
        .position(|l| l == "ran first")
        .unwrap()
        + 1..];
    assert_eq!(
        after,
        ["older handler ran for CTRL_C_EVENT"],
        "{outcome:#?}"
    );
}

/// A handler installed after exit-attr's that says it handled the event
/// owns it: nothing runs then, and everything at the program's later
/// normal exit.
#[test]
fn a_newer_handler_that_handles_the_event_owns_it() {
    let mut args = THREE.to_vec();
    args.push("--newer");
    let mut fixture = Fixture::start(&args);
    fixture.ctrl_c();
    fixture.wait_for("newer handler ran for CTRL_C_EVENT");
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(
        outcome.stdout,
        [
            "ready",
            "newer handler ran for CTRL_C_EVENT",
            "ran third",
            "ran second",
            "ran first"
        ],
        "{outcome:#?}"
    );
    assert!(outcome.log_lines().is_empty(), "{outcome:#?}");
}

#[test]
fn the_reason_of_a_ctrl_c_is_sigint_with_no_sender() {
    let outcome = Fixture::start(&["--fun", "reason:INT"]).end_by_ctrl_c();
    assert_eq!(
        outcome.ran(),
        ["ran reason: Some(Signal { signal: SIGINT(2), sender_pid: None, sender_uid: None })"],
        "{outcome:#?}"
    );
}

#[test]
fn thread_locals_and_the_current_thread_work_on_ctrl_c() {
    let outcome = Fixture::start(&["--fun", "thread_locals:INT"]).end_by_ctrl_c();
    outcome.assert_thread_locals_worked("Ctrl-C");
}

#[test]
fn a_panicking_exit_function_is_reported_and_the_others_still_run() {
    let outcome = Fixture::start(WITH_A_PANIC).end_by_ctrl_c();
    outcome.assert_the_panic_was_reported_and_the_others_ran();
}

/// `gate` holds the run up until told to send a second Ctrl-C, then until
/// told to go on.
const GATED: &[&str] = &["--fun", "first:INT", "--fun", "gate:"];

/// Without `set_force_on_second_signal`, a second Ctrl-C during the run
/// changes nothing: every function runs once, and the process ends as
/// before. (Windows calls the handler for it at once, on a thread of its
/// own, and it waits for the first run; Wine delivers it only after the
/// first handler has returned. Either way, nothing runs twice.)
#[test]
fn a_second_ctrl_c_during_the_run_changes_nothing() {
    let mut fixture = Fixture::start(GATED);
    fixture.ctrl_c();
    fixture.wait_for("gate entered");
    fixture.send("gate:ctrl-c");
    fixture.wait_for("gate sent ctrl-c");
    fixture.send("gate:go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), default_ctrl_c_status(), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
    outcome.assert_one_log_line("SIGINT");
}

/// With `set_force_on_second_signal`, a Ctrl-C while exit functions run
/// ends the process at once, with the status Windows' default gives on
/// Ctrl-C: the gate never returns. Shown during a normal exit's run: Wine
/// holds a second Ctrl-C back until the first one's handler has returned.
#[test]
fn a_ctrl_c_with_force_during_a_run_ends_the_process_at_once() {
    let mut args = vec!["--force"];
    args.extend_from_slice(GATED);
    let mut fixture = Fixture::start(&args);
    fixture.send("return");
    fixture.wait_for("gate entered");
    fixture.ctrl_c();
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), STATUS_CONTROL_C_EXIT, "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
}

/// A Ctrl-C while a normal exit runs its functions: the first exit wins,
/// the event waits for it, and the status stays the exit's.
#[test]
fn a_ctrl_c_during_a_normal_exit_changes_nothing() {
    let mut fixture = Fixture::start(GATED);
    fixture.send("return");
    fixture.wait_for("gate entered");
    fixture.ctrl_c();
    fixture.send("gate:go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), 0, "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{outcome:#?}");
}

/// An exit function that hangs: at the timeout the rest are abandoned and
/// the process ends as Windows' default would end it on Ctrl-C
/// (`STATUS_CONTROL_C_EXIT`, which exit-attr gives itself, Wine or not).
#[test]
fn a_timeout_ends_the_run_of_a_ctrl_c() {
    let outcome = Fixture::start(&["--timeout", "300", "--fun", "first:INT", "--fun", "hangs:"])
        .end_with_ctrl_c_then_status(STATUS_CONTROL_C_EXIT);
    assert_eq!(outcome.ran(), ["ran hangs"], "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("exit-attr: exit functions did not finish within 300ms; abandoning the rest"),
        "{outcome:#?}"
    );
}

#[test]
fn guards_run_once_at_their_drop_or_at_ctrl_c_or_never_when_dismissed() {
    let outcome = start_with_a_dropped_and_a_dismissed_guard().end_by_ctrl_c();
    assert_eq!(
        outcome.ran(),
        ["ran dropped in a drop", "ran kept"],
        "{outcome:#?}"
    );
}

/// The attribute, in a crate under `forbid(unsafe_code)`, on Ctrl-C: every
/// annotated function runs (those that list no signal too), and the one
/// log line is the default's (the custom log function listed other
/// signals).
#[test]
fn the_attribute_runs_its_functions_on_ctrl_c() {
    let fixture = Fixture::start_program(env!("CARGO_BIN_EXE_win_attr"), &[]);
    let outcome = fixture.end_by_ctrl_c();
    outcome.assert_every_annotated_function_ran();
    outcome.assert_one_log_line("SIGINT");
}
