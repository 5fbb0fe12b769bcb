//! The reviewed allowlist: schema drifts a project accepts, each with the reason it is accepted.
//! It lives in the configuration file, `validate-migrations.toml` in the store's folder (see
//! `config.rs`):
//!
//! ```toml
//! [[allow]]
//! dialect = "postgres"              # optional: every dialect when absent
//! chain = "upgrade-from-*"          # optional: a chain name, or a prefix ending in `*`
//! object = "table storage"          # the object as diagnostics name it
//! aspect = "column order"           # optional: every aspect of the object when absent
//! reason = "kept for the v0.9 importer until 0.12"
//! ```
//!
//! An entry with `check = "parity"` accepts a difference between the fresh PostgreSQL and SQLite
//! schemas instead (`dialect-parity`); it takes no `dialect` or `chain`, since such a difference
//! belongs to both dialects and to no chain. Entries without `check` (or with `check = "drift"`)
//! never accept a parity difference, and parity entries never accept a drift, so that an entry
//! written for one cannot silence the other.
//!
//! An entry that matches nothing any more is reported, so that the list shrinks with the drifts.

use std::cell::Cell;

use anyhow::bail;
use serde::Deserialize;

use crate::config::acceptance::{EntryKind, UnusedEntry};
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Dialect;
use crate::source::SourceFile;

#[derive(Debug, Default)]
pub struct Allowlist {
    /// The file, for locating entries in diagnostics; `None` when there is no file.
    source: Option<SourceFile>,
    entries: Vec<Entry>,
}

/// What an entry accepts: a drift of a chain from its dialect's fresh install, or a difference
/// between the dialects' fresh installs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Check {
    #[default]
    Drift,
    Parity,
}

#[derive(Debug)]
struct Entry {
    check: Check,
    dialect: Option<Dialect>,
    chain: Option<String>,
    object: String,
    aspect: Option<String>,
    span: Span,
    used: Cell<bool>,
}

impl Entry {
    /// Whether the entry applies to a chain of a dialect.
    fn covers(&self, dialect: Dialect, chain: &str) -> bool {
        let chain_matches = match self.chain.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_suffix('*') {
                Some(prefix) => chain.starts_with(prefix),
                None => chain == pattern,
            },
        };
        self.check == Check::Drift && self.dialect.is_none_or(|d| d == dialect) && chain_matches
    }

    fn matches(&self, object: &str, aspect: &str) -> bool {
        self.object == object && self.aspect.as_deref().is_none_or(|a| a == aspect)
    }
}

/// The allowlist's part of the configuration file; `config.rs` checks the rest.
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    allow: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    check: Check,
    dialect: Option<Dialect>,
    chain: Option<String>,
    object: String,
    aspect: Option<String>,
    reason: String,
}

impl Allowlist {
    /// Reads the `[[allow]]` entries of the configuration file, if there is one. A malformed
    /// entry stops the run: an allowlist that is silently ignored would let drifts through or
    /// hide them.
    pub fn load(source: Option<&SourceFile>) -> anyhow::Result<Allowlist> {
        let Some(source) = source else {
            return Ok(Allowlist::default());
        };
        let file: File = source.toml("the keys are documented in docs/config.md")?;
        let mut entries = Vec::new();
        for spanned in file.allow {
            let range = spanned.span();
            let start = source.position(range.start);
            let entry = spanned.into_inner();
            if entry.reason.trim().is_empty() {
                bail!(
                    "{}:{}:{}: an allow entry needs a reason: say why this drift is accepted",
                    source.display,
                    start.line,
                    start.column
                );
            }
            if entry.check == Check::Parity && (entry.dialect.is_some() || entry.chain.is_some()) {
                bail!(
                    "{}:{}:{}: a parity entry takes no `dialect` or `chain`: a difference between \
                     the dialects' fresh installs belongs to both dialects and to no chain",
                    source.display,
                    start.line,
                    start.column
                );
            }
            let first_line = source.line(start.line).unwrap_or_default().chars().count() as u32;
            entries.push(Entry {
                check: entry.check,
                dialect: entry.dialect,
                chain: entry.chain,
                object: entry.object,
                aspect: entry.aspect,
                span: Span::on_line(start.line, start.column, first_line),
                used: Cell::new(false),
            });
        }
        Ok(Allowlist {
            source: Some(source.clone()),
            entries,
        })
    }

