//! BENCHMARKS.md, section 1. Start-up: what linking exit-attr and registering one exit function
//! that hooks SIGTERM costs a whole process, next to the same trivial
//! program with ctrlc, with signal-hook, and with nothing but one raw thread
//! blocked on a pipe (the floor of any design with a dispatcher thread); and
//! what the dispatcher thread costs by the way it is created.
//!
//! Every start-up program is the same trivial program (`main` prints one
//! line; `exit_attr_bench::trivial_main`) with one way of handling SIGTERM
//! set up before it. Each also runs ending in `_exit(0)`, which skips the
//! `atexit` handlers and so exit-attr's normal-exit hand-off: exit-attr's
//! `_exit(0)` row against ctrlc's and the thread floor's is the cost of the
//! registration itself (loading the larger binary, registering, the
//! dispatcher thread), and the difference between a program's two rows is
//! what its normal exit costs.

use crate::measure::Programs;
use crate::plot::{self, Series, Style};
use crate::report::{self, Table, interleave};
use crate::stats::{Collector, Sample};
use crate::{Config, Result, Section};

struct Variant {
    label: &'static str,
    program: &'static str,
    args: &'static [&'static str],
    /// The index of the plain program run the same way (ratios and
    /// differences are to it).
    plain: usize,
    /// The index of ctrlc's program run the same way.
    ctrlc: usize,
    /// A run that isolates one cost of another row.
    diagnostic: bool,
}

const UNDERSCORE_EXIT: &[&str] = &[exit_attr_bench::UNDERSCORE_EXIT];

/// The indices of the rows the goals and the paired comparisons use.
const PLAIN: usize = 0;
const EXIT_ATTR: usize = 1;
const CTRLC: usize = 2;
const EXIT_ATTR_UNDERSCORE: usize = 6;
const CTRLC_UNDERSCORE: usize = 7;
const THREAD_UNDERSCORE: usize = 8;

/// How many of [`VARIANTS`] end normally (the first ones); the memory table
/// has one row for each.
const NORMAL: usize = 5;

const VARIANTS: [Variant; 9] = [
    Variant {
        label: "without exit-attr (plain: `main` prints a line)",
        program: "startup_without",
        args: &[],
        plain: PLAIN,
        ctrlc: CTRLC,
        diagnostic: false,
    },
    Variant {
        label: "with exit-attr (one `#[register_exit_fun]`, SIGTERM)",
        program: "startup_with",
        args: &[],
        plain: PLAIN,
        ctrlc: CTRLC,
        diagnostic: false,
    },
    Variant {
        label: "with ctrlc::set_handler (termination)",
        program: "startup_ctrlc",
        args: &[],
        plain: PLAIN,
        ctrlc: CTRLC,
        diagnostic: false,
    },
    Variant {
        label: "with signal-hook: Signals::new([SIGTERM]) on a std thread",
        program: "startup_signal_hook",
        args: &[],
        plain: PLAIN,
        ctrlc: CTRLC,
        diagnostic: false,
    },
    Variant {
        label: "with one raw pthread blocked on a pipe (thread floor)",
        program: "startup_thread",
        args: &[],
        plain: PLAIN,
        ctrlc: CTRLC,
        diagnostic: false,
    },
    Variant {
        label: "diagnostic: without exit-attr, ends in `_exit(0)`",
        program: "startup_without",
        args: UNDERSCORE_EXIT,
        plain: 5,
        ctrlc: CTRLC_UNDERSCORE,
        diagnostic: true,
    },
    Variant {
        label: "diagnostic: with exit-attr, ends in `_exit(0)`",
        program: "startup_with",
        args: UNDERSCORE_EXIT,
        plain: 5,
        ctrlc: CTRLC_UNDERSCORE,
        diagnostic: true,
    },
    Variant {
        label: "diagnostic: with ctrlc, ends in `_exit(0)`",
        program: "startup_ctrlc",
        args: UNDERSCORE_EXIT,
        plain: 5,
        ctrlc: CTRLC_UNDERSCORE,
        diagnostic: true,
    },
    Variant {
        label: "diagnostic: with the thread floor, ends in `_exit(0)`",
        program: "startup_thread",
        args: UNDERSCORE_EXIT,
        plain: 5,
        ctrlc: CTRLC_UNDERSCORE,
        diagnostic: true,
    },
];

