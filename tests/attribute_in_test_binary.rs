//! The attribute works in every crate type that runs constructors,
//! including a test binary: an annotated function in this file runs when the
//! test harness process exits. The test runs this same binary again as a
//! child, and reads what the child printed after its harness finished.

mod common;

use std::process::Command;

use common::{TIMEOUT, output_within};

/// Set in the child's environment.
const CHILD: &str = "EXIT_ATTR_TEST_BINARY_CHILD";

#[exit_attr::register_exit_fun(signals = [])]
fn announce_exit() {
    // Only the child speaks, so that the parent's own output stays clean.
    if std::env::var_os(CHILD).is_some() {
        println!("exit function of the test binary ran");
    }
}

#[test]
fn an_annotated_function_runs_when_the_test_binary_exits() {
    if std::env::var_os(CHILD).is_some() {
        // The child's part: let the harness finish; the exit function speaks.
        return;
    }
    let output = output_within(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "an_annotated_function_runs_when_the_test_binary_exits",
            ])
            .env(CHILD, "1"),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    let summary = lines
        .iter()
        .position(|l| l.starts_with("test result: ok. 1 passed"))
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    assert_eq!(
        lines[summary + 1..],
        ["exit function of the test binary ran"],
        "{stdout}"
    );
}
