use exit_attr::register_exit_fun;

#[register_exit_fun]
unsafe fn cleanup() {}

fn main() {}
