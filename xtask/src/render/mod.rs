//! Renderers turn a finished run into text. They never decide anything: what is a problem, and
//! how grave, was settled by the checks.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod uri;

use std::fmt::Write as _;

use crate::codes::Code;
use crate::diagnostic::{Counts, Diagnostic};
use crate::dialect::Dialect;
use crate::replay;
use crate::validate::Outcome;

/// A diagnostic's message, help and labels as one text, for the formats that show one text per
/// diagnostic (GitHub annotations, JUnit).
pub(crate) fn message_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        let _ = write!(text, "\nhelp: {help}");
    }
    for label in &d.labels {
        let _ = write!(text, "\nnote: {}: {}", label.location(), label.message);
    }
    text
}

/// The closing lines every human-facing format prints: what was checked and what was found.
pub fn summary(outcome: &Outcome) -> String {
    let counts = outcome.counts();
    let mut text = String::new();
    if outcome
        .diagnostics
        .iter()
        .any(|d| d.code == Code::InvalidConfig)
    {
        // The run stopped at the configuration: it read no file and replayed nothing, so there
        // is nothing to count but the configuration's problems.
        let _ = writeln!(
            text,
            "{} not validated: its configuration is not valid (invalid-config)",
            outcome.root
        );
        text.push_str(&found(counts));
        return text;
    }
    let dialects: Vec<&str> = outcome.dialects.iter().map(|d| d.folder()).collect();
    // A tree without a dialect folder has no dialect to name.
    let dialects = if dialects.is_empty() {
        String::new()
    } else {
        format!(" ({})", dialects.join(", "))
    };
    let _ = writeln!(
        text,
        "validated {}{dialects}: {} files, {} statements, in {:.2}s",
        outcome.root,
        outcome.files,
        outcome.statements,
        outcome.elapsed.as_secs_f64()
    );
    replay_lines(&mut text, outcome);
    text.push_str(&skipped_tags(&outcome.skipped_tags));
    for unchecked in &outcome.unchecked {
        let _ = writeln!(text, "not checked: {}: {}", unchecked.what, unchecked.why);
    }
    text.push_str(&found(counts));
    text.push_str(&acceptance(outcome));
    text
}

/// `found 1 error, 2 warnings`, or `no problems found`.
fn found(counts: Counts) -> String {
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
        "no problems found\n".to_string()
    } else {
        format!("found {}\n", found.join(", "))
    }
}

/// What the replay did: its engines, and how many chains applied.
fn replay_lines(text: &mut String, outcome: &Outcome) {
    match &outcome.replay {
        None => text.push_str("replay: not run (--static-only)\n"),
        Some(replay) if replay.chains.is_empty() => {
            text.push_str("replay: no chain to replay\n");
        }
        Some(replay) => {
            for engine in &replay.engines {
                let _ = writeln!(text, "engine: {engine}");
            }
            let chains_where = |failed: &dyn Fn(&replay::ChainSummary) -> bool| -> Vec<String> {
                outcome
                    .dialects
                    .iter()
                    .flat_map(|dialect| engines_of(replay, *dialect))
                    .filter_map(|(dialect, engine)| {
                        let of_engine = replay
                            .chains
                            .iter()
                            .filter(|c| c.dialect == dialect && c.engine == engine);
                        let order: Vec<String> =
                            of_engine.clone().map(|c| c.name.clone()).collect();
                        let names: Vec<String> = of_engine
                            .filter(|c| failed(c))
                            .map(|c| c.name.clone())
                            .collect();
                        let named = match &engine {
                            Some(engine) => format!("{dialect} on {engine}"),
                            None => dialect.to_string(),
                        };
                        (!names.is_empty())
                            .then(|| format!("{named} ({})", replay::name_chains(&names, &order)))
                    })
                    .collect()
            };
            let failed =
                chains_where(&|c| !c.passed && c.not_checked.is_none() && !c.restore_failed);
            let unrestored = chains_where(&|c| c.restore_failed);
            let not_checked: Vec<String> = replay
                .chains
                .iter()
                .filter_map(|c| {
                    let why = c.not_checked.as_ref()?;
                    Some(format!("{}/{} ({why})", c.dialect, c.name))
                })
                .collect();
            let mut parts = Vec::new();
            if !failed.is_empty() {
                parts.push(format!("failed to apply: {}", failed.join(", ")));
            }
            if !unrestored.is_empty() {
                parts.push(format!("did not restore: {}", unrestored.join(", ")));
            }
            if !not_checked.is_empty() {
                parts.push(format!("not checked: {}", not_checked.join(", ")));
            }
            let applied = if parts.is_empty() {
                "all applied".to_string()
            } else {
                parts.join("; ")
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
}

/// The engines `dialect`'s chains ran on, as the chains name them: `None` alone where it ran on
/// one, each PostgreSQL major where it ran on several.
fn engines_of(replay: &replay::Summary, dialect: Dialect) -> Vec<(Dialect, Option<String>)> {
    let mut engines: Vec<(Dialect, Option<String>)> = Vec::new();
    for chain in replay.chains.iter().filter(|c| c.dialect == dialect) {
        let entry = (dialect, chain.engine.clone());
        if !engines.contains(&entry) {
            engines.push(entry);
        }
    }
    engines
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

/// A line per reason (and dialect) that tags of the release pattern were skipped for, so that
/// no tag goes unused silently: `tags skipped: v1.0.0-rc.1: pre-release (...)`. A long run of
/// tags is shown by its ends and its count.
pub(crate) fn skipped_tags(skipped: &[crate::git::releases::SkippedTag]) -> String {
    let mut groups: Vec<(Option<crate::dialect::Dialect>, String, Vec<&str>)> = Vec::new();
    for tag in skipped {
        let phrase = tag.reason.phrase();
        match groups
            .iter_mut()
            .find(|(dialect, known, _)| *dialect == tag.dialect && *known == phrase)
        {
            Some((_, _, tags)) => tags.push(&tag.tag),
            None => groups.push((tag.dialect, phrase, vec![&tag.tag])),
        }
    }
    let mut text = String::new();
    for (dialect, phrase, tags) in groups {
        let tags = match tags[..] {
            [first, _, _, _, .., last] => format!("{first} … {last} ({} tags)", tags.len()),
            _ => tags.join(", "),
        };
        let of = dialect.map(|d| format!(" ({d})")).unwrap_or_default();
        let _ = writeln!(text, "tags skipped{of}: {tags}: {phrase}");
    }
    text
}
