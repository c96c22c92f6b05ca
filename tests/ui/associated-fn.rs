// An attribute cannot see that it is in an `impl`: the one error names the
// function, which its registration cannot refer to from there.
use exit_attr::register_exit_fun;

struct Pidfile;

impl Pidfile {
    #[register_exit_fun]
    fn cleanup() {}
}

fn main() {
    Pidfile::cleanup();
}
