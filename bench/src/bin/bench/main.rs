//! The benchmark harness of exit-attr. One command:
//!
//! ```sh
//! cargo run --release -p exit-attr-bench --bin bench
//! ```
//!
//! builds the small programs of this package (`src/bin/`), runs every
//! variant of each comparison interleaved, in fresh processes, and prints
//! Markdown tables on stdout (progress goes to stderr), then the goals of
//! the issues, each met or missed and by how much. It writes `latency.svg`
//! and `startup.svg` next to this package's `Cargo.toml`.
//!
//! Sections (the names `--only` takes):
//! - `startup` (section 1 of BENCHMARKS.md): whole-process wall time of one trivial program (`main`
//!   prints a line) with exit-attr, with ctrlc, with signal-hook, with one
//!   raw thread blocked on a pipe (the floor of any dispatcher-thread
//!   design) and with nothing; each also ending in `_exit(0)`, which leaves
//!   out exit-attr's normal-exit hand-off; their threads, memory and sizes;
//!   what creating the dispatcher thread costs, by the way it is created.
//! - `latency` (section 2 of BENCHMARKS.md): from `kill(SIGTERM)` to the cleanup's first line, for
//!   exit-attr, the peers and the bare mechanisms.
//! - `registration` (section 3 of BENCHMARKS.md): registering and unregistering (closures, guards,
//!   distinct `fn()` pointers and function items, a function again, glibc's
//!   `atexit`) from 1, 2 and 8 threads; running N exit functions at exit.
//! - `exit` (section 4 of BENCHMARKS.md): the normal-exit hand-off alone, from `main` returning to
//!   the end of the one exit function, with a warm and a cold dispatcher,
//!   against glibc's `atexit`.
//!
//! Options:
//! - `--quick`: a few rounds and small counts, to check that everything
//!   still builds and runs; the numbers mean nothing. Plots go to a
//!   temporary directory unless `--out-dir` says otherwise.
//! - `--no-build`: do not run `cargo build` first (the programs must already
//!   be next to this executable, as `cargo test` leaves them).
//! - `--out-dir DIR`: where to write the plots.
//! - `--only startup,latency,registration,exit`: run only those sections.
//!
//! Timings are only ever compared as ratios or differences of variants
//! measured side by side in the same run. The harness measures whatever
//! exit-attr it is built against (`../exit-attr`).

mod exit;
mod latency;
mod measure;
mod plot;
mod registration;
mod report;
mod startup;
mod stats;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// How much to measure.
struct Config {
    startup_rounds: usize,
    report_rounds: usize,
    thread_rounds: usize,
    latency_rounds: usize,
    registration_rounds: usize,
    registration_total: usize,
    exit_rounds: usize,
    exit_counts: [usize; 3],
    handoff_rounds: usize,
}

impl Config {
    fn full() -> Config {
        Config {
            startup_rounds: 1000,
            report_rounds: 51,
            thread_rounds: 300,
            latency_rounds: 600,
            registration_rounds: 21,
            registration_total: 100_000,
            exit_rounds: 41,
            exit_counts: [0, 10_000, 100_000],
            // Half of these runs sleep 50 ms in `main`: about 20 s in all.
            handoff_rounds: 200,
        }
    }

    fn quick() -> Config {
        Config {
            startup_rounds: 3,
            report_rounds: 1,
            thread_rounds: 2,
            latency_rounds: 3,
            registration_rounds: 1,
            registration_total: 1_000,
            exit_rounds: 2,
            exit_counts: [0, 100, 1_000],
            handoff_rounds: 2,
        }
    }
}

/// The printed result of one part of the benchmark.
struct Section {
    title: &'static str,
    text: String,
    goals: Vec<String>,
    plots: Vec<(&'static str, String)>,
}

impl Section {
    fn new(title: &'static str) -> Section {
        Section {
            title,
            text: String::new(),
            goals: Vec::new(),
            plots: Vec::new(),
        }
    }

    fn text(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// Records a goal of the issue, "`value` at most `limit`", and by how
    /// much it is met or missed.
    fn goal(&mut self, what: &str, value: f64, limit: f64, format: fn(f64) -> String) {
        let verdict = if value <= limit {
            format!(
                "met ({:.1} % under the limit)",
                (1.0 - value / limit) * 100.0
            )
        } else {
            format!("**missed** by {:.1} %", (value / limit - 1.0) * 100.0)
        };
        self.goals.push(format!(
            "- {what}: {} (goal: at most {}): {verdict}",
            format(value),
            format(limit)
        ));
    }

    /// Records a goal of the issue that is not "at most a number": what was
    /// `measured`, the `goal`, and whether it is `met`.
    fn goal_text(&mut self, what: &str, measured: &str, goal: &str, met: bool) {
        let verdict = if met { "met" } else { "**missed**" };
        self.goals
            .push(format!("- {what}: {measured} (goal: {goal}): {verdict}"));
    }

    fn plot(&mut self, file: &'static str, svg: String) {
        self.plots.push((file, svg));
    }
}

struct Options {
    quick: bool,
    build: bool,
    out_dir: Option<PathBuf>,
    only: Option<Vec<String>>,
}

impl Options {
    fn parse() -> Result<Options> {
        let mut options = Options {
            quick: false,
            build: true,
            out_dir: None,
            only: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--no-build" => options.build = false,
                "--out-dir" => options.out_dir = Some(args.next().ok_or("--out-dir DIR")?.into()),
                "--only" => {
                    let list = args
                        .next()
                        .ok_or("--only startup,latency,registration,exit")?;
                    options.only = Some(list.split(',').map(str::to_owned).collect());
                }
                "-h" | "--help" => {
                    println!(
                        "usage: bench [--quick] [--no-build] [--out-dir DIR] \
                         [--only startup,latency,registration,exit]"
                    );
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}; try --help").into()),
            }
        }
        Ok(options)
    }

