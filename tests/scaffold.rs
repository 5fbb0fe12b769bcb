//! `cargo xtask new-lint NAME` on a copy of the source tree: the files it writes, the edits it
//! makes (lines inserted where the rule is registered, nothing else changed), and its refusals,
//! which leave the tree as it was. The copy is not built (that takes minutes); the edits are
//! checked line by line instead.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{copy_tree, project_root, stdout, xtask};

const NAME: &str = "add-foreign-key-unvalidated";
const SUMMARY: &str = "a foreign key added to an existing table locks and scans it";

/// A repository with what the scaffolder reads and writes: `xtask/src`, `README.md` and
/// `tests/cases/lint`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = project_root();
    copy_tree(&root.join("xtask/src"), &dir.path().join("xtask/src"));
    copy_tree(
        &root.join("tests/cases/lint"),
        &dir.path().join("tests/cases/lint"),
    );
    std::fs::copy(root.join("README.md"), dir.path().join("README.md")).expect("copy README");
    dir
}

/// Every file under `dir` with its text, by relative path.
fn contents(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("readable entry"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(dir).expect("below dir");
            let text = std::fs::read_to_string(entry.path()).expect("text file");
            (relative.to_string_lossy().into_owned(), text)
        })
        .collect()
}

fn new_lint(dir: &Path, name: &str) -> std::process::Output {
    let root = dir.to_str().expect("UTF-8 temporary path");
    xtask(&["new-lint", name, "--summary", SUMMARY, "--root", root])
}

/// The lines of `after` that are not in `before`, asserting that `after` is `before` with lines
/// inserted.
fn inserted(before: &str, after: &str) -> Vec<String> {
    let mut old = before.lines().peekable();
    let mut new = Vec::new();
    for line in after.lines() {
        if old.peek() == Some(&line) {
            old.next();
        } else {
            new.push(line.to_string());
        }
    }
    assert_eq!(old.next(), None, "a line was removed or changed");
    new
}

#[test]
fn new_lint_writes_the_rule_and_registers_it() {
    let dir = repository();
    let before = contents(dir.path());
    let output = new_lint(dir.path(), NAME);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let after = contents(dir.path());

    let rule = &after["xtask/src/rules/lint/add_foreign_key_unvalidated.rs"];
    assert!(
        rule.starts_with("//! `add-foreign-key-unvalidated`: "),
        "{rule}"
    );
    assert!(rule.contains("pub(super) const RULE: Rule = Rule {\n    code: Code::AddForeignKeyUnvalidated,\n    check: Check::Statement(check),\n};"), "{rule}");
    assert!(
        rule.contains("fn check(cx: &Context, out: &mut Vec<Finding>) {"),
        "{rule}"
    );
    assert!(
        rule.contains("#[test]\n    fn reports_the_statement_of_its_case() {"),
        "{rule}"
    );
    let explain = &after["xtask/src/explain/add-foreign-key-unvalidated.md"];
    assert!(
        explain.starts_with("# add-foreign-key-unvalidated\n"),
        "{explain}"
    );
    let case = &after["tests/cases/lint/add-foreign-key-unvalidated.txt"];
    assert!(
        case.contains("\n-- expect: add-foreign-key-unvalidated store/"),
        "{case}"
    );

    // The other files changed by one inserted line each, where the rule is registered.
    let changed: Vec<&String> = after
        .keys()
        .filter(|path| before.get(*path).is_some_and(|text| *text != after[*path]))
        .collect();
    assert_eq!(
        changed,
        [
            "README.md",
            "xtask/src/codes.rs",
            "xtask/src/rules/lint/mod.rs",
            "xtask/src/snapshots/xtask__codes__tests__code_list_is_stable.snap",
        ]
    );
    assert_eq!(after.len(), before.len() + 3);
    let lines = |path: &str| inserted(&before[path], &after[path]);
    assert_eq!(
        lines("xtask/src/codes.rs"),
        [format!(
            "    AddForeignKeyUnvalidated = \"{NAME}\", Warning, \"lint\", \"{SUMMARY}\";"
        )]
    );
    assert_eq!(
        lines("xtask/src/snapshots/xtask__codes__tests__code_list_is_stable.snap"),
        [format!("lint warning {NAME}: {SUMMARY}")]
    );
    assert_eq!(
        lines("README.md"),
        [format!("| `{NAME}` | warning | {SUMMARY} |")]
    );
    assert_eq!(
        lines("xtask/src/rules/lint/mod.rs"),
        [
            "mod add_foreign_key_unvalidated;",
            "    add_foreign_key_unvalidated::RULE,"
        ]
    );
    // The module is declared in order among the rules' modules (the first block of `mod`
    // lines), and the rule inside the list of rules.
    let module = &after["xtask/src/rules/lint/mod.rs"];
    let declared: Vec<&str> = module
        .lines()
        .map(|line| line.trim_start_matches("pub(crate) ").strip_prefix("mod "))
        .skip_while(Option::is_none)
        .map_while(|name| name)
        .collect();
    assert!(
        declared.contains(&"add_foreign_key_unvalidated;"),
        "{declared:?}"
    );
    let mut sorted = declared.clone();
    sorted.sort_unstable();
    assert_eq!(declared, sorted);
    let rules = module
        .split_once("const RULES: &[Rule] = &[")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("the list of rules");
    assert!(
        rules.contains("add_foreign_key_unvalidated::RULE,"),
        "{rules}"
    );
    // The codes table's line is one the table reads: the code list snapshot and the README row
    // come from it.
    assert!(after["xtask/src/codes.rs"]
        .contains(&format!("AddForeignKeyUnvalidated = \"{NAME}\", Warning, \"lint\", \"{SUMMARY}\";\n    SilenceWithoutReason = ")));

    let said = stdout(&output);
    for path in changed.iter().copied().chain([
        &"xtask/src/rules/lint/add_foreign_key_unvalidated.rs".to_string(),
        &"tests/cases/lint/add-foreign-key-unvalidated.txt".to_string(),
    ]) {
        assert!(said.contains(&format!("wrote {path}\n")), "{said}");
    }
}

