//! The baseline: the findings a tree had when a team adopted the tool, recorded by
//! `--write-baseline` into `validate-migrations.baseline.toml` beside the configuration (the
//! store's folder when there is none). Later runs read it and report a recorded finding as a
//! note, so that a tree with years of history starts clean and fails only on what is new.
//!
//! ```toml
//! [[finding]]
//! code = "drop-column"
//! file = "migration/sqlite/0.2/00__memo_index.sql"   # relative to the store; absent for the tree
//! dialect = "sqlite"                                 # absent where a finding has none
//! object = "`DROP COLUMN content` deletes column memo.content and its data; ..."
//! ```
//!
//! A finding is recognized by its code, file, dialect and object, never by its line, which moves
//! when the file is edited above it. The object of a schema difference is the difference's object
//! and aspect; of any other finding, the first line of its message with positions (`line 12`,
//! `file.sql:3:4`), the list of chains it happened in and the engine's version removed, since
//! these change without the finding changing. Errors and warnings are recorded; notes are not, since they never fail a
//! run. An entry that matches no finding is reported (`unused-baseline`) so that the baseline
//! shrinks as findings are fixed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Context as _;
use regex::Regex;
use serde::Deserialize;

use super::Paths;
use crate::codes::Code;
use crate::config::acceptance::{EntryKind, UnusedEntry};
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::dialect::Dialect;
use crate::source::SourceFile;
use crate::store::Store;

pub const FILE_NAME: &str = "validate-migrations.baseline.toml";

const HEADER: &str = "\
# The baseline of validate-migrations: the findings this tree had when it was written with
# `cargo xtask validate-migrations --write-baseline`. Each run reports a finding listed here as
# a note, not at its severity, so that only new findings fail it; an entry that matches no
# finding any more is reported (`unused-baseline`). A finding is identified by its code, file,
# dialect and object (not its line). Fix findings and remove their entries, or write the file
# again; see docs/config.md, \"The baseline\".
";

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    // The field order is the sort order of the file: by file, then code.
    pub file: Option<String>,
    pub code: String,
    pub dialect: Option<Dialect>,
    pub object: String,
}

impl Record {
    /// The identity of a diagnostic.
    pub fn of(diagnostic: &Diagnostic, paths: &Paths) -> Record {
        let object = match &diagnostic.difference {
            Some(d) if d.aspect.is_empty() => d.object.clone(),
            Some(d) => format!("{}: {}", d.object, d.aspect),
            None => normalized(&diagnostic.message),
        };
        Record {
            file: diagnostic.file.as_deref().map(|f| paths.in_store(f)),
            code: diagnostic.code.name().to_string(),
            dialect: diagnostic.dialect,
            object,
        }
    }

    fn to_toml(&self) -> String {
        let quote = |text: &str| toml::Value::String(text.to_string()).to_string();
        let mut text = String::from("[[finding]]\n");
        text.push_str(&format!("code = {}\n", quote(&self.code)));
        if let Some(file) = &self.file {
            text.push_str(&format!("file = {}\n", quote(file)));
        }
        if let Some(dialect) = self.dialect {
            text.push_str(&format!("dialect = {}\n", quote(dialect.folder())));
        }
        text.push_str(&format!("object = {}\n", quote(&self.object)));
        text
    }
}

static CHAINS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" \[chains? [^\]]*\]$").expect("valid regex"));
static LINES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(lines?|columns?) [0-9]+((-|–|\.\.|, | and )[0-9]+)*").expect("valid regex")
});
static ENGINE_VERSIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(PostgreSQL|SQLite) [0-9]+(\.[0-9]+)*").expect("valid regex"));
static FILE_POSITIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\.[A-Za-z]+):[0-9]+(:[0-9]+)?").expect("valid regex"));

