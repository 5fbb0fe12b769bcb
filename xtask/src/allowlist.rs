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
//! Which entries were used is the run's record (`Uses`, owned by `accept::Suppressions`), not the
//! list's: the replay consults the list through `Consulted`, which writes into that record.

use crate::config::acceptance::{EntryKind, UnusedEntry};
use crate::config::{Allow, AllowCheck, Config};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::source::SourceFile;

#[derive(Debug, Default)]
pub struct Allowlist {
    /// The file, for locating entries in diagnostics; `None` when there is no file.
    source: Option<SourceFile>,
    entries: Vec<Allow>,
}

impl Allow {
    /// Whether the entry applies to a chain of a dialect.
    fn covers(&self, dialect: Dialect, chain: &str) -> bool {
        self.check == AllowCheck::Drift && self.in_chain(dialect, chain)
    }

    /// Whether the entry's `dialect` and `chain` take in a chain of a dialect.
    fn in_chain(&self, dialect: Dialect, chain: &str) -> bool {
        let chain_matches = match self.chain.as_deref() {
            None => true,
            Some(pattern) => match pattern.strip_suffix('*') {
                Some(prefix) => chain.starts_with(prefix),
                None => chain == pattern,
            },
        };
        self.dialect.is_none_or(|d| d == dialect) && chain_matches
    }

    fn matches(&self, object: &str, aspect: &str) -> bool {
        self.object == object && self.aspect.as_deref().is_none_or(|a| a == aspect)
    }
}

impl Allowlist {
    /// The `[[allow]]` entries of the configuration, which checked them as it read them.
    pub fn new(config: &Config) -> Allowlist {
        Allowlist {
            source: config.source.clone(),
            entries: config.allows.clone(),
        }
    }

    /// A fresh record of a run's use of the list: nothing used, nothing judged yet.
    pub fn uses(&self) -> Uses {
        Uses {
            used: vec![false; self.entries.len()],
            ran: Vec::new(),
            parity_compared: false,
            populated: Vec::new(),
        }
    }

    /// Diagnostics for the entries that allowed nothing, among those that could have: an entry
    /// for a dialect that was not checked, or for chains that did not run (no tags in a shallow
    /// clone), is not judged, and parity entries are judged only where the dialects' fresh
    /// installs were compared, so that a run of one dialect does not judge them.
    pub fn unused(&self, uses: &Uses, out: &mut Vec<Diagnostic>) {
        let Some(source) = &self.source else {
            return;
        };
        for (entry, used) in self.entries.iter().zip(&uses.used) {
            let entry_kind = match entry.check {
                AllowCheck::Drift
                    if uses
                        .ran
                        .iter()
                        .any(|(dialect, chain)| entry.covers(*dialect, chain)) =>
                {
                    EntryKind::Allow {
                        object: &entry.object,
                    }
                }
                AllowCheck::Parity if uses.parity_compared => EntryKind::ParityAllow {
                    object: &entry.object,
                },
                AllowCheck::Data
                    if uses
                        .populated
                        .iter()
                        .any(|(dialect, chain)| entry.in_chain(*dialect, chain)) =>
                {
                    EntryKind::DataAllow {
                        object: &entry.object,
                    }
                }
                _ => continue,
            };
            if !used {
                out.push(Diagnostic::from(UnusedEntry {
                    file: &source.display,
                    span: entry.span,
                    entry: entry_kind,
                }));
            }
        }
    }
}

/// Which entries of the list a run used, and what it could have used them for: the chains that
/// ran and whether the dialects' fresh installs were compared.
#[derive(Debug, Default)]
pub struct Uses {
    used: Vec<bool>,
    ran: Vec<(Dialect, String)>,
    parity_compared: bool,
    /// The chains whose data was compared (populated upgrade chains), where data entries are
    /// judged.
    populated: Vec<(Dialect, String)>,
}

/// The list as the replay consults it, recording into a run's `Uses` which entries accepted a
/// difference.
pub struct Consulted<'a> {
    pub list: &'a Allowlist,
    pub uses: &'a mut Uses,
}

