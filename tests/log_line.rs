//! §5, the log line: when a hooked signal arrives, each distinct log function
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

#[test]
fn the_startup_entry_point_reports_bad_signals_on_stderr_without_panicking() {
    let outcome =
        Fixture::start(&["--startup", "first:TERM,SEGV:none"]).end_with_command("return", 0);
    assert_eq!(
        outcome.stderr,
        "exit-attr: could not fully register `first`: SIGSEGV is a synchronous fault signal: \
         the faulting thread cannot wait for exit functions\n"
    );
    assert!(outcome.ran().is_empty(), "nothing was registered");
}

#[test]
fn the_startup_entry_point_reports_a_machinery_failure_once() {
    let outcome = Fixture::start(&[
        "--exhaust-fds",
        "--startup",
        "first:TERM:none",
        "--exhaust-fds",
        "--startup",
        "second:INT:none",
    ])
    .end_with_command("return", 0);
    let reports: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(reports.len(), 1, "{}", outcome.stderr);
    assert!(
        reports[0].starts_with(
            "exit-attr: could not fully register `first`: could not create the dispatcher's pipe to hook SIGTERM: "
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
