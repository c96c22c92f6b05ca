//! Why the process is ending, for exit functions and log functions.

use crate::signal::Signal;
use crate::state::{self, Reason};

/// How the process is ending: returned by [`exit_reason`].
///
/// ```
/// use exit_attr::{exit_reason, ExitReason};
///
/// fn log_stop() {
///     match exit_reason() {
///         Some(ExitReason::Signal { signal, sender_pid: Some(pid), .. }) => {
///             eprintln!("stopping: {signal} from PID {pid}")
///         }
///         Some(ExitReason::Signal { signal, .. }) => eprintln!("stopping: {signal}"),
///         Some(ExitReason::Exit { code: Some(code) }) => {
///             eprintln!("exiting with status {code}")
///         }
///         _ => eprintln!("exiting"),
///     }
/// }
/// # log_stop();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitReason {
    /// A normal exit: return from `main`, `std::process::exit(n)` or a
    /// panic out of `main`.
    Exit {
        /// The exit status, where the C library tells it: glibc does (its
        /// `on_exit`); musl and the other systems do not, and it is `None`
        /// there.
        code: Option<i32>,
    },
    /// A hooked signal that exit-attr owns.
    Signal {
        /// The signal.
        signal: Signal,
        /// The process that sent it, when the kernel vouches for it:
        /// `kill` and `tgkill` (as `raise` and `abort` use), whose sender the
        /// kernel fills in. `None` when the kernel or the terminal sent it
        /// (Ctrl-C in a terminal is the kernel's), and for a `sigqueue`,
        /// whose sender on Linux writes its own pid and uid into the signal
        /// and may claim to be anyone, PID 1 and uid 0 included.
        ///
        /// For logs, not for decisions: never authorise anything on it. A
        /// process of the same user can send a signal with `kill` as well as
        /// the process you trust, and the pid may belong to a new process by
        /// the time you read it.
        sender_pid: Option<i32>,
        /// The real user id of that process, as the kernel reports it;
        /// `None` when no sender is vouched for.
        sender_uid: Option<u32>,
    },
}

/// How the process is ending, once an exit has started: from an exit
/// function, a log function, or any thread while exit functions run.
/// `None` when the process is not ending, such as in a guard dropped in
/// the ordinary course of the program.
///
/// The first exit wins, and so does its reason: a signal that arrives
/// while exit functions run for `exit(3)` does not change it.
///
/// ```
/// // Not ending yet.
/// assert_eq!(exit_attr::exit_reason(), None);
/// ```
pub fn exit_reason() -> Option<ExitReason> {
    state::reason().map(|reason| match reason {
        Reason::Exit { code } => ExitReason::Exit { code },
        Reason::Signal {
            signal,
            sender_pid,
            sender_uid,
        } => ExitReason::Signal {
            signal,
            sender_pid,
            sender_uid,
        },
    })
}
