//! Start-up baseline: the same trivial program as `startup_with`, without
//! exit-attr.

fn main() {
    exit_attr_bench::report_if_asked();
    exit_attr_bench::end_of_main();
}
