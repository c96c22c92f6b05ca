//! The public API on bad input, in this process (no fixture): every
//! failure is an `Err` whose message says what is wrong, in lowercase and
//! without a final period; `Signal` is a small `Copy + Eq + Hash + Debug`
//! value that prints its name.

use std::collections::HashSet;
use std::os::raw::c_int;

use exit_attr::{Error, Signal};

/// The message follows rustc style: no capital at the start (signal names
/// excepted) and no final period.
fn assert_style(error: &Error) {
    let message = error.to_string();
    assert!(!message.ends_with('.'), "{message}");
    let starts_lowercase = message.starts_with(|c: char| !c.is_ascii_uppercase());
    assert!(starts_lowercase || message.starts_with("SIG"), "{message}");
}

#[test]
fn numbers_that_are_not_signals_are_rejected() {
    let rtmin = libc::SIGRTMIN();
    for raw in [0, -1, c_int::MIN, c_int::MAX, 64, rtmin] {
        let error = Signal::try_from(raw).unwrap_err();
        assert!(
            matches!(error, Error::NotASignal(n) if n == raw),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("{raw} is not a signal that exit-attr can hook on this platform")
        );
        assert_style(&error);
    }
}

#[test]
fn sigkill_and_sigstop_cannot_be_caught() {
    for (raw, message) in [
        (
            libc::SIGKILL,
            "SIGKILL (9) cannot be caught, so no exit function can run for it",
        ),
        (
            libc::SIGSTOP,
            "SIGSTOP (19) cannot be caught, so no exit function can run for it",
        ),
    ] {
        let error = Signal::try_from(raw).unwrap_err();
        assert!(
            matches!(error, Error::Uncatchable(n) if n == raw),
            "{error:?}"
        );
        assert_eq!(error.to_string(), message);
        assert_style(&error);
    }
}

#[test]
fn signals_that_do_not_end_the_process_are_rejected() {
    let error = Signal::try_from(libc::SIGCHLD).unwrap_err();
    assert!(matches!(error, Error::NonTerminating(n) if n == libc::SIGCHLD));
    assert_eq!(
        error.to_string(),
        "SIGCHLD (17) does not end the process by default, so there is nothing to clean up"
    );
    assert_style(&error);
    assert!(matches!(
        "SIGWINCH".parse::<Signal>(),
        Err(Error::NonTerminating(n)) if n == libc::SIGWINCH
    ));
}

#[test]
fn a_misspelt_name_suggests_the_closest_one() {
    let error = "SIGTREM".parse::<Signal>().unwrap_err();
    assert!(matches!(&error, Error::UnknownSignalName(name) if name == "SIGTREM"));
    assert_eq!(
        error.to_string(),
        "unknown signal name `SIGTREM`; did you mean `SIGTERM`?"
    );
    assert_style(&error);
    let error = "NOTHING_LIKE_IT".parse::<Signal>().unwrap_err();
    assert_eq!(error.to_string(), "unknown signal name `NOTHING_LIKE_IT`");
}

#[test]
fn names_parse_as_kill_accepts_them() {
    for name in ["SIGTERM", "TERM", "sigterm", "term"] {
        assert_eq!(name.parse::<Signal>().unwrap(), Signal::SIGTERM, "{name}");
    }
    assert!(matches!(
        "SIGKILL".parse::<Signal>(),
        Err(Error::Uncatchable(9))
    ));
}

/// Registering never sees a synchronous fault signal: none is a `Signal`,
/// so the only way to name one, a number or a name, is refused.
#[test]
fn synchronous_fault_signals_are_not_signals() {
    for (raw, name) in [
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGTRAP, "SIGTRAP"),
    ] {
        for error in [
            Signal::try_from(raw).unwrap_err(),
            name.parse::<Signal>().unwrap_err(),
        ] {
            assert!(
                matches!(error, Error::SynchronousFault(n) if n == raw),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!(
                    "{name} ({raw}) is a synchronous fault signal: the faulting thread cannot wait for exit functions"
                )
            );
            assert_style(&error);
        }
    }
}

#[test]
fn error_is_a_standard_error() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::NotASignal(0));
    assert!(boxed.source().is_none());
    assert_eq!(
        boxed.to_string(),
        "0 is not a signal that exit-attr can hook on this platform"
    );
}

#[test]
fn signal_is_a_copyable_hashable_value_that_prints_its_name() {
    fn assert_traits<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    assert_traits::<Signal>();
    let term = Signal::SIGTERM;
    let copy = term;
    assert_eq!(term, copy);
    let set: HashSet<Signal> = [Signal::SIGTERM, Signal::SIGINT, copy]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&Signal::try_from(libc::SIGINT).unwrap()));
    assert_eq!(term.to_string(), "SIGTERM");
    assert_eq!(term.name(), "SIGTERM");
    assert_eq!(term.as_raw(), libc::SIGTERM);
    assert_eq!(format!("{:<8}|", Signal::SIGHUP), "SIGHUP  |");
    assert!(format!("{term:?}").contains("SIGTERM"), "{term:?}");
    for &signal in Signal::ALL {
        assert_eq!(signal.to_string().parse::<Signal>().unwrap(), signal);
        assert_eq!(Signal::try_from(signal.as_raw()).unwrap(), signal);
    }
}

#[test]
fn a_closure_unregisters_once() {
    let handle = exit_attr::register_exit_closure(|| unreachable!("unregistered"), &[])
        .expect("a closure with no signal registers");
    assert!(handle.unregister(), "it had not started");
}
