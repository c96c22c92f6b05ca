//! The first process of a PID namespace (the init of a container) cannot
//! die by a signal it sends itself: the kernel drops it while its action is
//! the default. There a hooked signal still runs the exit functions, and
//! the process then ends with 128+n, the status a shell shows for a death by
//! signal n. The fixture runs as that first process under
//! `unshare --pid --fork`.

mod common;

use common::{Fixture, Outcome, send_signal};

/// Starts the fixture with `args` as the first process of a new PID
/// namespace. `unshare` needs no privilege for it as root; any other user
/// first gets a user namespace in which it is root.
fn start_as_init(args: &[&str]) -> Fixture {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut unshare_args = if root {
        vec!["--pid", "--fork", "--"]
    } else {
        vec!["--user", "--map-root-user", "--pid", "--fork", "--"]
    };
    unshare_args.push(env!("CARGO_BIN_EXE_fixture"));
    unshare_args.extend_from_slice(args);
    Fixture::start_program("unshare", &unshare_args, |_| {})
}

/// The fixture's pid as this process sees it: `unshare`'s only child, which
/// it has forked by the time the fixture printed `ready`.
fn init_pid(fixture: &Fixture) -> i32 {
    let unshare = fixture.pid();
    let path = format!("/proc/{unshare}/task/{unshare}/children");
    let children = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    match children.split_whitespace().collect::<Vec<_>>()[..] {
        [child] => child.parse().unwrap(),
        _ => panic!("unshare has not exactly one child: {children:?}"),
    }
}

/// `unshare` exits with the status of the process it started: 128+n for a
/// death by signal n reported as an exit, as here.
fn assert_ended_with_128_plus(outcome: &Outcome, signal: i32) {
    assert_eq!(outcome.code(), Some(128 + signal), "{outcome:#?}");
    // The log line names the pid the process has in its own namespace.
    assert_eq!(
        outcome.log_lines(),
        [common::log_line(common::signal_name(signal), 1)],
        "{outcome:#?}"
    );
}

#[test]
fn a_hooked_signal_runs_the_functions_of_a_namespace_init_and_ends_it_with_128_plus_n() {
    let fixture = start_as_init(&["--fun", "first:TERM", "--fun", "second:"]);
    send_signal(init_pid(&fixture), libc::SIGTERM);
    let outcome = fixture.finish();
    assert_ended_with_128_plus(&outcome, libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
}

/// A second signal with `set_force_on_second_signal(true)` ends the process
/// at once: there, too, with 128+n.
#[test]
fn a_forced_second_signal_ends_a_namespace_init_with_128_plus_n() {
    let mut fixture = start_as_init(&["--force", "--fun", "first:TERM", "--fun", "gate:"]);
    let init = init_pid(&fixture);
    send_signal(init, libc::SIGTERM);
    fixture.wait_for("gate entered");
    send_signal(init, libc::SIGTERM);
    let outcome = fixture.finish();
    assert_ended_with_128_plus(&outcome, libc::SIGTERM);
    assert_eq!(outcome.after("ready"), ["gate entered"]);
}
