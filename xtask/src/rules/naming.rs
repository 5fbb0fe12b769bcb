//! Naming: version folders are `MAJOR.MINOR`, migration files `NN__description.sql` (or what the
//! configuration's patterns say). Under the store convention each known wrong form gets its own
//! explanation and the name it should have.

use std::sync::LazyLock;

use regex::Regex;

use crate::codes::Code;
use crate::config::VersionRule;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::store::{MigrationFile, Store};

/// The parts of a file name as a person meant them: a number, a separator, a description and an
/// extension.
static FILE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<seq>[0-9]*)(?P<sep>[_\-. ]*)(?P<desc>.*?)(?P<ext>\.[A-Za-z]+)?$")
        .expect("valid regex")
});

pub fn check(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) {
    let layout = &store.config.layout;
    for driver in store
        .drivers
        .iter()
        .filter(|d| dialects.contains(&d.dialect))
    {
        for folder in &driver.folders {
            if !layout.folder_pattern.is_match(&folder.name) {
                out.push(folder_diagnostic(store, &folder.name, &folder.path));
            }
        }
        for file in driver.all_files() {
            if !layout.file_pattern.is_match(&file.name) {
                out.push(file_diagnostic(store, file));
            }
        }
    }
}

/// A version folder whose name does not match. The store convention's names have an
/// explanation for every known wrong form; configured patterns get the pattern itself.
fn folder_diagnostic(store: &Store, name: &str, path: &std::path::Path) -> Diagnostic {
    let layout = &store.config.layout;
    let (problem, help) = if layout.conventional_names {
        let (problem, fix) = folder_problem(name);
        let help = match fix {
            Some(fixed) => format!("rename the folder to `{fixed}`"),
            None => "name version folders MAJOR.MINOR, e.g. `0.12`".to_string(),
        };
        (problem, help)
    } else {
        (
            format!(
                "does not match the configured folder pattern `{}`",
                layout.folder_pattern
            ),
            "rename it to match layout.folder-pattern".to_string(),
        )
    };
    Diagnostic::new(
        Code::BadFolderName,
        format!(
            "version folder `{}` {problem}",
            crate::input::escape_name(name)
        ),
    )
    .file(store.display(path))
    .help(help)
}

/// A migration file whose name does not match, explained like a folder's.
fn file_diagnostic(store: &Store, file: &MigrationFile) -> Diagnostic {
    let layout = &store.config.layout;
    let (problem, help) = if layout.conventional_names {
        let (problem, fixed) = file_problem(&file.name);
        let help = match fixed {
            Some(fixed) => format!(
                "rename it: git mv {} {fixed}",
                crate::input::escape_name(&file.name)
            ),
            None => "name migrations NN__description.sql: two digits, two underscores, lowercase a-z, 0-9 and _".to_string(),
        };
        (problem, help)
    } else {
        let unread = if file.version.is_none() {
            ": the service cannot read its version"
        } else {
            ""
        };
        // The rule's example is offered only where the configured pattern accepts it.
        let example = example(layout.versions);
        let help = if layout.file_pattern.is_match(example) {
            format!("rename it to match layout.file-pattern, e.g. `{example}`")
        } else {
            "rename it to match layout.file-pattern".to_string()
        };
        (
            format!(
                "does not match the configured file pattern `{}`{unread}",
                layout.file_pattern
            ),
            help,
        )
    };
    Diagnostic::new(
        Code::BadFileName,
        format!("`{}` {problem}", crate::input::escape_name(&file.name)),
    )
    .file(store.display(&file.path))
    .help(help)
}

/// A well-formed migration name under a version rule, for help texts.
fn example(rule: VersionRule) -> &'static str {
    match rule {
        VersionRule::Store => "00__add_memo_tags.sql",
        VersionRule::FlatSemver => "V1.3.0__add_memo_tags.sql",
        VersionRule::Integer => "0042_add_memo_tags.sql",
        VersionRule::Timestamp => "20240131120000_add_memo_tags.sql",
    }
}

