//! A service removes its pidfile when it is stopped with SIGTERM.
//!
//! Run it with `cargo run --example pidfile`. The example plays both parts:
//! it starts itself again as the "service", which writes a pidfile and
//! registers an exit function that removes it, then stops that service the
//! way systemd or `kill` would, and reports what happened. It exits with 0
//! when the pidfile is gone and the service died by SIGTERM, 1 otherwise.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use exit_attr::{Signal, register_exit_fun};

/// Set in the environment of the service process: where its pidfile goes.
const PIDFILE_VAR: &str = "EXIT_ATTR_EXAMPLE_PIDFILE";

fn main() {
    match std::env::var_os(PIDFILE_VAR) {
        Some(path) => service(PathBuf::from(path)),
        None => std::process::exit(if supervise() { 0 } else { 1 }),
    }
}

/// The exit function: an ordinary `fn()`, so it finds the pidfile through the
/// environment rather than a captured variable.
fn remove_pidfile() {
    if let Some(path) = std::env::var_os(PIDFILE_VAR) {
        match std::fs::remove_file(&path) {
            Ok(()) => println!("service: exit function removed {}", path.to_string_lossy()),
            Err(e) => println!("service: could not remove the pidfile: {e}"),
        }
    }
}

/// The service: write the pidfile, register the cleanup, work until stopped.
fn service(pidfile: PathBuf) {
    std::fs::write(&pidfile, format!("{}\n", std::process::id())).expect("write the pidfile");
    if let Err(e) = register_exit_fun(remove_pidfile, &[Signal::SIGTERM, Signal::SIGINT]) {
        eprintln!("service: cannot register the cleanup: {e}");
        std::process::exit(1);
    }
    println!("service: pidfile written, waiting for SIGTERM");
    loop {
        std::thread::park();
    }
}

/// Starts the service, stops it with SIGTERM, and checks the result.
fn supervise() -> bool {
    let pidfile =
        std::env::temp_dir().join(format!("exit-attr-example-{}.pid", std::process::id()));
    let mut service = Command::new(std::env::current_exe().expect("find this program"))
        .env(PIDFILE_VAR, &pidfile)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the service");
    let mut lines = BufReader::new(service.stdout.take().expect("piped stdout")).lines();

    let ready = lines.next().and_then(Result::ok).unwrap_or_default();
    println!("{ready}");
    println!("supervisor: pidfile exists: {}", pidfile.exists());
    println!("supervisor: sending SIGTERM to {}", service.id());
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(service.id() as libc::pid_t, libc::SIGTERM) };

    for line in lines.map_while(Result::ok) {
        println!("{line}");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        match service.try_wait().expect("wait for the service") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = service.kill();
                println!("supervisor: the service did not stop within 10 s");
                return false;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let signal = status.signal().and_then(|n| Signal::try_from(n).ok());
    match signal {
        Some(signal) => println!("supervisor: the service ended by {signal}"),
        None => println!("supervisor: the service ended with {status}"),
    }
    let removed = !pidfile.exists();
    println!("supervisor: pidfile exists: {}", !removed);
    removed && signal == Some(Signal::SIGTERM)
}
