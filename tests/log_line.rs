//! The log line: when a hooked signal arrives, each distinct log function
//! among the registrations that list it is called once, before the exit
//! functions run; `logfun = None` prints nothing. Driven through the entry
//! point that `#[register_exit_fun]` calls before `main`.

mod common;

use common::{Fixture, Outcome};

fn sigterm(args: &[&str]) -> Outcome {
    let fixture = Fixture::start(args);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    outcome
}

#[test]
fn each_distinct_log_function_is_called_once_before_the_functions_run() {
    let outcome = sigterm(&[
        "--startup",
        "first:TERM:custom",
        "--startup",
        "second:TERM:other",
        "--startup",
        "third:TERM:custom",
    ]);
    let line = outcome.log_line("SIGTERM");
    assert_eq!(
        outcome.after("ready"),
        [
            format!("custom log: {line}").as_str(),
            &format!("other log: {line}"),
            "ran third",
            "ran second",
            "ran first",
        ]
    );
    assert_eq!(outcome.stderr, "", "no default log line was asked for");
}

#[test]
fn the_default_log_function_prints_one_line_on_stderr() {
    let outcome = sigterm(&[
        "--startup",
        "first:TERM:default",
        "--startup",
        "second:TERM,INT:default",
    ]);
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

/// One default log function for every registration that names none,
/// whatever form registered it: one line.
#[test]
fn the_attribute_and_the_function_form_share_the_default_log_line() {
    let outcome = sigterm(&["--startup", "first:TERM:default", "--fun", "second:TERM"]);
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

/// `set_default_logfun(None)` silences every registration that names no
/// log function, the attribute's made before it too; one that names its
/// own still logs.
#[test]
fn a_silenced_default_log_function_prints_nothing() {
    let outcome = sigterm(&[
        "--startup",
        "first:TERM:default",
        "--default-log",
        "none",
        "--fun",
        "second:TERM",
        "--startup",
        "third:TERM:other",
    ]);
    let line = outcome.log_line("SIGTERM");
    assert_eq!(
        outcome.after("ready"),
        [
            format!("other log: {line}").as_str(),
            "ran third",
            "ran second",
            "ran first"
        ]
    );
    assert_eq!(outcome.stderr, "");
}

/// A default log function set with `set_default_logfun` is looked up when
/// the signal arrives, and is one function with a registration that names
/// it: one call.
#[test]
fn a_default_log_function_is_called_once_with_those_that_name_it() {
    let outcome = sigterm(&[
        "--fun",
        "first:TERM",
        "--startup",
        "second:TERM:custom",
        "--startup",
        "third:TERM:default",
        "--default-log",
        "custom",
    ]);
    let line = outcome.log_line("SIGTERM");
    assert_eq!(
        outcome.after("ready"),
        [
            format!("custom log: {line}").as_str(),
            "ran third",
            "ran second",
            "ran first"
        ]
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn logfun_none_prints_nothing() {
    let outcome = sigterm(&[
        "--startup",
        "first:TERM:none",
        "--startup",
        "second::custom",
    ]);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
    assert_eq!(
        outcome.after("ready"),
        ["ran second", "ran first"],
        "second lists no signal"
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn only_registrations_that_list_the_signal_log_it() {
    let outcome = sigterm(&[
        "--startup",
        "first:TERM:custom",
        "--startup",
        "second:INT:other",
    ]);
    let line = outcome.log_line("SIGTERM");
    assert_eq!(
        outcome.after("ready"),
        [
            format!("custom log: {line}").as_str(),
            "ran second",
            "ran first"
        ]
    );
}

#[test]
fn a_panic_in_an_exit_function_names_it() {
    let outcome = sigterm(&["--startup", "first:TERM:none", "--startup", "panics::none"]);
    assert_eq!(outcome.ran(), ["ran panics", "ran first"]);
    assert!(
        outcome.stderr.contains(
            "exit-attr: exit function `panics` panicked: boom in an exit function; \
             the remaining exit functions still run"
        ),
        "{}",
        outcome.stderr
    );
}

// Not under an emulator (`emulated`, see the root `build.rs`): qemu-user
// reserves the guest's address space itself, so `RLIMIT_AS` does not keep
// a thread from starting there, and the setup never fails.
#[cfg(not(emulated))]
#[test]
fn the_startup_entry_point_reports_a_machinery_failure_once() {
    let outcome = Fixture::start(&[
        "--exhaust-memory",
        "--startup",
        "first:TERM:none",
        "--exhaust-memory",
        "--startup",
        "second:INT:none",
    ])
    .end_with_command("return", 0);
    let reports: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(reports.len(), 1, "{}", outcome.stderr);
    assert!(
        reports[0].starts_with(
            "exit-attr: could not fully register `first`: could not start the dispatcher thread to hook SIGTERM: "
        ),
        "{}",
        reports[0]
    );
    assert_eq!(
        outcome.ran(),
        ["ran second", "ran first"],
        "both still run at normal exit"
    );
}
