//! Thin, safe wrappers over the few libc calls the rest of the crate needs.
//!
//! Everything here that the signal handler calls is async-signal-safe:
//! `errno` access, `sigaction`, `sigprocmask`-style calls, `getpid`, `write`.

use std::io;
use std::mem::MaybeUninit;
use std::os::raw::c_int;

/// The address of the calling thread's `errno`.
///
/// # Safety
///
/// Always safe to call; unsafe only because it is a foreign function.
unsafe fn errno_location() -> *mut c_int {
    #[cfg(any(target_os = "android", target_os = "openbsd", target_os = "netbsd"))]
    use libc::__errno as location;
    #[cfg(target_os = "linux")]
    use libc::__errno_location as location;
    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    use libc::__error as location;
    // SAFETY: the function reads the thread pointer; it has no preconditions.
    unsafe { location() }
}

/// An identity of the calling thread that is cheap, async-signal-safe, and
/// survives `fork` for the forking thread: the address of its `errno`, which
/// is thread-local by the C standard. Rust's standard library uses the same
/// trick for the same reasons.
pub(crate) fn thread_id() -> usize {
    // SAFETY: errno_location has no preconditions.
    unsafe { errno_location() as usize }
}

/// Saves `errno` and restores it when dropped, so that a signal handler
/// never changes the `errno` that the code it interrupted is about to read.
pub(crate) struct ErrnoGuard(c_int);

impl ErrnoGuard {
    pub(crate) fn save() -> ErrnoGuard {
        // SAFETY: errno_location returns a valid pointer to this thread's errno.
        ErrnoGuard(unsafe { *errno_location() })
    }
}

impl Drop for ErrnoGuard {
    fn drop(&mut self) {
        // SAFETY: as in save.
        unsafe { *errno_location() = self.0 };
    }
}

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

    pub(crate) fn as_ptr(&self) -> *const libc::sigset_t {
        &self.0
    }
}

/// Changes the calling thread's signal mask (`how` is `SIG_BLOCK`,
/// `SIG_UNBLOCK` or `SIG_SETMASK`) and returns the previous mask.
pub(crate) fn thread_mask(how: c_int, set: &SigSet) -> SigSet {
    let mut old = MaybeUninit::uninit();
    // SAFETY: both pointers are valid; pthread_sigmask only fails for an
    // invalid `how`, and every caller passes a constant that is valid.
    unsafe {
        libc::pthread_sigmask(how, set.as_ptr(), old.as_mut_ptr());
        SigSet(old.assume_init())
    }
}

/// The action currently installed for `signal`.
pub(crate) fn current_action(signal: c_int) -> io::Result<libc::sigaction> {
    let mut action = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only queries; `action` is valid for writes.
    if unsafe { libc::sigaction(signal, std::ptr::null(), action.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded and filled the struct.
    Ok(unsafe { action.assume_init() })
}

/// Restores the default action of `signal`. Async-signal-safe.
pub(crate) fn set_default_action(signal: c_int) {
    // SAFETY: a zeroed sigaction is a valid plain-handler action; setting its
    // handler to SIG_DFL with an empty mask is always accepted for a
    // catchable signal.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
}

/// Writes `message` to standard error with `write(2)`. Async-signal-safe;
/// errors are ignored because there is nowhere else to report them.
pub(crate) fn write_stderr(message: &[u8]) {
    // SAFETY: the pointer and length describe a valid slice.
    unsafe { libc::write(libc::STDERR_FILENO, message.as_ptr().cast(), message.len()) };
}

/// Sends `signal` to the calling thread, carrying `info` where the platform
/// allows it so that a chained handler sees the original sender.
pub(crate) fn send_to_current_thread(signal: c_int, info: &libc::siginfo_t) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: getpid and gettid cannot fail. rt_tgsigqueueinfo reads
        // `info`, a valid siginfo_t; a thread may send itself any siginfo.
        let sent = unsafe {
            let tid = libc::syscall(libc::SYS_gettid);
            libc::syscall(
                libc::SYS_rt_tgsigqueueinfo,
                libc::getpid(),
                tid,
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
