use exit_attr::register_exit_fun;

#[register_exit_fun]
struct Cleanup {
    path: String,
}

fn main() {}
