//! With the attribute form: functions registered by
//! `#[register_exit_fun]` before `main` (one of them in a library crate)
//! run once on every exit path, with the log function each form asks for.
//! Their registration order is the loader's, so these tests compare sets;
//! the function-form tests prove the order.

mod common;

use std::process::Stdio;

use common::{Fixture, Outcome, log_line};

/// Every exit function of the attribute fixture, sorted.
const ALL: &[&str] = &[
    "ran lib_cleanup",
    "ran on_exit_only",
    "ran on_int_hup",
    "ran on_term",
    "ran on_usr1",
    "ran on_usr2_quietly",
];

fn signalled(signal: i32) -> Outcome {
    let fixture = Fixture::start_attr();
    fixture.signal(signal);
    let outcome = fixture.finish();
    assert_eq!(outcome.signal(), Some(signal), "{outcome:#?}");
    outcome
}

#[test]
fn every_form_compiles_under_strict_lints_and_registers_before_main() {
    let forms = Fixture::spawn(env!("CARGO_BIN_EXE_attr_forms"), &[], |command| {
        command.stdin(Stdio::null());
    });
    let outcome = forms.finish();
    assert!(outcome.status.success(), "{outcome:#?}");
    let lines: Vec<&str> = outcome.stdout.iter().map(String::as_str).collect();
    // The one called directly by main, before main returns.
    assert_eq!(lines[..2], ["ran in_nested_module", "main returns"]);
    let mut at_exit = lines[2..].to_vec();
    at_exit.sort_unstable();
    assert_eq!(
        at_exit,
        [
            "ran bare",
            "ran empty_parentheses",
            "ran in_module",
            "ran in_nested_module",
            "ran inside_a_function",
            "ran listed",
            "ran logfun_then_signals",
            "ran no_signal",
            "ran qualified_with_attributes",
            "ran signals_then_logfun",
            "ran trailing_commas",
            "ran with_logfun",
            "ran without_log",
        ]
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn return_from_main_runs_every_annotated_function_once() {
    let outcome = Fixture::start_attr().end_with_command("return", 0);
    assert_eq!(outcome.ran_sorted(), ALL);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn process_exit_and_panic_keep_their_status() {
    for (command, code) in [("exit 3", 3), ("panic", 101)] {
        let outcome = Fixture::start_attr().end_with_command(command, code);
        assert_eq!(outcome.ran_sorted(), ALL, "{command}");
    }
}

#[test]
fn the_default_form_hooks_sigterm_with_the_default_log_line() {
    let outcome = signalled(libc::SIGTERM);
    assert_eq!(outcome.ran_sorted(), ALL);
    // on_term and lib_cleanup both use the default log function: one line.
    assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line("SIGTERM")));
}

#[test]
fn listed_signals_are_hooked() {
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGHUP, "SIGHUP")] {
        let outcome = signalled(signal);
        assert_eq!(outcome.ran_sorted(), ALL, "{name}");
        assert_eq!(outcome.stderr, format!("{}\n", outcome.log_line(name)));
    }
}

#[test]
fn a_logfun_path_gets_the_line_before_the_functions_run() {
    let outcome = signalled(libc::SIGUSR1);
    let after_ready = outcome.after("ready");
    assert_eq!(
        after_ready[0],
        format!("custom log: {}", outcome.log_line("SIGUSR1"))
    );
    assert_eq!(outcome.ran_sorted(), ALL);
    assert_eq!(outcome.stderr, "", "the default log function is not called");
}

#[test]
fn logfun_none_logs_nothing() {
    let outcome = signalled(libc::SIGUSR2);
    assert_eq!(outcome.ran_sorted(), ALL);
    assert_eq!(
        outcome.after("ready").len(),
        ALL.len(),
        "no log line on stdout"
    );
    assert_eq!(outcome.stderr, "");
}

#[test]
fn signals_no_annotation_lists_keep_their_default_action() {
    let outcome = Fixture::start_attr().end_by_unhooked_signal(libc::SIGQUIT);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn a_forked_child_runs_its_own_copies() {
    let mut fixture = Fixture::start_attr();
    let child = fixture.fork_and_terminate_child(1);
    let outcome = fixture.end_with_command("return", 0);
    // The library's function cannot know it runs in a child, so it prints
    // no `child ` prefix: it runs once in each process.
    let mut in_child: Vec<&str> = outcome
        .stdout
        .iter()
        .filter_map(|l| l.strip_prefix("child "))
        .filter(|l| l.starts_with("ran "))
        .chain(["ran lib_cleanup"])
        .collect();
    in_child.sort_unstable();
    assert_eq!(in_child, ALL);
    let mut in_parent = outcome.ran();
    in_parent.retain(|&l| l != "ran lib_cleanup");
    in_parent.sort_unstable();
    assert_eq!(in_parent, &ALL[1..], "the parent's own, once");
    assert_eq!(
        outcome
            .stdout
            .iter()
            .filter(|l| *l == "ran lib_cleanup")
            .count(),
        2
    );
    assert_eq!(outcome.stderr, format!("{}\n", log_line("SIGTERM", child)));
}
