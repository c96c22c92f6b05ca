//! Stress: many signal storms and fork-then-signal runs, counting the
//! cleanups that were lost (did not run), duplicated (ran twice) or hung
//! (the process did not end). All three counts must be zero.
//!
//! The test command runs a short version; set `EXIT_ATTR_STRESS_RUNS` for a
//! long one, for example `EXIT_ATTR_STRESS_RUNS=1000 cargo test --test stress
//! -- --nocapture` (each test then prints its counts).

mod common;

use std::panic::{self, AssertUnwindSafe};

use common::{Fixture, Outcome, send_signal};

/// Runs per test in the normal test command.
const DEFAULT_RUNS: usize = 100;

fn runs() -> usize {
    std::env::var("EXIT_ATTR_STRESS_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
}

#[derive(Default, Debug)]
struct Counts {
    runs: usize,
    lost: usize,
    duplicated: usize,
    hung: usize,
    /// Ended some other way (wrong status or output): listed in full.
    other: Vec<String>,
}

impl Counts {
    /// Classifies how often `expected` lines appear in `lines`.
    fn tally(&mut self, lines: &[&str], expected: &[&str]) -> bool {
        let mut clean = true;
        for line in expected {
            let times = lines.iter().filter(|l| *l == line).count();
            if times == 0 {
                self.lost += 1;
            } else if times > 1 {
                self.duplicated += 1;
            }
            clean &= times == 1;
        }
        clean
    }

    fn check(&self, name: &str) {
        println!(
            "{name}: {} runs, {} lost, {} duplicated, {} hung, {} other",
            self.runs,
            self.lost,
            self.duplicated,
            self.hung,
            self.other.len()
        );
        assert_eq!(
            (self.lost, self.duplicated, self.hung),
            (0, 0, 0),
            "{self:#?}"
        );
        assert!(self.other.is_empty(), "{self:#?}");
    }
}

/// Runs `scenario`, counting a harness timeout (the process did not end, or
/// never printed what it had to) as a hang.
fn one_run(counts: &mut Counts, scenario: impl FnOnce(&mut Counts)) {
    counts.runs += 1;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| scenario(&mut *counts)));
    if let Err(payload) = outcome {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        if message.contains("timed out") || message.contains("did not end") {
            counts.hung += 1;
        } else {
            counts.other.push(message);
        }
    }
}

#[test]
fn signal_storms_run_every_cleanup_exactly_once() {
    let mut counts = Counts::default();
    for _ in 0..runs() {
        one_run(&mut counts, |counts| {
            let fixture = Fixture::start(&["--fun", "first:TERM,INT", "--fun", "second:"]);
            for i in 0..50 {
                fixture.signal(if i % 5 == 4 {
                    libc::SIGINT
                } else {
                    libc::SIGTERM
                });
            }
            let outcome: Outcome = fixture.finish();
            let ran = outcome.ran();
            let clean = counts.tally(&ran, &["ran second", "ran first"]);
            // Pending standard signals are delivered lowest number first, so
            // the exit may be SIGINT's even though SIGTERM was sent first;
            // either way, by the signal that the one log line names.
            let ended_as_logged = match outcome.signal() {
                Some(libc::SIGTERM) => {
                    outcome.stderr == format!("{}\n", outcome.log_line("SIGTERM"))
                }
                Some(libc::SIGINT) => outcome.stderr == format!("{}\n", outcome.log_line("SIGINT")),
                _ => false,
            };
            if clean && !ended_as_logged {
                counts.other.push(format!("{outcome:#?}"));
            }
        });
    }
    counts.check("signal storms");
}

#[test]
fn forked_children_run_their_cleanups_exactly_once() {
    let mut counts = Counts::default();
    for _ in 0..runs() {
        one_run(&mut counts, |counts| {
            let mut fixture = Fixture::start(&["--fun", "first:TERM", "--fun", "second:"]);
            fixture.send("fork");
            let (_, child) = fixture.wait_for_pid("forked ");
            send_signal(child, libc::SIGTERM);
            fixture.wait_for_prefix("child ended by signal ");
            fixture.send("return");
            let outcome = fixture.finish();
            let lines: Vec<&str> = outcome.stdout.iter().map(String::as_str).collect();
            let clean = counts.tally(
                &lines,
                &[
                    "child ran second",
                    "child ran first",
                    "ran second",
                    "ran first",
                ],
            );
            if clean && (outcome.code() != Some(0) || !lines.contains(&"child ended by signal 15"))
            {
                counts.other.push(format!("{outcome:#?}"));
            }
        });
    }
    counts.check("fork then signal");
}
