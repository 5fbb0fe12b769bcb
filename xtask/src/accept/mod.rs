//! The acceptance stage: what a team has accepted about its tree, applied once to the finished
//! list of diagnostics at the end of a run (after the replay, before sorting).
//!
//! One type, `Suppressions`, owns every list of accepted findings of a run and the record of
//! which entries were used: an entry that accepted no finding in a run that could have judged it
//! is reported at its own line, so that the lists of accepted findings shrink with the findings.
//! The mechanisms, one file each (the allowlist in `allowlist.rs`, below the replay that
//! consults it):
//!
//! - `severity.rs`: `[[severity]]` settings of the configuration change a code's level (or turn
//!   it off), optionally per dialect and path glob, each with a reason;
//! - `silence.rs`: `[[silence]]` entries remove a finding of a file and line (of a statement,
//!   for a lint code); their used-tracking is the run's (`silence::Configured`), not the
//!   configuration's;
//! - `baseline.rs`: the findings recorded by `--write-baseline` become notes;
//! - `[[allow]]` entries (`allowlist.rs`) accept schema differences; the replay consults them
//!   while it groups differences by chain, writing into the `Uses` this type owns;
//! - `changed.rs`: `--changed-since REF` leaves out the static findings of files that did not
//!   change since REF.

pub mod baseline;
pub mod changed;
mod glob;
pub mod severity;
pub mod silence;

use std::path::PathBuf;

use crate::allowlist::{self, Allowlist};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::dialect::Dialect;
use crate::replay::Shard;
use crate::source::SourceFile;
use crate::store::Store;

/// How a run treats the baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BaselineMode {
    /// Read `validate-migrations.baseline.toml` beside the configuration (or in the store's
    /// folder) if it exists.
    #[default]
    Read,
    /// Read this file (`--baseline FILE`); it must exist.
    ReadFile(PathBuf),
    /// Read no baseline, and keep every finding to record (`--write-baseline`), into this file
    /// when given, else the default one.
    Write(Option<PathBuf>),
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub baseline: BaselineMode,
    /// `--changed-since REF`: report static findings only for files changed since REF.
    pub changed_since: Option<String>,
}

/// What the acceptance stage did, for the summary and for `--write-baseline`.
#[derive(Debug, Default)]
pub struct Summary {
    /// The baseline file that was read, as shown to users.
    pub baseline: Option<String>,
    /// How many findings the baseline turned into notes.
    pub baselined: usize,
    /// Under `--changed-since`: the REF and how many findings were left out.
    pub changed_since: Option<(String, usize)>,
    /// Under `--write-baseline`: where to write and what to record.
    pub to_write: Option<(PathBuf, Vec<baseline::Record>)>,
    /// The baseline file, for snippets of its diagnostics.
    pub baseline_source: Option<SourceFile>,
}

/// What a run checked: an entry for a dialect it did not check, or for a replay finding when
/// the replay did not run, is not judged unused, since the run could not have used it.
pub struct Run<'a> {
    pub dialects: &'a [Dialect],
    pub replayed: bool,
    pub shard: Option<Shard>,
    /// The statements' lines of the files read, which a silence of a lint code covers.
    pub statements: &'a silence::StatementLines,
}

impl Run<'_> {
    fn could_report(&self, code: Code, dialect: Option<Dialect>) -> bool {
        dialect.is_none_or(|d| self.dialects.contains(&d))
            && (self.replayed || !of_the_replay(code))
    }
}

/// Whether a code is found by the replay (or the schema comparison after it) rather than by a
/// static check.
pub fn of_the_replay(code: Code) -> bool {
    matches!(code.group(), "replay" | "diff")
}

/// Which entries a run can judge unused. Under `--shard K/N` with N > 1 no run sees every
/// finding: the first shard still judges the configured silences of lint codes (the lint runs
/// there, as before), and every other entry is judged by runs without shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judge {
    Everything,
    LintSilences,
    Nothing,
}

/// Every way a run accepts a finding, read before the checks so that a mistake in them (a
/// baseline entry of a misspelt code, an unknown `--changed-since` reference) stops the run
/// before the replay (the configuration's entries were checked when it was read), and
/// the record of which entries were used, which `apply` turns into the `unused-*` diagnostics.
///
/// The `[[silence]]` entries of the configuration are applied here too (`silence::Configured`,
/// built in `apply` once the statements' lines are known). The silence comments in SQL files
/// are not: they stay with the lint, which reads them where it reads the file.
pub struct Suppressions {
    severities: severity::Settings,
    /// Which severity settings decided a finding's level, by index.
    severities_used: Vec<bool>,
    baseline: Option<baseline::Baseline>,
    /// Which baseline entries matched a finding, by index.
    baseline_used: Vec<bool>,
    allowlist: Allowlist,
    /// Which `[[allow]]` entries the replay used, and what it could have used them for.
    allow_uses: allowlist::Uses,
    /// Under `--write-baseline`: the file to write.
    write_to: Option<PathBuf>,
    changed: Option<(String, changed::Changed)>,
}