impl Consulted<'_> {
    /// Whether a difference is allowed; records the entries that allow it as used.
    pub fn allows(&mut self, dialect: Dialect, chain: &str, object: &str, aspect: &str) -> bool {
        self.mark(|entry| entry.covers(dialect, chain) && entry.matches(object, aspect))
    }

    /// Whether a difference between the dialects' fresh installs is allowed; records the entries
    /// that allow it as used.
    pub fn allows_parity(&mut self, object: &str, aspect: &str) -> bool {
        self.mark(|entry| entry.check == AllowCheck::Parity && entry.matches(object, aspect))
    }

    /// Whether a loss of data in a chain is allowed (`check = "data"`); records the entries that
    /// allow it as used.
    pub fn allows_data(
        &mut self,
        dialect: Dialect,
        chain: &str,
        object: &str,
        aspect: &str,
    ) -> bool {
        self.mark(|entry| {
            entry.check == AllowCheck::Data
                && entry.in_chain(dialect, chain)
                && entry.matches(object, aspect)
        })
    }

    /// Records that a chain's data was compared, so that the data entries covering it are
    /// judged.
    pub fn populated(&mut self, dialect: Dialect, chain: &str) {
        self.uses.populated.push((dialect, chain.to_string()));
    }

    /// Records that a chain ran, so that the entries covering it are judged.
    pub fn ran(&mut self, dialect: Dialect, chain: &str) {
        self.uses.ran.push((dialect, chain.to_string()));
    }

    /// Records that the dialects' fresh installs were compared, so that parity entries are
    /// judged.
    pub fn parity_compared(&mut self) {
        self.uses.parity_compared = true;
    }

    /// Marks every entry `accepts` holds for as used; whether there was one.
    fn mark(&mut self, accepts: impl Fn(&Allow) -> bool) -> bool {
        let mut allowed = false;
        for (entry, used) in self.list.entries.iter().zip(&mut self.uses.used) {
            if accepts(entry) {
                *used = true;
                allowed = true;
            }
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    fn load(text: &str) -> anyhow::Result<Allowlist> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(crate::config::FILE_NAME), text)?;
        let config = Config::load(dir.path(), None, |_| String::new())?;
        Ok(Allowlist::new(&config))
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
        let mut uses = list.uses();
        let mut consulted = Consulted {
            list: &list,
            uses: &mut uses,
        };
        assert!(consulted.allows_parity("table memo", "column pinned: type family"));
        assert!(!consulted.allows_parity("table memo", "column pinned: not null"));
        assert!(!consulted.allows_parity("table storage", ""));
        assert!(!consulted.allows(
            Dialect::Sqlite,
            "full",
            "table memo",
            "column pinned: type family"
        ));
        assert!(consulted.allows(Dialect::Sqlite, "full", "table storage", ""));

        // Both were used; drift judging leaves parity entries alone, parity judging drift ones.
        consulted.ran(Dialect::Sqlite, "full");
        consulted.parity_compared();
        let mut out = Vec::new();
        list.unused(&uses, &mut out);
        assert!(out.is_empty(), "{out:#?}");
        Ok(())
    }

    #[test]
    fn unused_parity_entries_are_judged_only_where_parity_was_compared() -> anyhow::Result<()> {
        let list =
            load("[[allow]]\ncheck = \"parity\"\nobject = \"index idx_x\"\nreason = \"gone\"\n")?;
        let mut uses = list.uses();
        Consulted {
            list: &list,
            uses: &mut uses,
        }
        .ran(Dialect::Postgres, "full");
        let mut out = Vec::new();
        list.unused(&uses, &mut out);
        assert!(out.is_empty(), "{out:#?}");
        uses.parity_compared = true;
        list.unused(&uses, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, Code::UnusedAllow);
        Ok(())
    }

    #[test]
    fn data_entries_accept_losses_only_and_are_judged_where_data_was_compared() -> anyhow::Result<()>
    {
        let list = load(
            "[[allow]]\ncheck = \"data\"\nobject = \"table memo\"\naspect = \"column x\"\nreason = \"r\"\n",
        )?;
        let mut uses = list.uses();
        let mut consulted = Consulted {
            list: &list,
            uses: &mut uses,
        };
        assert!(!consulted.allows(Dialect::Sqlite, "full", "table memo", "column x"));
        consulted.ran(Dialect::Sqlite, "upgrade-from-v0.1.0");
        let mut out = Vec::new();
        list.unused(&uses, &mut out);
        assert!(out.is_empty(), "judged without a populated chain: {out:#?}");
        Consulted {
            list: &list,
            uses: &mut uses,
        }
        .populated(Dialect::Sqlite, "upgrade-from-v0.1.0");
        list.unused(&uses, &mut out);
        assert_eq!(out.len(), 1);
        let mut consulted = Consulted {
            list: &list,
            uses: &mut uses,
        };
        assert!(consulted.allows_data(
            Dialect::Sqlite,
            "upgrade-from-v0.1.0",
            "table memo",
            "column x"
        ));
        out.clear();
        list.unused(&uses, &mut out);
        assert!(out.is_empty(), "{out:#?}");
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
