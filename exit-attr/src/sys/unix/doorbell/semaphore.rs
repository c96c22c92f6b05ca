//! The doorbell of FreeBSD, NetBSD and illumos: an unnamed POSIX semaphore.
//! `sem_post` is async-signal-safe (POSIX lists it), and the semaphore is
//! memory of the process, not a descriptor the program could close.

use std::cell::UnsafeCell;
use std::io;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// See the [module documentation](super).
pub(crate) struct Doorbell {
    semaphore: UnsafeCell<MaybeUninit<libc::sem_t>>,
    /// Set once `sem_init` succeeded: only then is the semaphore used.
    open: AtomicBool,
}

// SAFETY: the semaphore is initialised once, before `open` says so (and
// again in a forked child, which has one thread), and is then only used
// through the semaphore functions, which are made to be called from any
// thread at once.
unsafe impl Sync for Doorbell {}

/// A semaphore counts its rings itself: nothing to take before looking.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(());

impl Doorbell {
    pub(crate) const fn new() -> Doorbell {
        Doorbell {
            semaphore: UnsafeCell::new(MaybeUninit::uninit()),
            open: AtomicBool::new(false),
        }
    }

    fn semaphore(&self) -> *mut libc::sem_t {
        self.semaphore.get().cast()
    }

    /// Creates the semaphore, once.
    pub(crate) fn open(&self) -> io::Result<()> {
        if self.open.load(Ordering::Acquire) {
            return Ok(());
        }
        // SAFETY: the semaphore lives in a static and never moves; it is
        // not in use (`open` is false), and 0 shares it between the threads
        // of this process only.
        if unsafe { libc::sem_init(self.semaphore(), 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        self.open.store(true, Ordering::Release);
        Ok(())
    }

    /// In a forked child, whose only thread runs this: the semaphore the
    /// parent initialised is replaced by one of the child's own.
    pub(crate) fn reopen_after_fork(&self) -> io::Result<()> {
        if self.open.swap(false, Ordering::AcqRel) {
            // SAFETY: initialised (it was open), and nobody waits on it in
            // the child, whose only thread is this one.
            unsafe { libc::sem_destroy(self.semaphore()) };
        }
        self.open()
    }

    /// A semaphore needs no ticket.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(())
    }

    /// Wakes the waiter. Async-signal-safe: `sem_post`.
    pub(crate) fn ring(&self) {
        if self.open.load(Ordering::Acquire) {
            // SAFETY: initialised, as `open` says. A count at its maximum
            // fails with EOVERFLOW: the waiter has that many wake-ups
            // waiting already.
            unsafe { libc::sem_post(self.semaphore()) };
        }
    }

    /// Sleeps until the bell has rung (each ring ends one wait), or
    /// `timeout` has passed; may return early.
    pub(crate) fn wait(&self, _: Ticket, timeout: Option<Duration>) {
        if !self.open.load(Ordering::Acquire) {
            // Never opened: there is nothing to wait on, so wait out the
            // timeout (forever being the caller's own choice).
            std::thread::sleep(timeout.unwrap_or(Duration::from_secs(1)));
            return;
        }
        let Some(timeout) = timeout else {
            // SAFETY: initialised, as `open` says. EINTR returns early.
            unsafe { libc::sem_wait(self.semaphore()) };
            return;
        };
        let deadline = realtime_after(timeout);
        // SAFETY: initialised, as `open` says; the deadline is a valid
        // timespec. EINTR and ETIMEDOUT return, as a wait may.
        unsafe { libc::sem_timedwait(self.semaphore(), &deadline) };
    }
}

/// `sem_timedwait` takes its deadline on the realtime clock: now on that
/// clock, plus `timeout`. A clock that is set back meanwhile lengthens the
/// wait, which the caller's own deadline (on the monotonic clock) bounds.
fn realtime_after(timeout: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is valid for writes; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    const NANOS: i64 = 1_000_000_000;
    // `tv_nsec` is an i32 on 32-bit targets, an i64 on 64-bit ones.
    #[allow(clippy::useless_conversion)]
    let nanos = i64::from(now.tv_nsec) + i64::from(timeout.subsec_nanos());
    let seconds = libc::time_t::try_from(timeout.as_secs())
        .unwrap_or(libc::time_t::MAX)
        .saturating_add(now.tv_sec)
        .saturating_add((nanos / NANOS) as libc::time_t);
    libc::timespec {
        tv_sec: seconds,
        tv_nsec: (nanos % NANOS) as _,
    }
}
