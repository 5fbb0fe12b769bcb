//! Where the reports go: each format to its file or to standard output, the job summary under
//! GitHub Actions, colour only on a terminal.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;

use super::flags::{ColorChoice, Format, FormatTarget};
use crate::codes::Code;
use crate::{render, validate};

/// Where each format goes: those of `--format`, or the default one to standard output. At
/// most one goes to standard output, where two would be mixed into one stream.
pub(super) fn format_targets(given: &[FormatTarget]) -> anyhow::Result<Vec<FormatTarget>> {
    let to_stdout = given.iter().filter(|t| t.path.is_none()).count();
    if to_stdout > 1 {
        anyhow::bail!(
            "--format names {to_stdout} formats without a file: give each but one a file, as \
             --format sarif=out.sarif"
        );
    }
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let format = if in_github_actions() {
        Format::Github
    } else {
        Format::Human
    };
    Ok(vec![FormatTarget { format, path: None }])
}

/// Writes the report in each of its formats, to its file or to stdout, and in GitHub Actions
/// the job summary too.
pub(super) fn report(
    outcome: &validate::Outcome,
    targets: &[FormatTarget],
    color: ColorChoice,
    context: &render::sarif::Context,
) -> anyhow::Result<()> {
    for target in targets {
        let text = match target.format {
            Format::Human => {
                render::human::render(outcome, use_color(color, target.path.is_none()))
            }
            Format::Json => render::json::render(outcome),
            Format::Github => render::github::render(outcome),
            Format::Junit => render::junit::render(outcome),
            Format::Sarif => render::sarif::render(outcome, context),
        };
        write_output(target.path.as_deref(), &text)?;
    }
    if in_github_actions() {
        step_summary(&render::markdown::render(outcome));
    }
    Ok(())
}

/// Writes a report to its file, or to stdout where it names none.
pub(super) fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write the report")
        }
    }
}

/// Whether a configuration the run cannot follow stopped it before the tree was read: exit 2,
/// as for every other reason the run could not look at the tree, with the problems on stderr
/// too, where every such reason is told.
pub(super) fn invalid_config(outcome: &validate::Outcome) -> bool {
    let invalid: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidConfig)
        .map(|d| match (&d.file, d.span) {
            (Some(file), Some(span)) => format!(
                "{file}:{}:{}: {}",
                span.start.line, span.start.column, d.message
            ),
            _ => d.message.clone(),
        })
        .collect();
    if !invalid.is_empty() {
        eprintln!(
            "error: the configuration is not valid:\n  {}",
            invalid.join("\n  ")
        );
    }
    !invalid.is_empty()
}

/// Appends to the job summary of GitHub Actions, where `$GITHUB_STEP_SUMMARY` names it. The
/// summary is a courtesy beside the report: one that cannot be written is a warning, never a
/// failed run.
pub(super) fn step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let path = Path::new(&path);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(markdown.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "warning: cannot write the job summary to {} ($GITHUB_STEP_SUMMARY): {error}",
            path.display()
        );
    }
}

pub(super) fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Whether human output is coloured; `auto` colours only standard output on a terminal, never
/// a file.
pub(super) fn use_color(choice: ColorChoice, to_stdout: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_stdout && std::io::stdout().is_terminal(),
    }
}
