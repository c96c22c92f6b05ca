//! The wake-up channel: how the signal handler and the `atexit` bridge hand
//! work to the dispatcher thread, and how the dispatcher says it is done.
//!
//! Two self-pipes. The handler and the bridge write one message (a
//! `siginfo_t`) into the first, which the dispatcher reads; the dispatcher
//! writes one byte into the second when it has run a normal exit's
//! functions, which the bridge waits for. Writing to a pipe is
//! async-signal-safe, and the write end never blocks.
//!
//! A forked child inherits the parent's pipes but not its dispatcher. The
//! channel therefore records which process owns it, and a child's signals
//! are never written into the parent's pipe.

use std::io;
use std::mem;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

use crate::sys::{self, Pipe, SigInfo};

/// The pipe from the handler and the bridge to the dispatcher.
static REQUEST_READ: AtomicI32 = AtomicI32::new(-1);
static REQUEST_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The pipe on which the dispatcher says it has run a normal exit.
static DONE_READ: AtomicI32 = AtomicI32::new(-1);
static DONE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The process whose dispatcher reads the channel (0 when there is none).
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

/// The size of one message: one `siginfo_t`. Far smaller than `PIPE_BUF`,
/// so each write is atomic and a read never sees half of one.
const MESSAGE: usize = mem::size_of::<libc::siginfo_t>();

/// The `si_signo` of the bridge's request: no signal has number 0.
const NORMAL_EXIT: c_int = 0;

/// What the dispatcher is asked to do.
pub(crate) enum Message {
    /// A hooked signal arrived, with what the kernel said about it.
    Signal(SigInfo),
    /// The process is exiting normally: run the exit functions, then call
    /// [`normal_exit_done`].
    NormalExit,
}

/// Creates the channel's pipes. Nothing is sent through it until
/// [`go_live`] says a dispatcher reads it.
pub(crate) fn open() -> io::Result<()> {
    let requests = Pipe::new()?;
    let done = match Pipe::new() {
        Ok(done) => done,
        Err(e) => {
            requests.close();
            return Err(e);
        }
    };
    REQUEST_READ.store(requests.read, Ordering::Release);
    REQUEST_WRITE.store(requests.write, Ordering::Release);
    DONE_READ.store(done.read, Ordering::Release);
    DONE_WRITE.store(done.write, Ordering::Release);
    Ok(())
}

/// Closes the channel's pipes (after [`open`], when the dispatcher could not
/// be started, or in a forked child, whose pipes are the parent's).
pub(crate) fn close() {
    OWNER_PID.store(0, Ordering::Release);
    for fd in [&REQUEST_READ, &REQUEST_WRITE, &DONE_READ, &DONE_WRITE] {
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
    // A full pipe is fine: an earlier message is waiting, and one exit is
    // all it takes.
    send(info);
    true
}

/// Asks the dispatcher to run the exit functions of a normal exit. Returns
/// false, having sent nothing, if this process has no dispatcher or the
/// request could not be written.
pub(crate) fn request_normal_exit() -> bool {
    if !is_live() {
        return false;
    }
    let mut request = SigInfo::empty();
    request.0.si_signo = NORMAL_EXIT;
    send(&request.0)
}

fn send(info: &libc::siginfo_t) -> bool {
    // SAFETY: a siginfo_t is plain data, valid to view as MESSAGE bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts((info as *const libc::siginfo_t).cast::<u8>(), MESSAGE)
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
    let done = DONE_READ.load(Ordering::Acquire);
    loop {
        let timeout = match deadline {
            None => -1,
            Some(deadline) => {
                // Rounded up to whole milliseconds, so that it never wakes early.
                let left = deadline.saturating_duration_since(Instant::now());
                c_int::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX)
            }
        };
        match sys::poll_readable(done, timeout) {
            Ok(true) => {
                sys::read_exact(done, &mut [0_u8]);
                return Waited::Done;
            }
            Ok(false) => return Waited::TimedOut,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Waited::Failed,
        }
    }
}

/// The dispatcher's side: waits for the next message. `None` when the
/// channel is broken (nothing in this crate closes it while it is live).
pub(crate) fn receive() -> Option<Message> {
    let mut info = SigInfo::empty();
    // SAFETY: a siginfo_t is plain data, valid to fill from MESSAGE bytes
    // that a writer copied from a valid siginfo_t.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut((&mut info.0 as *mut libc::siginfo_t).cast::<u8>(), MESSAGE)
    };
    if !sys::read_exact(REQUEST_READ.load(Ordering::Acquire), bytes) {
        return None;
    }
    Some(match info.0.si_signo {
        NORMAL_EXIT => Message::NormalExit,
        _ => Message::Signal(info),
    })
}

/// The dispatcher's side: the next message if one is waiting, without
/// waiting for one.
pub(crate) fn receive_waiting() -> Option<Message> {
    match sys::poll_readable(REQUEST_READ.load(Ordering::Acquire), 0) {
        Ok(true) => receive(),
        _ => None,
    }
}

/// The dispatcher's side: says it has run the normal exit's functions.
pub(crate) fn normal_exit_done() {
    sys::write_all(DONE_WRITE.load(Ordering::Acquire), &[1]);
}
