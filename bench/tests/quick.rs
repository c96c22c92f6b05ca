//! The harness still builds and runs: `bench --quick` over every variant,
//! with the programs `cargo test` has just built. Nothing here looks at a
//! timing; the quick numbers mean nothing.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn quick_mode_runs_every_variant_and_prints_the_tables() {
    let out_dir = std::env::temp_dir().join(format!("exit-attr-bench-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--quick", "--no-build", "--out-dir"])
        .arg(&out_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the harness");

    // A watchdog, so that a hang fails the test instead of blocking it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("poll the harness").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("bench --quick did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("collect the output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench --quick failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );

    for expected in [
        "## 1. Start-up cost",
        "| without exit-attr",
        "| with exit-attr",
        "| diagnostic: without exit-attr, ends in `_exit(0)`",
        "| diagnostic: with exit-attr, ends in `_exit(0)`",
        "| raw pthread, default stack, named by the creator (exit-attr before)",
        "| raw pthread, names itself, then warms up (exit-attr now)",
        "| std::thread, 64 KiB stack, named",
        "## 2. Signal to cleanup latency",
        "| exit-attr: register_exit_fun(f, &[SIGTERM])",
        "| exit-attr: #[register_exit_fun(logfun = None)]",
        "| ctrlc::set_handler (termination)",
        "| signal-hook: Signals on a thread",
        "| tokio: signal(terminate), current thread",
        "| raw handler → pipe → thread (floor)",
        "| raw handler → sem_post → thread (ctrlc's mechanism)",
        "| diagnostic: exit-attr (logfun = None), glibc arena_max=1",
        "## 3. Registration",
        "| register_exit_closure(.., &[])",
        "| register_exit_closure(.., &[]), batches of 1000",
        "| register_exit_closure(.., &[SIGTERM])",
        "| register_exit_fun, distinct fns",
        "| register_exit_fun, same fn again",
        "| glibc atexit",
        "| exit-attr closures",
        "| exit-attr closures, dispatcher running",
        "## Goals",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    for plot in ["latency.svg", "startup.svg"] {
        let svg = std::fs::read_to_string(out_dir.join(plot)).expect("the plot was written");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
