//! Start-up baseline: the trivial program of the start-up comparison (`main`
//! prints a line), with no exit handling at all.

fn main() {
    exit_attr_bench::trivial_main();
}
