//! §7 shutdown control (and the §4 hang it bounds): `set_timeout`,
//! `set_force_on_second_signal`, and closures with their handles, including
//! registering and unregistering from inside exit functions and around
//! `fork`. SIGABRT is in `tests/abort.rs`.
//!
//! No test asserts a duration: a timeout must end the process, with the right
//! status, before the harness's own bound fails the test.

mod common;

use common::{Fixture, Outcome};

/// The stderr lines that say the exit functions were abandoned.
fn abandonment_lines(outcome: &Outcome) -> Vec<&str> {
    outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with("exit-attr: ") && l.contains("abandon"))
        .collect()
}

fn assert_abandoned_once(outcome: &Outcome) {
    assert_eq!(
        abandonment_lines(outcome).len(),
        1,
        "stderr: {}",
        outcome.stderr
    );
}

/// `second` runs before `hangs`, `first` (registered before it) after it.
const HANGS: &[&str] = &[
    "--timeout",
    "300",
    "--fun",
    "first:TERM",
    "--fun",
    "hangs:",
    "--fun",
    "second:",
];

#[test]
fn a_hanging_function_is_abandoned_at_the_timeout_and_the_signal_still_kills() {
    let fixture = Fixture::start(HANGS);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran hangs"], "{outcome:#?}");
    assert_abandoned_once(&outcome);
    outcome.assert_one_log_line("SIGTERM");
}

#[test]
fn a_hanging_function_is_abandoned_at_the_timeout_and_the_exit_status_stands() {
    for (command, code) in [
        ("exit 3", 3),
        ("return", 0),
        ("panic", 101),
        ("exit-thread 4", 4),
    ] {
        let mut fixture = Fixture::start(HANGS);
        fixture.send(command);
        let outcome = fixture.finish();
        assert_eq!(outcome.code(), Some(code), "{command}: {outcome:#?}");
        assert_eq!(
            outcome.ran(),
            ["ran second", "ran hangs"],
            "{command}: {outcome:#?}"
        );
        assert_abandoned_once(&outcome);
        assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
    }
}

/// The timeout bounds the run; it neither shortens nor changes one that
/// finishes in time.
#[test]
fn a_timeout_that_is_not_reached_changes_nothing() {
    let args = &[
        "--timeout",
        "600000",
        "--fun",
        "first:TERM",
        "--fun",
        "second:",
    ];
    let mut fixture = Fixture::start(args);
    fixture.send("exit 3");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(3), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
    assert_eq!(outcome.stderr, "");

    let fixture = Fixture::start(args);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
    assert!(abandonment_lines(&outcome).is_empty(), "{}", outcome.stderr);
    outcome.assert_one_log_line("SIGTERM");
}

/// §4: on the normal path, an exit function that calls `exit` is parked
/// forever by the standard library (the process would never end; checked by
/// hand, since a test cannot wait for "forever"). The timeout ends the
/// process with the status it was exiting with, not the function's 9.
#[test]
fn exit_from_an_exit_function_on_the_normal_path_ends_at_the_timeout_with_the_original_status() {
    for (command, code) in [("return", 0), ("exit 3", 3)] {
        let mut fixture = Fixture::start(&[
            "--timeout",
            "300",
            "--fun",
            "first:",
            "--fun",
            "exits:",
            "--fun",
            "second:",
        ]);
        fixture.send(command);
        let outcome = fixture.finish();
        assert_eq!(outcome.code(), Some(code), "{command}: {outcome:#?}");
        assert_eq!(
            outcome.ran(),
            ["ran second", "ran exits"],
            "{command}: {outcome:#?}"
        );
        assert_abandoned_once(&outcome);
    }
}

/// §4: during a signal run, the main thread calls `exit(4)` (it then owns
/// the exit and waits for the signal run), and then an exit function calls
/// `exit(9)`, which the standard library parks forever. The watchdog ends
/// the process by the signal.
#[test]
fn exit_from_an_exit_function_after_another_exit_during_a_signal_run_ends_by_the_signal() {
    let mut fixture = Fixture::start(&[
        "--timeout",
        "300",
        "--fun",
        "first:TERM",
        "--fun",
        "exits:",
        "--fun",
        "gate:",
    ]);
    fixture.signal(libc::SIGTERM);
    fixture.wait_for("gate entered");
    // The main thread, blocked reading stdin, gets `exit 4`; the gate `go`.
    fixture.send("exit 4");
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    outcome.assert_one_log_line("SIGTERM");
    // However the threads interleaved, nothing ran twice.
    let mut ran = outcome.ran();
    ran.sort_unstable();
    ran.dedup();
    assert_eq!(ran.len(), outcome.ran().len(), "{outcome:#?}");
}

/// On the signal path an exit function's `exit` continues the run on the
/// same thread (§4); the watchdog still bounds what follows it.
#[test]
fn a_hang_after_exit_from_an_exit_function_on_the_signal_path_ends_by_the_signal() {
    let fixture = Fixture::start(&[
        "--timeout",
        "300",
        "--fun",
        "first:TERM",
        "--fun",
        "hangs:",
        "--fun",
        "exits:",
    ]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran exits", "ran hangs"], "{outcome:#?}");
    assert_abandoned_once(&outcome);
    outcome.assert_one_log_line("SIGTERM");
}

/// With `--force`, `second`, sent while the gate holds up a SIGINT run,
/// ends the process at once, by `second`: nothing else runs.
fn forced_during_a_signal_run(first_signals: &str, second: i32) {
    let mut fixture = Fixture::start(&["--force", "--fun", first_signals, "--fun", "gate:"]);
    fixture.signal(libc::SIGINT);
    fixture.wait_for("gate entered");
    fixture.signal(second);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(second), "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    outcome.assert_one_log_line("SIGINT");
}

#[test]
fn with_force_a_second_signal_during_a_signal_run_ends_the_process_at_once() {
    forced_during_a_signal_run("first:INT", libc::SIGINT);
}

/// The process ends by the second signal, not the first.
#[test]
fn with_force_a_different_second_signal_ends_the_process_by_that_signal() {
    forced_during_a_signal_run("first:INT,TERM", libc::SIGTERM);
}

/// Without `--force` the second signal changes nothing. The first is sent
/// by the fixture to itself (`kill-self`), so that its main thread parks
/// instead of reading stdin, and `go` reaches the gate.
#[test]
fn without_force_a_second_signal_during_a_signal_run_changes_nothing() {
    let mut fixture = Fixture::start(&["--fun", "first:INT", "--fun", "gate:"]);
    fixture.send("kill-self INT");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGINT);
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGINT), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
    outcome.assert_one_log_line("SIGINT");
}

#[test]
fn with_force_a_signal_during_a_normal_exit_ends_it_by_the_signal() {
    let mut fixture = Fixture::start(&["--force", "--fun", "first:INT", "--fun", "gate:"]);
    fixture.send("exit 4");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGINT);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGINT), "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
}

