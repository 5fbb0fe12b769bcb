//! `[[severity]]` settings: a code's level changed, or turned off, with a reason, where a team
//! accepts a finding (a `sequence-gap` in a folder released years ago) or wants it louder.
//!
//! ```toml
//! [[severity]]
//! code = "sequence-gap"                     # any code
//! level = "note"                            # error | warning | note | off
//! dialect = "sqlite"                        # optional: every dialect when absent
//! files = "migration/sqlite/0.1*/**"        # optional: a path glob relative to the store
//! reason = "0.1 was released in 2021 with the gap; it cannot change"
//! ```
//!
//! Where several settings match a finding, the most specific wins: one with `files` over one
//! without, between two with `files` the one whose glob has more literal characters, then one
//! with `dialect` over one without, and on a tie the one written later in the file. Only the
//! winner is used; a setting that wins for no finding is reported (`unused-severity`).

use super::glob;
use crate::codes::Code;
use crate::config::acceptance::{EntryKind, UnusedEntry};
pub use crate::config::Level;
use crate::config::{Config, SeveritySetting as Setting};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::source::SourceFile;

/// The level a setting gave a finding, and where the setting is, for the finding's help.
pub struct Decision {
    pub level: Level,
    /// The setting's index, for the run's record of used settings.
    pub index: usize,
    /// `file:line` of the setting.
    pub at: String,
}

impl Setting {
    fn matches(&self, diagnostic: &Diagnostic, file: Option<&str>) -> bool {
        self.code == diagnostic.code
            && self.dialect.is_none_or(|d| diagnostic.dialect == Some(d))
            && self
                .files
                .as_deref()
                .is_none_or(|pattern| file.is_some_and(|file| glob::matches(pattern, file)))
    }

    /// Larger is more specific (see the module's documentation); the index breaks ties.
    fn specificity(&self) -> (bool, usize, bool) {
        (
            self.files.is_some(),
            self.files.as_deref().map_or(0, glob::literal_len),
            self.dialect.is_some(),
        )
    }
}

/// The `[[severity]]` settings of the configuration file.
#[derive(Debug, Default)]
pub struct Settings {
    source: Option<SourceFile>,
    settings: Vec<Setting>,
}

impl Settings {
    /// The settings of the configuration, which checked them as it read them.
    pub fn new(config: &Config) -> Settings {
        Settings {
            source: config.source.clone(),
            settings: config.severities.clone(),
        }
    }

    /// The level the most specific matching setting gives a diagnostic, with that setting's
    /// index; `None` where no setting matches. `file` is the diagnostic's file relative to the
    /// store.
    pub fn level_of(&self, diagnostic: &Diagnostic, file: Option<&str>) -> Option<Decision> {
        let (index, winner) = self
            .settings
            .iter()
            .enumerate()
            .filter(|(_, s)| s.matches(diagnostic, file))
            .max_by_key(|(index, s)| (s.specificity(), *index))?;
        let at = self
            .source
            .as_ref()
            .map(|source| format!("{}:{}", source.display, winner.span.start.line))
            .unwrap_or_default();
        Some(Decision {
            level: winner.level,
            index,
            at,
        })
    }

    /// How many settings there are, for the run's record of used ones.
    pub fn count(&self) -> usize {
        self.settings.len()
    }

    /// The settings that decided no finding's level (`used`, by index), among those the run
    /// could have used, as diagnostics at their entries.
    pub fn unused(
        &self,
        used: &[bool],
        could_report: impl Fn(Code, Option<Dialect>) -> bool,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(source) = &self.source else {
            return;
        };
        let unused = |(s, used): &(&Setting, &bool)| !**used && could_report(s.code, s.dialect);
        for (setting, _) in self.settings.iter().zip(used).filter(unused) {
            let mut scope = String::new();
            if let Some(dialect) = setting.dialect {
                scope.push_str(&format!(" of {dialect}"));
            }
            if let Some(files) = &setting.files {
                scope.push_str(&format!(" in `{files}`"));
            }
            out.push(Diagnostic::from(UnusedEntry {
                file: &source.display,
                span: setting.span,
                entry: EntryKind::Severity {
                    code: setting.code,
                    level: setting.level.as_str(),
                    scope,
                },
            }));
        }
    }
}
