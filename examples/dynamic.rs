//! Registering at run time, with the function form and closures.
//!
//! Run it with `cargo run --example dynamic`. A program learns what it must
//! clean up as it runs: here, lock files for the jobs it starts. Each job
//! registers a closure that removes its lock, and unregisters it when the
//! job releases the lock itself. A plain function registered with the
//! function form reports at the end. The timeout bounds the whole cleanup.

use std::path::PathBuf;
use std::time::Duration;

use exit_attr::{Signal, register_exit_closure, register_exit_fun, set_timeout};

fn report() {
    println!("cleanup finished");
}

fn main() -> Result<(), exit_attr::Error> {
    // Registered first, so it runs last.
    register_exit_fun(report, &[Signal::SIGTERM, Signal::SIGINT])?;
    // Never let a stuck cleanup keep the process alive for long.
    set_timeout(Some(Duration::from_secs(2)));

    let mut handles = Vec::new();
    for job in 1..=3 {
        let lock = lock_path(job);
        std::fs::write(&lock, b"").expect("create the lock file");
        println!("job {job} holds {}", lock.display());
        let handle = register_exit_closure(
            move || {
                let _ = std::fs::remove_file(&lock);
                println!("removed the lock of job {job}");
            },
            &[Signal::SIGTERM, Signal::SIGINT],
        )?;
        handles.push((job, handle));
    }

    // Job 2 finishes on its own and releases its lock: nothing left to do
    // at exit for it.
    let (job, handle) = handles.remove(1);
    let _ = std::fs::remove_file(lock_path(job));
    println!(
        "job {job} released its lock; unregistered: {}",
        handle.unregister()
    );

    // The other handles are simply dropped: their closures stay registered.
    println!("main returns");
    Ok(())
}

fn lock_path(job: u32) -> PathBuf {
    std::env::temp_dir().join(format!(
        "exit-attr-dynamic-{}-job{job}.lock",
        std::process::id()
    ))
}
