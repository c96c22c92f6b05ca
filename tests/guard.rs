//! Guards: the closure of an `exit_guard` runs exactly once, when the
//! guard is dropped or at exit / on a hooked signal, whichever comes first,
//! in order with the other exit functions; `dismiss` unregisters it.
//!
//! The fixture holds guards (`--guard NAME:SIGS`, in order with the `--fun`
//! registrations around it), drops them (`drop`, `drop-on-thread`, `fork
//! NAME`, the exit function `drops_guards`) and dismisses them (`dismiss`,
//! the exit function `dismisses_guards`). A guard's closure prints `ran
//! NAME in a drop` when a drop runs it and `ran NAME` when the exit does,
//! so each test sees which of the two ran it, not only how often.

mod common;

use common::{Fixture, Outcome, REVERSED, THREE, log_line};

/// How a test ends a fixture.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// Return from `main`: status 0.
    Return,
    /// A hooked SIGTERM sent by the test.
    Sigterm,
}

const ENDINGS: [Ending; 2] = [Ending::Return, Ending::Sigterm];

/// Ends `fixture` with `ending`, and checks that it ended that way: status 0
/// and no log line, or by SIGTERM after exactly one log line.
fn end(fixture: Fixture, ending: Ending) -> Outcome {
    match ending {
        Ending::Return => {
            let outcome = fixture.end_with_command("return", 0);
            assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
            outcome
        }
        Ending::Sigterm => fixture.end_by_hooked_signal(libc::SIGTERM),
    }
}

/// `first` (SIGTERM), the guard `g` (SIGTERM), `second` (no signal): at
/// exit, `second` runs first, then `g`, then `first`.
const GUARD_BETWEEN: &[&str] = &[
    "--fun",
    "first:TERM",
    "--guard",
    "g:TERM",
    "--fun",
    "second:",
];

#[test]
fn a_guard_dropped_in_main_runs_at_the_drop_and_not_again_at_exit() {
    for ending in ENDINGS {
        let mut fixture = Fixture::start(GUARD_BETWEEN);
        fixture.send("drop g");
        fixture.wait_for("dropped g");
        let outcome = end(fixture, ending);
        // The closure's line comes before the line main prints once the drop
        // returned: it ran in the drop, on main's thread.
        assert_eq!(
            outcome.after("ready"),
            ["ran g in a drop", "dropped g", "ran second", "ran first"],
            "{ending:?}: {outcome:#?}"
        );
    }
}

#[test]
fn a_guard_still_alive_runs_once_at_exit_in_order() {
    for ending in ENDINGS {
        let outcome = end(Fixture::start(GUARD_BETWEEN), ending);
        assert_eq!(
            outcome.after("ready"),
            ["ran second", "ran g", "ran first"],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// A guard's closure is labelled by where `exit_guard` was called (in the
/// fixture), not by a line inside exit-attr: that is the place a panic
/// report must point the user to.
#[test]
fn a_panicking_guard_is_reported_at_the_exit_guard_call_and_the_others_still_run() {
    for ending in ENDINGS {
        let fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "panics:TERM"]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            ["ran panics", "ran first"],
            "{ending:?}: {outcome:#?}"
        );
        let report = outcome.the_panic_report();
        assert!(
            report
                .starts_with("exit-attr: exit function registered at tests/fixtures/commands.rs:"),
            "{ending:?}: {report}"
        );
        assert!(
            report.ends_with("panicked: boom in a guard; the remaining exit functions still run"),
            "{ending:?}: {report}"
        );
    }
}

/// The guard alone hooks SIGTERM: one log line, one run, death by SIGTERM.
#[test]
fn a_guard_alone_runs_once_on_its_signal_and_the_process_dies_by_it() {
    let outcome = Fixture::start(&["--guard", "g:TERM"]).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.after("ready"), ["ran g"], "{outcome:#?}");

    let outcome = Fixture::start(&["--guard", "g:TERM"]).end_with_command("exit 3", 3);
    assert_eq!(outcome.after("ready"), ["ran g"], "{outcome:#?}");
}

/// As a function registered with `signals = []`, a guard that lists no
/// signal runs on a signal that another registration hooked.
#[test]
fn a_guard_listing_no_signal_runs_on_a_signal_another_registration_hooked() {
    let fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "g:"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.after("ready"), ["ran g", "ran first"]);
}

