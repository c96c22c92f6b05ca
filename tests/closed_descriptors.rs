//! A program may do what it likes with its descriptors, and its cleanup
//! still runs: exit-attr never takes 0, 1 or 2 (a process started with them
//! closed keeps its output out of exit-attr's machinery), and on Linux its
//! wake-up channel uses no descriptor at all, so a daemon that closes every
//! descriptor from 3 up, reuses the numbers for its own files or pipes, or
//! `dup2`s over them, neither loses a cleanup nor has a byte of its files
//! or pipes read or written by exit-attr.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Fixture;
use exit_attr::__private::WAKE_UP_USES_DESCRIPTORS;

/// How many times the scenarios that race exit-attr's own thread run: the
/// program reuses the descriptors within its first millisecond, while that
/// thread starts up.
const RUNS: usize = 20;

/// Starts `closed_stdio` with the descriptors `closed` (some of 0, 1 and
/// 2) closed and the harness's stdout pipe moved to descriptor 9, which the
/// program reports on, and checks that each closed one is `/dev/null` in
/// `main`: the standard library reopened it, as nothing else had taken it.
///
/// Which of them are closed decides the numbers the system gives
/// exit-attr's first descriptors (lowest free first), so each combination
/// is tried: exit-attr must move every one of them above 2, whichever
/// it is, or the program's output would go into it.
fn start_with_stdio_closed(how: &str, closed: &'static [i32]) -> Fixture {
    let adjust = move |command: &mut Command| {
        // SAFETY: dup2 and close are async-signal-safe; between fork and
        // exec they only rearrange this child's descriptors.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(1, 9) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                for &fd in closed {
                    libc::close(fd);
                }
                Ok(())
            });
        }
    };
    let mut fixture = Fixture::spawn(env!("CARGO_BIN_EXE_closed_stdio"), &[how], adjust);
    let reported = fixture.wait_for("ready").to_vec();
    for &fd in closed {
        let line = format!("fd {fd}: /dev/null");
        assert!(
            reported.contains(&line),
            "closed {closed:?}: expected {line:?} in {reported:?}"
        );
    }
    fixture
}

/// The combinations of standard descriptors a launcher may close.
const CLOSED: [&[i32]; 3] = [&[0, 1, 2], &[1, 2], &[2]];

#[test]
fn sigterm_runs_the_exit_function_of_a_process_started_without_stdio() {
    for closed in CLOSED {
        let fixture = start_with_stdio_closed("wait", closed);
        fixture.signal(libc::SIGTERM);
        let outcome = fixture.finish();
        assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
        assert_eq!(outcome.after("ready"), ["ran cleanup"], "{outcome:#?}");
    }
}

#[test]
fn a_normal_exit_runs_the_exit_function_of_a_process_started_without_stdio() {
    for closed in CLOSED {
        let outcome = start_with_stdio_closed("return", closed).finish();
        assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
        assert_eq!(outcome.after("ready"), ["ran cleanup"], "{outcome:#?}");
    }
}

