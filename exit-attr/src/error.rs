//! The one error type of the public API.

use std::fmt;
use std::io;
use std::os::raw::c_int;

use exit_attr_signals::Refusal;

use crate::signal::{self, Signal};

/// Everything that can go wrong in exit-attr's public API.
///
/// Every failure is reported as an `Err`: exit-attr never panics or aborts
/// because of bad input or because the operating system refused a resource.
///
/// ```
/// use exit_attr::{Error, Signal};
///
/// let err = "SIGTREM".parse::<Signal>().unwrap_err();
/// assert!(matches!(err, Error::UnknownSignalName(_)));
/// assert_eq!(err.to_string(), "unknown signal name `SIGTREM`; did you mean `SIGTERM`?");
///
/// # #[cfg(unix)] {
/// let err = Signal::try_from(libc::SIGKILL).unwrap_err();
/// assert_eq!(err.to_string(), "SIGKILL (9) cannot be caught, so no exit function can run for it");
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The number is not a signal that exit-attr knows on this platform
    /// (0, negative, out of range, or a real-time signal).
    NotASignal(c_int),
    /// The string is not the name of a signal; `Display` suggests the
    /// closest known name.
    UnknownSignalName(String),
    /// The name of a signal that exit-attr hooks on other platforms but not
    /// on this one: `SIGPWR` off Linux, or, on Windows, any signal but the
    /// four that its console events stand for.
    NotOnThisPlatform(&'static str),
    /// `SIGKILL` or `SIGSTOP`: no process can catch them.
    Uncatchable(c_int),
    /// A signal whose default action does not end the process (`SIGCHLD`,
    /// `SIGWINCH`, ...): there is nothing to clean up when it arrives.
    NonTerminating(c_int),
    /// A synchronous fault signal (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`,
    /// `SIGTRAP`): the faulting thread cannot wait for cleanup, and Rust's
    /// stack-overflow handler must keep `SIGSEGV` and `SIGBUS`.
    SynchronousFault(c_int),
    /// Exit functions have already started running: the process is ending,
    /// and a function registered now could not be guaranteed to run.
    ExitInProgress,
    /// The operating system refused something exit-attr needs to hook a
    /// signal (a thread, `sigaction`; on macOS, a pipe) or to run at exit
    /// (`atexit`).
    ///
    /// The function is still registered for normal exit when the failure
    /// concerns a signal.
    Setup {
        /// What exit-attr was doing, such as "start the dispatcher thread".
        action: &'static str,
        /// The signal being hooked, if the failure concerns one.
        signal: Option<Signal>,
        /// What the operating system said.
        source: io::Error,
    },
}

/// Writes `SIGKILL (9)`, or just the number when it has no name.
fn describe(raw: c_int, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match signal::raw_name(raw) {
        Some(name) => write!(f, "{name} ({raw})"),
        None => write!(f, "{raw}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotASignal(raw) => {
                write!(
                    f,
                    "{raw} is not a signal that exit-attr can hook on this platform"
                )
            }
            Error::UnknownSignalName(name) => {
                write!(f, "unknown signal name `{name}`")?;
                match exit_attr_signals::closest_name(name) {
                    Some(closest) => write!(f, "; did you mean `{closest}`?"),
                    None => Ok(()),
                }
            }
            Error::NotOnThisPlatform(name) => {
                write!(
                    f,
                    "{name} is not a signal exit-attr can hook on this platform"
                )?;
                if cfg!(windows) {
                    f.write_str(
                        "; on Windows it hooks SIGINT (Ctrl-C), SIGQUIT (Ctrl-Break), \
                         SIGHUP (console closed) and SIGTERM (logoff or shutdown)",
                    )?;
                }
                Ok(())
            }
            Error::Uncatchable(raw) => {
                describe(*raw, f)?;
                write!(f, " {}", Refusal::Uncatchable.reason())
            }
            Error::NonTerminating(raw) => {
                describe(*raw, f)?;
                write!(f, " {}", Refusal::NonTerminating.reason())
            }
            Error::SynchronousFault(raw) => {
                describe(*raw, f)?;
                write!(f, " {}", Refusal::SynchronousFault.reason())
            }
            Error::ExitInProgress => {
                f.write_str("exit functions are already running: the process is ending")
            }
            Error::Setup {
                action,
                signal: Some(signal),
                source,
            } => write!(f, "could not {action} to hook {signal}: {source}"),
            Error::Setup {
                action,
                signal: None,
                source,
            } => write!(f, "could not {action}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Setup { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_setup_error_has_what_the_system_said_as_its_source() {
        let error = Error::Setup {
            action: "start the dispatcher thread",
            signal: None,
            source: io::Error::from_raw_os_error(libc::EAGAIN),
        };
        let source = error.source().expect("a source");
        let os = source.downcast_ref::<io::Error>().expect("an io::Error");
        assert_eq!(os.raw_os_error(), Some(libc::EAGAIN));
    }

    #[test]
    fn the_other_errors_have_no_source() {
        for error in [Error::ExitInProgress, Error::NotASignal(0)] {
            assert!(error.source().is_none(), "{error:?}");
        }
    }
}