#[test]
fn dismiss_returns_true_and_the_closure_never_runs() {
    for ending in ENDINGS {
        let mut fixture = Fixture::start(GUARD_BETWEEN);
        fixture.send("dismiss g");
        fixture.wait_for("dismiss g returned true");
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            ["dismiss g returned true", "ran second", "ran first"],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// Deterministic: `dismisses_guards` is registered before the guard, so the
/// exit runs the guard's closure first, and `dismiss` comes after it.
#[test]
fn dismiss_after_the_exit_ran_the_closure_returns_false() {
    for ending in ENDINGS {
        let fixture = Fixture::start(&[
            "--fun",
            "first:TERM",
            "--fun",
            "dismisses_guards:",
            "--guard",
            "g:TERM",
        ]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            [
                "ran g",
                "ran dismisses_guards",
                "dismiss g returned false",
                "ran first"
            ],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// Registered after the guard, `dismisses_guards` runs before the guard's
/// turn: the exit has started, the closure has not, and it never does.
#[test]
fn dismiss_from_an_exit_function_before_the_closure_s_turn_returns_true() {
    for ending in ENDINGS {
        let fixture = Fixture::start(&[
            "--fun",
            "first:TERM",
            "--guard",
            "g:TERM",
            "--fun",
            "dismisses_guards:",
        ]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            [
                "ran dismisses_guards",
                "dismiss g returned true",
                "ran first"
            ],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// A guard that was the only registration listing SIGTERM gives it back
/// when it is dropped or dismissed, as an unregistered closure does: SIGTERM
/// then keeps its default action, and nothing else runs.
#[test]
fn a_guard_dropped_or_dismissed_gives_back_a_signal_that_nothing_else_lists() {
    let mut fixture = Fixture::start(&["--fun", "third:", "--guard", "g:TERM"]);
    fixture.send("dismiss g");
    fixture.wait_for("dismiss g returned true");
    fixture.end_by_unhooked_signal(libc::SIGTERM);

    let mut fixture = Fixture::start(&["--fun", "third:", "--guard", "g:TERM"]);
    fixture.send("drop g");
    fixture.wait_for("dropped g");
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.after("ready"), ["ran g in a drop", "dropped g"]);
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

/// A signal given back is hooked again by the next registration that
/// lists it.
#[test]
fn a_signal_given_back_by_a_guard_is_hooked_again_by_the_next_guard() {
    let mut fixture = Fixture::start(&["--guard", "g:TERM"]);
    fixture.send("dismiss g");
    fixture.wait_for("dismiss g returned true");
    fixture.send("guard h:TERM");
    fixture.wait_for("holding h");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.after("holding h"), ["ran h"]);
}

/// The guard's closure, run in its drop, lists SIGTERM again (with a new
/// guard) before the drop gives back the signals it released: SIGTERM stays
/// hooked.
#[test]
fn a_guard_does_not_give_back_a_signal_listed_again_while_its_closure_ran() {
    let mut fixture = Fixture::start(&["--guard", "relists:TERM"]);
    fixture.send("drop relists");
    fixture.wait_for("dropped relists");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [
            "ran relists in a drop",
            "holding h",
            "dropped relists",
            "ran h"
        ]
    );
}

/// A handler installed after the guard owns SIGTERM: giving the signal back
/// must not take it from that handler (`exit7` ends the process with 7).
#[test]
fn a_guard_leaves_a_signal_that_a_newer_handler_owns_to_it() {
    for (command, reply) in [
        ("dismiss g", "dismiss g returned true"),
        ("drop g", "dropped g"),
    ] {
        let mut fixture = Fixture::start(&["--guard", "g:TERM", "--older", "exit7:TERM"]);
        fixture.send(command);
        fixture.wait_for(reply);
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        assert_eq!(outcome.code(), Some(7), "{command}: {outcome:#?}");
        assert_eq!(
            outcome.after(reply),
            ["older handler calls _exit(7)"],
            "{command}: {outcome:#?}"
        );
    }
}

#[test]
fn a_guard_dropped_by_an_exit_function_runs_there_once_in_order() {
    for ending in ENDINGS {
        let fixture = Fixture::start(&[
            "--fun",
            "first:TERM",
            "--guard",
            "g:TERM",
            "--fun",
            "drops_guards:",
            "--fun",
            "second:",
        ]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            [
                "ran second",
                "ran drops_guards",
                "ran g in a drop",
                "ran first"
            ],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// The exit ran the closure before `drops_guards` drops the guard: the drop
/// does nothing more, and does not hold up the exit.
#[test]
fn a_guard_dropped_by_an_exit_function_after_the_exit_ran_it_does_nothing() {
    for ending in ENDINGS {
        let fixture = Fixture::start(&[
            "--fun",
            "first:TERM",
            "--fun",
            "drops_guards:",
            "--guard",
            "g:TERM",
            "--fun",
            "second:",
        ]);
        let outcome = end(fixture, ending);
        assert_eq!(
            outcome.after("ready"),
            ["ran second", "ran g", "ran drops_guards", "ran first"],
            "{ending:?}: {outcome:#?}"
        );
    }
}

/// Dropping or dismissing a guard while the exit runs its closure
/// does nothing more and never waits for it. The guard's closure is the
/// gate, which holds still on the exit path until the test writes `go`; a
/// thread of the fixture drops or dismisses the guard as soon as the gate
/// has started, and its line comes while the gate still waits. The exit is
/// started by the fixture itself (`kill-self TERM`, `exit 3`), so that its
/// main thread no longer reads stdin and `go` reaches the gate.
#[test]
fn dropping_or_dismissing_a_guard_while_the_exit_runs_it_does_nothing_and_never_waits() {
    for (command, line) in [
        ("drop gate", "dropped gate"),
        ("dismiss gate", "dismiss gate returned false"),
    ] {
        for (exit, code) in [("kill-self TERM", None), ("exit 3", Some(3))] {
            let mut fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "gate:TERM"]);
            fixture.send(&format!("in-gate {command}"));
            fixture.wait_for("in-gate armed");
            fixture.send(exit);
            fixture.wait_for(line);
            fixture.send("go");
            let outcome = fixture.finish();
            match code {
                None => outcome.assert_died_by_hooked_signal(libc::SIGTERM),
                Some(code) => assert_eq!(outcome.code(), Some(code), "{outcome:#?}"),
            }
            assert_eq!(
                outcome.after("in-gate armed"),
                ["gate entered", line, "ran gate", "ran first"],
                "{command}, {exit}: {outcome:#?}"
            );
        }
    }
}

/// An exit function that drops or dismisses the only guard listing SIGTERM
/// gives SIGTERM back in the middle of the SIGTERM run: the run still ends
/// the process by SIGTERM.
#[test]
fn giving_back_the_signal_during_its_own_run_still_ends_the_process_by_it() {
    for (function, lines) in [
        ("drops_guards:", ["ran drops_guards", "ran g in a drop"]),
        (
            "dismisses_guards:",
            ["ran dismisses_guards", "dismiss g returned true"],
        ),
    ] {
        let fixture = Fixture::start(&["--guard", "g:TERM", "--fun", function]);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.after("ready"), lines, "{function}: {outcome:#?}");
    }
}

/// The child's copy of the guard is the child's; dropping it
/// runs the closure in the child, and the parent's guard still runs at the
/// parent's exit.
#[test]
fn a_guard_dropped_in_a_forked_child_runs_in_the_child_only() {
    for ending in ENDINGS {
        let mut fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "g:TERM"]);
        let child = fixture.fork_with_and_terminate_child("fork g", 1);
        // Not `end`: the child's log line is on the parent's stderr too.
        let outcome = match ending {
            Ending::Return => fixture.end_with_command("return", 0),
            Ending::Sigterm => {
                fixture.signal(libc::SIGTERM);
                let outcome = fixture.finish();
                assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
                outcome
            }
        };
        let forked = format!("forked {child}");
        // `forked PID`, from the parent, may come anywhere among the child's
        // lines; everything else is in one order.
        let lines: Vec<&str> = outcome
            .after("ready")
            .into_iter()
            .filter(|l| *l != forked)
            .collect();
        assert_eq!(
            lines,
            [
                "child ran g in a drop",
                "child ready",
                "child ran first",
                "child ended by signal 15",
                "ran g",
                "ran first"
            ],
            "{ending:?}: {outcome:#?}"
        );
        // The child logged its SIGTERM under its own pid, and the parent its
        // own, if it got one, under its own.
        let mut expected = vec![log_line("SIGTERM", child)];
        if let Ending::Sigterm = ending {
            expected.push(outcome.log_line("SIGTERM"));
        }
        assert_eq!(outcome.log_lines(), expected, "{}", outcome.stderr);
    }
}

/// Who ran the racing guard's closure, from its line.
#[derive(Debug, Default)]
struct Tally {
    /// A drop, before the exit had recorded its reason (`exit_reason()` was
    /// `None`).
    drop_before_exit: usize,
    /// A drop, after the exit had started but before the closure's turn.
    drop_during_exit: usize,
    /// The exit path.
    exit: usize,
}

/// Under a real race, 200 times: the test writes a command that
/// drops the guard and sends SIGTERM right after, so the drop and the
/// signal are in flight at once. Whoever wins, the process ends by SIGTERM
/// (one log line), the guard's closure ran exactly once, and every other
/// exit function ran once, in order; the harness bounds each run, so a hang
/// fails the test.
///
/// The runs vary what races: the drop on the main thread (`drop`, which
/// reads the command) or on a new thread (`drop-on-thread`), and the guard
/// as the newest registration (the exit takes it first) or the oldest (the
/// exit takes it last, after the three others, which leaves a drop time to
/// come while the exit runs). Which side wins is up to the scheduler; the
/// tally of the winners is printed, not asserted, since any split is right.
///
/// The guard is named `reason`, so that its closure also says whether the
/// exit had started: `exit_reason()` there is `None` or the whole SIGTERM
/// reason, and on the exit path always the latter.
#[test]
fn a_drop_racing_sigterm_runs_the_closure_exactly_once() {
    const RUNS: usize = 200;
    let guard = ["--guard", "reason:TERM"];
    let newest: Vec<&str> = THREE.iter().chain(&guard).copied().collect();
    let oldest: Vec<&str> = guard.iter().chain(THREE).copied().collect();
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let by_the_test = format!(
        "{:?}",
        Some(exit_attr::ExitReason::Signal {
            signal: exit_attr::Signal::SIGTERM,
            sender_pid: Some(std::process::id() as i32),
            sender_uid: Some(uid),
        })
    );
    let (in_a_drop_before, in_a_drop_during, at_exit) = (
        "ran reason in a drop: None".to_owned(),
        format!("ran reason in a drop: {by_the_test}"),
        format!("ran reason: {by_the_test}"),
    );
    let mut tally = Tally::default();
    let started = std::time::Instant::now();
    for run in 0..RUNS {
        let args = if run % 2 == 0 { &newest } else { &oldest };
        let command = if run % 4 < 2 {
            "drop reason"
        } else {
            "drop-on-thread reason"
        };
        let mut fixture = Fixture::start(args);
        fixture.send(command);
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        let context = format!("run {run}, {command}, args {args:?}: {outcome:#?}");
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{context}");
        outcome.assert_one_log_line("SIGTERM");
        let (guard_lines, others): (Vec<&str>, Vec<&str>) = outcome
            .ran()
            .into_iter()
            .partition(|l| l.starts_with("ran reason"));
        assert_eq!(others, REVERSED, "{context}");
        match guard_lines[..] {
            [line] if line == in_a_drop_before => tally.drop_before_exit += 1,
            [line] if line == in_a_drop_during => tally.drop_during_exit += 1,
            [line] if line == at_exit => tally.exit += 1,
            _ => panic!("the guard's closure did not run exactly once: {context}"),
        }
    }
    // Evidence that both sides win, for whoever reads the output (`cargo
    // test -- --nocapture`); not asserted, as said above.
    eprintln!("{RUNS} races in {:?}: {tally:?}", started.elapsed());
}

/// A guard's closure that calls `exit` while a drop runs it ends the
/// process with that status: the exit does not wait for the drop that
/// called it, which never returns.
#[test]
fn a_guards_closure_that_calls_exit_in_a_drop_ends_the_process() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "exits:"]);
    fixture.send("drop exits");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(5), "{outcome:#?}");
    assert_eq!(
        outcome.after("ready"),
        ["ran exits in a drop", "ran first"],
        "{outcome:#?}"
    );
}

