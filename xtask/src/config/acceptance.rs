//! The entries of the configuration (and of the baseline) that accept findings, as far as the
//! configuration reads them: `[[silence]]`, `[[allow]]` and `[[severity]]` entries, each checked
//! here so that a wrong one is an `invalid-config` problem at its place like any other key, and
//! the diagnostic every kind of entry becomes when it accepted nothing (`UnusedEntry`), written
//! in one place for all of them. The acceptance stage (`accept/`, `allowlist.rs`) applies them.

use serde::Deserialize;

use super::problems::Problems;
use super::raw::{RawAllow, RawSeverity, RawSilence};
use super::relative;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::dialect::Dialect;

/// A finding accepted in the configuration rather than by a comment in the file: the way to
/// silence a finding in a released migration, whose text must not change. The acceptance stage
/// (`accept/silence.rs`) applies them and records which were used.
#[derive(Debug)]
pub struct Silence {
    pub code: Code,
    /// The migration, relative to the store.
    pub file: String,
    /// The migration as diagnostics show it.
    pub display: String,
    /// A line of the statement it silences; every statement of the file when absent.
    pub line: Option<u32>,
    /// The entry in the configuration file.
    pub span: Span,
}

/// The `[[silence]]` entries, checked: a known code that may be silenced, a reason, a path in
/// the store. A wrong entry is recorded and left out.
pub(super) fn silences(
    raw: Vec<toml::Spanned<RawSilence>>,
    problems: &mut Problems,
    display: impl Fn(&str) -> String,
) -> Vec<Silence> {
    let mut silences = Vec::new();
    for spanned in raw {
        let span = problems.line_at(spanned.span().start);
        let entry = spanned.into_inner();
        let reason = "a silence needs a reason: say why this finding is accepted";
        let Some(code) = accepted_entry(
            "silence",
            &entry.code,
            &entry.reason,
            span,
            problems,
            reason,
        ) else {
            continue;
        };
        let file = match relative("silence.file", &entry.file) {
            Ok(file) => file,
            Err(error) => {
                problems.at(Some(span), format!("{error:#}"));
                continue;
            }
        };
        silences.push(Silence {
            code,
            display: display(&file),
            file,
            line: entry.line,
            span,
        });
    }
    silences
}

/// The code an entry of `table` (`silence`, `severity`) names, if it exists and may be accepted
/// (not a release gate, not a report of an unused entry); else its problem is recorded.
fn accepted_code(table: &str, name: &str, span: Span, problems: &mut Problems) -> Option<Code> {
    let Some(code) = Code::from_name(name) else {
        let unknown = crate::codes::unknown_code(name);
        problems.at(Some(span), format!("[[{table}]]: {unknown}"));
        return None;
    };
    if let Some(refusal) = crate::codes::refusal(code) {
        problems.at(Some(span), format!("[[{table}]]: `{name}` {refusal}"));
        return None;
    }
    Some(code)
}

/// The code of a `[[silence]]` or `[[severity]]` entry, where it names one that may be accepted
/// and gives a reason; otherwise its problem is recorded (`missing`: the message for a missing
/// reason).
fn accepted_entry(
    table: &str,
    name: &str,
    reason: &str,
    span: Span,
    problems: &mut Problems,
    missing: &str,
) -> Option<Code> {
    let code = accepted_code(table, name, span, problems)?;
    has_reason(reason, span, problems, missing).then_some(code)
}

/// Whether an entry gives a reason; else `missing` is recorded as its problem, since an
/// accepted finding nobody can explain is one nobody can review.
fn has_reason(reason: &str, span: Span, problems: &mut Problems, missing: &str) -> bool {
    let given = !reason.trim().is_empty();
    if !given {
        problems.at(Some(span), missing);
    }
    given
}

/// What an `[[allow]]` entry accepts: a drift of a chain from its dialect's fresh install, or a
/// difference between the dialects' fresh installs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowCheck {
    #[default]
    Drift,
    Parity,
    /// A loss of rows or values in an upgrade chain (`data-lost`).
    Data,
}

/// An `[[allow]]` entry: a schema difference accepted with a reason (`allowlist.rs` matches it).
#[derive(Debug, Clone)]
pub struct Allow {
    pub check: AllowCheck,
    pub dialect: Option<Dialect>,
    /// A chain name, or a prefix ending in `*`.
    pub chain: Option<String>,
    pub object: String,
    pub aspect: Option<String>,
    /// The entry in the configuration file.
    pub span: Span,
}

/// The `[[allow]]` entries, checked: a reason, and no `dialect` or `chain` on a parity entry. A
/// wrong entry is recorded and left out.
pub(super) fn allows(raw: Vec<toml::Spanned<RawAllow>>, problems: &mut Problems) -> Vec<Allow> {
    let mut allows = Vec::new();
    for spanned in raw {
        let span = problems.line_at(spanned.span().start);
        let entry = spanned.into_inner();
        if !has_reason(
            &entry.reason,
            span,
            problems,
            "an allow entry needs a reason: say why this drift is accepted",
        ) {
            continue;
        }
        if entry.check == AllowCheck::Parity && (entry.dialect.is_some() || entry.chain.is_some()) {
            problems.at(
                Some(span),
                "a parity entry takes no `dialect` or `chain`: a difference between the \
                 dialects' fresh installs belongs to both dialects and to no chain",
            );
            continue;
        }
        allows.push(Allow {
            check: entry.check,
            dialect: entry.dialect,
            chain: entry.chain,
            object: entry.object,
            aspect: entry.aspect,
            span,
        });
    }
    allows
}

/// The level a `[[severity]]` setting gives its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
    /// The finding is not reported at all.
    Off,
}

