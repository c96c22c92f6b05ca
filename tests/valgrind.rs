//! Representative fixture runs under valgrind: memcheck must find no memory
//! error, and helgrind and drd no data race in exit-attr's own code, on the
//! normal path, the signal path, and in a forked child.
//!
//! helgrind and drd know pthread primitives, not the futex-based locks of
//! Rust's standard library, so they report races inside `std` (the stdout
//! lock, `OnceLock`) that are not races. A report counts here when the
//! innermost frame of Rust code it names, past `core`, `std` and `alloc`, is
//! exit-attr's, and the access is not an atomic one (atomics cannot race,
//! but the tools do not model them).

mod common;

use std::path::PathBuf;

use common::{Fixture, Outcome};

const TOOLS: &[&str] = &["memcheck", "helgrind", "drd"];
const FUNCTIONS: &[&str] = &["--fun", "first:TERM", "--fun", "second:"];

/// Runs `scenario` on the fixture under each tool and checks the reports.
fn under_each_tool(name: &str, scenario: impl Fn(Fixture) -> Outcome) {
    let valgrind = which("valgrind").unwrap_or_else(|| {
        panic!("these tests need valgrind on PATH (Debian: apt-get install valgrind)")
    });
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
            env!("CARGO_BIN_EXE_fixture").into(),
        ];
        args.extend(FUNCTIONS.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fixture = Fixture::start_program(valgrind.to_str().unwrap(), &args, |_| {});
        let outcome = scenario(fixture);
        let report = take_logs(&logs, &prefix);
        if *tool == "memcheck" {
            let summaries: Vec<&str> = report
                .lines()
                .filter(|l| l.contains("ERROR SUMMARY:"))
                .collect();
            assert!(
                !summaries.is_empty()
                    && summaries
                        .iter()
                        .all(|l| l.contains("ERROR SUMMARY: 0 errors")),
                "{name}: memcheck found errors:\n{report}\n{outcome:#?}"
            );
        } else {
            let ours = races_in_exit_attr(&report);
            assert!(
                ours.is_empty(),
                "{name}: {tool} reports races in exit-attr:\n{}",
                ours.join("\n\n")
            );
        }
    }
}

/// The contents of every log in `dir` whose name starts with `prefix`,
/// which are then removed.
fn take_logs(dir: &std::path::Path, prefix: &str) -> String {
    let mut report = String::new();
    for entry in std::fs::read_dir(dir)
        .expect("read the temporary directory")
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            report += &std::fs::read_to_string(entry.path()).unwrap_or_default();
            let _ = std::fs::remove_file(entry.path());
        }
    }
    assert!(!report.is_empty(), "valgrind wrote no log");
    report
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(program))
        .find(|path| path.is_file())
}

/// The race reports whose innermost non-std Rust frame is exit-attr's.
fn races_in_exit_attr(report: &str) -> Vec<String> {
    let mut ours = Vec::new();
    let lines: Vec<&str> = report.lines().map(strip_pid_prefix).collect();
    for (start, line) in lines.iter().enumerate() {
        if !(line.starts_with("Possible data race") || line.starts_with("Conflicting ")) {
            continue;
        }
        let block: Vec<&str> = lines[start..]
            .iter()
            .take_while(|l| !l.is_empty())
            .copied()
            .collect();
        // An access through an atomic cannot race; the tools report them
        // because they do not model atomics, only pthread primitives.
        let first_frame = block.iter().find(|l| l.trim_start().starts_with("at "));
        if first_frame.is_some_and(|f| f.contains("atomic.rs:")) {
            continue;
        }
        let innermost = block.iter().filter_map(|l| frame_crate(l)).next();
        if innermost == Some("exit_attr") {
            ours.push(block.join("\n"));
        }
    }
    ours
}

/// `==1234== text` to `text`.
fn strip_pid_prefix(line: &str) -> &str {
    line.strip_prefix("==")
        .and_then(|rest| rest.split_once("=="))
        .map_or(line, |(_, text)| text.strip_prefix(' ').unwrap_or(text))
}

/// The crate of a stack frame line (`at 0x..: crate::path (file.rs:1)`),
/// or `None` for frames of `core`, `std`, `alloc`, generic helpers named
/// without a path, and C code.
fn frame_crate(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let rest = line
        .strip_prefix("at ")
        .or_else(|| line.strip_prefix("by "))?;
    let function = rest.split_once(": ").map_or(rest, |(_, f)| f);
    let function = function.trim_start_matches(['<', '&']);
    let (krate, _) = function.split_once("::")?;
    let is_path = !krate.is_empty() && krate.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (is_path && !["core", "std", "alloc"].contains(&krate)).then_some(krate)
}

#[test]
fn the_normal_path_is_clean() {
    under_each_tool("normal", |fixture| {
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}

#[test]
fn the_signal_path_is_clean() {
    under_each_tool("signal", |fixture| {
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}

#[test]
fn a_forked_child_is_clean() {
    under_each_tool("fork", |mut fixture| {
        fixture.fork_and_terminate_child(1);
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(outcome.ran(), ["ran second", "ran first"]);
        outcome
    });
}

#[test]
fn the_report_filter_keeps_exit_attr_frames_only() {
    let report = "\
==1== Possible data race during read of size 8 at 0x1 by thread #2
==1==    at 0x2: <alloc::vec::Vec<u8>>::len (mod.rs:1)
==1==    by 0x3: exit_attr::registry::Registry::push (registry.rs:1)
==1==
==1== Possible data race during write of size 1 at 0x1 by thread #1
==1==    at 0x2: core::sync::atomic::atomic_store (library/core/src/sync/atomic.rs:3876)
==1==    by 0x3: exit_attr::state::ExitState::finish (state.rs:91)
==1==
==1== Possible data race during read of size 8 at 0x1 by thread #2
==1==    at 0x2: lock<core::cell::RefCell<u8>> (reentrant_lock.rs:290)
==1==    by 0x3: std::io::stdio::_print (stdio.rs:1275)
==1==    by 0x4: fixture::commands::say (commands.rs:25)
==1==    by 0x5: exit_attr::run::run_one (run.rs:105)
==1==
";
    let ours = races_in_exit_attr(report);
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert!(ours[0].contains("exit_attr::registry::Registry::push"));
}
