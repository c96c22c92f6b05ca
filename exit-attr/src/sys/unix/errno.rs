//! `errno`: kept intact across a signal handler, and used as a thread
//! identity.

use std::os::raw::c_int;

/// The address of the calling thread's `errno`.
fn errno_location() -> *mut c_int {
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    use libc::___errno as location;
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
    // SAFETY: each of these returns the calling thread's errno address; they
    // read the thread pointer and have no preconditions.
    unsafe { location() }
}

/// An identity of the calling thread that is cheap, async-signal-safe, and
/// survives `fork` for the forking thread: the address of its `errno`, which
/// is thread-local by the C standard. Rust's standard library uses the same
/// trick for the same reasons.
pub(crate) fn thread_id() -> usize {
    errno_location() as usize
}

/// Saves `errno` and restores it when dropped, so that a signal handler
/// never changes the `errno` that the code it interrupted is about to read.
pub(crate) struct ErrnoGuard(c_int);

impl ErrnoGuard {
    pub(crate) fn save() -> ErrnoGuard {
        // SAFETY: errno_location returns a valid pointer to this thread's
        // errno, which lives as long as the thread.
        ErrnoGuard(unsafe { *errno_location() })
    }
}

impl Drop for ErrnoGuard {
    fn drop(&mut self) {
        // SAFETY: as in save.
        unsafe { *errno_location() = self.0 };
    }
}
