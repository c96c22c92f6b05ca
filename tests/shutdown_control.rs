//! Shutdown control (and the hang of an `exit` from an exit function that
//! it bounds): `set_timeout`,
//! `set_force_on_second_signal`, and closures with their handles, including
//! registering and unregistering from inside exit functions and around
//! `fork`. SIGABRT is in `tests/abort.rs`.
//!
//! One test per exit path asserts a duration: the contract says when a timeout ends
//! the process, and those tests check that it does, with wide margins (see
//! [`assert_ended_at_the_timeout`]). The others only need the timeout to end
//! the process, with the right status, before the harness's own bound fails
//! the test.

mod common;

use std::time::{Duration, Instant};

use common::{Fixture, Outcome, TIMEOUT};

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

/// How a test ends a fixture.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// A command that exits with this status (`return`, `exit N`).
    Command(&'static str, i32),
    /// A hooked signal.
    Signal(i32),
}

const RETURN: Ending = Ending::Command("return", 0);
const SIGTERM: Ending = Ending::Signal(libc::SIGTERM);

/// Ends `fixture` with `ending`, and checks that it ended that way: with
/// the command's status and no log line, or by the signal after exactly one
/// log line.
fn end(fixture: Fixture, ending: Ending) -> Outcome {
    match ending {
        Ending::Command(command, code) => {
            let outcome = fixture.end_with_command(command, code);
            assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
            outcome
        }
        Ending::Signal(signal) => fixture.end_by_hooked_signal(signal),
    }
}

/// `hangs` with a timeout of `timeout_ms`: `second` runs before `hangs`,
/// `first` (registered before it, for SIGTERM) would run after it.
fn hanging(timeout_ms: &str) -> [&str; 8] {
    [
        "--timeout",
        timeout_ms,
        "--fun",
        "first:TERM",
        "--fun",
        "hangs:",
        "--fun",
        "second:",
    ]
}

/// `hangs` was reached, never left, and the rest was abandoned once.
fn assert_abandoned_in_hangs(outcome: &Outcome) {
    assert_eq!(outcome.ran(), ["ran second", "ran hangs"], "{outcome:#?}");
    assert_abandoned_once(outcome);
}

/// The timeout of the two tests that time it.
const ONE_SECOND: Duration = Duration::from_secs(1);

/// Starts [`hanging`] with a timeout of [`ONE_SECOND`], triggers the exit
/// with `trigger`, and returns how the fixture ended and how long it took,
/// from just before the trigger to the moment the harness reaped it.
fn time_a_hanging_exit(trigger: impl FnOnce(&mut Fixture)) -> (Outcome, Duration) {
    let mut fixture = Fixture::start(&hanging(&ONE_SECOND.as_millis().to_string()));
    let triggered = Instant::now();
    trigger(&mut fixture);
    let outcome = fixture.finish();
    let took = outcome.reaped.duration_since(triggered);
    (outcome, took)
}

/// A behavioural bound of the timeout, not a performance threshold: the exit
/// functions start after the trigger, and the rest are abandoned (the
/// process ends) `timeout` after they started, so the process cannot end
/// sooner than [`ONE_SECOND`] after the trigger; and it must end about then,
/// which a bound of ten times the timeout checks with room for a loaded
/// machine. A runtime that waits less than the timeout it was given, or ten
/// times it or more, fails here. The upper bound is well below the
/// harness's own [`TIMEOUT`], so what ended the process is the timeout: had
/// the harness had to kill it, `finish` would have failed the test.
fn assert_ended_at_the_timeout(took: Duration, outcome: &Outcome) {
    const _: () = assert!(10 * ONE_SECOND.as_secs() < TIMEOUT.as_secs());
    assert!(
        took >= ONE_SECOND,
        "ended {took:?} after the trigger, before the timeout of {ONE_SECOND:?}: {outcome:#?}"
    );
    assert!(
        took < 10 * ONE_SECOND,
        "ended {took:?} after the trigger, not about the timeout of {ONE_SECOND:?}: {outcome:#?}"
    );
}

#[test]
fn a_hanging_function_on_the_signal_path_is_abandoned_at_the_timeout_and_the_signal_kills() {
    let (outcome, took) = time_a_hanging_exit(|fixture| fixture.signal(libc::SIGTERM));
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_abandoned_in_hangs(&outcome);
    assert_ended_at_the_timeout(took, &outcome);
}

