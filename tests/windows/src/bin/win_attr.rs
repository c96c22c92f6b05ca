//! The attribute on Windows, in a crate with the strictest lints a user
//! might set (`forbid(unsafe_code)` among them): each exit function prints
//! `ran NAME`. It reads standard input until it ends, then returns; the
//! test ends it that way or with Ctrl-C, which it sends from outside.

#![forbid(unsafe_code)]
#![deny(warnings, rust_2018_idioms, unused_qualifications)]

use std::io::BufRead;

use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SIGINT, SIGTERM])]
fn on_ctrl_c_and_at_exit() {
    println!("ran on_ctrl_c_and_at_exit");
}

#[register_exit_fun]
fn default_signal() {
    println!("ran default_signal");
}

#[register_exit_fun(signals = [SIGHUP, SIGQUIT], logfun = log_line)]
fn with_logfun() {
    println!("ran with_logfun");
}

#[register_exit_fun(signals = [])]
fn no_signal() {
    println!("ran no_signal");
}

fn log_line(line: &str) {
    println!("log: {line}");
}

fn main() {
    println!("ready");
    for _ in std::io::stdin().lock().lines() {}
}
