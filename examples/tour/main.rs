//! A tour of what exit-attr does on every exit path.
//!
//! Run it with `cargo run --example tour`. It starts itself again as a child
//! process once per exit path, ends that child the way the row says, and
//! prints which exit functions ran (in order) and how the child ended. It
//! exits with 0 when every row is what the contract promises.
//!
//! The child registers two exit functions: `flush_logs` with the attribute,
//! before `main`, listing no signal (it runs on normal exit and on any signal
//! another registration hooked), and `remove_pidfile` with the function form
//! in `main`, for SIGTERM and SIGINT. Registered later, `remove_pidfile` runs
//! first.
//!
//! In the guard rows, the child also holds an `exit_guard` whose closure is
//! `remove_scratch`, created just before `remove_pidfile` is registered, for
//! SIGTERM and SIGINT. Alive at the end, it runs in its place between the
//! two; dropped before, it runs at the drop, and not again at the end.
//!
//! The rows and the way a child is ended are each platform's (`unix.rs`:
//! signals sent with `kill`; `windows.rs`: Ctrl-C, a console control event);
//! the rest is shared.

#[cfg_attr(unix, path = "unix.rs")]
#[cfg_attr(windows, path = "windows.rs")]
mod platform;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use exit_attr::{Signal, exit_guard, register_exit_fun};
use platform::{Ending, SIGNAL_ROWS};

/// In a child's environment: which row it plays.
const ROLE: &str = "EXIT_ATTR_TOUR_ROW";

/// How long a child may take before the tour gives up on it.
const PATIENCE: Duration = Duration::from_secs(10);

#[register_exit_fun(signals = [])]
fn flush_logs() {
    say("flush_logs");
}

fn remove_pidfile() {
    say("remove_pidfile");
}

/// The closure of the guard rows' guard.
fn remove_scratch() {
    say("remove_scratch");
}

/// Exit functions report on stdout, in the children only.
fn say(function: &str) {
    if std::env::var_os(ROLE).is_some() {
        println!("ran {function}");
    }
}

/// One exit path.
struct Row {
    path: &'static str,
    /// What the child does before it reports ready.
    setup: Setup,
    /// How the tour ends the child.
    end: End,
    expected_ran: &'static [&'static str],
    expected_end: Ending,
}

#[derive(Clone, Copy, PartialEq)]
enum Setup {
    Plain,
    /// Install a handler (for SIGTERM, or a console control handler)
    /// before exit-attr's.
    OlderHandler,
    /// Install a console control handler after exit-attr's, which owns
    /// the event (Windows).
    #[cfg_attr(unix, allow(dead_code))]
    NewerHandler,
    /// Started by `nohup`, so with SIGHUP ignored; also lists SIGHUP
    /// (Unix).
    #[cfg_attr(windows, allow(dead_code))]
    HupIgnored,
    /// Hold a guard whose closure is `remove_scratch`.
    Guard,
}

#[derive(Clone, Copy)]
enum End {
    /// A command on the child's stdin: `return`, `exit`, `panic`.
    Command(&'static str),
    /// The signal (Unix), or its console event (Windows).
    Signal(Signal),
    /// Send the signal, then ask the child to return: it is still there.
    SignalThenReturn(Signal),
    /// Ask the child to drop its guard, then send the signal.
    DropGuardThen(Signal),
}

const BOTH: &[&str] = &["remove_pidfile", "flush_logs"];

/// The rows every platform shares: the normal exits.
const NORMAL_EXITS: &[Row] = &[
    Row {
        path: "return from main",
        setup: Setup::Plain,
        end: End::Command("return"),
        expected_ran: BOTH,
        expected_end: Ending::Code(0),
    },
    Row {
        path: "std::process::exit(3)",
        setup: Setup::Plain,
        end: End::Command("exit"),
        expected_ran: BOTH,
        expected_end: Ending::Code(3),
    },
    Row {
        path: "panic in main",
        setup: Setup::Plain,
        end: End::Command("panic"),
        expected_ran: BOTH,
        expected_end: Ending::Code(101),
    },
];

/// Every row of the tour, in the order it plays them.
fn rows() -> impl Iterator<Item = &'static Row> {
    NORMAL_EXITS.iter().chain(SIGNAL_ROWS)
}

fn main() {
    match std::env::var(ROLE) {
        Ok(row) => child(&row),
        Err(_) => std::process::exit(if tour() { 0 } else { 1 }),
    }
}

// ---- the child ----

