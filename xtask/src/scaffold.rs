//! `cargo xtask new-lint NAME`: the places a new lint rule needs, written at once, so that adding
//! a rule is this command plus the rule's logic in its own file. It writes the rule's file (a
//! registered rule that reports nothing yet, with a test that fails until the rule reports the
//! statement of its case), its explanation and its case, and adds the code to the `codes!` table,
//! the code-list snapshot, the README's table of codes and the lint's `RULES`.
//!
//! It edits the source as text, by the lines it knows (`mod` declarations, `const RULES`, the
//! lint codes before `silence-without-reason`), and refuses before writing anything when one of
//! them is missing or the rule exists, so that a refusal leaves the tree as it was.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context as _};

/// What the new rule is called and said to find.
pub struct Options {
    /// The repository whose `xtask/` receives the rule.
    pub root: PathBuf,
    /// The code, in kebab-case (`drop-table`).
    pub name: String,
    /// The code's one-line summary, as `--explain` and the README list it.
    pub summary: String,
}

/// The lint code the new codes are added before: the silence codes close the lint's group.
const ANCHOR: &str = "silence-without-reason";

/// Words a module cannot be named.
const KEYWORDS: [&str; 38] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract",
];

/// Writes the new rule's files and registers it; returns the files written and changed, relative
/// to the repository.
pub fn new_lint(options: &Options) -> anyhow::Result<Vec<PathBuf>> {
    let name = options.name.as_str();
    check_name(name)?;
    ensure!(
        !options.summary.is_empty()
            && !options
                .summary
                .contains(|c: char| matches!(c, '"' | '\\' | '|') || c.is_control()),
        "the summary {:?} must be one line without `\"`, `\\` or `|`: it goes into codes.rs and a \
         README table",
        options.summary
    );
    let module = name.replace('-', "_");
    let variant: String = name
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    let root = &options.root;
    let new_files = [
        (
            format!("xtask/src/rules/lint/{module}.rs"),
            wrap_comments(&rule_file(name, &module, &variant)),
        ),
        (format!("xtask/src/explain/{name}.md"), explain_file(name)),
        (
            format!("tests/cases/lint/{name}.txt"),
            wrap_comments(&case_file(name)),
        ),
    ];
    for (path, _) in &new_files {
        ensure!(
            !root.join(path).exists(),
            "{path} exists: a rule named {name} exists already; choose another name"
        );
    }
    let edits = [
        edit(root, "xtask/src/codes.rs", |text| {
            add_code(text, name, &variant, &options.summary)
        })?,
        edit(
            root,
            "xtask/src/snapshots/xtask__codes__tests__code_list_is_stable.snap",
            |text| {
                let line = format!("lint warning {name}: {}\n", options.summary);
                insert_before(text, &format!("lint error {ANCHOR}:"), &line)
            },
        )?,
        edit(root, "README.md", |text| {
            let row = format!("| `{name}` | warning | {} |\n", options.summary);
            insert_before(text, &format!("| `{ANCHOR}` |"), &row)
        })?,
        edit(root, "xtask/src/rules/lint/mod.rs", |text| {
            register(text, &module)
        })?,
    ];
    let mut written = Vec::new();
    for (path, text) in new_files.iter().chain(&edits) {
        let full = root.join(path);
        if let Some(folder) = full.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(&full, text).with_context(|| format!("cannot write {}", full.display()))?;
        written.push(PathBuf::from(path));
    }
    Ok(written)
}

/// A code is kebab-case: lower-case words of letters and digits, joined by `-`, the first word
/// starting with a letter, and no word a Rust keyword (the rule's module is named after it).
fn check_name(name: &str) -> anyhow::Result<()> {
    let words: Vec<&str> = name.split('-').collect();
    let kebab = words.iter().all(|word| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) && name.starts_with(|c: char| c.is_ascii_lowercase());
    ensure!(
        kebab,
        "{name:?} is not kebab-case: write the code as lower-case words joined by `-`, such as \
         `drop-table`"
    );
    let module = name.replace('-', "_");
    ensure!(
        !KEYWORDS.contains(&module.as_str()),
        "{name:?} is a Rust keyword, which cannot name the rule's module; choose another name"
    );
    Ok(())
}

