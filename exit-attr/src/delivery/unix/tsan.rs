//! Signal delivery under ThreadSanitizer (`-Zsanitizer=thread`); compiled
//! only there (the build script sets `cfg(exit_attr_tsan)`).
//!
//! ThreadSanitizer installs its own handler for every signal and runs the
//! program's handler only at a safe point of the thread the kernel delivered
//! the signal to: at once if that thread waits in a call it intercepts as
//! blocking (`read`, `poll`, `pause`, `nanosleep`, ...), otherwise when the
//! thread next returns from an intercepted function or makes an atomic
//! operation. A thread that waits in a call it does not intercept
//! (`std::thread::sleep`, which calls `clock_nanosleep`; the futex waits of
//! the standard library's locks, channels and `park`) holds the signal for
//! as long as it waits: the handler never runs, nothing wakes the
//! dispatcher, and the process keeps running.
//!
//! So, under ThreadSanitizer only, hooked signals are routed to a thread of
//! exit-attr that does nothing but wait for them: the thread that hooks a
//! signal blocks it (for the attribute, the main thread before `main`, whose
//! mask every thread started later inherits), and the acceptor thread, which
//! takes every signal a registration accepts, is then the one the kernel
//! delivers a signal sent to the process to. The handler runs there
//! concurrently with the dispatcher, as it would on a program thread.
//!
//! The cost, under ThreadSanitizer only: a hooked signal sent to one thread
//! (`raise`, `pthread_kill`) that blocks it waits until that thread unblocks
//! it; threads that existed before the signal was hooked keep their mask.

use std::os::raw::c_void;
use std::sync::atomic::{Ordering, fence};

use crate::signal::Signal;
use crate::sys::{self, SigSet};

/// Blocks `signal` in the calling thread, the one that hooked it, and so in
/// every thread it starts from now on.
pub(crate) fn route_to_acceptor(signal: Signal) {
    sys::thread_mask(libc::SIG_BLOCK, &SigSet::only(signal.as_raw()));
}

/// Starts the acceptor thread. Called with the dispatcher, also in a forked
/// child, where only `pthread_create` may be used to start a thread.
pub(crate) fn start_acceptor() {
    // Without it, a hooked signal waits until a thread that does not block
    // it takes it; nothing else changes.
    let _ = sys::spawn_with_signals_blocked(acceptor_main, std::ptr::null_mut());
}

extern "C" fn acceptor_main(_: *mut c_void) -> *mut c_void {
    sys::name_current_thread(c"exit-attr-tsan");
    let waiting = SigSet::full_except(Signal::ALL.iter().map(|signal| signal.as_raw()));
    loop {
        // `sigsuspend` unblocks and waits at once: a signal is taken only
        // here, and ThreadSanitizer runs the handler as the call returns.
        sys::suspend(&waiting);
        // In the child of a fork of a multi-threaded process ThreadSanitizer
        // ignores its interceptors, so the handler waits for another safe
        // point: an atomic operation is one.
        fence(Ordering::SeqCst);
    }
}
