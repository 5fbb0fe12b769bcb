//! `[[silence]]` entries of the configuration: a finding of a file (and line) that is accepted,
//! such as a `dialect-leak` or a `drop-column` in a released migration, whose text must not
//! change. They are applied here, once, to every finding; whether each was used is the run's
//! record (`Configured`), not the configuration's. A silence of a lint code covers the whole
//! statement its line is in, as a silence comment does; one of another code covers a diagnostic
//! whose span includes its line.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::codes::Code;
use crate::config::acceptance::{EntryKind, UnusedEntry};
use crate::config::Silence;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::rules::lint::is_silenceable;
use crate::sql::SqlFile;
use crate::store::Store;

/// The lines of every statement of the SQL files read, by file as shown, for the silences of
/// lint codes.
#[derive(Debug, Default)]
pub struct StatementLines(BTreeMap<String, Vec<RangeInclusive<u32>>>);

impl StatementLines {
    pub fn of(files: &[SqlFile]) -> StatementLines {
        StatementLines(
            files
                .iter()
                .map(|file| {
                    let lines = file
                        .statements
                        .iter()
                        .map(|s| s.span.start.line..=s.span.end.line)
                        .collect();
                    (file.source.display.clone(), lines)
                })
                .collect(),
        )
    }

    /// The lines of the statement `line` is in; the line alone outside every statement.
    fn around(&self, file: &str, line: u32) -> RangeInclusive<u32> {
        self.0
            .get(file)
            .and_then(|lines| lines.iter().find(|lines| lines.contains(&line)))
            .cloned()
            .unwrap_or(line..=line)
    }
}

/// The configured silences of a run, each with the lines it covers (`None`: the whole file),
/// and whether it silenced anything.
pub struct Configured<'a> {
    entries: Vec<(&'a Silence, Option<RangeInclusive<u32>>)>,
    used: Vec<bool>,
}

impl<'a> Configured<'a> {
    pub fn new(silences: &'a [Silence], statements: &StatementLines) -> Configured<'a> {
        let entries: Vec<_> = silences
            .iter()
            .map(|silence| {
                let lines = silence.line.map(|line| {
                    if is_silenceable(silence.code) {
                        statements.around(&silence.display, line)
                    } else {
                        line..=line
                    }
                });
                (silence, lines)
            })
            .collect();
        let used = vec![false; entries.len()];
        Configured { entries, used }
    }

    /// Whether a silence covers a diagnostic; records those that do as used.
    pub fn silences(&mut self, diagnostic: &Diagnostic) -> bool {
        let mut silenced = false;
        for (index, (silence, lines)) in self.entries.iter().enumerate() {
            let lines_match = lines.as_ref().is_none_or(|lines| {
                diagnostic.span.is_some_and(|span| {
                    span.start.line <= *lines.end() && *lines.start() <= span.end.line
                })
            });
            if silence.code == diagnostic.code
                && diagnostic.file.as_deref() == Some(silence.display.as_str())
                && lines_match
            {
                self.used[index] = true;
                silenced = true;
            }
        }
        silenced
    }

    /// Reports the silences that silenced nothing among those the run could have used;
    /// `lint_only` under a shard that sees only the lint's findings whole.
    pub fn unused(
        &self,
        store: &Store,
        lint_only: bool,
        could_report: impl Fn(Code, Option<Dialect>) -> bool,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(source) = &store.config.source else {
            return;
        };
        for ((silence, _), used) in self.entries.iter().zip(&self.used) {
            let judged = (!lint_only || is_silenceable(silence.code))
                && could_report(silence.code, store.dialect_of(&silence.display));
            if judged && !used {
                let entry = match unlinted(store, silence) {
                    Some(minimum) => EntryKind::UnlintedSilence {
                        code: silence.code,
                        file: &silence.file,
                        minimum,
                    },
                    None => EntryKind::Silence {
                        code: silence.code,
                        file: &silence.file,
                    },
                };
                out.push(Diagnostic::from(UnusedEntry {
                    file: &source.display,
                    span: silence.span,
                    entry,
                }));
            }
        }
    }
}

/// The minimum upgrade version, as shown, where a silence of a lint code names a migration
/// below it that the lint leaves out (`lint.below-minimum-upgrade` unset): such a silence can
/// match nothing, and its report says why.
fn unlinted(store: &Store, silence: &Silence) -> Option<String> {
    if !is_silenceable(silence.code) {
        return None;
    }
    let config = &store.config;
    store
        .drivers
        .iter()
        .flat_map(|driver| driver.all_files())
        .find(|file| store.display(&file.path) == silence.display)
        .and_then(|file| file.version.as_ref())
        .filter(|version| !config.lints(version))
        .map(|_| config.layout.versions.show(&config.minimum_upgrade))
}
