//! Tells the integration tests which target they are built for, so that the
//! fixture packages they build themselves (`tests/common`'s
//! `build_fixture_package`) are built for it too, under `--target` as well
//! as natively.

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo::rustc-env=FIXTURE_TARGET={target}");
    println!("cargo::rerun-if-changed=build.rs");
}