    /// Whether a difference is allowed; marks the entries that allow it as used.
    pub fn allows(&self, dialect: Dialect, chain: &str, object: &str, aspect: &str) -> bool {
        let mut allowed = false;
        for entry in &self.entries {
            if entry.covers(dialect, chain) && entry.matches(object, aspect) {
                entry.used.set(true);
                allowed = true;
            }
        }
        allowed
    }

    /// Whether a difference between the dialects' fresh installs is allowed; marks the entries
    /// that allow it as used.
    pub fn allows_parity(&self, object: &str, aspect: &str) -> bool {
        let mut allowed = false;
        for entry in &self.entries {
            if entry.check == Check::Parity && entry.matches(object, aspect) {
                entry.used.set(true);
                allowed = true;
            }
        }
        allowed
    }

    /// Diagnostics for the entries that allowed nothing, among those that could have: an entry
    /// for a dialect that was not checked, or for chains that did not run (no tags in a shallow
    /// clone), is not judged.
    pub fn unused(&self, ran: &[(Dialect, &str)], out: &mut Vec<Diagnostic>) {
        let Some(source) = &self.source else {
            return;
        };
        let judged = |e: &&Entry| ran.iter().any(|(dialect, chain)| e.covers(*dialect, chain));
        for entry in self.entries.iter().filter(judged).filter(|e| !e.used.get()) {
            out.push(Diagnostic::from(UnusedEntry {
                file: &source.display,
                span: entry.span,
                entry: EntryKind::Allow {
                    object: &entry.object,
                },
            }));
        }
    }

    /// Diagnostics for the parity entries that allowed nothing; called only when the dialects'
    /// fresh installs were compared, so that a run of one dialect does not judge them.
    pub fn unused_parity(&self, out: &mut Vec<Diagnostic>) {
        let Some(source) = &self.source else {
            return;
        };
        let unused = |e: &&Entry| e.check == Check::Parity && !e.used.get();
        for entry in self.entries.iter().filter(unused) {
            out.push(Diagnostic::from(UnusedEntry {
                file: &source.display,
                span: entry.span,
                entry: EntryKind::ParityAllow {
                    object: &entry.object,
                },
            }));
        }
    }

    /// The file, for snippets of its diagnostics.
    pub fn source(&self) -> Option<&SourceFile> {
        self.source.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    fn load(text: &str) -> anyhow::Result<Allowlist> {
        let source = SourceFile::new(
            "validate-migrations.toml".into(),
            "validate-migrations.toml".into(),
            text.to_string(),
        );
        Allowlist::load(Some(&source))
    }

    #[test]
    fn parity_and_drift_entries_do_not_allow_each_other() -> anyhow::Result<()> {
        let list = load(
            r#"
[[allow]]
check = "parity"
object = "table memo"
aspect = "column pinned: type family"
reason = "kept as an integer on SQLite"

[[allow]]
object = "table storage"
reason = "kept for the importer"
"#,
        )?;
        assert!(list.allows_parity("table memo", "column pinned: type family"));
        assert!(!list.allows_parity("table memo", "column pinned: not null"));
        assert!(!list.allows_parity("table storage", ""));
        assert!(!list.allows(
            Dialect::Sqlite,
            "full",
            "table memo",
            "column pinned: type family"
        ));
        assert!(list.allows(Dialect::Sqlite, "full", "table storage", ""));

        // Both were used; drift judging leaves parity entries alone, parity judging drift ones.
        let mut out = Vec::new();
        list.unused(&[(Dialect::Sqlite, "full")], &mut out);
        list.unused_parity(&mut out);
        assert!(out.is_empty(), "{out:#?}");
        Ok(())
    }

    #[test]
    fn unused_parity_entries_are_reported_by_unused_parity_only() -> anyhow::Result<()> {
        let list =
            load("[[allow]]\ncheck = \"parity\"\nobject = \"index idx_x\"\nreason = \"gone\"\n")?;
        let mut out = Vec::new();
        list.unused(&[(Dialect::Postgres, "full")], &mut out);
        assert!(out.is_empty(), "{out:#?}");
        list.unused_parity(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, Code::UnusedAllow);
        Ok(())
    }

    #[test]
    fn a_parity_entry_takes_no_dialect_or_chain() {
        for field in ["dialect = \"sqlite\"", "chain = \"full\""] {
            let text = format!(
                "[[allow]]\ncheck = \"parity\"\n{field}\nobject = \"table memo\"\nreason = \"r\"\n"
            );
            let error = load(&text).err().map(|e| format!("{e:#}"));
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.contains("takes no `dialect` or `chain`")),
                "{field}: {error:?}"
            );
        }
    }
}
