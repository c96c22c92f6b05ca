//! Registers `cleanup` (prints `ran cleanup`) for SIGABRT and SIGTERM with
//! the function form, prints `ready`, reads one line from standard input and
//! then panics. Built with `panic = "abort"`, the panic calls `abort()`.

use std::io::BufRead;

use exit_attr::{Signal, register_exit_fun};

fn cleanup() {
    println!("ran cleanup");
}

fn main() {
    if let Err(e) = register_exit_fun(cleanup, &[Signal::SIGABRT, Signal::SIGTERM]) {
        eprintln!("register error: {e}");
        std::process::exit(64);
    }
    println!("ready");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    panic!("panic under panic=abort");
}
