use exit_attr::register_exit_fun;

#[register_exit_fun]
async fn cleanup() {}

fn main() {}
