//! A daemon that writes a pidfile and removes it when SIGTERM stops it.
//!
//! Run it with `cargo run --example daemon`. Like a classic daemon, it forks:
//! the child detaches (`setsid`), writes its pidfile, registers the exit
//! function that removes it, and serves. The example's own parent then plays
//! the administrator: it reads the pid from the pidfile, sends SIGTERM as
//! `kill $(cat app.pid)` or systemd would, and checks that the daemon died
//! by SIGTERM and that its pidfile is gone. Exits with 0 when it is.
//!
//! Once up, the daemon closes every descriptor from 3 up, as classic daemons
//! do: exit-attr keeps none there on Linux, so its cleanup is unaffected.
//!
//! The exit function also logs why the daemon stops, as `exit_reason()`
//! tells it: `daemon: stopping: SIGTERM from PID n`, where n is the
//! administrator's pid. exit-attr names a sender only when the kernel
//! vouches for it (`kill`), never one that a `sigqueue` claims; even so, it
//! is for the log, not for deciding anything.
//!
//! It forks and detaches, which Windows cannot do: there it says so and
//! exits with 0.

#[cfg(unix)]
mod unix;

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(not(unix))]
fn main() {
    println!("the daemon example forks and detaches, as Unix daemons do: it runs on Unix only");
}
