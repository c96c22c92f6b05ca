//! The registrations: which functions run at exit, in which order, for which
//! signals, and with which log function.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::Location;

use crate::at_exit;
use crate::error::Error;
use crate::fork;
use crate::handler;
use crate::signal::{Signal, SignalSet};
use crate::sync::Lock;

/// How to name an exit function in messages.
#[derive(Clone, Copy)]
pub(crate) enum Label {
    /// The function's name, given by the attribute.
    Name(&'static str),
    /// Where the function form was called, for functions registered by value.
    Caller(&'static Location<'static>),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Name(name) => write!(f, "exit function `{name}`"),
            Label::Caller(location) => write!(f, "exit function registered at {location}"),
        }
    }
}

/// One registered exit function.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) fun: fn(),
    pub(crate) label: Label,
    /// The signals this registration listed (the union, if the function was
    /// registered more than once).
    pub(crate) signals: SignalSet,
    /// Called with the log line when one of `signals` arrives.
    pub(crate) logfun: Option<fn(&str)>,
}

pub(crate) struct Registry {
    /// In registration order; exit functions run from the end.
    entries: Vec<Entry>,
    /// Function address to index in `entries`, so that registering the same
    /// function again finds it without a scan.
    index: BTreeMap<usize, usize>,
    /// Set when the exit functions start running: no registration after that.
    closed: bool,
}

/// The process's registrations. Also the lock that the `fork` handlers hold
/// across `fork()`, so a child never inherits them half-changed.
pub(crate) static REGISTRY: Lock<Registry> = Lock::new(Registry {
    entries: Vec::new(),
    index: BTreeMap::new(),
    closed: false,
});

/// Registers `entry`, or adds its signals to the earlier registration of the
/// same function, then hooks every signal it lists.
///
/// On an `Err` about a signal, the function stays registered for normal exit
/// and for the signals that were hooked.
pub(crate) fn register(entry: Entry, signals: &[Signal]) -> Result<(), Error> {
    for signal in signals {
        signal.check_hookable()?;
    }
    let mut registry = REGISTRY.lock();
    if registry.closed {
        return Err(Error::ExitInProgress);
    }
    at_exit::ensure_registered()?;
    fork::ensure_registered()?;
    // Function addresses identify functions; two distinct functions with
    // identical bodies may share one address after optimisation, and would
    // then count as one.
    let key = entry.fun as usize;
    match registry.index.get(&key) {
        Some(&i) => {
            let existing = &mut registry.entries[i];
            existing.signals = existing.signals.union(entry.signals);
        }
        None => {
            let i = registry.entries.len();
            registry.entries.push(entry);
            registry.index.insert(key, i);
        }
    }
    // Hook while holding the lock: it serialises the start of the dispatcher
    // and keeps it from reading a half-recorded older handler.
    signals.iter().try_for_each(|&signal| handler::hook(signal))
}

/// The next exit function to run (the most recently registered of those left),
/// removed from the registry. The first call closes the registry.
pub(crate) fn take_next() -> Option<Entry> {
    let mut registry = REGISTRY.lock();
    if !registry.closed {
        registry.closed = true;
        registry.index = BTreeMap::new();
    }
    registry.entries.pop()
}

/// The distinct log functions of the registrations that list `signal`, in
/// registration order.
pub(crate) fn logfuns_for(signal: Signal) -> Vec<fn(&str)> {
    let registry = REGISTRY.lock();
    let mut logfuns: Vec<fn(&str)> = Vec::new();
    for entry in &registry.entries {
        if let Some(logfun) = entry.logfun.filter(|_| entry.signals.contains(signal)) {
            if !logfuns.iter().any(|&seen| seen as usize == logfun as usize) {
                logfuns.push(logfun);
            }
        }
    }
    logfuns
}

/// In a forked child whose exit state went back to idle: accept
/// registrations again.
pub(crate) fn reopen(registry: &mut Registry) {
    registry.closed = false;
}
