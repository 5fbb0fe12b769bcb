//! Renderers turn a finished run into text. They never decide anything: what is a problem, and
//! how grave, was settled by the checks.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::fmt::Write as _;

use crate::validate::Outcome;

/// The closing lines every human-facing format prints: what was checked and what was found.
pub fn summary(outcome: &Outcome) -> String {
    let dialects: Vec<&str> = outcome.dialects.iter().map(|d| d.folder()).collect();
    let counts = outcome.counts();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "validated {} ({}): {} files, {} statements, in {:.2}s",
        outcome.root,
        dialects.join(", "),
        outcome.files,
        outcome.statements,
        outcome.elapsed.as_secs_f64()
    );
    match &outcome.replay {
        None => text.push_str("replay: not run (--static-only)\n"),
        Some(replay) if replay.chains.is_empty() => {
            text.push_str("replay: no chain to replay\n");
        }
        Some(replay) => {
            for engine in &replay.engines {
                let _ = writeln!(text, "engine: {engine}");
            }
            let failed: Vec<String> = replay
                .chains
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}/{}", c.dialect, c.name))
                .collect();
            let applied = if failed.is_empty() {
                "all applied".to_string()
            } else {
                format!("failed to apply: {}", failed.join(", "))
            };
            let chains = replay.chains.len();
            let _ = writeln!(
                text,
                "replay: {chains} chain{}, {} statements, {applied}",
                if chains == 1 { "" } else { "s" },
                replay.statements,
            );
        }
    }
    let found = [
        (counts.errors, "error"),
        (counts.warnings, "warning"),
        (counts.notes, "note"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
    .collect::<Vec<_>>();
    if found.is_empty() {
        text.push_str("no problems found\n");
    } else {
        let _ = writeln!(text, "found {}", found.join(", "));
    }
    text.push_str(&acceptance(outcome));
    text
}

/// What the baseline and `--changed-since` took out of the findings above, so that a run never
/// looks cleaner than the tree without saying why.
pub(crate) fn acceptance(outcome: &Outcome) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let summary = &outcome.acceptance;
    let mut text = String::new();
    if let Some(baseline) = &summary.baseline {
        let n = summary.baselined;
        let _ = writeln!(
            text,
            "baseline: {n} finding{} recorded in {baseline} reported as note{}",
            plural(n),
            plural(n)
        );
    }
    if let Some((reference, n)) = &summary.changed_since {
        let _ = writeln!(
            text,
            "--changed-since {reference}: {n} static finding{} left out, in files not changed \
             since {reference} (the replay's findings are all reported)",
            plural(*n)
        );
    }
    text
}