fn child(row: &str) {
    let row = rows().find(|r| r.path == row).expect("a known row");
    let mut signals = vec![Signal::SIGTERM, Signal::SIGINT];
    let mut guard = None;
    match row.setup {
        Setup::Plain | Setup::NewerHandler => {}
        Setup::OlderHandler => platform::install_older_handler(),
        Setup::HupIgnored => signals.extend(platform::HUP),
        Setup::Guard => {
            let created = exit_guard(remove_scratch, &[Signal::SIGTERM, Signal::SIGINT]);
            guard = Some(created.expect("create the guard"));
        }
    }
    register_exit_fun(remove_pidfile, &signals).expect("register remove_pidfile");
    if row.setup == Setup::NewerHandler {
        platform::install_newer_handler();
    }
    println!("ready");
    let mut command = String::new();
    loop {
        command.clear();
        if std::io::stdin().read_line(&mut command).unwrap_or(0) == 0 {
            return;
        }
        match command.trim() {
            "return" => return,
            "exit" => std::process::exit(3),
            "panic" => panic!("the tour panics on purpose"),
            "ping" => println!("pong"),
            "drop" => {
                drop(guard.take());
                println!("dropped");
            }
            _ => {}
        }
    }
}

// ---- the tour ----

fn tour() -> bool {
    platform::before_the_tour();
    println!("exit-attr tour: one child process per exit path.");
    println!(
        "Each child registers flush_logs with #[register_exit_fun(signals = [])] before main,"
    );
    println!("then remove_pidfile with register_exit_fun(.., &[SIGTERM, SIGINT]): it runs first.");
    println!(
        "The guard rows create exit_guard(remove_scratch, &[SIGTERM, SIGINT]) just before that.\n"
    );
    println!(
        "{:<38}  {:<45}  {:<18}  ok",
        "exit path", "exit functions ran, in order", "child ended by"
    );
    println!("{}", "-".repeat(108));
    let mut all_ok = true;
    for row in rows() {
        let (ran, ending) = match play(row) {
            Ok(result) => result,
            Err(problem) => {
                all_ok = false;
                println!("{:<38}  {problem}", row.path);
                continue;
            }
        };
        let ok = ran == row.expected_ran && ending == row.expected_end;
        all_ok &= ok;
        let ran_text = if ran.is_empty() {
            "(none)".to_owned()
        } else {
            ran.join(", ")
        };
        println!(
            "{:<38}  {:<45}  {:<18}  {}",
            row.path,
            ran_text,
            platform::describe(ending),
            if ok { "yes" } else { "NO" }
        );
        if !ok {
            println!(
                "{:<38}  expected: {} / {}",
                "",
                row.expected_ran.join(", "),
                platform::describe(row.expected_end)
            );
        }
    }
    println!();
    if all_ok {
        println!("Every row is what exit-attr promises.");
    } else {
        println!("Some rows differ from what exit-attr promises.");
    }
    all_ok
}

/// Runs one row's child: returns the exit functions it ran and how it ended.
fn play(row: &Row) -> Result<(Vec<String>, Ending), String> {
    let mut command = platform::command(row, std::env::current_exe().map_err(|e| e.to_string())?);
    command
        .env(ROLE, row.path)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // The log line and the panic message would clutter the table.
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let lines = read_lines(child.stdout.take().expect("piped"));
    let mut stderr = child.stderr.take().expect("piped");
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    let mut seen = Vec::new();
    expect_line(&lines, "ready", &mut seen, &mut child)?;
    match row.end {
        End::Command(line) => writeln!(stdin, "{line}").map_err(|e| e.to_string())?,
        End::Signal(signal) => platform::send(&child, signal),
        End::SignalThenReturn(signal) => {
            platform::send(&child, signal);
            // The child answers only once it is still alive after the signal.
            writeln!(stdin, "ping").map_err(|e| e.to_string())?;
            expect_line(&lines, "pong", &mut seen, &mut child)?;
            writeln!(stdin, "return").map_err(|e| e.to_string())?;
        }
        End::DropGuardThen(signal) => {
            writeln!(stdin, "drop").map_err(|e| e.to_string())?;
            expect_line(&lines, "dropped", &mut seen, &mut child)?;
            platform::send(&child, signal);
        }
    }
    let status = wait(&mut child)?;
    drop(stdin);
    let ran = seen
        .into_iter()
        .chain(lines.iter())
        .filter_map(|line| line.strip_prefix("ran ").map(str::to_owned))
        .collect();
    let ending = platform::ending(status, row.expected_end)?;
    Ok((ran, ending))
}

/// Forwards the child's stdout lines through a channel, from a thread.
fn read_lines(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads the child's lines until `wanted`, keeping those before it in
/// `seen`: an exit function may print before it (a guard at its drop).
fn expect_line(
    lines: &mpsc::Receiver<String>,
    wanted: &str,
    seen: &mut Vec<String>,
    child: &mut Child,
) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line == wanted => return Ok(()),
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the child never printed {wanted:?}"));
            }
        }
    }
}

fn wait(child: &mut Child) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the child did not end within {PATIENCE:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
