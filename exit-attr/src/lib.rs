//! Run cleanup functions exactly once when the process ends, however it ends.
//!
//! `atexit` handlers do not run when a process is killed by a signal, and a
//! handler installed with `sigaction` silently replaces whatever handler was
//! there before. exit-attr wires both together: a registered exit function
//! runs once when the process exits normally *or* when a hooked signal
//! arrives, and handlers that other code installed keep working.
//!
//! ```no_run
//! #[exit_attr::register_exit_fun(signals = [SIGTERM, SIGINT])]
//! fn remove_pidfile() {
//!     let _ = std::fs::remove_file("/run/app.pid");
//! }
//!
//! fn main() {
//!     // ... run the service; on return, `exit`, SIGTERM or SIGINT,
//!     // `remove_pidfile` runs once.
//! }
//! ```
//!
//! The attribute, [`macro@register_exit_fun`], registers the function before
//! `main` starts. The function form, [`fn@register_exit_fun`], registers at
//! run time, and reports failures as an [`Error`]:
//!
//! ```no_run
//! use exit_attr::{register_exit_fun, Signal};
//!
//! fn remove_pidfile() {
//!     let _ = std::fs::remove_file("/run/app.pid");
//! }
//!
//! fn main() -> Result<(), exit_attr::Error> {
//!     register_exit_fun(remove_pidfile, &[Signal::SIGTERM, Signal::SIGINT])?;
//!     Ok(())
//! }
//! ```
//!
//! # When exit functions run
//!
//! | How the process ends | Exit functions | How it then ends |
//! |---|---|---|
//! | return from `main`, `std::process::exit(n)` from any thread, a panic out of `main` | all, once | unchanged status |
//! | a hooked signal that exit-attr owns | all, once, including those registered with no signal | killed by that same signal (a shell shows 128+n) |
//! | a hooked signal that a newer handler owns (tokio, signal-hook, ctrlc, ...) | none from the signal; all at the later normal exit | as that handler decides |
//! | a signal nobody hooked, or one that was ignored (`SIG_IGN`) when it would have been hooked | none | default action, or still ignored |
//! | `std::process::abort()`, `libc::abort()`, a panic under `panic = "abort"`, with `SIGABRT` listed | all, once | killed by SIGABRT |
//! | `SIGKILL`, `SIGSTOP`, `libc::_exit`; `abort()` without `SIGABRT` listed | none | unchanged |
//!
//! The first process of a PID namespace (the init of a container) is the
//! one exception to "killed by that same signal": the kernel does not let it
//! die by a signal it sends itself, so there exit-attr exits with 128+n, the
//! status a shell shows for a death by signal n.
//!
//! Exit functions run in reverse order of registration (like `atexit`), on
//! every path. The first exit wins: once they have started, a later signal or
//! `exit` neither starts them again nor changes how the process ends. A
//! function that panics is reported on stderr with its name (or where it was
//! registered) and the panic message; the others still run and the exit
//! status stays what it would have been.
//!
//! # Signals: chaining and ownership
//!
//! - A signal is hooked the first time a registration lists it, and given
//!   back (its older action restored, if exit-attr still owns it) when the
//!   last closure listing it is unregistered. A handler
//!   that was installed before is *chained*, not overwritten: it runs after
//!   the exit functions, once, on the dispatcher thread in a real signal
//!   context with the original `siginfo_t` (on Linux). If it returns, the
//!   process then ends by the signal; if it ends the process itself (say
//!   with `_exit(7)`), that status stands.
//! - A signal that is ignored when it would be hooked stays ignored (nohup,
//!   background jobs). Rust programs ignore `SIGPIPE` from `main` on.
//! - Whoever installs a handler *after* exit-attr owns the signal. When such
//!   a handler calls exit-attr's as the one it replaced, exit-attr does
//!   nothing; the exit functions run when the program later exits.
//! - When a hooked signal arrives, each distinct log function of the
//!   registrations that list it is called once, before the exit functions,
//!   with `signal SIGTERM received by process with PID 1234`. Registrations
//!   that name none (the function form, closures, the attribute without
//!   `logfun`) share the default log function, which writes the line to
//!   stderr: one line for all of them. [`set_default_logfun`] changes or
//!   silences it.
//!
//! # Threads and signal safety
//!
//! The signal handler does only async-signal-safe work: it checks with
//! `sigaction` that it still owns the signal, leaves the `siginfo_t` in a
//! slot of static memory, wakes the dispatcher thread (a futex on Linux),
//! and returns, saving and restoring `errno`; it never allocates, locks or
//! panics. A dedicated thread (`exit-attr`, started by the first
//! registration, whatever signals it lists) wakes up and runs the log line
//! and the exit functions, so they may allocate, lock and print. On the
//! normal path they run on that thread too, not on the exiting thread,
//! because the C runtime has already destroyed its thread-locals when it
//! calls `atexit` handlers: `thread_local!` values and
//! `std::thread::current()` work on every path.
//!
//! # What the program may do to its own process
//!
//! Nothing a program does to itself in the ordinary course of things makes
//! exit-attr lose a cleanup, hang, or touch the program's data:
//!
//! - **Descriptors.** On Linux exit-attr holds no file descriptor at all: a
//!   daemon may close every descriptor from 3 up (`close_range`), reuse the
//!   numbers for its own files or `dup2` over them, and its hooked signals
//!   and normal exit still run every exit function; no byte of its files is
//!   read or written. On FreeBSD, NetBSD and illumos the wake-up is an
//!   unnamed semaphore, which is no descriptor either; on macOS it is a pipe
//!   whose identity is checked (`fstat`) before every read and write, made
//!   anew when it is gone, and backed by a look every 250 ms. exit-attr
//!   never takes descriptors 0, 1 or 2.
//! - **Signal mask.** exit-attr's thread blocks every signal while it
//!   waits, so that signals go to the program's threads; exit functions and
//!   log functions run with the mask of the thread that made the first
//!   registration (for the attribute, the main thread before `main`). A
//!   process they start (`Command`, `system`, `fork` and `exec`, a shell
//!   script that runs `cmd & wait`) starts with the mask it would get from
//!   `main`. While they run, a signal sent to the process may be taken by
//!   exit-attr's thread like any other.
//! - **Stack.** Exit functions run on a stack of 2 MiB, a `std::thread`'s,
//!   or more if `RUST_MIN_STACK` asks for more, whatever the C library's
//!   default thread stack (musl's is 128 KiB; glibc's follows
//!   `RLIMIT_STACK`).
//! - **Unloading.** A copy of exit-attr in a shared library pins the library
//!   in memory (`RTLD_NODELETE`) when it first registers: a host that
//!   `dlclose`s it keeps it mapped, and the copy's handler, `atexit` bridge
//!   and exit functions still run.
//!
//! Two things stay outside exit-attr's reach. A signal sent to exit-attr's
//! own thread (`tgkill` with its thread id, as `/proc/PID/task` lists it;
//! `kill` and the terminal send to the process) waits there, blocked, until
//! a run of the exit functions unblocks it: send signals to the process.
//! And C code that calls the C library's `exit` inside an exit function on
//! the normal path ends the process at once with that status, cutting the
//! run short; Rust's `std::process::exit` does not (see below).
//!
//! ## Calling `exit` from an exit function
//!
//! On the signal path, an exit function that calls `std::process::exit` (or
//! the C library's `exit`) does not change the outcome: the remaining
//! functions still run and the process ends by the signal. On the normal
//! path, Rust's standard library parks forever any second thread that calls
//! `std::process::exit` while another is exiting, so such a call never
//! returns and the process does not finish exiting: do not call `exit` from
//! an exit function. The same holds on the signal path when another thread
//! had already called `exit` while the signal's exit functions were
//! running: that thread owns the exit, so the exit function's call parks
//! forever, and the process hangs instead of ending by the signal.
//!
//! # `fork`
//!
//! A child that keeps running after `fork()` keeps the registrations and gets
//! a dispatcher thread of its own: a hooked signal sent to the child runs the
//! exit functions in the child and ends the child, never the parent. Between
//! `fork` and `exec` the child runs only a few calls on exit-attr's behalf,
//! from `pthread_atfork` handlers: `pthread_sigmask`,
//! `pthread_mutex_unlock`, `getpid`, the `pthread_attr_*` functions and
//! `pthread_create` (and, where the wake-up is a semaphore, `sem_destroy`
//! and `sem_init`; where it is a pipe, `fstat`, `close`, `pipe` and
//! `fcntl`).
//!
//! # Shutdown control
//!
//! - [`set_timeout`] bounds how long the exit functions may take: when it
//!   expires, the rest are abandoned and the process ends the way it was
//!   ending (by the signal, or with its exit status).
//! - [`set_force_on_second_signal`] makes a hooked signal that arrives while
//!   exit functions run end the process at once: "press Ctrl-C again to quit
//!   now".
//! - `SIGABRT` may be listed: `std::process::abort()`, `libc::abort()` and a
//!   panic under `panic = "abort"` then run the exit functions (the aborting
//!   thread waits in the signal handler while they run on the dispatcher
//!   thread), and the process still dies by SIGABRT, core dump included. An
//!   exit function that needs a lock the aborting thread holds would wait
//!   forever: set a timeout.
//! - [`register_exit_closure`] registers a closure and returns an
//!   [`ExitHandle`] whose [`unregister`](ExitHandle::unregister) removes it;
//!   both are O(1) and work from any thread.
//! - One runtime per dependency graph: the crate declares `links =
//!   "exit_attr"`, so cargo refuses a build with two semver-incompatible
//!   copies of it. Copies that cargo cannot see cooperate (below).
//!
//! # Guards and the exit reason
//!
//! [`exit_guard`] is cleanup that is a scope: its closure runs once, when
//! the [`ExitGuard`] is dropped, or at exit or on a hooked signal if that
//! comes first, which `Drop` alone never does for a process killed by a
//! signal. [`exit_reason`] tells an exit function or a log function how the
//! process is ending: with which status, or by which signal from which
//! process.
//!
//! ```no_run
//! use exit_attr::{exit_guard, exit_reason, ExitReason, Signal};
//!
//! fn log_stop() {
//!     if let Some(ExitReason::Signal { signal, sender_pid: Some(pid), .. }) = exit_reason() {
//!         eprintln!("stopping: {signal} from PID {pid}");
//!     }
//! }
//!
//! fn main() -> Result<(), exit_attr::Error> {
//!     exit_attr::register_exit_fun(log_stop, &[Signal::SIGTERM])?;
//!     let scratch = std::env::temp_dir().join("scratch");
//!     let dir = scratch.clone();
//!     let _guard = exit_guard(
//!         move || {
//!             let _ = std::fs::remove_dir_all(&dir);
//!         },
//!         &[Signal::SIGTERM, Signal::SIGINT],
//!     )?;
//!     // ... work in `scratch` ...
//!     Ok(())
//! }
//! ```
//!
//! # Several copies in one process
//!
//! A `cdylib` plugin or a Python extension module links its own copy of
//! exit-attr, which cargo cannot see. The copies recognise each other
//! through the signal actions themselves, with nothing exported: each marks
//! its handler, and one that owns a signal, on its way to ending the process,
//! calls its older handler with the original `siginfo_t` followed by a
//! record of the protocol. A copy called that way runs its own exit
//! functions and its own older handler before it returns. So on a hooked
//! signal every copy's functions run once, newest copy first (reverse order
//! of hooking), a handler the host installed before them runs once, last,
//! and the process still ends by the signal; on a normal exit, every copy's
//! `atexit` bridge runs its own. A foreign handler installed later still
//! owns the signal for the copies it replaced. The built-in default log
//! line is printed once for all copies; a log function of the program's
//! own is a different function in each copy, and each copy calls its own.
//! Copies from this version of exit-attr on cooperate; an earlier copy
//! neither marks its handler nor passes the record, and behaves as it
//! always did. Each copy's [`set_timeout`] bounds its own functions.
//!
//! # Never run
//!
//! `SIGKILL` and `SIGSTOP` cannot be caught; `libc::_exit` skips `atexit`
//! handlers, and so does `std::process::abort` unless `SIGABRT` is hooked;
//! synchronous fault signals (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`,
//! `SIGTRAP`) cannot be hooked, because the faulting thread cannot wait for
//! cleanup.
//!
//! # Compared with the alternatives
//!
//! | | `atexit` / `#[dtor]` | ctrlc | signal-hook | tokio::signal | exit-attr |
//! |---|---|---|---|---|---|
//! | runs on normal exit | yes | no | no | no | yes |
//! | runs on SIGTERM / SIGINT | no | your closure, on a thread (SIGTERM and SIGHUP with `termination`) | your code, through flags, iterators or raw handlers | your task, through a stream | yes, on a dedicated thread |
//! | process then ends by the signal | — | no: your closure decides | if your code re-raises it | no: the default action is disabled for the process's lifetime | yes, always |
//! | handler installed before | untouched | replaced | called first, before your action | called first, before your action | called after the cleanup, once, in signal context |
//! | signal ignored (`SIG_IGN`) at start | untouched | handled anyway | handled anyway | handled anyway | stays ignored |
//! | handler installed after | — | — | — | — | owns the signal; cleanup runs at the later exit |
//! | exactly once across exit paths | yes | — | — | — | yes |
//! | needs an async runtime | no | no | no | yes | no |
//! | registration before `main` | `#[dtor]` | no | no | no | `#[register_exit_fun]` |
//!
//! ctrlc, signal-hook and tokio are the right tools to *react* to a signal
//! (reload, drain, shut down gracefully); exit-attr is the tool for what must
//! happen *whatever* ends the process, and it cooperates with them: whoever
//! installs a handler later owns the signal, and exit-attr's functions then
//! run when the program exits its own way (see the `tokio_server` example).
//!
//! # Examples
//!
//! The repository's `examples/` run with `cargo run --example NAME`: `tour`
//! (every exit path as a table), `daemon` (a forking daemon's pidfile, and
//! who stopped it), `tempdir` (a `tempfile::TempDir` held by an
//! [`exit_guard`], gone at the end of its scope, at exit or on Ctrl-C),
//! `tokio_server` (graceful shutdown, then the exit function) and `dynamic`
//! (closures and handles).
//!
//! # Platforms
//!
//! Linux is tested, with glibc and with musl, on x86-64, on 32-bit x86 and
//! on ARM64 (under qemu-user): every behaviour described here is checked by
//! running processes. Windows is tested under Wine (see
//! [below](#windows)). macOS, FreeBSD, NetBSD and illumos are built to
//! object code, and the start-up registration read there; the code is the
//! same there by design, but it is not run, and a chained handler there
//! sees a `siginfo_t` that names the process itself as the sender. Other
//! targets get one `compile_error!`.
//!
//! # Windows
//!
//! Windows has no POSIX signals; its console control events play their
//! role, with the mapping .NET's `PosixSignalRegistration` uses, and the
//! same API: [`Signal`] has four constants there, [`SIGINT`](Signal::SIGINT)
//! for Ctrl-C, [`SIGQUIT`](Signal::SIGQUIT) for Ctrl-Break,
//! [`SIGHUP`](Signal::SIGHUP) for the console window closed and
//! [`SIGTERM`](Signal::SIGTERM) for logoff and shutdown, and any other
//! signal in the attribute is a compile error on its name. So
//! `#[register_exit_fun(signals = [SIGTERM, SIGINT])]` builds everywhere.
//!
//! - **A listed event.** Windows calls a process's console handlers newest
//!   first, each on a new thread, until one returns `TRUE`. exit-attr's
//!   (installed when the first registration lists one of the four signals)
//!   runs the log line and every exit function, once, newest first, on that
//!   thread, then returns `FALSE`: handlers installed before it run after
//!   the cleanup, and Windows' default ends the process
//!   (`STATUS_CONTROL_C_EXIT`). A handler installed after it (ctrlc,
//!   `tokio::signal::windows`) that returns `TRUE` owns the event, and the
//!   exit functions run at the program's later exit. An event that no
//!   registration lists runs nothing, and Windows' default ends the
//!   process. On the console window's close, logoff and shutdown, Windows
//!   ends the process itself if the handlers take too long (a few seconds):
//!   keep [`set_timeout`] under that.
//! - **Returning from `main`** (or a panic out of it): the C runtime's
//!   `atexit` runs the exit functions on a fresh thread, while every other
//!   thread still runs; [`set_timeout`] bounds them.
//! - **`std::process::exit`**, from any thread, is Windows' `ExitProcess`,
//!   which runs no `atexit` handler: it ends every other thread where it
//!   stands, then runs the process-detach callbacks on the exiting thread,
//!   where exit-attr runs the exit functions. There, an exit function must
//!   not wait for another thread (they are gone; a lock one of them held
//!   stays held, the standard output's included if one was printing), nor
//!   start one or load a library (Windows' loader lock is held), and
//!   [`set_timeout`] cannot bound it (it needs a thread). Where that
//!   matters, return from `main` instead.
//! - [`exit_reason`] gives `Signal { signal, sender_pid: None, sender_uid:
//!   None }` for an event, and `Exit { code: None }` for a normal exit: the
//!   C runtime does not tell its `atexit` handlers the status, nor Windows
//!   its process-detach callbacks.
//! - [`set_force_on_second_signal`]: a listed event while exit functions run
//!   ends the process at once, with `STATUS_CONTROL_C_EXIT`.
//! - Not on Windows: `SIGABRT` (Rust's `abort` there is `__fastfail`, which
//!   runs no handler), `TerminateProcess` (what `taskkill /F` and
//!   `Child::kill` use: Windows' SIGKILL), a service's stop request (a
//!   service's control handler is the program's own), and `fork`.
//!
//! Under ThreadSanitizer (`-Zsanitizer=thread`), which runs a signal handler
//! only at a safe point of the thread the signal went to (never while that
//! thread sleeps in `std::thread::sleep` or a futex wait), the thread that
//! hooks a signal blocks it, and a thread of exit-attr's takes hooked
//! signals: a program still runs its exit functions and dies by a hooked
//! signal sent to it. A hooked signal a thread sends itself (`raise`) stays
//! pending there while that thread blocks it.

