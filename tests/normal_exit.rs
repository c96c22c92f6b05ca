//! §3.1: every registered function runs once at a normal exit, in reverse
//! order of registration, and the exit status is unchanged.

mod common;

use common::{Fixture, REVERSED, THREE};

#[test]
fn return_from_main_runs_every_function_once_in_reverse_order() {
    let mut fixture = Fixture::start(THREE);
    fixture.send("return");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
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
    let mut fixture = Fixture::start(THREE);
    fixture.send("exit 3");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(3), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
}

#[test]
fn a_panic_out_of_main_keeps_status_101() {
    let mut fixture = Fixture::start(THREE);
    fixture.send("panic");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(101), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
    assert!(outcome.stderr.contains("main panics"), "{}", outcome.stderr);
}

#[test]
fn exit_from_another_thread_runs_them_once() {
    let mut fixture = Fixture::start(THREE);
    fixture.send("exit-thread 4");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(4), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
}

#[test]
fn eight_threads_calling_exit_at_once_run_them_once() {
    for _ in 0..10 {
        let mut fixture = Fixture::start(THREE);
        fixture.send("exit-many 5");
        let outcome = fixture.finish();
        assert_eq!(outcome.code(), Some(5), "{outcome:#?}");
        assert_eq!(outcome.ran(), REVERSED);
    }
}

#[test]
fn exit_functions_run_where_thread_locals_work() {
    let mut fixture = Fixture::start(&["--fun", "uses_thread_locals:"]);
    fixture.send("exit 0");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.ran(),
        ["ran uses_thread_locals: thread-local ok, thread Some(\"exit-attr\")"]
    );
}

#[test]
fn the_same_function_registered_twice_runs_once_in_its_first_place() {
    let mut fixture = Fixture::start(&[
        "--fun",
        "first:",
        "--fun",
        "second:",
        "--fun",
        "first:TERM",
        "--fun",
        "first:",
    ]);
    fixture.send("return");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

#[test]
fn a_panicking_function_is_reported_and_the_others_still_run() {
    let mut fixture = Fixture::start(&["--fun", "first:", "--fun", "panics:", "--fun", "second:"]);
    fixture.send("exit 6");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(6), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran panics", "ran first"]);
    let report = outcome
        .stderr
        .lines()
        .find(|l| l.starts_with("exit-attr: exit function registered at "))
        .unwrap_or_else(|| panic!("no report in {}", outcome.stderr));
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
    let mut fixture = Fixture::start(&["--fun", "registers:"]);
    fixture.send("return");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.ran(),
        ["ran registers: exit functions are already running: the process is ending"]
    );
}
