//! The fixture driver: spawns a fixture program, talks to it through its
//! standard streams, sends it signals, and watches its threads in `/proc`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::outcome::Outcome;
use super::process::{TIMEOUT, read_to_end_in_background, send_signal, wait_within};

/// A running fixture.
pub struct Fixture {
    child: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line received so far, in order.
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
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

    /// Waits for a line that is `prefix` followed by a process id (`forked
    /// PID`, `child pid PID`), and returns the line and the id.
    pub fn wait_for_pid(&mut self, prefix: &str) -> (String, i32) {
        let line = self.wait_for_prefix(prefix);
        let pid = line[prefix.len()..]
            .parse()
            .unwrap_or_else(|_| panic!("no pid in {line:?}"));
        (line, pid)
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

    /// The thread id of the fixture's thread named `exit-attr`, as
    /// `/proc/PID/task` lists it. The thread names itself when it starts,
    /// which may be after the registration that started it has returned:
    /// this waits for the name (failing the test after [`TIMEOUT`]). Its
    /// signals are blocked from its first instruction, so it may be aimed
    /// at at once.
    pub fn exit_attr_thread(&self) -> i32 {
        let tasks = format!("/proc/{}/task", self.pid());
        let named = || {
            std::fs::read_dir(&tasks)
                .ok()?
                .flatten()
                .find(|task| {
                    std::fs::read_to_string(task.path().join("comm"))
                        .is_ok_and(|name| name.trim() == "exit-attr")
                })
                .and_then(|task| task.file_name().to_str()?.parse().ok())
        };
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(thread) = named() {
                return thread;
            }
            assert!(
                Instant::now() < deadline,
                "no thread named exit-attr in {tasks} after {TIMEOUT:?}"
            );
            std::thread::yield_now();
        }
    }

    /// Waits until exit-attr's thread sleeps in the system call of its
    /// wake-up channel's wait (`futex` for a futex or a semaphore, `poll`
    /// or `ppoll` for a pipe), as `/proc/PID/task/TID/syscall` shows it:
    /// for a test that must act while that thread waits, not before.
    /// Native targets only: under qemu-user the kernel shows the emulator's
    /// own system calls, numbered for the host.
    #[cfg(not(emulated))]
    pub fn wait_until_exit_attr_thread_waits(&mut self) {
        let path = format!(
            "/proc/{}/task/{}/syscall",
            self.pid(),
            self.exit_attr_thread()
        );
        let waits = [libc::SYS_futex, libc::SYS_poll, libc::SYS_ppoll].map(|n| n.to_string());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text
                .split_whitespace()
                .next()
                .is_some_and(|call| waits.iter().any(|w| w == call))
            {
                return;
            }
            if Instant::now() > deadline {
                self.kill_hard();
                panic!("exit-attr's thread does not wait after {TIMEOUT:?}: {text}");
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

    /// Waits for the fixture to end, and collects its output. Fails the
    /// test after [`TIMEOUT`], showing every line the fixture printed.
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
            // Killed, its group has closed its stdout: collect what it wrote,
            // bounded in case a process outside the group holds the pipe.
            let drained = Instant::now() + Duration::from_secs(1);
            while let Ok(line) = self
                .lines
                .recv_timeout(drained.saturating_duration_since(Instant::now()))
            {
                self.seen.push(line);
            }
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
