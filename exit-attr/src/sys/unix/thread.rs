//! Raw threads: a `pthread` can be started where `std::thread::spawn`
//! cannot, such as a `pthread_atfork` child handler, where the standard
//! library's spawn (which allocates and may take its own locks) is not safe
//! to call.
//!
//! Every thread of exit-attr's gets an explicit stack, the size a
//! `std::thread` gets (see [`stack_size`]): the C library's default is
//! musl's 128 KiB, or glibc's `RLIMIT_STACK`, which may be smaller still, and
//! exit functions run on these threads.

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let attributes = Attributes::with_stack(stack_size())?;
    let previous = thread_mask(libc::SIG_SETMASK, &SigSet::full());
    let mut thread = MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: the attributes are initialised; `entry` has the signature
    // pthread_create expects, and what `argument` points to is the
    // caller's contract with `entry`. The new thread inherits the full mask
    // set just above.
    let status =
        unsafe { libc::pthread_create(thread.as_mut_ptr(), &attributes.0, entry, argument) };
    thread_mask(libc::SIG_SETMASK, &previous);
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status));
    }
    // SAFETY: pthread_create succeeded and initialised `thread`.
    Ok(Joinable(unsafe { thread.assume_init() }))
}

/// Thread attributes, destroyed when dropped.
struct Attributes(libc::pthread_attr_t);

impl Attributes {
    /// Default attributes but the stack, of `size` bytes.
    fn with_stack(size: usize) -> io::Result<Attributes> {
        let mut attributes = MaybeUninit::<libc::pthread_attr_t>::uninit();
        // SAFETY: pthread_attr_init initialises the attributes it is given.
        let status = unsafe { libc::pthread_attr_init(attributes.as_mut_ptr()) };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status));
        }
        // SAFETY: initialised just above.
        let mut attributes = Attributes(unsafe { attributes.assume_init() });
        // A size the system refuses (EINVAL: an absurd RUST_MIN_STACK) falls
        // back to a `std::thread`'s default.
        for size in [size, round_to_pages(STD_STACK)] {
            // SAFETY: initialised attributes; a refused size leaves them as
            // they were.
            let status = unsafe { libc::pthread_attr_setstacksize(&mut attributes.0, size) };
            if status == 0 {
                return Ok(attributes);
            }
        }
        Err(io::Error::from_raw_os_error(libc::EINVAL))
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialised in `with_stack`, destroyed once.
        unsafe { libc::pthread_attr_destroy(&mut self.0) };
    }
}

/// The stack size of `std::thread`'s threads when none is asked for.
const STD_STACK: usize = 2 * 1024 * 1024;

/// The stack of exit-attr's threads: as large as a `std::thread`'s (2 MiB),
/// or larger if `RUST_MIN_STACK` asks for more, whatever the C library's
/// default; rounded up to whole pages. Read from the environment once (the
/// first registration starts the first thread), and remembered for a
/// forked child, which must not read the environment in a fork handler.
pub(crate) fn stack_size() -> usize {
    static SIZE: AtomicUsize = AtomicUsize::new(0);
    match SIZE.load(Ordering::Acquire) {
        0 => {
            let size = round_to_pages(requested_stack().max(STD_STACK));
            SIZE.store(size, Ordering::Release);
            size
        }
        size => size,
    }
}

/// What `RUST_MIN_STACK` asks for, as the standard library reads it: a
/// number of bytes; 0 when it is not set or not a number.
fn requested_stack() -> usize {
    std::env::var_os("RUST_MIN_STACK")
        .and_then(|value| value.to_str()?.trim().parse().ok())
        .unwrap_or(0)
}

/// `size`, rounded up to a multiple of the page size. (Never below the
/// smallest stack a system accepts: that is far less than 2 MiB.)
fn round_to_pages(size: usize) -> usize {
    size.checked_next_multiple_of(page_size()).unwrap_or(size)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page)
        .ok()
        .filter(|&page| page > 0)
        .unwrap_or(4096)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_whole_pages() {
        let page = page_size();
        assert_eq!(round_to_pages(STD_STACK), STD_STACK);
        assert_eq!(round_to_pages(STD_STACK + 1), STD_STACK + page);
        assert_eq!(round_to_pages(usize::MAX), usize::MAX);
    }
}
