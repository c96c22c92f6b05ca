//! Exit functions run with the signal mask the program had, never with
//! exit-attr's own (its thread blocks every signal while it waits): what
//! they start, a shell script that waits for a background job, a child
//! that must still die by SIGTERM, starts as a child of `main` would.

mod common;

use common::{Fixture, Outcome};

/// The fixture's main thread blocks SIGUSR2 before it registers, so that
/// the program's mask is neither empty nor exit-attr's full one; its exit
/// function starts three children (`Command`, `system`, `fork` + `exec`),
/// each of which prints its own blocked signals.
fn start_reporting_child_masks() -> (Fixture, String) {
    let mut fixture = Fixture::start(&["--block", "USR2", "--fun", "reports_child_masks:TERM"]);
    fixture.send("mask");
    let main = fixture.wait_for_prefix("main SigBlk: ")["main SigBlk: ".len()..].to_owned();
    let usr2 = 1_u64 << (libc::SIGUSR2 - 1);
    assert_eq!(u64::from_str_radix(&main, 16), Ok(usr2), "main's mask");
    (fixture, main)
}

/// Each child printed, after its `child mask via HOW:` line, the mask that
/// `main` has.
fn assert_children_have_mains_mask(outcome: &Outcome, main: &str) {
    for how in ["Command", "system", "fork+exec"] {
        let after = outcome.after(&format!("child mask via {how}:"));
        assert_eq!(
            after
                .first()
                .map(|l| l.split_whitespace().collect::<Vec<_>>()),
            Some(vec!["SigBlk:", main]),
            "{how}: {outcome:#?}"
        );
    }
    assert!(
        outcome.ran().contains(&"ran reports_child_masks"),
        "{outcome:#?}"
    );
}

#[test]
fn children_of_exit_functions_get_mains_mask_on_sigterm() {
    let (fixture, main) = start_reporting_child_masks();
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_children_have_mains_mask(&outcome, &main);
}

#[test]
fn children_of_exit_functions_get_mains_mask_at_normal_exit() {
    let (fixture, main) = start_reporting_child_masks();
    let outcome = fixture.end_with_command("return", 0);
    assert_children_have_mains_mask(&outcome, &main);
}

/// `sh -c 'sleep 0.2 & wait'` from an exit function: the shell's `wait`
/// needs SIGCHLD, which a child of a thread that blocks it never gets. It
/// finishes on both paths (a hang fails the test at the harness's bound).
#[test]
fn a_cleanup_script_that_waits_for_a_background_job_finishes_on_sigterm() {
    let fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "runs_script:"]);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran runs_script: exit status: 0", "ran first"],
        "{outcome:#?}"
    );
}

#[test]
fn a_cleanup_script_that_waits_for_a_background_job_finishes_at_normal_exit() {
    let fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "runs_script:"]);
    let outcome = fixture.end_with_command("exit 4", 4);
    assert_eq!(
        outcome.ran(),
        ["ran runs_script: exit status: 0", "ran first"],
        "{outcome:#?}"
    );
}

/// When no thread can be started at exit (no dispatcher: registering ran
/// out of memory; and none at exit, where the address space is still too
/// small), the functions run on the exiting thread itself, with the
/// program's mask; that thread gets its own mask back afterwards, for the
/// `atexit` handlers and destructors that run after exit-attr's. Here main
/// blocks SIGUSR2 after registering (so the program's mask is empty), and a
/// C `atexit` handler that runs after exit-attr's reports main's mask.
// Not under an emulator (`emulated`, see the root `build.rs`): qemu-user
// reserves the guest's address space itself, so `RLIMIT_AS` does not keep
// a thread from starting there.
#[cfg(not(emulated))]
#[test]
fn the_exiting_thread_that_ran_the_functions_gets_its_own_mask_back() {
    let mut fixture = Fixture::start(&[
        "--atexit-reports-mask",
        "--exhaust-memory",
        "--fun",
        "first:TERM",
        "--block",
        "USR2",
    ]);
    fixture.wait_for_prefix("register error: could not start the dispatcher thread");
    fixture.send("exhaust-memory");
    fixture.wait_for("memory exhausted");
    let outcome = fixture.end_with_command("return", 0);
    assert_eq!(
        outcome.after("memory exhausted"),
        [
            "ran first".to_owned(),
            format!("c atexit handler blocks: {}", libc::SIGUSR2)
        ],
        "{outcome:#?}"
    );
}

/// A hooked signal aimed at exit-attr's own thread (`tgkill`), not at the
/// process, stays pending there, blocked: it is not acted on (the crate
/// docs say so). The program's later normal exit then runs every function
/// once, with its own status, and no log line.
#[test]
fn a_signal_aimed_at_exit_attrs_own_thread_waits_there_and_changes_nothing() {
    let fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
    let thread = fixture.exit_attr_thread();
    // SAFETY: tgkill takes plain integers; the thread is the fixture's.
    let sent = unsafe { libc::syscall(libc::SYS_tgkill, fixture.pid(), thread, libc::SIGTERM) };
    assert_eq!(sent, 0, "tgkill: {}", std::io::Error::last_os_error());
    let status =
        std::fs::read_to_string(format!("/proc/{}/task/{thread}/status", fixture.pid())).unwrap();
    let pending = status
        .lines()
        .find_map(|l| l.strip_prefix("SigPnd:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok());
    assert_eq!(pending, Some(1 << (libc::SIGTERM - 1)), "{status}");
    let outcome = fixture.end_with_command("exit 5", 5);
    assert_eq!(outcome.ran(), ["ran second", "ran first"], "{outcome:#?}");
    assert!(outcome.log_lines().is_empty(), "{}", outcome.stderr);
}
