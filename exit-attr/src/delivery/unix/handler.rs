//! The signal handler: what runs in signal context, how it is installed and
//! given back, and how it calls the handler it replaced.
//!
//! # What the handler may do
//!
//! A signal handler can interrupt any code, including `malloc` or a thread
//! holding a lock, so [`on_signal`] does only async-signal-safe work:
//! atomics, `sigaction` (to query), `getpid`, the wake-up channel's
//! doorbell, `pause` (for `abort`, see [`on_signal`]) and, to end the process
//! at once, `sigaction`, `raise` and `pthread_sigmask`. It saves and
//! restores `errno`, never allocates, never locks and never panics. Its
//! imports say so: the OS wrappers, the exit state, the wake-up channel and
//! the protocol between copies of exit-attr (`copies.rs`). Exit functions
//! run later, on the dispatcher thread.

use std::io;
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, AtomicUsize, Ordering};

use super::copies::{self, ChainInfo};
use super::wake;
use crate::error::Error;
use crate::signal::Signal;
use crate::state;
use crate::sys::Lock;
use crate::sys::{self, ErrnoGuard, SavedAction};

/// One slot per signal number; every [`Signal`] is below 64.
const SLOTS: usize = 64;

/// Signals whose handler exit-attr installed in this process.
static HOOKED: AtomicU64 = AtomicU64::new(0);

/// For each hooked signal, the handler that was installed before ours
/// (`SIG_DFL` when there was none) and whether it takes a `siginfo_t`:
/// atomics, because the handler reads them.
static OLDER_HANDLER: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(libc::SIG_DFL) }; SLOTS];
static OLDER_TAKES_SIGINFO: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

/// The whole actions that ours replaced, to put back by [`uninstall`].
static OLDER_ACTIONS: Lock<[Option<SavedAction>; SLOTS]> = Lock::new([None; SLOTS]);

/// The signal the dispatcher is currently chaining to its older handler (0
/// when none), the thread doing it, and the copies' flags to pass on. See
/// [`chain_older_handler`].
static CHAINING: AtomicI32 = AtomicI32::new(0);
static CHAINING_THREAD: AtomicUsize = AtomicUsize::new(0);
static CHAINING_FLAGS: AtomicU8 = AtomicU8::new(0);

fn bit(signal: Signal) -> u64 {
    1 << signal.as_raw()
}

/// Whether [`install`] would install the handler for `signal`: not when it
/// is installed already, nor when the signal is ignored (`SIG_IGN` stays
/// ignored: nohup, background jobs).
pub(crate) fn wants_install(signal: Signal) -> io::Result<bool> {
    if HOOKED.load(Ordering::Acquire) & bit(signal) != 0 {
        return Ok(false);
    }
    Ok(!sys::current_action(signal.as_raw())?.is_ignore())
}

/// Installs exit-attr's handler for `signal`, recording the one it replaces.
///
/// The caller holds the registry lock, which serialises installing and
/// makes the dispatcher wait before it reads [`OLDER_HANDLER`].
pub(crate) fn install(signal: Signal) -> Result<(), Error> {
    let raw = signal.as_raw();
    let replaced =
        sys::install_handler(raw, on_signal, copies::MARK).map_err(|source| Error::Setup {
            action: "install the signal handler",
            signal: Some(signal),
            source,
        })?;
    let slot = raw as usize;
    OLDER_ACTIONS.lock()[slot] = Some(replaced);
    OLDER_HANDLER[slot].store(replaced.handler(), Ordering::Release);
    OLDER_TAKES_SIGINFO[slot].store(replaced.takes_siginfo(), Ordering::Release);
    HOOKED.fetch_or(bit(signal), Ordering::AcqRel);
    if replaced.is_ignore() {
        // Someone ignored the signal between `wants_install` and now: put
        // their choice back, as if it had been seen in time.
        sys::restore_action(raw, &replaced);
    }
    Ok(())
}