/// The paired comparisons: the per-round differences `a − b` (both runs of
/// a round are neighbours in time, so the machine's slow drifts cancel).
const PAIRS: [(&str, usize, usize); 4] = [
    (
        "exit-attr − ctrlc (start-up plus normal exit)",
        EXIT_ATTR,
        CTRLC,
    ),
    (
        "exit-attr − plain (start-up plus normal exit)",
        EXIT_ATTR,
        PLAIN,
    ),
    (
        "exit-attr − ctrlc, both `_exit(0)` (registration only)",
        EXIT_ATTR_UNDERSCORE,
        CTRLC_UNDERSCORE,
    ),
    (
        "exit-attr − thread floor, both `_exit(0)` (registration only)",
        EXIT_ATTR_UNDERSCORE,
        THREAD_UNDERSCORE,
    ),
];

const CREATIONS: [(&str, &str); 9] = [
    ("no thread (baseline)", "none"),
    (
        "raw pthread, default stack, named by the creator",
        "pthread",
    ),
    ("raw pthread, default stack, unnamed", "pthread-unnamed"),
    ("raw pthread, default stack, names itself", "pthread-inside"),
    (
        "raw pthread, names itself, then warms up at once",
        "pthread-warm",
    ),
    ("raw pthread, 256 KiB stack, named", "pthread-256k"),
    ("raw pthread, 64 KiB stack, named", "pthread-64k"),
    ("std::thread, default 2 MiB stack, named", "std"),
    ("std::thread, 64 KiB stack, named", "std-64k"),
];

pub(crate) fn programs() -> Vec<&'static str> {
    let mut names: Vec<&str> = VARIANTS[..NORMAL].iter().map(|v| v.program).collect();
    names.push("thread_create");
    names
}

pub(crate) fn run(programs: &Programs, config: &Config) -> Result<Section> {
    let mut section = Section::new("1. Start-up cost");
    whole_process(programs, config, &mut section)?;
    memory(programs, config, &mut section)?;
    dispatcher_creation(programs, config, &mut section)?;
    Ok(section)
}