/// A file's text changed by `change`, with its path; the file is read here and written later.
fn edit(
    root: &Path,
    path: &str,
    change: impl FnOnce(&str) -> anyhow::Result<String>,
) -> anyhow::Result<(String, String)> {
    let full = root.join(path);
    let text = std::fs::read_to_string(&full)
        .with_context(|| format!("cannot read {}", full.display()))?;
    let changed = change(&text).with_context(|| format!("cannot register the rule in {path}"))?;
    Ok((path.to_string(), changed))
}

/// `text` with `new` inserted before the first line that starts (after indentation) with
/// `anchor`.
fn insert_before(text: &str, anchor: &str, new: &str) -> anyhow::Result<String> {
    let at = line_start(text, |line| line.trim_start().starts_with(anchor))
        .with_context(|| format!("no line starts with `{anchor}`: add the rule there by hand"))?;
    Ok(format!("{}{new}{}", &text[..at], &text[at..]))
}

/// The byte offset of the first line for which `matches` holds.
fn line_start(text: &str, matches: impl Fn(&str) -> bool) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if matches(line) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The `codes!` table with the new code, a warning of the lint, before the silence codes.
fn add_code(text: &str, name: &str, variant: &str, summary: &str) -> anyhow::Result<String> {
    ensure!(
        !text.contains(&format!("= \"{name}\",")),
        "the code {name} exists already; choose another name"
    );
    ensure!(
        !text.contains(&format!("    {variant} = ")),
        "the variant Code::{variant} exists already; choose another name"
    );
    let line = format!("    {variant} = \"{name}\", Warning, \"lint\", \"{summary}\";\n");
    insert_before(text, &format!("SilenceWithoutReason = \"{ANCHOR}\""), &line)
}

/// The lint's `mod.rs` with the rule's module declared (in the sorted list of modules) and its
/// `RULE` at the end of `RULES`.
fn register(text: &str, module: &str) -> anyhow::Result<String> {
    let declared = |line: &str| {
        let line = line.trim_end();
        let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
        line.strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
            .map(str::to_string)
    };
    let first = line_start(text, |line| declared(line).is_some())
        .context("no `mod` declaration of a rule")?;
    let at = line_start(&text[first..], |line| {
        declared(line).is_none_or(|other| other.as_str() > module)
    })
    .map_or(text.len(), |offset| first + offset);
    let text = format!("{}mod {module};\n{}", &text[..at], &text[at..]);
    let rules = text
        .find("const RULES: &[Rule] = &[")
        .context("no `const RULES: &[Rule] = &[`")?;
    let end = line_start(&text[rules..], |line| line.trim_end() == "];")
        .map(|offset| rules + offset)
        .context("no `];` closing RULES")?;
    Ok(format!(
        "{}    {module}::RULE,\n{}",
        &text[..end],
        &text[end..]
    ))
}

/// The widest line of the files written: rustfmt's width, which the rest of the source keeps to.
const WIDTH: usize = 100;

/// The comment markers whose lines `wrap_comments` wraps: Rust's, and the case file's `#`.
const COMMENT_MARKERS: [&str; 4] = ["//! ", "/// ", "// ", "# "];

/// `text` with every comment wider than `WIDTH` wrapped again at spaces: the lines of one
/// comment (the same indentation and marker) are read as one paragraph and filled up to the
/// width. The templates name the rule, and a long name would push their comments past the width
/// (rustfmt does not wrap comments); comments that fit are left as written.
fn wrap_comments(text: &str) -> String {
    let mut wrapped = String::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        let Some(prefix) = comment_prefix(lines[index]) else {
            wrapped.push_str(lines[index]);
            wrapped.push('\n');
            index += 1;
            continue;
        };
        let count = lines[index..]
            .iter()
            .take_while(|line| comment_prefix(line) == Some(prefix))
            .count();
        let comment = &lines[index..index + count];
        index += count;
        if comment.iter().all(|line| line.chars().count() <= WIDTH) {
            for line in comment {
                wrapped.push_str(line);
                wrapped.push('\n');
            }
            continue;
        }
        let words = comment
            .iter()
            .flat_map(|line| line[prefix.len()..].split_whitespace());
        fill(prefix, words, &mut wrapped);
    }
    wrapped
}

