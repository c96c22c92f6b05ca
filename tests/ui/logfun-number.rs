use exit_attr::register_exit_fun;

#[register_exit_fun(logfun = 42)]
fn cleanup() {}

fn main() {}
