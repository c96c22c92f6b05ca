//! The normal exit on Windows: return from `main`, `std::process::exit`
//! from the main thread or another one, a panic out of `main`. Every exit
//! function runs once, newest first, with the status unchanged, on a
//! thread where thread-locals work.
#![cfg(windows)]

mod common;

use common::{
    Fixture, NEWEST_FIRST, THREE, WITH_A_PANIC, start_with_a_dropped_and_a_dismissed_guard,
};

/// Every way a program ends normally, with its status: return (the C
/// runtime's `atexit`), a panic out of `main` (the same), `exit(3)` and
/// `exit` from another thread (`ExitProcess`, and the process-detach
/// callbacks on the exiting thread).
const ENDINGS: [(&str, u32); 4] = [
    ("return", 0),
    ("panic", 101),
    ("exit 3", 3),
    ("exit-thread 4", 4),
];

#[test]
fn every_normal_exit_runs_every_function_once_newest_first_with_its_status() {
    for (command, code) in ENDINGS {
        let outcome = Fixture::start(THREE).end_with_command(command, code);
        assert_eq!(outcome.ran(), NEWEST_FIRST, "{command}: {outcome:#?}");
        assert!(outcome.log_lines().is_empty(), "{command}: {outcome:#?}");
    }
}

#[test]
fn thread_locals_and_the_current_thread_work_on_every_normal_path() {
    for (command, code) in ENDINGS {
        let outcome = Fixture::start(&["--fun", "thread_locals:"]).end_with_command(command, code);
        outcome.assert_thread_locals_worked(command);
    }
}

/// The C runtime does not tell its `atexit` handlers the status, nor
/// Windows its process-detach callbacks: the reason says so.
#[test]
fn the_reason_of_a_normal_exit_is_an_exit_without_a_known_status() {
    for (command, code) in ENDINGS {
        let outcome = Fixture::start(&["--fun", "reason:INT"]).end_with_command(command, code);
        assert_eq!(
            outcome.ran(),
            ["ran reason: Some(Exit { code: None })"],
            "{command}"
        );
    }
}

#[test]
fn a_panicking_exit_function_is_reported_and_the_others_still_run() {
    for (command, code) in [("return", 0), ("exit 3", 3)] {
        let outcome = Fixture::start(WITH_A_PANIC).end_with_command(command, code);
        outcome.assert_the_panic_was_reported_and_the_others_ran();
    }
}

/// Returning from `main` with an exit function that hangs: the timeout
/// abandons it, and the program ends with its own status. (After
/// `std::process::exit` the functions run where no other thread can, and
/// the timeout cannot bound them; the crate docs say so.)
#[test]
fn a_timeout_ends_a_return_from_main_with_its_status() {
    let fixture = Fixture::start(&["--timeout", "300", "--fun", "first:", "--fun", "hangs:"]);
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(outcome.ran(), ["ran hangs"], "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("exit-attr: exit functions did not finish within 300ms; abandoning the rest"),
        "{outcome:#?}"
    );
}

#[test]
fn guards_run_once_at_their_drop_at_the_exit_or_never_when_dismissed() {
    let outcome = start_with_a_dropped_and_a_dismissed_guard().end_with_command("exit 3", 3);
    assert_eq!(
        outcome.ran(),
        ["ran dropped in a drop", "ran kept"],
        "{outcome:#?}"
    );
}

/// The attribute, in a crate under `forbid(unsafe_code)`: every annotated
/// function registered before `main` and runs at its return (in the order
/// the C runtime ran their start-up pointers, which is not the source's).
#[test]
fn the_attribute_registers_before_main_under_forbid_unsafe_code() {
    let mut fixture = Fixture::start_program(env!("CARGO_BIN_EXE_win_attr"), &[]);
    fixture.close_stdin();
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), 0, "{outcome:#?}");
    outcome.assert_every_annotated_function_ran();
}
