//! `[[silence]]` entries of the configuration for codes other than the lint's: a finding of a
//! file (and line) that is accepted, such as a `dialect-leak` in a released migration. The lint
//! applies the silences of its own codes while it runs (`rules/lint/silence.rs`), with the lines
//! of a whole statement; these match a diagnostic by code, file, and a line within its span.

use crate::codes::Code;
use crate::config::acceptance::{EntryKind, UnusedEntry};
use crate::config::Silence;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::rules::lint::is_silenceable;
use crate::store::Store;

/// Whether a silence of a non-lint code covers a diagnostic; marks those that do as used.
pub fn silenced(silences: &[Silence], diagnostic: &Diagnostic) -> bool {
    let mut silenced = false;
    for silence in silences.iter().filter(|s| !is_silenceable(s.code)) {
        let line_matches = silence.line.is_none_or(|line| {
            diagnostic
                .span
                .is_some_and(|span| (span.start.line..=span.end.line).contains(&line))
        });
        if silence.code == diagnostic.code
            && diagnostic.file.as_deref() == Some(silence.display.as_str())
            && line_matches
        {
            silence.used.set(true);
            silenced = true;
        }
    }
    silenced
}

/// Reports the silences that silenced nothing among those the run could have used; `lint_only`
/// under a shard that sees only the lint's findings whole.
pub fn unused(
    store: &Store,
    lint_only: bool,
    could_report: impl Fn(Code, Option<Dialect>) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    let Some(source) = &store.config.source else {
        return;
    };
    let judged = |silence: &&Silence| {
        (!lint_only || is_silenceable(silence.code))
            && could_report(silence.code, store.dialect_of(&silence.display))
    };
    for silence in store.config.silences.iter().filter(judged) {
        if !silence.used.get() {
            out.push(Diagnostic::from(UnusedEntry {
                file: &source.display,
                span: silence.span,
                entry: EntryKind::Silence {
                    code: silence.code,
                    file: &silence.file,
                },
            }));
        }
    }
}
