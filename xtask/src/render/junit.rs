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
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"validate-migrations\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
        cases.len(),
        outcome.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">",
        escape(&outcome.root),
        cases.len()
    );
    for case in &cases {
        testcase(&mut xml, case, outcome);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One `<testcase>`: failed with its errors, its warnings and notes as its output.
fn testcase(xml: &mut String, case: &TestCase, outcome: &Outcome) {
    let _ = write!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(&case.classname),
        escape(&case.name)
    );
    if case.diagnostics.is_empty() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
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
            escape(errors[0].code.name()),
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
