//! Two pairs of distinct functions with identical bodies: one pair
//! registered by the attribute, one by the function form, every one for
//! SIGTERM. Prints whether the compiler merged each pair (one address),
//! then `ready`, then reads one line: `return` returns from `main`,
//! anything else waits for a signal. Every exit function prints `ran flush`.

use std::io::BufRead;

use exit_attr::{Signal, register_exit_fun};

#[inline(never)]
fn flush() {
    println!("ran flush");
}

#[exit_attr::register_exit_fun(signals = [SIGTERM])]
fn close_journal() {
    flush();
}

#[exit_attr::register_exit_fun(signals = [SIGTERM])]
fn close_index() {
    flush();
}

fn close_db() {
    flush();
}

fn close_cache() {
    flush();
}

fn same_address(a: fn(), b: fn()) -> bool {
    a as usize == b as usize
}

fn main() {
    // Each by its name: a `fn()` value would carry only its address.
    let registered = register_exit_fun(close_db, &[Signal::SIGTERM])
        .and_then(|()| register_exit_fun(close_cache, &[Signal::SIGTERM]));
    if let Err(e) = registered {
        eprintln!("register error: {e}");
        std::process::exit(64);
    }
    println!(
        "merged: attribute {}, function form {}",
        same_address(close_journal, close_index),
        same_address(close_db, close_cache)
    );
    println!("ready");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if line.trim() != "return" {
        loop {
            std::thread::park();
        }
    }
}
