//! Several copies of exit-attr in one process cooperate. The copies are
//! those of `tests/plugin`, a cdylib copied to one file per copy (`dlopen`
//! of a second name of the same file would return the library already
//! loaded), loaded with `RTLD_LOCAL` by a C program
//! (`tests/hosts/dlopen_host.c`), as a plugin host does, and by Python with
//! ctypes (`tests/hosts/ctypes_host.py`), as for extension modules: each
//! copy has its own statics, its own dispatcher and its own handler, and
//! cargo sees none of them. Each copy's exit function prints
//! `ran plugin NAME`.
//!
//! On a hooked signal every copy's function runs once, newest copy first,
//! then the host's own older handler once, and the process still ends by
//! the signal, with one log line; on a normal exit every copy's runs; a
//! forked host keeps every copy; a newer handler owns the signal for all of
//! them; a copy's timeout bounds that copy's functions.
//!
//! Not under musl: Rust's musl target links statically and has no cdylib
//! (rustc drops the crate type), a static musl program cannot `dlopen`,
//! and a musl shared library would need a musl host and musl's dynamic
//! loader, while the C compiler and Python here are glibc programs, which
//! cannot load one. Not for another architecture (`cross_compiled`, see
//! the root `build.rs`): the hosts are this machine's programs.
#![cfg(not(any(target_env = "musl", cross_compiled)))]

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    BUILD_TIMEOUT, Fixture, Outcome, build_fixture_cdylib, fixture_target_dir, log_line,
    output_within,
};

const PLUGIN: &str = "exit-attr-plugin";

/// Three copies, named by the order in which the hosts load them.
const NAMES: [&str; 3] = ["a", "b", "c"];

/// The line that a copy whose exit functions outlive its timeout prints
/// (`tests/plugin` sets 300 ms in a copy that hangs).
const ABANDONED: &str =
    "exit-attr: exit functions did not finish within 300ms; abandoning the rest";

/// `tests/plugin`'s shared library, built once per test binary, in release
/// as a plugin ships.
fn plugin_library() -> &'static Path {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(|| build_fixture_cdylib(PLUGIN, "release"))
}

/// `tests/hosts/dlopen_host.c`, compiled once per test binary.
fn dlopen_host() -> &'static str {
    static HOST: OnceLock<PathBuf> = OnceLock::new();
    let host = HOST.get_or_init(|| {
        require("cc", "to compile tests/hosts/dlopen_host.c");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hosts/dlopen_host.c");
        let dir = fixture_target_dir(PLUGIN);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        // Compiled under a name of this process's, then renamed: another
        // test run may be running the program that the rename replaces.
        let compiled = dir.join(format!("dlopen_host.{}", std::process::id()));
        let output = output_within(
            Command::new("cc")
                .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
                .arg(&compiled)
                .arg(&source)
                .arg("-ldl"),
            BUILD_TIMEOUT,
        );
        assert!(
            output.status.success(),
            "cc {}: {}\n{}",
            source.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let host = dir.join("dlopen_host");
        fs::rename(&compiled, &host)
            .unwrap_or_else(|e| panic!("rename to {}: {e}", host.display()));
        host
    });
    host.to_str().expect("a UTF-8 path")
}

/// Fails the test with a clear message if `program` is not on `PATH`.
fn require(program: &str, why: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|dir| dir.join(program).is_file());
    assert!(found, "this test needs `{program}` on PATH, {why}");
}

/// Copies of the plugin, one file per copy, in a fresh directory that is
/// removed with this value (after the host that loaded them has ended).
struct Copies {
    dir: PathBuf,
}