/// A daemon that closes every descriptor from 3 up, right after its
/// registrations (as a classic daemon start does) or later, once exit-attr
/// has settled: a SIGTERM still runs its functions and ends it by SIGTERM.
#[test]
fn sigterm_runs_the_exit_functions_of_a_daemon_that_closed_every_descriptor() {
    for _ in 0..RUNS {
        let fixture = Fixture::start(&["--fun", "first:TERM", "--close-from", "3"]);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran first"], "{outcome:#?}");
    }
    let mut fixture = Fixture::start(&["--fun", "first:TERM"]);
    fixture.send("close-from 3");
    fixture.wait_for("closed from 3");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(outcome.ran(), ["ran first"], "{outcome:#?}");
}

#[test]
fn a_normal_exit_runs_the_exit_functions_of_a_daemon_that_closed_every_descriptor() {
    for _ in 0..RUNS {
        let fixture = Fixture::start(&["--fun", "first:TERM", "--close-from", "3"]);
        let outcome = fixture.end_with_command("exit 3", 3);
        assert_eq!(outcome.ran(), ["ran first"], "{outcome:#?}");
        assert_eq!(outcome.stderr, "", "{outcome:#?}");
    }
}

/// A program that closes the write end of exit-attr's pipe (where the
/// wake-up channel is one) while exit-attr's thread waits on its read end:
/// that thread sees the end of the pipe, makes a new one, and a SIGTERM
/// still runs the functions. (With a futex there is no such pipe: the
/// fixture closes nothing, and the outcome is the same.) Repeated: the
/// thread's first wait lasts a millisecond (it then warms up, and remakes
/// the pipe before its next wait if an end is gone), so the close may land
/// between two waits rather than in one.
// Native only: see `Fixture::wait_until_exit_attr_thread_waits`.
#[cfg(not(emulated))]
#[test]
fn closing_the_write_end_of_the_pipe_that_exit_attr_waits_on_loses_nothing() {
    let pipes = if WAKE_UP_USES_DESCRIPTORS { 2 } else { 0 };
    for _ in 0..RUNS {
        let mut fixture = Fixture::start(&["--fun", "first:TERM"]);
        fixture.wait_until_exit_attr_thread_waits();
        fixture.send("close-pipe-write-ends");
        let closed = fixture.wait_for_prefix("closed ");
        let count = closed
            .split(' ')
            .nth(1)
            .and_then(|n| n.parse::<usize>().ok());
        // At least the doorbells' two, if they are pipes; any more are
        // pipes the fixture inherited whole from its own parent.
        assert!(count.is_some_and(|n| n >= pipes), "{closed}");
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran first"], "{outcome:#?}");
    }
}

/// A scratch directory of this test's own, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exit-attr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts a fixture that closes every descriptor from 3 up right after
/// registering, then opens 29 files of its own in `dir` on the freed
/// numbers (3 to 31), each filled with bytes that look like a request of
/// exit-attr's (a SIGTERM from PID 1).
fn start_reusing_descriptors(dir: &Path) -> Fixture {
    let spec = format!("{}:29", dir.display());
    let mut fixture = Fixture::start(&[
        "--fun",
        "first:TERM",
        "--reuse-fds",
        &spec,
        "--fun",
        "checks_files:",
    ]);
    fixture.wait_for("reused 29");
    fixture
}

/// The program's files still hold what it wrote, byte for byte.
fn assert_files_untouched(dir: &Path) {
    let mut first = None;
    for i in 0..29 {
        let bytes = std::fs::read(dir.join(format!("file-{i}"))).unwrap();
        let first = first.get_or_insert_with(|| bytes.clone());
        assert!(!bytes.is_empty() && bytes == *first, "file-{i} changed");
    }
}

#[test]
fn descriptors_reused_by_the_programs_files_are_never_read_or_written_on_sigterm() {
    let dir = scratch("reused-sigterm");
    for _ in 0..RUNS {
        let fixture = start_reusing_descriptors(&dir);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        // Nothing ran before the test's own SIGTERM, and the exit function
        // found every file as the program left it (not read from).
        assert_eq!(
            outcome.ran(),
            ["ran checks_files: 29 intact", "ran first"],
            "{outcome:#?}"
        );
        assert_files_untouched(&dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn descriptors_reused_by_the_programs_files_are_never_read_or_written_at_normal_exit() {
    let dir = scratch("reused-exit");
    for _ in 0..RUNS {
        let fixture = start_reusing_descriptors(&dir);
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(
            outcome.ran(),
            ["ran checks_files: 29 intact", "ran first"],
            "{outcome:#?}"
        );
        assert_eq!(outcome.stderr, "", "{outcome:#?}");
        assert_files_untouched(&dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts a fixture that closes every descriptor from 3 up right after
/// registering, then makes 14 pipes of its own on the freed numbers (3 to
/// 30), each holding bytes that look like a request of exit-attr's. Pipes
/// all live on one device, as a pipe of exit-attr's would: a wake-up
/// channel that checked the device alone would take them for its own.
fn start_reusing_descriptors_for_pipes() -> Fixture {
    let mut fixture = Fixture::start(&[
        "--fun",
        "first:TERM",
        "--reuse-pipes",
        "14",
        "--fun",
        "checks_pipes:",
    ]);
    fixture.wait_for("reused 14 pipes");
    fixture
}

#[test]
fn descriptors_reused_by_the_programs_pipes_are_never_read_or_written_on_sigterm() {
    for _ in 0..RUNS {
        let fixture = start_reusing_descriptors_for_pipes();
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(
            outcome.ran(),
            ["ran checks_pipes: 14 intact", "ran first"],
            "{outcome:#?}"
        );
    }
}

#[test]
fn descriptors_reused_by_the_programs_pipes_are_never_read_or_written_at_normal_exit() {
    for _ in 0..RUNS {
        let fixture = start_reusing_descriptors_for_pipes();
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(
            outcome.ran(),
            ["ran checks_pipes: 14 intact", "ran first"],
            "{outcome:#?}"
        );
        assert_eq!(outcome.stderr, "", "{outcome:#?}");
    }
}

/// A program that `dup2`s a file of its own over descriptors 3 to 31, then
/// exits: the exit runs its functions, ends within the harness's bound
/// (a hang fails the test), and nothing is written into the file.
#[test]
fn dup2_over_every_low_descriptor_then_exit_neither_hangs_nor_writes_into_the_file() {
    let dir = scratch("dup2");
    let file = dir.join("log");
    for _ in 0..RUNS {
        std::fs::write(&file, b"").unwrap();
        let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
        fixture.send(&format!("dup2-over {}", file.display()));
        fixture.wait_for("dup2 done");
        let outcome = fixture.end_with_command("exit 0", 0);
        assert_eq!(outcome.ran(), ["ran second", "ran first"], "{outcome:#?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"", "written into the file");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
