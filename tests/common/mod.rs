//! The harness that spawns the fixture program and drives it with real
//! signals. Every wait is bounded by [`TIMEOUT`]: a hang fails the test.
//!
//! Four parts: the scenarios many tests share (`scenarios.rs`), how a
//! fixture ended and the assertions on it (`outcome.rs`), the driver of a
//! running fixture (`fixture.rs`), and processes and cargo (`process.rs`).

// Each test file uses part of the harness, and `pub` only reaches the files
// that include it.
#![allow(dead_code, unreachable_pub, unused_imports)]

mod fixture;
mod outcome;
mod process;
mod scenarios;

pub use fixture::Fixture;
pub use outcome::{Outcome, log_line, signal_name};
pub use process::{
    BUILD_TIMEOUT, TIMEOUT, build_fixture_cdylib, build_fixture_package, fixture_target_dir,
    output_within, send_signal,
};
pub use scenarios::{REVERSED, THREE};
