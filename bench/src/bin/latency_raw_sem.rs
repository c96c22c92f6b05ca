//! Signal latency, the floor of ctrlc's design: a `sigaction` handler posts
//! a POSIX semaphore (`sem_post`, async-signal-safe: a futex wake), and a
//! thread waiting on it (with every signal blocked) prints the line. This is
//! what ctrlc does on Linux; the pipe floor (`latency_raw_pipe`) is what
//! exit-attr, signal-hook and tokio do.

use std::cell::UnsafeCell;
use std::os::raw::c_int;

/// The semaphore, in a static so the handler can reach it.
struct Semaphore(UnsafeCell<libc::sem_t>);

// SAFETY: a process-private POSIX semaphore is made to be shared between the
// threads of a process (and its handlers); it is only used through sem_*.
unsafe impl Sync for Semaphore {}

// SAFETY: an all-zero sem_t is a valid bit pattern; sem_init below sets it up
// before any use.
static SEMAPHORE: Semaphore = Semaphore(UnsafeCell::new(unsafe { std::mem::zeroed() }));

extern "C" fn on_signal(_signal: c_int) {
    // SAFETY: sem_post is async-signal-safe and the semaphore is initialised
    // before the handler is installed. (It does not change errno on success,
    // and the process ends right after.)
    unsafe { libc::sem_post(SEMAPHORE.0.get()) };
}

fn main() {
    // SAFETY: the semaphore lives in a static, shared by this process's
    // threads only (pshared 0), with an initial count of 0.
    let initialised = unsafe { libc::sem_init(SEMAPHORE.0.get(), 0, 0) };
    assert_eq!(initialised, 0, "sem_init");

    // Start the waiter with every signal blocked, so signals go to `main`.
    // SAFETY: zeroed sigset_t values are valid, and filled by the calls.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both sets are valid.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
    }
    std::thread::spawn(|| {
        // SAFETY: the semaphore is initialised; EINTR cannot happen with
        // every signal blocked, but is retried anyway.
        while unsafe { libc::sem_wait(SEMAPHORE.0.get()) } != 0 {}
        exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
        std::process::exit(0);
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
