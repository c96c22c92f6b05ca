//! The wake-up channel: how the signal handler and the `atexit` bridge hand
//! work to the dispatcher thread, and how the dispatcher says it is done.
//!
//! Two self-pipes. The handler and the bridge write one request into the
//! first, which the dispatcher reads; the dispatcher writes one byte into
//! the second when it has run a normal exit's functions, which the bridge
//! waits for. Writing to a pipe is async-signal-safe, and the write ends
//! never block. When another copy of exit-attr chains to our handler (see
//! `copies.rs`), the handler waits on a word of its own for the
//! dispatcher's reply, so that the two waits never take each other's.
//!
//! A forked child inherits the parent's pipes but not its dispatcher. The
//! channel therefore records which process owns it, and a child's signals
//! are never written into the parent's pipe.

use std::io;
use std::mem;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::sys::{self, Pipe, SigInfo};

/// The pipe from the handler and the bridge to the dispatcher.
static REQUEST_READ: AtomicI32 = AtomicI32::new(-1);
static REQUEST_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The pipe of the dispatcher's replies to a normal exit.
///
/// The exiting thread writes its request and sleeps on this pipe at once,
/// without spinning first: a pipe write is a "synchronous" wake-up, which
/// lets the scheduler run the dispatcher on the writer's own CPU as soon as
/// the writer sleeps, with no wake-up of an idle CPU (which costs tens of
/// microseconds in a virtual machine). A writer that spun would keep its
/// CPU from the dispatcher (measured: slower).
static REPLY_READ: AtomicI32 = AtomicI32::new(-1);
static REPLY_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The dispatcher's reply to a chained signal: [`CHAIN_PENDING`] until it
/// replies, then [`CHAIN_REPLIED`] with the copies' flags in the low bits.
static CHAIN_REPLY: AtomicU32 = AtomicU32::new(CHAIN_PENDING);
/// The process whose dispatcher reads the channel (0 when there is none).
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

/// One request, as it travels through the pipe: far smaller than
/// `PIPE_BUF`, so each write is atomic and a read never sees half of one.
#[repr(C)]
#[derive(Clone, Copy)]
struct Request {
    kind: u32,
    /// For [`CHAINED`]: the flags (such as
    /// [`crate::copies::DEFAULT_LINE_LOGGED`]) of the copy that
    /// chained us.
    flags: u32,
    info: libc::siginfo_t,
}

const SIGNAL: u32 = 1;
const NORMAL_EXIT: u32 = 2;
const CHAINED: u32 = 3;

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

/// Creates the channel's pipes. Nothing is sent through it until
/// [`go_live`] says a dispatcher reads it.
pub(crate) fn open() -> io::Result<()> {
    let requests = Pipe::new()?;
    let replies = match Pipe::new() {
        Ok(replies) => replies,
        Err(e) => {
            requests.close();
            return Err(e);
        }
    };
    REQUEST_READ.store(requests.read, Ordering::Release);
    REQUEST_WRITE.store(requests.write, Ordering::Release);
    REPLY_READ.store(replies.read, Ordering::Release);
    REPLY_WRITE.store(replies.write, Ordering::Release);
    Ok(())
}

/// Closes the channel's pipes (after [`open`], when the dispatcher could not
/// be started, or in a forked child, whose pipes are the parent's).
pub(crate) fn close() {
    OWNER_PID.store(0, Ordering::Release);
    for fd in [&REQUEST_READ, &REQUEST_WRITE, &REPLY_READ, &REPLY_WRITE] {
        sys::close(fd.swap(-1, Ordering::AcqRel));
    }
}

/// Records that a dispatcher of this process reads the channel.
pub(crate) fn go_live() {
    OWNER_PID.store(sys::getpid(), Ordering::Release);
}

