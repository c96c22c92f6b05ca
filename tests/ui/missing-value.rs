use exit_attr::register_exit_fun;

#[register_exit_fun(signals =)]
fn cleanup() {}

fn main() {}
