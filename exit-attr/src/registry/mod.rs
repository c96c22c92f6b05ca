//! The registrations: which functions and closures run at exit, in which
//! order, for which signals, and with which log function.
//!
//! Pure data. The registry never touches a signal disposition: removing a
//! registration *reports* the signals that no registration lists any more,
//! and the caller (`wiring.rs`) gives them back.
//!
//! Registrations live in a doubly linked list threaded through a slab, so
//! that registering, unregistering and taking the next one to run are all
//! O(1), and a handle can name a registration by slot and generation without
//! pointing into memory that moves.

use std::collections::{HashMap, hash_map};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::panic::Location;

mod identity;
mod log_funs;

pub(crate) use identity::{Identity, IdentityHasher};
pub(crate) use log_funs::LogFuns;

use crate::error::Error;
use crate::signal::{Signal, SignalSet};
use crate::sys::{Guard, Lock};

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

pub(crate) use crate::callback::Callback;

/// Where a registration's log line goes when one of its signals arrives.
#[derive(Clone, Copy, Debug)]
pub enum Log {
    /// To the process's default log function, as it is when the signal
    /// arrives (`set_default_logfun`).
    Default,
    /// Nowhere.
    Silent,
    /// To this function.
    To(fn(&str)),
}

/// One registration.
pub(crate) struct Entry {
    pub(crate) callback: Callback,
    pub(crate) label: Label,
    /// The signals this registration listed (the union, if the function was
    /// registered more than once).
    pub(crate) signals: SignalSet,
    pub(crate) log: Log,
}

/// Names one registration, for [`Registry::remove`]: its slot, and the
/// slot's generation when it was made (a reused slot has a newer one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    slot: usize,
    generation: u32,
}

/// A registration taken out by [`Registry::remove`].
pub(crate) struct Removed {
    pub(crate) entry: Entry,
    /// The signals that no registration lists any more: to give back.
    pub(crate) released: SignalSet,
}

/// A slot of the slab. Links are four bytes to keep nodes small:
/// registering many closures is dominated by the page faults on the memory
/// the slab touches.
struct Node {
    entry: Option<Entry>,
    generation: u32,
    previous: Link,
    next: Link,
}

/// A slot index as stored in a node, or none.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Link(u32);

impl Link {
    const NONE: Link = Link(u32::MAX);

    fn to(slot: usize) -> Link {
        Link(
            u32::try_from(slot)
                .ok()
                .filter(|&s| s != u32::MAX)
                .expect("fewer than 2^32 - 1 registrations"),
        )
    }

    fn from(slot: Option<usize>) -> Link {
        slot.map_or(Link::NONE, Link::to)
    }

    fn slot(self) -> Option<usize> {
        (self != Link::NONE).then_some(self.0 as usize)
    }
}

pub(crate) struct Registry {
    nodes: Vec<Node>,
    /// Slots whose registration was removed, for reuse.
    free: Vec<usize>,
    /// The oldest and newest registrations still waiting to run.
    head: Option<usize>,
    tail: Option<usize>,
    /// Function identity to slot, so that registering a function again finds
    /// it without a scan. Created on first use (`HashMap::new` is not const).
    functions: Option<HashMap<Identity, usize, BuildHasherDefault<IdentityHasher>>>,
    /// For each signal number, how many registrations list it: when a
    /// removal brings it to zero, the signal is released.
    listeners: [u32; 64],
    /// Set when the exit functions start running: no registration after that.
    closed: bool,
}

/// The process's registrations. Also the lock that the `fork` handlers hold
/// across `fork()`, so a child never inherits them half-changed.
pub(crate) static REGISTRY: Lock<Registry> = Lock::new(Registry::new());

/// Locks the process's registrations.
pub(crate) fn lock() -> Guard<'static, Registry> {
    REGISTRY.lock()
}

