//! Performing a registration: the one place that acts on what the registry
//! reports. Registering records the entry, then makes sure the paths that
//! will run it exist (the `atexit` bridge, the fork handlers, the dispatcher
//! and, for each signal it lists, the signal handler); unregistering removes
//! the entry and gives back the signals nobody lists any more.

use crate::at_exit;
use crate::dispatcher;
use crate::error::Error;
use crate::fork;
use crate::handler;
use crate::mask;
use crate::registry::{self, Callback, Entry, Identity, Key, Label, Log};
use crate::signal::{Signal, SignalSet};
use crate::state::{self, DropRun};
use crate::sys;

/// Registers `entry` (or, for a function with an `identity`, adds its
/// signals to the same function's earlier registration) and hooks every
/// signal it lists.
///
/// On an `Err` about a signal, the registration stays in place for normal
/// exit and for the signals that were hooked.
pub(crate) fn register(
    entry: Entry,
    identity: Option<Identity>,
    signals: &[Signal],
) -> Result<Key, Error> {
    let mut registry = registry::lock();
    if registry.is_closed() {
        return Err(Error::ExitInProgress);
    }
    // Before anything of exit-attr's exists to change a mask or to point
    // into this copy's code.
    mask::record_program_mask();
    sys::pin_in_memory();
    at_exit::ensure_registered()?;
    fork::ensure_registered()?;
    let key = registry.insert(entry, identity)?;
    // The dispatcher runs a normal exit's functions too (the exiting thread's
    // thread-locals are gone by then): start it now, while the program
    // starts, rather than on the exit's critical path. If it cannot start, a
    // normal exit starts one then, or falls back to a fresh thread; hooking
    // a signal below reports the failure.
    let _ = dispatcher::ensure_running();
    // Hook while holding the lock: it serialises the start of the dispatcher
    // and keeps it from reading a half-recorded older handler. Every listed
    // signal is tried, not only those no registration listed before: one
    // that was ignored, or could not be hooked, then may be now.
    signals.iter().try_for_each(|&signal| hook(signal))?;
    Ok(key)
}

/// Registers the closure `f`, labelled with the location of the public
/// function's caller: what [`register_exit_closure`](crate::register_exit_closure)
/// and [`exit_guard`](crate::exit_guard) share. Closures have no identity, so
/// two registrations are always two entries.
#[track_caller]
pub(crate) fn register_closure<F>(f: F, signals: &[Signal]) -> Result<Key, Error>
where
    F: FnOnce() + Send + 'static,
{
    let entry = Entry {
        callback: Callback::new(f),
        label: Label::Caller(std::panic::Location::caller()),
        signals: signals.iter().copied().collect(),
        log: Log::Default,
    };
    register(entry, None, signals)
}

/// Hooks `signal`, starting the dispatcher first if this process has none.
fn hook(signal: Signal) -> Result<(), Error> {
    let wanted = handler::wants_install(signal).map_err(|source| Error::Setup {
        action: "read the current signal action",
        signal: Some(signal),
        source,
    })?;
    if !wanted {
        return Ok(());
    }
    dispatcher::ensure_running().map_err(|(action, source)| Error::Setup {
        action,
        signal: Some(signal),
        source,
    })?;
    handler::install(signal)?;
    #[cfg(exit_attr_tsan)]
    crate::tsan::route_to_acceptor(signal);
    Ok(())
}

/// A closure taken back from the registry to run in a guard's drop.
///
/// Counted as running (see [`state::drop_run`]) until it is dropped, so that
/// an exit that finds its own functions all run waits for it; and the
/// signals that no registration lists any more are given back only then, so
/// that one of them arriving meanwhile still waits for the closure to finish
/// instead of ending the process at once.
pub(crate) struct TakenBack {
    closure: Option<Callback>,
    released: SignalSet,
    _running: DropRun,
}

impl TakenBack {
    pub(crate) fn run(mut self) {
        if let Some(closure) = self.closure.take() {
            closure.call();
        }
    }
}

impl Drop for TakenBack {
    fn drop(&mut self) {
        give_back(self.released);
    }
}

/// Takes back the closure registered under `key`, if it has not started
/// running, for a guard to run it in its drop.
pub(crate) fn take_back(key: Key) -> Option<TakenBack> {
    let mut registry = registry::lock();
    let removed = registry.remove(key)?;
    let running = state::drop_run();
    drop(registry);
    Some(TakenBack {
        closure: Some(removed.entry.callback),
        released: removed.released,
        _running: running,
    })
}

/// Gives back those of `signals` that no registration lists now (one may
/// have been listed again since it was released).
fn give_back(signals: SignalSet) {
    if signals == SignalSet::default() {
        return;
    }
    let registry = registry::lock();
    signals
        .iter()
        .filter(|&signal| !registry.is_listed(signal))
        .for_each(handler::uninstall);
}

/// Removes the registration named by `key`, if it has not started running,
/// and gives back every signal that no registration lists any more. Never
/// waits for a running exit function: the registry is not locked while
/// they run.
pub(crate) fn unregister(key: Key) -> bool {
    let mut registry = registry::lock();
    let Some(removed) = registry.remove(key) else {
        return false;
    };
    removed.released.iter().for_each(handler::uninstall);
    drop(registry);
    // Dropped after unlocking: a closure's captures run user code in their
    // destructors, which may call back into exit-attr.
    drop(removed.entry);
    true
}
