//! The entries of the configuration (and of the baseline) that accept findings, as far as the
//! configuration reads them: `[[silence]]` entries, and the diagnostic every kind of entry
//! becomes when it accepted nothing (`UnusedEntry`), written in one place for all of them.

use super::problems::Problems;
use super::raw::RawSilence;
use super::relative;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};

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
        let Some(code) = Code::from_name(&entry.code) else {
            let unknown = crate::codes::unknown_code(&entry.code);
            problems.at(Some(span), format!("[[silence]]: {unknown}"));
            continue;
        };
        if let Some(refusal) = crate::codes::refusal(code) {
            problems.at(
                Some(span),
                format!("[[silence]]: `{}` {refusal}", entry.code),
            );
            continue;
        }
        if entry.reason.trim().is_empty() {
            problems.at(
                Some(span),
                "a silence needs a reason: say why this finding is accepted",
            );
            continue;
        }
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
    /// `[[silence]]`: its code and the migration it names.
    Silence { code: Code, file: &'a str },
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
