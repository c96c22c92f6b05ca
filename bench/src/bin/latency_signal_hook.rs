//! Signal latency, signal-hook: a thread iterating over `Signals`.

use signal_hook::consts::SIGTERM;
use signal_hook::iterator::Signals;

fn main() {
    let mut signals = Signals::new([SIGTERM]).expect("register SIGTERM");
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
            std::process::exit(0);
        }
    });
    exit_attr_bench::ready_then_wait();
}
