//! Running code when the process calls `exit`.

use std::io;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use std::os::raw::{c_int, c_void};

/// What `exit` calls: with the exit status where the C library passes it
/// (glibc's `on_exit`), with nothing elsewhere (`atexit`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) type ExitHandler = extern "C" fn(c_int, *mut c_void);
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) type ExitHandler = extern "C" fn();

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc's `on_exit(3)`: as `atexit`, with the status given to `exit`.
    fn on_exit(function: extern "C" fn(c_int, *mut c_void), argument: *mut c_void) -> c_int;
}

/// Registers `handler` to run when the process calls `exit`, after the
/// handlers registered later and before those registered earlier.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn on_exit_handler(handler: ExitHandler) -> io::Result<()> {
    // SAFETY: `handler` has the signature on_exit expects; the argument is
    // unused.
    match unsafe { on_exit(handler, std::ptr::null_mut()) } {
        0 => Ok(()),
        _ => Err(io::Error::other("on_exit refused the handler")),
    }
}

/// Registers `handler` to run when the process calls `exit`, after the
/// handlers registered later and before those registered earlier.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn on_exit_handler(handler: ExitHandler) -> io::Result<()> {
    // SAFETY: `handler` is an `extern "C" fn()`, as atexit expects.
    match unsafe { libc::atexit(handler) } {
        0 => Ok(()),
        _ => Err(io::Error::other("atexit refused the handler")),
    }
}
