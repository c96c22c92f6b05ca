//! Raw threads: a `pthread` can be started where `std::thread::spawn`
//! cannot, such as a `pthread_atfork` child handler, where the standard
//! library's spawn (which allocates and may take its own locks) is not safe
//! to call.

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::raw::c_void;

use super::signals::{SigSet, thread_mask};

/// A thread's entry point: takes and returns an opaque pointer.
pub(crate) type Entry = extern "C" fn(*mut c_void) -> *mut c_void;

/// Starts a detached thread that runs `entry(argument)` with every signal
/// blocked from its first instruction, so that signals are delivered to the
/// program's own threads, never to this one.
pub(crate) fn spawn_with_signals_blocked(entry: Entry, argument: *mut c_void) -> io::Result<()> {
    let thread = spawn_joinable(entry, argument)?;
    // SAFETY: the thread was just created and nobody joins it: detaching it
    // frees its resources when it ends.
    unsafe { libc::pthread_detach(thread.0) };
    Ok(())
}

/// A thread started by [`spawn_joinable`], to be joined or left running.
pub(crate) struct Joinable(libc::pthread_t);

impl Joinable {
    /// Waits until the thread has ended.
    pub(crate) fn join(self) {
        // SAFETY: the thread is joinable and joined once: `self` is consumed.
        unsafe { libc::pthread_join(self.0, std::ptr::null_mut()) };
    }
}

/// As [`spawn_with_signals_blocked`], but the thread can be joined. A
/// handle dropped without joining leaves the thread running.
pub(crate) fn spawn_joinable(entry: Entry, argument: *mut c_void) -> io::Result<Joinable> {
    let previous = thread_mask(libc::SIG_SETMASK, &SigSet::full());
    let mut thread = MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: default attributes; `entry` has the signature pthread_create
    // expects, and what `argument` points to is the caller's contract with
    // `entry`. The new thread inherits the full mask set just above.
    let status =
        unsafe { libc::pthread_create(thread.as_mut_ptr(), std::ptr::null(), entry, argument) };
    thread_mask(libc::SIG_SETMASK, &previous);
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status));
    }
    // SAFETY: pthread_create succeeded and initialised `thread`.
    Ok(Joinable(unsafe { thread.assume_init() }))
}

/// Names the calling thread, as `ps -T` and debuggers show it, where the
/// platform allows a thread to name itself this way (Linux).
pub(crate) fn name_current_thread(name: &CStr) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: PR_SET_NAME names the calling thread from a C string; a longer
    // name is truncated.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, name.as_ptr());
    }
    let _ = name;
}