fn whole_process(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let mut wall = Collector::new(VARIANTS.len());
    interleave("start-up", VARIANTS.len(), config.startup_rounds, |v| {
        let variant = &VARIANTS[v];
        let ended = programs.run_quiet(variant.program, variant.args)?;
        wall.push(v, ended.wall.as_secs_f64() * 1e6);
        Ok(())
    })?;
    // The i-th samples of all variants come from the same round.
    let per_round = |a: usize, b: usize, f: fn(f64, f64) -> f64| {
        Sample::new(
            wall.raw(a)
                .iter()
                .zip(wall.raw(b))
                .map(|(&a, &b)| f(a, b))
                .collect(),
        )
    };
    let ratio_with_without = per_round(EXIT_ATTR, PLAIN, |a, b| a / b);
    let ratio_to_ctrlc = per_round(EXIT_ATTR, CTRLC, |a, b| a / b);
    let differences: Vec<Sample> = PAIRS
        .iter()
        .map(|&(_, a, b)| per_round(a, b, |a, b| a - b))
        .collect();
    let wall = wall.finish();

    let mut table = Table::new(&[
        "program",
        "wall median",
        "wall p90",
        "median ratio",
        "p90 ratio",
        "median difference",
        "median / ctrlc's",
    ]);
    for (v, variant) in VARIANTS.iter().enumerate() {
        let (plain, ctrlc) = (&wall[variant.plain], &wall[variant.ctrlc]);
        table.row(vec![
            variant.label.to_owned(),
            report::us(wall[v].median()),
            report::us(wall[v].p90()),
            report::ratio(wall[v].median() / plain.median()),
            report::ratio(wall[v].p90() / plain.p90()),
            format!("{:+.1} µs", wall[v].median() - plain.median()),
            report::ratio(wall[v].median() / ctrlc.median()),
        ]);
    }
    let mut paired = Table::new(&[
        "per-round difference",
        "median",
        "95 % confidence interval of the median",
    ]);
    for ((label, _, _), sample) in PAIRS.iter().zip(&differences) {
        let (low, high) = sample.median_ci95();
        paired.row(vec![
            (*label).to_owned(),
            format!("{:+.1} µs", sample.median()),
            format!("[{:+.1}, {:+.1}] µs", low, high),
        ]);
    }

    section.text(&format!(
        "Whole-process wall time, from just before `spawn` to the return of `wait4`, \
         {} interleaved runs of each variant (streams on /dev/null). Every program is the \
         same trivial one (`main` prints a line) with one way of handling SIGTERM set up \
         before `main` prints: none (plain), exit-attr's attribute, `ctrlc::set_handler` \
         (its `termination` feature adds SIGTERM), signal-hook's `Signals` iterated on a \
         std thread, or one raw pthread blocked on a pipe read, created with every signal \
         blocked (the floor of any design with a dispatcher thread: it hooks nothing and \
         runs nothing at exit). *Median ratio*, *p90 ratio* and *median difference* are to \
         the plain program run the same way; *median / ctrlc's* to ctrlc's program run the \
         same way. The diagnostic rows end `main` with `_exit(0)`, which skips the `atexit` \
         handlers, and so exit-attr's normal-exit hand-off: what is left is loading the \
         binary, registering and the thread.\n\n{}\n\
         Median of the per-round ratios (each run over the run of the other program in the \
         same round): exit-attr / plain {}, exit-attr / ctrlc {}. Paired per-round \
         differences, with a distribution-free 95 % confidence interval of their median \
         (order statistics of the sign test): an interval that contains 0 is within the \
         noise of this run.\n\n{}",
        wall[0].len(),
        table.render(),
        report::ratio(ratio_with_without.median()),
        report::ratio(ratio_to_ctrlc.median()),
        paired.render(),
    ));
    section.goal(
        "Start-up plus normal exit: median wall-time ratio exit-attr / ctrlc",
        wall[EXIT_ATTR].median() / wall[CTRLC].median(),
        1.03,
        report::ratio,
    );
    let floor = &differences[3];
    let (low, high) = floor.median_ci95();
    section.goal_text(
        "Start-up, registration only (`_exit(0)`): exit-attr − thread floor, per-round median",
        &format!(
            "{:+.1} µs, 95 % CI [{low:+.1}, {high:+.1}] µs",
            floor.median()
        ),
        "within the noise of the floor or below it: the interval's lower end at most 0",
        low <= 0.0,
    );

    // exit-attr first, so that it gets the first colour, as in the latency
    // plot; the plain program's `_exit(0)` row is left out (eight curves are
    // already many).
    let series: Vec<Series<'_>> = [
        EXIT_ATTR,
        CTRLC,
        3,
        4,
        PLAIN,
        EXIT_ATTR_UNDERSCORE,
        CTRLC_UNDERSCORE,
        THREAD_UNDERSCORE,
    ]
    .into_iter()
    .map(|v| Series {
        name: VARIANTS[v].label,
        sample: &wall[v],
        style: match v {
            EXIT_ATTR => Style::Emphasis,
            _ if VARIANTS[v].diagnostic => Style::Diagnostic,
            _ => Style::Normal,
        },
    })
    .collect();
    let svg = plot::ecdf(
        "Start-up: whole-process wall time, spawn to exit",
        &format!(
            "{} interleaved runs each; the trivial program with each way of handling SIGTERM",
            wall[0].len()
        ),
        &series,
    );
    section.plot("startup.svg", svg);
    Ok(())
}

