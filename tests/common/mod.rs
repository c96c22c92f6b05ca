//! The harness that spawns the fixture program and drives it with real
//! signals. Every wait is bounded by [`TIMEOUT`]: a hang fails the test.

// Each test file uses part of the harness, and `pub` only reaches the files
// that include it.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use exit_attr::Signal;

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
        Fixture::spawn_closing_stdout_after(program, args, adjust, None)
    }

    /// As [`Fixture::start`], but the harness closes its end of the
    /// fixture's stdout as soon as it has read `ready` (and before this
    /// returns): whatever the fixture prints next fails with `EPIPE`.
    ///
    /// A child forked by another test holds a copy of every descriptor of
    /// this process until it calls `exec`, which keeps the pipe open: the
    /// caller must make sure that no other test spawns anything meanwhile.
    pub fn start_closing_stdout_after_ready(args: &[&str]) -> Fixture {
        let program = env!("CARGO_BIN_EXE_fixture");
        let mut fixture = Fixture::spawn_closing_stdout_after(program, args, |_| {}, Some("ready"));
        fixture.wait_for("ready");
        fixture
    }

    /// [`Fixture::spawn`], closing the read end of stdout after the line
    /// `close_after` if one is given.
    fn spawn_closing_stdout_after(
        program: &str,
        args: &[&str],
        adjust: impl FnOnce(&mut Command),
        close_after: Option<&'static str>,
    ) -> Fixture {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0")
            // Its own process group, so that a failed test also kills the
            // children the fixture forked (see `kill_hard`).
            .process_group(0);
        // SAFETY: setrlimit and signal are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // No core files from SIGQUIT or SIGABRT.
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                // Every signal at its default action, as a program started
                // from a terminal has it: an ignored signal stays ignored
                // across exec (and exit-attr leaves it ignored), and the
                // harness may itself run with some ignored, such as SIGINT
                // and SIGQUIT in a background job of a non-interactive shell
                // or SIGHUP under nohup. A test that wants one ignored says
                // so in its own `pre_exec`, which runs after this one.
                for signal in 1..32 {
                    if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                        libc::signal(signal, libc::SIG_DFL);
                    }
                }
                Ok(())
            });
        }
        adjust(&mut command);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdin = child.stdin.take();
        let lines = forward_lines(child.stdout.take().unwrap(), close_after);
        let stderr = read_to_end_in_background(child.stderr.take().unwrap());
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

    /// Waits until the fixture's thread `tid` is asleep with every signal
    /// blocked, or the process has ended; fails the test after [`TIMEOUT`].
    ///
    /// For a thread that printed its last line and then called `abort()`
    /// while exit functions run: exit-attr's handler keeps such a thread
    /// from returning into `abort()` (which would end the process at once)
    /// until the process ends. Nothing of the program's runs there, so the
    /// thread cannot say that it got there, and no exact handshake exists
    /// without the runtime's internals. What the kernel shows is the most
    /// direct evidence: the handler is installed with every signal in its
    /// `sa_mask` (as `sigaction` reports it), so while it runs the thread
    /// blocks every signal, and it sleeps there. No other point between the
    /// thread's last line and the end of the process matches both: `raise`
    /// inside `abort()` blocks every signal too, but only for a few
    /// instructions that never sleep, and the thread ran with its normal
    /// mask before that.
    pub fn wait_until_thread_waits_in_a_signal_handler(&mut self, tid: i32) {
        let status = format!("/proc/{}/task/{tid}/status", self.pid());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let Ok(text) = std::fs::read_to_string(&status) else {
                return; // The thread is gone, so is the process.
            };
            if sleeps_with_every_signal_blocked(&text) {
                return;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!("thread {tid} not in a signal handler after {TIMEOUT:?}: {text}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits until the fixture's main thread sleeps in `read(2)` on its
    /// stdin, or the process has ended; fails the test after [`TIMEOUT`].
    ///
    /// For a host whose own handler of a signal only records it for code
    /// that its main thread runs later (Python's): once that thread sleeps
    /// in `read`, and the handlers that the kernel calls on it restart the
    /// call (`SA_RESTART`), no such code runs before the process ends. The
    /// kernel shows the system call that a thread sleeps in, with its
    /// arguments, in `/proc/PID/syscall` (`0 0x0 ...`: `read`, fd 0).
    pub fn wait_until_main_thread_reads_stdin(&mut self) {
        let path = format!("/proc/{}/syscall", self.pid());
        let read = libc::SYS_read.to_string();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let Ok(text) = std::fs::read_to_string(&path) else {
                return; // The process is gone.
            };
            let mut fields = text.split_whitespace();
            if fields.next() == Some(read.as_str()) && fields.next() == Some("0x0") {
                return;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!("the main thread does not read stdin after {TIMEOUT:?}: {text}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends `fork` for the `nth` time (counting from 1), SIGTERMs the child
    /// once both sides are ready, waits until the parent has reaped it
    /// (`child ended by signal 15`), and returns the child's pid.
    pub fn fork_and_terminate_child(&mut self, nth: usize) -> i32 {
        self.fork_with_and_terminate_child("fork", nth)
    }

    /// As [`Fixture::fork_and_terminate_child`], with a `fork` command that
    /// takes an argument (`fork NAME`).
    pub fn fork_with_and_terminate_child(&mut self, command: &str, nth: usize) -> i32 {
        self.send(command);
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

    /// Waits until `signal`, sent to the fixture, is no longer pending in
    /// it: a thread of the fixture has taken it (its handler has started),
    /// or the process is gone. For a test that must not go on before the
    /// signal has reached the process. Fails the test after [`TIMEOUT`].
    pub fn wait_until_delivered(&mut self, signal: i32) {
        let bit = 1_u64 << (signal - 1);
        let pending = |text: &str| {
            text.lines()
                .filter(|l| l.starts_with("ShdPnd:") || l.starts_with("SigPnd:"))
                .filter_map(|l| l.split_whitespace().nth(1))
                .filter_map(|mask| u64::from_str_radix(mask, 16).ok())
                .any(|mask| mask & bit != 0)
        };
        let tasks = format!("/proc/{}/task", self.pid());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let Ok(entries) = std::fs::read_dir(&tasks) else {
                return; // The process is gone.
            };
            let still = entries.flatten().any(|task| {
                std::fs::read_to_string(task.path().join("status")).is_ok_and(|s| pending(&s))
            });
            if !still {
                return;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!("signal {signal} still pending after {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
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
        let reaped = Instant::now();
        self.stdin = None;
        // The process is gone: stdout ends, and the receiver drains it.
        self.seen.extend(self.lines.iter());
        let stderr = without_the_emulators_lines(&self.stderr.take().unwrap().join().unwrap());
        Outcome {
            status,
            stdout: std::mem::take(&mut self.seen),
            stderr,
            pid: self.pid(),
            reaped,
        }
    }

    /// Sends `command`, one that ends the process normally (`return`,
    /// `exit N`, `panic`, ...), waits for the fixture to end, and asserts
    /// that it exited with `code`.
    pub fn end_with_command(mut self, command: &str, code: i32) -> Outcome {
        self.send(command);
        let outcome = self.finish();
        assert_eq!(outcome.code(), Some(code), "{command}: {outcome:#?}");
        outcome
    }

    /// Sends the hooked `signal`, waits for the fixture to end, and asserts
    /// that it died by that signal after logging exactly one line for it.
    pub fn end_by_hooked_signal(self, signal: i32) -> Outcome {
        self.signal(signal);
        let outcome = self.finish();
        outcome.assert_died_by_hooked_signal(signal);
        outcome
    }

    /// Sends `signal`, which exit-attr does not hook, waits for the fixture
    /// to end, and asserts that it died by it, running and logging nothing.
    pub fn end_by_unhooked_signal(self, signal: i32) -> Outcome {
        self.signal(signal);
        let outcome = self.finish();
        outcome.assert_died_by_unhooked_signal(signal);
        outcome
    }

    fn wait_bounded(&mut self) -> ExitStatus {
        wait_within(&mut self.child, TIMEOUT).unwrap_or_else(|| {
            self.kill_hard();
            panic!(
                "the fixture did not end within {TIMEOUT:?}; stdout: {:#?}",
                self.seen
            )
        })
    }

    /// Kills the fixture and whatever it forked, which a failing test would
    /// otherwise leave running.
    fn kill_hard(&mut self) {
        // SAFETY: killpg takes plain integers; the group is the fixture's
        // own (`process_group(0)` at spawn), and it is not reaped yet.
        unsafe { libc::killpg(self.pid(), libc::SIGKILL) };
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

/// `stderr` without the line qemu-user adds when the program it runs dies
/// by a signal that dumps core (`qemu: uncaught target signal 3 (Quit) -
/// core dumped`): the emulator's, not the program's. Nothing else is
/// touched, and natively there is no such line.
fn without_the_emulators_lines(stderr: &str) -> String {
    stderr
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("qemu: uncaught target signal "))
        .collect()
}

/// Forwards stdout lines to a channel from a thread. After the line
/// `close_after`, if one is given, it closes the read end of the pipe, and
/// only then forwards that line, so that whoever receives it knows that the
/// pipe is closed.
fn forward_lines(stdout: ChildStdout, close_after: Option<&'static str>) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        while let Some(Ok(line)) = lines.next() {
            if close_after == Some(line.as_str()) {
                drop(lines);
                let _ = tx.send(line);
                return;
            }
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads `pipe` to its end on a thread, and returns what it read (lossily
/// decoded) when joined.
fn read_to_end_in_background(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` to end, at most `limit`; `None` if it is still running.
fn wait_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child process") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// How long building a fixture package may take before the test fails: a
/// bound against a hang, far above what it needs.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(600);

/// Builds the workspace package `package` (whose binary has the same name)
/// with the cargo `profile`, for the target this test was built for, and
/// returns the program's path. For fixtures whose point is a whole-build
/// setting (`panic = "abort"`, optimisation). The build uses a target
/// directory of its own, so it never waits for the lock of the `cargo test`
/// that runs the test.
pub fn build_fixture_package(package: &str, profile: &str) -> PathBuf {
    build_package(package, profile).join(package)
}

/// Builds the workspace package `package`, whose library is a `cdylib`, as
/// [`build_fixture_package`] builds a program, and returns the shared
/// library's path: for a library that a test loads into a host program.
pub fn build_fixture_cdylib(package: &str, profile: &str) -> PathBuf {
    let crate_name = package.replace('-', "_");
    build_package(package, profile).join(format!("lib{crate_name}.so"))
}

/// Builds `package` (see [`build_fixture_package`]) and returns the
/// directory that holds what it built.
fn build_package(package: &str, profile: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = fixture_target_dir(package);
    let target = env!("FIXTURE_TARGET");
    let started = Instant::now();
    let output = output_within(
        Command::new(env!("CARGO")).current_dir(root).args([
            "build",
            "--locked",
            "--profile",
            profile,
            "--package",
            package,
            "--target",
            target,
            "--target-dir",
            target_dir.to_str().expect("a UTF-8 path"),
        ]),
        BUILD_TIMEOUT,
    );
    assert!(
        output.status.success(),
        "cargo build -p {package}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("built {package} ({profile}) in {:?}", started.elapsed());
    // Cargo names each profile's directory after it, but `dev`'s `debug`.
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    target_dir.join(target).join(profile_dir)
}

/// The target directory in which [`build_fixture_package`] builds
/// `package`; a test may put there what it builds for that package itself.
pub fn fixture_target_dir(package: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(package)
}

/// Runs `command` to its end with no input, as `Command::output` does, but
/// fails the test (and kills the process) if it takes longer than `limit`.
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
    let stdout = read_to_end_in_background(child.stdout.take().unwrap());
    let stderr = read_to_end_in_background(child.stderr.take().unwrap());
    let Some(status) = wait_within(&mut child, limit) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{command:?} did not end within {limit:?}");
    };
    Output {
        status,
        stdout: stdout.join().unwrap().into_bytes(),
        stderr: stderr.join().unwrap().into_bytes(),
    }
}

/// Whether `/proc/PID/task/TID/status` text says that the thread sleeps
/// with every catchable standard signal (1 to 31, but SIGKILL and SIGSTOP)
/// blocked. Only those: the C libraries' `sigfillset` leaves out the
/// real-time signals that they use themselves (32 to 34).
fn sleeps_with_every_signal_blocked(status: &str) -> bool {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let sleeping = field("State:").is_some_and(|state| state.starts_with('S'));
    let blocked = field("SigBlk:").and_then(|mask| u64::from_str_radix(mask, 16).ok());
    let catchable = (1..=31)
        .filter(|&n| n != libc::SIGKILL && n != libc::SIGSTOP)
        .fold(0_u64, |mask, n| mask | 1 << (n - 1));
    sleeping && blocked.is_some_and(|blocked| blocked & catchable == catchable)
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