impl Suppressions {
    pub fn load(store: &Store, options: &Options) -> anyhow::Result<Suppressions> {
        let severities = severity::Settings::new(&store.config);
        let allowlist = Allowlist::new(&store.config);
        let (baseline, write_to) = match &options.baseline {
            BaselineMode::Write(path) => (
                None,
                Some(
                    path.clone()
                        .unwrap_or_else(|| baseline::default_path(store)),
                ),
            ),
            BaselineMode::ReadFile(path) => {
                if !path.is_file() {
                    anyhow::bail!(
                        "the baseline {} does not exist (write it with --write-baseline)",
                        path.display()
                    );
                }
                (
                    Some(baseline::Baseline::load(path, store.display(path))?),
                    None,
                )
            }
            BaselineMode::Read => {
                let path = baseline::default_path(store);
                let file = path
                    .is_file()
                    .then(|| baseline::Baseline::load(&path, store.display(&path)))
                    .transpose()?;
                (file, None)
            }
        };
        let changed = options
            .changed_since
            .as_ref()
            .map(|reference| {
                changed::Changed::since(store, reference).map(|c| (reference.clone(), c))
            })
            .transpose()?;
        Ok(Suppressions {
            severities_used: vec![false; severities.count()],
            severities,
            baseline_used: vec![false; baseline.as_ref().map_or(0, baseline::Baseline::count)],
            baseline,
            allow_uses: allowlist.uses(),
            allowlist,
            write_to,
            changed,
        })
    }

    /// The allowlist as the replay consults it, recording here which entries it used.
    pub fn allowlist(&mut self) -> allowlist::Consulted<'_> {
        allowlist::Consulted {
            list: &self.allowlist,
            uses: &mut self.allow_uses,
        }
    }

    /// Applies the configuration's silences and severity settings, the baseline and the
    /// `--changed-since` filter to the finished diagnostics, and reports the entries that
    /// accepted nothing. The allowlist's unused entries come first, so that the silences and
    /// severity settings apply to them as to any finding.
    pub fn apply(mut self, store: &Store, run: &Run, diagnostics: &mut Vec<Diagnostic>) -> Summary {
        self.allowlist.unused(&self.allow_uses, diagnostics);
        let judge = match run.shard {
            None => Judge::Everything,
            Some(shard) if shard.count == 1 => Judge::Everything,
            Some(shard) if shard.is_first() => Judge::LintSilences,
            Some(_) => Judge::Nothing,
        };
        let paths = Paths::new(store);
        let mut summary = Summary::default();

        let mut silences = silence::Configured::new(&store.config.silences, run.statements);
        let mut kept = Vec::with_capacity(diagnostics.len());
        for mut diagnostic in diagnostics.drain(..) {
            if silences.silences(&diagnostic) {
                continue;
            }
            let file = diagnostic.file.as_deref().map(|f| paths.in_store(f));
            if let Some(decision) = self.severities.level_of(&diagnostic, file.as_deref()) {
                self.severities_used[decision.index] = true;
                let Some(severity) = decision.level.severity() else {
                    continue;
                };
                // A reader who sees a finding at another level than its code's learns where
                // that was decided.
                if severity != diagnostic.severity {
                    let note = format!(
                        "{} by the [[severity]] setting at {}",
                        severity.as_str(),
                        decision.at
                    );
                    diagnostic.help = Some(match diagnostic.help.take() {
                        Some(help) => format!("{help} ({note})"),
                        None => note,
                    });
                    diagnostic.severity = severity;
                }
            }
            kept.push(diagnostic);
        }

        let mut unused = Vec::new();
        let could_report = |code, dialect| run.could_report(code, dialect);
        if judge != Judge::Nothing {
            let lint_only = judge == Judge::LintSilences;
            silences.unused(store, lint_only, could_report, &mut unused);
        }
        if judge == Judge::Everything {
            self.severities
                .unused(&self.severities_used, could_report, &mut unused);
        }

        if let Some(path) = self.write_to {
            let records = kept
                .iter()
                .filter(|d| d.severity != Severity::Note && !is_about_the_lists(store, d))
                .map(|d| baseline::Record::of(d, &paths))
                .collect();
            summary.to_write = Some((path, records));
        }
        if let Some(file) = self.baseline {
            summary.baselined = file.apply(&mut kept, &paths, &mut self.baseline_used);
            if judge == Judge::Everything {
                file.unused(&self.baseline_used, could_report, &mut unused);
            }
            summary.baseline = Some(file.source.display.clone());
            summary.baseline_source = Some(file.source);
        }

        if let Some((reference, changed)) = self.changed {
            let before = kept.len();
            kept.retain(|d| changed.keeps(d) || is_about_the_lists(store, d));
            summary.changed_since = Some((reference, before - kept.len()));
        }

        kept.extend(unused);
        *diagnostics = kept;
        summary
    }
}

/// Whether a diagnostic lies in the configuration file (an `[[allow]]` entry that matched
/// nothing): it is about the lists of accepted findings, not about the tree, so a baseline does
/// not record it and `--changed-since` does not leave it out.
fn is_about_the_lists(store: &Store, diagnostic: &Diagnostic) -> bool {
    store
        .config
        .source
        .as_ref()
        .is_some_and(|source| diagnostic.file.as_deref() == Some(source.display.as_str()))
}

/// Turns displayed paths (relative to the project) into paths relative to the store, as the
/// configuration and the baseline write them, so that they do not depend on where the store is
/// checked from.
pub struct Paths {
    /// The store's folder as displayed, with a trailing `/`; empty when it is the display base.
    prefix: String,
}

impl Paths {
    fn new(store: &Store) -> Paths {
        let shown = store.display(&store.root);
        let prefix = if shown.is_empty() {
            String::new()
        } else {
            format!("{shown}/")
        };
        Paths { prefix }
    }

    /// A displayed path relative to the store; a path outside the store stays as shown.
    pub fn in_store(&self, display: &str) -> String {
        display
            .strip_prefix(&self.prefix)
            .unwrap_or(display)
            .to_string()
    }
}
