//! What `#[register_exit_fun]` rejects, one file per mistake in `tests/ui/`,
//! each with the exact diagnostics in its `.stderr` (written by rustc 1.95;
//! regenerate with `TRYBUILD=overwrite cargo test --test compile_fail`).
//! `tests/ui-pass/` holds the small forms the argument parser must accept.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