impl Level {
    /// The severity it stands for; `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Note => Some(Severity::Note),
            Level::Off => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
            Level::Off => "off",
        }
    }
}

/// A `[[severity]]` setting: a code's level, optionally per dialect and path glob
/// (`accept/severity.rs` applies it).
#[derive(Debug, Clone)]
pub struct SeveritySetting {
    pub code: Code,
    pub level: Level,
    pub dialect: Option<Dialect>,
    /// A path glob relative to the store.
    pub files: Option<String>,
    /// The entry in the configuration file.
    pub span: Span,
}

/// The `[[severity]]` settings, checked: a known code that may be set, a reason, and a glob
/// relative to the store. A wrong setting is recorded and left out.
pub(super) fn severities(
    raw: Vec<toml::Spanned<RawSeverity>>,
    problems: &mut Problems,
) -> Vec<SeveritySetting> {
    let mut settings = Vec::new();
    for spanned in raw {
        let span = problems.line_at(spanned.span().start);
        let raw = spanned.into_inner();
        let reason = "a severity setting needs a reason: say why this level is right here";
        let Some(code) = accepted_entry("severity", &raw.code, &raw.reason, span, problems, reason)
        else {
            continue;
        };
        if let Some(files) = raw.files.as_deref().filter(|files| {
            files.is_empty()
                || files.starts_with('/')
                || files.contains('\\')
                || files.split('/').any(|part| part == ".." || part.is_empty())
        }) {
            problems.at(
                Some(span),
                format!(
                    "files = `{files}` must be a glob relative to the store, with `/` separators \
                     (e.g. `migration/sqlite/0.1*/**`)"
                ),
            );
            continue;
        }
        settings.push(SeveritySetting {
            code,
            level: raw.level,
            dialect: raw.dialect,
            files: raw.files,
            span,
        });
    }
    settings
}

/// An entry of a list of accepted findings that accepted nothing in a run that could have
/// judged it, at its place in its file.
pub struct UnusedEntry<'a> {
    /// The file that holds the entry, as shown.
    pub file: &'a str,
    pub span: Span,
    pub entry: EntryKind<'a>,
}

/// The kinds of entries, each with what its message names.
pub enum EntryKind<'a> {
    /// `[[allow]]` of a drift: its object.
    Allow { object: &'a str },
    /// `[[allow]]` with `check = "parity"`: its object.
    ParityAllow { object: &'a str },
    /// `[[allow]]` with `check = "data"`: its object.
    DataAllow { object: &'a str },
    /// `[[silence]]`: its code and the migration it names.
    Silence { code: Code, file: &'a str },
    /// `[[silence]]` of a lint code in a migration below the minimum upgrade version
    /// (`minimum`, as shown), which the lint does not read: it can match nothing.
    UnlintedSilence {
        code: Code,
        file: &'a str,
        minimum: String,
    },
    /// `[[severity]]`: its code, its level and where it applies (` of sqlite in `0.1/*``).
    Severity {
        code: Code,
        level: &'a str,
        scope: String,
    },
    /// A baseline entry: its code and, where it has one, its file.
    Baseline {
        code: &'a str,
        file: Option<&'a str>,
    },
}

impl From<UnusedEntry<'_>> for Diagnostic {
    fn from(unused: UnusedEntry<'_>) -> Diagnostic {
        let (code, message, help) = match unused.entry {
            EntryKind::Allow { object } => (
                Code::UnusedAllow,
                format!("this allow entry for `{object}` matches no drift any more"),
                "remove the entry: the drift it allowed is gone (or its object, chain or aspect \
                 no longer match)",
            ),
            EntryKind::DataAllow { object } => (
                Code::UnusedAllow,
                format!("this data allow entry for `{object}` matches no loss of data any more"),
                "remove the entry: the upgrade keeps the data now (or its object, chain or aspect \
                 no longer match)",
            ),
            EntryKind::ParityAllow { object } => (
                Code::UnusedAllow,
                format!(
                    "this parity allow entry for `{object}` matches no difference between the \
                     dialects any more"
                ),
                "remove the entry: the dialects agree now (or its object or aspect no longer \
                 match)",
            ),
            EntryKind::Silence { code, file } => (
                Code::UnusedSilence,
                format!(
                    "this silence of `{}` in {file} matches no finding",
                    code.name()
                ),
                "remove the entry: the finding is gone (or its file or line moved)",
            ),
            EntryKind::UnlintedSilence {
                code,
                file,
                minimum,
            } => (
                Code::UnusedSilence,
                format!(
                    "this silence of `{}` in {file} matches no finding: the lint does not read \
                     migrations below the minimum upgrade version {minimum}",
                    code.name()
                ),
                "remove the entry: no installation can apply this migration any more, so the \
                 lint leaves it out (or set `lint.below-minimum-upgrade = true` to lint it again)",
            ),
            EntryKind::Severity { code, level, scope } => (
                Code::UnusedSeverity,
                format!(
                    "this severity setting (`{}` = {level}{scope}) matches no finding",
                    code.name()
                ),
                "remove the entry: the finding is gone, its file moved out of the glob, or a \
                 more specific setting decides it",
            ),
            EntryKind::Baseline { code, file } => (
                Code::UnusedBaseline,
                format!(
                    "this baseline entry for `{code}`{} matches no finding any more",
                    file.map(|file| format!(" in {file}")).unwrap_or_default()
                ),
                "remove the entry (the finding was fixed, or its file or message changed), or \
                 write the baseline again with --write-baseline",
            ),
        };
        Diagnostic::new(code, message)
            .file(unused.file)
            .span(unused.span)
            .help(help)
    }
}
