//! What registering costs: `register <kind> <threads> <total>` makes `total`
//! registrations split over `threads` threads started together, then (for
//! closures) unregisters them all the same way, and prints the time per
//! operation.
//!
//! Kinds:
//! - `closure`: `register_exit_closure` of a closure that captures a `usize`
//!   (kept inline by exit-attr: no allocation), with no signal;
//! - `closure-large`: the same with a closure that captures four `usize`s,
//!   more than exit-attr keeps inline, so that each registration allocates;
//! - `closure-sigterm`: the same, listing SIGTERM (already hooked by a first
//!   registration, so no `sigaction` is timed);
//! - `closure-batch`: `closure` in batches of 1000: register 1000, unregister
//!   them, and again, so that the registry reuses its slots instead of growing
//!   (a process that registers and unregisters as it goes); one thread only;
//! - `guard`: `exit_guard` of the same closures, no signal; the guards are
//!   kept in a `Vec` until every thread has registered, then dropped, each
//!   drop running its closure on the dropping thread: the drops are timed
//!   apart and reported as `unregister` (a drop is the guard's way out);
//! - `fn-distinct`: `register_exit_fun` of distinct `fn()` pointers, no
//!   signal: a `fn()` pointer is known by its address, so this is the
//!   address path of the de-duplication; there are 8192 of them (generated
//!   below), so `total` is 8192 whatever is asked;
//! - `fn-items`: `register_exit_fun` of distinct function *items*, no
//!   signal: each is known by its type, as an attribute's or a named
//!   function's registration is. A generic registration is compiled once per
//!   type, so each registration is its own small function (4096 of them,
//!   generated below, called through a table); `total` is 4096 whatever is
//!   asked;
//! - `fn-repeated`: `register_exit_fun` of a `fn()` pointer already
//!   registered (the de-duplicating path: a hash lookup); each thread has its
//!   own function;
//! - `atexit`: glibc's `atexit` of one `extern "C" fn`, for comparison.
//!
//! Printed: `register_ns` = wall time from the first thread's start to the
//! last thread's end, divided by all operations (the cost per operation as the
//! process sees it), and `register_thread_ns` = the mean over threads of each
//! thread's time per operation; the same two for `unregister`.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use exit_attr::{
    ExitGuard, ExitHandle, Signal, exit_guard, register_exit_closure, register_exit_fun,
};

/// How many distinct functions `fn-distinct` registers.
const DISTINCT: usize = 8192;

/// How many distinct function items `fn-items` registers: fewer than
/// `DISTINCT`, because each one compiles its own copy of the registration.
const ITEMS: usize = 4096;

/// How many closures `closure-batch` registers before unregistering them.
const BATCH: usize = 1000;

/// One distinct function per `N`: distinct bodies, so that the compiler
/// cannot merge them into one address (exit-attr identifies a function by
/// its address).
fn distinct<const N: usize>() {
    black_box(N);
}

/// Registers the function item `distinct::<N>`: its own type, so its own
/// identity. Registering through this wrapper, called by a `fn()` pointer
/// from a table, costs one indirect call more than writing the calls out
/// would; the table keeps the program's size and build time reasonable.
fn register_item<const N: usize>() {
    register_exit_fun(distinct::<N>, &[]).expect("register a function item");
}

/// Pushes `$f::<$base>` .. `$f::<$base + 15>` onto `$table`.
macro_rules! level0 {
    ($table:ident, $f:ident, $base:expr) => {
        let row: [fn(); 16] = [
            $f::<{ $base }>,
            $f::<{ $base + 1 }>,
            $f::<{ $base + 2 }>,
            $f::<{ $base + 3 }>,
            $f::<{ $base + 4 }>,
            $f::<{ $base + 5 }>,
            $f::<{ $base + 6 }>,
            $f::<{ $base + 7 }>,
            $f::<{ $base + 8 }>,
            $f::<{ $base + 9 }>,
            $f::<{ $base + 10 }>,
            $f::<{ $base + 11 }>,
            $f::<{ $base + 12 }>,
            $f::<{ $base + 13 }>,
            $f::<{ $base + 14 }>,
            $f::<{ $base + 15 }>,
        ];
        $table.extend_from_slice(&row);
    };
}

/// 256 of them.
macro_rules! level1 {
    ($table:ident, $f:ident, $base:expr) => {
        level0!($table, $f, $base);
        level0!($table, $f, $base + 16);
        level0!($table, $f, $base + 32);
        level0!($table, $f, $base + 48);
        level0!($table, $f, $base + 64);
        level0!($table, $f, $base + 80);
        level0!($table, $f, $base + 96);
        level0!($table, $f, $base + 112);
        level0!($table, $f, $base + 128);
        level0!($table, $f, $base + 144);
        level0!($table, $f, $base + 160);
        level0!($table, $f, $base + 176);
        level0!($table, $f, $base + 192);
        level0!($table, $f, $base + 208);
        level0!($table, $f, $base + 224);
        level0!($table, $f, $base + 240);
    };
}

