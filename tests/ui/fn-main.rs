// `main` would run again at exit.
#[exit_attr::register_exit_fun]
fn main() {}
