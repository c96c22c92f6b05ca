//! The registrations: which functions and closures run at exit, in which
//! order, for which signals, and with which log function.
//!
//! Registrations live in a doubly linked list threaded through a slab, so
//! that registering, unregistering and taking the next one to run are all
//! O(1), and a handle can name a registration by slot and generation without
//! pointing into memory that moves.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
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
    /// The function's path, given by the attribute.
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

/// What to call.
pub(crate) enum Callback {
    Function(fn()),
    Closure(Box<dyn FnOnce() + Send>),
}

/// One registration.
pub(crate) struct Entry {
    pub(crate) callback: Callback,
    pub(crate) label: Label,
    /// The signals this registration listed (the union, if the function was
    /// registered more than once).
    pub(crate) signals: SignalSet,
    /// Called with the log line when one of `signals` arrives.
    pub(crate) logfun: Option<fn(&str)>,
}

/// Names one registration, for [`unregister`]: its slot, and the slot's
/// generation when it was made (a reused slot has a newer one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    slot: usize,
    generation: u32,
}

/// A slot of the slab. Links are `u32` to keep nodes small: registering many
/// closures is dominated by the memory the slab touches.
struct Node {
    entry: Option<Entry>,
    generation: u32,
    previous: Option<u32>,
    next: Option<u32>,
}

/// A slot index as stored in a link.
fn link(slot: usize) -> u32 {
    u32::try_from(slot).expect("fewer than 2^32 registrations")
}

pub(crate) struct Registry {
    nodes: Vec<Node>,
    /// Slots whose registration was removed, for reuse.
    free: Vec<usize>,
    /// The oldest and newest registrations still waiting to run.
    head: Option<usize>,
    tail: Option<usize>,
    /// Function address to slot, so that registering a function again finds
    /// it without a scan. Created on first use (`HashMap::new` is not const).
    functions: Option<HashMap<usize, usize, BuildHasherDefault<AddressHasher>>>,
    /// For each signal number, how many registrations list it: when an
    /// unregistration brings it to zero, the signal is given back.
    listeners: [u32; 64],
    /// Set when the exit functions start running: no registration after that.
    closed: bool,
}

/// The process's registrations. Also the lock that the `fork` handlers hold
/// across `fork()`, so a child never inherits them half-changed.
pub(crate) static REGISTRY: Lock<Registry> = Lock::new(Registry::new());

impl Registry {
    const fn new() -> Registry {
        Registry {
            nodes: Vec::new(),
            free: Vec::new(),
            head: None,
            tail: None,
            functions: None,
            listeners: [0; 64],
            closed: false,
        }
    }

    /// Counts `signals` as listed once more.
    fn listen(&mut self, signals: SignalSet) {
        for signal in signals.iter() {
            self.listeners[signal.as_raw() as usize] += 1;
        }
    }

    /// Counts `signals` as listed once less, and gives back those that no
    /// registration lists any more.
    fn stop_listening(&mut self, signals: SignalSet) {
        for signal in signals.iter() {
            let listeners = &mut self.listeners[signal.as_raw() as usize];
            *listeners = listeners.saturating_sub(1);
            if *listeners == 0 {
                handler::unhook(signal);
            }
        }
    }

    /// Appends `entry` as the newest registration.
    fn push(&mut self, entry: Entry) -> Key {
        self.listen(entry.signals);
        let node = Node {
            entry: Some(entry),
            generation: 0,
            previous: self.tail.map(link),
            next: None,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                let generation = self.nodes[slot].generation;
                self.nodes[slot] = Node { generation, ..node };
                slot
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        match self.tail {
            Some(tail) => self.nodes[tail].next = Some(link(slot)),
            None => self.head = Some(slot),
        }
        self.tail = Some(slot);
        Key {
            slot,
            generation: self.nodes[slot].generation,
        }
    }

    /// Unlinks the registration in `slot` and frees the slot.
    fn remove(&mut self, slot: usize) -> Option<Entry> {
        let node = &mut self.nodes[slot];
        let entry = node.entry.take()?;
        node.generation = node.generation.wrapping_add(1);
        let (previous, next) = (node.previous.take(), node.next.take());
        match previous {
            Some(previous) => self.nodes[previous as usize].next = next,
            None => self.head = next.map(|n| n as usize),
        }
        match next {
            Some(next) => self.nodes[next as usize].previous = previous,
            None => self.tail = previous.map(|p| p as usize),
        }
        // Once closed, slots are never reused, and taking the next exit
        // function must not allocate (see `run::log_signal`).
        if !self.closed {
            self.free.push(slot);
        }
        Some(entry)
    }

    /// The registrations waiting to run, oldest first.
    fn entries(&self) -> impl Iterator<Item = &Entry> {
        std::iter::successors(self.head, |&slot| self.nodes[slot].next.map(|n| n as usize))
            .filter_map(|slot| self.nodes[slot].entry.as_ref())
    }
}

/// Hashes function addresses for the `functions` map: one multiply instead
/// of SipHash, which guards against attacker-chosen keys that addresses are
/// not.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the entropy in the high bits; the table also
        // indexes with the low ones.
        self.0 ^ (self.0 >> 32)
    }
}

