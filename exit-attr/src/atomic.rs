//! The atomics that the exit state machine (`state/machine.rs`) is written against.
//!
//! Here they are the standard library's. The loom model check at the
//! workspace root (`tests/loom_state.rs`) compiles `state/machine.rs` against a
//! module of the same shape that re-exports loom's, so that it explores every
//! interleaving of the real code.

pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Called between polls of a waiting loop.
pub(crate) fn backoff() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}
