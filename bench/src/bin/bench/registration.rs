//! BENCHMARKS.md, section 3. Registration: what registering and unregistering cost, from one and
//! several threads, and what running the exit functions costs at exit, each
//! next to glibc's `atexit`.

use crate::exit::time_at_exit_us;
use crate::measure::Programs;
use crate::report::{self, Table, interleave};
use crate::stats::{Collector, Sample};
use crate::{Config, Result, Section};

/// Label, `register` kind, and the thread counts to run it with.
const KINDS: [(&str, &str, &[usize]); 9] = [
    ("register_exit_closure(.., &[])", "closure", &[1, 2, 8]),
    (
        "register_exit_closure(.., &[]), 4-word capture (boxed)",
        "closure-large",
        &[1],
    ),
    (
        "register_exit_closure(.., &[]), batches of 1000",
        "closure-batch",
        &[1],
    ),
    (
        "register_exit_closure(.., &[SIGTERM])",
        "closure-sigterm",
        &[1, 2, 8],
    ),
    (
        "exit_guard(.., &[]) (unregistration: the guard's drop)",
        "guard",
        &[1, 2, 8],
    ),
    (
        "register_exit_fun, distinct fn() pointers",
        "fn-distinct",
        &[1, 2, 8],
    ),
    (
        "register_exit_fun, distinct fn items",
        "fn-items",
        &[1, 2, 8],
    ),
    (
        "register_exit_fun, same fn() again",
        "fn-repeated",
        &[1, 2, 8],
    ),
    ("glibc atexit", "atexit", &[1, 2, 8]),
];

const AT_EXIT: [(&str, &str); 3] = [
    ("exit-attr closures", "exit-attr"),
    (
        "exit-attr closures, dispatcher running",
        "exit-attr-dispatcher",
    ),
    ("glibc atexit", "atexit"),
];

pub(crate) fn programs() -> Vec<&'static str> {
    vec!["register", "run_at_exit"]
}

pub(crate) fn run(programs: &Programs, config: &Config) -> Result<Section> {
    let mut section = Section::new("3. Registration");
    registering(programs, config, &mut section)?;
    at_exit(programs, config, &mut section)?;
    Ok(section)
}

fn registering(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let variants: Vec<(usize, usize)> = KINDS
        .iter()
        .enumerate()
        .flat_map(|(k, kind)| kind.2.iter().map(move |&t| (k, t)))
        .collect();
    let keys = [
        "register_ns",
        "register_thread_ns",
        "unregister_ns",
        "unregister_thread_ns",
    ];
    let mut collectors: Vec<Collector> = keys
        .iter()
        .map(|_| Collector::new(variants.len()))
        .collect();
    let total = config.registration_total.to_string();
    interleave(
        "registration",
        variants.len(),
        config.registration_rounds,
        |v| {
            let (kind, threads) = variants[v];
            let threads = threads.to_string();
            let ended =
                programs.run_captured("register", &[KINDS[kind].1, &threads, &total], &[])?;
            let fields = exit_attr_bench::parse_fields(ended.stdout.trim());
            for (key, collector) in keys.iter().zip(&mut collectors) {
                if let Some((_, value)) = fields.iter().find(|(k, _)| k == key) {
                    collector.push(v, value.parse()?);
                }
            }
            Ok(())
        },
    )?;
    let [register, register_thread, unregister, unregister_thread]: [Vec<Sample>; 4] = collectors
        .into_iter()
        .map(Collector::finish)
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| "four measures")?;

    let mut table = Table::new(&[
        "registration",
        "threads",
        "ns / registration (median)",
        "p90 of runs",
        "per thread",
        "ns / unregistration (median)",
        "per thread",
    ]);
    for (v, &(kind, threads)) in variants.iter().enumerate() {
        let or_dash = |sample: &Sample| {
            if sample.len() == 0 {
                "—".to_owned()
            } else {
                report::ns(sample.median())
            }
        };
        table.row(vec![
            KINDS[kind].0.to_owned(),
            threads.to_string(),
            report::ns(register[v].median()),
            report::ns(register[v].p90()),
            report::ns(register_thread[v].median()),
            or_dash(&unregister[v]),
            or_dash(&unregister_thread[v]),
        ]);
    }
    section.text(&format!(
        "`register KIND THREADS {}`: that many registrations split over the threads, \
         which start together; then (closures only) as many unregistrations. The registry \
         grows to hold them all, except in *batches of 1000*: register 1000, unregister \
         them, and again, so that slots are reused. Guards are kept until every thread \
         has registered; their unregistration column is their drop, which takes the \
         closure back and runs it. The function form knows a `fn()` pointer by its \
         address and a function item by its type: *distinct fn() pointers* are the 8192 \
         functions the program has; *distinct fn items* are 4096 registrations of \
         distinct function items, each compiled as its own small function (as every \
         attribute's registration is) and called through a table, which adds an \
         indirect call and the fetch of that function's code to each. A first \
         registration outside the timing installs exit-attr's `atexit` and `fork` \
         handlers and, for SIGTERM, hooks it and starts the dispatcher. *ns / registration*: wall time \
         from the first thread's start to the last one's end over all operations, the \
         median of {} runs; *per thread*: each thread's own time per operation \
         (with 8 threads on {} cores, mostly time spent waiting for the lock or a \
         core). Closures capture a `usize`, which exit-attr keeps inline, with no \
         allocation; the *4-word capture* row's closures capture four, more than \
         fits inline, so each of those registrations allocates a box.\n\n{}",
        config.registration_total,
        register[0].len(),
        std::thread::available_parallelism().map_or(0, usize::from),
        table.render()
    ));
    // The median of the one-thread row of the `register` kind `name`.
    let single = |name: &str| {
        let kind = KINDS
            .iter()
            .position(|&(_, k, _)| k == name)
            .expect("a kind listed in KINDS");
        variants
            .iter()
            .position(|&(k, t)| k == kind && t == 1)
            .map_or(f64::NAN, |v| register[v].median())
    };
    let total = config.registration_total;
    for (kind, what) in [
        ("closure", format!("closure, registry growing to {total}")),
        (
            "closure-batch",
            "closure in batches of 1000 (slots reused)".to_owned(),
        ),
        ("guard", format!("exit_guard, {total} guards alive")),
        (
            "fn-distinct",
            "register_exit_fun of 8192 distinct fn() pointers".to_owned(),
        ),
        (
            "fn-items",
            "register_exit_fun of 4096 distinct fn items".to_owned(),
        ),
    ] {
        section.goal(
            &format!("Registration: {what}, 1 thread, ns per registration"),
            single(kind),
            100.0,
            report::ns,
        );
    }
    Ok(())
}

