//! The human format: each diagnostic with a snippet of its line, in the manner of rustc, then the
//! summary. Colour is the caller's decision (a TTY, and no `NO_COLOR`).

use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;
use crate::validate::Outcome;

struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> &'static str {
        match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Note => "1;36",
        }
    }
}

const GUTTER: &str = "1;34";
const BOLD: &str = "1";

pub fn render(outcome: &Outcome, color: bool) -> String {
    let palette = Palette { color };
    let mut text = String::new();
    for diagnostic in &outcome.diagnostics {
        let source = diagnostic
            .file
            .as_ref()
            .and_then(|f| outcome.sources.get(f));
        render_one(&mut text, diagnostic, source, &palette);
        text.push('\n');
    }
    text.push_str(&super::summary(outcome));
    text
}

fn render_one(text: &mut String, d: &Diagnostic, source: Option<&SourceFile>, palette: &Palette) {
    let style = palette.severity(d.severity);
    let head = format!("{}[{}]", d.severity.as_str(), d.code);
    let _ = writeln!(
        text,
        "{}{}",
        palette.paint(style, &head),
        palette.paint(BOLD, &format!(": {}", d.message))
    );
    let line_number = d.span.map(|s| s.start.line.to_string()).unwrap_or_default();
    let pad = " ".repeat(line_number.len().max(1));
    if let Some(file) = &d.file {
        let location = match d.span {
            Some(span) => format!("{file}:{}:{}", span.start.line, span.start.column),
            None => file.clone(),
        };
        let _ = writeln!(text, "{pad}{} {location}", palette.paint(GUTTER, "-->"));
    }
    let snippet_line = d
        .span
        .zip(source)
        .and_then(|(span, source)| source.line(span.start.line).map(|line| (span, line)));
    if let Some((span, line)) = snippet_line {
        let bar = palette.paint(GUTTER, "|");
        // Tabs become single spaces so that the carets line up with the characters above them.
        let shown: String = line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let width = shown.chars().count() as u32;
        let start = span.start.column.clamp(1, width + 1);
        let end = if span.end.line == span.start.line {
            span.end.column.clamp(start + 1, width.max(start) + 1)
        } else {
            width.max(start) + 1
        };
        let carets = format!(
            "{}{}",
            " ".repeat((start - 1) as usize),
            "^".repeat((end - start) as usize)
        );
        let _ = writeln!(text, "{pad} {bar}");
        let _ = writeln!(
            text,
            "{} {bar} {shown}",
            palette.paint(GUTTER, &line_number)
        );
        let _ = writeln!(text, "{pad} {bar} {}", palette.paint(style, &carets));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(text, "{pad} {} {help}", palette.paint(GUTTER, "= help:"));
    }
}
