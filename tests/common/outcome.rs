//! How a fixture ended, and the assertions that read it.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Instant;

use exit_attr::Signal;

/// How a fixture ended, with everything it printed.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    /// Every stdout line, in order, including `ready`.
    pub stdout: Vec<String>,
    pub stderr: String,
    /// The fixture's process id.
    pub pid: i32,
    /// When the harness reaped the fixture (within a few milliseconds of its
    /// end): for the one bound on time that the contract sets (the timeout's).
    pub reaped: Instant,
}

impl Outcome {
    /// The exit functions that ran, sorted: for functions registered by the
    /// attribute, whose registration order is the loader's.
    pub fn ran_sorted(&self) -> Vec<&str> {
        let mut ran = self.ran();
        ran.sort_unstable();
        ran
    }

    /// The stdout lines that start with `ran ` (exit functions), in order.
    pub fn ran(&self) -> Vec<&str> {
        self.stdout
            .iter()
            .filter(|l| l.starts_with("ran "))
            .map(String::as_str)
            .collect()
    }

    /// The stdout lines printed after the first line equal to `marker`.
    pub fn after(&self, marker: &str) -> Vec<&str> {
        let start = self.stdout.iter().position(|l| l == marker);
        let start = start.unwrap_or_else(|| panic!("no line {marker:?} in {self:#?}"));
        self.stdout[start + 1..]
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// The signal that killed the fixture, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }

    /// The exit code, if the fixture exited.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// How many stderr lines are exactly `line`.
    pub fn stderr_count(&self, line: &str) -> usize {
        self.stderr.lines().filter(|l| *l == line).count()
    }

    /// The stderr lines that report a panicking exit function registered by
    /// the function form or as a closure (which names where it was
    /// registered).
    pub fn panic_reports(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("exit-attr: exit function registered at "))
            .collect()
    }

    /// The one report of a panicking exit function (see
    /// [`Outcome::panic_reports`]); fails the test unless there is exactly
    /// one.
    pub fn the_panic_report(&self) -> &str {
        match self.panic_reports()[..] {
            [report] => report,
            _ => panic!("not exactly one panic report: {}", self.stderr),
        }
    }

    /// The stderr lines that look like a log line, of any signal.
    pub fn log_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("signal ") && l.contains(" received by process with PID "))
            .collect()
    }

    /// Asserts that stderr holds exactly one log line, the one for `signal`
    /// (`"SIGTERM"`).
    pub fn assert_one_log_line(&self, signal: &str) {
        assert_eq!(
            self.log_lines(),
            [self.log_line(signal)],
            "stderr: {}",
            self.stderr
        );
    }

    /// The log line that the default log function prints for `signal`.
    pub fn log_line(&self, signal: &str) -> String {
        log_line(signal, self.pid)
    }

    /// Asserts how a hooked signal ends a process: it died by
    /// `signal`, and stderr holds exactly one log line, the one for it.
    pub fn assert_died_by_hooked_signal(&self, signal: i32) {
        assert_eq!(self.signal(), Some(signal), "{self:#?}");
        self.assert_one_log_line(signal_name(signal));
    }

    /// Asserts how a signal that exit-attr does not hook ends a process:
    /// it died by `signal`, no exit function ran, and nothing was logged.
    pub fn assert_died_by_unhooked_signal(&self, signal: i32) {
        assert_eq!(self.signal(), Some(signal), "{self:#?}");
        assert!(self.ran().is_empty(), "{self:#?}");
        assert!(self.log_lines().is_empty(), "stderr: {}", self.stderr);
    }
}

/// The log line that the default log function prints for `signal`
/// (`"SIGTERM"`) in the process `pid`.
pub fn log_line(signal: &str, pid: i32) -> String {
    format!("signal {signal} received by process with PID {pid}")
}

/// The name of a signal that exit-attr can hook (`SIGTERM` for 15).
pub fn signal_name(signal: i32) -> &'static str {
    Signal::try_from(signal)
        .unwrap_or_else(|e| panic!("signal {signal}: {e}"))
        .name()
}