/// What each program says about itself in `main`, in runs outside the
/// timing (the median of them: a resident set varies by a few pages from
/// run to run), and its size.
fn memory(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let report_env = [(exit_attr_bench::REPORT_ENV, "1")];
    let (mut threads, mut rss, mut hwm) = (
        Collector::new(NORMAL),
        Collector::new(NORMAL),
        Collector::new(NORMAL),
    );
    interleave("start-up, memory", NORMAL, config.report_rounds, |v| {
        let ended = programs.run_captured(VARIANTS[v].program, &[], &report_env)?;
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
        "VmRSS (median)",
        "Δ VmRSS",
        "VmHWM (median)",
        "Δ VmHWM",
        "file size",
        "stripped",
        "Δ stripped",
    ]);
    let sizes = VARIANTS[..NORMAL]
        .iter()
        .map(|v| programs.sizes(v.program, &scratch))
        .collect::<Result<Vec<_>>>()?;
    let kib = |value: f64| format!("{value:.0} KiB");
    for (v, variant) in VARIANTS[..NORMAL].iter().enumerate() {
        let (size, stripped) = sizes[v];
        facts.row(vec![
            variant.label.to_owned(),
            format!("{:.0}", threads[v].median()),
            kib(rss[v].median()),
            report::kib_delta(rss[v].median() - rss[PLAIN].median()),
            kib(hwm[v].median()),
            report::kib_delta(hwm[v].median() - hwm[PLAIN].median()),
            report::size(size),
            stripped.map_or("n/a".to_owned(), report::size),
            match (sizes[PLAIN].1, stripped) {
                (Some(a), Some(b)) => format!("{:+.0} KiB", (b as f64 - a as f64) / 1024.0),
                _ => "n/a".to_owned(),
            },
        ]);
    }
    section.text(&format!(
        "Threads and memory, from `/proc/self/status` in `main`, {} runs of each (outside \
         the timing; each program waits {} ms before reading, so that the threads it \
         started have run and touched what they touch); the Δ columns are to the plain \
         program.\n\n{}",
        rss[0].len(),
        exit_attr_bench::REPORT_SETTLE.as_millis(),
        facts.render(),
    ));
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
         `std::thread::current()` handle, 32 KiB of stack, a formatted line: what \
         exit-attr's dispatcher does once it has waited 1 ms for work, which a \
         program that ends sooner never pays for); *process wall*: the whole process, spawn to \
         exit, as above, in which `main` waits until the new thread runs (or is warmed \
         up) before it returns; *VmRSS*, *VmHWM*: the process's \
         resident set and its peak, read from `/proc/self/status` once the thread \
         runs (the baseline row gives the absolute values).\n\n{}",
        wall[0].len(),
        table.render()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The named indices point at the rows they name, and every row's
    /// references are to rows that end the same way.
    #[test]
    fn indices_name_their_rows() {
        let row = |v: usize| (VARIANTS[v].program, VARIANTS[v].args);
        assert_eq!(row(PLAIN), ("startup_without", &[][..]));
        assert_eq!(row(EXIT_ATTR), ("startup_with", &[][..]));
        assert_eq!(row(CTRLC), ("startup_ctrlc", &[][..]));
        assert_eq!(row(EXIT_ATTR_UNDERSCORE), ("startup_with", UNDERSCORE_EXIT));
        assert_eq!(row(CTRLC_UNDERSCORE), ("startup_ctrlc", UNDERSCORE_EXIT));
        assert_eq!(row(THREAD_UNDERSCORE), ("startup_thread", UNDERSCORE_EXIT));
        for (v, variant) in VARIANTS.iter().enumerate() {
            assert_eq!(variant.diagnostic, v >= NORMAL);
            for reference in [variant.plain, variant.ctrlc] {
                assert_eq!(VARIANTS[reference].args, variant.args);
            }
            assert_eq!(VARIANTS[variant.plain].program, "startup_without");
            assert_eq!(VARIANTS[variant.ctrlc].program, "startup_ctrlc");
        }
    }
}
