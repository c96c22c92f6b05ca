//! A process started with descriptors 0, 1 and 2 closed keeps its cleanup:
//! exit-attr's descriptors, created before `main` by the attribute's
//! registration, never take 0, 1 or 2, so the program's own output never
//! lands in exit-attr's machinery.

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::Fixture;

/// Starts `closed_stdio` with 0, 1 and 2 closed and the harness's stdout
/// pipe moved to descriptor 9, which the program reports on.
fn start_with_stdio_closed(how: &str) -> Fixture {
    let adjust = |command: &mut Command| {
        // SAFETY: dup2 and close are async-signal-safe; between fork and
        // exec they only rearrange this child's descriptors.
        unsafe {
            command.pre_exec(|| {
                if libc::dup2(1, 9) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                for fd in 0..=2 {
                    libc::close(fd);
                }
                Ok(())
            });
        }
    };
    let mut fixture = Fixture::spawn(env!("CARGO_BIN_EXE_closed_stdio"), &[how], adjust);
    fixture.wait_for("ready");
    fixture
}

#[test]
fn sigterm_runs_the_exit_function_of_a_process_started_without_stdio() {
    let fixture = start_with_stdio_closed("wait");
    fixture.signal(libc::SIGTERM);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{outcome:#?}");
    assert_eq!(outcome.stdout, ["ready", "ran cleanup"], "{outcome:#?}");
}

#[test]
fn a_normal_exit_runs_the_exit_function_of_a_process_started_without_stdio() {
    let outcome = start_with_stdio_closed("return").finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(outcome.stdout, ["ready", "ran cleanup"], "{outcome:#?}");
}