/// The lines the even-numbered closures of `closures 16` print.
fn expected_closures() -> Vec<String> {
    let mut expected: Vec<String> = (0..8)
        .flat_map(|thread| {
            (0..16)
                .step_by(2)
                .map(move |i| format!("ran closure {thread}.{i}"))
        })
        .collect();
    expected.sort_unstable();
    expected
}

/// Each closure that was not unregistered ran once, the unregistered ones
/// never; each thread's closures ran newest first, and `first`, registered
/// before all of them, ran last.
fn assert_closures(outcome: &Outcome) {
    let closures: Vec<&str> = outcome
        .ran()
        .into_iter()
        .filter(|l| l.starts_with("ran closure "))
        .collect();
    assert_eq!(closures.len(), 64, "{outcome:#?}");
    let mut sorted = closures.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected_closures(), "{outcome:#?}");
    for thread in 0..8 {
        let prefix = format!("ran closure {thread}.");
        let order: Vec<u32> = closures
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|i| i.parse().unwrap())
            .collect();
        let newest_first: Vec<u32> = (0..16).step_by(2).rev().collect();
        assert_eq!(order, newest_first, "thread {thread}: {outcome:#?}");
    }
    assert_eq!(outcome.ran().last(), Some(&"ran first"), "{outcome:#?}");
    assert_eq!(outcome.ran().len(), 65, "{outcome:#?}");
}