impl Copies {
    fn new(names: &[&str]) -> Copies {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let library = plugin_library();
        let dir = std::env::temp_dir().join(format!(
            "exit-attr-copies-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // Left over by an earlier run that had the same process id.
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let copies = Copies { dir };
        for name in names {
            let copy = copies.path(name);
            fs::copy(library, &copy).unwrap_or_else(|e| panic!("copy to {}: {e}", copy.display()));
        }
        copies
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.so"))
    }
}

impl Drop for Copies {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The programs that load the copies.
#[derive(Clone, Copy)]
enum Host {
    C,
    Python,
}

/// Copies the plugin once per name in `plugins` (name, behaviour: `normal`
/// or `hangs`), starts `host` with `options` and the copies, loaded in
/// that order, and waits for its `ready`. The copies must outlive the host.
fn start(host: Host, options: &[&str], plugins: &[(&str, &str)]) -> (Copies, Fixture) {
    let names: Vec<&str> = plugins.iter().map(|&(name, _)| name).collect();
    let copies = Copies::new(&names);
    let paths: Vec<String> = names
        .iter()
        .map(|name| copies.path(name).to_str().expect("a UTF-8 path").to_owned())
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hosts/ctypes_host.py");
    let (program, mut args) = match host {
        Host::C => (dlopen_host(), Vec::new()),
        Host::Python => {
            require("python3", "to run tests/hosts/ctypes_host.py");
            ("python3", vec![script])
        }
    };
    args.extend_from_slice(options);
    for (path, &(name, behaviour)) in paths.iter().zip(plugins) {
        args.extend([path.as_str(), name, behaviour]);
    }
    // The harness starts it with every signal at its default action, so a
    // test run in the background still sees SIGINT reach Python's handler.
    let fixture = Fixture::start_program(program, &args, |_| {});
    (copies, fixture)
}

/// `count` copies that behave normally, named `a`, `b`, ...
fn normal(count: usize) -> Vec<(&'static str, &'static str)> {
    NAMES[..count]
        .iter()
        .map(|&name| (name, "normal"))
        .collect()
}

/// What the exit functions of copies loaded in the order of `names` print,
/// in the order they run, newest copy first; `prefix` is `child ` in a
/// forked child.
fn ran_newest_first(names: &[&str], prefix: &str) -> Vec<String> {
    names
        .iter()
        .rev()
        .map(|name| format!("{prefix}ran plugin {name}"))
        .collect()
}

/// `names` loaded by `host`, SIGTERM: every copy's function once, newest
/// first, one log line, and death by SIGTERM.
fn sigterm_runs_every_copy(host: Host, names: &[&str]) {
    let plugins: Vec<_> = names.iter().map(|&name| (name, "normal")).collect();
    let (_copies, fixture) = start(host, &[], &plugins);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        ran_newest_first(names, ""),
        "{outcome:#?}"
    );
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

/// `names` loaded by `host`, then `command` (`return`, `exit 3`): every
/// copy's function once, with the status unchanged, and nothing on stderr.
///
/// The normal path runs the copies' `atexit` handlers (glibc's `on_exit`),
/// one per copy, registered when the copy registered its first function,
/// which the attribute does as the copy is loaded. The C library calls them
/// in reverse order of registration: newest copy first.
fn a_normal_exit_runs_every_copy(host: Host, names: &[&str], command: &str, code: i32) {
    let plugins: Vec<_> = names.iter().map(|&name| (name, "normal")).collect();
    let (_copies, fixture) = start(host, &[], &plugins);
    let outcome = fixture.end_with_command(command, code);
    assert_eq!(
        outcome.after("ready"),
        ran_newest_first(names, ""),
        "{command}: {outcome:#?}"
    );
    assert_eq!(outcome.stderr, "", "{command}");
}

/// `names` loaded by `host`, which then forks; SIGTERM to the child runs
/// every copy's function in the child (which says `child ran ...`) and ends
/// it by the signal; the parent then exits normally, running each once.
fn a_signal_to_a_forked_host_runs_every_copy_in_the_child_only(host: Host, names: &[&str]) {
    let plugins: Vec<_> = names.iter().map(|&name| (name, "normal")).collect();
    let (_copies, mut fixture) = start(host, &[], &plugins);
    let child = fixture.fork_and_terminate_child(1);
    let outcome = fixture.end_with_command("return", 0);
    let lines = outcome.after("ready");
    // The child's `child ready` and the parent's `forked PID`, in either
    // order.
    let (ready, rest) = lines.split_at(2);
    let forked = format!("forked {child}");
    assert_eq!(
        ready.iter().copied().collect::<HashSet<_>>(),
        HashSet::from(["child ready", forked.as_str()]),
        "{outcome:#?}"
    );
    let mut expected = ran_newest_first(names, "child ");
    expected.push("child ended by signal 15".to_owned());
    expected.extend(ran_newest_first(names, ""));
    assert_eq!(rest, expected, "{outcome:#?}");
    // One log line, the child's: every copy's default log function is the
    // same function, and one copy printed it.
    assert_eq!(outcome.stderr, format!("{}\n", log_line("SIGTERM", child)));
}

/// Three copies, the newest of which prints no log line: the one before it
/// prints the line, and tells the oldest so, which then prints none.
fn the_log_line_is_printed_once_when_the_newest_copy_prints_none(host: Host) {
    let plugins = [("a", "normal"), ("b", "normal"), ("c", "silent")];
    let (_copies, fixture) = start(host, &[], &plugins);
    let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
    assert_eq!(
        outcome.after("ready"),
        ran_newest_first(&NAMES, ""),
        "{outcome:#?}"
    );
    assert_only_the_log_line(&outcome, "SIGTERM");
}

/// The process ended by `signal`, and stderr holds exactly the one log line.
fn assert_only_the_log_line(outcome: &Outcome, signal: &str) {
    assert_eq!(
        outcome.stderr,
        format!("{}\n", outcome.log_line(signal)),
        "{outcome:#?}"
    );
}

mod c_host {
    use super::*;

    #[test]
    fn the_log_line_is_printed_once_when_the_newest_copy_prints_none() {
        super::the_log_line_is_printed_once_when_the_newest_copy_prints_none(Host::C);
    }

    #[test]
    fn sigterm_runs_every_copy_once_newest_first_then_ends_the_process_by_it() {
        for count in [2, 3] {
            sigterm_runs_every_copy(Host::C, &NAMES[..count]);
        }
    }

    #[test]
    fn sigint_runs_every_copy_then_the_hosts_older_handler_once_last() {
        for count in [2, 3] {
            let (_copies, fixture) = start(Host::C, &["--older", "INT"], &normal(count));
            let outcome = fixture.end_by_hooked_signal(libc::SIGINT);
            let mut expected = ran_newest_first(&NAMES[..count], "");
            expected.push("host handler ran for 2".to_owned());
            assert_eq!(outcome.after("ready"), expected, "{outcome:#?}");
            assert_only_the_log_line(&outcome, "SIGINT");
        }
    }

    #[test]
    fn a_normal_exit_runs_every_copy_once_newest_first_with_the_status_unchanged() {
        for count in [2, 3] {
            a_normal_exit_runs_every_copy(Host::C, &NAMES[..count], "return", 0);
            a_normal_exit_runs_every_copy(Host::C, &NAMES[..count], "exit 3", 3);
        }
    }

    #[test]
    fn a_signal_to_a_forked_host_runs_every_copy_in_the_child_only() {
        for count in [2, 3] {
            super::a_signal_to_a_forked_host_runs_every_copy_in_the_child_only(
                Host::C,
                &NAMES[..count],
            );
        }
    }

    /// A raw `sigaction` handler installed after both copies, calling
    /// nothing else, owns SIGTERM: no copy acts on it (no log line, no
    /// function), the process keeps running, and every copy's function
    /// runs when it later exits.
    #[test]
    fn a_newer_handler_that_chains_nothing_owns_the_signal_for_every_copy() {
        newer_handler_owns_the_signal("--newer");
    }

    /// The same with a newer handler that calls the one it replaced, the
    /// newest copy's, as signal-hook and tokio do: that copy sees a foreign
    /// handler installed over its own, and neither it nor the older copy
    /// acts on the signal.
    #[test]
    fn a_newer_handler_that_chains_to_the_copies_still_owns_the_signal() {
        newer_handler_owns_the_signal("--newer-chaining");
    }

    fn newer_handler_owns_the_signal(option: &str) {
        let (_copies, mut fixture) = start(Host::C, &[option, "TERM"], &normal(2));
        fixture.signal(libc::SIGTERM);
        fixture.wait_for("newer handler ran");
        let outcome = fixture.end_with_command("return", 0);
        assert_eq!(
            outcome.after("ready"),
            ["newer handler ran", "ran plugin b", "ran plugin a"],
            "{option}: {outcome:#?}"
        );
        assert_eq!(outcome.stderr, "", "{option}");
    }

    /// The older copy's function hangs, and that copy's timeout (300 ms)
    /// abandons it: the newer copy has run its function, the process still
    /// dies by the signal, and the abandonment is said once.
    #[test]
    fn a_hanging_older_copy_is_abandoned_at_its_own_timeout() {
        a_hanging_copy_is_abandoned(
            &[("a", "hangs"), ("b", "normal")],
            &["ran plugin b", "ran plugin a", "plugin a hangs"],
        );
    }

    /// The newer copy's function hangs, and that copy's timeout abandons
    /// it: the older copy's function still runs after it, and the process
    /// still dies by the signal.
    #[test]
    fn a_hanging_newer_copy_is_abandoned_at_its_own_timeout() {
        a_hanging_copy_is_abandoned(
            &[("a", "normal"), ("b", "hangs")],
            &["ran plugin b", "plugin b hangs", "ran plugin a"],
        );
    }

    /// `plugins`, one of which hangs, SIGTERM: the functions print
    /// `expected`, the process dies by SIGTERM, and stderr holds the log
    /// line and then the one line that says the rest were abandoned.
    fn a_hanging_copy_is_abandoned(plugins: &[(&str, &str)], expected: &[&str]) {
        let (_copies, fixture) = start(Host::C, &[], plugins);
        let outcome = fixture.end_by_hooked_signal(libc::SIGTERM);
        assert_eq!(outcome.after("ready"), expected, "{outcome:#?}");
        assert_eq!(
            outcome.stderr,
            format!("{}\n{ABANDONED}\n", outcome.log_line("SIGTERM"))
        );
    }
}

mod python_host {
    use super::*;

    #[test]
    fn the_log_line_is_printed_once_when_the_newest_copy_prints_none() {
        super::the_log_line_is_printed_once_when_the_newest_copy_prints_none(Host::Python);
    }

    #[test]
    fn sigterm_runs_both_copies_once_newest_first_then_ends_the_process_by_it() {
        sigterm_runs_every_copy(Host::Python, &NAMES[..2]);
    }

    /// Python installs its own SIGINT handler when it starts, before the
    /// copies: it is chained once, after every copy's function, and the
    /// process still dies by SIGINT. Its C-level handler says so with the
    /// wakeup byte (the signal's number), which the host makes it write to
    /// stdout's pipe, in order with the copies' lines: a last line with no
    /// newline.
    ///
    /// Python's handler only records the signal for its main thread, which
    /// would raise `KeyboardInterrupt` at its next bytecode, in a race with
    /// the end of the process. So the signal is sent once the main thread
    /// sleeps in `read`: the copies' handlers restart it (`SA_RESTART`), and
    /// it sleeps there until the process dies.
    #[test]
    fn sigint_runs_both_copies_then_pythons_own_handler_once_last() {
        let (_copies, mut fixture) = start(Host::Python, &["--wakeup-on-stdout"], &normal(2));
        fixture.wait_until_main_thread_reads_stdin();
        let outcome = fixture.end_by_hooked_signal(libc::SIGINT);
        assert_eq!(
            outcome.after("ready"),
            ["ran plugin b", "ran plugin a", "\u{2}"],
            "{outcome:#?}"
        );
        assert_only_the_log_line(&outcome, "SIGINT");
    }

    #[test]
    fn a_normal_exit_runs_both_copies_once_newest_first_with_the_status_unchanged() {
        a_normal_exit_runs_every_copy(Host::Python, &NAMES[..2], "return", 0);
        a_normal_exit_runs_every_copy(Host::Python, &NAMES[..2], "exit 3", 3);
    }

    #[test]
    fn a_signal_to_a_forked_host_runs_both_copies_in_the_child_only() {
        super::a_signal_to_a_forked_host_runs_every_copy_in_the_child_only(
            Host::Python,
            &NAMES[..2],
        );
    }
}

/// A host that unloads its plugins (`dlclose`) and then gets SIGTERM, or
/// exits: each copy pinned itself in memory when it registered, so its
/// handler and its `atexit` bridge still point into mapped code, and its
/// exit function still runs, once. Without the pin the host would die by
/// SIGSEGV on either path. The pin holds even against a host that closes
/// each library once too often (`unload-twice`), as the pin marks the
/// object never to be unloaded (`RTLD_NODELETE`) rather than only holding
/// one more reference. Checked with one copy and with two; `end` ends the
/// host and asserts how it ended.
fn a_host_that_unloaded_its_plugins_still_runs_them(end: impl Fn(Fixture) -> Outcome) {
    for unload in ["unload", "unload-twice"] {
        for count in [1, 2] {
            let (_copies, mut fixture) = start(Host::C, &[], &normal(count));
            fixture.send(unload);
            fixture.wait_for("unloaded");
            let outcome = end(fixture);
            assert_eq!(
                outcome.after("unloaded"),
                ran_newest_first(&NAMES[..count], ""),
                "{unload}, {count} copies: {outcome:#?}"
            );
        }
    }
}

#[test]
fn a_host_that_unloaded_its_plugins_still_runs_their_exit_functions_on_sigterm() {
    a_host_that_unloaded_its_plugins_still_runs_them(|fixture| {
        fixture.end_by_hooked_signal(libc::SIGTERM)
    });
}

#[test]
fn a_host_that_unloaded_its_plugins_still_runs_their_exit_functions_at_normal_exit() {
    a_host_that_unloaded_its_plugins_still_runs_them(|fixture| {
        let outcome = fixture.end_with_command("exit 3", 3);
        assert_eq!(outcome.stderr, "", "{outcome:#?}");
        outcome
    });
}
