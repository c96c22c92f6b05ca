//! How several copies of exit-attr in one process recognise each other.
//!
//! A `cdylib` plugin or a Python extension module links its own copy of
//! exit-attr, with its own statics, which cargo cannot see. Each copy that
//! hooks a signal installs its own handler and chains the one it replaced,
//! so with two copies A (older) and B (newer), B owns SIGTERM and A's
//! handler is B's older handler. Without this protocol, A, chained by B,
//! would see that it does not own the signal, take B for a newer handler
//! that shuts the program down its own way (as tokio or ctrlc do), and run
//! nothing, and B would end the process: A's cleanup lost.
//!
//! The protocol, version 1, has two parts, both invisible to foreign code:
//!
//! - **A mark on the handler.** Every copy installs its handler with
//!   `SA_NODEFER` as well as a full signal mask. The two together change
//!   nothing (the full mask still blocks the signal in the handler), so no
//!   other program has a reason to install exactly that; a copy reads the
//!   mark with the `sigaction` query it makes anyway.
//! - **A chain record.** When a copy that owns the signal has run its exit
//!   functions and calls its older handler, which it does only on its way
//!   to ending the process, it passes a [`ChainInfo`]: the original
//!   `siginfo_t`, untouched, followed by a magic number, the protocol
//!   version and flags. A foreign older handler reads the `siginfo_t` and
//!   nothing else.
//!
//! A copy whose handler is called while another copy owns the signal looks
//! for both: the owner's mark, then, past the `siginfo_t` it was given, the
//! magic. With both, it runs its own exit functions (its dispatcher does,
//! while the handler waits), then calls its own older handler with the
//! record passed on, and returns to the copy that chained it, which ends
//! the process. So every copy's functions run, newest copy first (reverse
//! order of hooking), and the host's own handler, if it installed one
//! before the first copy, runs once, last. With the mark but not the magic,
//! a foreign handler installed between two copies called us: it owns the
//! signal for us, as any newer handler does, and we do nothing.
//!
//! Nothing is exported or named: a `dlopen` with `RTLD_LOCAL` hides symbols,
//! but not signal actions or the arguments of a call. A copy from before
//! the protocol installs no mark and passes no record: chained by one of
//! this version, it stays passive as it always did; chaining one, its call
//! carries no record, and the newer copy stays passive too.
//!
//! The flags carry what the copies can know of each other's log lines: the
//! built-in default log function is the same function in every copy, so
//! when one copy has printed its line to stderr, the others do not print it
//! again. Log functions of the program's own are distinct per copy (each
//! copy's code is its own), so each copy calls its own.

use std::mem::{self, MaybeUninit};
use std::os::raw::c_int;

use crate::sys::SavedAction;

/// The `sa_flags` that mark a handler as a copy's.
pub(crate) const MARK: c_int = libc::SA_NODEFER;

/// Whether `action` is the handler of a copy of exit-attr.
pub(crate) fn is_marked(action: &SavedAction) -> bool {
    action.flags() & MARK != 0 && action.takes_siginfo()
}

/// Flag: the built-in default log function has printed the line.
pub(crate) const DEFAULT_LINE_LOGGED: u8 = 1;

const MAGIC: [u8; 16] = *b"exit-attr chain\0";
const VERSION: u32 = 1;

/// What a copy passes as the `siginfo_t` when it calls its older handler.
#[repr(C)]
pub(crate) struct ChainInfo {
    info: libc::siginfo_t,
    magic: [u8; 16],
    version: u32,
    flags: u32,
}

impl ChainInfo {
    pub(crate) fn new(info: &libc::siginfo_t, flags: u8) -> ChainInfo {
        ChainInfo {
            info: *info,
            magic: MAGIC,
            version: VERSION,
            flags: u32::from(flags),
        }
    }

    /// The record, as the `siginfo_t` pointer a handler takes.
    pub(crate) fn as_siginfo(&mut self) -> *mut libc::siginfo_t {
        // A pointer to the whole record, not to its `info` field: the
        // handler that receives it reads the tail too, which a pointer
        // derived from `&mut self.info` would not permit.
        std::ptr::from_mut(self).cast::<libc::siginfo_t>()
    }
}

/// The flags of the copy that passed `info`, if a copy of exit-attr (of
/// this protocol version or a later one) did. Async-signal-safe.
///
/// # Safety
///
/// `info` must point to a `siginfo_t` followed by at least
/// `size_of::<ChainInfo>() - size_of::<siginfo_t>()` readable bytes. Which
/// holds for a [`ChainInfo`], and for the `siginfo_t` the kernel writes
/// into a signal frame: what follows it there is the rest of the frame
/// (the saved registers), then the interrupted stack.
pub(crate) unsafe fn chained_by_copy(info: *const libc::siginfo_t) -> Option<u8> {
    let mut tail = MaybeUninit::<[u8; 24]>::uninit();
    // SAFETY: the caller guarantees these bytes are readable; they may be
    // anything, hence a byte copy rather than a typed read.
    let tail = unsafe {
        std::ptr::copy_nonoverlapping(
            info.cast::<u8>().add(mem::size_of::<libc::siginfo_t>()),
            tail.as_mut_ptr().cast::<u8>(),
            mem::size_of::<[u8; 24]>(),
        );
        tail.assume_init()
    };
    let (magic, rest) = tail.split_at(16);
    let version = u32::from_ne_bytes(rest[..4].try_into().ok()?);
    let flags = u32::from_ne_bytes(rest[4..8].try_into().ok()?);
    (magic == MAGIC && version >= VERSION).then_some(flags as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_the_siginfo_then_the_tail_that_is_read() {
        assert_eq!(
            mem::size_of::<ChainInfo>(),
            mem::size_of::<libc::siginfo_t>() + 24
        );
        // SAFETY: a siginfo_t is plain data, valid when zeroed.
        let info: libc::siginfo_t = unsafe { mem::zeroed() };
        let mut record = ChainInfo::new(&info, DEFAULT_LINE_LOGGED);
        // SAFETY: the pointer is to a whole ChainInfo.
        let flags = unsafe { chained_by_copy(record.as_siginfo()) };
        assert_eq!(flags, Some(DEFAULT_LINE_LOGGED));
    }

    #[test]
    fn a_plain_siginfo_is_no_record() {
        // A siginfo_t followed by other bytes, as in a signal frame.
        #[repr(C)]
        struct Frame {
            info: libc::siginfo_t,
            rest: [u8; 64],
        }
        // SAFETY: plain data, valid when zeroed.
        let frame: Frame = unsafe { mem::zeroed() };
        // The pointer is to the whole frame (its first field is the
        // siginfo_t), so that the bytes after the siginfo_t may be read.
        let info = std::ptr::from_ref(&frame).cast::<libc::siginfo_t>();
        // SAFETY: 64 readable bytes follow the siginfo_t.
        assert_eq!(unsafe { chained_by_copy(info) }, None);
    }
}
