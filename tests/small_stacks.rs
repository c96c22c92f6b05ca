//! Exit functions run on a stack as large as a `std::thread`'s (2 MiB, or
//! more if `RUST_MIN_STACK` asks), whatever the C library's default thread
//! stack (musl's is 128 KiB; glibc's follows `RLIMIT_STACK`), and
//! exit-attr's own threads never fault on a small `RLIMIT_STACK`. The
//! suite runs for musl too (see the README), where these tests meet musl's
//! default.

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::Fixture;

/// The exit function `big_stack` puts 256 KiB on its stack and touches
/// every page of it.
const BIG_STACK: &[&str] = &["--fun", "first:TERM", "--fun", "big_stack:"];

#[test]
fn an_exit_function_with_a_256_kib_buffer_runs_on_sigterm() {
    let outcome = Fixture::start(BIG_STACK).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran big_stack", "ran first"],
        "{outcome:#?}"
    );
}

#[test]
fn an_exit_function_with_a_256_kib_buffer_runs_at_normal_exit() {
    let outcome = Fixture::start(BIG_STACK).end_with_command("return", 0);
    assert_eq!(
        outcome.ran(),
        ["ran big_stack", "ran first"],
        "{outcome:#?}"
    );
}

/// Starts the fixture with `RLIMIT_STACK` at 64 KiB, as `prlimit
/// --stack=65536` would: glibc then gives a thread started with default
/// attributes a 64 KiB stack. `env` adds to its environment.
fn start_with_a_64_kib_stack_limit(args: &[&str], env: &[(&str, &str)]) -> Fixture {
    Fixture::start_with(args, |command: &mut Command| {
        command.envs(env.iter().copied());
        // SAFETY: getrlimit and setrlimit are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                let mut limit: libc::rlimit = std::mem::zeroed();
                libc::getrlimit(libc::RLIMIT_STACK, &mut limit);
                limit.rlim_cur = 64 * 1024;
                if libc::setrlimit(libc::RLIMIT_STACK, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
}

/// Under the small limit the program runs (exit-attr's thread starts and
/// warms up while the test talks to the program), and a SIGTERM still runs
/// the exit function with its big buffer.
#[test]
fn a_small_rlimit_stack_breaks_neither_exit_attrs_thread_nor_a_big_exit_function() {
    let mut fixture = start_with_a_64_kib_stack_limit(BIG_STACK, &[]);
    // A round trip through the program, well after exit-attr's thread
    // started.
    fixture.send("reason");
    fixture.wait_for("reason: None");
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran big_stack", "ran first"],
        "{outcome:#?}"
    );

    let outcome = start_with_a_64_kib_stack_limit(BIG_STACK, &[]).end_with_command("return", 0);
    assert_eq!(
        outcome.ran(),
        ["ran big_stack", "ran first"],
        "{outcome:#?}"
    );
}

/// `RUST_MIN_STACK` above 2 MiB is honoured: an exit function that needs
/// 3 MiB of stack runs when the program asks for 4 MiB, under a stack limit
/// that makes the C library's default far smaller, on both paths.
#[test]
fn rust_min_stack_sizes_exit_attrs_threads() {
    let args = ["--fun", "first:TERM", "--fun", "huge_stack:"];
    let env = [("RUST_MIN_STACK", "4194304")];
    let outcome = start_with_a_64_kib_stack_limit(&args, &env).end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.ran(),
        ["ran huge_stack", "ran first"],
        "{outcome:#?}"
    );
    let outcome = start_with_a_64_kib_stack_limit(&args, &env).end_with_command("return", 0);
    assert_eq!(
        outcome.ran(),
        ["ran huge_stack", "ran first"],
        "{outcome:#?}"
    );
}
