//! Tidy tests: the code base checked as text, as rust-analyzer's `xtask` checks its own. They
//! read `xtask/src/` and fail on what review would otherwise have to catch: an import against the
//! layer order of ARCHITECTURE.md, a cycle of modules, a file or function grown past its size.
//!
//! Every file and function keeps to its size; none is excepted but the bench's tree generator,
//! whose functions write SQL text.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's top-level modules from the ground up: a module may import from its own layer and
/// the layers below, never from a layer above. ARCHITECTURE.md ("Layers") states the same order.
const LAYERS: &[&[&str]] = &[
    &["dialect", "input"],
    &["codes"],
    &["diagnostic"],
    &["source"],
    &["sql"],
    &["schema"],
    &["config"],
    &["git"],
    &["store", "allowlist"],
    &["history"],
    &["rules", "engine"],
    &["data"],
    &["replay", "accept"],
    &["judge"],
    &["validate"],
    &["render", "release", "bench", "scaffold"],
    &["cli"],
];

/// The most lines a source file may have outside its tests.
const MAX_FILE_LINES: usize = 600;

/// The most lines a function may have outside tests. The bench's tree generator is exempt: it
/// writes SQL text, line after line.
const MAX_FUNCTION_LINES: usize = 80;

fn source_dir() -> PathBuf {
    support::project_root().join("xtask/src")
}

/// Every file under `dir` with the extension `extension`, with its text, sorted by path.
fn files_under(dir: &Path, extension: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a folder") {
            let path = entry.expect("read a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                let text = std::fs::read_to_string(&path).expect("read a file");
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

/// Every `.rs` file under `xtask/src`, by its path relative to it, with its code outside tests:
/// without its `#[cfg(test)]` module, and empty for a `tests.rs` file (a test module of its own).
/// Tests may import whatever they test, and be as long as their cases.
fn sources() -> Vec<(String, String)> {
    let root = source_dir();
    files_under(&root, "rs")
        .into_iter()
        .map(|(path, text)| {
            let code = if path.file_name().is_some_and(|name| name == "tests.rs") {
                String::new()
            } else {
                without_tests(&text).to_string()
            };
            let relative = path.strip_prefix(&root).expect("under the source folder");
            (relative.to_string_lossy().into_owned(), code)
        })
        .collect()
}

/// The top-level module a source file or module path belongs to; `None` for `main.rs` and
/// `lib.rs`, the roots of the binary and the library.
fn module_of(path: &str) -> Option<String> {
    let first = path.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "main" && name != "lib").then(|| name.to_string())
}

/// The text of a file without its `#[cfg(test)]` module: tests may import whatever they test.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

/// The top-level modules each top-level module imports, from the imports between modules.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in module_imports() {
        let Some(from) = module_of(&from) else {
            continue;
        };
        for to in targets.iter().filter_map(|to| module_of(to)) {
            if to != from {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS"))
}

#[test]
fn every_module_has_a_layer() {
    for (path, _) in sources() {
        if let Some(module) = module_of(&path) {
            layer_of(&module);
        }
    }
}

#[test]
fn imports_follow_the_layers_and_form_no_cycle() {
    let graph = imports();
    let mut broken = BTreeSet::new();
    for (from, targets) in &graph {
        for to in targets {
            let upward = layer_of(to) > layer_of(from);
            let cycle = layer_of(to) == layer_of(from)
                && graph.get(to).is_some_and(|back| back.contains(from));
            if upward || cycle {
                broken.insert(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layer order (see LAYERS and ARCHITECTURE.md): {broken:?}"
    );
}

#[test]
fn the_layers_are_stated_in_architecture_md() {
    let architecture = std::fs::read_to_string(support::project_root().join("ARCHITECTURE.md"))
        .expect("read ARCHITECTURE.md");
    let stated: Vec<String> = LAYERS.iter().map(|layer| layer.join(", ")).collect();
    let line = stated.join(" → ");
    assert!(
        architecture.contains(&line),
        "ARCHITECTURE.md should state the layers as\n{line}"
    );
}

#[test]
fn source_files_stay_short() {
    let mut long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, code)| code.lines().count() > MAX_FILE_LINES)
        .map(|(path, _)| path)
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "over {MAX_FILE_LINES} lines without tests: split them: {long:?}"
    );
}

/// The functions of a file (outside its tests) longer than `MAX_FUNCTION_LINES`, by name. A
/// function ends at the first line that is its opening line's indentation followed by `}`, as
/// rustfmt writes it.
fn long_functions(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let mut words = line.split_whitespace().peekable();
        while words
            .peek()
            .is_some_and(|w| w.starts_with("pub") || ["const", "unsafe", "async"].contains(w))
        {
            words.next();
        }
        if words.next() != Some("fn") || line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = words
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let closing = format!("{indent}}}");
        if let Some(end) = lines[start + 1..].iter().position(|l| *l == closing) {
            if end + 2 > MAX_FUNCTION_LINES {
                long.push(name);
            }
        }
    }
    long
}

#[test]
fn functions_stay_short() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        if path.starts_with("bench/generate/") {
            continue;
        }
        long.extend(
            long_functions(&text)
                .into_iter()
                .map(|name| format!("{path}::{name}")),
        );
    }
    assert!(
        long.is_empty(),
        "over {MAX_FUNCTION_LINES} lines: split them: {long:?}"
    );
}

