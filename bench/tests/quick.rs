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
        "| without exit-attr (plain: `main` prints a line)",
        "| with exit-attr (one `#[register_exit_fun]`, SIGTERM)",
        "| with ctrlc::set_handler (termination)",
        "| with signal-hook: Signals::new([SIGTERM]) on a std thread",
        "| with one raw pthread blocked on a pipe (thread floor)",
        "| diagnostic: without exit-attr, ends in `_exit(0)`",
        "| diagnostic: with exit-attr, ends in `_exit(0)`",
        "| diagnostic: with ctrlc, ends in `_exit(0)`",
        "| diagnostic: with the thread floor, ends in `_exit(0)`",
        "| exit-attr − ctrlc (start-up plus normal exit)",
        "| exit-attr − plain (start-up plus normal exit)",
        "| exit-attr − ctrlc, both `_exit(0)` (registration only)",
        "| exit-attr − thread floor, both `_exit(0)` (registration only)",
        "| threads in main",
        "| raw pthread, default stack, named by the creator",
        "| raw pthread, names itself, then warms up at once",
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
        "| register_exit_closure(.., &[]), 4-word capture (boxed)",
        "| register_exit_closure(.., &[SIGTERM])",
        "| exit_guard(.., &[]) (unregistration: the guard's drop)",
        "| register_exit_fun, distinct fn() pointers",
        "| register_exit_fun, distinct fn items",
        "| register_exit_fun, same fn() again",
        "| glibc atexit",
        "| exit-attr closures",
        "| exit-attr closures, dispatcher running",
        "## 4. At exit: the normal-exit hand-off",
        "| exit-attr: register_exit_fun(f, &[SIGTERM]), warm (50 ms in main)",
        "| glibc atexit(f), 50 ms in main",
        "| exit-attr: register_exit_fun(f, &[SIGTERM]), cold (main returns at once)",
        "| glibc atexit(f), main returns at once",
        "## Goals",
        "- Start-up plus normal exit: median wall-time ratio exit-attr / ctrlc",
        "- Start-up, registration only (`_exit(0)`): exit-attr − thread floor",
        "- Latency: exit-attr (register_exit_fun) median / ctrlc's median",
        "- Latency: exit-attr (register_exit_fun) p99 / ctrlc's p99",
        "- Registration: closure, registry growing to",
        "- Registration: exit_guard,",
        "- Registration: register_exit_fun of 8192 distinct fn() pointers",
        "- Registration: register_exit_fun of 4096 distinct fn items",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    for plot in ["latency.svg", "startup.svg"] {
        let svg = std::fs::read_to_string(out_dir.join(plot)).expect("the plot was written");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
