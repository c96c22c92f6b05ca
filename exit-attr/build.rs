//! It exists because cargo's `links` key, which keeps two
//! semver-incompatible copies of exit-attr out of one build, requires a build
//! script. It also tells the crate when it is built for ThreadSanitizer
//! (`-Zsanitizer=thread`): see `src/tsan.rs`.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(exit_attr_tsan)");
    // Cargo sets CARGO_CFG_SANITIZE from `rustc --print cfg` with the build's
    // flags: "thread" (among others, comma-separated) under ThreadSanitizer.
    let sanitizers = std::env::var("CARGO_CFG_SANITIZE").unwrap_or_default();
    if sanitizers.split(',').any(|s| s == "thread") {
        println!("cargo::rustc-cfg=exit_attr_tsan");
    }
}