/// Registers `callback`, or, for a function registered before, adds its
/// signals to that registration. Then hooks every signal it lists.
///
/// On an `Err` about a signal, the registration stays in place for normal
/// exit and for the signals that were hooked.
pub(crate) fn register(
    callback: Callback,
    label: Label,
    signals: &[Signal],
    logfun: Option<fn(&str)>,
) -> Result<Key, Error> {
    for signal in signals {
        signal.check_hookable()?;
    }
    let entry = Entry {
        callback,
        label,
        signals: signals.iter().copied().collect(),
        logfun,
    };
    let mut registry = REGISTRY.lock();
    if registry.closed {
        return Err(Error::ExitInProgress);
    }
    at_exit::ensure_registered()?;
    fork::ensure_registered()?;
    let key = match entry.callback {
        // Function addresses identify functions; two distinct functions with
        // identical bodies may share one address after optimisation, and
        // would then count as one.
        Callback::Function(function) => {
            let address = function as usize;
            let known = registry
                .functions
                .as_ref()
                .and_then(|f| f.get(&address).copied());
            match known {
                Some(slot) => {
                    let node = &mut registry.nodes[slot];
                    let generation = node.generation;
                    let added = match &mut node.entry {
                        Some(existing) => {
                            let added = entry.signals.difference(existing.signals);
                            existing.signals = existing.signals.union(entry.signals);
                            added
                        }
                        None => SignalSet::default(),
                    };
                    registry.listen(added);
                    Key { slot, generation }
                }
                None => {
                    let key = registry.push(entry);
                    registry
                        .functions
                        .get_or_insert_with(HashMap::default)
                        .insert(address, key.slot);
                    key
                }
            }
        }
        Callback::Closure(_) => registry.push(entry),
    };
    // Hook while holding the lock: it serialises the start of the dispatcher
    // and keeps it from reading a half-recorded older handler.
    signals
        .iter()
        .try_for_each(|&signal| handler::hook(signal))?;
    Ok(key)
}

/// Removes the registration named by `key`, if it has not started running.
/// Never blocks on a running exit function: the lock is not held while they
/// run.
pub(crate) fn unregister(key: Key) -> bool {
    let mut registry = REGISTRY.lock();
    let current = registry
        .nodes
        .get(key.slot)
        .is_some_and(|node| node.generation == key.generation && node.entry.is_some());
    // Drop the closure after unlocking: its captures' destructors are user
    // code, which may call back into exit-attr.
    let removed = if current {
        registry.remove(key.slot)
    } else {
        None
    };
    if let Some(entry) = &removed {
        registry.stop_listening(entry.signals);
    }
    drop(registry);
    removed.is_some()
}

/// The next exit function to run (the most recently registered of those left),
/// removed from the registry. The first call closes the registry.
pub(crate) fn take_next() -> Option<Entry> {
    let mut registry = REGISTRY.lock();
    if !registry.closed {
        registry.closed = true;
        registry.functions = None;
    }
    let tail = registry.tail?;
    registry.remove(tail)
}

/// Calls `call` with each distinct log function of the registrations that
/// list `signal`, in registration order, outside the registry lock (a log
/// function is user code). Allocates only past eight distinct functions.
pub(crate) fn with_logfuns_for(signal: Signal, mut call: impl FnMut(fn(&str))) {
    const INLINE: usize = 8;
    let mut inline: [Option<fn(&str)>; INLINE] = [None; INLINE];
    let mut overflow: Vec<fn(&str)> = Vec::new();
    {
        let registry = REGISTRY.lock();
        let mut count = 0;
        for entry in registry.entries() {
            let Some(logfun) = entry.logfun.filter(|_| entry.signals.contains(signal)) else {
                continue;
            };
            let seen = inline[..count.min(INLINE)]
                .iter()
                .flatten()
                .chain(&overflow)
                .any(|&seen| seen as usize == logfun as usize);
            if seen {
                continue;
            }
            if count < INLINE {
                inline[count] = Some(logfun);
            } else {
                overflow.push(logfun);
            }
            count += 1;
        }
    }
    inline
        .into_iter()
        .flatten()
        .chain(overflow)
        .for_each(&mut call);
}

/// In a forked child whose exit state went back to idle: accept
/// registrations again.
pub(crate) fn reopen(registry: &mut Registry) {
    registry.closed = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            callback: Callback::Closure(Box::new(move || assert!(n < 100))),
            label: Label::Name("test"),
            signals: SignalSet::default(),
            logfun: None,
        }
    }

    fn count(registry: &Registry) -> usize {
        registry.entries().count()
    }

    #[test]
    fn removing_from_any_place_keeps_the_order_of_the_rest() {
        let mut registry = Registry::new();
        let keys: Vec<Key> = (0..5).map(|n| registry.push(entry(n))).collect();
        assert!(registry.remove(keys[2].slot).is_some());
        assert!(registry.remove(keys[0].slot).is_some());
        assert!(registry.remove(keys[4].slot).is_some());
        assert_eq!(count(&registry), 2);
        assert_eq!(registry.head, Some(keys[1].slot));
        assert_eq!(registry.tail, Some(keys[3].slot));
        assert!(registry.remove(keys[2].slot).is_none(), "removed once only");
    }

    #[test]
    fn a_reused_slot_gets_a_new_generation() {
        let mut registry = Registry::new();
        let first = registry.push(entry(0));
        registry.remove(first.slot);
        let second = registry.push(entry(1));
        assert_eq!(first.slot, second.slot);
        assert_ne!(first, second);
    }
}
