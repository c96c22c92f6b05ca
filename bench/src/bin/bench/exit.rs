//! BENCHMARKS.md, section 4. At exit: the normal-exit hand-off alone. A program with one exit
//! function that hooks SIGTERM returns from `main`; what does it cost to get
//! from there to the end of that exit function, next to glibc running one
//! `atexit` function? Measured with a warm dispatcher (`main` waited long
//! enough for it to start and warm up: any program that runs for a moment)
//! and a cold one (`main` returns at once: what a short program pays).

use crate::measure::Programs;
use crate::report::{self, Table, interleave};
use crate::stats::{Collector, Sample};
use crate::{Config, Result, Section};

/// How long `main` waits before it returns in the warm rows: far more than a
/// thread needs to start and warm up, even on a loaded machine.
const WARM_WAIT_MS: &str = "50";

/// Label, `run_at_exit` kind, wait in `main` (ms), and the index of the
/// `atexit` row it is compared with (itself for the `atexit` rows).
const VARIANTS: [(&str, &str, &str, usize); 4] = [
    (
        "exit-attr: register_exit_fun(f, &[SIGTERM]), warm (50 ms in main)",
        "exit-attr-fun",
        WARM_WAIT_MS,
        1,
    ),
    ("glibc atexit(f), 50 ms in main", "atexit", WARM_WAIT_MS, 1),
    (
        "exit-attr: register_exit_fun(f, &[SIGTERM]), cold (main returns at once)",
        "exit-attr-fun",
        "0",
        3,
    ),
    ("glibc atexit(f), main returns at once", "atexit", "0", 3),
];

pub(crate) fn programs() -> Vec<&'static str> {
    vec!["run_at_exit"]
}

pub(crate) fn run(programs: &Programs, config: &Config) -> Result<Section> {
    let mut section = Section::new("4. At exit: the normal-exit hand-off");
    let mut collector = Collector::new(VARIANTS.len());
    interleave(
        "exit hand-off",
        VARIANTS.len(),
        config.handoff_rounds,
        |v| {
            let (_, kind, wait, _) = VARIANTS[v];
            collector.push(v, time_at_exit_us(programs, &[kind, "0", wait])?);
            Ok(())
        },
    )?;
    // The i-th samples of all variants come from the same round.
    let paired: Vec<Sample> = VARIANTS
        .iter()
        .enumerate()
        .map(|(v, &(_, _, _, base))| {
            Sample::new(
                collector
                    .raw(v)
                    .iter()
                    .zip(collector.raw(base))
                    .map(|(a, b)| a - b)
                    .collect(),
            )
        })
        .collect();
    let samples = collector.finish();

    let mut table = Table::new(&[
        "exit function",
        "median",
        "p90",
        "median − atexit's",
        "p90 − atexit's",
        "per-round difference: median [95 % CI]",
    ]);
    for (v, &(label, _, _, base)) in VARIANTS.iter().enumerate() {
        let own = v == base;
        let dash = || "—".to_owned();
        let (low, high) = paired[v].median_ci95();
        table.row(vec![
            label.to_owned(),
            report::us(samples[v].median()),
            report::us(samples[v].p90()),
            if own {
                dash()
            } else {
                format!("{:+.1} µs", samples[v].median() - samples[base].median())
            },
            if own {
                dash()
            } else {
                format!("{:+.1} µs", samples[v].p90() - samples[base].p90())
            },
            if own {
                dash()
            } else {
                format!("{:+.1} µs [{low:+.1}, {high:+.1}]", paired[v].median())
            },
        ]);
    }
    section.text(&format!(
        "`run_at_exit exit-attr-fun 0 WAIT` registers one exit function with \
         `register_exit_fun(f, &[SIGTERM])` (so exit-attr starts its dispatcher), sleeps WAIT \
         ms, and returns from `main`; `run_at_exit atexit 0 WAIT` does the same with glibc's \
         `atexit(f)`. Measured: from a `CLOCK_MONOTONIC` reading just before `main` returns \
         to `f`'s own reading, in `f`: Rust's and the C library's exit work, and for \
         exit-attr its `atexit` bridge handing the exit to the dispatcher thread and the \
         dispatcher running `f` (the kernel's tear-down of the process comes after, and is \
         not in it). The sleep is outside that span. *Warm*: `main` waited {WARM_WAIT_MS} ms, \
         so the dispatcher had long finished starting and warming up; *cold*: `main` \
         returned at once, so the hand-off may wait for the dispatcher to start. The \
         difference to `atexit` is the hand-off's cost; the last column pairs each run \
         with the `atexit` run of the same round, with a distribution-free 95 % \
         confidence interval of the median difference. {} interleaved runs of each.\n\n{}",
        samples[0].len(),
        table.render()
    ));
    Ok(section)
}

/// Runs `run_at_exit ARGS` once and returns the time it reports from the
/// return of `main` to its marker exit function, in µs.
pub(crate) fn time_at_exit_us(programs: &Programs, args: &[&str]) -> Result<f64> {
    let ended = programs.run_captured("run_at_exit", args, &[])?;
    let fields = exit_attr_bench::parse_fields(ended.stdout.trim());
    let (_, value) = fields
        .iter()
        .find(|(k, _)| *k == "exit_ns")
        .ok_or_else(|| format!("run_at_exit printed no exit_ns: {:?}", ended.stdout))?;
    Ok(value.parse::<f64>()? / 1000.0)
}
