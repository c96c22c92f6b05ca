//! The signal handler: installing it, deciding whether it owns a signal, and
//! calling the handler it replaced.
//!
//! # What the handler may do
//!
//! A signal handler can interrupt any code, including `malloc` or a thread
//! holding a lock, so [`on_signal`] does only async-signal-safe work:
//! atomics, `sigaction` (to query), `getpid`, `write(2)` to the dispatcher's
//! pipe, `pause` (for `abort`, see [`wait_for_the_end`]) and, to end the
//! process at once, `sigaction`/`raise`. It saves and
//! restores `errno`, never allocates, never locks and never panics. Exit
//! functions run later, on the dispatcher thread (see `dispatcher.rs`).

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};

use crate::STATE;
use crate::dispatcher;
use crate::error::Error;
use crate::run;
use crate::signal::Signal;
use crate::sync::Lock;
use crate::sys::{self, ErrnoGuard};

/// One slot per signal number; every [`Signal`] is below 64.
const SLOTS: usize = 64;

/// Signals whose handler exit-attr installed in this process.
static HOOKED: AtomicU64 = AtomicU64::new(0);

/// For each hooked signal, the handler that was installed before ours
/// (`SIG_DFL` when there was none) and whether it takes a `siginfo_t`.
static OLDER_HANDLER: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(libc::SIG_DFL) }; SLOTS];
static OLDER_TAKES_SIGINFO: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

/// The signal the dispatcher is currently chaining to its older handler (0
/// when none), and the thread doing it. See [`chain_older_handler`].
static CHAINING: AtomicI32 = AtomicI32::new(0);
static CHAINING_THREAD: AtomicUsize = AtomicUsize::new(0);

/// Installs exit-attr's handler for `signal`, unless it is already installed
/// or the signal is ignored (`SIG_IGN` stays ignored: nohup, background jobs).
///
/// The caller holds the registry lock, which serialises hooking and makes the
/// dispatcher wait before it reads [`OLDER_HANDLER`].
pub(crate) fn hook(signal: Signal) -> Result<(), Error> {
    let raw = signal.as_raw();
    let bit = 1u64 << raw;
    if HOOKED.load(Ordering::Acquire) & bit != 0 {
        return Ok(());
    }
    let current = sys::current_action(raw).map_err(|source| Error::Setup {
        action: "read the current signal action",
        signal: Some(signal),
        source,
    })?;
    if current.sa_sigaction == libc::SIG_IGN {
        return Ok(());
    }
    dispatcher::ensure_running(signal)?;

    // SAFETY: a zeroed sigaction is valid; we fill in the handler, a full mask
    // (so that no other signal interrupts our handler) and the flags.
    //
    // No SA_ONSTACK: `std::process::exit` frees the main thread's alternate
    // signal stack even when another thread calls it, and a handler running
    // on the main thread after that would write its frame into unmapped or
    // reused memory (seen as SIGSEGV deaths in our tests). The handler needs
    // only a few hundred bytes of the interrupted thread's own stack.
    let ours = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction =
            on_signal as extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) as usize;
        libc::sigfillset(&mut action.sa_mask);
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        action
    };
    let mut replaced = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: `ours` is a valid action and `replaced` is valid for writes.
    if unsafe { libc::sigaction(raw, &ours, replaced.as_mut_ptr()) } != 0 {
        return Err(Error::last_os_error(
            "install the signal handler",
            Some(signal),
        ));
    }
    // SAFETY: sigaction succeeded and filled `replaced`.
    let replaced = unsafe { replaced.assume_init() };
    let slot = raw as usize;
    OLDER_ACTIONS.lock()[slot] = Some(SavedAction(replaced));
    OLDER_HANDLER[slot].store(replaced.sa_sigaction, Ordering::Release);
    OLDER_TAKES_SIGINFO[slot].store(replaced.sa_flags & libc::SA_SIGINFO != 0, Ordering::Release);
    HOOKED.fetch_or(bit, Ordering::AcqRel);
    if replaced.sa_sigaction == libc::SIG_IGN {
        // Someone ignored the signal between our query and our install: put
        // their choice back, as if we had seen it in time.
        // SAFETY: `replaced` is the valid action sigaction gave us.
        unsafe { libc::sigaction(raw, &replaced, std::ptr::null_mut()) };
    }
    Ok(())
}

/// The whole actions that ours replaced, to put back by [`unhook`].
static OLDER_ACTIONS: Lock<[Option<SavedAction>; SLOTS]> = Lock::new([const { None }; SLOTS]);

struct SavedAction(libc::sigaction);

// SAFETY: a sigaction is plain data: a handler address, a mask and flags.
unsafe impl Send for SavedAction {}

/// Gives `signal` back to the action that was installed before exit-attr
/// hooked it, when no registration lists it any more: a signal that nobody
/// lists keeps its own action (§3). If a newer handler owns the signal now,
/// it is left alone. The caller holds the registry lock.
pub(crate) fn unhook(signal: Signal) {
    let raw = signal.as_raw();
    let bit = 1u64 << raw;
    if HOOKED.load(Ordering::Acquire) & bit == 0 || !we_own(raw) {
        return;
    }
    if let Some(SavedAction(older)) = OLDER_ACTIONS.lock()[raw as usize].take() {
        // SAFETY: `older` is the valid action that sigaction gave us.
        unsafe { libc::sigaction(raw, &older, std::ptr::null_mut()) };
        HOOKED.fetch_and(!bit, Ordering::AcqRel);
    }
}

