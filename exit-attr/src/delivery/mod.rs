//! How the end of the process reaches the exit functions, per platform: what
//! delivers the events that the registrations list (POSIX signals on Unix,
//! console control events on Windows) and what bridges the normal exit.
//!
//! One module per platform family, chosen here and nowhere else. Each gives
//! `wiring.rs` the same four steps of a registration; everything they run
//! (the exit state machine, the registry, the run, the log line) is shared:
//!
//! - [`prepare_process`], at every registration (cheap after the first):
//!   what the process needs once, such as the normal-exit bridge;
//! - [`prepare_exit_path`], after the entry is recorded: what runs the
//!   functions at the end (on Unix, the dispatcher thread);
//! - [`hook`], for each signal a registration lists;
//! - [`give_back`], for each signal no registration lists any more.
//!
//! Each runs with the registry lock held.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{give_back, hook, prepare_exit_path, prepare_process};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{give_back, hook, prepare_exit_path, prepare_process};
