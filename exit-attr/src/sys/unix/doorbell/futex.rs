//! The doorbell of Linux: a futex, a word of memory that the kernel lets a
//! thread sleep on. Ringing is an atomic increment and `futex(FUTEX_WAKE)`,
//! both async-signal-safe; nothing is opened, so there is nothing the
//! program could close.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::sys::unix::futex;

/// See the [module documentation](super).
pub(crate) struct Doorbell {
    /// How many times the bell rang (wrapping): a waiter sleeps while it
    /// still holds the count it saw before it looked.
    rings: AtomicU32,
}

/// The ring count a waiter saw before it looked.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(u32);

impl Doorbell {
    pub(crate) const fn new() -> Doorbell {
        Doorbell {
            rings: AtomicU32::new(0),
        }
    }

    /// Makes the bell ready to ring: a futex needs nothing.
    pub(crate) fn open(&self) -> io::Result<()> {
        Ok(())
    }

    /// In a forked child: the word is the child's own copy.
    pub(crate) fn reopen_after_fork(&self) -> io::Result<()> {
        Ok(())
    }

    /// Taken before the waiter looks: a ring after it ends the next wait.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.rings.load(Ordering::Acquire))
    }

    /// Wakes the waiter. Async-signal-safe: an atomic and one system call.
    pub(crate) fn ring(&self) {
        self.rings.fetch_add(1, Ordering::Release);
        futex::wake_all(&self.rings);
    }

    /// Sleeps until the bell rings after `ticket` was taken, or `timeout`
    /// has passed; may return early.
    pub(crate) fn wait(&self, ticket: Ticket, timeout: Option<Duration>) {
        futex::wait_timeout(&self.rings, ticket.0, timeout);
    }
}
