//! What a registration calls, once: a `FnOnce` with its type erased, kept
//! inline when it is small.
//!
//! A function item, a `fn()` or a closure that captures up to two words is
//! stored in the callback itself; anything larger is boxed. Registering many
//! closures is dominated by memory: an allocation per registration (and the
//! page faults on the heap it grows) would cost more than the rest of a
//! registration together.

use std::mem::{self, ManuallyDrop, MaybeUninit};

/// Room for a callback kept inline: two words, word-aligned.
type Inline = MaybeUninit<[usize; 2]>;

/// A type-erased `FnOnce() + Send`, called at most once.
pub(crate) struct Callback {
    /// The callable itself (inline), or a `Box` of it.
    data: Inline,
    /// Takes the callable out of `data` and calls it.
    call: unsafe fn(*mut Inline),
    /// Drops the callable in `data` without calling it.
    drop: unsafe fn(*mut Inline),
}

// SAFETY: `Callback::new` accepts only `F: Send`, and a callback owns its
// callable exclusively, as a `Box<dyn FnOnce() + Send>` would.
unsafe impl Send for Callback {}

impl Callback {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Callback {
        let mut data = Inline::uninit();
        if fits_inline::<F>() {
            // SAFETY: `data` is large and aligned enough for an `F`
            // (checked above) and is not otherwise used.
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
            Callback {
                data,
                call: call_inline::<F>,
                drop: drop_inline::<F>,
            }
        } else {
            // SAFETY: a `Box<F>` is one word, which `data` holds.
            unsafe { data.as_mut_ptr().cast::<Box<F>>().write(Box::new(f)) };
            Callback {
                data,
                call: call_boxed::<F>,
                drop: drop_boxed::<F>,
            }
        }
    }

    /// Calls the callable, consuming it.
    pub(crate) fn call(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the callable `call` was made for, and `this`
        // is never dropped, so it is taken out exactly once.
        unsafe { (this.call)(&mut this.data) };
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        // SAFETY: `data` holds the callable `drop` was made for; a callback
        // that was called is never dropped (see `call`).
        unsafe { (self.drop)(&mut self.data) };
    }
}

fn fits_inline<F>() -> bool {
    mem::size_of::<F>() <= mem::size_of::<Inline>()
        && mem::align_of::<F>() <= mem::align_of::<Inline>()
}

/// # Safety
///
/// `data` holds an `F` written by `Callback::new`, not yet taken out.
unsafe fn call_inline<F: FnOnce()>(data: *mut Inline) {
    // SAFETY: as the contract says; the read moves the `F` out.
    let f = unsafe { data.cast::<F>().read() };
    f();
}

/// # Safety
///
/// As `call_inline`.
unsafe fn drop_inline<F>(data: *mut Inline) {
    // SAFETY: as the contract says.
    unsafe { data.cast::<F>().drop_in_place() };
}

/// # Safety
///
/// `data` holds a `Box<F>` written by `Callback::new`, not yet taken out.
unsafe fn call_boxed<F: FnOnce()>(data: *mut Inline) {
    // SAFETY: as the contract says; the read moves the box out.
    let f = unsafe { data.cast::<Box<F>>().read() };
    f();
}

/// # Safety
///
/// As `call_boxed`.
unsafe fn drop_boxed<F>(data: *mut Inline) {
    // SAFETY: as the contract says.
    unsafe { data.cast::<Box<F>>().drop_in_place() };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts how often it is called and dropped.
    struct Probe {
        calls: Arc<AtomicUsize>,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
    }

    /// A callback whose captures are `padding` bytes beyond a `Probe`.
    fn callback<const N: usize>(probe: Probe, padding: [u8; N]) -> Callback {
        Callback::new(move || {
            std::hint::black_box(padding);
            probe.calls.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[test]
    fn small_callables_are_inline_and_large_ones_boxed() {
        assert!(fits_inline::<fn()>());
        assert!(fits_inline::<[usize; 2]>());
        assert!(!fits_inline::<[usize; 3]>());
    }

    /// A probe, its counters, and a callback around it: inline, or boxed
    /// when `large`.
    fn probed(large: bool) -> (Callback, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (calls, drops) = counters();
        let probe = Probe {
            calls: calls.clone(),
            drops: drops.clone(),
        };
        let cb = if large {
            callback(probe, [7; 64])
        } else {
            callback(probe, [])
        };
        (cb, calls, drops)
    }

    #[test]
    fn a_called_callback_runs_once_and_drops_its_captures_once() {
        for large in [false, true] {
            let (cb, calls, drops) = probed(large);
            cb.call();
            assert_eq!(calls.load(Ordering::SeqCst), 1, "large: {large}");
            assert_eq!(drops.load(Ordering::SeqCst), 1, "large: {large}");
        }
    }

    #[test]
    fn a_dropped_callback_is_never_called_and_drops_its_captures_once() {
        for large in [false, true] {
            let (cb, calls, drops) = probed(large);
            drop(cb);
            assert_eq!(calls.load(Ordering::SeqCst), 0, "large: {large}");
            assert_eq!(drops.load(Ordering::SeqCst), 1, "large: {large}");
        }
    }

    #[test]
    fn a_panicking_callable_still_drops_its_captures() {
        let (calls, drops) = counters();
        let probe = Probe {
            calls: calls.clone(),
            drops: drops.clone(),
        };
        let cb = Callback::new(move || {
            let _probe = probe;
            panic!("inside the callback");
        });
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb.call()));
        assert!(outcome.is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