/// The address of our handler, as `sigaction` reports it.
fn our_handler() -> usize {
    on_signal as extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) as usize
}

/// Whether our handler is the one installed for `signal` right now. When it
/// is not, a newer handler owns the signal and only chained to us.
fn we_own(signal: c_int) -> bool {
    matches!(sys::current_action(signal), Ok(action) if action.sa_sigaction == our_handler())
}

/// The signal handler. Async-signal-safe: see the module documentation.
extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let _errno = ErrnoGuard::save();
    if CHAINING.load(Ordering::Acquire) == signal
        && CHAINING_THREAD.load(Ordering::Acquire) == sys::thread_id()
    {
        call_older_handler(signal, info, context);
        return;
    }
    if !we_own(signal) {
        // A newer handler (tokio, signal-hook, ctrlc, ...) owns the signal and
        // called us as the handler it replaced: the signal is theirs to handle,
        // and the exit functions run when the program later exits.
        return;
    }
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let info = unsafe { &*info };
    if STATE.is_running() {
        if FORCE_ON_SECOND_SIGNAL.load(Ordering::Acquire) {
            end_now(signal);
        } else if raised_by_abort(signal, info) && !run::runs_on_this_thread() {
            // The first exit wins: this signal changes nothing. But a thread
            // that called `abort()` must not return into it, or glibc would
            // end the process now, by SIGABRT. (An exit function that calls
            // `abort()` does end it: nothing else could run the rest.)
            wait_for_the_end();
        }
        return;
    }
    if !dispatcher::notify(info) {
        die_without_dispatcher(signal);
        return;
    }
    if raised_by_abort(signal, info) {
        wait_for_the_end();
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
    // `abort()` raises the signal on its own thread: `tgkill` on Linux.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let sent_to_a_thread = info.si_code == libc::SI_TKILL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let sent_to_a_thread = info.si_code != libc::SI_USER;
    // SAFETY: si_pid is valid for signals sent by a process (SI_TKILL,
    // SI_USER, SI_QUEUE); for others the check fails harmlessly. getpid is
    // async-signal-safe.
    sent_to_a_thread && unsafe { info.si_pid() == libc::getpid() }
}

/// `set_force_on_second_signal`'s value.
static FORCE_ON_SECOND_SIGNAL: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_force_on_second_signal(force: bool) {
    FORCE_ON_SECOND_SIGNAL.store(force, Ordering::Release);
}

/// Ends the process at once by `signal`'s default action. The signal is
/// blocked while this handler runs, so it is delivered when it returns.
fn end_now(signal: c_int) {
    sys::set_default_action(signal);
    // SAFETY: raise is async-signal-safe.
    unsafe { libc::raise(signal) };
}

/// Keeps the thread that called `abort()` from returning into it: glibc
/// would then restore the default action and end the process before the
/// exit functions ran. The dispatcher ends the process by SIGABRT when they
/// have (or when the timeout expires). Every signal is blocked in this
/// handler, so `pause` sleeps until then.
fn wait_for_the_end() -> ! {
    loop {
        // SAFETY: pause is async-signal-safe and has no preconditions.
        unsafe { libc::pause() };
    }
}

/// The signal arrived in a process without a dispatcher thread (a child
/// created by a raw `fork` syscall, or one where restarting the dispatcher
/// after `fork` failed). Nothing can run the exit functions, and swallowing
/// the signal would leave the process running: end it by the signal.
fn die_without_dispatcher(signal: c_int) {
    sys::write_stderr(
        b"exit-attr: no dispatcher thread in this process; ending it by the signal without running exit functions\n",
    );
    sys::set_default_action(signal);
    // SAFETY: raise is async-signal-safe. The signal is blocked while this
    // handler runs, so it is delivered, with its default action, on return.
    unsafe { libc::raise(signal) };
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
pub(crate) fn chain_older_handler(signal: Signal, info: &libc::siginfo_t) {
    let raw = signal.as_raw();
    CHAINING_THREAD.store(sys::thread_id(), Ordering::Release);
    CHAINING.store(raw, Ordering::Release);
    sys::send_to_current_thread(raw, info);
    let unblocked = sys::SigSet::only(raw);
    sys::thread_mask(libc::SIG_UNBLOCK, &unblocked);
    sys::thread_mask(libc::SIG_BLOCK, &unblocked);
    CHAINING.store(0, Ordering::Release);
}

/// Calls the older handler once per chaining, however many copies of the
/// signal the dispatcher receives while it has the signal unblocked.
fn call_older_handler(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    if CHAINING
        .compare_exchange(signal, 0, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let slot = signal as usize;
    let handler = OLDER_HANDLER[slot].load(Ordering::Acquire);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return;
    }
    if OLDER_TAKES_SIGINFO[slot].load(Ordering::Acquire) {
        // SAFETY: sigaction reported this address as an SA_SIGINFO handler,
        // so it has this signature; we pass it what the kernel passed us.
        let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
            unsafe { std::mem::transmute(handler) };
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
