//! The wake-up channel: how the signal handler and the `atexit` bridge hand
//! work to the dispatcher thread, and how the dispatcher says it is done.
//!
//! A request is left in a slot of static memory (`mailbox.rs`), and a
//! doorbell (`sys::Doorbell`: a futex on Linux) wakes the dispatcher; a
//! normal exit's reply is a flag and a second doorbell. Neither needs a
//! file descriptor on Linux, so a program that closes every descriptor,
//! or reuses their numbers, cannot break the exit path or have its files
//! read as requests. Both sides are async-signal-safe. When another copy of
//! exit-attr chains to our handler (see `copies.rs`), the handler waits on
//! a word of its own for the dispatcher's reply, so that the two waits
//! never take each other's.
//!
//! A forked child inherits the parent's memory but not its dispatcher. The
//! channel therefore records which process owns it, and a child's signals
//! are never left for a dispatcher that is not there.

mod mailbox;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use self::mailbox::{Kind, Request};
use crate::sys::{self, Doorbell, SigInfo};

/// Rung when a request is left for the dispatcher.
static REQUESTS: Doorbell = Doorbell::new();
/// Rung when the dispatcher has run a normal exit's functions.
static REPLIES: Doorbell = Doorbell::new();
/// Set by the dispatcher when it has run a normal exit's functions.
static NORMAL_EXIT_DONE: AtomicBool = AtomicBool::new(false);
/// The dispatcher's reply to a chained signal: [`CHAIN_PENDING`] until it
/// replies, then [`CHAIN_REPLIED`] with the copies' flags in the low bits.
static CHAIN_REPLY: AtomicU32 = AtomicU32::new(CHAIN_PENDING);
/// The process whose dispatcher reads the channel (0 when there is none).
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

const CHAIN_PENDING: u32 = 0;
const CHAIN_REPLIED: u32 = 0x100;

/// What the dispatcher is asked to do.
pub(crate) enum Message {
    /// A hooked signal arrived, with what the kernel said about it.
    Signal(SigInfo),
    /// The process is exiting normally: run the exit functions, then call
    /// [`normal_exit_done`].
    NormalExit,
    /// Another copy of exit-attr, ending the process by a signal, chained
    /// to our handler, which waits: run the exit functions, then call
    /// [`chain_done`].
    Chained { info: SigInfo, flags: u8 },
}

/// Makes the channel ready (on Linux there is nothing to make). Nothing is
/// sent through it until [`go_live`] says a dispatcher reads it.
pub(crate) fn open() -> io::Result<()> {
    REQUESTS.open()?;
    REPLIES.open()
}

/// In a forked child, before its own dispatcher starts: the requests and
/// the doorbells that were the parent's are forgotten.
pub(crate) fn reopen_after_fork() -> io::Result<()> {
    OWNER_PID.store(0, Ordering::Release);
    NORMAL_EXIT_DONE.store(false, Ordering::Release);
    mailbox::clear_after_fork();
    REQUESTS.reopen_after_fork()?;
    REPLIES.reopen_after_fork()
}

/// Records that a dispatcher of this process reads the channel.
pub(crate) fn go_live() {
    OWNER_PID.store(sys::getpid(), Ordering::Release);
}

/// Whether a dispatcher of this process reads the channel.
/// Async-signal-safe.
pub(crate) fn is_live() -> bool {
    OWNER_PID.load(Ordering::Acquire) == sys::getpid()
}

/// Whether a dispatcher was started, in this process or, for a forked child
/// that ran no fork handler, its parent. No system call.
pub(crate) fn is_started() -> bool {
    OWNER_PID.load(Ordering::Acquire) != 0
}

/// Whether a dispatcher of another process read the channel: this process
/// is a forked child, and the channel was its parent's.
pub(crate) fn is_inherited() -> bool {
    let owner = OWNER_PID.load(Ordering::Acquire);
    owner != 0 && owner != sys::getpid()
}

/// Hands a signal to the dispatcher. Returns false when this process has no
/// dispatcher. Async-signal-safe: atomics, `getpid` and a doorbell.
pub(crate) fn notify_signal(info: &libc::siginfo_t) -> bool {
    if !is_live() {
        return false;
    }
    // A full mailbox is fine: requests are waiting, and one exit is all it
    // takes.
    send(Kind::Signal, 0, info);
    true
}