/// A message without what moves while the finding stays: the lines after the first, positions,
/// the chains a replay finding happened in (each release tag adds one), and the engine's
/// version (a CI image updates it).
fn normalized(message: &str) -> String {
    let headline = message.lines().next().unwrap_or_default();
    let text = CHAINS.replace(headline, "");
    let text = LINES.replace_all(&text, "$1 _");
    let text = FILE_POSITIONS.replace_all(&text, "$1");
    let text = ENGINE_VERSIONS.replace_all(&text, "$1");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where the baseline lies by default: beside the configuration file, else in the store's
/// folder.
pub fn default_path(store: &Store) -> PathBuf {
    store
        .config
        .source
        .as_ref()
        .and_then(|source| source.path.parent())
        .unwrap_or(&store.root)
        .join(FILE_NAME)
}

/// Writes the records, sorted and without repeats, under the header; returns how many.
pub fn write(path: &Path, records: &[Record]) -> anyhow::Result<usize> {
    let records: BTreeSet<&Record> = records.iter().collect();
    let mut text = String::from(HEADER);
    for record in &records {
        text.push('\n');
        text.push_str(&record.to_toml());
    }
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the baseline {}", path.display()))?;
    Ok(records.len())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    finding: Vec<toml::Spanned<Record>>,
}

struct Entry {
    record: Record,
    span: Span,
}

/// A baseline file as read.
pub struct Baseline {
    pub source: SourceFile,
    entries: Vec<Entry>,
}

impl Baseline {
    /// Reads a baseline file. A malformed file or an entry of a code that does not exist stops
    /// the run with its place: a baseline that is silently ignored would fail every run, and one
    /// half read would hide nothing it should.
    pub fn load(path: &Path, display: String) -> anyhow::Result<Baseline> {
        let source = SourceFile::read(path, display)
            .with_context(|| format!("cannot read the baseline {}", path.display()))?;
        let file: File =
            source.toml("the baseline's format is in docs/config.md, \"The baseline\"")?;
        let mut entries = Vec::new();
        for spanned in file.finding {
            let start = source.position(spanned.span().start);
            let record = spanned.into_inner();
            if Code::from_name(&record.code).is_none() {
                anyhow::bail!(
                    "{}:{}:{}: {}",
                    source.display,
                    start.line,
                    start.column,
                    crate::codes::unknown_code(&record.code)
                );
            }
            let width = source.line(start.line).unwrap_or_default().chars().count() as u32;
            entries.push(Entry {
                record,
                span: Span::on_line(start.line, start.column, width),
            });
        }
        Ok(Baseline { source, entries })
    }

    /// How many entries there are, for the run's record of used ones.
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// Turns the recorded errors and warnings into notes, recording the entries that matched in
    /// `used` (by index); returns how many.
    pub fn apply(&self, diagnostics: &mut [Diagnostic], paths: &Paths, used: &mut [bool]) -> usize {
        let mut baselined = 0;
        for diagnostic in diagnostics
            .iter_mut()
            .filter(|d| d.severity != Severity::Note)
        {
            let record = Record::of(diagnostic, paths);
            let mut matched = false;
            for (entry, used) in self.entries.iter().zip(used.iter_mut()) {
                if entry.record == record {
                    *used = true;
                    matched = true;
                }
            }
            if matched {
                diagnostic.message = format!(
                    "baselined {}: {}",
                    diagnostic.severity.as_str(),
                    diagnostic.message
                );
                diagnostic.severity = Severity::Note;
                baselined += 1;
            }
        }
        baselined
    }

    /// The entries that matched no finding (`used`, by index), among those the run could have
    /// matched, as diagnostics at their lines.
    pub fn unused(
        &self,
        used: &[bool],
        could_report: impl Fn(Code, Option<Dialect>) -> bool,
        out: &mut Vec<Diagnostic>,
    ) {
        let judged = |e: &Entry| {
            Code::from_name(&e.record.code).is_some_and(|code| could_report(code, e.record.dialect))
        };
        let unused = |(e, used): &(&Entry, &bool)| !**used && judged(e);
        for (entry, _) in self.entries.iter().zip(used).filter(unused) {
            out.push(Diagnostic::from(UnusedEntry {
                file: &self.source.display,
                span: entry.span,
                entry: EntryKind::Baseline {
                    code: &entry.record.code,
                    file: entry.record.file.as_deref(),
                },
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_leave_out_what_moves() {
        assert_eq!(
            normalized(
                "x refused this statement: syntax error at line 4 [chains fresh, full]\nbody"
            ),
            "x refused this statement: syntax error at line _"
        );
        assert_eq!(
            normalized("gap after store/migration/sqlite/0.1/00__a.sql:3:1, lines 3-5"),
            "gap after store/migration/sqlite/0.1/00__a.sql, lines _"
        );
        assert_eq!(
            normalized("SQLite 3.54.1 refused this statement: no such table: memo [chain full]"),
            "SQLite refused this statement: no such table: memo"
        );
    }
}
