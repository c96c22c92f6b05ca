//! Does nothing. It exists because cargo's `links` key, which keeps two
//! semver-incompatible copies of exit-attr out of one build, requires a build
//! script.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