/// Asks the dispatcher to run the exit functions of a normal exit. Returns
/// false, having sent nothing, if this process has no dispatcher or no
/// slot was free.
pub(crate) fn request_normal_exit() -> bool {
    NORMAL_EXIT_DONE.store(false, Ordering::Release);
    is_live() && send(Kind::NormalExit, 0, &SigInfo::empty().0)
}

/// Asks the dispatcher to run the exit functions for a signal that another
/// copy of exit-attr chained to us. Returns false if this process has no
/// dispatcher or no slot was free. Async-signal-safe.
pub(crate) fn request_chained(info: &libc::siginfo_t, flags: u8) -> bool {
    CHAIN_REPLY.store(CHAIN_PENDING, Ordering::Release);
    is_live() && send(Kind::Chained, flags, info)
}

fn send(kind: Kind, flags: u8, info: &libc::siginfo_t) -> bool {
    let posted = mailbox::post(Request {
        kind,
        flags,
        info: *info,
    });
    if posted {
        REQUESTS.ring();
    }
    posted
}

/// How waiting for the dispatcher ended.
pub(crate) enum Waited {
    Done,
    /// The deadline passed first.
    TimedOut,
}

/// Waits until the dispatcher says it has run the normal exit's functions,
/// or until `deadline`.
pub(crate) fn wait_for_normal_exit(deadline: Option<Instant>) -> Waited {
    loop {
        let ticket = REPLIES.ticket();
        if NORMAL_EXIT_DONE.load(Ordering::Acquire) {
            return Waited::Done;
        }
        let left = match deadline {
            None => None,
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Waited::TimedOut,
            },
        };
        REPLIES.wait(ticket, left);
    }
}

/// Waits until the dispatcher has run the exit functions for a chained
/// signal, and returns the copies' flags it replied with.
/// Async-signal-safe.
pub(crate) fn wait_for_chain_reply() -> u8 {
    sys::wait_while_equal(&CHAIN_REPLY, CHAIN_PENDING);
    CHAIN_REPLY.load(Ordering::Acquire) as u8
}

/// The dispatcher's side: waits for the next message.
pub(crate) fn receive() -> Message {
    loop {
        let ticket = REQUESTS.ticket();
        if let Some(message) = receive_waiting() {
            return message;
        }
        REQUESTS.wait(ticket, None);
    }
}

/// The dispatcher's side: waits until a request is waiting, at most
/// `timeout`. Returns whether one is.
pub(crate) fn wait_for_request(timeout: Duration) -> bool {
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let ticket = REQUESTS.ticket();
        if mailbox::has_waiting() {
            return true;
        }
        let left = deadline.and_then(|deadline| deadline.checked_duration_since(Instant::now()));
        match left {
            Some(left) if !left.is_zero() => REQUESTS.wait(ticket, Some(left)),
            _ => return false,
        }
    }
}

/// The dispatcher's side: the next message if one is waiting, without
/// waiting for one.
pub(crate) fn receive_waiting() -> Option<Message> {
    let request = mailbox::take()?;
    let info = SigInfo(request.info);
    Some(match request.kind {
        Kind::Signal => Message::Signal(info),
        Kind::NormalExit => Message::NormalExit,
        Kind::Chained => Message::Chained {
            info,
            flags: request.flags,
        },
    })
}

/// The dispatcher's side: says it has run the normal exit's functions.
pub(crate) fn normal_exit_done() {
    NORMAL_EXIT_DONE.store(true, Ordering::Release);
    REPLIES.ring();
}

/// The dispatcher's side (or its watchdog's): says it has run the exit
/// functions for a chained signal, with the copies' flags to pass on. Only
/// the first reply counts.
pub(crate) fn chain_done(flags: u8) {
    let replied = CHAIN_REPLY.compare_exchange(
        CHAIN_PENDING,
        CHAIN_REPLIED | u32::from(flags),
        Ordering::AcqRel,
        Ordering::Acquire,
    );
    if replied.is_ok() {
        sys::wake_all(&CHAIN_REPLY);
    }
}
