use exit_attr::register_exit_fun;

#[register_exit_fun(logfun = log::line)]
fn cleanup() {}

mod log {
    pub fn line(line: String) {
        eprintln!("{line}");
    }
}

fn main() {}
