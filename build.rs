//! Tells the integration tests which target they are built for, so that the
//! fixture packages they build themselves (`tests/common`'s
//! `build_fixture_package`) are built for it too, under `--target` as well
//! as natively; and whether they are cross-compiled or run under an
//! emulator, which leaves out the few tests that cannot run there:
//!
//! - `cfg(cross_compiled)`: the target is not this machine's own. The hosts
//!   that load exit-attr as a plugin (`tests/copies.rs`: a C program built
//!   by this machine's `cc`, and its Python) and valgrind
//!   (`tests/valgrind.rs`) are programs of this machine, which cannot load
//!   or instrument another architecture's code.
//! - `cfg(emulated)`: the target's code runs under an emulator (qemu-user
//!   for ARM64 on x86-64), which keeps a thread's signal mask to itself:
//!   the kernel's view of it (`/proc/PID/task/TID/status`), which two tests
//!   of `tests/abort.rs` wait on, is the emulator's.

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    let host = std::env::var("HOST").expect("cargo sets HOST for build scripts");
    println!("cargo::rustc-env=FIXTURE_TARGET={target}");
    println!("cargo::rustc-check-cfg=cfg(cross_compiled, emulated)");
    println!("cargo::rerun-if-changed=build.rs");
    // musl is this machine's own architecture and C library family: its
    // static programs run, and its tests say themselves what they leave out.
    let arch = |triple: &str| triple.split('-').next().unwrap_or("").to_owned();
    let (target_arch, host_arch) = (arch(&target), arch(&host));
    if target_arch != host_arch {
        println!("cargo::rustc-cfg=cross_compiled");
    }
    let runs_natively =
        target_arch == host_arch || (host_arch == "x86_64" && target_arch.starts_with('i'));
    if !runs_natively {
        println!("cargo::rustc-cfg=emulated");
    }
}
