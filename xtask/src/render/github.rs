//! The GitHub format: one workflow command per diagnostic, which GitHub shows as an annotation on
//! the pull request's diff, then the human summary for the log.

use std::fmt::Write as _;

use crate::diagnostic::Severity;
use crate::validate::Outcome;

pub fn render(outcome: &Outcome) -> String {
    let mut text = String::new();
    for d in &outcome.diagnostics {
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
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        let _ = writeln!(
            text,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        );
    }
    text.push_str(&super::summary(outcome));
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