/// Gives `signal` back to the action that was installed before exit-attr
/// hooked it, once no registration lists it: a signal that nobody lists
/// keeps its own action. If a newer handler owns the signal now, it is left
/// alone. The caller holds the registry lock.
pub(crate) fn uninstall(signal: Signal) {
    let raw = signal.as_raw();
    if HOOKED.load(Ordering::Acquire) & bit(signal) == 0 || !we_own(raw) {
        return;
    }
    if let Some(older) = OLDER_ACTIONS.lock()[raw as usize].take() {
        sys::restore_action(raw, &older);
        HOOKED.fetch_and(!bit(signal), Ordering::AcqRel);
    }
}

/// The address of our handler, as `sigaction` reports it.
fn our_handler() -> usize {
    on_signal as sys::SigInfoHandler as usize
}

/// Whose handler is installed for a signal right now.
enum Owner {
    Us,
    /// Another copy of exit-attr in this process (see `copies.rs`).
    AnotherCopy,
    /// A newer handler of other code, which only chained to us.
    Foreign,
}

/// Whose handler is installed for `signal` right now. Async-signal-safe.
fn owner(signal: c_int) -> Owner {
    match sys::current_action(signal) {
        Ok(action) if action.handler() == our_handler() => Owner::Us,
        Ok(action) if copies::is_marked(&action) => Owner::AnotherCopy,
        _ => Owner::Foreign,
    }
}

/// Whether our handler is the one installed for `signal` right now.
/// Async-signal-safe.
fn we_own(signal: c_int) -> bool {
    matches!(owner(signal), Owner::Us)
}

/// The signal handler.
extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let _errno = ErrnoGuard::save();
    if CHAINING.load(Ordering::Acquire) == signal
        && CHAINING_THREAD.load(Ordering::Acquire) == sys::thread_id()
    {
        call_older_handler(signal, info, context);
        return;
    }
    match owner(signal) {
        Owner::Us => {}
        Owner::AnotherCopy => {
            join_the_copy_that_chained_us(signal, info, context);
            return;
        }
        // A newer handler (tokio, signal-hook, ctrlc, ...) owns the signal and
        // called us as the handler it replaced: the signal is theirs to handle,
        // and the exit functions run when the program later exits.
        Owner::Foreign => return,
    }
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let info = unsafe { &*info };
    let aborting = raised_by_abort(signal, info);
    if state::is_running() {
        if state::force_on_second_signal() {
            sys::die_by(signal);
        }
        if aborting && state::runs_on_this_thread() {
            // An exit function called `abort()`: let it end the process, as
            // nothing else could run the rest.
            return;
        }
    }
    // Whether this is the first exit is the dispatcher's to decide, in one
    // place: during a run it finds the run under way, and the signal changes
    // nothing.
    if !wake::notify_signal(info) {
        // No dispatcher in this process (a child created by a raw `fork`
        // system call, or one where restarting the dispatcher after `fork`
        // failed): nothing can run the exit functions, and swallowing the
        // signal would leave the process running.
        sys::write_stderr(
            b"exit-attr: no dispatcher thread in this process; ending it by the signal without running exit functions\n",
        );
        sys::die_by(signal);
    }
    if aborting {
        // Keep the aborting thread from returning into `abort()`, which would
        // end the process before the exit functions ran. The process ends
        // when they have run: by SIGABRT, or, when another exit came first,
        // as that exit ends it. Every signal is blocked in this handler, so
        // `pause` sleeps until then.
        sys::pause_forever();
    }
}

/// Whether this is the SIGABRT of an `abort()` called in this process, which
/// ends the process as soon as the handler returns, rather than one sent by
/// `kill` (which returns harmlessly, and whose receiving thread may hold a
/// lock that the exit functions need, so it must not be kept waiting).
fn raised_by_abort(signal: c_int, info: &libc::siginfo_t) -> bool {
    if signal != libc::SIGABRT {
        return false;
    }
    // `abort()` raises the signal on its own thread: `tgkill` on Linux, which
    // `kill` from another process or thread is not. Elsewhere the sender's
    // pid is all there is to go by.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let sent_to_a_thread = info.si_code == libc::SI_TKILL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let sent_to_a_thread = true;
    sent_to_a_thread && sys::claimed_sender_pid(info) == sys::getpid()
}

