//! Signal latency, exit-attr's attribute with `logfun = None`: as
//! `latency_exit_attr`, without the log line before the exit function.

#[exit_attr::register_exit_fun(logfun = None)]
fn cleanup() {
    exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
}

fn main() {
    exit_attr_bench::ready_then_wait();
}
