//! The small forms of the attribute, written the ways the argument parser
//! must accept: empty parentheses, trailing commas, either order.

use exit_attr::register_exit_fun;

#[register_exit_fun]
fn bare() {}

#[register_exit_fun()]
fn empty_parentheses() {}

#[register_exit_fun(signals = [SIGTERM, SIGINT,],)]
fn trailing_commas() {}

#[register_exit_fun(logfun = None, signals = [])]
fn either_order() {}

#[register_exit_fun(signals = [SIGHUP], logfun = self::log::line)]
fn logfun_path() {}

mod log {
    pub fn line(line: &str) {
        eprintln!("{line}");
    }
}

fn main() {
    bare();
    empty_parentheses();
    trailing_commas();
    either_order();
    logfun_path();
}