fn at_exit(programs: &Programs, config: &Config, section: &mut Section) -> Result<()> {
    let counts = config.exit_counts;
    let variants: Vec<(usize, usize)> = (0..AT_EXIT.len())
        .flat_map(|k| counts.iter().map(move |&c| (k, c)))
        .collect();
    let mut collector = Collector::new(variants.len());
    interleave("run at exit", variants.len(), config.exit_rounds, |v| {
        let (kind, count) = variants[v];
        let count = count.to_string();
        collector.push(v, time_at_exit_us(programs, &[AT_EXIT[kind].1, &count])?);
        Ok(())
    })?;
    let samples = collector.finish();

    let mut table = Table::new(&[
        "exit functions",
        "count",
        "time at exit (median)",
        "p90",
        "per function (median − median at 0)",
    ]);
    let per_function = |v: usize| {
        let (kind, count) = variants[v];
        let base = variants
            .iter()
            .position(|&(k, c)| k == kind && c == 0)
            .map_or(0.0, |b| samples[b].median());
        if count == 0 {
            f64::NAN
        } else {
            (samples[v].median() - base) * 1000.0 / count as f64
        }
    };
    for (v, &(kind, count)) in variants.iter().enumerate() {
        table.row(vec![
            AT_EXIT[kind].0.to_owned(),
            count.to_string(),
            report::us(samples[v].median()),
            report::us(samples[v].p90()),
            if count == 0 {
                "—".to_owned()
            } else {
                report::ns(per_function(v))
            },
        ]);
    }
    let index = |kind: usize, count: usize| {
        variants
            .iter()
            .position(|&v| v == (kind, count))
            .unwrap_or(0)
    };
    let (small, large) = (counts[1], counts[2]);
    let growth = |kind: usize| per_function(index(kind, large)) / per_function(index(kind, small));
    section.text(&format!(
        "`run_at_exit KIND COUNT` registers COUNT exit functions that do nothing (exit-attr: \
         closures capturing a `usize`, with no signal; glibc: `atexit` of one `extern \"C\" fn`), \
         plus a marker registered first, so it runs last. With no signal hooked there is \
         no dispatcher thread, and exit-attr runs its exit functions on a thread it starts \
         at exit; in the *dispatcher running* rows the marker lists SIGTERM, which starts \
         the dispatcher, and they run on it. *Time at exit*: from a \
         `CLOCK_MONOTONIC` reading just before `main` returns to the marker's own reading; \
         it covers Rust's and the C library's exit work and, for exit-attr, its `atexit` \
         bridge and the thread it runs the functions on, but not the kernel's tear-down of \
         the process. {} interleaved runs of each. Linear growth means the same cost per \
         function at {} and at {}: exit-attr {} (dispatcher running: {}), glibc {} (ratio \
         of per-function costs, {large} over {small}; 1 is linear).\n\n{}",
        samples[0].len(),
        small,
        large,
        report::ratio(growth(0)),
        report::ratio(growth(1)),
        report::ratio(growth(2)),
        table.render()
    ));
    section.goal(
        "Run at exit: per-function cost at the larger count over the smaller (linear ≈ 1)",
        growth(0),
        1.25,
        report::ratio,
    );
    Ok(())
}
