//! The JSON format: one document per run, described in `docs/json.md`. Its shape is a public
//! interface: fields are added, never renamed or removed, and `format` changes if they must be.

use serde::Serialize;

use crate::diagnostic::{Counts, Diagnostic};
use crate::dialect::Dialect;
use crate::replay;
use crate::validate::{Outcome, Unchecked};

pub const FORMAT: &str = "validate-migrations/1";

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    root: &'a str,
    dialects: &'a [Dialect],
    summary: Summary,
    /// `null` with `--static-only`.
    replay: Option<&'a replay::Summary>,
    /// What the run did not check, and why.
    unchecked: &'a [Unchecked],
    /// Tags of the release pattern that no check or chain used, with the reason.
    skipped_tags: &'a [crate::git::releases::SkippedTag],
    /// What the baseline and `--changed-since` did; absent when neither was in play.
    #[serde(skip_serializing_if = "Option::is_none")]
    acceptance: Option<Acceptance<'a>>,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Acceptance<'a> {
    /// The baseline file that was read; `null` when there is none.
    baseline: Option<&'a str>,
    /// How many findings the baseline turned into notes.
    baselined: usize,
    /// Under `--changed-since`: the reference and how many static findings were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_since: Option<ChangedSince<'a>>,
}

#[derive(Serialize)]
struct ChangedSince<'a> {
    reference: &'a str,
    left_out: usize,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    statements: usize,
    #[serde(flatten)]
    counts: Counts,
    elapsed_ms: u128,
}

pub fn render(outcome: &Outcome) -> String {
    let document = Document {
        format: FORMAT,
        root: &outcome.root,
        dialects: &outcome.dialects,
        summary: Summary {
            files: outcome.files,
            statements: outcome.statements,
            counts: outcome.counts(),
            elapsed_ms: outcome.elapsed.as_millis(),
        },
        replay: outcome.replay.as_ref(),
        unchecked: &outcome.unchecked,
        skipped_tags: &outcome.skipped_tags,
        acceptance: acceptance(outcome),
        diagnostics: &outcome.diagnostics,
    };
    // Serializing plain data into a string cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn acceptance(outcome: &Outcome) -> Option<Acceptance<'_>> {
    let summary = &outcome.acceptance;
    if summary.baseline.is_none() && summary.changed_since.is_none() {
        return None;
    }
    Some(Acceptance {
        baseline: summary.baseline.as_deref(),
        baselined: summary.baselined,
        changed_since: summary
            .changed_since
            .as_ref()
            .map(|(reference, left_out)| ChangedSince {
                reference,
                left_out: *left_out,
            }),
    })
}
