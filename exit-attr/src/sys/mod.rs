//! The operating system, behind small safe wrappers: the rest of the crate
//! reads as policy (which signal to hook, when to run, when to end the
//! process).
//!
//! One module per platform family, chosen here and nowhere else. Both give
//! the shared code the same few names: a lock for static data ([`Lock`],
//! fork-safe on Unix), the calling thread's identity ([`thread_id`]), and
//! the signal mask that exit functions run with ([`use_program_mask`]; on
//! Windows, which has no signal masks, nothing). What only one family has,
//! its delivery of signals or console events (`crate::delivery`) uses.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;
