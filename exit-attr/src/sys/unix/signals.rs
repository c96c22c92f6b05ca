//! Signal masks, signal actions, and sending a signal to oneself.

use std::io;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};

/// The signature of an `SA_SIGINFO` handler.
pub(crate) type SigInfoHandler = extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);

/// A signal mask.
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The set of every signal.
    pub(crate) fn full() -> SigSet {
        let mut set = MaybeUninit::uninit();
        // SAFETY: sigfillset initialises the set it is given; it cannot fail
        // for a valid pointer.
        unsafe {
            libc::sigfillset(set.as_mut_ptr());
            SigSet(set.assume_init())
        }
    }

    /// The set of no signal.
    pub(crate) fn empty() -> SigSet {
        let mut set = MaybeUninit::uninit();
        // SAFETY: sigemptyset initialises the set it is given; it cannot fail
        // for a valid pointer.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            SigSet(set.assume_init())
        }
    }

    /// The set that holds only `signal`.
    pub(crate) fn only(signal: c_int) -> SigSet {
        let mut set = MaybeUninit::uninit();
        // SAFETY: sigemptyset initialises the set; sigaddset only fails for an
        // invalid signal number, which leaves the set empty.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), signal);
            SigSet(set.assume_init())
        }
    }

    /// The set of every signal except `signals`.
    #[cfg(exit_attr_tsan)]
    pub(crate) fn full_except(signals: impl IntoIterator<Item = c_int>) -> SigSet {
        let mut set = SigSet::full();
        for signal in signals {
            // SAFETY: the set is initialised; sigdelset only fails for an
            // invalid signal number, which it leaves alone.
            unsafe { libc::sigdelset(&mut set.0, signal) };
        }
        set
    }
}

/// Replaces the calling thread's mask with `mask` until a signal handler
/// runs (or, under ThreadSanitizer, a signal arrives), then puts the mask
/// back: unblocking and waiting at once, so that no signal is taken between
/// the two.
#[cfg(exit_attr_tsan)]
pub(crate) fn suspend(mask: &SigSet) {
    // SAFETY: `mask` is a valid signal set; sigsuspend always returns -1
    // (EINTR) once a handler has run.
    unsafe { libc::sigsuspend(&mask.0) };
}

/// Changes the calling thread's signal mask (`how` is `SIG_BLOCK`,
/// `SIG_UNBLOCK` or `SIG_SETMASK`) and returns the previous mask.
/// Async-signal-safe.
pub(crate) fn thread_mask(how: c_int, set: &SigSet) -> SigSet {
    let mut old = MaybeUninit::uninit();
    // SAFETY: both pointers are valid; pthread_sigmask only fails for an
    // invalid `how`, and every caller passes one of the three constants.
    unsafe {
        libc::pthread_sigmask(how, &set.0, old.as_mut_ptr());
        SigSet(old.assume_init())
    }
}

/// The calling thread's signal mask, unchanged.
pub(crate) fn current_thread_mask() -> SigSet {
    thread_mask(libc::SIG_BLOCK, &SigSet::empty())
}

/// A signal action, as `sigaction` reports it: kept to be put back, and
/// read for the handler it names.
#[derive(Clone, Copy)]
pub(crate) struct SavedAction(libc::sigaction);

// SAFETY: a sigaction is plain data: a handler address, a mask and flags.
unsafe impl Send for SavedAction {}

impl SavedAction {
    /// The handler's address, or `SIG_DFL` / `SIG_IGN`.
    pub(crate) fn handler(&self) -> usize {
        self.0.sa_sigaction
    }

    /// The action's `sa_flags`.
    pub(crate) fn flags(&self) -> c_int {
        self.0.sa_flags
    }

    /// Whether the handler takes a `siginfo_t` (`SA_SIGINFO`).
    pub(crate) fn takes_siginfo(&self) -> bool {
        self.0.sa_flags & libc::SA_SIGINFO != 0
    }

    pub(crate) fn is_ignore(&self) -> bool {
        self.0.sa_sigaction == libc::SIG_IGN
    }
}