impl Registry {
    pub(crate) const fn new() -> Registry {
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

    /// Adds `entry` as the newest registration or, for a function with an
    /// `identity` registered before, adds its signals to that registration,
    /// which keeps its place in the order. Fails once the exit functions have
    /// started.
    pub(crate) fn insert(
        &mut self,
        entry: Entry,
        identity: Option<Identity>,
    ) -> Result<Key, Error> {
        if self.closed {
            return Err(Error::ExitInProgress);
        }
        let Some(identity) = identity else {
            return Ok(self.push(entry));
        };
        // Out of `self` while it is used, so that one lookup serves both
        // the known function and the new one.
        let mut functions = self.functions.take().unwrap_or_default();
        let key = match functions.entry(identity) {
            hash_map::Entry::Vacant(vacant) => {
                let key = self.push(entry);
                vacant.insert(key.slot);
                key
            }
            hash_map::Entry::Occupied(known) => self.merge(*known.get(), &entry),
        };
        self.functions = Some(functions);
        Ok(key)
    }

    /// Adds the signals of `entry` to the registration in `slot`, of the
    /// same function.
    fn merge(&mut self, slot: usize, entry: &Entry) -> Key {
        let node = &mut self.nodes[slot];
        let generation = node.generation;
        let added = match &mut node.entry {
            Some(existing) => {
                let added = entry.signals.difference(existing.signals);
                existing.signals = existing.signals.union(entry.signals);
                added
            }
            None => SignalSet::default(),
        };
        self.listen(added);
        Key { slot, generation }
    }

    /// Removes the registration named by `key`, if it is still waiting to
    /// run, and reports the signals that no registration lists any more.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Removed> {
        let current = self
            .nodes
            .get(key.slot)
            .is_some_and(|node| node.generation == key.generation && node.entry.is_some());
        if !current {
            return None;
        }
        let entry = self.unlink(key.slot)?;
        let released = self.stop_listening(entry.signals);
        Some(Removed { entry, released })
    }

    /// The next exit function to run (the most recently registered of those
    /// left), taken out. The first call closes the registry.
    pub(crate) fn take_next(&mut self) -> Option<Entry> {
        if !self.closed {
            self.closed = true;
            // Emptied, not dropped: a forked child that reopens the registry
            // must not find the functions taken here, and freeing the table
            // would be the dispatcher's first call into malloc, which makes
            // glibc create an arena for it (four system calls and fresh
            // pages) in the middle of the exit.
            if let Some(functions) = &mut self.functions {
                functions.clear();
            }
        }
        let tail = self.tail?;
        self.unlink(tail)
    }

    /// Whether some registration lists `signal`.
    pub(crate) fn is_listed(&self, signal: Signal) -> bool {
        self.listeners[signal.as_raw() as usize] != 0
    }

    /// Whether the exit functions have started: nothing can be registered.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    #[cfg(unix)]
    /// In a forked child whose exit state went back to idle: accept
    /// registrations again.
    pub(crate) fn reopen(&mut self) {
        self.closed = false;
    }

    /// The distinct log functions of the registrations that list `signal`,
    /// in registration order, where [`Log::Default`] means `default`.
    /// Allocates only past eight distinct functions.
    pub(crate) fn logfuns_for(&self, signal: Signal, default: Option<fn(&str)>) -> LogFuns {
        let mut logfuns = LogFuns::default();
        for entry in self.entries().filter(|e| e.signals.contains(signal)) {
            let logfun = match entry.log {
                Log::Default => default,
                Log::Silent => None,
                Log::To(logfun) => Some(logfun),
            };
            if let Some(logfun) = logfun {
                logfuns.insert(logfun);
            }
        }
        logfuns
    }

    /// Counts `signals` as listed once more.
    fn listen(&mut self, signals: SignalSet) {
        for signal in signals.iter() {
            self.listeners[signal.as_raw() as usize] += 1;
        }
    }

    /// Counts `signals` as listed once less, and returns those that no
    /// registration lists any more.
    fn stop_listening(&mut self, signals: SignalSet) -> SignalSet {
        let mut released = SignalSet::default();
        for signal in signals.iter() {
            let listeners = &mut self.listeners[signal.as_raw() as usize];
            *listeners = listeners.saturating_sub(1);
            if *listeners == 0 {
                released.insert(signal);
            }
        }
        released
    }

    /// Appends `entry` as the newest registration.
    fn push(&mut self, entry: Entry) -> Key {
        self.listen(entry.signals);
        let node = Node {
            entry: Some(entry),
            generation: 0,
            previous: Link::from(self.tail),
            next: Link::NONE,
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
            Some(tail) => self.nodes[tail].next = Link::to(slot),
            None => self.head = Some(slot),
        }
        self.tail = Some(slot);
        Key {
            slot,
            generation: self.nodes[slot].generation,
        }
    }

    /// Unlinks the registration in `slot` and frees the slot.
    fn unlink(&mut self, slot: usize) -> Option<Entry> {
        let node = &mut self.nodes[slot];
        let entry = node.entry.take()?;
        node.generation = node.generation.wrapping_add(1);
        let previous = std::mem::replace(&mut node.previous, Link::NONE);
        let next = std::mem::replace(&mut node.next, Link::NONE);
        match previous.slot() {
            Some(previous) => self.nodes[previous].next = next,
            None => self.head = next.slot(),
        }
        match next.slot() {
            Some(next) => self.nodes[next].previous = previous,
            None => self.tail = previous.slot(),
        }
        // Once closed, slots are never reused, so that taking the next exit
        // function never allocates between a signal and its exit functions.
        if !self.closed {
            self.free.push(slot);
        }
        Some(entry)
    }

