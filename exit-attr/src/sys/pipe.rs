//! Pipes, and reading, writing and waiting on their descriptors.

use std::io;
use std::os::raw::c_int;
use std::time::Duration;

/// The two ends of a pipe whose descriptors are closed on `exec`, are none
/// of the standard descriptors 0, 1 and 2, and whose write end never
/// blocks: a signal handler writes to it and must not wait, and when the
/// pipe is full, a message is already waiting to be read.
pub(crate) struct Pipe {
    pub(crate) read: c_int,
    pub(crate) write: c_int,
}

impl Pipe {
    pub(crate) fn new() -> io::Result<Pipe> {
        let [read, write] = close_on_exec_pipe()?;
        let (read, write) = match (above_standard(read), above_standard(write)) {
            (Ok(read), Ok(write)) => (read, write),
            (Ok(fd), Err(e)) | (Err(e), Ok(fd)) => {
                close(fd);
                return Err(e);
            }
            (Err(e), Err(_)) => return Err(e),
        };
        let pipe = Pipe { read, write };
        if let Err(e) = set_status_flag(write, libc::O_NONBLOCK) {
            pipe.close();
            return Err(e);
        }
        Ok(pipe)
    }

    pub(crate) fn close(self) {
        close(self.read);
        close(self.write);
    }
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
/// start-up registration created its pipes, and the program's output must
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

fn set_status_flag(fd: c_int, flag: c_int) -> io::Result<()> {
    // SAFETY: F_GETFL and F_SETFL only read and write the status of `fd`.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | flag) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Closes `fd`, which the caller owns and does not use again; -1 is
/// ignored.
pub(crate) fn close(fd: c_int) {
    if fd >= 0 {
        // SAFETY: the caller owns `fd`.
        unsafe { libc::close(fd) };
    }
}

/// Writes all of `bytes` to `fd` in one `write(2)`, which the pipe makes
/// atomic for messages up to `PIPE_BUF` bytes. Returns false if the write
/// failed or was short (a full pipe that does not block). Async-signal-safe.
pub(crate) fn write_all(fd: c_int, bytes: &[u8]) -> bool {
    // SAFETY: the pointer and length describe a valid slice.
    let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    written == bytes.len() as isize
}

/// Reads exactly `buffer.len()` bytes from `fd` in one `read(2)`, retrying
/// when a signal interrupts it. Returns false when the pipe is closed or
/// broken, or when the read was short (which whole-message writes rule out).
pub(crate) fn read_exact(fd: c_int, buffer: &mut [u8]) -> bool {
    loop {
        // SAFETY: the pointer and length describe a valid, writable slice.
        let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        if n == buffer.len() as isize {
            return true;
        }
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return false;
    }
}

/// Waits until `fd` is readable, or until `timeout` has passed (`None`: no
/// limit), rounded up to whole milliseconds so that it never gives up early.
/// Returns whether it is readable; a signal that interrupts the wait is an
/// `Interrupted` error.
pub(crate) fn poll_readable(fd: c_int, timeout: Option<Duration>) -> io::Result<bool> {
    let timeout_ms = timeout.map_or(-1, |timeout| {
        c_int::try_from(timeout.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX)
    });
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    match unsafe { libc::poll(&mut poll, 1, timeout_ms) } {
        ready if ready > 0 => Ok(true),
        0 => Ok(false),
        _ => Err(io::Error::last_os_error()),
    }
}
