//! The table of signals exit-attr can hook: names, numbers, and which of them
//! it refuses to hook at run time.

use std::fmt;
use std::os::raw::c_int;
use std::str::FromStr;

use crate::error::Error;

/// A signal that can be caught and whose default action ends the process.
///
/// These are the only signals worth running exit functions for: `SIGKILL`
/// and `SIGSTOP` cannot be caught, and signals such as `SIGCHLD` or
/// `SIGWINCH` do not end the process unless someone asks them to. The
/// associated constants are named as in POSIX; those that exist only on some
/// platforms (`SIGPWR`, `SIGSTKFLT`, `SIGIO`, ...) are there only on them.
///
/// ```
/// use exit_attr::Signal;
///
/// let term: Signal = "SIGTERM".parse()?;
/// assert_eq!(term, Signal::SIGTERM);
/// assert_eq!(term.as_raw(), libc::SIGTERM);
/// assert_eq!(term.to_string(), "SIGTERM");
/// assert_eq!(Signal::try_from(libc::SIGINT)?, Signal::SIGINT);
/// assert!(Signal::try_from(libc::SIGKILL).is_err());
/// # Ok::<(), exit_attr::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(c_int);

macro_rules! signal_table {
    ($( $(#[$cfg:meta])* $name:ident: $doc:literal; )*) => {
        impl Signal {
            $(
                #[doc = $doc]
                $(#[$cfg])*
                pub const $name: Signal = Signal(libc::$name);
            )*

            /// Every signal of this platform that exit-attr knows, in
            /// ascending order of number.
            ///
            /// ```
            /// use exit_attr::Signal;
            ///
            /// assert!(Signal::ALL.contains(&Signal::SIGHUP));
            /// assert!(Signal::ALL.windows(2).all(|w| w[0] < w[1]));
            /// ```
            pub const ALL: &'static [Signal] = &[ $( $(#[$cfg])* Signal::$name, )* ];

            /// The signal's POSIX name, such as `"SIGTERM"`.
            ///
            /// ```
            /// assert_eq!(exit_attr::Signal::SIGHUP.name(), "SIGHUP");
            /// ```
            pub fn name(self) -> &'static str {
                $(
                    $(#[$cfg])*
                    if self == Signal::$name {
                        return stringify!($name);
                    }
                )*
                unreachable!("a Signal is only ever built from the table")
            }
        }
    };
}

signal_table! {
    SIGHUP: "Hangup: the controlling terminal went away, or a daemon is asked to reload.";
    SIGINT: "Interrupt from the keyboard (Ctrl-C).";
    SIGQUIT: "Quit from the keyboard (Ctrl-\\); the default action also dumps core.";
    SIGILL: "Illegal instruction. A synchronous fault: it cannot be hooked.";
    SIGTRAP: "Trace or breakpoint trap. A synchronous fault: it cannot be hooked.";
    SIGABRT: "Abort, as raised by `abort()` and by a panic under `panic = \"abort\"`.";
    SIGBUS: "Bus error. A synchronous fault: it cannot be hooked.";
    SIGFPE: "Arithmetic exception. A synchronous fault: it cannot be hooked.";
    SIGUSR1: "User-defined signal 1.";
    SIGSEGV: "Invalid memory reference. A synchronous fault: it cannot be hooked.";
    SIGUSR2: "User-defined signal 2.";
    SIGPIPE: "Write to a pipe with no reader. Rust programs ignore it from `main` on, so it is usually left ignored.";
    SIGALRM: "Timer signal from `alarm()`.";
    SIGTERM: "Termination request: what `kill`, systemd and container runtimes send first.";
    #[cfg(any(target_os = "linux", target_os = "android"))]
    SIGSTKFLT: "Stack fault on a coprocessor (Linux, unused).";
    SIGXCPU: "CPU time limit exceeded.";
    SIGXFSZ: "File size limit exceeded.";
    SIGVTALRM: "Virtual alarm clock.";
    SIGPROF: "Profiling timer expired.";
    #[cfg(any(target_os = "linux", target_os = "android"))]
    SIGIO: "I/O is possible on a descriptor (Linux, where its default action ends the process).";
    #[cfg(any(target_os = "linux", target_os = "android"))]
    SIGPWR: "Power failure (Linux).";
    SIGSYS: "Bad system call.";
}

/// Signals whose default action does not end the process: there is nothing
/// to clean up when they arrive, so they are not `Signal`s.
const NON_TERMINATING: &[(c_int, &str)] = &[
    (libc::SIGCHLD, "SIGCHLD"),
    (libc::SIGCONT, "SIGCONT"),
    (libc::SIGTSTP, "SIGTSTP"),
    (libc::SIGTTIN, "SIGTTIN"),
    (libc::SIGTTOU, "SIGTTOU"),
    (libc::SIGURG, "SIGURG"),
    (libc::SIGWINCH, "SIGWINCH"),
];

/// Signals that no process can catch.
const UNCATCHABLE: &[(c_int, &str)] = &[(libc::SIGKILL, "SIGKILL"), (libc::SIGSTOP, "SIGSTOP")];

/// Synchronous fault signals: they are delivered to the thread that faulted,
/// which cannot wait for cleanup to finish, and Rust's own stack-overflow
/// handler must keep `SIGSEGV` and `SIGBUS`.
const SYNCHRONOUS_FAULTS: &[Signal] = &[
    Signal::SIGILL,
    Signal::SIGTRAP,
    Signal::SIGBUS,
    Signal::SIGFPE,
    Signal::SIGSEGV,
];

impl Signal {
    /// The signal's number on this platform, as `libc` and `kill(2)` use it.
    ///
    /// ```
    /// assert_eq!(exit_attr::Signal::SIGTERM.as_raw(), libc::SIGTERM);
    /// ```
    pub fn as_raw(self) -> c_int {
        self.0
    }

    /// Whether exit-attr can hook this signal, or why it cannot.
    pub(crate) fn check_hookable(self) -> Result<(), Error> {
        if SYNCHRONOUS_FAULTS.contains(&self) {
            Err(Error::SynchronousFault(self))
        } else {
            Ok(())
        }
    }

    /// The bit of this signal in a [`SignalSet`].
    fn bit(self) -> u64 {
        // Every number in the table is below 64 (checked by a unit test).
        1 << self.0
    }
}

/// The name of a signal number that is not a [`Signal`], for messages.
pub(crate) fn raw_name(raw: c_int) -> Option<&'static str> {
    NON_TERMINATING
        .iter()
        .chain(UNCATCHABLE)
        .find(|&&(number, _)| number == raw)
        .map(|&(_, name)| name)
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// Prints the POSIX name, such as `SIGTERM`.
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Converts a raw signal number.
///
/// Fails for numbers that are not signals on this platform (including 0 and
/// negative numbers), for `SIGKILL` and `SIGSTOP`, which cannot be caught,
/// and for signals whose default action does not end the process.
impl TryFrom<c_int> for Signal {
    type Error = Error;

    fn try_from(raw: c_int) -> Result<Self, Error> {
        if let Some(&signal) = Signal::ALL.iter().find(|s| s.0 == raw) {
            Ok(signal)
        } else if UNCATCHABLE.iter().any(|&(number, _)| number == raw) {
            Err(Error::Uncatchable(raw))
        } else if NON_TERMINATING.iter().any(|&(number, _)| number == raw) {
            Err(Error::NonTerminating(raw))
        } else {
            Err(Error::NotASignal(raw))
        }
    }
}

/// Parses a signal name, as printed by `Display`.
///
/// The `SIG` prefix is optional and case is ignored, as with `kill -s`:
/// `"SIGTERM"`, `"TERM"` and `"sigterm"` all parse to [`Signal::SIGTERM`].
/// Unknown names fail with [`Error::UnknownSignalName`], whose message
/// suggests the closest known name.
///
/// ```
/// use exit_attr::Signal;
///
/// assert_eq!("hup".parse::<Signal>()?, Signal::SIGHUP);
/// let err = "SIGTREM".parse::<Signal>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown signal name `SIGTREM`; did you mean `SIGTERM`?");
/// # Ok::<(), exit_attr::Error>(())
/// ```
impl FromStr for Signal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.trim();
        let matches = |name: &str| {
            name.eq_ignore_ascii_case(wanted)
                || name
                    .strip_prefix("SIG")
                    .is_some_and(|bare| bare.eq_ignore_ascii_case(wanted))
        };
        if let Some(&signal) = Signal::ALL.iter().find(|s| matches(s.name())) {
            return Ok(signal);
        }
        match NON_TERMINATING
            .iter()
            .chain(UNCATCHABLE)
            .find(|(_, name)| matches(name))
        {
            Some(&(raw, _)) => Signal::try_from(raw),
            None => Err(Error::UnknownSignalName(s.to_owned())),
        }
    }
}

/// The known signal name closest to `name`, if one is close enough to be
/// what was meant.
pub(crate) fn closest_name(name: &str) -> Option<&'static str> {
    let wanted = name.trim().to_ascii_uppercase();
    let wanted = if wanted.starts_with("SIG") {
        wanted
    } else {
        format!("SIG{wanted}")
    };
    Signal::ALL
        .iter()
        .map(|s| s.name())
        .chain(NON_TERMINATING.iter().chain(UNCATCHABLE).map(|&(_, n)| n))
        .map(|candidate| (edit_distance(&wanted, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, with a transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    // Rows i-2, i-1 and i of the dynamic-programming table.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// A set of [`Signal`]s, as a bit mask indexed by signal number.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct SignalSet(u64);

impl SignalSet {
    pub(crate) fn insert(&mut self, signal: Signal) {
        self.0 |= signal.bit();
    }

    pub(crate) fn contains(self, signal: Signal) -> bool {
        self.0 & signal.bit() != 0
    }

    pub(crate) fn union(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 | other.0)
    }

    /// The signals in `self` and not in `other`.
    pub(crate) fn difference(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & !other.0)
    }

    /// The signals in the set, in ascending order of number: one step per
    /// member, not per known signal (registration calls it every time).
    pub(crate) fn iter(self) -> impl Iterator<Item = Signal> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let number = bits.trailing_zeros();
            bits &= bits - 1;
            // Only `Signal`s are ever inserted, so the bit names one.
            Some(Signal(number as c_int))
        })
    }
}

