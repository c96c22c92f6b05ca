// Built for Windows by `.ci/windows`, which expects exactly the error of
// `unix-signal.stderr`: one, on the Unix-only signal's token.
#[exit_attr::register_exit_fun(signals = [SIGTERM, SIGUSR1])]
fn cleanup() {}

fn main() {}
