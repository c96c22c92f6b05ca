//! Why the process is ending, as the exit that won recorded it: packed into
//! one word, so that readers on any thread see all of it or none of it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::signal::Signal;

/// How the process is ending, as the exit that won recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `exit()`, with its status where the C library tells it.
    Exit { code: Option<i32> },
    /// A hooked signal, with its sender where the kernel tells it.
    Signal {
        signal: Signal,
        sender_pid: Option<i32>,
        sender_uid: Option<u32>,
    },
}

/// The [`Reason`], packed into one word so that readers on any thread see
/// all of it or none of it: 0 before an exit won; else the kind in bits
/// 0-1, which optional fields are present in bits 2-4, the code or signal
/// in bits 8-39, and the sender's pid in bits 40-63 (Linux pids fit in 22
/// bits). The sender's uid is [`REASON_UID`], written before the word.
static REASON: AtomicU64 = AtomicU64::new(0);
static REASON_UID: AtomicU64 = AtomicU64::new(0);

const KIND_EXIT: u64 = 1;
const KIND_SIGNAL: u64 = 2;
const HAS_CODE: u64 = 1 << 2;
const HAS_PID: u64 = 1 << 3;
const HAS_UID: u64 = 1 << 4;

/// Records why the process is ending. Called by the exit that won, before
/// any exit function runs.
pub(crate) fn set_reason(reason: Reason) {
    let (word, uid) = pack(reason);
    REASON_UID.store(uid, Ordering::Relaxed);
    REASON.store(word, Ordering::Release);
}

/// Why the process is ending, once an exit has won.
pub(crate) fn reason() -> Option<Reason> {
    let word = REASON.load(Ordering::Acquire);
    unpack(word, || REASON_UID.load(Ordering::Relaxed))
}

/// `reason` as the word [`REASON`] holds, and the uid for [`REASON_UID`].
/// A sender pid that does not fit the word's 24 bits is left out.
fn pack(reason: Reason) -> (u64, u64) {
    match reason {
        Reason::Exit { code } => {
            let word = KIND_EXIT | code.map_or(0, |code| HAS_CODE | u64::from(code as u32) << 8);
            (word, 0)
        }
        Reason::Signal {
            signal,
            sender_pid,
            sender_uid,
        } => {
            let pid = sender_pid
                .and_then(|pid| u64::try_from(pid).ok())
                .filter(|&pid| pid < 1 << 24);
            let word = KIND_SIGNAL
                | u64::from(signal.as_raw() as u32) << 8
                | pid.map_or(0, |pid| HAS_PID | pid << 40)
                | sender_uid.map_or(0, |_| HAS_UID);
            (word, u64::from(sender_uid.unwrap_or(0)))
        }
    }
}

/// The [`Reason`] that `word` holds, reading the uid only if it has one.
fn unpack(word: u64, uid: impl FnOnce() -> u64) -> Option<Reason> {
    let value = (word >> 8) as u32 as i32;
    match word & 3 {
        KIND_EXIT => Some(Reason::Exit {
            code: (word & HAS_CODE != 0).then_some(value),
        }),
        KIND_SIGNAL => Some(Reason::Signal {
            signal: Signal::try_from(value).ok()?,
            sender_pid: (word & HAS_PID != 0).then_some((word >> 40) as i32),
            sender_uid: (word & HAS_UID != 0).then(|| uid() as u32),
        }),
        _ => None,
    }
}

/// In a forked child whose run went back to idle: no reason any more.
#[cfg(unix)]
pub(crate) fn forget() {
    REASON.store(0, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(reason: Reason) -> Option<Reason> {
        let (word, uid) = pack(reason);
        unpack(word, || uid)
    }

    fn from(signal: Signal, sender_pid: Option<i32>, sender_uid: Option<u32>) -> Reason {
        Reason::Signal {
            signal,
            sender_pid,
            sender_uid,
        }
    }

    #[test]
    fn nothing_recorded_is_no_reason() {
        assert_eq!(unpack(0, || unreachable!("no uid to read")), None);
    }

    #[test]
    fn an_exit_keeps_its_code_whatever_its_bits() {
        for code in [
            None,
            Some(0),
            Some(3),
            Some(-1),
            Some(i32::MIN),
            Some(i32::MAX),
        ] {
            let reason = Reason::Exit { code };
            assert_eq!(round_trip(reason), Some(reason));
        }
    }

    #[test]
    fn a_signal_keeps_its_sender() {
        for (pid, uid) in [
            (None, None),
            (Some(1), Some(0)),
            (Some(4_194_304), Some(u32::MAX)),
            (Some((1 << 24) - 1), None),
        ] {
            let reason = from(Signal::SIGTERM, pid, uid);
            assert_eq!(round_trip(reason), Some(reason));
        }
    }

    #[test]
    fn a_sender_pid_that_does_not_fit_is_left_out() {
        for pid in [1 << 24, i32::MAX, -1] {
            assert_eq!(
                round_trip(from(Signal::SIGINT, Some(pid), Some(7))),
                Some(from(Signal::SIGINT, None, Some(7)))
            );
        }
    }
}
