//! The GitHub format: one workflow command per diagnostic, which GitHub shows as an annotation on
//! the pull request's diff, then the human summary for the log.

use std::fmt::Write as _;

use crate::diagnostic::Severity;
use crate::validate::Outcome;

/// How many annotations of each of the severities error and warning GitHub shows per step; it
/// drops the rest.
const SHOWN_PER_STEP: usize = 10;

pub fn render(outcome: &Outcome) -> String {
    let mut text = String::new();
    // Errors first, then warnings, then notes: GitHub keeps the first annotations of each kind
    // of a step, and an error must not be lost behind notes. The sort is stable, so each
    // severity keeps the order of files and positions.
    let mut ordered: Vec<_> = outcome.diagnostics.iter().collect();
    ordered.sort_by_key(|d| d.severity);
    for d in ordered {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = Vec::new();
        if let Some(file) = &d.file {
            properties.push(format!("file={}", escape_property(file)));
        }
        if let Some(span) = d.span {
            properties.push(format!("line={}", span.start.line));
            properties.push(format!("col={}", span.start.column));
            if span.end.line > span.start.line {
                properties.push(format!("endLine={}", span.end.line));
            } else {
                properties.push(format!("endColumn={}", span.end.column));
            }
        }
        properties.push(format!("title={}", escape_property(d.code.name())));
        let message = super::message_text(d);
        let _ = writeln!(
            text,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        );
    }
    text.push_str(&super::summary(outcome));
    let counts = outcome.counts();
    let beyond = |n: usize| n.saturating_sub(SHOWN_PER_STEP);
    let (errors, warnings) = (beyond(counts.errors), beyond(counts.warnings));
    if errors + warnings > 0 {
        let _ = writeln!(
            text,
            "annotations: GitHub shows the first {SHOWN_PER_STEP} errors and {SHOWN_PER_STEP} \
             warnings of a step; {errors} error{} and {warnings} warning{} beyond those are not \
             annotated (they are all in this log)",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        );
    }
    text
}

/// Escapes a message the way the Actions runner unescapes it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value, where `:` and `,` also separate things.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_runner_would_split_on() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
