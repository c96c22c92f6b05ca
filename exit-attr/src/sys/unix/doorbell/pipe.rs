//! The doorbell of macOS, which has neither a futex nor unnamed semaphores:
//! a pipe, rung by writing a byte.
//!
//! The program may close the pipe's descriptors, reopen files that get
//! their numbers, or `dup2` over them. So the pipe's identity (device and
//! inode, which no other open file shares while it lives) is kept when it
//! is made, and checked with `fstat` before every read and write: a byte
//! goes only into this pipe, and is only read from it. The waiter makes a
//! new pipe when the old one is gone, and never sleeps longer than
//! [`RECHECK`], so that a ring lost while the pipe was gone (the ringer
//! found it gone, and rang nothing) still ends the wait within that time.
//! One gap remains: the program could replace a descriptor between the
//! check and the write or read that follows it, a few instructions later.

use std::io;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

/// The longest a waiter sleeps without looking again, in case the pipe
/// broke and a ring was lost.
const RECHECK: Duration = Duration::from_millis(250);

/// See the [module documentation](super).
pub(crate) struct Doorbell {
    read: AtomicI32,
    write: AtomicI32,
    /// The pipe's identity, valid while `known` is set.
    device: AtomicU64,
    inode: AtomicU64,
    known: AtomicBool,
}

/// A pipe counts its rings itself: nothing to take before looking.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(());

impl Doorbell {
    pub(crate) const fn new() -> Doorbell {
        Doorbell {
            read: AtomicI32::new(-1),
            write: AtomicI32::new(-1),
            device: AtomicU64::new(0),
            inode: AtomicU64::new(0),
            known: AtomicBool::new(false),
        }
    }

    /// Makes the pipe, unless this bell's pipe is there already.
    pub(crate) fn open(&self) -> io::Result<()> {
        if self.is_whole() {
            return Ok(());
        }
        self.remake()
    }

    /// In a forked child: the pipe is shared with the parent, whose
    /// waiter would take the child's rings. The child gets its own.
    pub(crate) fn reopen_after_fork(&self) -> io::Result<()> {
        self.remake()
    }

    /// A pipe needs no ticket.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(())
    }

    /// Wakes the waiter, if the write end is still this bell's pipe.
    /// Async-signal-safe: `fstat` and `write`.
    pub(crate) fn ring(&self) {
        let fd = self.write.load(Ordering::Acquire);
        if self.is_ours(fd) {
            // A full pipe is fine: the waiter has wake-ups waiting.
            // SAFETY: one byte from a valid buffer, to our own pipe.
            unsafe { libc::write(fd, [1_u8].as_ptr().cast(), 1) };
        }
    }

    /// Sleeps until the bell rings, `timeout` has passed, or [`RECHECK`]
    /// has; remakes the pipe first if it is gone.
    pub(crate) fn wait(&self, _: Ticket, timeout: Option<Duration>) {
        if !self.is_whole() {
            // Out of descriptors, perhaps: then the poll below waits on
            // nothing, and the periodic look is all there is.
            let _ = self.remake();
        }
        let fd = self.read.load(Ordering::Acquire);
        let timeout = timeout.map_or(RECHECK, |timeout| timeout.min(RECHECK));
        // Whole milliseconds, rounded up, so that a wait is never shorter
        // than asked.
        let timeout_ms = c_int::try_from(timeout.as_nanos().div_ceil(1_000_000)).unwrap_or(0);
        let mut poll = libc::pollfd {
            fd: if self.is_ours(fd) { fd } else { -1 },
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; a negative fd is ignored, which makes
        // this a sleep.
        let ready = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
        if ready > 0 && self.is_ours(fd) {
            drain(fd);
        }
    }

    /// Whether both ends are still this bell's pipe.
    fn is_whole(&self) -> bool {
        self.is_ours(self.read.load(Ordering::Acquire))
            && self.is_ours(self.write.load(Ordering::Acquire))
    }

    /// Whether `fd` is open on this bell's pipe. Async-signal-safe.
    fn is_ours(&self, fd: c_int) -> bool {
        if fd < 0 || !self.known.load(Ordering::Acquire) {
            return false;
        }
        identity(fd).is_some_and(|(device, inode)| {
            device == self.device.load(Ordering::Acquire)
                && inode == self.inode.load(Ordering::Acquire)
        })
    }

    /// Replaces the pipe: closes the ends that are still ours (a
    /// descriptor that is not ours any more belongs to the program) and
    /// makes a new one. Only the waiter calls it, so never twice at once.
    fn remake(&self) -> io::Result<()> {
        let (read, write) = (
            self.read.load(Ordering::Acquire),
            self.write.load(Ordering::Acquire),
        );
        let stale = [read, write].map(|fd| self.is_ours(fd));
        // Ringers stop trusting the old identity before anything changes.
        self.known.store(false, Ordering::Release);
        for (fd, ours) in [read, write].into_iter().zip(stale) {
            if ours {
                close(fd);
            }
        }
        self.read.store(-1, Ordering::Release);
        self.write.store(-1, Ordering::Release);
        let [read, write] = new_pipe()?;
        let Some((device, inode)) = identity(read) else {
            let error = io::Error::last_os_error();
            close(read);
            close(write);
            return Err(error);
        };
        self.read.store(read, Ordering::Release);
        self.write.store(write, Ordering::Release);
        self.device.store(device, Ordering::Release);
        self.inode.store(inode, Ordering::Release);
        self.known.store(true, Ordering::Release);
        Ok(())
    }
}

