use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SIGTREM])]
fn cleanup() {}

fn main() {}
