//! Waiting for an atomic word to change, and waking those who wait: a futex
//! on Linux, a short sleep and a look elsewhere. Both sides are
//! async-signal-safe (`futex(2)`, `nanosleep(2)`).

use std::sync::atomic::{AtomicU32, Ordering};

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

#[cfg(any(target_os = "linux", target_os = "android"))]
fn wait(word: &AtomicU32, value: u32) {
    // SAFETY: FUTEX_WAIT sleeps only while the live atomic at this address
    // still holds `value`; a spurious or interrupted return is re-checked
    // by the caller. No timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            value,
            std::ptr::null::<libc::timespec>(),
        );
    }
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
