//! The release check's report: the validation as `validate-migrations` renders it (the gates'
//! diagnostics among the others), the verdict, then the release notes.

use serde::Serialize;

use super::ReleaseOutcome;
use crate::render;

pub const FORMAT: &str = "release-check/1";

/// The human report: diagnostics and summary, the verdict line, a blank line, the notes.
pub fn human(outcome: &ReleaseOutcome, color: bool) -> String {
    let mut text = render::human::render(&outcome.validation, color);
    let release = &outcome.release;
    if release.given_as_tag {
        text.push_str(&format!(
            "note: `{}` is read as version {}; the release's tag will be {}\n",
            release.tag, release.version, release.tag
        ));
    }
    let verdict = outcome.verdict();
    let style = if outcome.is_ready() { "1;32" } else { "1;31" };
    if color {
        text.push_str(&format!("\x1b[{style}m{verdict}\x1b[0m\n"));
    } else {
        text.push_str(&verdict);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&outcome.notes);
    text
}

/// The GitHub format: the validation's annotations and log text, the verdict, then the notes
/// for the log.
pub fn github(outcome: &ReleaseOutcome) -> String {
    let mut text = render::github::render(&outcome.validation);
    if !outcome.is_ready() {
        // An annotation with the verdict, so that a failed release job says why at the top of
        // its page and not only in the log.
        text.push_str(&format!(
            "::error title=release-check::{}\n",
            outcome.verdict()
        ));
    }
    text.push_str(&outcome.verdict());
    text.push_str("\n\n");
    text.push_str(&outcome.notes);
    text
}

/// The job summary of a release check: the verdict, the release notes of a ready release, and
/// the validation's own summary (its counts, chains and errors).
pub fn markdown(outcome: &ReleaseOutcome) -> String {
    let mut text = format!("## {}\n\n", outcome.verdict());
    if outcome.is_ready() {
        text.push_str("### Release notes\n\n");
        text.push_str(&outcome.notes);
        if !outcome.notes.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str(&render::markdown::render(&outcome.validation));
    text
}

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    version: String,
    tag: &'a str,
    /// The release the notes compare with; `null` for a first release.
    previous: Option<&'a str>,
    ready: bool,
    problems: usize,
    notes: &'a str,
    /// The `validate-migrations/1` document of the validation, gates included.
    validation: serde_json::Value,
}

/// One JSON document: the release, the verdict, the notes, and the validation's own document.
pub fn json(outcome: &ReleaseOutcome) -> String {
    // The validation's document is the JSON renderer's output, embedded as it is, so that its
    // shape stays the one `docs/json.md` describes; that renderer always writes valid JSON.
    let validation = serde_json::from_str(&render::json::render(&outcome.validation))
        .unwrap_or(serde_json::Value::Null);
    let document = Document {
        format: FORMAT,
        version: outcome.release.version.to_string(),
        tag: &outcome.release.tag,
        previous: outcome.previous.as_ref().map(|p| p.tag.as_str()),
        ready: outcome.is_ready(),
        problems: outcome.problems(),
        notes: &outcome.notes,
        validation,
    };
    // Serializing plain data into a string cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
