//! The exit reason: `exit_reason()`, called by an exit function, a log
//! function or a guard's closure, says how the process is ending (`None`
//! while it is not), and the first exit's reason is the one that stands.
//!
//! The fixture's exit function `reason` prints `ran reason: {exit_reason():?}`,
//! its log function `reason` prints `reason log: {exit_reason():?}`, a guard
//! named `reason` prints `ran reason[ in a drop]: {exit_reason():?}`, and the
//! command `reason` prints `reason: {exit_reason():?}`. The expectations are
//! built from `ExitReason` values and formatted the same way.

mod common;

use common::Fixture;
use exit_attr::{ExitReason, Signal};

/// What `exit_reason()` prints for `exit(code)`. glibc passes the status to
/// the handlers it calls at exit (`on_exit`), and exit-attr uses that; musl
/// has only `atexit`, which passes nothing, so there the code is not known.
/// The musl run of these tests checks the second half.
fn exited(code: i32) -> String {
    let code = if cfg!(target_env = "musl") {
        None
    } else {
        Some(code)
    };
    format!("{:?}", Some(ExitReason::Exit { code }))
}

/// What `exit_reason()` prints for `signal`, sent by the process `pid` of
/// this test's user.
fn signalled(signal: Signal, pid: i32) -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    format!(
        "{:?}",
        Some(ExitReason::Signal {
            signal,
            sender_pid: Some(pid),
            sender_uid: Some(uid),
        })
    )
}

/// The pid of this test process: the sender of every signal it sends.
fn this_test() -> i32 {
    std::process::id() as i32
}

/// `reason` listed for SIGTERM, `first` registered before it (so it runs
/// after it).
const REASON: &[&str] = &["--fun", "first:TERM", "--fun", "reason:TERM"];

#[test]
fn every_normal_exit_reports_its_status() {
    for (command, code) in [
        ("return", 0),
        ("exit 3", 3),
        ("panic", 101),
        ("exit-thread 4", 4),
    ] {
        let outcome = Fixture::start(REASON).end_with_command(command, code);
        assert_eq!(
            outcome.after("ready"),
            [
                format!("ran reason: {}", exited(code)).as_str(),
                "ran first"
            ],
            "{command}: {outcome:#?}"
        );
    }
}

#[test]
fn a_sigterm_from_another_process_reports_it_as_the_sender() {
    let outcome = Fixture::start(REASON).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [
            format!("ran reason: {}", signalled(Signal::SIGTERM, this_test())).as_str(),
            "ran first"
        ],
        "{outcome:#?}"
    );
}

/// `raise` (`tgkill`, `SI_TKILL`) on the main thread and `kill(getpid())`
/// (`SI_USER`) from another thread: either way the process sent the signal
/// to itself, and it is the sender.
#[test]
fn a_sigterm_the_process_sent_itself_reports_the_process_as_the_sender() {
    for command in ["raise TERM", "kill-self TERM"] {
        let mut fixture = Fixture::start(REASON);
        fixture.send(command);
        let outcome = fixture.finish();
        outcome.assert_died_by_hooked_signal(libc::SIGTERM);
        assert_eq!(
            outcome.after("ready"),
            [
                format!("ran reason: {}", signalled(Signal::SIGTERM, outcome.pid)).as_str(),
                "ran first"
            ],
            "{command}: {outcome:#?}"
        );
    }
}

/// `rt_sigqueueinfo` lets any process of the same user write the whole
/// `siginfo_t` of the signal it sends, sender included: here, a SIGTERM
/// that claims to come from PID 1, uid 0. The kernel does not vouch for a
/// `sigqueue` sender, so the reason names none: no exit function can be led
/// to believe that init or root stopped the program.
#[test]
fn a_sigqueue_sender_is_not_vouched_for_so_it_is_none() {
    let fixture = Fixture::start(REASON);
    // SAFETY: a siginfo_t is plain data, valid when zeroed.
    let mut forged: libc::siginfo_t = unsafe { std::mem::zeroed() };
    forged.si_signo = libc::SIGTERM;
    forged.si_code = libc::SI_QUEUE;
    // si_pid and si_uid, after si_signo, si_errno, si_code and, on 64-bit
    // targets, four bytes of padding.
    let offset = if size_of::<usize>() == 8 { 16 } else { 12 };
    // SAFETY: the offsets lie within the siginfo_t, where Linux keeps the
    // sender's pid and uid (two 32-bit fields).
    unsafe {
        let base = std::ptr::from_mut(&mut forged).cast::<u8>();
        base.add(offset).cast::<i32>().write_unaligned(1);
        base.add(offset + 4).cast::<u32>().write_unaligned(0);
    }
    // SAFETY: the pid is the fixture's, and the siginfo_t is valid for
    // reads; a process may send itself or its children any siginfo_t with a
    // negative code.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_rt_sigqueueinfo,
            fixture.pid(),
            libc::SIGTERM,
            &forged as *const libc::siginfo_t,
        )
    };
    assert_eq!(
        sent,
        0,
        "rt_sigqueueinfo: {}",
        std::io::Error::last_os_error()
    );
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    let unvouched = Some(ExitReason::Signal {
        signal: Signal::SIGTERM,
        sender_pid: None,
        sender_uid: None,
    });
    assert_eq!(
        outcome.after("ready"),
        [format!("ran reason: {unvouched:?}").as_str(), "ran first"],
        "{outcome:#?}"
    );
}

