use exit_attr::register_exit_fun;

#[register_exit_fun]
extern "C" fn cleanup() {}

fn main() {}