    fn runs(&self, section: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|s| s == section))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nbench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The sections, in the order they run and print.
const SECTIONS: [&str; 4] = ["startup", "latency", "registration", "exit"];

fn run() -> Result<()> {
    let options = Options::parse()?;
    // A misspelt section would otherwise run nothing and print no table,
    // which reads as "nothing to report".
    for name in options.only.iter().flatten() {
        if !SECTIONS.contains(&name.as_str()) {
            return Err(format!(
                "unknown section {name:?} in --only; the sections are {SECTIONS:?}"
            )
            .into());
        }
    }
    if options.build {
        build_programs()?;
    }
    let names: Vec<&str> = [
        startup::programs(),
        latency::programs(),
        registration::programs(),
        exit::programs(),
    ]
    .concat();
    let programs = measure::Programs::locate(&names)?;
    let config = if options.quick {
        Config::quick()
    } else {
        Config::full()
    };
    let out_dir = match (&options.out_dir, options.quick) {
        (Some(dir), _) => dir.clone(),
        (None, false) => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        (None, true) => std::env::temp_dir().join("exit-attr-bench-quick"),
    };
    std::fs::create_dir_all(&out_dir)?;

    println!("# exit-attr benchmark\n");
    if options.quick {
        println!("**Quick mode: a few rounds only; the numbers below mean nothing.**\n");
    }
    println!("{}", machine());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = if args.is_empty() {
        String::new()
    } else {
        format!(" -- {}", args.join(" "))
    };
    println!(
        "Command: `cargo run {}-p exit-attr-bench --bin bench{args}`\n",
        if cfg!(debug_assertions) {
            ""
        } else {
            "--release "
        }
    );

    type Runner = fn(&measure::Programs, &Config) -> Result<Section>;
    let runners: [Runner; 4] = [startup::run, latency::run, registration::run, exit::run];
    let sections = SECTIONS.into_iter().zip(runners);
    let mut goals = Vec::new();
    for (name, runner) in sections {
        if !options.runs(name) {
            continue;
        }
        eprintln!("{name}:");
        let section = runner(&programs, &config)?;
        println!("## {}\n\n{}", section.title, section.text);
        for (file, svg) in &section.plots {
            let path = out_dir.join(file);
            std::fs::write(&path, svg)?;
            // Relative to the workspace, when it is in it.
            let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
            let shown = std::fs::canonicalize(workspace)
                .ok()
                .and_then(|root| path.strip_prefix(root).ok().map(PathBuf::from))
                .unwrap_or_else(|| path.clone());
            println!("Plot: `{}`\n", shown.display());
        }
        goals.extend(section.goals);
    }
    println!("## Goals\n\n{}\n", goals.join("\n"));
    Ok(())
}

/// Builds every program of this package in the harness's own profile, with
/// the cargo that runs it (`cargo run` sets `CARGO`): `cargo run --bin bench`
/// alone builds only the harness.
fn build_programs() -> Result<()> {
    let Some(cargo) = std::env::var_os("CARGO") else {
        return Ok(());
    };
    let mut command = Command::new(cargo);
    command.args([
        "build",
        "--quiet",
        "-p",
        "exit-attr-bench",
        "--bins",
        "--manifest-path",
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
    ]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    // Build into the target directory this executable is in, even if it was
    // chosen with `--target-dir` (cargo marks its target directories with
    // CACHEDIR.TAG).
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        let exe = std::env::current_exe()?;
        if let Some(target) = exe.parent().and_then(|profile| profile.parent()) {
            if target.join("CACHEDIR.TAG").is_file() {
                command.arg("--target-dir").arg(target);
            }
        }
    }
    eprintln!("building the benchmark programs...");
    let status = command.status()?;
    if !status.success() {
        return Err(format!("building the benchmark programs failed: {status}").into());
    }
    Ok(())
}

/// What the numbers were measured on.
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown", |rest| rest.trim_start_matches([' ', '\t', ':']));
    let meminfo = read("/proc/meminfo");
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|kb| kb.trim().trim_end_matches(" kB").parse::<f64>().ok())
        .map_or("unknown".to_owned(), |kb| {
            format!("{:.1} GiB", kb / 1024.0 / 1024.0)
        });
    let kernel = read("/proc/sys/kernel/osrelease");
    let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let load = read("/proc/loadavg");
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let virtual_machine = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .is_some_and(|flags| flags.split_whitespace().any(|f| f == "hypervisor"));
    let clock = read("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    format!(
        "| machine | |\n|---|---|\n\
         | CPUs (available) | {cpus} |\n\
         | CPU model | {model} |\n\
         | memory | {memory} |\n\
         | virtual machine | {} |\n\
         | clock source | {} |\n\
         | kernel | Linux {} |\n\
         | rustc | {rustc} |\n\
         | profile | {} |\n\
         | load average at start | {} |\n",
        if virtual_machine {
            "yes (cpuinfo flag `hypervisor`)"
        } else {
            "no"
        },
        clock.trim(),
        kernel.trim(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        load.join(" "),
    )
}
