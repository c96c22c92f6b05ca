//! A doorbell: how one thread wakes another that sleeps until something
//! changes, from any context, a signal handler included.
//!
//! A doorbell carries no data. What changed lives in memory both threads
//! share (the wake-up channel's slots, a flag), and the waiter looks there
//! after every wake-up; the bell only cuts the sleep short. The waiter's
//! loop is always the same:
//!
//! ```text
//! loop {
//!     let ticket = bell.ticket();   // before looking: a ring after this wakes the wait
//!     if <what it waits for has happened> { break }
//!     bell.wait(ticket, timeout);   // may return early, or spuriously
//! }
//! ```
//!
//! The program owns the process, and may close every descriptor from 3 up,
//! reopen files that get the same numbers, or `dup2` over them at any
//! moment. So the bell uses no descriptor wherever the system has an
//! async-signal-safe wake-up without one: a futex on Linux, an unnamed
//! semaphore (`sem_post`) on FreeBSD, NetBSD and illumos. macOS has
//! neither, and rings through a pipe whose identity is checked before every
//! use, made anew when it is gone, and backed by a periodic look.
//!
//! The build script picks the bell (`cfg(exit_attr_wake = ...)`); exit-attr's
//! own CI also runs the semaphore and pipe bells on Linux, to run the code
//! that the systems where they are the default never run in CI.

#[cfg(exit_attr_wake = "futex")]
mod futex;
#[cfg(exit_attr_wake = "pipe")]
mod pipe;
#[cfg(exit_attr_wake = "semaphore")]
mod semaphore;

#[cfg(exit_attr_wake = "futex")]
pub(crate) use futex::Doorbell;
#[cfg(exit_attr_wake = "pipe")]
pub(crate) use pipe::Doorbell;
#[cfg(exit_attr_wake = "semaphore")]
pub(crate) use semaphore::Doorbell;

/// Whether the bell needs descriptors, so that a process out of them
/// cannot start a dispatcher: for the tests, through `__private`.
pub(crate) const USES_DESCRIPTORS: bool = cfg!(exit_attr_wake = "pipe");
