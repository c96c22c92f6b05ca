use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SHUTDOWN_NOW])]
fn cleanup() {}

fn main() {}
