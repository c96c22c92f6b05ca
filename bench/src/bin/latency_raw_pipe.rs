//! Signal latency, the physical floor of the self-pipe design: a `sigaction`
//! handler writes one byte to a pipe, and a thread blocked on the pipe (with
//! every signal blocked, as exit-attr's dispatcher) prints the line. Nothing
//! else happens on the way.

use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_signal: c_int) {
    let byte = 1u8;
    // SAFETY: write is async-signal-safe; `byte` is valid for one byte. (It
    // does not change errno on success, and the process ends right after.)
    unsafe {
        libc::write(
            PIPE_WRITE.load(Ordering::Relaxed),
            (&raw const byte).cast(),
            1,
        )
    };
}

fn main() {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    let [read, write] = fds;
    PIPE_WRITE.store(write, Ordering::Relaxed);

    // Start the reader with every signal blocked, so signals go to `main`.
    // SAFETY: zeroed sigset_t values are valid, and filled by the calls.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both sets are valid.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
    }
    std::thread::spawn(move || {
        let mut byte = 0u8;
        // SAFETY: `byte` is valid for one byte.
        if unsafe { libc::read(read, (&raw mut byte).cast(), 1) } == 1 {
            exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
            std::process::exit(0);
        }
    });
    // SAFETY: `previous` is the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut()) };

    // SAFETY: a zeroed sigaction is valid; we set a plain handler.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action` is a valid action.
    let installed = unsafe { libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut()) };
    assert_eq!(installed, 0, "sigaction");
    exit_attr_bench::ready_then_wait();
}
