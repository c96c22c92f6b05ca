//! Signal latency, exit-attr's function form: `register_exit_fun` with
//! SIGTERM. When SIGTERM arrives, exit-attr logs its line to stderr (the
//! harness discards it) and runs `cleanup` on its dispatcher thread.

use exit_attr::Signal;

fn cleanup() {
    exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
}

fn main() {
    exit_attr::register_exit_fun(cleanup, &[Signal::SIGTERM]).expect("register the exit function");
    exit_attr_bench::ready_then_wait();
}
