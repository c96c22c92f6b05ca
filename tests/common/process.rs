//! Processes and cargo: bounded waits, and building the fixture packages
//! that the tests build themselves.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Reads `pipe` to its end on a thread, and returns what it read (lossily
/// decoded) when joined.
pub(super) fn read_to_end_in_background(
    mut pipe: impl Read + Send + 'static,
) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` to end, at most `limit`; `None` if it is still running.
pub(super) fn wait_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
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
