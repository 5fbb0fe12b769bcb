//! The Markdown job summary that GitHub Actions shows on a run's page (appended to
//! `$GITHUB_STEP_SUMMARY`): the counts, the chains, and the errors.

use std::fmt::Write as _;

use crate::diagnostic::Severity;
use crate::replay;
use crate::validate::Outcome;

/// How many errors the summary lists; the annotations and the log have all of them.
const LISTED_ERRORS: usize = 50;

pub fn render(outcome: &Outcome) -> String {
    let counts = outcome.counts();
    let verdict = if counts.errors == 0 {
        "passed"
    } else {
        "failed"
    };
    let mut text = String::new();
    let _ = writeln!(text, "## validate-migrations: {} {verdict}\n", outcome.root);
    let _ = writeln!(
        text,
        "| errors | warnings | notes | files | statements | time |"
    );
    let _ = writeln!(text, "| --- | --- | --- | --- | --- | --- |");
    let _ = writeln!(
        text,
        "| {} | {} | {} | {} | {} | {:.2} s |\n",
        counts.errors,
        counts.warnings,
        counts.notes,
        outcome.files,
        outcome.statements,
        outcome.elapsed.as_secs_f64()
    );
    // What the baseline and `--changed-since` took out, as in the log's summary.
    for line in super::acceptance(outcome).lines() {
        let _ = writeln!(text, "- {line}");
    }
    if let Some(replay) = &outcome.replay {
        chains(&mut text, replay);
    }
    if !outcome.unchecked.is_empty() || !outcome.skipped_tags.is_empty() {
        let _ = writeln!(text, "### Not checked\n");
        for unchecked in &outcome.unchecked {
            let _ = writeln!(text, "- {}: {}", unchecked.what, unchecked.why);
        }
        for line in super::skipped_tags(&outcome.skipped_tags).lines() {
            let _ = writeln!(text, "- {line}");
        }
        text.push('\n');
    }
    errors(&mut text, outcome);
    text
}

/// The engines and a table of the chains, with whether each applied.
fn chains(text: &mut String, replay: &replay::Summary) {
    for engine in &replay.engines {
        let _ = writeln!(text, "- {engine}");
    }
    if !replay.chains.is_empty() {
        let _ = writeln!(text, "\n| dialect | chain | applied |");
        let _ = writeln!(text, "| --- | --- | --- |");
        for chain in &replay.chains {
            let mark = match (&chain.not_checked, chain.passed) {
                (Some(why), _) => format!("not checked ({why})"),
                (None, true) => "yes".to_string(),
                (None, false) => "**no**".to_string(),
            };
            let _ = writeln!(text, "| {} | {} | {mark} |", chain.dialect, chain.label());
        }
        text.push('\n');
    }
}

/// The errors, the first `LISTED_ERRORS` of them, each with its place and labels.
fn errors(text: &mut String, outcome: &Outcome) {
    let errors: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(text, "### Errors\n");
        for d in errors.iter().take(LISTED_ERRORS) {
            let location = match (&d.file, d.span) {
                (Some(file), Some(span)) => {
                    format!("`{file}:{}:{}` ", span.start.line, span.start.column)
                }
                (Some(file), None) => format!("`{file}` "),
                _ => String::new(),
            };
            let headline = d.message.lines().next().unwrap_or_default();
            let _ = writeln!(text, "- {location}**{}**: {headline}", d.code);
            for label in &d.labels {
                let _ = writeln!(text, "  - `{}`: {}", label.location(), label.message);
            }
        }
        if errors.len() > LISTED_ERRORS {
            let _ = writeln!(
                text,
                "- … and {} more (see the annotations)",
                errors.len() - LISTED_ERRORS
            );
        }
    }
}
