//! `exit-attr-tsan-fixture MODE`: registers `cleanup` (prints `ran
//! cleanup`) for SIGTERM with the attribute, prints `ready`, then:
//!
//! - `sleep`: sleeps in `std::thread::sleep` (`clock_nanosleep`, which
//!   ThreadSanitizer does not intercept) until a signal ends the process;
//! - `park`: parks in a futex wait (`std::thread::park`), likewise;
//! - `return`: returns from `main`;
//! - `raise`: raises SIGTERM on its own thread, prints `still running`, and
//!   returns from `main`: under ThreadSanitizer the signal stays pending on
//!   this thread, which blocks it (see exit-attr's `delivery/unix/tsan.rs`).

use std::io::Write;

#[exit_attr::register_exit_fun(signals = [SIGTERM])]
fn cleanup() {
    say("ran cleanup");
}

fn say(line: &str) {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    say("ready");
    match mode.as_str() {
        "sleep" => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        "park" => loop {
            std::thread::park();
        },
        "return" => {}
        "raise" => {
            // SAFETY: raise has no preconditions.
            unsafe { libc::raise(libc::SIGTERM) };
            say("still running");
        }
        _ => {
            eprintln!("usage: exit-attr-tsan-fixture sleep|park|return|raise");
            std::process::exit(64);
        }
    }
}