/// What is wrong with a folder name, and the right name where one can be told.
fn folder_problem(name: &str) -> (String, Option<String>) {
    let trimmed = name.trim_start_matches(['v', 'V']);
    let parts: Vec<&str> = trimmed.split('.').collect();
    let numbers: Option<Vec<u64>> = parts.iter().map(|p| p.parse().ok()).collect();
    let problem = if trimmed.len() != name.len() {
        "has a `v` prefix: the service reads the folder name as MAJOR.MINOR"
    } else if parts.len() == 3 {
        "has three parts: a folder is a MAJOR.MINOR series and its files give the patch number"
    } else if parts.len() == 2 && numbers.is_some() {
        "has a leading zero: versions are compared as numbers, and a zero-padded name sorts differently"
    } else {
        "is not MAJOR.MINOR: the service cannot tell the version of its migrations"
    };
    let fixed = match numbers.as_deref() {
        Some([major, minor]) | Some([major, minor, _]) => Some(format!("{major}.{minor}")),
        _ => None,
    };
    (problem.to_string(), fixed)
}

/// What is wrong with a file name, and the right name where one can be told.
fn file_problem(name: &str) -> (String, Option<String>) {
    let Some(parts) = FILE_PARTS.captures(name) else {
        return ("is not NN__description.sql".into(), None);
    };
    let seq = &parts["seq"];
    let sep = &parts["sep"];
    let desc = &parts["desc"];
    let ext = parts.name("ext").map_or("", |m| m.as_str());
    let problem = if seq.is_empty() {
        "has no sequence number: the service cannot order it".to_string()
    } else if seq.len() == 1 {
        format!("has a one-digit sequence number: `{seq}__` and `0{seq}__` are the same version to the service, and one of them never runs")
    } else if seq.len() > 2 {
        "has more than two digits in its sequence number".to_string()
    } else if sep == "_" {
        "has one underscore after the sequence number: the service splits names at `__` and fails at start-up (strconv.Atoi: parsing the whole name)".to_string()
    } else if sep != "__" {
        format!("separates the sequence number with `{sep}`: the service splits names at `__`")
    } else if !ext.eq_ignore_ascii_case(".sql") {
        "is not a .sql file".to_string()
    } else if ext != ".sql" {
        format!("has the extension `{ext}`: the service only loads lowercase `.sql` files")
    } else if desc.is_empty() {
        "has no description after `__`".to_string()
    } else if desc.chars().any(|c| c.is_ascii_uppercase()) {
        "has upper case in its description: names are lowercase `[a-z0-9_]`".to_string()
    } else {
        "has characters other than `[a-z0-9_]` in its description".to_string()
    };
    let description: String = desc
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let fixed = match seq.parse::<u64>() {
        Ok(n) if n < 100 && !description.is_empty() => Some(format!("{n:02}__{description}.sql")),
        _ => None,
    };
    (problem, fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_wrong_file_forms_get_a_fix() {
        let fixes: Vec<_> = [
            "00_reaction.sql",
            "1__memo.sql",
            "00__Memo.sql",
            "00__memo.SQL",
            "00-memo.sql",
            "00__memo-tags.sql",
            "000__memo.sql",
            "__memo.sql",
        ]
        .iter()
        .map(|n| (*n, file_problem(n).1))
        .collect();
        insta::assert_debug_snapshot!(fixes);
    }

    #[test]
    fn known_wrong_folder_forms_get_a_fix() {
        assert_eq!(folder_problem("v0.3").1.as_deref(), Some("0.3"));
        assert_eq!(folder_problem("0.3.0").1.as_deref(), Some("0.3"));
        assert_eq!(folder_problem("00.3").1.as_deref(), Some("0.3"));
        assert_eq!(folder_problem("release-2").1, None);
    }
}
