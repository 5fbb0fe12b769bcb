//! Naming: version folders are `MAJOR.MINOR`, migration files `NN__description.sql` (or what the
//! configuration's patterns say). Under the store convention each known wrong form gets its own
//! explanation and the name it should have.

use std::path::Path;
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

/// A version folder or migration file whose name does not match, as data: the check collects
/// it, `From<NamingFinding> for Diagnostic` words it.
pub struct NamingFinding {
    /// The folder or file as diagnostics show it.
    pub file: String,
    /// Its name.
    pub name: String,
    /// Whether it is a version folder (else a migration file).
    pub folder: bool,
    pub problem: NameProblem,
}

/// What is wrong with a name.
pub enum NameProblem {
    /// Under the store convention: what is wrong, and the right name where one can be told.
    Conventional {
        problem: String,
        fixed: Option<String>,
    },
    /// Under configured patterns: the pattern it does not match; for a file, whether the
    /// service can read its version, and the version rule's example where the pattern takes it.
    Pattern {
        pattern: String,
        unread: bool,
        example: Option<&'static str>,
    },
}

impl From<NamingFinding> for Diagnostic {
    fn from(finding: NamingFinding) -> Diagnostic {
        let NamingFinding {
            file,
            name,
            folder,
            problem,
        } = finding;
        let escaped = crate::input::escape_name(&name);
        let (problem, help) = match (problem, folder) {
            (NameProblem::Conventional { problem, fixed }, true) => (
                problem,
                match fixed {
                    Some(fixed) => format!("rename the folder to `{fixed}`"),
                    None => "name version folders MAJOR.MINOR, e.g. `0.12`".to_string(),
                },
            ),
            (NameProblem::Conventional { problem, fixed }, false) => (
                problem,
                match fixed {
                    Some(fixed) => format!(
                        "rename it: git mv {} {}",
                        crate::input::shell_word(&name),
                        crate::input::shell_word(&fixed)
                    ),
                    None => "name migrations NN__description.sql: two digits, two underscores, lowercase a-z, 0-9 and _".to_string(),
                },
            ),
            (NameProblem::Pattern { pattern, .. }, true) => (
                format!("does not match the configured folder pattern `{pattern}`"),
                "rename it to match layout.folder-pattern".to_string(),
            ),
            (
                NameProblem::Pattern {
                    pattern,
                    unread,
                    example,
                },
                false,
            ) => pattern_words(&pattern, unread, example),
        };
        if folder {
            Diagnostic::new(
                Code::BadFolderName,
                format!("version folder `{escaped}` {problem}"),
            )
        } else {
            Diagnostic::new(Code::BadFileName, format!("`{escaped}` {problem}"))
        }
        .file(file)
        .help(help)
    }
}

/// The problem and help of a file name that a configured pattern refuses.
fn pattern_words(pattern: &str, unread: bool, example: Option<&str>) -> (String, String) {
    let unread = if unread {
        ": the service cannot read its version"
    } else {
        ""
    };
    let help = match example {
        Some(example) => format!("rename it to match layout.file-pattern, e.g. `{example}`"),
        None => "rename it to match layout.file-pattern".to_string(),
    };
    (
        format!("does not match the configured file pattern `{pattern}`{unread}"),
        help,
    )
}

pub fn check(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) {
    let layout = &store.config.layout;
    for driver in store
        .drivers
        .iter()
        .filter(|d| dialects.contains(&d.dialect))
    {
        for folder in &driver.folders {
            if !layout.folder_pattern.is_match(&folder.name) {
                let problem = if layout.conventional_names {
                    let (problem, fixed) = folder_problem(&folder.name);
                    NameProblem::Conventional { problem, fixed }
                } else {
                    NameProblem::Pattern {
                        pattern: layout.folder_pattern.to_string(),
                        unread: false,
                        example: None,
                    }
                };
                out.push(found(store, &folder.path, &folder.name, true, problem));
            }
        }
        for file in driver.all_files() {
            if !layout.file_pattern.is_match(&file.name) {
                out.push(found(
                    store,
                    &file.path,
                    &file.name,
                    false,
                    file_problem_of(store, file),
                ));
            }
        }
    }
}

fn found(store: &Store, path: &Path, name: &str, folder: bool, problem: NameProblem) -> Diagnostic {
    NamingFinding {
        file: store.display(path),
        name: name.to_string(),
        folder,
        problem,
    }
    .into()
}

/// What is wrong with a migration file's name: under the store convention each known wrong
/// form; under configured patterns the pattern, with the rule's example where it matches.
fn file_problem_of(store: &Store, file: &MigrationFile) -> NameProblem {
    let layout = &store.config.layout;
    if layout.conventional_names {
        let (problem, fixed) = file_problem(&file.name);
        return NameProblem::Conventional { problem, fixed };
    }
    let example = example(layout.versions);
    NameProblem::Pattern {
        pattern: layout.file_pattern.to_string(),
        unread: file.version.is_none(),
        example: layout.file_pattern.is_match(example).then_some(example),
    }
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
