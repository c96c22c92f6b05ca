use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SIGTERM, SIGCHLD])]
fn cleanup() {}

fn main() {}
