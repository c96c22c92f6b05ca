use exit_attr::register_exit_fun;

#[register_exit_fun]
fn cleanup() -> std::io::Result<()> {
    std::fs::remove_file("/tmp/example.pid")
}

fn main() {}