/// The action currently installed for `signal`. Async-signal-safe.
pub(crate) fn current_action(signal: c_int) -> io::Result<SavedAction> {
    let mut action = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only queries; `action` is valid for writes.
    if unsafe { libc::sigaction(signal, std::ptr::null(), action.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded and filled the struct.
    Ok(SavedAction(unsafe { action.assume_init() }))
}

/// Installs `handler` for `signal`, with `extra_flags` besides
/// `SA_SIGINFO | SA_RESTART`, and returns the action it replaced.
///
/// The handler runs with every signal blocked, so that no other signal
/// interrupts it, and restarts interrupted system calls (`SA_RESTART`).
///
/// No `SA_ONSTACK`: `std::process::exit` frees the main thread's alternate
/// signal stack even when another thread calls it, and a handler that then
/// ran on the main thread would write its frame into unmapped or reused
/// memory. The handler needs only a few hundred bytes of the interrupted
/// thread's own stack.
pub(crate) fn install_handler(
    signal: c_int,
    handler: SigInfoHandler,
    extra_flags: c_int,
) -> io::Result<SavedAction> {
    // SAFETY: a zeroed sigaction is valid; the handler, mask and flags are
    // then filled in.
    let ours = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        libc::sigfillset(&mut action.sa_mask);
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | extra_flags;
        action
    };
    let mut replaced = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: `ours` is a valid action and `replaced` is valid for writes.
    if unsafe { libc::sigaction(signal, &ours, replaced.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded and filled `replaced`.
    Ok(SavedAction(unsafe { replaced.assume_init() }))
}

/// Puts `action` back as the action of `signal`. Async-signal-safe.
pub(crate) fn restore_action(signal: c_int, action: &SavedAction) {
    // SAFETY: `action` is a valid action that sigaction reported. It can only
    // fail for an invalid signal, which `signal` is not: it was read with it.
    unsafe { libc::sigaction(signal, &action.0, std::ptr::null_mut()) };
}

/// Ends the process by `signal`: restores its default action, sends it to
/// the calling thread and unblocks it there. Where the kernel will not let
/// the process die by a signal it sent itself (the first process of a PID
/// namespace, the init of a container), exits at once with 128 + `signal`,
/// the status a shell reports for a death by it. Async-signal-safe.
pub(crate) fn die_by(signal: c_int) -> ! {
    raise_default(signal);
    super::exit_immediately(128 + signal)
}

/// `die_by`'s first step; returns only if the default action did not end
/// the process.
fn raise_default(signal: c_int) {
    // SAFETY: a zeroed sigaction is a valid plain-handler action; with
    // SIG_DFL and an empty mask it is accepted for every catchable signal.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
    raise(signal);
    thread_mask(libc::SIG_UNBLOCK, &SigSet::only(signal));
}

/// Sends `signal` to the calling thread. Async-signal-safe.
///
/// On Linux with the kernel's own ids: musl's `raise` aims at the thread id
/// it cached when the thread started, which in a child made by the raw
/// `clone` system call is its parent's thread, and would end the parent.
/// Under ThreadSanitizer, `raise` itself: its interceptor is what makes
/// ThreadSanitizer deliver a signal a thread sends itself at once.
fn raise(signal: c_int) {
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(exit_attr_tsan)))]
    // SAFETY: tgkill takes plain integers.
    unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            super::getpid(),
            kernel_thread_id(),
            signal,
        );
    }
    #[cfg(not(all(any(target_os = "linux", target_os = "android"), not(exit_attr_tsan))))]
    // SAFETY: raise is async-signal-safe and has no preconditions.
    unsafe {
        libc::raise(signal);
    }
}

/// A `siginfo_t` that may be kept in a static and sent between threads.
#[derive(Clone, Copy)]
pub(crate) struct SigInfo(pub(crate) libc::siginfo_t);

// SAFETY: a siginfo_t is plain data; its pointer fields (si_addr, si_value)
// are only ever handed back to a signal handler, never dereferenced here.
unsafe impl Send for SigInfo {}

impl SigInfo {
    /// A `siginfo_t` for no signal: every field zero.
    pub(crate) fn empty() -> SigInfo {
        // SAFETY: siginfo_t is plain data, valid when zeroed.
        SigInfo(unsafe { MaybeUninit::zeroed().assume_init() })
    }
}

/// The process that sent the signal `info` describes, when the kernel
/// vouches for it; `None` otherwise. Async-signal-safe.
///
/// The kernel fills in the sender of `kill` (`SI_USER`) and, on Linux, of
/// `tgkill` and `tkill` (`SI_TKILL`), and no process can claim those codes
/// for a signal it sends another. A `sigqueue` (`SI_QUEUE`) is not vouched
/// for: on Linux its sender writes the whole `siginfo_t` itself, pid and uid
/// included, and any process of the same user can claim to be PID 1 and
/// uid 0 that way. A signal from the kernel or the terminal has no sender.
pub(crate) fn sender_pid(info: &libc::siginfo_t) -> Option<libc::pid_t> {
    vouched_for(info).then(|| claimed_sender_pid(info))
}

/// The real user id of the process that sent the signal, as [`sender_pid`].
pub(crate) fn sender_uid(info: &libc::siginfo_t) -> Option<libc::uid_t> {
    // SAFETY: si_uid sits beside si_pid, in the union member that every
    // code `vouched_for` accepts fills.
    vouched_for(info).then(|| unsafe { info.si_uid() })
}

/// The pid that `info` names as its sender, whoever filled it in: a hint,
/// for telling this process's own `abort()` from a signal of elsewhere.
/// Async-signal-safe.
pub(crate) fn claimed_sender_pid(info: &libc::siginfo_t) -> libc::pid_t {
    // SAFETY: si_pid is a plain integer in the union member of signals sent
    // by a process; for another kind of signal it reads whatever the kernel
    // put there, which is only ever used as a hint.
    unsafe { info.si_pid() }
}

/// Whether the kernel filled in the sender of `info` (see [`sender_pid`]).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn vouched_for(info: &libc::siginfo_t) -> bool {
    matches!(info.si_code, libc::SI_USER | libc::SI_TKILL)
}

/// Whether the kernel filled in the sender of `info`: `kill`'s `SI_USER`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn vouched_for(info: &libc::siginfo_t) -> bool {
    info.si_code == SI_USER
}

/// `SI_USER`, which the `libc` crate names on Linux only: each system's
/// `<sys/signal.h>` defines it.
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
const SI_USER: c_int = 0x10001;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
)))]
const SI_USER: c_int = 0;

/// The kernel's id of the calling thread (not a C library's cached copy,
/// which a child of the raw `clone` system call shares with its parent).
/// Async-signal-safe.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn kernel_thread_id() -> libc::c_long {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) }
}

/// Sends `signal` to the calling thread, carrying `info` where the platform
/// allows it (Linux), so that a handler called for it sees the original
/// sender.
pub(crate) fn send_to_current_thread(signal: c_int, info: &libc::siginfo_t) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: rt_tgsigqueueinfo reads `info`, a valid siginfo_t; a
        // thread may send itself any siginfo.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_rt_tgsigqueueinfo,
                super::getpid(),
                kernel_thread_id(),
                signal,
                info as *const libc::siginfo_t,
            )
        };
        if sent == 0 {
            return;
        }
    }
    let _ = info;
    // SAFETY: pthread_self is always valid for the calling thread.
    unsafe { libc::pthread_kill(libc::pthread_self(), signal) };
}
