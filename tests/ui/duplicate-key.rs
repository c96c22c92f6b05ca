use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SIGTERM], signals = [SIGINT])]
fn cleanup() {}

fn main() {}
