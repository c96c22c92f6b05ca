//! A temporary directory that is removed on exit, or on Ctrl-C.
//!
//! Run it with `cargo run --example tempdir`, then press Enter to finish the
//! work normally, or Ctrl-C to interrupt it: either way the directory is
//! gone afterwards. On Ctrl-C the process still ends by SIGINT, so a shell
//! or a supervisor sees an interrupted program, not a successful one.

use std::io::BufRead;

use exit_attr::{Signal, register_exit_closure};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("exit-attr-tempdir-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("scratch.dat"), b"intermediate results")?;

    // A closure can own what it cleans up.
    let cleanup_dir = dir.clone();
    register_exit_closure(
        move || match std::fs::remove_dir_all(&cleanup_dir) {
            Ok(()) => println!("removed {}", cleanup_dir.display()),
            Err(e) => eprintln!("could not remove {}: {e}", cleanup_dir.display()),
        },
        &[Signal::SIGINT, Signal::SIGTERM],
    )?;

    println!("working in {}", dir.display());
    println!("press Enter to finish, or Ctrl-C to interrupt");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    println!("finished");
    Ok(())
}