    /// The registrations waiting to run, oldest first.
    fn entries(&self) -> impl Iterator<Item = &Entry> {
        std::iter::successors(self.head, |&slot| self.nodes[slot].next.slot())
            .filter_map(|slot| self.nodes[slot].entry.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use super::*;

    /// The sizes BENCHMARKS.md gives for the memory a registration touches,
    /// on 64-bit targets: a slot (the entry, with its callback inline, and
    /// the list links) and a bucket of the table from identity to slot.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_slot_is_88_bytes_and_a_table_bucket_32() {
        assert_eq!(size_of::<Node>(), 88);
        assert_eq!(size_of::<(Identity, usize)>(), 32);
    }

    /// Where the `functions` map looks: hashbrown takes a bucket from the low
    /// bits and a tag from the top seven. Function addresses are aligned, so
    /// a hash that left them in place would crowd both.
    #[test]
    fn identities_hash_apart_in_the_low_and_the_top_bits() {
        use std::collections::HashSet;
        use std::hash::BuildHasher;
        let hasher = BuildHasherDefault::<IdentityHasher>::default();
        let hashes: Vec<u64> = (0..4096_usize)
            .map(|i| hasher.hash_one(Identity::Address(0x5555_0000 + 16 * i)))
            .chain([
                hasher.hash_one(Identity::Type(TypeId::of::<fn()>())),
                hasher.hash_one(Identity::Type(TypeId::of::<Registry>())),
            ])
            .collect();
        let distinct = |bits: fn(u64) -> u64| {
            hashes
                .iter()
                .map(|&h| bits(h))
                .collect::<HashSet<_>>()
                .len()
        };
        assert_eq!(distinct(|h| h), hashes.len());
        assert!(
            distinct(|h| h & 127) > 120,
            "low bits: {}",
            distinct(|h| h & 127)
        );
        assert!(
            distinct(|h| h >> 57) > 120,
            "top bits: {}",
            distinct(|h| h >> 57)
        );
    }

    const TERM: Signal = Signal::SIGTERM;
    const INT: Signal = Signal::SIGINT;
    const HUP: Signal = Signal::SIGHUP;

    fn set(signals: &[Signal]) -> SignalSet {
        signals.iter().copied().collect()
    }

    fn entry(callback: Callback, signals: &[Signal], log: Log) -> Entry {
        Entry {
            callback,
            label: Label::Name("test"),
            signals: set(signals),
            log,
        }
    }

    fn closure(signals: &[Signal]) -> Entry {
        entry(Callback::new(|| {}), signals, Log::Silent)
    }

    /// A function's entry and identity, as the function form makes them.
    fn function<F: Fn() + Send + Sync + 'static>(
        function: F,
        signals: &[Signal],
    ) -> (Entry, Option<Identity>) {
        let identity = Identity::of(&function);
        (
            entry(Callback::new(function), signals, Log::Silent),
            identity,
        )
    }