#[test]
fn there_is_no_reason_while_the_program_runs() {
    let mut fixture = Fixture::start(&[]);
    fixture.send("guard reason:");
    fixture.send("reason");
    fixture.send("drop reason");
    fixture.wait_for("dropped reason");
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(
        outcome.after("ready"),
        [
            "holding reason",
            "reason: None",
            "ran reason in a drop: None",
            "dropped reason"
        ]
    );
}

/// The log line is written after the reason is recorded, and before the
/// exit functions run: the log function sees it too.
#[test]
fn a_log_function_sees_the_reason() {
    let fixture = Fixture::start(&["--startup", "first:TERM:reason"]);
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(
        outcome.after("ready"),
        [
            format!("reason log: {}", signalled(Signal::SIGTERM, this_test())).as_str(),
            "ran first"
        ]
    );
    assert_eq!(outcome.stderr, "", "only the reason log function logs");
}

/// A guard's closure run by the exit sees the exit's reason.
#[test]
fn a_guard_run_by_the_exit_sees_the_reason() {
    let outcome = Fixture::start(&["--guard", "reason:TERM"]).end_with_command("exit 3", 3);
    assert_eq!(
        outcome.after("ready"),
        [format!("ran reason: {}", exited(3))]
    );

    let outcome = Fixture::start(&["--guard", "reason:TERM"]).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [format!(
            "ran reason: {}",
            signalled(Signal::SIGTERM, this_test())
        )]
    );
}

/// The first exit wins, and so does its reason: a SIGTERM sent while
/// the gate holds up the functions of `exit 3` changes nothing, and nor does
/// one that the process has surely handled first (`raises_term` returns only
/// once its handler has run).
#[test]
fn a_signal_during_an_exit_does_not_change_its_reason() {
    let mut fixture = Fixture::start(&["--fun", "reason:TERM", "--fun", "gate:"]);
    fixture.send("exit 3");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGTERM);
    fixture.send("go");
    let outcome = fixture.finish();
    assert_eq!(outcome.code(), Some(3), "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
    assert_eq!(
        outcome.after("ready"),
        [
            "gate entered",
            "ran gate",
            format!("ran reason: {}", exited(3)).as_str()
        ]
    );

    let fixture = Fixture::start(&["--fun", "reason:TERM", "--fun", "raises_term:"]);
    let outcome = fixture.end_with_command("exit 3", 3);
    assert_eq!(
        outcome.after("ready"),
        [
            "ran raises_term",
            format!("ran reason: {}", exited(3)).as_str()
        ]
    );
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}

/// The other way round: once a SIGTERM run has started, a later SIGINT
/// from another sender, and an exit function's `exit(9)`, leave its reason
/// as it was. The first SIGTERM comes from the fixture itself (`kill-self`,
/// whose main thread then parks), so that `go` reaches the gate, and its
/// sender differs from the later signal's.
#[test]
fn a_later_signal_or_exit_during_a_signal_run_does_not_change_its_reason() {
    let mut fixture = Fixture::start(&[
        "--fun",
        "reason:TERM,INT",
        "--fun",
        "exits:",
        "--fun",
        "gate:",
    ]);
    fixture.send("kill-self TERM");
    fixture.wait_for("gate entered");
    fixture.signal(libc::SIGINT);
    fixture.send("go");
    let outcome = fixture.finish();
    outcome.assert_died_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        [
            "gate entered",
            "ran gate",
            "ran exits",
            format!("ran reason: {}", signalled(Signal::SIGTERM, outcome.pid)).as_str()
        ]
    );
}