/// The indentation and marker of a comment line (`    // `), where it is one.
fn comment_prefix(line: &str) -> Option<&str> {
    let body = line.trim_start();
    let indent = line.len() - body.len();
    COMMENT_MARKERS
        .iter()
        .find(|marker| body.starts_with(**marker))
        .map(|marker| &line[..indent + marker.len()])
}

/// `words` as lines of at most `WIDTH` characters, each starting with `prefix` (a word longer
/// than the width gets a line of its own).
fn fill<'a>(prefix: &str, words: impl Iterator<Item = &'a str>, out: &mut String) {
    let mut line = prefix.to_string();
    for word in words {
        let width = line.chars().count();
        if width > prefix.len() && width + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = prefix.to_string();
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// The rule's file: registered, reporting nothing, with a test that says what to write.
fn rule_file(name: &str, module: &str, variant: &str) -> String {
    format!(
        r#"//! `{name}`: what the rule finds, and what it breaks on an installation that upgrades (say it
//! here, as the other rules' files do).

use super::{{Check, Context, Finding, Rule}};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {{
    code: Code::{variant},
    check: Check::Statement(check),
}};

/// Reports nothing yet: the test below fails until it reports the statement of the rule's case.
fn check(cx: &Context, out: &mut Vec<Finding>) {{
    // Read `cx.ast()` (the statement as sqlparser read it; `cx.alterations_of_older_table()` for
    // an `ALTER TABLE`), or `cx.significant()` (its tokens) where sqlparser cannot read it, and
    // push `cx.finding(Code::{variant}, span, message, help)` for every problem. A rule that needs
    // what earlier migrations did is a `Check::Chain` (see drop_indexed_column.rs).
    let _ = (cx, out);
}}

#[cfg(test)]
mod tests {{
    use super::RULE;
    use crate::dialect::Dialect;
    use crate::rules::lint::lint_rule;

    /// The statement of the rule's case (tests/cases/lint/{name}.txt), which the rule reports.
    const REPORTED: &str = "SELECT 1;";

    #[test]
    fn reports_the_statement_of_its_case() {{
        let found = lint_rule(&RULE, Dialect::Postgres, &[REPORTED]);
        assert!(
            found.starts_with("{name} "),
            "write the check in xtask/src/rules/lint/{module}.rs, and the statement it reports in \
             REPORTED and in tests/cases/lint/{name}.txt; it reports: {{found:?}}"
        );
    }}
}}
"#
    )
}

/// The rule's `--explain` text, in the sections every explanation has.
fn explain_file(name: &str) -> String {
    format!(
        "# {name}\n\n\
         What a migration does that this rule reports, and what it leaves alone.\n\n\
         Severity: warning. Why this severity (a review, or a fix).\n\n\
         ## Why it matters\n\n\
         What breaks on an installation that upgrades, or for the service still running.\n\n\
         ## How to fix\n\n\
         The safe way to write it:\n\n\
         ```sql\n-- before\n\n-- after\n```\n"
    )
}

/// The rule's case: a migration of the minimal fixture whose second line the rule reports.
fn case_file(name: &str) -> String {
    format!(
        "# What {name} finds, in one sentence: replace the second statement below with one it \
         reports.\n\
         -- base: minimal\n\
         -- expect: {name} store/migration/postgres/0.2/00__memo_index.sql:2:1\n\
         -- file: migration/postgres/0.2/00__memo_index.sql\n\
         CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
         SELECT 1;\n"
    )
}
