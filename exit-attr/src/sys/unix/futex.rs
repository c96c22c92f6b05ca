//! Waiting for an atomic word to change, and waking those who wait: a futex
//! on Linux, a short sleep and a look elsewhere. Both sides are
//! async-signal-safe (`futex(2)`, `nanosleep(2)`).

use std::sync::atomic::{AtomicU32, Ordering};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::time::Duration;

/// Blocks until `word` no longer holds `value`.
pub(crate) fn wait_while_equal(word: &AtomicU32, value: u32) {
    while word.load(Ordering::Acquire) == value {
        wait(word, value);
    }
}

/// Wakes every thread waiting on `word` (after the caller changed it).
pub(crate) fn wake_all(word: &AtomicU32) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: FUTEX_WAKE only reads the address, which is a live atomic.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
    let _ = word;
}

/// Sleeps while `word` holds `value`, at most `timeout` (`None`: no
/// limit). Returns early, at the latest, when a [`wake_all`] follows a
/// change of the word; it may also return spuriously (a signal handler ran
/// on this thread), so the caller checks the word again.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn wait_timeout(word: &AtomicU32, value: u32, timeout: Option<Duration>) {
    let timeout = timeout.map(|timeout| libc::timespec {
        // Saturates: a wait of more than 2^63 seconds is a wait forever.
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        // Below 10^9, which fits the `long` of every target (32 bits on
        // 32-bit ones).
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    });
    let timeout = timeout
        .as_ref()
        .map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: FUTEX_WAIT sleeps only while the live atomic at this address
    // still holds `value`; the timeout, if any, is a valid relative timespec
    // that outlives the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            value,
            timeout,
        );
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn wait(word: &AtomicU32, value: u32) {
    wait_timeout(word, value, None);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn wait(_: &AtomicU32, _: u32) {
    let pause = libc::timespec {
        tv_sec: 0,
        tv_nsec: 100_000,
    };
    // SAFETY: nanosleep reads a valid timespec; the remainder is not wanted.
    unsafe { libc::nanosleep(&pause, std::ptr::null_mut()) };
}
