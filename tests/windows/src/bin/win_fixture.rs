//! The program the Windows tests spawn (`tests/*.rs` of this package).
//!
//! Usage: `win_fixture [SETUP]...`, then commands on standard input, one
//! per line (the end of input means `return`). Setup, in order:
//!
//! - `--fun NAME:SIGS` registers the exit function NAME with the function
//!   form, for the comma-separated signals SIGS (`INT`, `TERM`, ...; empty
//!   for none): `first`, `second`, `third` print `ran NAME`; `panics`
//!   prints, then panics; `hangs` prints, then never returns; `gate` prints
//!   `gate entered` and waits for a `gate:` line (below); `reason` prints
//!   `ran reason: {exit_reason():?}`; `thread_locals` prints what a
//!   `thread_local!` and `std::thread::current()` give.
//! - `--guard NAME:SIGS` holds an `exit_guard` whose closure prints `ran
//!   NAME`, or `ran NAME in a drop` when the `drop` command runs it.
//! - `--forgotten SIGS` registers a closure for SIGS and unregisters it
//!   at once: SIGS is then listed by no registration.
//! - `--older` / `--newer` install, with `SetConsoleCtrlHandler`, a handler
//!   before / after the registrations that follow / precede it: it prints
//!   `older handler ran for EVENT` and returns `FALSE` (the next handler
//!   runs), or `newer handler ran for EVENT` and returns `TRUE` (it owns
//!   the event).
//! - `--timeout MS`, `--force`, `--quiet`: `set_timeout`,
//!   `set_force_on_second_signal(true)`, `set_default_logfun(None)`.
//!
//! It prints `ready`, then obeys: `return`; `exit N`; `panic`; `exit-thread
//! N` (another thread calls `std::process::exit(N)`); `ctrl-c` (sends
//! Ctrl-C to its own console, and reads on); `drop NAME`, `dismiss NAME`
//! (the guard NAME; prints `dropped NAME` / `dismiss NAME returned BOOL`);
//! `reason` (prints `reason: {exit_reason():?}`); `gate:WHAT`, for the
//! `gate` exit function while it waits: `gate:go` lets it return (`ran
//! gate`), `gate:ctrl-c` makes it send Ctrl-C (`gate sent ctrl-c`) and
//! wait for the next `gate:` line.

#[cfg(windows)]
mod fixture;

#[cfg(windows)]
fn main() {
    fixture::main();
}

#[cfg(not(windows))]
fn main() {
    eprintln!("win_fixture is the Windows tests' fixture; it does nothing here");
    std::process::exit(2);
}