/// Another copy of exit-attr owns `signal`. If it chained to us on its way
/// to ending the process (its record follows `info`), run our exit
/// functions and then our older handler before we return to it; if a
/// foreign handler between us called us, it owns the signal for us, and we
/// do nothing. See `copies.rs`.
fn join_the_copy_that_chained_us(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the caller was called by the kernel, by a copy of exit-attr
    // with a ChainInfo, or by a handler in between that passes on what it
    // was given: the kernel's frame or a ChainInfo, both long enough (see
    // `chained_by_copy`).
    let Some(flags) = (unsafe { copies::chained_by_copy(info) }) else {
        return;
    };
    // SAFETY: a valid siginfo_t heads both the kernel's frame and a record.
    let original = unsafe { &*info };
    // Our dispatcher runs our functions while this handler waits; with no
    // dispatcher, nothing can run them, and our older handler still runs.
    let flags = if wake::request_chained(original, flags) {
        wake::wait_for_chain_reply()
    } else {
        flags
    };
    let mut record = ChainInfo::new(original, flags);
    call_handler(signal, record.as_siginfo(), context);
}

/// Whether a handler other than `SIG_DFL` was installed before ours.
pub(crate) fn has_older_handler(signal: Signal) -> bool {
    OLDER_HANDLER[signal.as_raw() as usize].load(Ordering::Acquire) != libc::SIG_DFL
}

/// Runs the handler that ours replaced for `signal`, in a real signal context
/// on the calling thread, with `info` as its `siginfo_t` where the platform
/// allows (Linux), and returns if it returns.
///
/// Called by the dispatcher thread, which blocks every signal: it marks
/// itself as chaining, sends the signal to itself and unblocks it, and
/// [`on_signal`], seeing the mark, calls the older handler.
///
/// `flags` are the copies' flags (see `copies.rs`), passed on with the
/// `siginfo_t` in case the older handler is another copy's.
pub(crate) fn chain_older_handler(signal: Signal, info: &libc::siginfo_t, flags: u8) {
    let raw = signal.as_raw();
    CHAINING_FLAGS.store(flags, Ordering::Release);
    CHAINING_THREAD.store(sys::thread_id(), Ordering::Release);
    CHAINING.store(raw, Ordering::Release);
    sys::send_to_current_thread(raw, info);
    let unblocked = sys::SigSet::only(raw);
    sys::thread_mask(libc::SIG_UNBLOCK, &unblocked);
    sys::thread_mask(libc::SIG_BLOCK, &unblocked);
    CHAINING.store(0, Ordering::Release);
}

/// Calls the older handler once per chaining, however many copies of the
/// signal the dispatcher receives while it has the signal unblocked, with
/// the original `siginfo_t` in a chain record.
fn call_older_handler(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    if CHAINING
        .compare_exchange(signal, 0, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let original = unsafe { &*info };
    let mut record = ChainInfo::new(original, CHAINING_FLAGS.load(Ordering::Acquire));
    call_handler(signal, record.as_siginfo(), context);
}

/// Calls the handler that ours replaced for `signal`, if there was one.
fn call_handler(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let slot = signal as usize;
    let handler = OLDER_HANDLER[slot].load(Ordering::Acquire);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return;
    }
    if OLDER_TAKES_SIGINFO[slot].load(Ordering::Acquire) {
        // SAFETY: sigaction reported this address as an SA_SIGINFO handler,
        // so it has this signature; we pass it what the kernel passed us.
        let handler: sys::SigInfoHandler = unsafe { std::mem::transmute(handler) };
        handler(signal, info, context);
    } else {
        // SAFETY: sigaction reported this address as a plain handler.
        let handler: extern "C" fn(c_int) = unsafe { std::mem::transmute(handler) };
        handler(signal);
    }
}

/// In a forked child: no chaining is in progress there.
pub(crate) fn reset_after_fork() {
    CHAINING.store(0, Ordering::Release);
}
