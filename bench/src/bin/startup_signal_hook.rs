//! Start-up peer: the trivial program with signal-hook's
//! `Signals::new([SIGTERM])` iterated on a spawned std thread, the usual way
//! to handle a termination signal with signal-hook.

use signal_hook::consts::SIGTERM;
use signal_hook::iterator::Signals;

fn main() {
    let mut signals = Signals::new([SIGTERM]).expect("register SIGTERM");
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            std::process::exit(0);
        }
    });
    exit_attr_bench::trivial_main();
}
