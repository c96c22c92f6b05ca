//! Every registered function runs once at a normal exit, in reverse
//! order of registration, and the exit status is unchanged.

mod common;

use common::{Fixture, Outcome, REVERSED, THREE};

/// Ends the fixture with [`THREE`] registered by `command`, and checks that
/// it exited with `code` after running all three once, in reverse order.
fn three_run_at(command: &str, code: i32) -> Outcome {
    let outcome = Fixture::start(THREE).end_with_command(command, code);
    assert_eq!(outcome.ran(), REVERSED, "{command}");
    outcome
}

#[test]
fn return_from_main_runs_every_function_once_in_reverse_order() {
    let outcome = three_run_at("return", 0);
    assert_eq!(outcome.stderr, "", "no log line without a signal");
}

#[test]
fn end_of_input_returns_from_main_too() {
    let mut fixture = Fixture::start(THREE);
    fixture.close_stdin();
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
}

#[test]
fn process_exit_keeps_its_status() {
    three_run_at("exit 3", 3);
}

#[test]
fn a_panic_out_of_main_keeps_status_101() {
    let outcome = three_run_at("panic", 101);
    assert!(outcome.stderr.contains("main panics"), "{}", outcome.stderr);
}

#[test]
fn exit_from_another_thread_runs_them_once() {
    three_run_at("exit-thread 4", 4);
}

#[test]
fn eight_threads_calling_exit_at_once_run_them_once() {
    for _ in 0..10 {
        three_run_at("exit-many 5", 5);
    }
}

/// Not on the exiting thread, whose thread-locals are gone by then, but on
/// exit-attr's own thread, with or without a hooked signal.
#[test]
fn exit_functions_run_where_thread_locals_work() {
    for signals in ["", "TERM"] {
        let spec = format!("uses_thread_locals:{signals}");
        let outcome = Fixture::start(&["--fun", &spec]).end_with_command("exit 0", 0);
        let ran = outcome.ran();
        assert_eq!(ran.len(), 1, "{outcome:#?}");
        assert!(
            ran[0].starts_with("ran uses_thread_locals: thread-local ok, thread ThreadId(")
                && ran[0].ends_with(", os name exit-attr"),
            "{}",
            ran[0]
        );
    }
}

#[test]
fn the_same_function_registered_twice_runs_once_in_its_first_place() {
    let fixture = Fixture::start(&[
        "--fun",
        "first:",
        "--fun",
        "second:",
        "--fun",
        "first:TERM",
        "--fun",
        "first:",
    ]);
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

#[test]
fn a_panicking_function_is_reported_and_the_others_still_run() {
    let fixture = Fixture::start(&["--fun", "first:", "--fun", "panics:", "--fun", "second:"]);
    let outcome = fixture.end_with_command("exit 6", 6);
    assert_eq!(outcome.ran(), ["ran second", "ran panics", "ran first"]);
    let report = outcome.the_panic_report();
    assert!(report.contains("tests/fixtures/fixture.rs:"), "{report}");
    assert!(
        report.ends_with(
            "panicked: boom in an exit function; the remaining exit functions still run"
        ),
        "{report}"
    );
}

#[test]
fn registering_while_exit_functions_run_is_an_error() {
    let outcome = Fixture::start(&["--fun", "registers:"]).end_with_command("return", 0);
    assert_eq!(
        outcome.ran(),
        ["ran registers: exit functions are already running: the process is ending"]
    );
}
