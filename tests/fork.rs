//! A child that keeps running after `fork()` keeps the registrations; a
//! hooked signal sent to the child runs the exit functions in the child and
//! ends the child by the signal, never the parent. Fork-then-exec stays safe.

mod common;

use std::collections::HashSet;

use common::{Fixture, Outcome, log_line, send_signal};

const TWO: &[&str] = &["--fun", "first:TERM", "--fun", "second:"];
const CHILD_ENDED: &str = "child ended by signal 15";

/// The lines the fixture prints for one fork whose child SIGTERM ended:
/// `child ready` and `forked PID` in either order, then the child's exit
/// functions, then the parent's report. Returns the lines that follow.
fn expect_fork<'a>(outcome: &Outcome, lines: &'a [String], child: i32) -> &'a [String] {
    let (ready, rest) = lines.split_at(2);
    let ready: HashSet<&str> = ready.iter().map(String::as_str).collect();
    let forked = format!("forked {child}");
    assert_eq!(
        ready,
        HashSet::from(["child ready", forked.as_str()]),
        "{outcome:#?}"
    );
    let (run, rest) = rest.split_at(3);
    assert_eq!(
        run,
        ["child ran second", "child ran first", CHILD_ENDED],
        "{outcome:#?}"
    );
    rest
}

/// The parent ran its own exit functions once, after every child ended, and
/// exited normally; each child logged the signal under its own pid.
fn expect_parent_exit(outcome: &Outcome, children: &[i32]) {
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    let (ready, mut rest) = outcome.stdout.split_first().unwrap();
    assert_eq!(ready, "ready");
    for &child in children {
        rest = expect_fork(outcome, rest, child);
    }
    assert_eq!(rest, ["ran second", "ran first"], "{outcome:#?}");
    let expected: String = children
        .iter()
        .map(|&child| format!("{}\n", log_line("SIGTERM", child)))
        .collect();
    assert_eq!(outcome.stderr, expected);
    assert_eq!(outcome.stderr_count(&outcome.log_line("SIGTERM")), 0);
}

#[test]
fn a_signal_to_a_forked_child_ends_the_child_and_not_the_parent() {
    for _ in 0..20 {
        let mut fixture = Fixture::start(TWO);
        let child = fixture.fork_and_terminate_child(1);
        fixture.send("return");
        let outcome = fixture.finish();
        expect_parent_exit(&outcome, &[child]);
    }
}

#[test]
fn a_signal_sent_before_the_child_is_ready_is_handled_by_the_child() {
    // The child may still be in the fork handlers when the signal arrives:
    // it stays pending until the child has its own dispatcher.
    for _ in 0..20 {
        let mut fixture = Fixture::start(TWO);
        fixture.send("fork");
        let (forked, child) = fixture.wait_for_pid("forked ");
        send_signal(child, libc::SIGTERM);
        fixture.wait_for(CHILD_ENDED);
        let outcome = fixture.end_with_command("return", 0);
        // Whether the child printed `child ready` before it died depends on
        // timing; everything else does not.
        let lines: Vec<&str> = outcome
            .stdout
            .iter()
            .map(String::as_str)
            .filter(|l| *l != "child ready" && *l != forked)
            .collect();
        assert_eq!(
            lines,
            [
                "ready",
                "child ran second",
                "child ran first",
                CHILD_ENDED,
                "ran second",
                "ran first"
            ],
            "{outcome:#?}"
        );
        assert_eq!(outcome.stderr, format!("{}\n", log_line("SIGTERM", child)));
    }
}

#[test]
fn a_parent_can_fork_again_after_a_child_ended() {
    let mut fixture = Fixture::start(TWO);
    let one = fixture.fork_and_terminate_child(1);
    let two = fixture.fork_and_terminate_child(2);
    assert_ne!(one, two);
    fixture.send("return");
    let outcome = fixture.finish();
    expect_parent_exit(&outcome, &[one, two]);
}

#[test]
fn the_parent_still_dies_by_its_own_signal_after_a_child_did() {
    let mut fixture = Fixture::start(TWO);
    let child = fixture.fork_and_terminate_child(1);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.after(CHILD_ENDED), ["ran second", "ran first"]);
    assert_eq!(
        outcome.stderr,
        format!(
            "{}\n{}\n",
            log_line("SIGTERM", child),
            outcome.log_line("SIGTERM")
        )
    );
}

#[test]
fn fork_then_exec_stays_safe() {
    let mut fixture = Fixture::start(TWO);
    fixture.send("spawn-pre-exec 200");
    fixture.wait_for("spawned 200");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        ["spawned 200", "ran second", "ran first"]
    );
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

/// The lines the fixture prints for a fork from inside an exit function:
/// `forked`, and the child's registration result and `exit_reason()`, in
/// any order but the child's own (each process prints its own lines), then
/// how the child ended.
fn expect_fork_during_the_run(outcome: &Outcome, child_registration: &str, child_reason: &str) {
    let after = outcome.after("ready");
    assert_eq!(after.len(), 4, "{outcome:#?}");
    let child: Vec<&str> = after[..3]
        .iter()
        .copied()
        .filter(|l| *l != "forked")
        .collect();
    assert_eq!(child, [child_registration, child_reason], "{outcome:#?}");
    assert_eq!(after[3], "child exited with 0", "{outcome:#?}");
}

