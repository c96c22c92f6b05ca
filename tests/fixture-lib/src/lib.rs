//! A library with an exit function registered by the attribute, under the
//! strictest lints a user might set.

#![forbid(unsafe_code)]
#![deny(warnings, rust_2018_idioms, unused_qualifications)]

/// Runs at exit in any binary that links this library.
#[exit_attr::register_exit_fun(signals = [SIGTERM, SIGINT])]
pub fn lib_cleanup() {
    println!("ran lib_cleanup");
}

/// Something for the binary to call, so that it links this library.
pub fn name() -> &'static str {
    "exit-attr-fixture-lib"
}