/// Records that nobody reads the channel any more: signals then fall back
/// to ending the process without exit functions.
pub(crate) fn go_dead() {
    OWNER_PID.store(0, Ordering::Release);
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
/// is a forked child, and the pipes are its parent's.
pub(crate) fn is_inherited() -> bool {
    let owner = OWNER_PID.load(Ordering::Acquire);
    owner != 0 && owner != sys::getpid()
}

/// Hands a signal to the dispatcher. Returns false when this process has no
/// dispatcher. Async-signal-safe: an atomic load, `getpid` and one `write`.
pub(crate) fn notify_signal(info: &libc::siginfo_t) -> bool {
    if !is_live() {
        return false;
    }
    // A full pipe is fine: an earlier request is waiting, and one exit is
    // all it takes.
    send(SIGNAL, 0, info);
    true
}

/// Asks the dispatcher to run the exit functions of a normal exit. Returns
/// false, having sent nothing, if this process has no dispatcher or the
/// request could not be written.
pub(crate) fn request_normal_exit() -> bool {
    is_live() && send(NORMAL_EXIT, 0, &SigInfo::empty().0)
}

/// Asks the dispatcher to run the exit functions for a signal that another
/// copy of exit-attr chained to us. Returns false if this process has no
/// dispatcher or the request could not be written. Async-signal-safe.
pub(crate) fn request_chained(info: &libc::siginfo_t, flags: u8) -> bool {
    CHAIN_REPLY.store(CHAIN_PENDING, Ordering::Release);
    is_live() && send(CHAINED, u32::from(flags), info)
}

fn send(kind: u32, flags: u32, info: &libc::siginfo_t) -> bool {
    let request = Request {
        kind,
        flags,
        info: *info,
    };
    // SAFETY: a Request is plain data, valid to view as its bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&request as *const Request).cast::<u8>(),
            mem::size_of::<Request>(),
        )
    };
    sys::write_all(REQUEST_WRITE.load(Ordering::Acquire), bytes)
}

/// How waiting for the dispatcher ended.
pub(crate) enum Waited {
    Done,
    /// The deadline passed first.
    TimedOut,
    /// The wait itself failed; nothing is known.
    Failed,
}

/// Waits until the dispatcher says it has run the normal exit's functions,
/// or until `deadline`.
pub(crate) fn wait_for_normal_exit(deadline: Option<Instant>) -> Waited {
    let replies = REPLY_READ.load(Ordering::Acquire);
    loop {
        let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        match sys::poll_readable(replies, left) {
            Ok(true) => {
                sys::read_exact(replies, &mut [0_u8]);
                return Waited::Done;
            }
            Ok(false) => return Waited::TimedOut,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Waited::Failed,
        }
    }
}

/// Waits until the dispatcher has run the exit functions for a chained
/// signal, and returns the copies' flags it replied with.
/// Async-signal-safe.
pub(crate) fn wait_for_chain_reply() -> u8 {
    sys::wait_while_equal(&CHAIN_REPLY, CHAIN_PENDING);
    CHAIN_REPLY.load(Ordering::Acquire) as u8
}

/// The dispatcher's side: waits for the next message. `None` when the
/// channel is broken (nothing in this crate closes it while it is live).
pub(crate) fn receive() -> Option<Message> {
    // SAFETY: a Request is plain data, valid when zeroed.
    let mut request: Request = unsafe { mem::zeroed() };
    // SAFETY: as above, valid to fill from bytes a writer copied from a
    // valid Request.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(
            (&mut request as *mut Request).cast::<u8>(),
            mem::size_of::<Request>(),
        )
    };
    if !sys::read_exact(REQUEST_READ.load(Ordering::Acquire), bytes) {
        return None;
    }
    let info = SigInfo(request.info);
    Some(match request.kind {
        NORMAL_EXIT => Message::NormalExit,
        CHAINED => Message::Chained {
            info,
            flags: request.flags as u8,
        },
        _ => Message::Signal(info),
    })
}

/// The dispatcher's side: waits until a request is waiting, at most
/// `timeout`. Returns whether one is.
pub(crate) fn wait_for_request(timeout: Duration) -> bool {
    loop {
        match sys::poll_readable(REQUEST_READ.load(Ordering::Acquire), Some(timeout)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            ready => return ready.unwrap_or(true),
        }
    }
}

/// The dispatcher's side: the next message if one is waiting, without
/// waiting for one.
pub(crate) fn receive_waiting() -> Option<Message> {
    match sys::poll_readable(REQUEST_READ.load(Ordering::Acquire), Some(Duration::ZERO)) {
        Ok(true) => receive(),
        _ => None,
    }
}

/// The dispatcher's side: says it has run the normal exit's functions.
pub(crate) fn normal_exit_done() {
    sys::write_all(REPLY_WRITE.load(Ordering::Acquire), &[1]);
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
