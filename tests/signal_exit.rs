//! §3.2, §4 and §5: a hooked signal runs every registered function once, in
//! reverse order of registration, logs one line, and the process then dies
//! by that same signal. The first exit wins.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use common::{Fixture, Outcome, REVERSED, THREE, TIMEOUT};

/// The signals a test may hook and send, as the fixture spells them.
const HOOKABLE: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
];

/// Held for reading while a test spawns a fixture, and for writing by the
/// test that closes the fixture's stdout: a child forked by another test
/// holds a copy of every open descriptor until it calls `exec`, which would
/// keep the read end of that stdout open.
static SPAWN: RwLock<()> = RwLock::new(());

/// [`Fixture::start`], never while a test needs its descriptors unshared.
fn start(args: &[&str]) -> Fixture {
    let _spawning = SPAWN.read().unwrap_or_else(PoisonError::into_inner);
    Fixture::start(args)
}

/// The stderr lines that look like a log line of any signal.
fn log_lines(outcome: &Outcome) -> Vec<&str> {
    outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with("signal ") && l.contains(" received by process with PID "))
        .collect()
}

/// Asserts that stderr holds exactly one log line, the one for `signal`.
fn assert_one_log_line(outcome: &Outcome, signal: &str) {
    assert_eq!(
        outcome.stderr_count(&outcome.log_line(signal)),
        1,
        "stderr: {}",
        outcome.stderr
    );
    assert_eq!(log_lines(outcome).len(), 1, "stderr: {}", outcome.stderr);
}

#[test]
fn every_hookable_signal_runs_them_once_logs_once_and_kills_by_itself() {
    for &(name, number) in HOOKABLE {
        let first = format!("first:{name}");
        let second = format!("second:{name}");
        // Two registrations list the signal: still one log line.
        let fixture = start(&["--fun", &first, "--fun", &second, "--fun", "third:"]);
        fixture.signal(number);
        let outcome = fixture.finish();
        assert_eq!(outcome.signal(), Some(number), "SIG{name}: {outcome:#?}");
        assert_eq!(outcome.ran(), REVERSED, "SIG{name}");
        assert_one_log_line(&outcome, &format!("SIG{name}"));
    }
}

#[test]
fn a_signal_nobody_hooked_keeps_its_default_action() {
    let fixture = start(THREE);
    fixture.signal(libc::SIGUSR1);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGUSR1), "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    assert!(log_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn empty_signals_hook_nothing() {
    let fixture = start(&["--fun", "third:", "--fun", "first:"]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert!(outcome.ran().is_empty(), "{outcome:#?}");
    assert!(log_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn functions_with_empty_signals_run_when_another_registration_hooked_the_signal() {
    for (args, expected) in [
        (["first:TERM", "third:"], ["ran third", "ran first"]),
        (["third:", "first:TERM"], ["ran first", "ran third"]),
    ] {
        let fixture = start(&["--fun", args[0], "--fun", args[1]]);
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
        assert_eq!(outcome.ran(), expected, "{args:?}");
        assert_one_log_line(&outcome, "SIGTERM");
    }
}

#[test]
fn registering_again_with_a_new_signal_hooks_it() {
    let fixture = start(&["--fun", "first:TERM", "--fun", "first:INT"]);
    fixture.signal(libc::SIGINT);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGINT), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran first"]);
    assert_one_log_line(&outcome, "SIGINT");
}

#[test]
fn a_panicking_function_is_reported_and_the_signal_still_kills() {
    let fixture = start(&[
        "--fun",
        "first:TERM",
        "--fun",
        "panics:",
        "--fun",
        "second:",
    ]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran panics", "ran first"]);
    assert_one_log_line(&outcome, "SIGTERM");
    let report = outcome
        .stderr
        .lines()
        .find(|l| l.starts_with("exit-attr: exit function registered at "))
        .unwrap_or_else(|| panic!("no report in {}", outcome.stderr));
    assert!(
        report.contains("panicked: boom in an exit function"),
        "{report}"
    );
}

#[test]
fn raise_on_the_main_thread_runs_them_once() {
    let mut fixture = start(THREE);
    fixture.send("raise TERM");
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
    assert_one_log_line(&outcome, "SIGTERM");
}

#[test]
fn kill_from_another_thread_runs_them_once() {
    let mut fixture = start(THREE);
    fixture.send("kill-self TERM");
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
    assert_one_log_line(&outcome, "SIGTERM");
}

/// Starts an exit with `command` (`exit 4` or `exit-thread 4`), sends
/// SIGTERMs while its exit functions run, and checks that nothing changed.
fn signals_during_a_normal_exit(command: &str) {
    let mut fixture = start(&["--fun", "first:TERM", "--fun", "gate:"]);
    fixture.send(command);
    fixture.wait_for("gate entered");
    for _ in 0..5 {
        fixture.signal(libc::SIGTERM);
    }
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(4), "{command}: {outcome:#?}");
    assert_eq!(outcome.ran(), ["ran gate", "ran first"], "{command}");
}

#[test]
fn signals_during_a_normal_exit_do_not_change_it() {
    signals_during_a_normal_exit("exit 4");
}

/// `exit` from a thread other than main: the standard library then unmaps
/// the main thread's alternate signal stack while main, parked, can still
/// receive the signal. Repeated, because what then happens depends on whether
/// that memory was reused.
#[test]
fn signals_during_a_normal_exit_from_another_thread_do_not_change_it() {
    for _ in 0..100 {
        signals_during_a_normal_exit("exit-thread 4");
    }
}

/// Starts a signal run with `start_run` (`first` lists SIGTERM, `second`
/// SIGINT), sends more SIGTERMs and a SIGINT while the gate holds it, then
/// `lines` on stdin: the run must end as it began, each function once.
fn later_signals_during_a_signal_run(start_run: impl FnOnce(&mut Fixture), lines: &[&str]) {
    let mut fixture = start(&[
        "--fun",
        "first:TERM",
        "--fun",
        "gate:",
        "--fun",
        "second:INT",
    ]);
    start_run(&mut fixture);
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGTERM);
    fixture.signal(libc::SIGINT);
    fixture.signal(libc::SIGTERM);
    for line in lines {
        fixture.send(line);
    }
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), ["ran second", "ran gate", "ran first"]);
    assert_one_log_line(&outcome, "SIGTERM");
}

