//! The runtime's modules are layered as `exit-attr/src/lib.rs` lists them:
//! each imports only from the modules listed before it (and from itself),
//! but `signal` and `error`, two values that name each other. This test
//! keeps that sentence true: it reads the `mod` declarations of `lib.rs`
//! in order, then every path through `crate::` in each module's files.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The one import against the order that lib.rs documents.
const ALLOWED_UPWARD: &[(&str, &str)] = &[("error", "signal")];

fn runtime_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("exit-attr/src")
}

/// The modules `lib.rs` declares, in the order it declares them.
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.strip_suffix(';')?.to_owned())
        })
        .collect()
}

/// The names lib.rs re-exports from its modules (`pub use
/// crate::error::Error;`), each with the module that defines it.
fn reexports(lib: &str) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for line in lib.lines() {
        let Some(path) = line.trim().strip_prefix("pub use crate::") else {
            continue;
        };
        let module = ident_at(path);
        let items = path[module.len()..].trim_start_matches("::");
        let items = items.trim_end_matches(';');
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.trim().rsplit("::").next().unwrap_or("").to_owned();
            if !name.is_empty() {
                names.push((name, module.clone()));
            }
        }
    }
    assert!(
        !names.is_empty(),
        "lib.rs re-exports nothing from its modules"
    );
    names
}

/// The files of module `name`: `name.rs`, or everything under `name/`.
fn module_files(src: &Path, name: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        return vec![file];
    }
    let mut files = Vec::new();
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("module {name}: cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "module {name} has no files");
    files
}

/// The code of a Rust file without its comments (doc comments included:
/// an intra-doc link is not an import).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named through `crate::` in `code`: both
/// `crate::wake::…` and each name of a group `crate::{log, run::…}`.
/// `$crate::` (the macro crate's paths into the runtime's API) is skipped.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        let preceded_by = before.chars().next_back();
        if preceded_by.is_some_and(|c| c == '$' || c == '_' || c.is_alphanumeric()) {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            named.extend(group_heads(group));
        } else {
            named.insert(ident_at(rest));
        }
    }
    named.remove("");
    named
}

/// The first name of each item of a `{…}` group, up to its closing brace.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 0 => {
                heads.push(ident_at(&group[i..]));
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident_at(text: &str) -> String {
    text.chars()
        .take_while(|c| *c == '_' || c.is_alphanumeric())
        .collect()
}

#[test]
fn each_runtime_module_imports_only_from_those_listed_before_it() {
    let src = runtime_src();
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let order = declared_modules(&lib);
    let reexports = reexports(&lib);
    assert!(
        order.len() >= 10,
        "lib.rs declares fewer modules than expected: {order:?}"
    );

    let mut violations = Vec::new();
    for (position, module) in order.iter().enumerate() {
        let below = &order[..position];
        for file in module_files(&src, module) {
            let code = without_comments(&fs::read_to_string(&file).expect("a source file"));
            for named in crate_paths(&code) {
                // `crate::Error` is `crate::error::Error`: look through
                // the re-exports of lib.rs to the module that defines it.
                let named = reexports
                    .iter()
                    .find(|(name, _)| *name == named)
                    .map_or(named, |(_, defined_in)| defined_in.clone());
                let allowed = named == *module
                    || below.contains(&named)
                    || ALLOWED_UPWARD.contains(&(module.as_str(), named.as_str()));
                if order.contains(&named) && !allowed {
                    violations.push(format!(
                        "{} (module `{module}`) imports `crate::{named}`, listed after it",
                        file.strip_prefix(&src).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layer order of lib.rs:\n{}",
        violations.join("\n")
    );
}

/// The reader above must see the imports it checks: a module known to
/// import from below is found doing so.
#[test]
fn the_reader_finds_plain_and_grouped_paths() {
    let code = "use crate::{log, run::{self, x}, sys::unix::y};\nlet a = crate::state::f();\nlet b = $crate::Signal;\n// crate::guard\n";
    let found = crate_paths(&without_comments(code));
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["log", "run", "state", "sys"]
    );
}
