//! The normal-exit bridge on Windows.
//!
//! Two ways out of a Rust program need two hooks:
//!
//! - Return from `main`, or a panic out of it: Rust's `main` returns to the
//!   C runtime, which calls its `atexit` handlers (every thread still runs)
//!   and then `ExitProcess`. exit-attr's `atexit` handler runs the exit
//!   functions on a fresh thread and waits for them, bounded by the
//!   timeout, as on Unix.
//! - `std::process::exit`, from any thread, is `ExitProcess` itself, which
//!   runs no `atexit` handler: it ends every other thread where it stands,
//!   then, holding the loader lock, runs the process-detach callbacks on
//!   the thread that called it. exit-attr has two there: a fiber-local
//!   storage callback (which Windows calls for each thread that ends, and,
//!   on the thread that ends the process, at its end: `process_is_exiting`
//!   tells the two apart) and a TLS callback (`DLL_PROCESS_DETACH`). Every
//!   thread gets the fiber-local marker when it starts (the TLS callback's
//!   `DLL_THREAD_ATTACH`), so whichever thread ends the process runs the
//!   exit functions, right there: no other thread can be started any more.
//!
//! The first of these to run wins, as always; the others find the run done.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;

use windows_sys::Win32::System::SystemServices::{DLL_PROCESS_DETACH, DLL_THREAD_ATTACH};

use super::console;
use crate::error::Error;
use crate::run;
use crate::state::{self, Begin, Path, Reason};
use crate::sys::{self, STATUS_CONTROL_C_EXIT};

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The fiber-local index whose callback ends the process's run, or
/// `NO_INDEX` until one is allocated.
static FLS_INDEX: AtomicU32 = AtomicU32::new(NO_INDEX);
const NO_INDEX: u32 = u32::MAX;

/// Registers the bridge, once per process. The caller holds the registry
/// lock.
pub(crate) fn ensure_registered() -> Result<(), Error> {
    if REGISTERED.load(Ordering::Acquire) {
        return Ok(());
    }
    sys::at_exit(on_crt_exit).map_err(|source| Error::Setup {
        action: "register the atexit handler",
        signal: None,
        source,
    })?;
    sys::prepare_process_exit_check();
    // Out of fiber-local indexes (there are a thousand): the TLS callback
    // still bridges `ExitProcess`, where Windows calls it.
    if let Ok(index) = sys::fls_alloc(on_fiber_data_freed) {
        sys::fls_mark_thread(index);
        FLS_INDEX.store(index, Ordering::Release);
    }
    // A static that nothing reads may be left out of the link; this read
    // keeps the TLS callback in every program that registers.
    // SAFETY: a read of a valid static.
    let _ = unsafe { std::ptr::read_volatile(&raw const TLS_CALLBACK) };
    REGISTERED.store(true, Ordering::Release);
    Ok(())
}

/// The C runtime's `atexit` handler: return from `main`, or a panic out
/// of it. Every thread still runs.
extern "C" fn on_crt_exit() {
    state::exiting_from_drop_runs();
    match state::begin(Path::Normal) {
        Begin::Started => {
            state::set_reason(Reason::Exit { code: None });
            run_on_fresh_thread();
            state::finish();
        }
        // An exit function called the C runtime's `exit` on the thread
        // that runs them: carry on with the rest here.
        Begin::Reentered(Path::Normal) => run::run_remaining(),
        // On a console event's thread: carry on, and end as the event
        // would have.
        Begin::Reentered(Path::Signal) => {
            run::run_remaining();
            sys::terminate_process(STATUS_CONTROL_C_EXIT);
        }
        // Another thread runs them: wait, so that this exit never finishes
        // before they do.
        Begin::Busy(_) => state::wait_until_finished(),
        Begin::Finished => {}
    }
}

/// Runs the exit functions on a new thread (with working thread-locals,
/// whatever the exiting thread's state) and waits for it, at most until
/// the timeout; the rest are then abandoned, and the exit goes on. If no
/// thread can be started, they run here.
fn run_on_fresh_thread() {
    let (done, finished) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("exit-attr".into())
        .spawn(move || {
            run::run_remaining();
            let _ = done.send(());
        });
    if spawned.is_err() {
        run::run_remaining();
        return;
    }
    let waited = match state::deadline_from_now() {
        Some(deadline) => {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            finished.recv_timeout(left).map_err(drop)
        }
        None => finished.recv().map_err(drop),
    };
    if waited.is_err() {
        run::abandon();
    }
}

/// The process is ending through `ExitProcess`: every other thread is
/// gone, and the loader lock is held. Whatever is left to run runs on this
/// thread, which is all there is; no thread can be started, so the timeout
/// cannot bound it.
fn on_process_detach() {
    if console::ends_by_a_passed_event() {
        // Windows' default end of a console event that every handler let
        // go by: nothing runs, as for a signal nobody hooked. (A listed
        // event's run is over by then.)
        return;
    }
    state::exiting_from_drop_runs();
    state::other_threads_are_gone();
    match state::begin(Path::Normal) {
        Begin::Started => {
            state::set_reason(Reason::Exit { code: None });
            run::run_remaining();
            state::finish();
        }
        // The run that was under way (here, or on a thread that is gone
        // now) goes on here; a console event's run still ends the process
        // as the event would have.
        Begin::Reentered(path) => finish_a_run_under_way(path),
        Begin::Busy(path) => finish_a_run_under_way(path),
        Begin::Finished => {}
    }
}

fn finish_a_run_under_way(path: Path) {
    run::run_remaining();
    match path {
        Path::Signal => sys::terminate_process(STATUS_CONTROL_C_EXIT),
        Path::Normal => state::finish(),
    }
}

/// The fiber-local callback: a thread with exit-attr's marker ends, or the
/// process does.
unsafe extern "system" fn on_fiber_data_freed(_: *const c_void) {
    if sys::process_is_exiting() {
        guarded(on_process_detach);
    }
}

/// Called by the loader for every thread that starts and ends, and when
/// the process attaches and detaches.
unsafe extern "system" fn on_tls_event(_: *mut c_void, reason: u32, _: *mut c_void) {
    match reason {
        // A starting thread: nothing of the standard library's may run
        // before its own set-up, so only the marker.
        DLL_THREAD_ATTACH => {
            let index = FLS_INDEX.load(Ordering::Acquire);
            if index != NO_INDEX {
                sys::fls_mark_thread(index);
            }
        }
        DLL_PROCESS_DETACH if REGISTERED.load(Ordering::Acquire) => guarded(on_process_detach),
        _ => {}
    }
}

/// Runs `f`, which must not unwind into the loader that called us.
fn guarded(f: fn()) {
    if std::panic::catch_unwind(f).is_err() {
        std::process::abort();
    }
}

/// The TLS callback, in the section where the C runtime (MSVC's and
/// MinGW's) collects them; the standard library keeps its own in the same
/// section.
#[used]
#[unsafe(link_section = ".CRT$XLB")]
static TLS_CALLBACK: unsafe extern "system" fn(*mut c_void, u32, *mut c_void) = on_tls_event;
