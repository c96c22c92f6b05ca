//! One runtime per process: cargo refuses a build that would hold two
//! semver-incompatible copies of exit-attr (two dispatchers and two `atexit`
//! bridges would each run their own functions and race to end the process).
//!
//! The test writes a project that depends on this exit-attr and on a copy of
//! it released as 0.2.0, and asks cargo to resolve it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::output_within;

/// How long resolving may take before the test fails: a bound against a
/// hang, far above what it needs.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(300);

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of exit-attr at `version`, with the workspace's inherited fields
/// written out (the copy is outside the workspace).
fn copy_of_exit_attr(to: &Path, version: &str) {
    let from = workspace().join("exit-attr");
    std::fs::create_dir_all(to.join("src")).unwrap();
    std::fs::copy(from.join("build.rs"), to.join("build.rs")).unwrap();
    std::fs::write(to.join("src/lib.rs"), "").unwrap();
    let manifest = std::fs::read_to_string(from.join("Cargo.toml")).unwrap();
    let macros = workspace().join("exit-attr-macros");
    let signals = workspace().join("exit-attr-signals");
    let manifest = manifest
        .replace("rust-version.workspace = true", "")
        .replace(
            "version.workspace = true",
            &format!("version = \"{version}\""),
        )
        .replace("edition.workspace = true", "edition = \"2024\"")
        .replace("license.workspace = true", "")
        .replace("repository.workspace = true", "")
        .replace(
            "path = \"../exit-attr-macros\"",
            &format!("path = {:?}", macros.display().to_string()),
        )
        .replace(
            "path = \"../exit-attr-signals\"",
            &format!("path = {:?}", signals.display().to_string()),
        )
        .replace("[lints]\nworkspace = true", "");
    std::fs::write(to.join("Cargo.toml"), manifest).unwrap();
}

/// Resolves a project whose dependencies are `dependencies` (lines of
/// TOML), next to a copy of exit-attr 0.2.0, and returns cargo's stderr if
/// it refused.
fn resolve(dependencies: &str) -> Result<(), String> {
    let project = std::env::temp_dir().join(format!(
        "exit-attr-one-runtime-{}-{}",
        std::process::id(),
        dependencies.len()
    ));
    let _ = std::fs::remove_dir_all(&project);
    copy_of_exit_attr(&project.join("exit-attr-0.2"), "0.2.0");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"two-runtimes\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\n{dependencies}\n[workspace]\n"
        ),
    )
    .unwrap();
    // Resolution alone decides; --offline keeps it to the packages that the
    // workspace's own build already fetched.
    let output = output_within(
        Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--offline"])
            .current_dir(&project),
        RESOLVE_TIMEOUT,
    );
    let _ = std::fs::remove_dir_all(&project);
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn this_exit_attr() -> String {
    format!(
        "old = {{ package = \"exit-attr\", path = {:?} }}\n",
        workspace().join("exit-attr").display().to_string()
    )
}

const COPY: &str = "new = { package = \"exit-attr\", path = \"exit-attr-0.2\" }\n";

#[test]
fn two_incompatible_copies_in_one_build_are_refused() {
    let error = resolve(&(this_exit_attr() + COPY)).expect_err("cargo accepted two runtimes");
    assert!(
        error.contains("links to the native library `exit_attr`"),
        "refused for another reason: {error}"
    );
}

#[test]
fn either_copy_alone_resolves() {
    resolve(&this_exit_attr()).unwrap();
    resolve(COPY).unwrap();
}
