//! Every failure is an `Err`. When the operating system refuses what
//! exit-attr needs to hook a signal (no room for the dispatcher thread, or,
//! where its wake-up channel is a pipe, no file descriptor left), the
//! function form returns an `Err` that says so, nothing aborts, and the
//! function still runs at normal exit. Where the wake-up channel needs no
//! descriptor (a futex on Linux), a process out of descriptors hooks its
//! signals as usual. (A signal that can never be hooked has no `Signal`:
//! `tests/api.rs`.)

#![cfg_attr(emulated, allow(dead_code))]

mod common;

use common::Fixture;
use exit_attr::__private::WAKE_UP_USES_DESCRIPTORS;

/// What the fixture prints when the wake-up channel's pipe cannot be
/// created: the message, then the operating system's, which ends with its
/// errno (EMFILE).
const NO_PIPE: (&str, i32) = (
    "register error: could not open the dispatcher's wake-up channel to hook SIGTERM: ",
    libc::EMFILE,
);
/// The same when `pthread_create` fails for want of a stack (EAGAIN).
const NO_THREAD: (&str, i32) = (
    "register error: could not start the dispatcher thread to hook SIGTERM: ",
    libc::EAGAIN,
);

/// The resources whose lack makes a registration fail on this build, with
/// the error each gives.
fn failing_setups() -> Vec<(&'static str, (&'static str, i32))> {
    let mut setups = vec![("--exhaust-memory", NO_THREAD)];
    if WAKE_UP_USES_DESCRIPTORS {
        setups.push(("--exhaust-fds", NO_PIPE));
    }
    setups
}

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

// Not under an emulator (`emulated`, see the root `build.rs`): qemu-user
// reserves the guest's address space itself, so `RLIMIT_AS` does not keep
// a thread from starting there, and the setup never fails.
#[cfg(not(emulated))]
#[test]
fn a_failed_setup_is_an_error_and_the_function_runs_at_normal_exit() {
    for (exhaust, error) in failing_setups() {
        let outcome = register_while_exhausted(exhaust, error).end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran first"], "{exhaust}");
        assert_eq!(outcome.stderr, "", "{exhaust}");
    }
}

// Not under an emulator (`emulated`, see the root `build.rs`): qemu-user
// reserves the guest's address space itself, so `RLIMIT_AS` does not keep
// a thread from starting there, and the setup never fails.
#[cfg(not(emulated))]
#[test]
fn a_signal_that_could_not_be_hooked_keeps_its_default_action() {
    for (exhaust, error) in failing_setups() {
        let outcome =
            register_while_exhausted(exhaust, error).end_by_unhooked_signal(libc::SIGTERM);
        assert_eq!(outcome.stderr, "", "{exhaust}");
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

/// With a wake-up channel that needs no descriptor, running out of them
/// changes nothing: the registration succeeds and the signal runs it.
#[test]
fn a_process_out_of_descriptors_hooks_its_signals_where_the_wake_up_needs_none() {
    let fixture = Fixture::start(&["--exhaust-fds", "--fun", "first:TERM"]);
    if WAKE_UP_USES_DESCRIPTORS {
        // The failure is the first test's; here only its absence is news.
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran first"]);
        return;
    }
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran first"]);
    assert!(
        !outcome
            .stdout
            .iter()
            .any(|l| l.starts_with("register error")),
        "{outcome:#?}"
    );
}
