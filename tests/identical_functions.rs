//! Distinct functions with identical bodies are distinct exit functions,
//! even in a release build, where the compiler gives them one address: a
//! function is known by its type, never by its address. Both the attribute
//! and the function form.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Fixture, build_fixture_package};

/// `tests/release-fixture`, built in release once per test binary.
fn release_fixture() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| build_fixture_package("exit-attr-release-fixture", "release"))
}

/// Starts the fixture and checks that the compiler did merge each pair, or
/// this test would prove nothing.
fn start() -> Fixture {
    let program = release_fixture().to_str().expect("a UTF-8 path");
    let mut fixture = Fixture::start_program(program, &[], |_| {});
    assert_eq!(
        fixture.wait_for_prefix("merged: "),
        "merged: attribute true, function form true",
        "the release build no longer merges identical functions"
    );
    fixture
}

#[test]
fn each_of_two_identical_functions_runs_at_a_normal_exit() {
    let outcome = start().end_with_command("return", 0);
    assert_eq!(outcome.ran(), ["ran flush"; 4], "{outcome:#?}");
}

#[test]
fn each_of_two_identical_functions_runs_on_a_signal() {
    let outcome = start().end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran flush"; 4], "{outcome:#?}");
}