#[test]
fn a_hanging_function_on_the_normal_path_is_abandoned_at_the_timeout_and_the_status_stands() {
    let (outcome, took) = time_a_hanging_exit(|fixture| fixture.send("exit 3"));
    assert_eq!(outcome.code(), Some(3), "{outcome:#?}");
    assert_abandoned_in_hangs(&outcome);
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
    assert_ended_at_the_timeout(took, &outcome);
}

/// A process out of descriptors from its registrations to its exit ends
/// normally: where the wake-up channel is a pipe (macOS; the pipe run of
/// CI), no dispatcher could be started when it registered, nor at the exit,
/// so the functions run on a fresh thread of their own, and the timeout
/// still bounds them. (With a futex or a semaphore, which need no
/// descriptor, the dispatcher runs them, as in the test above.)
#[test]
fn out_of_descriptors_at_exit_a_hanging_function_is_still_abandoned_at_the_timeout() {
    let mut fixture = Fixture::start(&[
        "--timeout",
        "200",
        "--exhaust-fds",
        "--fun",
        "first:TERM",
        "--exhaust-fds",
        "--fun",
        "hangs:",
        "--exhaust-fds",
        "--fun",
        "second:",
    ]);
    fixture.send("exhaust-fds");
    fixture.wait_for("descriptors exhausted");
    let outcome = fixture.end_with_command("exit 3", 3);
    assert_abandoned_in_hangs(&outcome);
}

/// The timeout abandons the functions not yet started for good: when the
/// one that outlived it returns, the run stops there. The C `atexit`
/// handler, which runs after exit-attr's gave up, lets
/// `outlives_the_timeout` return and waits until the dispatcher has ended;
/// `first`, next in line, never runs, and the status stands.
// Not under an emulator (`emulated`, see the root `build.rs`): the C
// `atexit` handler waits until the process has one thread left, and
// qemu-user keeps threads of its own in it.
#[cfg(not(emulated))]
#[test]
fn functions_abandoned_at_the_timeout_stay_abandoned_when_the_slow_one_returns() {
    let outcome = Fixture::start(&[
        "--atexit-waits",
        "--timeout",
        "300",
        "--fun",
        "first:TERM",
        "--fun",
        "outlives_the_timeout:",
        "--fun",
        "second:",
    ])
    .end_with_command("exit 3", 3);
    assert_eq!(
        outcome.after("ready"),
        [
            "ran second",
            "ran outlives_the_timeout",
            "c atexit handler waits for the dispatcher",
            "outlives_the_timeout returns",
            "c atexit handler: the dispatcher ended",
        ],
        "{outcome:#?}"
    );
    assert_abandoned_once(&outcome);
}

/// The timeout bounds the older handler too: it is chained in the run's
/// time, and one that never returns is cut short when the timeout expires,
/// by the signal.
#[test]
fn an_older_handler_that_hangs_is_ended_at_the_timeout_by_the_signal() {
    let fixture = Fixture::start(&[
        "--timeout",
        "300",
        "--older",
        "hangs:TERM",
        "--fun",
        "first:TERM",
    ]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.after("ready"), ["ran first", "older handler hangs"]);
}