    /// Registers a function.
    fn add<F: Fn() + Send + Sync + 'static>(
        registry: &mut Registry,
        f: F,
        signals: &[Signal],
    ) -> Key {
        let (entry, identity) = function(f, signals);
        registry.insert(entry, identity).unwrap()
    }

    fn listeners(registry: &Registry, signal: Signal) -> u32 {
        registry.listeners[signal.as_raw() as usize]
    }

    /// The labels of the entries left to run, oldest first; each test entry
    /// is labelled by its registration index.
    fn order(registry: &Registry) -> Vec<&'static str> {
        registry
            .entries()
            .map(|e| match e.label {
                Label::Name(name) => name,
                Label::Caller(_) => "caller",
            })
            .collect()
    }

    fn named(name: &'static str, signals: &[Signal]) -> Entry {
        Entry {
            label: Label::Name(name),
            ..closure(signals)
        }
    }

    fn one() {}
    fn two() {
        std::hint::black_box(2);
    }

    #[test]
    fn a_function_registered_again_is_merged_and_keeps_its_place() {
        let mut registry = Registry::new();
        let first = add(&mut registry, one, &[TERM]);
        registry.insert(named("between", &[]), None).unwrap();
        let again = add(&mut registry, one, &[TERM, INT]);
        assert_eq!(first, again);
        assert_eq!(registry.entries().count(), 2);
        let merged = registry.entries().next().unwrap();
        assert_eq!(merged.signals, set(&[TERM, INT]));
        // Each registration counts once per signal it lists.
        assert_eq!(listeners(&registry, TERM), 1);
        assert_eq!(listeners(&registry, INT), 1);
    }

    #[test]
    fn distinct_functions_and_closures_are_never_merged() {
        let mut registry = Registry::new();
        let a = add(&mut registry, one, &[TERM]);
        let b = add(&mut registry, two, &[TERM]);
        let c = registry.insert(closure(&[TERM]), None).unwrap();
        let d = registry.insert(closure(&[TERM]), None).unwrap();
        assert_eq!(registry.entries().count(), 4);
        assert!(a != b && b != c && c != d);
        assert_eq!(listeners(&registry, TERM), 4);
    }

    fn same_body_a() {
        std::hint::black_box(7);
    }
    fn same_body_b() {
        std::hint::black_box(7);
    }

    #[test]
    fn a_function_is_known_by_its_type_not_its_address() {
        assert_eq!(Identity::of(&one), Identity::of(&one));
        assert_ne!(Identity::of(&same_body_a), Identity::of(&same_body_b));
        let non_capturing = || {};
        assert!(matches!(
            Identity::of(&non_capturing),
            Some(Identity::Type(_))
        ));
        // A `fn()` value carries only its address.
        let pointer: fn() = one;
        assert_eq!(
            Identity::of(&pointer),
            Some(Identity::Address(pointer as usize))
        );
        // A closure that captures has no identity: each registration stands alone.
        let captured = String::from("x");
        let capturing = move || assert!(!captured.is_empty());
        assert_eq!(Identity::of(&capturing), None);
        let mut registry = Registry::new();
        let path = String::from("/tmp/a");
        let first = add(&mut registry, move || assert!(!path.is_empty()), &[]);
        let path = String::from("/tmp/b");
        let second = add(&mut registry, move || assert!(!path.is_empty()), &[]);
        assert_ne!(first, second);
        assert_eq!(registry.entries().count(), 2);
    }

    #[test]
    fn removing_reports_only_the_signals_nobody_lists_any_more() {
        let mut registry = Registry::new();
        let term_int = registry.insert(closure(&[TERM, INT]), None).unwrap();
        let term = registry.insert(closure(&[TERM]), None).unwrap();
        let removed = registry.remove(term_int).unwrap();
        assert_eq!(removed.released, set(&[INT]));
        assert_eq!(listeners(&registry, TERM), 1);
        let removed = registry.remove(term).unwrap();
        assert_eq!(removed.released, set(&[TERM]));
        assert_eq!(registry.entries().count(), 0);
    }

    #[test]
    fn a_signal_still_listed_by_a_function_is_not_released() {
        let mut registry = Registry::new();
        add(&mut registry, one, &[HUP]);
        let closure = registry.insert(closure(&[HUP]), None).unwrap();
        assert_eq!(registry.remove(closure).unwrap().released, set(&[]));
        assert_eq!(listeners(&registry, HUP), 1);
    }

    #[test]
    fn removing_from_any_place_keeps_the_order_of_the_rest() {
        let mut registry = Registry::new();
        let names = ["a", "b", "c", "d", "e"];
        let keys: Vec<Key> = names
            .iter()
            .map(|name| registry.insert(named(name, &[]), None).unwrap())
            .collect();
        for index in [2, 0, 4] {
            assert!(registry.remove(keys[index]).is_some());
        }
        assert_eq!(order(&registry), ["b", "d"]);
        assert!(registry.remove(keys[2]).is_none(), "removed once only");
    }

    #[test]
    fn a_reused_slot_gets_a_new_generation_and_the_old_key_misses() {
        let mut registry = Registry::new();
        let first = registry.insert(named("first", &[]), None).unwrap();
        registry.remove(first).unwrap();
        let second = registry.insert(named("second", &[]), None).unwrap();
        assert_eq!(first.slot, second.slot);
        assert_ne!(first, second);
        assert!(
            registry.remove(first).is_none(),
            "a stale key removes nothing"
        );
        assert_eq!(order(&registry), ["second"]);
    }

    #[test]
    fn taking_runs_newest_first_and_closes_the_registry() {
        let mut registry = Registry::new();
        for name in ["old", "middle", "new"] {
            registry.insert(named(name, &[TERM]), None).unwrap();
        }
        let taken: Vec<_> = std::iter::from_fn(|| registry.take_next())
            .map(|entry| entry.label.to_string())
            .collect();
        assert_eq!(
            taken,
            [
                "exit function `new`",
                "exit function `middle`",
                "exit function `old`"
            ]
        );
        assert!(registry.is_closed());
        assert!(matches!(
            registry.insert(named("late", &[]), None),
            Err(Error::ExitInProgress)
        ));
        // A slot freed after closing is not reused (no allocation on the
        // exit path).
        assert!(registry.free.is_empty());
        // A forked child's registry, reopened, accepts registrations again.
        #[cfg(unix)]
        {
            registry.reopen();
            assert!(registry.insert(named("after fork", &[]), None).is_ok());
        }
    }

    #[test]
    fn a_removed_entry_is_never_taken() {
        let mut registry = Registry::new();
        registry.insert(named("kept", &[]), None).unwrap();
        let gone = registry.insert(named("gone", &[]), None).unwrap();
        registry.remove(gone).unwrap();
        let taken: Vec<_> = std::iter::from_fn(|| registry.take_next())
            .map(|entry| entry.label.to_string())
            .collect();
        assert_eq!(taken, ["exit function `kept`"]);
    }

    fn log_a(_: &str) {}
    fn log_b(_: &str) {
        std::hint::black_box(1);
    }

    /// `log_a` and `log_b` as pointers, each taken once: Rust does not
    /// promise that two pointers to one function are equal (Miri makes
    /// them differ), and the registry tells log functions apart by value.
    fn log_pointers() -> [fn(&str); 2] {
        [log_a, log_b]
    }

    #[test]
    fn log_functions_are_distinct_in_order_and_only_for_the_signal() {
        let [log_a, log_b] = log_pointers();
        let mut registry = Registry::new();
        let closure = || Callback::new(|| {});
        registry
            .insert(
                entry(Callback::new(one), &[TERM], Log::To(log_b)),
                Identity::of(&one),
            )
            .unwrap();
        registry
            .insert(
                entry(Callback::new(two), &[TERM, INT], Log::To(log_a)),
                Identity::of(&two),
            )
            .unwrap();
        registry
            .insert(entry(closure(), &[TERM], Log::To(log_b)), None)
            .unwrap();
        registry
            .insert(entry(closure(), &[TERM], Log::Silent), None)
            .unwrap();
        let addresses =
            |logfuns: LogFuns| -> Vec<usize> { logfuns.iter().map(|f| f as usize).collect() };
        let (a, b) = (log_a as usize, log_b as usize);
        assert_eq!(addresses(registry.logfuns_for(TERM, None)), [b, a]);
        assert_eq!(addresses(registry.logfuns_for(INT, None)), [a]);
        assert_eq!(addresses(registry.logfuns_for(HUP, None)), []);
    }

    #[test]
    fn the_default_log_function_is_looked_up_and_counted_once() {
        let [log_a, log_b] = log_pointers();
        let mut registry = Registry::new();
        let closure = || Callback::new(|| {});
        registry
            .insert(entry(closure(), &[TERM], Log::Default), None)
            .unwrap();
        registry
            .insert(entry(closure(), &[TERM], Log::Default), None)
            .unwrap();
        registry
            .insert(entry(closure(), &[TERM], Log::To(log_a)), None)
            .unwrap();
        let addresses =
            |logfuns: LogFuns| -> Vec<usize> { logfuns.iter().map(|f| f as usize).collect() };
        let (a, b) = (log_a as usize, log_b as usize);
        // Two registrations with the default: one line.
        assert_eq!(addresses(registry.logfuns_for(TERM, Some(log_b))), [b, a]);
        // The default is the function another registration named: one call.
        assert_eq!(addresses(registry.logfuns_for(TERM, Some(log_a))), [a]);
        // No default: only the named one.
        assert_eq!(addresses(registry.logfuns_for(TERM, None)), [a]);
    }

    #[test]
    fn more_than_eight_log_functions_spill_over_in_order() {
        let mut logfuns = LogFuns::default();
        let functions: Vec<fn(&str)> = vec![
            |_| {},
            |_| println!("1"),
            |_| println!("2"),
            |_| println!("3"),
            |_| println!("4"),
            |_| println!("5"),
            |_| println!("6"),
            |_| println!("7"),
            |_| println!("8"),
            |_| println!("9"),
        ];
        for &f in functions.iter().chain(&functions) {
            logfuns.insert(f);
        }
        let kept: Vec<usize> = logfuns.iter().map(|f| f as usize).collect();
        let expected: Vec<usize> = functions.iter().map(|&f| f as usize).collect();
        assert_eq!(kept, expected);
    }
}
