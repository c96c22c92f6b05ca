//! It exists because cargo's `links` key, which keeps two
//! semver-incompatible copies of exit-attr out of one build, requires a build
//! script. It also tells the crate when it is built for ThreadSanitizer
//! (`-Zsanitizer=thread`): see `src/delivery/unix/tsan.rs`; and which doorbell wakes the
//! dispatcher thread on this target: see `src/sys/unix/doorbell/mod.rs`.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(exit_attr_tsan)");
    println!(
        "cargo::rustc-check-cfg=cfg(exit_attr_wake, values(\"futex\", \"semaphore\", \"pipe\"))"
    );
    // Cargo sets CARGO_CFG_SANITIZE from `rustc --print cfg` with the build's
    // flags: "thread" (among others, comma-separated) under ThreadSanitizer.
    let sanitizers = std::env::var("CARGO_CFG_SANITIZE").unwrap_or_default();
    if sanitizers.split(',').any(|s| s == "thread") {
        println!("cargo::rustc-cfg=exit_attr_tsan");
    }
    // Only Unix builds `sys/unix`, where the doorbell is.
    if std::env::var_os("CARGO_CFG_UNIX").is_some() {
        println!("cargo::rustc-cfg=exit_attr_wake=\"{}\"", doorbell());
    }
}

/// The doorbell for the target: a futex where there is one, an unnamed
/// semaphore where they work, a pipe elsewhere (macOS).
///
/// `EXIT_ATTR_WAKE` (`futex`, `semaphore` or `pipe`) overrides the choice.
/// It exists for exit-attr's own CI, which runs the semaphore and the pipe
/// on Linux, where they can be run; it is not part of the crate's API.
fn doorbell() -> &'static str {
    println!("cargo::rerun-if-env-changed=EXIT_ATTR_WAKE");
    match std::env::var("EXIT_ATTR_WAKE").as_deref() {
        Ok("futex") => return "futex",
        Ok("semaphore") => return "semaphore",
        Ok("pipe") => return "pipe",
        Ok(other) => println!(
            "cargo::warning=EXIT_ATTR_WAKE={other:?} is none of futex, semaphore, pipe; ignored"
        ),
        Err(_) => {}
    }
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux" | "android") => "futex",
        Ok("freebsd" | "netbsd" | "illumos" | "solaris" | "dragonfly" | "openbsd") => "semaphore",
        _ => "pipe",
    }
}