/// 4096 of them.
macro_rules! level2 {
    ($table:ident, $f:ident, $base:expr) => {
        level1!($table, $f, $base);
        level1!($table, $f, $base + 256);
        level1!($table, $f, $base + 512);
        level1!($table, $f, $base + 768);
        level1!($table, $f, $base + 1024);
        level1!($table, $f, $base + 1280);
        level1!($table, $f, $base + 1536);
        level1!($table, $f, $base + 1792);
        level1!($table, $f, $base + 2048);
        level1!($table, $f, $base + 2304);
        level1!($table, $f, $base + 2560);
        level1!($table, $f, $base + 2816);
        level1!($table, $f, $base + 3072);
        level1!($table, $f, $base + 3328);
        level1!($table, $f, $base + 3584);
        level1!($table, $f, $base + 3840);
    };
}

/// The 8192 distinct functions, as `fn()` pointers.
fn distinct_functions() -> Vec<fn()> {
    let mut table: Vec<fn()> = Vec::with_capacity(DISTINCT);
    level2!(table, distinct, 0);
    level2!(table, distinct, 4096);
    table
}

/// The 4096 registrations of distinct function items.
fn item_registrations() -> Vec<fn()> {
    let mut table: Vec<fn()> = Vec::with_capacity(ITEMS);
    level2!(table, register_item, 0);
    table
}

fn warm_up_function() {
    black_box(());
}

extern "C" fn atexit_noop() {
    black_box(());
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Closure,
    ClosureLarge,
    ClosureSigterm,
    ClosureBatch,
    Guard,
    FnDistinct,
    FnItems,
    FnRepeated,
    Atexit,
}

/// One thread's start and end of its registrations and unregistrations.
struct Times {
    register: (Instant, Instant),
    unregister: Option<(Instant, Instant)>,
}

/// `closure-batch`: the time spent registering and unregistering, summed
/// over the batches.
fn batches(ops: usize) -> (Duration, Duration) {
    let (mut registering, mut unregistering) = (Duration::ZERO, Duration::ZERO);
    let mut handles: Vec<ExitHandle> = Vec::with_capacity(BATCH);
    for batch in 0..ops.div_ceil(BATCH) {
        let count = BATCH.min(ops - batch * BATCH);
        let began = Instant::now();
        for i in 0..count {
            let closure = move || {
                black_box(i);
            };
            handles.push(register_exit_closure(closure, &[]).expect("register a closure"));
        }
        let middle = Instant::now();
        for handle in handles.drain(..) {
            assert!(handle.unregister(), "unregister a closure");
        }
        unregistering += middle.elapsed();
        registering += middle - began;
    }
    (registering, unregistering)
}

fn run_thread(
    kind: Kind,
    index: usize,
    ops: usize,
    functions: &[fn()],
    start: &Barrier,
    between: &Barrier,
) -> Times {
    let signals: &[Signal] = match kind {
        Kind::ClosureSigterm => &[Signal::SIGTERM],
        _ => &[],
    };
    let mut handles: Vec<ExitHandle> = Vec::with_capacity(ops);
    let mut guards: Vec<ExitGuard> = Vec::with_capacity(if kind == Kind::Guard { ops } else { 0 });
    start.wait();
    let began = Instant::now();
    match kind {
        Kind::Closure | Kind::ClosureSigterm => {
            for i in 0..ops {
                let handle = register_exit_closure(
                    move || {
                        black_box(i);
                    },
                    signals,
                )
                .expect("register a closure");
                handles.push(handle);
            }
        }
        Kind::ClosureLarge => {
            for i in 0..ops {
                let words = [i; 4];
                let handle = register_exit_closure(
                    move || {
                        black_box(words);
                    },
                    &[],
                )
                .expect("register a closure");
                handles.push(handle);
            }
        }
        Kind::Guard => {
            for i in 0..ops {
                let guard = exit_guard(
                    move || {
                        black_box(i);
                    },
                    &[],
                )
                .expect("register a guard");
                guards.push(guard);
            }
        }
        Kind::FnDistinct => {
            for &function in &functions[index * ops..(index + 1) * ops] {
                register_exit_fun(function, &[]).expect("register a function");
            }
        }
        Kind::FnItems => {
            // Each entry registers its own function item.
            for register in &functions[index * ops..(index + 1) * ops] {
                register();
            }
        }
        Kind::FnRepeated => {
            let function = functions[index];
            for _ in 0..ops {
                register_exit_fun(function, &[]).expect("register a function");
            }
        }
        Kind::ClosureBatch => unreachable!("closure-batch runs in `batches`"),
        Kind::Atexit => {
            for _ in 0..ops {
                // SAFETY: `atexit_noop` is an `extern "C" fn()` that never
                // unwinds.
                assert_eq!(unsafe { libc::atexit(atexit_noop) }, 0, "atexit");
            }
        }
    }
    let register = (began, Instant::now());
    between.wait();
    let unregister = if !handles.is_empty() {
        let began = Instant::now();
        for handle in handles {
            assert!(handle.unregister(), "unregister a closure");
        }
        Some((began, Instant::now()))
    } else if !guards.is_empty() {
        // Dropped one by one in the timed span, oldest first, so that the
        // vector's own drop is not what is measured.
        let began = Instant::now();
        for guard in guards.drain(..) {
            drop(guard);
        }
        Some((began, Instant::now()))
    } else {
        None
    };
    Times {
        register,
        unregister,
    }
}

