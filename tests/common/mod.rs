//! The harness that spawns the fixture program and drives it with real
//! signals. Every wait is bounded by [`TIMEOUT`]: a hang fails the test.

// Each test file uses part of the harness, and `pub` only reaches the files
// that include it.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Three registrations for the function-form fixture: `first` for SIGTERM,
/// `second` for SIGTERM and SIGINT, `third` for no signal.
pub const THREE: &[&str] = &[
    "--fun",
    "first:TERM",
    "--fun",
    "second:TERM,INT",
    "--fun",
    "third:",
];

/// What [`THREE`] prints when all three run: in reverse order of registration.
pub const REVERSED: &[&str] = &["ran third", "ran second", "ran first"];

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A running fixture.
pub struct Fixture {
    child: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line received so far, in order.
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

/// How a fixture ended, with everything it printed.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    /// Every stdout line, in order, including `ready`.
    pub stdout: Vec<String>,
    pub stderr: String,
    /// The fixture's process id.
    pub pid: i32,
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
        format!("signal {signal} received by process with PID {}", self.pid)
    }
}

impl Fixture {
    /// Spawns the fixture with `args` and waits for its `ready` line.
    pub fn start(args: &[&str]) -> Fixture {
        Fixture::start_with(args, |_| {})
    }

    /// As [`Fixture::start`], letting the caller adjust the command first.
    pub fn start_with(args: &[&str], adjust: impl FnOnce(&mut Command)) -> Fixture {
        Fixture::start_program(env!("CARGO_BIN_EXE_fixture"), args, adjust)
    }

    /// The fixture whose exit functions the attribute registers.
    pub fn start_attr() -> Fixture {
        Fixture::start_program(env!("CARGO_BIN_EXE_attr_fixture"), &[], |_| {})
    }

    /// Spawns `program`, a fixture program that takes the commands of
    /// `tests/fixtures/commands.rs`, and waits for its `ready` line.
    pub fn start_program(
        program: &str,
        args: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Fixture {
        let mut fixture = Fixture::spawn(program, args, adjust);
        fixture.wait_for("ready");
        fixture
    }

    /// Spawns `program` with piped stdio and no core dumps, without waiting
    /// for anything: for programs that are not fixtures, such as examples.
    pub fn spawn(program: &str, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Fixture {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        // SAFETY: setrlimit is async-signal-safe; no core files from SIGQUIT.
        unsafe {
            command.pre_exec(|| {
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                Ok(())
            });
        }
        adjust(&mut command);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdin = child.stdin.take();
        let lines = forward_lines(child.stdout.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        Fixture {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits until stdout has printed `line`, and returns every line seen.
    pub fn wait_for(&mut self, line: &str) -> &[String] {
        self.wait_until(&format!("{line:?}"), |seen| {
            seen.iter().any(|l| l == line).then_some(())
        });
        &self.seen
    }

    /// Waits for a line that starts with `prefix` and returns it.
    pub fn wait_for_prefix(&mut self, prefix: &str) -> String {
        self.wait_for_nth_prefix(prefix, 1)
    }

    /// Waits for the `nth` line (counting from 1) that starts with `prefix`,
    /// and returns it: for a line that the fixture prints more than once.
    pub fn wait_for_nth_prefix(&mut self, prefix: &str, nth: usize) -> String {
        self.wait_until(&format!("line {nth} starting with {prefix:?}"), |seen| {
            seen.iter()
                .filter(|l| l.starts_with(prefix))
                .nth(nth - 1)
                .cloned()
        })
    }

    /// Reads stdout lines until `found` finds what it looks for in the lines
    /// seen so far; fails the test (and kills the fixture) after [`TIMEOUT`]
    /// or if stdout ends first.
    fn wait_until<T>(&mut self, what: &str, found: impl Fn(&[String]) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(result) = found(&self.seen) {
                return result;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(next) => self.seen.push(next),
                Err(RecvTimeoutError::Timeout) => {
                    self.kill_hard();
                    panic!(
                        "timed out waiting for {what}; stdout so far: {:#?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("stdout closed before {what}; stdout: {:#?}", self.seen)
                }
            }
        }
    }

    /// Waits until the fixture's thread `tid` has stopped running: it sleeps
    /// (state `S` in `/proc`), or the process has ended. For a thread that
    /// is about to block for good (or end the process) and cannot say so
    /// itself afterwards. Fails the test after [`TIMEOUT`].
    pub fn wait_until_thread_blocks(&mut self, tid: i32) {
        let stat = format!("/proc/{}/task/{tid}/stat", self.pid());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let Ok(text) = std::fs::read_to_string(&stat) else {
                return; // The thread is gone, so is the process.
            };
            // The state follows the command name, which is in parentheses.
            let state = text
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next());
            if matches!(state, Some('S' | 'Z' | 'X')) {
                return;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!("thread {tid} still running after {TIMEOUT:?}: {text}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends `fork` for the `nth` time (counting from 1), SIGTERMs the child
    /// once both sides are ready, waits until the parent has reaped it
    /// (`child ended by signal 15`), and returns the child's pid.
    pub fn fork_and_terminate_child(&mut self, nth: usize) -> i32 {
        self.send("fork");
        self.wait_for_nth_prefix("child ready", nth);
        let forked = self.wait_for_nth_prefix("forked ", nth);
        let child: i32 = forked["forked ".len()..]
            .parse()
            .unwrap_or_else(|_| panic!("no pid in {forked:?}"));
        assert_ne!(child, self.pid());
        send_signal(child, libc::SIGTERM);
        self.wait_for_nth_prefix("child ended by signal 15", nth);
        child
    }

    /// Sends `signal` to the fixture with `kill(2)`.
    pub fn signal(&self, signal: i32) {
        send_signal(self.pid(), signal);
    }

    /// Writes one command line to the fixture's stdin. A fixture that has
    /// already ended is not an error here: how it ended is what the test
    /// asserts.
    pub fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        let written = writeln!(stdin, "{command}").and_then(|()| stdin.flush());
        if let Err(e) = written {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "write to the fixture: {e}"
            );
        }
    }

    /// Closes the fixture's stdin (it then returns from `main`).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the fixture to end, and collects its output.
    pub fn finish(mut self) -> Outcome {
        let status = self.wait_bounded();
        self.stdin = None;
        // The process is gone: stdout ends, and the receiver drains it.
        self.seen.extend(self.lines.iter());
        let stderr = self.stderr.take().unwrap().join().unwrap();
        Outcome {
            status,
            stdout: std::mem::take(&mut self.seen),
            stderr,
            pid: self.pid(),
        }
    }

    fn wait_bounded(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the fixture") {
                return status;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!(
                    "the fixture did not end within {TIMEOUT:?}; stdout: {:#?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if self.stderr.is_some() {
            // The test failed before `finish`: do not leave the process behind.
            self.kill_hard();
        }
    }
}

/// Forwards stdout lines to a channel from a thread.
fn forward_lines(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// `kill(pid, signal)`, failing the test if it fails.
pub fn send_signal(pid: i32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(
        sent,
        0,
        "kill({pid}, {signal}): {}",
        std::io::Error::last_os_error()
    );
}
