//! Every failure is an `Err`. When the operating system refuses what
//! exit-attr needs to hook a signal (no file descriptor left for the pipe,
//! no room for the dispatcher thread), the function form returns an `Err`
//! that says so, nothing aborts, and the function still runs at normal exit.
//! (A signal that can never be hooked has no `Signal`: `tests/api.rs`.)

mod common;

use common::Fixture;

/// What the fixture prints when the pipe cannot be created: the message,
/// then the operating system's, which ends with its errno (EMFILE).
const NO_PIPE: (&str, i32) = (
    "register error: could not create the dispatcher's pipe to hook SIGTERM: ",
    libc::EMFILE,
);
/// The same when `pthread_create` fails for want of a stack (EAGAIN).
const NO_THREAD: (&str, i32) = (
    "register error: could not start the dispatcher thread to hook SIGTERM: ",
    libc::EAGAIN,
);

/// Registers `first` for SIGTERM while out of a resource, checks the error
/// it printed, and returns the still running fixture.
fn register_while_exhausted(exhaust: &str, (message, errno): (&str, i32)) -> Fixture {
    let mut fixture = Fixture::start(&[exhaust, "--fun", "first:TERM"]);
    let printed = fixture.wait_for_prefix("register error: ");
    assert!(printed.starts_with(message), "{printed}");
    assert!(
        printed.ends_with(&format!(" (os error {errno})")),
        "{printed}"
    );
    fixture
}

/// The registration failed, but the function still runs at normal exit.
fn runs_at_normal_exit_after(exhaust: &str, error: (&str, i32)) {
    let outcome = register_while_exhausted(exhaust, error).end_with_command("return", 0);
    assert_eq!(outcome.ran(), ["ran first"]);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn no_fd_for_the_pipe_is_an_error_and_the_function_runs_at_normal_exit() {
    runs_at_normal_exit_after("--exhaust-fds", NO_PIPE);
}

#[test]
fn no_room_for_the_dispatcher_thread_is_an_error_and_the_function_runs_at_normal_exit() {
    runs_at_normal_exit_after("--exhaust-memory", NO_THREAD);
}

#[test]
fn a_signal_that_could_not_be_hooked_keeps_its_default_action() {
    for (exhaust, error) in [("--exhaust-fds", NO_PIPE), ("--exhaust-memory", NO_THREAD)] {
        let outcome =
            register_while_exhausted(exhaust, error).end_by_unhooked_signal(libc::SIGTERM);
        assert_eq!(outcome.stderr, "");
    }
}

#[test]
fn a_later_registration_hooks_the_signal_once_resources_are_back() {
    for exhaust in ["--exhaust-fds", "--exhaust-memory"] {
        let fixture = Fixture::start(&[exhaust, "--fun", "first:TERM", "--fun", "second:TERM"]);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
    }
}