#![warn(missing_docs)]

#[cfg(not(any(unix, windows)))]
compile_error!(
    "exit-attr supports Unix and Windows targets only: it is built on POSIX signals and atexit, \
     or on Windows' console control events"
);

// The modules, bottom up: each imports only from those listed before it,
// but `signal` and `error`, two values that name each other
// (`tests/layers.rs` checks it). ARCHITECTURE.md draws the layers, the
// split between the shared code and each platform's, and follows a signal
// and an exit through them.
//
// Leaves: the operating system (one module per platform family), the
// atomics the exit state machine is written against.
mod atomic;
mod sys;
// Values.
mod error;
mod signal;
// The process's exit state.
mod state;
// Data: the registrations, and what each calls.
mod callback;
mod registry;
// Mechanisms shared by every platform: the log line, running the functions.
mod log;
mod run;
// What delivers signals (or console events) and bridges the normal exit:
// one module per platform family.
mod delivery;
// Wiring: performing a registration.
mod wiring;
// The API.
mod closure;
mod control;
mod function;
mod guard;
mod reason;

#[doc(hidden)]
pub mod __private;

pub use crate::closure::{ExitHandle, register_exit_closure};
pub use crate::control::{set_default_logfun, set_force_on_second_signal, set_timeout};
pub use crate::error::Error;
pub use crate::function::register_exit_fun;
pub use crate::guard::{ExitGuard, exit_guard};
pub use crate::reason::{ExitReason, exit_reason};
pub use crate::signal::Signal;

