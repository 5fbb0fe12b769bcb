//! The human format: each diagnostic with a snippet of its line, in the manner of rustc, then the
//! summary. Colour is the caller's decision (a TTY, and no `NO_COLOR`).

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use crate::diagnostic::{Diagnostic, Label, Severity, Span};
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
        for label in &diagnostic.labels {
            let source = outcome.sources.get(&label.file);
            render_label(&mut text, diagnostic, label, source, &palette);
        }
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
    let pad = gutter_pad(d);
    let line_number = d
        .span
        .map(|s| format!("{:>width$}", s.start.line, width = pad.len()))
        .unwrap_or_default();
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
        let (shown, carets) = snippet(line, span);
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

/// The gutter's width: that of the widest line number the diagnostic and its labels show.
fn gutter_pad(d: &Diagnostic) -> String {
    let widest = d
        .span
        .iter()
        .chain(d.labels.iter().filter_map(|l| l.span.as_ref()))
        .map(|span| span.start.line.to_string().len())
        .max()
        .unwrap_or(1);
    " ".repeat(widest)
}

/// A label: its place and a snippet with the message under it where its file is at hand, else
/// a `note:` line with the place.
fn render_label(
    text: &mut String,
    d: &Diagnostic,
    label: &Label,
    source: Option<&SourceFile>,
    palette: &Palette,
) {
    let pad = gutter_pad(d);
    let snippet_line = label
        .span
        .zip(source)
        .and_then(|(span, source)| source.line(span.start.line).map(|line| (span, line)));
    let Some((span, line)) = snippet_line else {
        let _ = writeln!(
            text,
            "{pad} {} {}: {}",
            palette.paint(GUTTER, "= note:"),
            label.location(),
            label.message
        );
        return;
    };
    let bar = palette.paint(GUTTER, "|");
    let (shown, marks) = snippet(line, span);
    let marks = marks.replace('^', "-");
    let number = format!("{:>width$}", span.start.line, width = pad.len());
    let _ = writeln!(
        text,
        "{pad}{} {}",
        palette.paint(GUTTER, ":::"),
        label.location()
    );
    let _ = writeln!(text, "{pad} {bar}");
    let _ = writeln!(text, "{} {bar} {shown}", palette.paint(GUTTER, &number));
    let _ = writeln!(
        text,
        "{pad} {bar} {}",
        palette.paint(GUTTER, &format!("{marks} {}", label.message))
    );
}

/// How many characters of a line a snippet shows: a wide screen's width (ordinary SQL, stamps
/// included, fits whole), so that a line of megabytes prints no more than one of ordinary code.
const SNIPPET_WIDTH: usize = 160;

/// The part of `line` a snippet shows and the carets under the span. A line wider than
/// `SNIPPET_WIDTH` is shown around the span's start, with `…` where it was cut.
fn snippet(line: &str, span: Span) -> (String, String) {
    let width = line.chars().count();
    let start = (span.start.column as usize).clamp(1, width + 1);
    let end = if span.end.line == span.start.line {
        (span.end.column as usize).clamp(start + 1, width.max(start) + 1)
    } else {
        width.max(start) + 1
    };
    // The window of 0-based character indices shown: the whole line where it fits, else a third
    // of the width before the span's start and the rest after it.
    let (from, to) = if width <= SNIPPET_WIDTH {
        (0, width)
    } else {
        let from = (start - 1).saturating_sub(SNIPPET_WIDTH / 3);
        let to = (from + SNIPPET_WIDTH).min(width);
        (to.saturating_sub(SNIPPET_WIDTH), to)
    };
    // Tabs become single spaces so that the carets line up with the characters above them;
    // other control characters become `?`, so that a line cannot drive the reader's terminal.
    let shown_chars: Vec<char> = line
        .chars()
        .skip(from)
        .take(to - from)
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect();
    let mut shown: String = if from > 0 {
        "…".into()
    } else {
        String::new()
    };
    shown.extend(&shown_chars);
    if to < width {
        shown.push('…');
    }
    // Carets go under the characters by the columns a terminal gives them: two for a CJK
    // character, none for a combining mark, so that they stay under the span after wide text.
    let columns = |chars: &[char]| -> usize { chars.iter().map(|c| c.width().unwrap_or(0)).sum() };
    let lead = usize::from(from > 0);
    let first = (start - 1 - from).min(shown_chars.len());
    let last = ((end - 1).min(to.max(start)) - from).clamp(first, shown_chars.len());
    let caret_start = lead + columns(&shown_chars[..first]);
    let caret_len = columns(&shown_chars[first..last]).max(1);
    let carets = format!("{}{}", " ".repeat(caret_start), "^".repeat(caret_len));
    (shown, carets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Position;

    #[test]
    fn a_long_line_is_shown_around_the_span() {
        let line = format!("{}SELEC 1;{}", "x".repeat(10_000), "y".repeat(10_000));
        let span = Span::new(Position::new(1, 10_001), Position::new(1, 10_006));
        let (shown, carets) = snippet(&line, span);
        assert_eq!(shown.chars().count(), SNIPPET_WIDTH + 2);
        let at = carets.find('^').unwrap_or_default();
        assert_eq!(carets.len() - at, 5);
        let under: String = shown.chars().skip(at).take(5).collect();
        assert_eq!(under, "SELEC");
    }

    #[test]
    fn carets_are_placed_by_display_width() {
        // `表名` takes four columns, the combining accent of `é` none.
        let line = "-- 表名 e\u{301}: SELEC 1;";
        let span = Span::new(Position::new(1, 11), Position::new(1, 16));
        let (shown, carets) = snippet(line, span);
        assert_eq!(shown, line);
        assert_eq!(carets, format!("{}^^^^^", " ".repeat(11)));
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let span = Span::new(Position::new(1, 1), Position::new(1, 7));
        let (shown, carets) = snippet("SELECT\t1;", span);
        assert_eq!(shown, "SELECT 1;");
        assert_eq!(carets, "^^^^^^");
    }
}