impl FromIterator<Signal> for SignalSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(signals: I) -> Self {
        let mut set = SignalSet::default();
        signals.into_iter().for_each(|s| set.insert(s));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_fits_a_signal_set() {
        assert!(Signal::ALL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(Signal::ALL.iter().all(|s| (1..64).contains(&s.0)));
    }

    #[test]
    fn every_signal_round_trips_through_its_name_and_number() {
        for &signal in Signal::ALL {
            assert_eq!(signal.name().parse::<Signal>().unwrap(), signal);
            assert_eq!(Signal::try_from(signal.as_raw()).unwrap(), signal);
            assert_eq!(signal.to_string(), signal.name());
        }
    }

    #[test]
    fn rejects_numbers_that_are_not_hookable_signals() {
        for raw in [0, -1, c_int::MIN, c_int::MAX, 64, 65, 1000] {
            assert!(matches!(Signal::try_from(raw), Err(Error::NotASignal(n)) if n == raw));
        }
        assert!(matches!(
            Signal::try_from(libc::SIGKILL),
            Err(Error::Uncatchable(_))
        ));
        assert!(matches!(
            Signal::try_from(libc::SIGSTOP),
            Err(Error::Uncatchable(_))
        ));
        assert!(matches!(
            Signal::try_from(libc::SIGCHLD),
            Err(Error::NonTerminating(_))
        ));
    }

    #[test]
    fn parses_names_leniently_and_rejects_unknown_ones() {
        assert_eq!("TERM".parse::<Signal>().unwrap(), Signal::SIGTERM);
        assert_eq!(" sigint ".parse::<Signal>().unwrap(), Signal::SIGINT);
        assert!(matches!(
            "SIGKILL".parse::<Signal>(),
            Err(Error::Uncatchable(9))
        ));
        assert!(matches!(
            "winch".parse::<Signal>(),
            Err(Error::NonTerminating(_))
        ));
        for bad in ["", "SIG", "SIGFOO", "15", "SIGTERM2", "SIG TERM"] {
            assert!(
                matches!(bad.parse::<Signal>(), Err(Error::UnknownSignalName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(closest_name("SIGTREM"), Some("SIGTERM"));
        assert_eq!(closest_name("hup"), Some("SIGHUP"));
        assert_eq!(closest_name("SIGUSR3"), Some("SIGUSR1"));
        assert_eq!(closest_name("SIGKIL"), Some("SIGKILL"));
        assert_eq!(closest_name("NOTHING_LIKE_IT"), None);
    }

    #[test]
    fn signal_set_holds_what_was_inserted() {
        let set: SignalSet = [Signal::SIGTERM, Signal::SIGHUP].into_iter().collect();
        assert!(set.contains(Signal::SIGTERM) && set.contains(Signal::SIGHUP));
        assert!(!set.contains(Signal::SIGINT));
        let more: SignalSet = [Signal::SIGINT].into_iter().collect();
        assert!(set.union(more).contains(Signal::SIGINT));
        assert_eq!(set.union(more).difference(set), more);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Signal::SIGHUP, Signal::SIGTERM]
        );
    }
}
