//! The harness of the Windows tests: spawns a fixture, talks to it through
//! its standard streams, and sends console events. Every wait is bounded by
//! [`TIMEOUT`]: a hang fails the test.
//!
//! A console event reaches every process attached to the console, so the
//! tests take turns (a fixture holds [`Turn`] from its start to its end),
//! and this process survives the events it sends.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use exit_attr_windows_tests::{STATUS_CONTROL_C_EXIT, default_ctrl_c_status};

/// `first` for SIGINT, `second` for SIGTERM and SIGINT, `third` for none.
pub const THREE: &[&str] = &[
    "--fun",
    "first:INT",
    "--fun",
    "second:TERM,INT",
    "--fun",
    "third:",
];
/// What [`THREE`] prints when all three run: newest first.
pub const NEWEST_FIRST: [&str; 3] = ["ran third", "ran second", "ran first"];
/// `first` for SIGINT, then `panics`, then `second`: `second` runs first.
pub const WITH_A_PANIC: &[&str] = &["--fun", "first:INT", "--fun", "panics:", "--fun", "second:"];

/// Starts the fixture with three guards for SIGINT, drops `dropped` and
/// dismisses `dismissed`: `kept` is left to the exit.
pub fn start_with_a_dropped_and_a_dismissed_guard() -> Fixture {
    let mut fixture = Fixture::start(&[
        "--guard",
        "kept:INT",
        "--guard",
        "dropped:INT",
        "--guard",
        "dismissed:INT",
    ]);
    fixture.send("drop dropped");
    fixture.wait_for("dropped dropped");
    fixture.send("dismiss dismissed");
    fixture.wait_for("dismiss dismissed returned true");
    fixture
}

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// One test's turn with the console.
type Turn = MutexGuard<'static, ()>;

fn take_turn() -> Turn {
    static TURN: Mutex<()> = Mutex::new(());
    static SURVIVE: Once = Once::new();
    SURVIVE.call_once(exit_attr_windows_tests::survive_console_events);
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fixture.
pub struct Fixture {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
    _turn: Turn,
}

/// How a fixture ended, with everything it printed.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    /// Every stdout line, in order, including `ready`.
    pub stdout: Vec<String>,
    pub stderr: String,
    pub pid: u32,
}

impl Outcome {
    /// The exit status, as Windows gives it (a `u32`, such as
    /// `STATUS_CONTROL_C_EXIT`).
    pub fn code(&self) -> u32 {
        self.status.code().expect("Windows always gives a status") as u32
    }

    /// The lines that start with `ran ` (exit functions), in order.
    pub fn ran(&self) -> Vec<&str> {
        self.stdout
            .iter()
            .filter(|l| l.starts_with("ran "))
            .map(String::as_str)
            .collect()
    }

    /// Asserts that the fixture's `thread_locals` exit function, the only
    /// one registered, ran and found its thread-local and its thread.
    pub fn assert_thread_locals_worked(&self, context: &str) {
        let ran = self.ran();
        assert_eq!(ran.len(), 1, "{context}: {self:#?}");
        assert!(
            ran[0].starts_with("ran thread_locals: thread-local ok, thread ThreadId("),
            "{context}: {self:#?}"
        );
    }

    /// The lines that look like a log line.
    pub fn log_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("signal ") && l.contains(" received by process with PID "))
            .collect()
    }

    /// Asserts that [`WITH_A_PANIC`] ran every function, and reported the
    /// panic once, with where it was registered and its message.
    pub fn assert_the_panic_was_reported_and_the_others_ran(&self) {
        assert_eq!(
            self.ran(),
            ["ran second", "ran panics", "ran first"],
            "{self:#?}"
        );
        let reports: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("exit-attr: exit function registered at "))
            .collect();
        assert_eq!(reports.len(), 1, "{}", self.stderr);
        assert!(
            reports[0].ends_with(
                "panicked: boom in an exit function; the remaining exit functions still run"
            ),
            "{}",
            reports[0]
        );
    }

    /// Asserts that every function that `win_attr` annotates ran, once (in
    /// the order the C runtime ran their start-up pointers, which is not
    /// the source's).
    pub fn assert_every_annotated_function_ran(&self) {
        let mut ran = self.ran();
        ran.sort_unstable();
        assert_eq!(
            ran,
            [
                "ran default_signal",
                "ran no_signal",
                "ran on_ctrl_c_and_at_exit",
                "ran with_logfun"
            ],
            "{self:#?}"
        );
    }

    /// Asserts that stderr holds exactly the log line for `signal`.
    pub fn assert_one_log_line(&self, signal: &str) {
        assert_eq!(
            self.log_lines(),
            [format!(
                "signal {signal} received by process with PID {}",
                self.pid
            )],
            "{self:#?}"
        );
    }
}