/// A source file's module path: `engine/postgres/fetch.rs` is `engine/postgres/fetch`, and
/// `engine/postgres/mod.rs` is `engine/postgres`.
fn module_path(path: &str) -> String {
    let path = path.strip_suffix(".rs").unwrap_or(path);
    path.strip_suffix("/mod").unwrap_or(path).to_string()
}

/// The module a path in the code (`crate::a::b::Item`, `super::x::Item`) names, as the longest
/// prefix of it that is a module of the crate.
fn resolve(from: &str, path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut parts = path.split("::");
    let mut base: Vec<&str> = match parts.next()? {
        "crate" => Vec::new(),
        "super" => {
            // `super` of `a/b.rs` and of `a/b/mod.rs` (both module `a/b`) is `a`.
            let mut base: Vec<&str> = from.split('/').collect();
            base.pop();
            base
        }
        _ => return None,
    };
    let mut found = None;
    for part in parts {
        if part == "super" {
            base.pop();
            continue;
        }
        base.push(part);
        let candidate = base.join("/");
        if modules.contains(&candidate) {
            found = Some(candidate);
        } else {
            break;
        }
    }
    found
}

/// Every module's imports of other modules that are neither its ancestors nor its descendants.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let sources = sources();
    let modules: BTreeSet<String> = sources.iter().map(|(path, _)| module_path(path)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &sources {
        let from = module_path(path);
        let code: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect();
        let code = code.join("\n");
        let mut paths: Vec<String> = Vec::new();
        for start in ["crate::", "super::"] {
            for (at, _) in code.match_indices(start) {
                let path: String = code[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push(path.clone());
                // `use super::{a, b::c}` names several paths after one prefix.
                if code[at + path.len()..].starts_with('{') {
                    let group = code[at + path.len() + 1..].split('}').next().unwrap_or("");
                    for part in group.split(',') {
                        paths.push(format!("{path}{}", part.trim()));
                    }
                }
            }
        }
        for path in paths {
            let Some(to) = resolve(&from, &path, &modules) else {
                continue;
            };
            let related = to == from
                || to.starts_with(&format!("{from}/"))
                || from.starts_with(&format!("{to}/"));
            if !related {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = module_imports();
    let mut cycles = BTreeSet::new();
    for (from, targets) in &graph {
        for to in targets {
            if graph.get(to).is_some_and(|back| back.contains(from)) {
                let (a, b) = if from < to { (from, to) } else { (to, from) };
                cycles.insert(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other: {cycles:?}"
    );
}

/// Codes no case file can show, with the test file that shows each. A run that outlives its
/// time limit (`--timeout`) reports what it got through by the deadline, which depends on the
/// machine's speed: its output cannot be a snapshot, so its test asserts the codes alone. Two
/// PostgreSQL majors differ only on a machine with a second major, found in a folder of its own
/// (`PG_BIN_17`), with versions that change with the machine's packages: their test finds it, and
/// fails in CI where it is missing.
const CASED_ELSEWHERE: &[(&str, &str)] = &[
    ("run-timeout", "tests/untrusted.rs"),
    ("postgres-majors-differ", "tests/postgres_versions.rs"),
];

/// The codes of the `codes!` table, as (variant, name).
fn codes() -> Vec<(String, String)> {
    let table = std::fs::read_to_string(source_dir().join("codes.rs")).expect("read codes.rs");
    table
        .lines()
        .filter_map(|line| {
            let (variant, rest) = line.trim().split_once(" = \"")?;
            let (name, _) = rest.split_once('"')?;
            let plain = variant.chars().all(|c| c.is_ascii_alphanumeric());
            (plain && !variant.is_empty()).then(|| (variant.to_string(), name.to_string()))
        })
        .collect()
}

#[test]
fn every_code_is_emitted_explained_and_shown_by_a_test() {
    let codes = codes();
    assert!(codes.len() > 50, "the codes table was not read: {codes:?}");
    let root = support::project_root();
    let code_base: String = sources()
        .into_iter()
        .filter(|(path, _)| path != "codes.rs")
        .map(|(_, text)| text)
        .collect();
    let cases: String = files_under(&root.join("tests/cases"), "txt")
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let mut problems = Vec::new();
    for (variant, name) in &codes {
        if !code_base.contains(&format!("Code::{variant}")) {
            problems.push(format!(
                "{name}: never emitted (no Code::{variant} outside codes.rs)"
            ));
        }
        if !source_dir().join(format!("explain/{name}.md")).is_file() {
            problems.push(format!("{name}: no xtask/src/explain/{name}.md"));
        }
        let cased = cases.contains(&format!("-- expect: {name} "))
            || cases.contains(&format!("-- expect: {name}\n"));
        match CASED_ELSEWHERE.iter().find(|(code, _)| code == name) {
            Some((_, test)) if cased => {
                problems.push(format!("{name}: has a case now; remove it from CASED_ELSEWHERE ({test})"));
            }
            Some((_, test)) => {
                let text = std::fs::read_to_string(root.join(test)).expect("read a test file");
                if !text.contains(name.as_str()) {
                    problems.push(format!("{name}: {test} does not mention it"));
                }
            }
            None if !cased => problems.push(format!(
                "{name}: no case in tests/cases (`-- expect: {name} ...`) and no test named in CASED_ELSEWHERE"
            )),
            None => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
