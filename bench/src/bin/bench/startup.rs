//! §1 Start-up: what linking exit-attr and registering one exit function
//! that hooks SIGTERM costs a whole process, and what the dispatcher thread
//! costs by the way it is created.

use crate::measure::Programs;
use crate::plot::{self, Series, Style};
use crate::report::{self, Table, interleave};
use crate::stats::{Collector, Sample};
use crate::{Config, Result, Section};

/// The two programs, each run as it is and ending with `_exit(0)` (which
/// skips the `atexit` handlers, and so exit-attr's normal-exit run): label,
/// program, arguments, and the index of the variant it is compared with.
const VARIANTS: [(&str, &str, &[&str], usize); 4] = [
    ("without exit-attr", "startup_without", &[], 0),
    (
        "with exit-attr (one `#[register_exit_fun]`, SIGTERM)",
        "startup_with",
        &[],
        0,
    ),
    (
        "diagnostic: without exit-attr, ends in `_exit(0)`",
        "startup_without",
        &[exit_attr_bench::UNDERSCORE_EXIT],
        2,
    ),
    (
        "diagnostic: with exit-attr, ends in `_exit(0)`",
        "startup_with",
        &[exit_attr_bench::UNDERSCORE_EXIT],
        2,
    ),
];

const CREATIONS: [(&str, &str); 9] = [
    ("no thread (baseline)", "none"),
    (
        "raw pthread, default stack, named by the creator (exit-attr before)",
        "pthread",
    ),
    ("raw pthread, default stack, unnamed", "pthread-unnamed"),
    ("raw pthread, default stack, names itself", "pthread-inside"),
    (
        "raw pthread, names itself, then warms up (exit-attr now)",
        "pthread-warm",
    ),
    ("raw pthread, 256 KiB stack, named", "pthread-256k"),
    ("raw pthread, 64 KiB stack, named", "pthread-64k"),
    ("std::thread, default 2 MiB stack, named", "std"),
    ("std::thread, 64 KiB stack, named", "std-64k"),
];

pub(crate) fn programs() -> Vec<&'static str> {
    vec!["startup_without", "startup_with", "thread_create"]
}

pub(crate) fn run(programs: &Programs, config: &Config) -> Result<Section> {
    let mut section = Section::new("1. Start-up cost");
    whole_process(programs, config, &mut section)?;
    dispatcher_creation(programs, config, &mut section)?;
    Ok(section)
}

fn whole_process(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let mut wall = Collector::new(VARIANTS.len());
    interleave("start-up", VARIANTS.len(), config.startup_rounds, |v| {
        let (_, program, args, _) = VARIANTS[v];
        let ended = programs.run_quiet(program, args)?;
        wall.push(v, ended.wall.as_secs_f64() * 1e6);
        Ok(())
    })?;
    // The i-th samples of all variants come from the same round.
    let per_round = Sample::new(
        wall.raw(1)
            .iter()
            .zip(wall.raw(0))
            .map(|(with, without)| with / without)
            .collect(),
    );
    let wall = wall.finish();

    let mut table = Table::new(&[
        "program",
        "wall median",
        "wall p90",
        "median ratio",
        "p90 ratio",
        "median difference",
    ]);
    for (v, &(label, _, _, base)) in VARIANTS.iter().enumerate() {
        table.row(vec![
            label.to_owned(),
            report::us(wall[v].median()),
            report::us(wall[v].p90()),
            report::ratio(wall[v].median() / wall[base].median()),
            report::ratio(wall[v].p90() / wall[base].p90()),
            format!("{:+.1} µs", wall[v].median() - wall[base].median()),
        ]);
    }

    // What each program says about itself in `main`, in runs outside the
    // timing (the median of them: a resident set varies by a few pages from
    // run to run), and its size.
    let report_env = [(exit_attr_bench::REPORT_ENV, "1")];
    let (mut threads, mut rss, mut hwm) = (Collector::new(2), Collector::new(2), Collector::new(2));
    interleave("start-up, memory", 2, config.report_rounds, |v| {
        let ended = programs.run_captured(VARIANTS[v].1, &[], &report_env)?;
        let fields = exit_attr_bench::parse_fields(ended.stdout.trim());
        let get = |key: &str| -> Result<f64> {
            let value = fields
                .iter()
                .find(|(k, _)| *k == key)
                .ok_or_else(|| format!("no {key} in {:?}", ended.stdout))?;
            Ok(value.1.parse()?)
        };
        threads.push(v, get("threads")?);
        rss.push(v, get("rss_kib")?);
        hwm.push(v, get("hwm_kib")?);
        Ok(())
    })?;
    let (threads, rss, hwm) = (threads.finish(), rss.finish(), hwm.finish());
    let scratch = std::env::temp_dir();
    let mut facts = Table::new(&[
        "program",
        "threads in main",
        "VmRSS in main (median)",
        "VmHWM in main (median)",
        "file size",
        "stripped",
    ]);
    let mut sizes = Vec::new();
    for (v, (label, program, _, _)) in VARIANTS[..2].iter().enumerate() {
        let (size, stripped) = programs.sizes(program, &scratch)?;
        sizes.push((size, stripped));
        facts.row(vec![
            (*label).to_owned(),
            format!("{:.0}", threads[v].median()),
            format!("{:.0} KiB", rss[v].median()),
            format!("{:.0} KiB", hwm[v].median()),
            report::size(size),
            stripped.map_or("n/a".to_owned(), report::size),
        ]);
    }
    let difference = |a: u64, b: u64| format!("{:+.0} KiB", (b as f64 - a as f64) / 1024.0);
    facts.row(vec![
        "difference".to_owned(),
        format!("{:+.0}", threads[1].median() - threads[0].median()),
        report::kib_delta(rss[1].median() - rss[0].median()),
        report::kib_delta(hwm[1].median() - hwm[0].median()),
        difference(sizes[0].0, sizes[1].0),
        match (sizes[0].1, sizes[1].1) {
            (Some(a), Some(b)) => difference(a, b),
            _ => "n/a".to_owned(),
        },
    ]);

    let ratio = wall[1].median() / wall[0].median();
    section.text(&format!(
        "Whole-process wall time, from just before `spawn` to the return of `wait4`, \
         {} interleaved runs of each variant (streams on /dev/null). Each ratio and \
         difference is to the same program without exit-attr (the diagnostic rows: \
         both ending in `_exit(0)`, which skips exit-attr's normal-exit run, so what is \
         left is loading the larger binary, registering and the dispatcher thread).\n\n{}\n\
         Median of the per-round ratios (each run of `startup_with` over the run of \
         `startup_without` in the same round): {}. Threads and memory, from \
         `/proc/self/status` in `main`, {} runs of each:\n\n{}",
        wall[0].len(),
        table.render(),
        report::ratio(per_round.median()),
        rss[0].len(),
        facts.render(),
    ));
    section.goal(
        "Start-up: median wall-time ratio with/without exit-attr",
        ratio,
        1.03,
        report::ratio,
    );

    // exit-attr first, so that it gets the first colour, as in the latency plot.
    let series: Vec<Series<'_>> = [1, 0, 3, 2]
        .into_iter()
        .map(|v| Series {
            name: VARIANTS[v].0,
            sample: &wall[v],
            style: match v {
                1 => Style::Emphasis,
                0 => Style::Normal,
                _ => Style::Diagnostic,
            },
        })
        .collect();
    let svg = plot::ecdf(
        "Start-up: whole-process wall time, spawn to exit",
        &format!(
            "{} interleaved runs each; the trivial program with and without one exit-attr registration",
            wall[0].len()
        ),
        &series,
    );
    section.plot("startup.svg", svg);
    Ok(())
}

