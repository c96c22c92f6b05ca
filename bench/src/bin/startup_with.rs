//! Start-up cost of exit-attr: the trivial program with one exit function
//! that hooks SIGTERM, registered by the attribute before `main`. It is
//! otherwise `startup_without`.

#[exit_attr::register_exit_fun]
fn cleanup() {
    std::hint::black_box(());
}

fn main() {
    exit_attr_bench::trivial_main();
}
