//! The signal table of exit-attr, compiled into both of its crates: the
//! runtime builds `Signal` and its run-time refusals from it, and the
//! attribute its compile-time validation. One file, so that the two can
//! never disagree: `exit-attr-macros/src/signal_table.rs` is a symbolic link
//! to `exit-attr/src/signal_table.rs` (cargo packages the link's target).
//!
//! Nothing here may depend on the crate that compiles it.

/// Calls the macro `$callback` with the whole table: the signals a
/// registration accepts, each with its documentation and, for those that
/// exist only on some platforms, its `cfg`; then the signals it refuses,
/// each with its [`Refusal`]. Each crate expands it with a macro of its own
/// (the runtime reaches it through `#[macro_use]`).
macro_rules! signal_table {
    ($callback:ident) => {
        $callback! {
            accepted {
                SIGHUP: "Hangup: the controlling terminal went away, or a daemon is asked to reload.";
                SIGINT: "Interrupt from the keyboard (Ctrl-C).";
                SIGQUIT: "Quit from the keyboard (Ctrl-\\); the default action also dumps core.";
                SIGABRT: "Abort, as raised by `abort()` and by a panic under `panic = \"abort\"`.";
                SIGUSR1: "User-defined signal 1.";
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
            refused {
                SIGKILL: Uncatchable;
                SIGSTOP: Uncatchable;
                SIGCHLD: NonTerminating;
                SIGCONT: NonTerminating;
                SIGTSTP: NonTerminating;
                SIGTTIN: NonTerminating;
                SIGTTOU: NonTerminating;
                SIGURG: NonTerminating;
                SIGWINCH: NonTerminating;
                SIGILL: SynchronousFault;
                SIGTRAP: SynchronousFault;
                SIGBUS: SynchronousFault;
                SIGFPE: SynchronousFault;
                SIGSEGV: SynchronousFault;
            }
        }
    };
}

/// Why a registration refuses a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `SIGKILL` and `SIGSTOP`: no process can catch them.
    Uncatchable,
    /// Its default action does not end the process: nothing to clean up.
    NonTerminating,
    /// A synchronous fault: delivered to the thread that faulted, which
    /// cannot wait for cleanup, and Rust's stack-overflow handler must keep
    /// `SIGSEGV` and `SIGBUS`.
    SynchronousFault,
}

impl Refusal {
    /// The end of a sentence that starts with the signal's name.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::Uncatchable => "cannot be caught, so no exit function can run for it",
            Refusal::NonTerminating => {
                "does not end the process by default, so there is nothing to clean up"
            }
            Refusal::SynchronousFault => {
                "is a synchronous fault signal: the faulting thread cannot wait for exit functions"
            }
        }
    }
}

/// The table as plain lists of names, on every platform (the `cfg`s of the
/// table are the runtime's business).
macro_rules! name_lists {
    (
        accepted { $( $(#[$cfg:meta])* $accepted:ident: $accepted_doc:literal; )* }
        refused { $( $refused:ident: $refusal:ident; )* }
    ) => {
        /// The names a registration accepts.
        pub(crate) const ACCEPTED: &[&str] = &[$(stringify!($accepted)),*];

        /// The names a registration refuses, and why.
        pub(crate) const REFUSED: &[(&str, Refusal)] = &[
            $((stringify!($refused), Refusal::$refusal),)*
        ];
    };
}

signal_table!(name_lists);

/// Why a registration refuses the signal named `name` (exactly as POSIX
/// spells it), or `None` for a name it accepts or does not know.
pub(crate) fn refusal(name: &str) -> Option<Refusal> {
    REFUSED
        .iter()
        .find(|&&(refused, _)| refused == name)
        .map(|&(_, refusal)| refusal)
}

/// The known signal name (accepted or refused) closest to `name`, which
/// may be in any case and lack the `SIG` prefix, if one is close enough to
/// be what was meant: a spelling suggestion, whatever the name's fate.
pub(crate) fn closest_name(name: &str) -> Option<&'static str> {
    let wanted = name.trim().to_ascii_uppercase();
    let wanted = if wanted.starts_with("SIG") {
        wanted
    } else {
        format!("SIG{wanted}")
    };
    ACCEPTED
        .iter()
        .copied()
        .chain(REFUSED.iter().map(|&(name, _)| name))
        .map(|candidate| (edit_distance(&wanted, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, with a transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Rows i-2, i-1 and i of the dynamic-programming table.
    let mut before = vec![0; b.len() + 1];
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

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn every_name_is_in_one_list_only() {
        let mut names: Vec<&str> = ACCEPTED
            .iter()
            .copied()
            .chain(REFUSED.iter().map(|&(name, _)| name))
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(names.iter().all(|name| name.starts_with("SIG")));
    }

    #[test]
    fn refusals_are_by_exact_name() {
        assert_eq!(refusal("SIGKILL"), Some(Refusal::Uncatchable));
        assert_eq!(refusal("SIGWINCH"), Some(Refusal::NonTerminating));
        assert_eq!(refusal("SIGSEGV"), Some(Refusal::SynchronousFault));
        assert_eq!(refusal("SIGTERM"), None);
        assert_eq!(refusal("sigkill"), None);
    }

    #[test]
    fn suggestions_fix_spelling_among_all_known_names() {
        assert_eq!(closest_name("SIGTREM"), Some("SIGTERM"));
        assert_eq!(closest_name("hup"), Some("SIGHUP"));
        assert_eq!(closest_name("TERM"), Some("SIGTERM"));
        assert_eq!(closest_name("SIGUSR3"), Some("SIGUSR1"));
        assert_eq!(closest_name("SIGKIL"), Some("SIGKILL"));
        assert_eq!(closest_name("NOTHING_LIKE_IT"), None);
    }

    #[test]
    fn edit_distance_counts_a_transposition_as_one_edit() {
        assert_eq!(edit_distance("SIGTERM", "SIGTERM"), 0);
        assert_eq!(edit_distance("SIGTREM", "SIGTERM"), 1);
        assert_eq!(edit_distance("SIGTER", "SIGTERM"), 1);
        assert_eq!(edit_distance("", "ABC"), 3);
    }
}
