//! Pipes, and reading, writing and waiting on their descriptors.

use std::io;
use std::os::raw::c_int;

/// The two ends of a pipe whose descriptors are closed on `exec` and whose
/// write end never blocks: a signal handler writes to it and must not wait,
/// and when the pipe is full, a message is already waiting to be read.
pub(crate) struct Pipe {
    pub(crate) read: c_int,
    pub(crate) write: c_int,
}

impl Pipe {
    pub(crate) fn new() -> io::Result<Pipe> {
        let mut fds = [-1; 2];
        // SAFETY: `fds` is valid for two ints.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let pipe = Pipe {
            read: fds[0],
            write: fds[1],
        };
        // `pipe2` would set the flags atomically, but it is not on every
        // Unix. No other thread can fork through us meanwhile: callers hold
        // the registry lock, which the fork handlers take.
        let flagged = set_fd_flag(pipe.read, libc::FD_CLOEXEC)
            .and_then(|()| set_fd_flag(pipe.write, libc::FD_CLOEXEC))
            .and_then(|()| set_status_flag(pipe.write, libc::O_NONBLOCK));
        match flagged {
            Ok(()) => Ok(pipe),
            Err(e) => {
                pipe.close();
                Err(e)
            }
        }
    }

    pub(crate) fn close(self) {
        close(self.read);
        close(self.write);
    }
}

fn set_fd_flag(fd: c_int, flag: c_int) -> io::Result<()> {
    // SAFETY: F_GETFD and F_SETFD only read and write the flags of `fd`.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags | flag) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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

/// Waits until `fd` is readable, or until `timeout_ms` milliseconds have
/// passed (-1: no limit). Returns whether it is readable; a signal that
/// interrupts the wait is an `Interrupted` error.
pub(crate) fn poll_readable(fd: c_int, timeout_ms: c_int) -> io::Result<bool> {
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
