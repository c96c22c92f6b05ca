//! The table of signals exit-attr can hook: names, numbers, and which of them
//! it refuses to hook at run time.

use std::fmt;
use std::os::raw::c_int;
use std::str::FromStr;

use exit_attr_signals::Refusal;

use crate::error::Error;

/// A signal that can be caught and whose default action ends the process.
///
/// These are the only signals worth running exit functions for: `SIGKILL`
/// and `SIGSTOP` cannot be caught, and signals such as `SIGCHLD` or
/// `SIGWINCH` do not end the process unless someone asks them to. The
/// associated constants are named as in POSIX; those that exist only on some
/// platforms (`SIGPWR`, `SIGSTKFLT`, `SIGIO`, ...) are there only on them.
///
/// On Windows, which has no POSIX signals, `Signal` has four constants,
/// one for each console control event (the mapping .NET's
/// `PosixSignalRegistration` uses): [`SIGINT`](Signal::SIGINT) is Ctrl-C,
/// [`SIGQUIT`](Signal::SIGQUIT) Ctrl-Break, [`SIGHUP`](Signal::SIGHUP) the
/// console window closed, and [`SIGTERM`](Signal::SIGTERM) the user logging
/// off or the system shutting down.
///
/// ```
/// use exit_attr::Signal;
///
/// let term: Signal = "SIGTERM".parse()?;
/// assert_eq!(term, Signal::SIGTERM);
/// assert_eq!(term.as_raw(), libc::SIGTERM);
/// assert_eq!(term.to_string(), "SIGTERM");
/// assert_eq!(Signal::try_from(libc::SIGINT)?, Signal::SIGINT);
/// assert!("SIGKILL".parse::<Signal>().is_err());
/// # Ok::<(), exit_attr::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(c_int);

/// Expands the shared table (the `exit-attr-signals` crate) into
/// `Signal`'s constants, each on the targets where it exists, and the
/// numbers of the signals it refuses.
macro_rules! signal_constants {
    (
        accepted { $( $name:ident [$where:meta]: $doc:literal; )* }
        refused { $( $refused:ident: $refusal:ident; )* }
    ) => {
        impl Signal {
            $(
                #[doc = $doc]
                #[cfg($where)]
                pub const $name: Signal = Signal(raw::$name);
            )*

            /// Every signal of this platform that exit-attr knows, in
            /// ascending order of number.
            ///
            /// ```
            /// use exit_attr::Signal;
            ///
            /// assert!(Signal::ALL.contains(&Signal::SIGTERM));
            /// assert!(Signal::ALL.windows(2).all(|w| w[0] < w[1]));
            /// ```
            pub const ALL: &'static [Signal] = &sorted([
                $( #[cfg($where)] Signal::$name, )*
            ]);

            /// The signal's POSIX name, such as `"SIGTERM"`.
            ///
            /// ```
            /// assert_eq!(exit_attr::Signal::SIGINT.name(), "SIGINT");
            /// ```
            pub fn name(self) -> &'static str {
                $(
                    #[cfg($where)]
                    if self == Signal::$name {
                        return stringify!($name);
                    }
                )*
                unreachable!("a Signal is only ever built from the table")
            }
        }

        /// The numbers and names of the signals that are not `Signal`s
        /// (why each is refused is the table's `refusal`). Windows has no
        /// numbers for them.
        #[cfg(unix)]
        const REFUSED: &[(c_int, &str)] = &[
            $( (libc::$refused, stringify!($refused)), )*
        ];
        #[cfg(not(unix))]
        const REFUSED: &[(c_int, &str)] = &[];
    };
}

exit_attr_signals::signal_table!(signal_constants);

/// Where the constants' numbers come from: the C library's on Unix.
#[cfg(unix)]
use libc as raw;

/// On Windows, the C runtime's numbers where it has one (`SIGINT`,
/// `SIGTERM`, and `SIGBREAK` for Ctrl-Break, which stands for `SIGQUIT`),
/// and POSIX's for `SIGHUP`, which it lacks.
#[cfg(windows)]
mod raw {
    use std::os::raw::c_int;

    pub(super) const SIGHUP: c_int = 1;
    pub(super) const SIGINT: c_int = 2;
    /// The C runtime's `SIGBREAK`.
    pub(super) const SIGQUIT: c_int = 21;
    pub(super) const SIGTERM: c_int = 15;
}

/// `signals`, sorted by number: the table is in POSIX order, and numbers
/// differ between platforms.
const fn sorted<const N: usize>(mut signals: [Signal; N]) -> [Signal; N] {
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && signals[j - 1].0 > signals[j].0 {
            let swapped = signals[j - 1];
            signals[j - 1] = signals[j];
            signals[j] = swapped;
            j -= 1;
        }
        i += 1;
    }
    signals
}

impl Signal {
    /// The signal's number on this platform, as `libc` and `kill(2)` use it.
    ///
    /// ```
    /// assert_eq!(exit_attr::Signal::SIGTERM.as_raw(), libc::SIGTERM);
    /// ```
    pub fn as_raw(self) -> c_int {
        self.0
    }

    /// The bit of this signal in a [`SignalSet`].
    fn bit(self) -> u64 {
        // Every number in the table is below 64 (checked by a unit test).
        1 << self.0
    }
}

