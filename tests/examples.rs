//! The examples are part of the product: run each one and check that it does
//! what it says. `cargo test --workspace` builds them before it runs any
//! test; an invocation that selects targets (`--tests`, `--test examples`)
//! does not, and then the examples found are missing or out of date.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, Outcome};

/// The path of a built example: next to this test's own `deps/` folder.
fn example(name: &str) -> String {
    let test = std::env::current_exe().expect("the test's path");
    let profile_dir: PathBuf = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .into();
    profile_dir
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

fn run(name: &str) -> Fixture {
    let path = example(name);
    assert!(
        Path::new(&path).exists(),
        "{path} is not built: `cargo test` builds the examples unless a target \
         selection (`--tests`, `--test NAME`, ...) leaves them out; run \
         `cargo test --workspace`"
    );
    Fixture::spawn(&path, &[], |_| {})
}

/// The directory a line `<prefix><path>` names.
fn path_after(line: &str, prefix: &str) -> PathBuf {
    PathBuf::from(line.strip_prefix(prefix).expect("the prefix"))
}

#[test]
fn the_tour_shows_every_row_as_promised() {
    let outcome: Outcome = run("tour").finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    let rows: Vec<&String> = outcome
        .stdout
        .iter()
        .filter(|l| l.ends_with(" yes") || l.ends_with(" NO"))
        .collect();
    assert_eq!(rows.len(), 11, "{outcome:#?}");
    assert!(rows.iter().all(|row| row.ends_with(" yes")), "{outcome:#?}");
    assert_eq!(
        outcome.stdout.last().map(String::as_str),
        Some("Every row is what exit-attr promises.")
    );
}

#[test]
fn the_daemon_removes_its_pidfile_when_sigterm_stops_it() {
    let outcome = run("daemon").finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    let removed = outcome
        .stdout
        .iter()
        .find(|l| l.starts_with("daemon: exit function removed "))
        .unwrap_or_else(|| panic!("{outcome:#?}"));
    assert!(!path_after(removed, "daemon: exit function removed ").exists());
    assert!(
        outcome
            .stdout
            .contains(&"admin: the daemon ended by SIGTERM; pidfile still there: false".to_owned())
    );
    // `exit_reason()` names who stopped the daemon: the administrator, the
    // example's own first process, which the harness started.
    let stopping = format!("daemon: stopping: SIGTERM from PID {}", outcome.pid);
    assert!(outcome.stdout.contains(&stopping), "{outcome:#?}");
}

/// Starts the tempdir example and waits until it works in its directory,
/// which exists then; returns the example and the directory.
fn tempdir_at_work() -> (Fixture, PathBuf) {
    let mut example = run("tempdir");
    let line = example.wait_for_prefix("working in ");
    let dir = path_after(&line, "working in ");
    assert!(dir.is_dir(), "{}", dir.display());
    example.wait_for("press Enter to finish, or Ctrl-C to interrupt");
    (example, dir)
}

/// Enter: `main` returns, the guard is dropped and its closure removes the
/// directory, once.
#[test]
fn the_tempdir_is_removed_at_a_normal_exit() {
    let (mut example, dir) = tempdir_at_work();
    example.send("");
    let outcome = example.finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.after("finished"),
        [format!("removed {}", dir.display())]
    );
    assert!(!dir.exists(), "{outcome:#?}");
    assert_eq!(outcome.stderr, "", "no error, no log line");
}

/// Ctrl-C: no destructor runs, the guard's closure does, on the exit path,
/// once; the process still ends by SIGINT, after the one log line.
#[test]
fn the_tempdir_is_removed_on_ctrl_c_and_the_process_ends_by_sigint() {
    let (example, dir) = tempdir_at_work();
    let outcome = example.end_by_hooked_signal(libc::SIGINT);
    assert_eq!(
        outcome.after("press Enter to finish, or Ctrl-C to interrupt"),
        [format!("removed {}", dir.display())]
    );
    assert!(!dir.exists(), "{outcome:#?}");
}

#[test]
fn the_tokio_server_shuts_down_its_own_way_then_the_exit_function_runs() {
    let mut example = run("tokio_server");
    example.wait_for_prefix("pid ");
    example.signal(libc::SIGTERM);
    let outcome = example.finish();
    assert_eq!(outcome.code(), Some(0), "tokio owns SIGTERM: {outcome:#?}");
    assert_eq!(
        outcome.stdout[1..],
        ["shutting down gracefully", "exit function: metrics flushed"]
    );
    assert_eq!(outcome.stderr, "", "exit-attr did not act on the signal");
}

#[test]
fn the_dynamic_example_cleans_up_what_is_still_registered() {
    let outcome = run("dynamic").finish();
    assert_eq!(outcome.code(), Some(0), "{outcome:#?}");
    assert_eq!(
        outcome.after("main returns"),
        [
            "removed the lock of job 3",
            "removed the lock of job 1",
            "cleanup finished"
        ]
    );
    assert!(
        outcome
            .stdout
            .contains(&"job 2 released its lock; unregistered: true".to_owned())
    );
    for line in outcome.stdout.iter().filter(|l| l.contains(" holds ")) {
        let (_, path) = line.split_once(" holds ").unwrap();
        assert!(!PathBuf::from(path).exists(), "{path} was left behind");
    }
}

/// The examples a newcomer runs first are a package of their own, so that
/// `cargo run --example tour` builds exit-attr, its attribute crate and their
/// build-time dependencies, and nothing of the test suite's (loom, trybuild,
/// tokio, ...): the README's "Try it" promises it.
#[test]
fn the_tour_builds_only_exit_attr_and_what_it_needs() {
    let output = common::output_within(
        std::process::Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "tree",
                "--package",
                "exit-attr-examples",
                "--edges",
                "normal,build,dev",
                "--prefix",
                "none",
                "--offline",
                "--locked",
            ]),
        common::TIMEOUT,
    );
    assert!(output.status.success(), "{output:?}");
    let mut crates: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    crates.sort_unstable();
    crates.dedup();
    assert_eq!(
        crates,
        [
            "exit-attr",
            "exit-attr-examples",
            "exit-attr-macros",
            "exit-attr-signals",
            "libc",
            "proc-macro2",
            "quote",
            "syn",
            "unicode-ident"
        ]
    );
}
