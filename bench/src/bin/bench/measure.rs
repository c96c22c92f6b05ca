//! Running the programs: spawning, timing, waiting (always bounded), and the
//! resource usage the kernel reports for a child.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Result;

/// How long any program may run before the watchdog kills it.
const LIMIT: Duration = Duration::from_secs(20);

/// How long a latency program is left idle between `ready` and the signal,
/// so that every thread it started has reached its blocking call.
const SETTLE: Duration = Duration::from_millis(2);

/// Kills a child that runs past its deadline, so that a hang fails the run
/// instead of blocking it. One thread for the whole run; arming and disarming
/// are a mutex each, nothing the timed code would notice.
#[derive(Clone)]
pub(crate) struct Watchdog {
    armed: Arc<Mutex<Option<(libc::pid_t, Instant)>>>,
}

impl Watchdog {
    pub(crate) fn start() -> Watchdog {
        let armed: Arc<Mutex<Option<(libc::pid_t, Instant)>>> = Arc::default();
        let watched = Arc::clone(&armed);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let mut armed = watched.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((pid, deadline)) = *armed {
                    if Instant::now() > deadline {
                        // SAFETY: kill has no memory preconditions. The child
                        // is not reaped while armed (disarm comes first), so
                        // the pid still names it.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                        *armed = None;
                    }
                }
            }
        });
        Watchdog { armed }
    }

    fn arm(&self, pid: libc::pid_t) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = Some((pid, Instant::now() + LIMIT));
    }

    fn disarm(&self) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// What the kernel says about a child that ended.
pub(crate) struct Ended {
    /// From just before the spawn to the return of `wait4`.
    pub(crate) wall: Duration,
    /// Everything the child printed on stdout (empty unless captured).
    pub(crate) stdout: String,
}

/// The programs of this package, next to the harness's own executable.
pub(crate) struct Programs {
    dir: PathBuf,
    pub(crate) watchdog: Watchdog,
}

impl Programs {
    pub(crate) fn locate(names: &[&str]) -> Result<Programs> {
        let exe = std::env::current_exe()?;
        let dir = exe
            .parent()
            .ok_or("the harness's executable has no directory")?
            .to_path_buf();
        for name in names {
            if !dir.join(name).is_file() {
                return Err(format!(
                    "{} is missing; build every program of the harness with \
                     `cargo build --release -p exit-attr-bench --bins`, or run \
                     `cargo run --release -p exit-attr-bench --bin bench`, which does",
                    dir.join(name).display()
                )
                .into());
            }
        }
        Ok(Programs {
            dir,
            watchdog: Watchdog::start(),
        })
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn command(&self, name: &str, args: &[&str]) -> Command {
        let mut command = Command::new(self.path(name));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Runs `name` to its end with every stream on /dev/null: the wall time
    /// covers spawn to reaped exit and nothing else.
    pub(crate) fn run_quiet(&self, name: &str, args: &[&str]) -> Result<Ended> {
        let command = self.command(name, args);
        self.run(command, name, false)
    }

    /// Runs `name` to its end and captures its stdout.
    pub(crate) fn run_captured(
        &self,
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Ended> {
        let mut command = self.command(name, args);
        command.stdout(Stdio::piped()).envs(env.iter().copied());
        self.run(command, name, true)
    }

    fn run(&self, mut command: Command, name: &str, capture: bool) -> Result<Ended> {
        let start = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("spawn {name}: {e}"))?;
        let pid = child.id() as libc::pid_t;
        self.watchdog.arm(pid);
        let mut stdout = String::new();
        if capture {
            if let Some(mut out) = child.stdout.take() {
                out.read_to_string(&mut stdout)?;
            }
        }
        let waited = wait4(pid);
        let wall = start.elapsed();
        self.watchdog.disarm();
        let status = waited?;
        check_not_killed(name, status)?;
        if !status.success() {
            return Err(format!("{name} failed: {status}; it printed: {stdout}").into());
        }
        Ok(Ended { wall, stdout })
    }

    /// One signal-latency sample: start `name`, wait for `ready`, let it
    /// settle, then time from just before `kill(SIGTERM)` until the first
    /// line of its cleanup arrives on the pipe.
    pub(crate) fn signal_latency(&self, name: &str, env: &[(&str, &str)]) -> Result<Duration> {
        let mut command = self.command(name, &[]);
        command.stdout(Stdio::piped()).envs(env.iter().copied());
        let mut child = command.spawn().map_err(|e| format!("spawn {name}: {e}"))?;
        let pid = child.id() as libc::pid_t;
        self.watchdog.arm(pid);
        let outcome = (|| -> Result<Duration> {
            let stdout = child.stdout.take().ok_or("no stdout")?;
            let mut lines = BufReader::new(stdout);
            expect_line(&mut lines, name, exit_attr_bench::READY)?;
            std::thread::sleep(SETTLE);
            let start = Instant::now();
            // SAFETY: kill has no memory preconditions; the child is not
            // reaped yet, so the pid names it.
            if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
                return Err(std::io::Error::last_os_error().into());
            }
            expect_line(&mut lines, name, exit_attr_bench::CLEANUP)?;
            Ok(start.elapsed())
        })();
        let waited = wait4(pid);
        self.watchdog.disarm();
        let latency = outcome?;
        check_not_killed(name, waited?)?;
        Ok(latency)
    }

    /// The size of a program's file, and of a stripped copy if `strip` is
    /// available.
    pub(crate) fn sizes(&self, name: &str, scratch: &Path) -> Result<(u64, Option<u64>)> {
        let path = self.path(name);
        let size = std::fs::metadata(&path)?.len();
        let stripped_path = scratch.join(format!("{name}.stripped"));
        let stripped = Command::new("strip")
            .arg("-o")
            .arg(&stripped_path)
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(ExitStatus::success)
            .and_then(|_| std::fs::metadata(&stripped_path).ok())
            .map(|m| m.len());
        let _ = std::fs::remove_file(&stripped_path);
        Ok((size, stripped))
    }
}

fn expect_line(lines: &mut impl BufRead, name: &str, expected: &str) -> Result<()> {
    let mut line = String::new();
    lines.read_line(&mut line)?;
    if line.trim_end() != expected {
        return Err(format!("{name} printed {line:?} where {expected:?} was expected").into());
    }
    Ok(())
}

fn check_not_killed(name: &str, status: ExitStatus) -> Result<()> {
    if status.signal() == Some(libc::SIGKILL) {
        return Err(format!("{name} ran for more than {LIMIT:?} and was killed").into());
    }
    if status.code() == Some(exit_attr_bench::GAVE_UP) {
        return Err(format!("{name} never received its signal").into());
    }
    Ok(())
}

/// Reaps `pid` and returns its status. (Not its `ru_maxrss`: see
/// `exit_attr_bench::memory_and_threads` for why the programs report their
/// own memory.)
fn wait4(pid: libc::pid_t) -> Result<ExitStatus> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is valid for writes; no rusage is asked for.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, std::ptr::null_mut()) };
        if reaped == pid {
            return Ok(ExitStatus::from_raw(status));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {error}").into());
        }
    }
}