/// The first signal comes from outside. The main thread is then usually
/// blocked reading stdin and holds its lock, so the first line written goes
/// to it: `exit 4`, a later exit that must not change the outcome either; the
/// gate reads the next one. (Were the lines to go the other way round, main
/// would exit with 64 on the unknown command `go`: the outcome must be the
/// same.)
#[test]
fn later_signals_and_exits_during_a_signal_run_do_not_change_it() {
    later_signals_during_a_signal_run(|f| f.signal(libc::SIGTERM), &["exit 4", "go"]);
}

/// As above, but the first SIGTERM is sent by the fixture to itself, so that
/// the main thread is parked and the gate reads `go` itself.
#[test]
fn later_signals_during_a_signal_run_do_not_change_it() {
    later_signals_during_a_signal_run(|f| f.send("kill-self TERM"), &["go"]);
}

/// Repeated: `std::process::exit` on the dispatcher thread races with the
/// main thread still returning from the signal handler.
#[test]
fn exit_called_from_an_exit_function_does_not_change_the_signal_outcome() {
    for _ in 0..30 {
        let fixture = start(&["--fun", "first:TERM", "--fun", "exits:", "--fun", "second:"]);
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
        assert_eq!(outcome.ran(), ["ran second", "ran exits", "ran first"]);
        assert_one_log_line(&outcome, "SIGTERM");
    }
}

/// The harness keeps stdout open, so this test spawns the fixture itself.
#[test]
fn printing_to_a_closed_stdout_is_reported_and_the_signal_still_kills() {
    // No other test may fork until the read end of stdout is closed.
    let spawning = SPAWN.write().unwrap_or_else(PoisonError::into_inner);
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixture"))
        .args(["--fun", "first:TERM", "--fun", "prints_to_closed_stdout:"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "0")
        .spawn()
        .expect("spawn the fixture");
    // Keep stdin open: end of input would make the fixture return from main.
    let stdin = child.stdin.take();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    // The reader thread hands stdout back once it has seen `ready`.
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.trim_end() == "ready" => {
                    let _ = tx.send(Some(reader));
                    return;
                }
                Ok(_) => {}
            }
        }
        let _ = tx.send(None);
    });
    let reader = match rx.recv_timeout(TIMEOUT) {
        Ok(Some(reader)) => reader,
        other => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no `ready` from the fixture: {:?}",
                other.map(|r| r.is_some())
            );
        }
    };
    // Close the read end of stdout: this process held the only copy.
    drop(reader);
    drop(spawning);
    common::send_signal(child.id() as i32, libc::SIGTERM);

    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the fixture") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the fixture did not end within {TIMEOUT:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    drop(stdin);
    let stderr = stderr.join().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}\n{stderr}");
    let log = format!("signal SIGTERM received by process with PID {}", child.id());
    assert_eq!(stderr.lines().filter(|l| *l == log).count(), 1, "{stderr}");
    // Both functions print; prints_to_closed_stdout runs first and its
    // println! panics before it reaches its eprintln!; first still runs.
    assert!(
        !stderr.contains("prints_to_closed_stdout survived println"),
        "{stderr}"
    );
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("exit-attr: exit function registered at "))
        .collect();
    assert_eq!(reports.len(), 2, "{stderr}");
    for report in reports {
        assert!(
            report.contains("panicked: failed printing to stdout"),
            "{report}"
        );
    }
}

#[test]
fn a_burst_of_signals_runs_them_once() {
    let fixture = start(THREE);
    for _ in 0..300 {
        fixture.signal(libc::SIGTERM);
    }
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.ran(), REVERSED);
    assert_one_log_line(&outcome, "SIGTERM");
}

#[test]
fn a_signal_during_an_allocation_storm_never_deadlocks() {
    for _ in 0..20 {
        let mut fixture = start(THREE);
        fixture.send("alloc-storm");
        fixture.wait_for("storming");
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
        assert_eq!(outcome.ran(), REVERSED);
        assert_one_log_line(&outcome, "SIGTERM");
    }
}

#[test]
fn thread_locals_work_on_the_signal_path() {
    let fixture = start(&["--fun", "uses_thread_locals:TERM"]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    let ran = outcome.ran();
    assert_eq!(ran.len(), 1, "{outcome:#?}");
    assert!(
        ran[0].starts_with("ran uses_thread_locals: thread-local ok"),
        "{}",
        ran[0]
    );
}