fn dispatcher_creation(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let n = CREATIONS.len();
    let (mut create, mut running, mut wall, mut rss, mut hwm) = (
        Collector::new(n),
        Collector::new(n),
        Collector::new(n),
        Collector::new(n),
        Collector::new(n),
    );
    interleave("dispatcher creation", n, config.thread_rounds, |v| {
        let ended = programs.run_captured("thread_create", &[CREATIONS[v].1], &[])?;
        let fields = exit_attr_bench::parse_fields(ended.stdout.trim());
        let get = |key: &str| -> Result<f64> {
            let value = fields
                .iter()
                .find(|(k, _)| *k == key)
                .ok_or_else(|| format!("thread_create printed no {key}: {:?}", ended.stdout))?;
            Ok(value.1.parse::<f64>()?)
        };
        create.push(v, get("create_ns")? / 1000.0);
        running.push(v, get("running_ns")? / 1000.0);
        rss.push(v, get("rss_kib")?);
        hwm.push(v, get("hwm_kib")?);
        wall.push(v, ended.wall.as_secs_f64() * 1e6);
        Ok(())
    })?;
    let (create, running, wall, rss, hwm) = (
        create.finish(),
        running.finish(),
        wall.finish(),
        rss.finish(),
        hwm.finish(),
    );
    let mut table = Table::new(&[
        "dispatcher thread created by",
        "create call median",
        "create call p90",
        "until it runs (median)",
        "process wall median",
        "Δ wall vs no thread",
        "Δ VmRSS vs no thread",
        "Δ VmHWM vs no thread",
    ]);
    for (v, (label, _)) in CREATIONS.iter().enumerate() {
        let none = v == 0;
        table.row(vec![
            (*label).to_owned(),
            if none {
                "—".into()
            } else {
                report::us(create[v].median())
            },
            if none {
                "—".into()
            } else {
                report::us(create[v].p90())
            },
            if none {
                "—".into()
            } else {
                report::us(running[v].median())
            },
            report::us(wall[v].median()),
            if none {
                "—".into()
            } else {
                format!("{:+.1} µs", wall[v].median() - wall[0].median())
            },
            if none {
                format!("{:.0} KiB", rss[v].median())
            } else {
                report::kib_delta(rss[v].median() - rss[0].median())
            },
            if none {
                format!("{:.0} KiB", hwm[v].median())
            } else {
                report::kib_delta(hwm[v].median() - hwm[0].median())
            },
        ]);
    }
    section.text(&format!(
        "What the dispatcher thread costs by the way it is created (`thread_create`, \
         {} interleaved runs of each variant). Each run creates one thread that blocks \
         on a pipe, as the dispatcher does, with every signal blocked around the \
         creation. *create call*: the creating thread's time, from blocking the signals \
         to having detached the thread (and named it, in the rows where the creator \
         names it); *until it runs*: until the new thread's first instruction (it runs \
         on the other core), or, in the *warms up* row, until the end of its warm-up \
         (naming itself, one allocation, so that glibc creates its malloc arena, its \
         `std::thread::current()` handle, 32 KiB of stack, a formatted line; as \
         exit-attr's dispatcher does); *process wall*: the whole process, spawn to \
         exit, as above, in which `main` waits until the new thread runs (or is warmed \
         up) before it returns; *VmRSS*, *VmHWM*: the process's \
         resident set and its peak, read from `/proc/self/status` once the thread \
         runs (the baseline row gives the absolute values).\n\n{}",
        wall[0].len(),
        table.render()
    ));
    Ok(())
}