/// The other ways of a normal exit (`exit 3` is timed above).
#[test]
fn a_hanging_function_is_abandoned_at_the_timeout_and_every_exit_status_stands() {
    for (command, code) in [("return", 0), ("panic", 101), ("exit-thread 4", 4)] {
        let outcome = end(
            Fixture::start(&hanging("300")),
            Ending::Command(command, code),
        );
        assert_abandoned_in_hangs(&outcome);
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
    let outcome = Fixture::start(args).end_with_command("exit 3", 3);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
    assert_eq!(outcome.stderr, "");

    let outcome = Fixture::start(args).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran second", "ran first"]);
    assert!(abandonment_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

/// On the normal path, an exit function that calls `exit` is parked
/// forever by the standard library (the process would never end; checked by
/// hand, since a test cannot wait for "forever"). The timeout ends the
/// process with the status it was exiting with, not the function's 9.
#[test]
fn exit_from_an_exit_function_on_the_normal_path_ends_at_the_timeout_with_the_original_status() {
    for (command, code) in [("return", 0), ("exit 3", 3)] {
        let fixture = Fixture::start(&[
            "--timeout",
            "300",
            "--fun",
            "first:",
            "--fun",
            "exits:",
            "--fun",
            "second:",
        ]);
        let outcome = end(fixture, Ending::Command(command, code));
        assert_eq!(
            outcome.ran(),
            ["ran second", "ran exits"],
            "{command}: {outcome:#?}"
        );
        assert_abandoned_once(&outcome);
    }
}

/// During a signal run, the main thread calls `exit(4)` (it then owns
/// the exit and waits for the signal run), and then an exit function calls
/// `exit(9)`, which the standard library parks forever. The watchdog ends
/// the process by the signal, abandoning `first`.
///
/// The order is fixed by handshakes, not by luck: main reads
/// `exit-in-gate 4` before the signal, so it never reads stdin again and
/// `go` can only reach the gate; it calls `exit` only once the gate has
/// started; and the test lets the gate go only once main's own `atexit`
/// handler has said that main is inside `exit()`. The one assumption on
/// time is that this handshake takes less than the timeout (a second),
/// which is what ends the process and cannot be waited for otherwise.
#[test]
fn exit_from_an_exit_function_after_another_exit_during_a_signal_run_ends_by_the_signal() {
    let mut fixture = Fixture::start(&[
        "--timeout",
        "1000",
        "--fun",
        "first:TERM",
        "--fun",
        "exits:",
        "--fun",
        "gate:",
    ]);
    fixture.send("exit-in-gate 4");
    fixture.wait_for("exit armed");
    fixture.signal(libc::SIGTERM);
    fixture.wait_for("main in exit");
    fixture.send("go");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [
            "exit armed",
            "gate entered",
            "main in exit",
            "ran gate",
            "ran exits"
        ],
        "{outcome:#?}"
    );
    assert_abandoned_once(&outcome);
    // The log line and the abandonment line are all of stderr.
    assert_eq!(outcome.stderr.lines().count(), 2, "{}", outcome.stderr);
}

/// On the signal path an exit function's `exit` continues the run on the
/// same thread; the watchdog still bounds what follows it.
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
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran exits", "ran hangs"], "{outcome:#?}");
    assert_abandoned_once(&outcome);
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
    outcome.assert_died_by_hooked_signal(libc::SIGINT);
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{outcome:#?}");
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

/// A signal that arrives once the exit functions of a normal exit have
/// finished, while the process is still exiting (here from a C `atexit`
/// handler that runs after exit-attr's), is not "during a run": even with
/// `--force` it changes nothing, and the exit keeps its status.
#[test]
fn with_force_a_signal_after_the_run_finished_changes_nothing() {
    let fixture = Fixture::start(&["--atexit-raises", "TERM", "--force", "--fun", "first:TERM"]);
    let outcome = fixture.end_with_command("exit 3", 3);
    assert_eq!(
        outcome.after("ready"),
        [
            "ran first",
            "c atexit handler raises 15",
            "c atexit handler returned"
        ],
        "{outcome:#?}"
    );
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
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_closures(&outcome);
}

#[test]
fn closures_from_eight_threads_run_once_each_at_exit_and_unregistered_ones_never() {
    let mut fixture = Fixture::start(&["--fun", "first:"]);
    fixture.send("closures 16");
    fixture.wait_for("closures ready");
    let outcome = fixture.end_with_command("return", 0);
    assert_closures(&outcome);
    assert_eq!(outcome.stderr, "");
}

/// Ends a fixture that has set up `unregister-inside` (with `arg`) by a
/// SIGTERM and by a return from `main`, and checks what ran each time.
fn unregister_inside(arg: &str, expected: &[&str]) {
    let command = format!("unregister-inside {arg}");
    for ending in [SIGTERM, RETURN] {
        let mut fixture = Fixture::start(&[]);
        fixture.send(&command);
        fixture.wait_for("unregister-inside ready");
        let outcome = end(fixture, ending);
        assert_eq!(outcome.ran(), expected, "{ending:?}");
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

/// A thousand fork-then-exec `Command`s (each running the fork
/// handlers, which take the registry lock) while another thread registers
/// and unregisters closures as fast as it can; then the signal path still
/// works.
#[test]
fn fork_then_exec_during_a_registration_storm_neither_hangs_nor_breaks_the_signal_path() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
    fixture.send("pre-exec-storm 1000");
    fixture.wait_for("spawned 1000");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran second", "ran first"], "{outcome:#?}");
}

#[test]
fn registering_a_closure_from_an_exit_function_is_an_error_without_deadlock() {
    for ending in [SIGTERM, RETURN] {
        let fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "registers_closure:"]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.ran(),
            [
                "ran registers_closure: Err(ExitInProgress): \
                 exit functions are already running: the process is ending",
                "ran first",
            ],
            "{ending:?}"
        );
    }
}

/// `unregister` removes the closure. `listen-then-forget SIG` registers
/// a closure (`ran forgotten`) for SIG and unregisters it; `first`, listing
/// SIG too, keeps SIG hooked. However the process then ends, only `first`
/// runs.
fn forget_then_end(signal: &str, ending: Ending) {
    let mut fixture = Fixture::start(&["--fun", &format!("first:{signal}")]);
    fixture.send(&format!("listen-then-forget {signal}"));
    fixture.wait_for("forgotten");
    let outcome = end(fixture, ending);
    assert_eq!(outcome.after("forgotten"), ["ran first"], "{ending:?}");
}

#[test]
fn an_unregistered_closure_never_runs_at_a_normal_exit() {
    for ending in [RETURN, Ending::Command("exit 3", 3)] {
        forget_then_end("TERM", ending);
    }
}

/// The signal is still listed by `first`, so it still takes the signal
/// path (one log line, death by the signal), without the closure.
#[test]
fn an_unregistered_closure_never_runs_on_a_signal_that_another_registration_hooks() {
    forget_then_end("TERM", SIGTERM);
    forget_then_end("USR1", Ending::Signal(libc::SIGUSR1));
}

/// A signal that no registration lists keeps its own action. Once the
/// last registration listing it is unregistered, exit-attr gives it back:
/// the default action kills the process, and nothing runs or is logged.
#[test]
fn a_signal_no_registration_lists_any_more_gets_its_default_action_back() {
    let mut fixture = Fixture::start(&["--fun", "first:"]);
    fixture.send("listen-then-forget USR1");
    fixture.wait_for("forgotten");
    let outcome = fixture.end_by_unhooked_signal(libc::SIGUSR1);
    assert_eq!(outcome.after("forgotten"), [] as [&str; 0], "{outcome:#?}");
    assert_eq!(
        outcome.stderr, "",
        "no log line: exit-attr no longer hooks it"
    );
}

/// The older handler runs alone, returns, and the program goes on; its exit
/// functions then run at the normal exit, without the closure.
#[test]
fn a_signal_no_registration_lists_any_more_gets_its_older_handler_back() {
    let mut fixture = Fixture::start(&["--older", "returns:HUP", "--fun", "first:"]);
    fixture.send("listen-then-forget HUP");
    fixture.wait_for("forgotten");
    fixture.signal(libc::SIGHUP);
    fixture.wait_for("older handler ran for 1");
    let outcome = end(fixture, RETURN);
    assert_eq!(
        outcome.after("forgotten"),
        ["older handler ran for 1", "ran first"],
        "{outcome:#?}"
    );
    assert_eq!(
        outcome.stderr, "",
        "no log line: exit-attr no longer hooks it"
    );
}

/// `second` runs first, then `libc_exits` calls the C library's `exit(6)`,
/// then `first` would run.
const LIBC_EXITS: &[&str] = &[
    "--fun",
    "first:TERM",
    "--fun",
    "libc_exits:",
    "--fun",
    "second:",
];

/// C code that calls the C library's `exit` (not Rust's) inside an exit
/// function, on the normal path: the C library runs the rest of its exit on
/// that thread and ends the process at once with that status, cutting the
/// run short (`first` never runs). The crate docs say so; this pins it.
#[test]
fn libc_exit_from_an_exit_function_on_the_normal_path_ends_the_process_with_its_status() {
    let outcome = Fixture::start(LIBC_EXITS).end_with_command("return", 6);
    assert_eq!(
        outcome.ran(),
        ["ran second", "ran libc_exits"],
        "{outcome:#?}"
    );
}

/// On the signal path the C library's `exit` changes nothing, as Rust's:
/// the remaining functions run and the process ends by the signal.
#[test]
fn libc_exit_from_an_exit_function_on_the_signal_path_changes_nothing() {
    let outcome = Fixture::start(LIBC_EXITS).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran second", "ran libc_exits", "ran first"],
        "{outcome:#?}"
    );
}
