//! Start-up peer: the trivial program with `ctrlc::set_handler` (feature
//! `termination`, so SIGTERM is handled too, as by `startup_with`). ctrlc
//! starts its handler thread in `set_handler`; nothing of it runs at a
//! normal exit.

fn main() {
    ctrlc::set_handler(|| std::process::exit(0)).expect("set the ctrlc handler");
    exit_attr_bench::trivial_main();
}
