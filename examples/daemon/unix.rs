//! The daemon example itself: see `main.rs`.

use std::io::Read;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use exit_attr::{ExitReason, Signal, exit_reason, register_exit_fun};

/// Where the daemon writes its pidfile; set before `fork`, so the exit
/// function (a plain `fn()`) can find it.
static PIDFILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn remove_pidfile() {
    // Who stopped the daemon is the first thing an operator asks. The sender
    // is one the kernel vouches for, or none: fit for a log line, never for
    // authorisation.
    match exit_reason() {
        Some(ExitReason::Signal {
            signal,
            sender_pid: Some(pid),
            ..
        }) => println!("daemon: stopping: {signal} from PID {pid}"),
        // The kernel or the terminal sent it: there is no sender to name.
        Some(ExitReason::Signal { signal, .. }) => println!("daemon: stopping: {signal}"),
        Some(ExitReason::Exit { code: Some(code) }) => {
            println!("daemon: exiting with status {code}")
        }
        _ => println!("daemon: exiting"),
    }
    if let Some(path) = PIDFILE.get() {
        let _ = std::fs::remove_file(path);
        println!("daemon: exit function removed {}", path.display());
    }
}

pub(crate) fn main() {
    let pidfile = std::env::temp_dir().join(format!("exit-attr-daemon-{}.pid", std::process::id()));
    PIDFILE.set(pidfile.clone()).expect("set once");
    let (ready_read, ready_write) = pipe();

    // SAFETY: the child only calls async-signal-safe functions until it
    // has finished setting up, and the parent is single-threaded here.
    match unsafe { libc::fork() } {
        -1 => panic!("fork failed: {}", std::io::Error::last_os_error()),
        0 => {
            drop(ready_read);
            daemon(&pidfile, ready_write);
        }
        pid => {
            drop(ready_write);
            let ok = administer(pid, &pidfile, ready_read);
            std::process::exit(if ok { 0 } else { 1 });
        }
    }
}

/// The daemon: detach, write the pidfile, register the cleanup, serve.
fn daemon(pidfile: &Path, ready: OwnedFd) -> ! {
    // SAFETY: setsid has no preconditions; it detaches from the terminal.
    unsafe { libc::setsid() };
    std::fs::write(pidfile, format!("{}\n", std::process::id())).expect("write the pidfile");
    register_exit_fun(
        remove_pidfile,
        &[Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP],
    )
    .expect("register the cleanup");
    println!(
        "daemon: pid {} written to {}",
        std::process::id(),
        pidfile.display()
    );
    // Tell the administrator we are up, as a service manager's notify would,
    // by closing the pipe: here, with every other descriptor from 3 up, as a
    // classic daemon does once it is set up.
    let _ = ready.into_raw_fd();
    for fd in 3..1024 {
        // SAFETY: closing descriptors this process no longer uses (none of
        // them is owned by a Rust value any more).
        unsafe { libc::close(fd) };
    }
    loop {
        // Serve requests here; this daemon just waits.
        std::thread::park();
    }
}

/// The administrator: wait for the daemon, stop it, check its cleanup.
fn administer(pid: libc::pid_t, pidfile: &Path, ready: OwnedFd) -> bool {
    // The daemon closes its end of the pipe once it is ready.
    let _ = std::fs::File::from(ready).read(&mut [0]);
    let written: libc::pid_t = std::fs::read_to_string(pidfile)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    if written != pid {
        println!("admin: the pidfile does not name the daemon (pid {pid})");
        // SAFETY: kill has no memory-safety preconditions; `pid` is our child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        return false;
    }
    println!("admin: pidfile names pid {written}; sending SIGTERM");
    // SAFETY: kill has no memory-safety preconditions; `written` is our child.
    unsafe { libc::kill(written, libc::SIGTERM) };

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    // SAFETY: waiting for our own child, without blocking.
    while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
        if Instant::now() > deadline {
            println!("admin: the daemon did not stop within 10 s");
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let by_sigterm = libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGTERM;
    println!(
        "admin: the daemon ended {}; pidfile still there: {}",
        if by_sigterm {
            "by SIGTERM"
        } else {
            "some other way"
        },
        pidfile.exists()
    );
    by_sigterm && !pidfile.exists()
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    // SAFETY: pipe() returned two new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}
