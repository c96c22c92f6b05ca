//! Signal latency, ctrlc (feature `termination`, which adds SIGTERM): its
//! handler thread calls the closure.

fn main() {
    ctrlc::set_handler(|| {
        exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
        std::process::exit(0);
    })
    .expect("set the ctrlc handler");
    exit_attr_bench::ready_then_wait();
}
