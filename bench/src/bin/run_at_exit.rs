//! What running exit functions costs at exit: `run_at_exit <kind> <count>
//! [<wait_ms>]` registers `count` exit functions that do nothing, sleeps
//! `wait_ms` milliseconds (0 if not given), returns from `main`, and prints
//! `exit_ns=N`: the time from just before `main` returns to the end of the
//! last exit function.
//!
//! With a count of 0 it isolates the normal-exit hand-off: the marker is the
//! only exit function. The wait lets a dispatcher thread finish starting
//! (and warming up) before `main` returns, as in any program that runs for
//! more than a moment; without it, `main` returns while the dispatcher may
//! still be starting, as in a program that ends at once. The wait is outside
//! the span measured.
//!
//! A marker registered *first* runs *last* (both exit-attr and `atexit` run
//! in reverse order of registration); it reads the clock and prints the time
//! elapsed since `main` stored its own reading. Both readings are
//! `CLOCK_MONOTONIC`, which is one clock for every thread, so the span
//! covers Rust's runtime clean-up, the C library's exit handling, and (for
//! exit-attr) its `atexit` bridge, the thread it starts, and every exit
//! function; it excludes the kernel's tear-down of the process, which depends
//! on nothing measured here.
//!
//! Kinds:
//! - `exit-attr`: `register_exit_closure(.., &[])` of closures that each
//!   capture a `usize` (one small allocation each, freed when it runs); no
//!   signal is hooked, so there is no dispatcher thread and exit-attr runs
//!   them on a thread it starts at exit;
//! - `exit-attr-dispatcher`: the same, with the marker listing SIGTERM, which
//!   starts the dispatcher thread: exit-attr runs them on it;
//! - `exit-attr-fun`: as `exit-attr-dispatcher`, the marker registered with
//!   `register_exit_fun` (the trivial program's one exit function that hooks
//!   SIGTERM) and the others with `register_exit_closure`;
//! - `atexit`: glibc's `atexit` of one `extern "C" fn`, `count` times.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use exit_attr_bench::{monotonic_ns, write_raw_stdout};

/// The clock reading taken just before `main` returns.
static MAIN_RETURNS: AtomicU64 = AtomicU64::new(0);

fn marker() {
    let elapsed = monotonic_ns().saturating_sub(MAIN_RETURNS.load(Ordering::Acquire));
    write_raw_stdout(format!("exit_ns={elapsed}\n").as_bytes());
}

extern "C" fn atexit_marker() {
    marker();
}

extern "C" fn atexit_noop() {
    black_box(());
}

fn main() {
    let usage =
        "usage: run_at_exit exit-attr|exit-attr-dispatcher|exit-attr-fun|atexit COUNT [WAIT_MS]";
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let wait_ms: u64 = args.get(3).map_or(0, |a| a.parse().expect(usage));
    match args.get(1).map(String::as_str) {
        Some(kind @ ("exit-attr" | "exit-attr-dispatcher" | "exit-attr-fun")) => {
            let signals: &[exit_attr::Signal] = if kind == "exit-attr" {
                &[]
            } else {
                &[exit_attr::Signal::SIGTERM]
            };
            // The handles are dropped at once, which keeps the registrations.
            if kind == "exit-attr-fun" {
                exit_attr::register_exit_fun(marker, signals).expect("register");
            } else {
                exit_attr::register_exit_closure(marker, signals).expect("register");
            }
            for i in 0..count {
                let closure = move || {
                    black_box(i);
                };
                exit_attr::register_exit_closure(closure, &[]).expect("register");
            }
        }
        Some("atexit") => {
            // SAFETY: both are `extern "C" fn()`s that never unwind.
            unsafe {
                assert_eq!(libc::atexit(atexit_marker), 0, "atexit");
                for _ in 0..count {
                    assert_eq!(libc::atexit(atexit_noop), 0, "atexit");
                }
            }
        }
        _ => panic!("{usage}"),
    }
    if wait_ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
    }
    MAIN_RETURNS.store(monotonic_ns(), Ordering::Release);
}
