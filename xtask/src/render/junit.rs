//! The JUnit XML format, which CI systems show as test results: a test case per static check and
//! dialect, and one per replayed chain. A test case fails with the errors that belong to it;
//! warnings and notes go to its output. An error that belongs to no test case fails a last
//! `other` case, so that nothing is lost.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::validate::Outcome;

/// Groups of codes that are judged by the replay, per chain, rather than per dialect.
const CHAIN_GROUPS: [&str; 2] = ["replay", "diff"];

struct TestCase {
    classname: String,
    name: String,
    diagnostics: Vec<usize>,
    /// Why a chain was stopped unchecked (`replay.skip-extensions`): the case is skipped.
    not_checked: Option<String>,
}

/// The test cases of a run, each with the diagnostics that belong to it.
fn cases(outcome: &Outcome) -> Vec<TestCase> {
    let mut cases = Vec::new();
    let groups: BTreeSet<&str> = Code::ALL
        .iter()
        .map(|c| c.group())
        .filter(|g| !CHAIN_GROUPS.contains(g))
        .collect();
    let mut placed = vec![false; outcome.diagnostics.len()];
    let collect = |matches: &dyn Fn(&Diagnostic) -> bool, placed: &mut Vec<bool>| {
        let found: Vec<usize> = outcome
            .diagnostics
            .iter()
            .enumerate()
            .filter(|(_, d)| matches(d))
            .map(|(i, _)| i)
            .collect();
        for &i in &found {
            placed[i] = true;
        }
        found
    };
    for group in &groups {
        for dialect in outcome.dialects.iter().map(|d| Some(*d)).chain([None]) {
            let name = match dialect {
                Some(dialect) => format!("{group} ({dialect})"),
                None => format!("{group} (tree)"),
            };
            let diagnostics = collect(
                &|d: &Diagnostic| d.code.group() == *group && d.dialect == dialect,
                &mut placed,
            );
            cases.push(TestCase {
                classname: "static".into(),
                name,
                diagnostics,
                not_checked: None,
            });
        }
    }
    if let Some(replay) = &outcome.replay {
        for chain in &replay.chains {
            let diagnostics = collect(
                &|d: &Diagnostic| CHAIN_GROUPS.contains(&d.code.group()) && chain.has(d),
                &mut placed,
            );
            cases.push(TestCase {
                classname: format!("replay.{}", chain.dialect),
                name: chain.label(),
                diagnostics,
                not_checked: chain.not_checked.clone(),
            });
        }
    }
    let rest: Vec<usize> = (0..outcome.diagnostics.len())
        .filter(|i| !placed[*i])
        .collect();
    if !rest.is_empty() {
        cases.push(TestCase {
            classname: "validate-migrations".into(),
            name: "other".into(),
            diagnostics: rest,
            not_checked: None,
        });
    }
    cases
}

pub fn render(outcome: &Outcome) -> String {
    let cases = cases(outcome);
    let failed = |case: &TestCase| {
        case.diagnostics
            .iter()
            .any(|&i| outcome.diagnostics[i].severity == Severity::Error)
    };
    let failures = cases.iter().filter(|c| failed(c)).count();
    let skipped = cases.iter().filter(|c| c.not_checked.is_some()).count();
    // `errors` counts test cases that could not run at all; a run that could not look at the
    // tree stops before any format is written, so every case here ran or was skipped.
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\"",
        cases.len()
    );
    let time = format!("{:.3}", outcome.elapsed.as_secs_f64());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"validate-migrations\" {counts} time=\"{time}\">"
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" {counts} skipped=\"{skipped}\" time=\"{time}\">",
        attribute(&outcome.root),
    );
    for case in &cases {
        testcase(&mut xml, case, outcome);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One `<testcase>`: failed with its errors, its warnings and notes as its output. The tool
/// does not time its checks one by one, so each case's time is 0 and the suite's is the run's.
fn testcase(xml: &mut String, case: &TestCase, outcome: &Outcome) {
    let _ = write!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0.000\"",
        attribute(&case.classname),
        attribute(&case.name)
    );
    if case.diagnostics.is_empty() && case.not_checked.is_none() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    if let Some(why) = &case.not_checked {
        let _ = writeln!(xml, "      <skipped message=\"{}\"/>", attribute(why));
    }
    let (errors, others): (Vec<&Diagnostic>, Vec<&Diagnostic>) = case
        .diagnostics
        .iter()
        .map(|&i| &outcome.diagnostics[i])
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        let _ = writeln!(
            xml,
            "      <failure message=\"{} error{}\" type=\"{}\">{}</failure>",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            attribute(errors[0].code.name()),
            escape(&describe(&errors))
        );
    }
    if !others.is_empty() {
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>",
            escape(&describe(&others))
        );
    }
    xml.push_str("    </testcase>\n");
}

/// One diagnostic a line (and its body lines), with its location.
fn describe(diagnostics: &[&Diagnostic]) -> String {
    let mut text = String::new();
    for d in diagnostics {
        let location = match (&d.file, d.span) {
            (Some(file), Some(span)) => {
                format!("{file}:{}:{}: ", span.start.line, span.start.column)
            }
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        let _ = writeln!(
            text,
            "{location}{}[{}]: {}",
            d.severity.as_str(),
            d.code,
            d.message
        );
        if let Some(help) = &d.help {
            let _ = writeln!(text, "  help: {help}");
        }
        for label in &d.labels {
            let _ = writeln!(text, "  note: {}: {}", label.location(), label.message);
        }
    }
    text
}

/// Text as an XML attribute value: as character data, with line breaks and tabs as character
/// references, which an attribute keeps (a parser turns literal ones into spaces).
fn attribute(text: &str) -> String {
    escape(text).replace('\n', "&#10;").replace('\t', "&#9;")
}

/// Text as XML 1.0 character data: markup characters as entities, a carriage return as a
/// character reference (a parser would turn a literal one into a line feed), and the characters
/// XML 1.0 cannot hold at all (other control characters, U+FFFE, U+FFFF) shown as `\u{..}`
/// escapes, so that a control character in a file name cannot make the document unreadable.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' | '\t' => escaped.push(c),
            '\r' => escaped.push_str("&#13;"),
            c if allowed_in_xml(c) => escaped.push(c),
            c => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    escaped
}

/// XML 1.0's `Char` production, less the three whitespace controls handled above; the
/// discouraged C1 controls are escaped too, since a terminal reads them as commands.
fn allowed_in_xml(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_hold_are_escaped() {
        assert_eq!(
            escape("a\u{1}b\u{1b}c\u{9b}d\u{ffff}<\"\n\r"),
            "a\\u{1}b\\u{1b}c\\u{9b}d\\u{ffff}&lt;&quot;\n&#13;"
        );
        assert_eq!(attribute("a\nb\tc"), "a&#10;b&#9;c");
    }
}
