use exit_attr::register_exit_fun;

#[register_exit_fun(logfun = None, logfun = log_line)]
fn cleanup() {}

fn log_line(line: &str) {
    eprintln!("{line}");
}

fn main() {}
