//! A temporary directory that goes away however the program ends: at the
//! end of its scope, on Ctrl-C, or on SIGTERM.
//!
//! Run it with `cargo run --example tempdir`, then press Enter to finish the
//! work normally, or Ctrl-C to interrupt it: either way the directory is
//! gone afterwards. On Ctrl-C the process still ends by SIGINT, so a shell
//! or a supervisor sees an interrupted program, not a successful one.
//!
//! A `tempfile::TempDir` removes its directory when it is dropped, but
//! Ctrl-C ends the process without running any destructor, and leaves the
//! directory behind. An `exit_guard` runs its closure when it is dropped, or
//! on the signals it lists if they come first: a closure that owns the
//! `TempDir` makes both ends of the program clean up.

use std::io::BufRead;

use exit_attr::{Signal, exit_guard};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new()
        .prefix("exit-attr-tempdir-")
        .tempdir()?;
    let path = dir.path().to_owned();
    std::fs::write(path.join("scratch.dat"), b"intermediate results")?;

    // The closure owns the TempDir and closes it, once, whoever runs it
    // first: the guard's drop at the end of `main` (or at an early return
    // by `?`), or exit-attr on SIGINT or SIGTERM. `close` removes the
    // directory and reports an error, which TempDir's own Drop would
    // swallow, and it consumes the TempDir, so that Drop never runs to find
    // the directory already gone. (Were the guard dismissed, dropping the
    // closure would drop the TempDir, which removes the directory too.)
    let _guard = exit_guard(
        move || {
            let shown = dir.path().display().to_string();
            match dir.close() {
                Ok(()) => println!("removed {shown}"),
                Err(e) => eprintln!("could not remove {shown}: {e}"),
            }
        },
        &[Signal::SIGINT, Signal::SIGTERM],
    )?;

    println!("working in {}", path.display());
    println!("press Enter to finish, or Ctrl-C to interrupt");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    println!("finished");
    Ok(())
}