/// The name of a signal number that is not a [`Signal`], for messages.
pub(crate) fn raw_name(raw: c_int) -> Option<&'static str> {
    REFUSED
        .iter()
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
            return Ok(signal);
        }
        match raw_name(raw).and_then(exit_attr_signals::refusal) {
            Some(Refusal::Uncatchable) => Err(Error::Uncatchable(raw)),
            Some(Refusal::NonTerminating) => Err(Error::NonTerminating(raw)),
            Some(Refusal::SynchronousFault) => Err(Error::SynchronousFault(raw)),
            None => Err(Error::NotASignal(raw)),
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
        if let Some(&(raw, _)) = REFUSED.iter().find(|(_, name)| matches(name)) {
            return Signal::try_from(raw);
        }
        // A name of the table that is not a signal here: one that exists
        // only elsewhere (`SIGPWR` off Linux, `SIGUSR1` on Windows), or a
        // refused one where the platform has no number for it.
        let known = exit_attr_signals::ACCEPTED
            .iter()
            .map(|&(name, _)| name)
            .chain(exit_attr_signals::REFUSED.iter().map(|&(name, _)| name))
            .find(|name| matches(name));
        match known {
            Some(name) => Err(Error::NotOnThisPlatform(name)),
            None => Err(Error::UnknownSignalName(s.to_owned())),
        }
    }
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

    /// On Linux the table is already in number order, so the table's own
    /// test cannot tell a sort from none: this one starts from orders that
    /// need swaps (the platforms whose numbers differ need them).
    #[test]
    fn sorting_puts_any_order_in_number_order() {
        let numbers = |signals: &[Signal]| signals.iter().map(|s| s.0).collect::<Vec<_>>();
        let sorted_from = |raw: [c_int; 5]| numbers(&sorted(raw.map(Signal)));
        assert_eq!(sorted_from([15, 1, 3, 2, 9]), [1, 2, 3, 9, 15]);
        assert_eq!(sorted_from([15, 9, 3, 2, 1]), [1, 2, 3, 9, 15]);
        assert_eq!(sorted_from([1, 2, 3, 9, 15]), [1, 2, 3, 9, 15]);
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
    fn rejects_numbers_that_are_not_signals() {
        for raw in [0, -1, c_int::MIN, c_int::MAX, 64, 65, 1000] {
            assert!(matches!(Signal::try_from(raw), Err(Error::NotASignal(n)) if n == raw));
        }
    }

    #[cfg(unix)]
    #[test]
    fn rejects_the_numbers_of_refused_signals_with_the_reason() {
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
        for fault in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGTRAP,
        ] {
            assert!(
                matches!(Signal::try_from(fault), Err(Error::SynchronousFault(n)) if n == fault)
            );
        }
    }

    #[test]
    fn parses_names_leniently_and_rejects_unknown_ones() {
        assert_eq!("TERM".parse::<Signal>().unwrap(), Signal::SIGTERM);
        assert_eq!(" sigint ".parse::<Signal>().unwrap(), Signal::SIGINT);
        for bad in ["", "SIG", "SIGFOO", "15", "SIGTERM2", "SIG TERM"] {
            assert!(
                matches!(bad.parse::<Signal>(), Err(Error::UnknownSignalName(_))),
                "{bad}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn parsing_a_refused_name_gives_the_reason() {
        assert!(matches!(
            "SIGKILL".parse::<Signal>(),
            Err(Error::Uncatchable(9))
        ));
        assert!(matches!(
            "winch".parse::<Signal>(),
            Err(Error::NonTerminating(_))
        ));
        assert!(matches!(
            "SIGSEGV".parse::<Signal>(),
            Err(Error::SynchronousFault(n)) if n == libc::SIGSEGV
        ));
    }

    /// A name of the table that exists elsewhere but not here.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    #[test]
    fn a_signal_of_another_platform_is_not_on_this_one() {
        assert!(matches!(
            "SIGPWR".parse::<Signal>(),
            Err(Error::NotOnThisPlatform("SIGPWR"))
        ));
    }

    /// Windows has the four console events' signals, with the C runtime's
    /// numbers where it has them, and no other.
    #[cfg(windows)]
    #[test]
    fn windows_has_exactly_the_four_console_signals() {
        assert_eq!(
            Signal::ALL,
            [
                Signal::SIGHUP,
                Signal::SIGINT,
                Signal::SIGTERM,
                Signal::SIGQUIT
            ]
        );
        assert_eq!(Signal::SIGINT.as_raw(), libc::SIGINT);
        assert_eq!(Signal::SIGTERM.as_raw(), libc::SIGTERM);
        for name in ["SIGUSR1", "SIGKILL", "SIGABRT", "usr2"] {
            assert!(
                matches!(name.parse::<Signal>(), Err(Error::NotOnThisPlatform(_))),
                "{name}"
            );
        }
        let message = "SIGUSR1".parse::<Signal>().unwrap_err().to_string();
        assert!(
            message.contains("on Windows it hooks SIGINT (Ctrl-C)"),
            "{message}"
        );
    }

    /// The attribute accepts exactly the names of the table's `ACCEPTED`
    /// (tested in the macro crate); on Linux, those are `Signal`'s, and
    /// elsewhere a subset (`SIGPWR` and the like are Linux's; Windows has
    /// four).
    #[test]
    fn signal_has_the_names_a_registration_accepts() {
        let mut names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        let mut accepted: Vec<&str> = exit_attr_signals::ACCEPTED
            .iter()
            .map(|&(name, _)| name)
            .collect();
        accepted.sort_unstable();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(names, accepted);
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        assert!(names.iter().all(|name| accepted.contains(name)));
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
