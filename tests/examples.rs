//! The examples are part of the product: run each one and check what it
//! reports. `cargo test` builds them before it runs any test.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a built example: next to this test's own `deps/` folder.
fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    let profile_dir = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile_dir.join("examples").join(name)
}

#[test]
fn the_pidfile_example_removes_its_pidfile_on_sigterm() {
    let mut child = Command::new(example("pidfile"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the pidfile example (built by `cargo test`)");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the example did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[1], "supervisor: pidfile exists: true", "{stdout}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("service: exit function removed ")),
        "{stdout}"
    );
    assert!(
        lines.contains(&"supervisor: the service ended by SIGTERM"),
        "{stdout}"
    );
    assert_eq!(
        lines.last(),
        Some(&"supervisor: pidfile exists: false"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("signal SIGTERM received by process with PID "),
        "{stderr}"
    );
}
