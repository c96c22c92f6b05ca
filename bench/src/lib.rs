//! What the small programs in `src/bin/` share: the lines they exchange with
//! the harness (`src/bin/bench/`), and a bounded wait.
//!
//! Nothing here uses exit-attr, so a program that does not name exit-attr
//! itself links none of it (the start-up comparison relies on that).

use std::io::Write;
use std::time::Duration;

/// When this environment variable is set, the start-up programs also print
/// their thread count and resident set size (now and peak), once every
/// thread they started has had [`REPORT_SETTLE`] to run.
pub const REPORT_ENV: &str = "EXIT_ATTR_BENCH_REPORT";

/// How long a start-up program waits, when asked for its report, before it
/// reads its memory: a thread started just before (a dispatcher, ctrlc's or
/// signal-hook's thread) may not have run yet when `main` starts, and the
/// pages it touches when it does (its stack, its malloc arena, a warm-up)
/// would then be missed by one run and counted by the next. Only the
/// untimed report runs wait.
pub const REPORT_SETTLE: Duration = Duration::from_millis(10);

/// The line every start-up program prints from `main`, as the trivial
/// program of the issue does (a `main` that prints nothing would let Rust's
/// stdout stay untouched, which no real program does).
pub const MAIN_LINE: &str = "hello from main";

/// How long a program waits for the signal the harness sends before it
/// gives up, so that a lost signal fails instead of hanging.
pub const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// The exit status of a program that waited [`WAIT_LIMIT`] in vain.
pub const GAVE_UP: i32 = 3;

/// The line a latency program prints when it is ready for the signal.
pub const READY: &str = "ready";

/// The line a latency program's cleanup prints first.
pub const CLEANUP: &str = "cleanup";

/// Prints `threads=N rss_kib=M hwm_kib=P` if the harness asked for it with
/// [`REPORT_ENV`], after [`REPORT_SETTLE`].
pub fn report_if_asked() {
    if std::env::var_os(REPORT_ENV).is_some() {
        std::thread::sleep(REPORT_SETTLE);
        println!("{}", memory_and_threads());
    }
}

/// The whole `main` of a start-up program, after its registration (if any):
/// prints [`MAIN_LINE`] through Rust's stdout, reports if asked, and returns
/// or calls `_exit(0)` as [`end_of_main`] decides.
pub fn trivial_main() {
    println!("{MAIN_LINE}");
    report_if_asked();
    end_of_main();
}

/// `threads=N rss_kib=M hwm_kib=P` from `/proc/self/status`: the thread
/// count, the resident set size and its peak (`VmHWM`) so far.
///
/// The harness cannot use the `ru_maxrss` that `wait4` reports for a child:
/// `Command` starts children with a `vfork`-like `posix_spawn`, and Linux
/// then counts the peak of the parent's memory (the harness's) in the
/// child's `ru_maxrss`.
pub fn memory_and_threads() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map_or("?", |rest| rest.trim().trim_end_matches(" kB"))
            .to_owned()
    };
    format!(
        "threads={} rss_kib={} hwm_kib={}",
        field("Threads:"),
        field("VmRSS:"),
        field("VmHWM:")
    )
}

/// The argument that makes a start-up program end with `_exit(0)` instead of
/// returning from `main`: no `atexit` handler runs, so the exit functions'
/// share of the start-up cost drops out.
pub const UNDERSCORE_EXIT: &str = "--underscore-exit";

/// Ends a start-up program's `main`: returns, or calls `_exit(0)` if it was
/// given [`UNDERSCORE_EXIT`].
pub fn end_of_main() {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == UNDERSCORE_EXIT)
    {
        // SAFETY: _exit has no preconditions. Nothing is left to flush:
        // Rust's stdout is line-buffered and every line printed ended.
        unsafe { libc::_exit(0) }
    }
}

/// Writes `line` and a newline to stdout, and flushes: the harness's clock
/// stops when it reads the line.
pub fn write_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Prints [`READY`], then sleeps until a signal ends the process; exits with
/// [`GAVE_UP`] if none does within [`WAIT_LIMIT`].
pub fn ready_then_wait() -> ! {
    write_line(READY);
    std::thread::sleep(WAIT_LIMIT);
    std::process::exit(GAVE_UP)
}

/// `CLOCK_MONOTONIC` in nanoseconds: one clock for the whole machine, so a
/// reading taken in `main` and one taken in an exit function (on another
/// thread) can be subtracted.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write; CLOCK_MONOTONIC exists on
    // every Unix this crate builds on.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Writes `bytes` to file descriptor 1 with one `write(2)`, bypassing Rust's
/// stdout, which is being torn down while exit handlers run.
pub fn write_raw_stdout(bytes: &[u8]) {
    // SAFETY: `bytes` is valid for `bytes.len()` bytes.
    unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
}

/// Parses `key=value` pairs separated by spaces, as the programs print them.
pub fn parse_fields(line: &str) -> Vec<(&str, &str)> {
    line.split_whitespace()
        .filter_map(|field| field.split_once('='))
        .collect()
}
