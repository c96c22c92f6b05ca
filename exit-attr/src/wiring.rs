//! Performing a registration: the one place that acts on what the registry
//! reports. Registering records the entry, then makes sure the paths that
//! will run it exist (the platform's exit bridge and, for each signal it
//! lists, its hook: see `delivery`); unregistering removes the entry and
//! gives back the signals nobody lists any more.

use crate::delivery;
use crate::error::Error;
use crate::registry::{self, Callback, Entry, Identity, Key, Label, Log};
use crate::signal::{Signal, SignalSet};
use crate::state::{self, DropRun};

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
    delivery::prepare_process()?;
    let key = registry.insert(entry, identity)?;
    delivery::prepare_exit_path();
    // Hook while holding the lock: it serialises hooking and keeps the
    // platform's side from seeing a half-done registration. Every listed
    // signal is tried, not only those no registration listed before: one
    // that was ignored, or could not be hooked, then may be now.
    signals
        .iter()
        .try_for_each(|&signal| delivery::hook(signal))?;
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
        .for_each(delivery::give_back);
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
    removed.released.iter().for_each(delivery::give_back);
    drop(registry);
    // Dropped after unlocking: a closure's captures run user code in their
    // destructors, which may call back into exit-attr.
    drop(removed.entry);
    true
}
