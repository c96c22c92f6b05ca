//! The two settings that shape a run: the timeout, and whether a second
//! signal forces the end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `set_timeout`'s value in nanoseconds; `u64::MAX` for none.
static TIMEOUT_NANOS: AtomicU64 = AtomicU64::new(u64::MAX);

pub(crate) fn set_timeout(timeout: Option<Duration>) {
    let nanos = timeout.map_or(u64::MAX, |t| {
        u64::try_from(t.as_nanos()).unwrap_or(u64::MAX - 1)
    });
    TIMEOUT_NANOS.store(nanos, Ordering::Release);
}

/// The configured timeout, if any.
pub(crate) fn timeout() -> Option<Duration> {
    match TIMEOUT_NANOS.load(Ordering::Acquire) {
        u64::MAX => None,
        nanos => Some(Duration::from_nanos(nanos)),
    }
}

/// The moment a run that starts now must end by, if a timeout is set (and
/// is not so long that the clock cannot name that moment).
pub(crate) fn deadline_from_now() -> Option<Instant> {
    timeout().and_then(|t| Instant::now().checked_add(t))
}

/// `set_force_on_second_signal`'s value.
static FORCE_ON_SECOND_SIGNAL: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_force_on_second_signal(force: bool) {
    FORCE_ON_SECOND_SIGNAL.store(force, Ordering::Release);
}

/// Whether a hooked signal that arrives during a run ends the process at
/// once. Async-signal-safe.
pub(crate) fn force_on_second_signal() -> bool {
    FORCE_ON_SECOND_SIGNAL.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one test in this binary that sets the timeout: no other reads it.
    #[test]
    fn a_timeout_is_kept_and_one_too_long_to_count_stays_a_timeout() {
        for (set, read) in [
            (None, None),
            (Some(Duration::ZERO), Some(Duration::ZERO)),
            (
                Some(Duration::from_millis(300)),
                Some(Duration::from_millis(300)),
            ),
            // Past u64::MAX nanoseconds (584 years): the longest one kept, not
            // "no timeout", which is what u64::MAX means.
            (
                Some(Duration::MAX),
                Some(Duration::from_nanos(u64::MAX - 1)),
            ),
        ] {
            set_timeout(set);
            assert_eq!(timeout(), read, "{set:?}");
        }
        set_timeout(None);
    }
}
