use exit_attr::register_exit_fun;

struct Pidfile;

impl Pidfile {
    #[register_exit_fun]
    fn remove(&self) {}
}

fn main() {
    Pidfile.remove();
}