#[test]
fn closures_from_eight_threads_run_once_each_on_a_signal_and_unregistered_ones_never() {
    let mut fixture = Fixture::start(&["--fun", "first:"]);
    fixture.send("closures 16");
    fixture.wait_for("closures ready");
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_closures(&outcome);
    outcome.assert_one_log_line("SIGTERM");
}

#[test]
fn closures_from_eight_threads_run_once_each_at_exit_and_unregistered_ones_never() {
    let mut fixture = Fixture::start(&["--fun", "first:"]);
    fixture.send("closures 16");
    fixture.wait_for("closures ready");
    fixture.send("return");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_closures(&outcome);
    assert_eq!(outcome.stderr, "");
}

/// Ends `fixture` by SIGTERM or by a return from `main`, and checks that it
/// ended that way.
fn end(mut fixture: Fixture, by_signal: bool) -> Outcome {
    if by_signal {
        fixture.signal(libc::SIGTERM);
    } else {
        fixture.send("return");
    }
    let outcome = fixture.finish();
    if by_signal {
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    } else {
        assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    }
    outcome
}

/// Ends a fixture that has set up `unregister-inside` (with `arg`) by a
/// SIGTERM and by a return from `main`, and checks what ran each time.
fn unregister_inside(arg: &str, expected: &[&str]) {
    let command = format!("unregister-inside {arg}");
    for by_signal in [true, false] {
        let mut fixture = Fixture::start(&[]);
        fixture.send(&command);
        fixture.wait_for("unregister-inside ready");
        let outcome = end(fixture, by_signal);
        assert_eq!(outcome.ran(), expected, "signal: {by_signal}");
    }
}

#[test]
fn an_exit_function_unregisters_one_that_has_not_started() {
    unregister_inside("", &["ran A: unregister returned true"]);
}

#[test]
fn unregistering_a_closure_that_already_ran_returns_false() {
    unregister_inside("reversed", &["ran B", "ran A: unregister returned false"]);
}

/// §6 and §7: a thousand fork-then-exec `Command`s (each running the fork
/// handlers, which take the registry lock) while another thread registers
/// and unregisters closures as fast as it can; then the signal path still
/// works.
#[test]
fn fork_then_exec_during_a_registration_storm_neither_hangs_nor_breaks_the_signal_path() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
    fixture.send("pre-exec-storm 1000");
    fixture.wait_for("spawned 1000");
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran first"], "{outcome:#?}");
    outcome.assert_one_log_line("SIGTERM");
}

#[test]
fn registering_a_closure_from_an_exit_function_is_an_error_without_deadlock() {
    for by_signal in [true, false] {
        let fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "registers_closure:"]);
        let outcome = end(fixture, by_signal);
        assert_eq!(
            outcome.ran(),
            [
                "ran registers_closure: Err(ExitInProgress): \
                 exit functions are already running: the process is ending",
                "ran first",
            ],
            "signal: {by_signal}"
        );
    }
}

/// §3: a signal that no registration lists keeps its own action. Once the
/// last registration listing it is unregistered, exit-attr gives it back.
#[test]
fn a_signal_no_registration_lists_any_more_gets_its_default_action_back() {
    let mut fixture = Fixture::start(&["--fun", "first:"]);
    fixture.send("listen-then-forget USR1");
    fixture.wait_for("forgotten");
    fixture.signal(libc::SIGUSR1);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGUSR1), "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    assert_eq!(
        outcome.stderr, "",
        "no log line: exit-attr no longer hooks it"
    );
}

#[test]
fn a_signal_no_registration_lists_any_more_gets_its_older_handler_back() {
    let mut fixture = Fixture::start(&["--older", "returns:HUP", "--fun", "first:"]);
    fixture.send("listen-then-forget HUP");
    fixture.wait_for("forgotten");
    fixture.signal(libc::SIGHUP);
    // The older handler runs, returns, and the program goes on.
    fixture.wait_for("older handler ran for 1");
    fixture.send("return");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran first"]);
}

#[test]
fn a_signal_still_listed_by_another_registration_stays_hooked() {
    let mut fixture = Fixture::start(&["--fun", "first:USR1"]);
    fixture.send("listen-then-forget USR1");
    fixture.wait_for("forgotten");
    fixture.signal(libc::SIGUSR1);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGUSR1), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran first"]);
}
