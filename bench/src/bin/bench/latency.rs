//! BENCHMARKS.md, section 2. Signal to cleanup: from `kill()` in the harness to the first line of
//! the cleanup in the child, for exit-attr and for what a Rust user would
//! otherwise pick.

use crate::measure::Programs;
use crate::plot::{self, Series, Style};
use crate::report::{self, Table, interleave};
use crate::stats::Collector;
use crate::{Config, Result, Section};

#[derive(Clone, Copy, PartialEq)]
enum Role {
    ExitAttr,
    Peer,
    Floor,
    /// Not a way to do the job: a run that isolates one cost of another row.
    Diagnostic,
}

struct Variant {
    label: &'static str,
    program: &'static str,
    env: &'static [(&'static str, &'static str)],
    role: Role,
}

/// glibc creates a malloc arena for a thread at its first allocation (an
/// `mmap` of 128 MiB of address space trimmed to 64 MiB by two `munmap`s, an
/// `mprotect`, and page faults on fresh memory). Limiting glibc to one arena
/// removes that step: if exit-attr's dispatcher still made its first
/// allocation between the signal and the exit function, this run would be
/// faster than the plain `logfun = None` one.
const ONE_ARENA: &[(&str, &str)] = &[("GLIBC_TUNABLES", "glibc.malloc.arena_max=1")];

/// The index of ctrlc's row in [`VARIANTS`]: the latency goals are against
/// it (median and p99 at most ctrlc's).
const CTRLC: usize = 2;

const VARIANTS: [Variant; 8] = [
    Variant {
        label: "exit-attr: register_exit_fun(f, &[SIGTERM])",
        program: "latency_exit_attr",
        env: &[],
        role: Role::ExitAttr,
    },
    Variant {
        label: "exit-attr: #[register_exit_fun(logfun = None)]",
        program: "latency_exit_attr_quiet",
        env: &[],
        role: Role::ExitAttr,
    },
    Variant {
        label: "ctrlc::set_handler (termination)",
        program: "latency_ctrlc",
        env: &[],
        role: Role::Peer,
    },
    Variant {
        label: "signal-hook: Signals on a thread",
        program: "latency_signal_hook",
        env: &[],
        role: Role::Peer,
    },
    Variant {
        label: "tokio: signal(terminate), current thread",
        program: "latency_tokio",
        env: &[],
        role: Role::Peer,
    },
    Variant {
        label: "raw handler → pipe → thread (floor)",
        program: "latency_raw_pipe",
        env: &[],
        role: Role::Floor,
    },
    Variant {
        label: "raw handler → sem_post → thread (ctrlc's mechanism)",
        program: "latency_raw_sem",
        env: &[],
        role: Role::Floor,
    },
    Variant {
        label: "diagnostic: exit-attr (logfun = None), glibc arena_max=1",
        program: "latency_exit_attr_quiet",
        env: ONE_ARENA,
        role: Role::Diagnostic,
    },
];

pub(crate) fn programs() -> Vec<&'static str> {
    VARIANTS.iter().map(|v| v.program).collect()
}

pub(crate) fn run(programs: &Programs, config: &Config) -> Result<Section> {
    let mut section = Section::new("2. Signal to cleanup latency");
    let mut collector = Collector::new(VARIANTS.len());
    interleave(
        "signal latency",
        VARIANTS.len(),
        config.latency_rounds,
        |v| {
            let latency = programs.signal_latency(VARIANTS[v].program, VARIANTS[v].env)?;
            collector.push(v, latency.as_secs_f64() * 1e6);
            Ok(())
        },
    )?;
    let samples = collector.finish();

    let peers = || {
        VARIANTS
            .iter()
            .zip(&samples)
            .filter(|(v, _)| v.role == Role::Peer)
    };
    let (ctrlc_median, ctrlc_p99) = (samples[CTRLC].median(), samples[CTRLC].p99());
    let (best_name, _) = peers()
        .min_by(|a, b| a.1.median().total_cmp(&b.1.median()))
        .map(|(v, s)| (v.label, s))
        .ok_or("no peer")?;
    // The pipe floor (the first one): exit-attr's own mechanism.
    let floor = VARIANTS
        .iter()
        .position(|v| v.role == Role::Floor)
        .map_or(f64::NAN, |f| samples[f].median());

    let mut table = Table::new(&[
        "variant",
        "median",
        "p90",
        "p99",
        "max",
        "median / ctrlc's",
        "p99 / ctrlc's p99",
        "median / floor",
    ]);
    for (v, sample) in samples.iter().enumerate() {
        table.row(vec![
            VARIANTS[v].label.to_owned(),
            report::us(sample.median()),
            report::us(sample.p90()),
            report::us(sample.p99()),
            report::us(sample.max()),
            report::ratio(sample.median() / ctrlc_median),
            report::ratio(sample.p99() / ctrlc_p99),
            report::ratio(sample.median() / floor),
        ]);
    }
    section.text(&format!(
        "From just before `kill(pid, SIGTERM)` in the harness to the harness reading the \
         first line the cleanup writes to its stdout pipe; {} interleaved runs of each \
         variant, each in a fresh process that printed `ready` and then sat idle for 2 ms. \
         Best peer (by median): {best_name}; the ratios are to ctrlc's, the goal's \
         reference. The floor is the bare mechanism of \
         exit-attr, signal-hook and tokio: a handler writes to a pipe, a thread \
         blocked on it wakes and writes a line; *median / floor* is relative to it. \
         The `sem_post` row is the same with ctrlc's mechanism instead of a pipe: the \
         handler posts a POSIX semaphore (a futex wake) that the thread waits on. The \
         diagnostic row is the `logfun = None` program again, with glibc limited to one \
         malloc arena (`GLIBC_TUNABLES=glibc.malloc.arena_max=1`): a thread's first \
         allocation makes glibc create an arena for it (an `mmap`, two `munmap`s, an \
         `mprotect` and page faults on fresh memory), so if the dispatcher still \
         allocated for the first time between the signal and the exit function, this \
         row would be the faster one.\n\n{}",
        samples[0].len(),
        table.render()
    ));
    section.goal(
        "Latency: exit-attr (register_exit_fun) median / ctrlc's median",
        samples[0].median() / ctrlc_median,
        1.0,
        report::ratio,
    );
    section.goal(
        "Latency: exit-attr (register_exit_fun) p99 / ctrlc's p99",
        samples[0].p99() / ctrlc_p99,
        1.0,
        report::ratio,
    );
    section.goal(
        "Latency: exit-attr (logfun = None) median / ctrlc's median",
        samples[1].median() / ctrlc_median,
        1.0,
        report::ratio,
    );
    section.goal(
        "Latency: exit-attr (logfun = None) p99 / ctrlc's p99",
        samples[1].p99() / ctrlc_p99,
        1.0,
        report::ratio,
    );

    let series: Vec<Series<'_>> = VARIANTS
        .iter()
        .zip(&samples)
        .map(|(v, sample)| Series {
            name: v.label,
            sample,
            style: match v.role {
                Role::ExitAttr => Style::Emphasis,
                Role::Peer | Role::Floor => Style::Normal,
                Role::Diagnostic => Style::Diagnostic,
            },
        })
        .collect();
    let svg = plot::ecdf(
        "Signal to cleanup: kill() in the parent to the cleanup's first line",
        &format!(
            "{} interleaved runs per variant, each in a fresh process; further left is faster",
            samples[0].len()
        ),
        &series,
    );
    section.plot("latency.svg", svg);
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_goal_reference_is_ctrlc() {
        assert_eq!(VARIANTS[CTRLC].program, "latency_ctrlc");
    }
}
