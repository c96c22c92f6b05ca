use exit_attr::register_exit_fun;

#[register_exit_fun(signals = [SIGTERM, SIGKILL], on_exit = true)]
fn cleanup(path: &str) {
    let _ = std::fs::remove_file(path);
}

fn main() {}