/// A child forked by another thread while the exit functions run is not in
/// the run: the thread running it does not exist in the child, which can
/// register and will run its own exit functions, and is not ending (no exit
/// reason) until it ends itself.
#[test]
fn a_child_forked_during_a_run_on_another_thread_is_not_in_that_run() {
    let fixture = Fixture::start(&["--fun", "forks_from_a_thread:"]);
    let outcome = fixture.end_with_command("return", 0);
    expect_fork_during_the_run(&outcome, "child registered", "child reason: None");
}

/// Signals that reach a process while its exit functions run wait for the
/// run's end among the dispatcher's requests. A child that another thread
/// forks then is not in that run, and those requests are not its own: a
/// SIGINT sent to the child ends it by SIGINT, after its functions ran, and
/// not by the parent's waiting SIGTERM (which the child's dispatcher would
/// take first, being older).
#[test]
fn a_child_forked_during_a_run_does_not_inherit_the_signals_waiting_for_it() {
    let mut fixture = Fixture::start(&[
        "--fun",
        "first:TERM,INT",
        "--fun",
        "forks_a_waiting_child:",
        "--fun",
        "gate:",
    ]);
    // Main parks: the gate alone reads stdin.
    fixture.send("kill-self TERM");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGTERM);
    fixture.wait_until_delivered(libc::SIGTERM);
    fixture.send("go");
    fixture.wait_for("child ready");
    let (forked, child) = fixture.wait_for_pid("forked ");
    send_signal(child, libc::SIGINT);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(
        outcome.log_lines(),
        [outcome.log_line("SIGTERM"), log_line("SIGINT", child)],
        "{outcome:#?}"
    );
    let after: Vec<&str> = outcome
        .after("gate entered")
        .into_iter()
        .filter(|l| *l != forked)
        .collect();
    let ended = format!("child ended by signal {}", libc::SIGINT);
    assert_eq!(
        after,
        [
            "ran gate",
            "child ready",
            "child ran first",
            &ended,
            "ran first"
        ],
        "{outcome:#?}"
    );
}

/// A child forked by an exit function itself is still in the run it was
/// forked from (the forking thread is the one running it): registering
/// there fails as it would in the parent, and the exit reason is the run's.
#[test]
fn a_child_forked_by_an_exit_function_is_still_in_the_run() {
    let fixture = Fixture::start(&["--fun", "forks_here:TERM"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    let reason = format!(
        "child reason: Some(Signal {{ signal: SIGTERM({}), sender_pid: Some({}), sender_uid: Some({}) }})",
        libc::SIGTERM,
        std::process::id(),
        // SAFETY: getuid has no preconditions.
        unsafe { libc::getuid() }
    );
    expect_fork_during_the_run(
        &outcome,
        "child register error: exit functions are already running: the process is ending",
        &reason,
    );
}

/// A child made by the raw `clone` system call runs no fork handler, so it
/// has no dispatcher (a signal before its exit ends it, see
/// `handler.rs`). Its normal exit starts one, and then a hooked signal
/// during that exit's run changes nothing, as in any process: the
/// functions all run and the child exits with its status. Run as a fresh
/// thread instead, the functions would leave the signal nobody to hand it
/// to, and it would end the child.
#[test]
fn a_normal_exit_of_a_child_forked_by_the_raw_system_call_is_kept_from_signals() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "gate:"]);
    fixture.send("raw-fork-exit 4");
    let (line, child) = fixture.wait_for_pid("child pid ");
    fixture.wait_for("child gate entered");
    send_signal(child, libc::SIGTERM);
    fixture.send("go");
    fixture.wait_for("child exited with 4");
    fixture.send("return");
    fixture.wait_for("gate entered");
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.after(&line),
        [
            "child gate entered",
            "child ran gate",
            "child ran first",
            "child exited with 4",
            "gate entered",
            "ran gate",
            "ran first"
        ],
        "{outcome:#?}"
    );
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

/// Before its exit, the raw-forked child has no dispatcher: a hooked signal
/// ends it by the signal at once, running no exit function (none could run
/// them), and the handler says why on stderr, once.
#[test]
fn a_hooked_signal_ends_a_child_forked_by_the_raw_system_call_saying_why() {
    let mut fixture = Fixture::start(TWO);
    fixture.send("raw-fork-wait");
    let (line, child) = fixture.wait_for_pid("child pid ");
    send_signal(child, libc::SIGTERM);
    fixture.wait_for(CHILD_ENDED);
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(
        outcome.after(&line),
        [CHILD_ENDED, "ran second", "ran first"],
        "{outcome:#?}"
    );
    assert_eq!(
        outcome.stderr,
        "exit-attr: no dispatcher thread in this process; ending it by the signal \
         without running exit functions\n",
        "{outcome:#?}"
    );
}