/// The device and inode of the pipe `fd` is open on, or `None` if it is
/// not open on a pipe. Async-signal-safe.
fn identity(fd: c_int) -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `stat` is valid for writes; fstat fails harmlessly on a
    // descriptor that is not open.
    if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded and filled `stat`.
    let stat = unsafe { stat.assume_init() };
    let is_pipe = stat.st_mode & libc::S_IFMT == libc::S_IFIFO;
    // The widths of dev_t and ino_t differ between systems.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    is_pipe.then_some((stat.st_dev as u64, stat.st_ino as u64))
}

/// Reads every byte waiting in the pipe (its read end never blocks).
fn drain(fd: c_int) {
    let mut buffer = [0_u8; 64];
    // SAFETY: the buffer is valid for writes of its length.
    while unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) } > 0 {}
}

/// A pipe whose two ends are close-on-exec, none of the standard
/// descriptors 0, 1 and 2, and never block.
fn new_pipe() -> io::Result<[c_int; 2]> {
    let [read, write] = close_on_exec_pipe()?;
    let read = above_standard(read).inspect_err(|_| close(write))?;
    let write = above_standard(write).inspect_err(|_| close(read))?;
    for fd in [read, write] {
        if let Err(e) = set_nonblocking(fd) {
            close(read);
            close(write);
            return Err(e);
        }
    }
    Ok([read, write])
}

/// A pipe whose two descriptors are close-on-exec from the start, so that a
/// child that another thread spawns meanwhile never inherits them.
#[cfg(not(target_vendor = "apple"))]
fn close_on_exec_pipe() -> io::Result<[c_int; 2]> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fds)
}

/// As above, where there is no `pipe2`: close-on-exec is set right after,
/// and a child spawned by another thread in between may inherit the pipe.
#[cfg(target_vendor = "apple")]
fn close_on_exec_pipe() -> io::Result<[c_int; 2]> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    for fd in fds {
        // SAFETY: F_SETFD only sets the flags of `fd`, which we own.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            let error = io::Error::last_os_error();
            fds.into_iter().for_each(close);
            return Err(error);
        }
    }
    Ok(fds)
}

/// `fd`, moved above the standard descriptors if it is one of them (and
/// still close-on-exec): a process started with 0, 1 and 2 closed gets them
/// back from the standard library (as `/dev/null`) only after exit-attr's
/// start-up registration made its pipe, and the program's output must
/// never land in exit-attr's machinery. Closes `fd` on failure.
fn above_standard(fd: c_int) -> io::Result<c_int> {
    if fd > libc::STDERR_FILENO {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC duplicates `fd` onto the lowest free
    // descriptor from 3 up, close-on-exec.
    let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, libc::STDERR_FILENO + 1) };
    let result = if moved < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(moved)
    };
    close(fd);
    result
}

fn set_nonblocking(fd: c_int) -> io::Result<()> {
    // SAFETY: F_GETFL and F_SETFL only read and write the status of `fd`.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Closes `fd`, which the caller owns and does not use again; -1 is
/// ignored.
fn close(fd: c_int) {
    if fd >= 0 {
        // SAFETY: the caller owns `fd`.
        unsafe { libc::close(fd) };
    }
}