/// Registers the annotated function, before `main` starts, to run once when
/// the process ends: at normal exit, and when one of its signals arrives.
///
/// The function keeps its signature, attributes and statements, and stays an
/// ordinary function that can also be called directly; the registration is
/// an item inside its body. The attribute needs no dependency but
/// `exit-attr`, and compiles in crates with `#![forbid(unsafe_code)]` and
/// `#![deny(warnings)]`.
///
/// # Forms
///
/// | Attribute | Hooked signals | Log line |
/// |---|---|---|
/// | `#[register_exit_fun]`, `#[register_exit_fun()]` | `SIGTERM` | the default log function (stderr unless [`set_default_logfun`] changed it) |
/// | `#[register_exit_fun(signals = [SIGTERM, SIGHUP])]` | those listed | the default log function |
/// | `#[register_exit_fun(signals = [])]` | none: normal exit, and signals other registrations hooked | none |
/// | `#[register_exit_fun(logfun = path::to::f)]`, with `f: fn(&str)` | `SIGTERM` | `f(line)` |
/// | `#[register_exit_fun(logfun = None)]` | `SIGTERM` | none |
///
/// `signals` and `logfun` combine in any order; a trailing comma is allowed.
/// Signal names are the POSIX names of [`Signal`]'s constants.
///
/// ```
/// use exit_attr::register_exit_fun;
///
/// /// Doc comments and other attributes are kept.
/// #[register_exit_fun]
/// fn remove_pidfile() {
///     let _ = std::fs::remove_file("/tmp/example.pid");
/// }
///
/// #[register_exit_fun(signals = [SIGTERM, SIGINT, SIGHUP], logfun = log_line)]
/// fn flush_journal() {}
///
/// #[exit_attr::register_exit_fun(logfun = None, signals = [])]
/// fn say_goodbye() {
///     println!("goodbye");
/// }
///
/// fn log_line(line: &str) {
///     eprintln!("[shutdown] {line}");
/// }
///
/// fn main() {
///     // Still an ordinary function; it runs once more at exit.
///     remove_pidfile();
/// }
/// ```
///
/// # What runs when
///
/// As for the function form (see the [crate documentation](crate)): every
/// registered function runs once at normal exit and when a hooked signal that
/// exit-attr owns arrives; then the process ends as it was ending (with its
/// exit status, or by the signal). Functions run in reverse order of
/// registration. Annotated functions register in the order the platform's
/// loader runs start-up functions, which follows neither source order nor
/// module order: where the order between two exit functions matters,
/// register them with the function form from `main`. A registration that
/// fails (the operating system refused a thread) is reported once
/// on stderr; the function then still runs at normal exit.
///
/// Annotated functions work in every crate type that runs start-up
/// functions: a binary, a test, a library linked into either, a `cdylib`.
/// A library is linked only if the program uses something of it, though: a
/// dependency none of whose items the program references is left out by
/// the linker, start-up function and all, and its annotated functions never
/// register. Use one of its items (calling any of its functions will do).
///
/// # Rejected at compile time
///
/// Each with an error on the offending token, all of them in one build:
///
/// - unknown signal names (with the closest known name as a suggestion);
/// - `SIGKILL` and `SIGSTOP`, which cannot be caught;
/// - signals whose default action does not end the process: `SIGCHLD`,
///   `SIGCONT`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`, `SIGURG`, `SIGWINCH`;
/// - synchronous fault signals: `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`,
///   `SIGTRAP`;
/// - a signal listed twice, an unknown or repeated argument, a `signals`
///   value that is not a bracketed list of names, a `logfun` that is neither
///   a path nor `None`;
/// - anything but a plain `fn name()`: parameters, `self`, generics, `async`,
///   `unsafe`, an `extern` ABI, a return type, variadics, and items that are
///   not functions;
/// - `fn main`, which would run again at exit.
///
/// The attribute applies to free functions, at module level or inside a
/// function body. It cannot see that it is on an associated function in an
/// `impl` block, where its registration has no name to refer to the
/// function by: the one error is rustc's "cannot find value `cleanup` in
/// this scope", on the function's name. Move the function out of the `impl`.
/// (Should a free function of the same name be in scope there, the
/// registration finds that one instead, and there is no error.)
///
/// ```compile_fail
/// #[exit_attr::register_exit_fun(signals = [SIGKILL])]
/// fn cleanup() {}
/// ```
///
/// ```compile_fail
/// #[exit_attr::register_exit_fun]
/// fn cleanup(path: &str) {}
/// ```
pub use exit_attr_macros::register_exit_fun;
