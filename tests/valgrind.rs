//! Representative fixture runs under valgrind: memcheck, helgrind and drd
//! must each report no error at all, on the normal path, the signal path, and
//! in a forked child.
//!
//! helgrind and drd model pthread primitives only. They do not see the
//! futex-based locks of Rust's standard library, nor atomics, and report
//! accesses ordered by them as races. Each such false report that these runs
//! produce is listed, with its reason, in a reviewed suppression file
//! (`tests/valgrind/helgrind.supp`, `tests/valgrind/drd.supp`); whatever
//! those files and valgrind's own default suppressions do not match fails
//! the test, whether it is in exit-attr's code or not.

// valgrind's tools replace the C library's functions (malloc, the pthread
// calls) through a shared object that the dynamic loader preloads into the
// program. A static musl binary has no dynamic loader and calls its own
// copies of those functions, which the tools cannot intercept: memcheck sees
// no allocation at all, and helgrind and drd see threads start (the `clone`
// system call) but none of the locks that order them, so they report every
// access that two threads share. These runs mean something only for the
// dynamically linked glibc targets.
//
// Not for another architecture (`cross_compiled`, see the root `build.rs`):
// valgrind is this machine's, and instruments only its own.
#![cfg(all(target_env = "gnu", not(cross_compiled)))]

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, Outcome};

const TOOLS: &[&str] = &["memcheck", "helgrind", "drd"];
const FUNCTIONS: &[&str] = &["--fun", "first:TERM", "--fun", "second:"];

/// Runs `scenario` on the fixture under each tool, and checks that each of
/// the `processes` processes it runs (the fixture, and any child it forks)
/// wrote a log whose error summary says 0 errors. Every tool runs even after
/// one has failed, so that a failure shows what each of them found.
fn under_each_tool(name: &str, processes: usize, scenario: impl Fn(Fixture) -> Outcome) {
    let valgrind = which("valgrind").unwrap_or_else(|| {
        panic!("these tests need valgrind on PATH (Debian: apt-get install valgrind)")
    });
    let mut failures = Vec::new();
    for tool in TOOLS {
        // One log per process (`%p`): a forked child writes its own.
        let prefix = format!("exit-attr-valgrind-{name}-{tool}-{}-", std::process::id());
        let logs = std::env::temp_dir();
        let mut args = vec![
            format!("--tool={tool}"),
            format!(
                "--log-file={}",
                logs.join(format!("{prefix}%p.log")).display()
            ),
            // Deep enough that a suppression sees the frames it names: the
            // stdout entry's `_print` and `say` sit below a dozen frames that
            // std inlined into a few.
            "--num-callers=30".into(),
            // A report that fails the test comes with the entry that would
            // suppress it, to review (and, for a false report, adapt).
            "--gen-suppressions=all".into(),
        ];
        if let Some(file) = suppressions(tool) {
            args.push(format!("--suppressions={}", file.display()));
        }
        args.push(env!("CARGO_BIN_EXE_fixture").into());
        args.extend(FUNCTIONS.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut fixture = Fixture::start_program(valgrind.to_str().unwrap(), &args, |_| {});
        // One more registration (a closure for SIGINT, then unregistered),
        // made once the fixture waits for commands. The dispatcher thread
        // takes the registry lock when it starts (its warm-up), which it does
        // during the first registration; if the main thread's last registry
        // access came before that, the lock would order everything the
        // dispatcher does at exit after it, and a registry access that skips
        // the lock there would be reported or not depending on how the two
        // threads happened to run. The dispatcher warms up as soon as it
        // starts, at the latest while the main thread waits for input, so by
        // the time a command arrives it waits on its pipe, this registration
        // comes after its last lock, and such an access cannot hide. It also
        // runs the install and uninstall of a handler under the tools.
        fixture.send("listen-then-forget INT");
        fixture.wait_for("forgotten");
        let outcome = scenario(fixture);
        let logs = take_logs(&logs, &prefix);
        let report = logs.join("\n");
        if logs.len() != processes {
            failures.push(format!(
                "{name}: {tool} wrote {} logs for {processes} processes:\n{report}\n{outcome:#?}",
                logs.len()
            ));
        } else if !logs.iter().all(|log| reports_no_error(log)) {
            failures.push(format!(
                "{name}: {tool} reports errors:\n{report}\n{outcome:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The reviewed suppression file of `tool`, if it has one. memcheck needs
/// none: it reports nothing on these runs, not even an error that its
/// default suppressions hide.
fn suppressions(tool: &str) -> Option<PathBuf> {
    let file = match tool {
        "helgrind" | "drd" => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/valgrind")
            .join(format!("{tool}.supp")),
        _ => return None,
    };
    assert!(file.is_file(), "no suppression file {}", file.display());
    Some(file)
}

/// Whether a log says that its process ended with no error left after
/// suppression. A log without the summary counts as an error: valgrind did
/// not finish it (a bad suppression file, or a process killed outright).
fn reports_no_error(log: &str) -> bool {
    let summaries: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR SUMMARY:"))
        .collect();
    !summaries.is_empty()
        && summaries
            .iter()
            .all(|l| l.contains("ERROR SUMMARY: 0 errors"))
}

/// The contents of every log in `dir` whose name starts with `prefix`,
/// which are then removed.
fn take_logs(dir: &Path, prefix: &str) -> Vec<String> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read the temporary directory")
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            logs.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
            let _ = std::fs::remove_file(entry.path());
        }
    }
    logs
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(program))
        .find(|path| path.is_file())
}

#[test]
fn the_normal_path_is_clean() {
    under_each_tool("normal", 1, |fixture| {
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}

#[test]
fn the_signal_path_is_clean() {
    under_each_tool("signal", 1, |fixture| {
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}

#[test]
fn a_forked_child_is_clean() {
    under_each_tool("fork", 2, |mut fixture| {
        fixture.fork_and_terminate_child(1);
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}
