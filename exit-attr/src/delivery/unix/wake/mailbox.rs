//! The requests waiting for the dispatcher: a few slots in static memory,
//! filled by the signal handler and the `atexit` bridge, emptied by the
//! dispatcher thread, its one reader.
//!
//! A pipe would serve too, but a pipe is a pair of descriptors, and the
//! program may close or replace every descriptor it has; memory of the
//! process it cannot take away. Each slot goes `FREE` → `WRITING` (claimed
//! by one writer, with a compare-and-swap) → `FULL` (the request is in it)
//! → `FREE` (the reader took it). A writer never waits for anything, so a
//! handler that interrupts a writer on the same thread (the bridge,
//! between its claim and its `FULL`) just fills another slot; the reader
//! takes `FULL` slots in the order their writers claimed them, skipping
//! those still being written.
//!
//! When every slot is taken, a request is dropped, as a full pipe drops a
//! write: requests are waiting already, and the first exit is all that
//! counts. The one request that must not be dropped, a normal exit's,
//! falls back to running the exit functions itself.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU32, Ordering};

/// One request, as a writer leaves it in a slot.
#[derive(Clone, Copy)]
pub(crate) struct Request {
    pub(crate) kind: Kind,
    /// For [`Kind::Chained`]: the flags of the copy that chained us (see
    /// `copies.rs`).
    pub(crate) flags: u8,
    pub(crate) info: libc::siginfo_t,
}

/// What a [`Request`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Signal,
    NormalExit,
    Chained,
}

/// How many requests may wait at once: more than an exit ever needs (one
/// signal, one normal exit, a chain from another copy), and room for a
/// burst of signals besides.
const SLOTS: usize = 8;

const FREE: u32 = 0;
const WRITING: u32 = 1;
const FULL: u32 = 2;

struct Slot {
    state: AtomicU32,
    /// The order in which writers claimed their slots (wrapping).
    ticket: AtomicU32,
    request: UnsafeCell<MaybeUninit<Request>>,
}

struct Slots([Slot; SLOTS]);

// SAFETY: a slot's request is written only by the writer that moved the
// slot from FREE to WRITING, and read only by the one reader once the
// writer moved it to FULL (Release, read with Acquire); the reader hands it
// back with FREE (Release) after copying the request out. So no request is
// ever read and written at once.
unsafe impl Sync for Slots {}

static MAILBOX: Slots = Slots(
    [const {
        Slot {
            state: AtomicU32::new(FREE),
            ticket: AtomicU32::new(0),
            request: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }; SLOTS],
);

static NEXT_TICKET: AtomicU32 = AtomicU32::new(0);

/// Leaves `request` for the reader. Returns false, having left nothing,
/// when every slot is taken. Async-signal-safe: atomics and a copy.
pub(crate) fn post(request: Request) -> bool {
    for slot in &MAILBOX.0 {
        if slot
            .state
            .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        slot.ticket.store(
            NEXT_TICKET.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        // SAFETY: this writer moved the slot to WRITING, so nobody else
        // reads or writes the request until it is FULL (see `Slots`).
        unsafe { (*slot.request.get()).write(request) };
        slot.state.store(FULL, Ordering::Release);
        return true;
    }
    false
}

/// The oldest waiting request, taken out. Only the reader calls it.
pub(crate) fn take() -> Option<Request> {
    let oldest = oldest_full()?;
    // SAFETY: the slot is FULL, so its writer has finished writing the
    // request, and it stays FULL until this reader frees it below.
    let request = unsafe { (*oldest.request.get()).assume_init() };
    oldest.state.store(FREE, Ordering::Release);
    Some(request)
}

/// Whether a request is waiting. Only the reader calls it.
pub(crate) fn has_waiting() -> bool {
    oldest_full().is_some()
}

fn oldest_full() -> Option<&'static Slot> {
    MAILBOX
        .0
        .iter()
        .filter(|slot| slot.state.load(Ordering::Acquire) == FULL)
        // Tickets wrap; the few alive at once are close together, so the
        // difference to any one of them orders them.
        .min_by_key(|slot| {
            slot.ticket
                .load(Ordering::Relaxed)
                .wrapping_sub(NEXT_TICKET.load(Ordering::Relaxed))
        })
}

/// In a forked child, whose only thread runs this: requests of the
/// parent's, or slots a parent thread was writing when it forked, are not
/// the child's.
pub(crate) fn clear_after_fork() {
    for slot in &MAILBOX.0 {
        slot.state.store(FREE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: Kind, flags: u8) -> Request {
        Request {
            kind,
            flags,
            // SAFETY: a siginfo_t is plain data, valid when zeroed.
            info: unsafe { std::mem::zeroed() },
        }
    }

    /// The one test of the process-wide slots in this binary: no other
    /// test posts or takes.
    #[test]
    fn requests_come_out_in_the_order_they_went_in_and_a_full_mailbox_drops() {
        assert!(take().is_none());
        for round in 0..3_u8 {
            for i in 0..SLOTS as u8 {
                assert!(post(request(Kind::Signal, round * 10 + i)));
            }
            assert!(!post(request(Kind::NormalExit, 99)), "no slot is left");
            assert!(has_waiting());
            for i in 0..SLOTS as u8 {
                let taken = take().expect("a waiting request");
                assert_eq!((taken.kind, taken.flags), (Kind::Signal, round * 10 + i));
            }
            assert!(take().is_none() && !has_waiting());
        }
        // Freed out of order, slots are reused, and order still holds.
        assert!(post(request(Kind::Signal, 1)));
        assert!(post(request(Kind::Chained, 2)));
        assert_eq!(take().map(|r| r.flags), Some(1));
        assert!(post(request(Kind::NormalExit, 3)));
        assert_eq!(take().map(|r| (r.kind, r.flags)), Some((Kind::Chained, 2)));
        assert_eq!(
            take().map(|r| (r.kind, r.flags)),
            Some((Kind::NormalExit, 3))
        );
        clear_after_fork();
    }
}
