// A misspelt name is corrected to the closest known name, even one that a
// registration refuses: the next build then says why it is refused.
#[exit_attr::register_exit_fun(signals = [SIGKIL])]
fn cleanup() {}

fn main() {}