impl Fixture {
    /// Spawns `win_fixture` with `args` and waits for its `ready`.
    pub fn start(args: &[&str]) -> Fixture {
        Fixture::start_program(env!("CARGO_BIN_EXE_win_fixture"), args)
    }

    /// Spawns `program` with `args` and waits for its `ready`.
    pub fn start_program(program: &str, args: &[&str]) -> Fixture {
        let turn = take_turn();
        let mut child = Command::new(program)
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdin = child.stdin.take();
        let lines = forward_lines(child.stdout.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let mut fixture = Fixture {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
            _turn: turn,
        };
        fixture.wait_for("ready");
        fixture
    }

    /// Writes one command line to the fixture's stdin; a fixture that has
    /// ended already is not an error here.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        let _ = writeln!(stdin, "{line}").and_then(|()| stdin.flush());
    }

    /// Closes the fixture's stdin: it then returns from `main`.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends Ctrl-C to the console, which reaches the fixture.
    pub fn ctrl_c(&self) {
        assert!(
            exit_attr_windows_tests::send_ctrl_c(),
            "GenerateConsoleCtrlEvent failed: {}",
            std::io::Error::last_os_error()
        );
    }

    /// Waits until stdout has printed `line`.
    pub fn wait_for(&mut self, line: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.seen.iter().any(|l| l == line) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(next) => self.seen.push(next),
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!("timed out waiting for {line:?}; stdout: {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("stdout closed before {line:?}; stdout: {:#?}", self.seen)
                }
            }
        }
    }

    /// Waits for the fixture to end (without closing its stdin, so that it
    /// does not return because of that) and collects its output.
    pub fn finish(mut self) -> Outcome {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the fixture") {
                break status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the fixture did not end within {TIMEOUT:?}; stdout: {:#?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        self.stdin = None;
        self.seen.extend(self.lines.iter());
        let stderr = self.stderr.take().unwrap().join().unwrap();
        Outcome {
            status,
            stdout: std::mem::take(&mut self.seen),
            stderr,
            pid: self.child.id(),
        }
    }

    /// Sends `command`, waits for the end, and asserts the status `code`.
    pub fn end_with_command(mut self, command: &str, code: u32) -> Outcome {
        self.send(command);
        let outcome = self.finish();
        assert_eq!(outcome.code(), code, "{command}: {outcome:#?}");
        outcome
    }

    /// Sends Ctrl-C, waits for the end, and asserts that it ended as
    /// Windows' default ends a process on Ctrl-C.
    pub fn end_by_ctrl_c(self) -> Outcome {
        self.end_with_ctrl_c_then_status(default_ctrl_c_status())
    }

    /// Sends Ctrl-C, waits for the end, and asserts the status `code`.
    pub fn end_with_ctrl_c_then_status(self, code: u32) -> Outcome {
        self.ctrl_c();
        let outcome = self.finish();
        assert_eq!(outcome.code(), code, "{outcome:#?}");
        outcome
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if self.stderr.is_some() {
            self.kill();
        }
    }
}

/// Forwards stdout lines to a channel from a thread.
fn forward_lines(stdout: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line.trim_end_matches('\r').to_owned()).is_err() {
                return;
            }
        }
    });
    rx
}