/// The same from inside an exit function on the signal path: an exit
/// function drops the guard, whose closure calls `exit`; the rest still
/// runs, and the process still ends by the signal.
#[test]
fn a_guards_closure_that_calls_exit_in_a_drop_during_a_signal_run_ends_by_the_signal() {
    let fixture = Fixture::start(&[
        "--fun",
        "first:TERM",
        "--guard",
        "exits:",
        "--fun",
        "drops_guards:",
    ]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran drops_guards", "ran exits in a drop", "ran first"],
        "{outcome:#?}"
    );
}

/// A hooked signal that arrives while a drop runs the closure of the only
/// guard that lists it waits for the closure to finish: the guard gives
/// the signal back only then.
#[test]
fn a_signal_during_a_guards_drop_waits_for_its_closure() {
    let mut fixture = Fixture::start(&["--guard", "gate:TERM"]);
    fixture.send("drop gate");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGTERM);
    fixture.wait_until_delivered(libc::SIGTERM);
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    let after = outcome.after("ready");
    // Main may or may not print `dropped gate` before the process ends.
    assert_eq!(after[..2], ["gate entered", "ran gate"], "{outcome:#?}");
    // No registration listed SIGTERM any more when it came: no log line.
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

/// A forked child does not wait for a guard's closure that another thread
/// of the parent was running in a drop when it forked: that thread does not
/// exist in the child.
#[test]
fn a_forked_child_does_not_wait_for_the_parents_drops() {
    let mut fixture = Fixture::start(&["--fun", "first:TERM", "--guard", "hangs:"]);
    fixture.send("drop-on-thread hangs");
    fixture.wait_for("ran hangs in a drop");
    // No timeout in the child: nothing but the fix keeps it from waiting.
    fixture.fork_and_terminate_child(1);
    // The parent's own exit does wait for it, until a timeout.
    fixture.send("timeout 300");
    fixture.wait_for("timeout set");
    let outcome = fixture.end_with_command("return", 0);
    assert!(
        outcome.stdout.iter().any(|l| l == "child ran first"),
        "{outcome:#?}"
    );
    assert!(
        outcome.stderr.contains("abandoning the rest"),
        "{}",
        outcome.stderr
    );
}