/// Prints `<name>_ns` (wall time over all operations) and `<name>_thread_ns`
/// (mean of each thread's time per operation).
fn report(name: &str, spans: &[(Instant, Instant)], per_thread: usize) -> String {
    let first = spans.iter().map(|s| s.0).min().expect("one thread");
    let last = spans.iter().map(|s| s.1).max().expect("one thread");
    let total = (per_thread * spans.len()) as f64;
    let wall = (last - first).as_nanos() as f64 / total;
    let mean = spans
        .iter()
        .map(|(a, b)| (*b - *a).as_nanos() as f64 / per_thread as f64)
        .sum::<f64>()
        / spans.len() as f64;
    format!("{name}_ns={wall:.2} {name}_thread_ns={mean:.2}")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: register closure|closure-large|closure-sigterm|closure-batch|guard|fn-distinct|fn-items|fn-repeated|atexit THREADS TOTAL";
    let kind = match args.get(1).map(String::as_str) {
        Some("closure") => Kind::Closure,
        Some("closure-large") => Kind::ClosureLarge,
        Some("closure-sigterm") => Kind::ClosureSigterm,
        Some("closure-batch") => Kind::ClosureBatch,
        Some("guard") => Kind::Guard,
        Some("fn-distinct") => Kind::FnDistinct,
        Some("fn-items") => Kind::FnItems,
        Some("fn-repeated") => Kind::FnRepeated,
        Some("atexit") => Kind::Atexit,
        _ => panic!("{usage}"),
    };
    let threads: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let total: usize = args.get(3).and_then(|a| a.parse().ok()).expect(usage);
    let total = match kind {
        Kind::FnDistinct => DISTINCT,
        Kind::FnItems => ITEMS,
        _ => total,
    };
    let per_thread = total / threads;

    let functions = match kind {
        Kind::FnDistinct | Kind::FnRepeated => distinct_functions(),
        Kind::FnItems => item_registrations(),
        _ => Vec::new(),
    };
    // First registrations outside the timing: they install exit-attr's
    // atexit and fork handlers and, with SIGTERM, hook it and start the
    // dispatcher; every timed registration then takes the steady path. (The
    // handles are dropped, which keeps the registrations.)
    match kind {
        Kind::Closure | Kind::ClosureLarge | Kind::ClosureBatch | Kind::Guard => {
            register_exit_closure(|| {}, &[]).expect("warm up");
        }
        Kind::ClosureSigterm => {
            register_exit_closure(|| {}, &[Signal::SIGTERM]).expect("warm up");
        }
        Kind::FnDistinct | Kind::FnItems => {
            register_exit_fun(warm_up_function, &[]).expect("warm up");
        }
        Kind::FnRepeated => {
            for &function in &functions[..threads] {
                register_exit_fun(function, &[]).expect("warm up");
            }
        }
        // SAFETY: as in `run_thread`.
        Kind::Atexit => assert_eq!(unsafe { libc::atexit(atexit_noop) }, 0),
    }

    if kind == Kind::ClosureBatch {
        assert_eq!(threads, 1, "closure-batch runs on one thread");
        // On a thread of its own, as the other kinds.
        let (registering, unregistering) = std::thread::spawn(move || batches(total))
            .join()
            .expect("worker");
        let per_op = |time: Duration| time.as_nanos() as f64 / total as f64;
        let (r, u) = (per_op(registering), per_op(unregistering));
        println!(
            "register_ns={r:.2} register_thread_ns={r:.2} unregister_ns={u:.2} unregister_thread_ns={u:.2}"
        );
        return;
    }

    let functions = Arc::new(functions);
    let start = Arc::new(Barrier::new(threads));
    let between = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|index| {
            let (functions, start, between) = (functions.clone(), start.clone(), between.clone());
            std::thread::spawn(move || {
                run_thread(kind, index, per_thread, &functions, &start, &between)
            })
        })
        .collect();
    let times: Vec<Times> = workers
        .into_iter()
        .map(|worker| worker.join().expect("worker"))
        .collect();

    let register: Vec<_> = times.iter().map(|t| t.register).collect();
    let mut line = report("register", &register, per_thread);
    let unregister: Vec<_> = times.iter().filter_map(|t| t.unregister).collect();
    if !unregister.is_empty() {
        line.push(' ');
        line.push_str(&report("unregister", &unregister, per_thread));
    }
    println!("{line}");
}