#[test]
fn new_lint_refuses_a_name_that_exists_or_is_not_kebab_case_and_writes_nothing() {
    let dir = repository();
    let before = contents(dir.path());
    for (name, said) in [
        ("drop-table", "a rule named drop-table exists already"),
        ("Drop_Table", "is not kebab-case"),
        ("drop--table", "is not kebab-case"),
        ("9-lives", "is not kebab-case"),
        ("type", "is a Rust keyword"),
    ] {
        let output = new_lint(dir.path(), name);
        assert_eq!(output.status.code(), Some(2), "{name}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{name}: {stderr}");
        assert!(contents(dir.path()) == before, "{name} changed the tree");
    }
    // A code that exists under another rule's file name is refused by the codes table.
    std::fs::remove_file(dir.path().join("xtask/src/rules/lint/truncate.rs")).expect("remove");
    std::fs::remove_file(dir.path().join("xtask/src/explain/truncate.md")).expect("remove");
    std::fs::remove_file(dir.path().join("tests/cases/lint/truncate.txt")).expect("remove");
    let before = contents(dir.path());
    let output = new_lint(dir.path(), "truncate");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the code truncate exists already"),
        "{stderr}"
    );
    assert!(
        contents(dir.path()) == before,
        "the refusal changed the tree"
    );
}

#[test]
fn new_lint_wraps_the_comments_of_a_long_name_at_100_columns() {
    let dir = repository();
    let name = "add-foreign-key-without-an-index-on-the-referencing-columns";
    let output = new_lint(dir.path(), name);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let after = contents(dir.path());
    let module = name.replace('-', "_");
    let rule = &after[&format!("xtask/src/rules/lint/{module}.rs")];
    let case = &after[&format!("tests/cases/lint/{name}.txt")];
    let comment = |line: &&str| {
        let body = line.trim_start();
        body.starts_with("//") || body.starts_with("# ")
    };
    for (path, text) in [("rule", rule), ("case", case)] {
        for line in text.lines().filter(comment) {
            assert!(line.chars().count() <= 100, "{path}: {line:?}");
        }
    }
    // Wrapped, not cut: the comments say what they said, the name included.
    let words = |text: &str| -> Vec<String> {
        text.lines()
            .filter(comment)
            .flat_map(|line| line.split_whitespace().skip(1).map(String::from))
            .collect::<Vec<_>>()
    };
    let rule_words = words(rule);
    assert_eq!(rule_words[0], format!("`{name}`:"));
    assert!(rule_words.join(" ").contains(
        "what the rule finds, and what it breaks on an installation that upgrades (say it \
         here, as the other rules' files do)."
    ));
    assert!(
        case.starts_with(&format!("# What {name} finds, in one sentence:")),
        "{case}"
    );
    assert!(case.contains("\n-- base: minimal\n"), "{case}");
}
