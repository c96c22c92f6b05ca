use exit_attr::register_exit_fun;

#[register_exit_fun(signal = [SIGTERM])]
fn cleanup() {}

fn main() {}
