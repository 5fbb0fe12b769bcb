//! SARIF 2.1.0, the format of GitHub code scanning and other static-analysis dashboards: every
//! code is a rule with its explanation, every diagnostic a result with its location.

use serde_json::{json, Value};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::validate::Outcome;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(outcome: &Outcome) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.name(),
                "shortDescription": { "text": code.summary() },
                "fullDescription": { "text": code.explanation() },
                "defaultConfiguration": { "level": level(code.severity()) },
                "properties": { "group": code.group() },
            })
        })
        .collect();
    let results: Vec<Value> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            let text = match &d.help {
                Some(help) => format!("{}\nhelp: {help}", d.message),
                None => d.message.clone(),
            };
            let mut result = json!({
                "ruleId": d.code.name(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
                "level": level(d.severity),
                "message": { "text": text },
            });
            if let Some(file) = &d.file {
                let location = physical_location(file, d.span);
                result["locations"] = json!([{ "physicalLocation": location }]);
            }
            if !d.labels.is_empty() {
                result["relatedLocations"] = related_locations(d);
            }
            result
        })
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "validate-migrations",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    // Serializing a JSON value into a string cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// A file and, where known, the region of it.
fn physical_location(file: &str, span: Option<Span>) -> Value {
    let mut location = json!({ "artifactLocation": { "uri": file } });
    if let Some(span) = span {
        location["region"] = json!({
            "startLine": span.start.line,
            "startColumn": span.start.column,
            "endLine": span.end.line,
            "endColumn": span.end.column,
        });
    }
    location
}

/// The labels of a diagnostic as SARIF's related locations, each with its message.
fn related_locations(d: &Diagnostic) -> Value {
    d.labels
        .iter()
        .enumerate()
        .map(|(id, label)| {
            json!({
                "id": id,
                "physicalLocation": physical_location(&label.file, label.span),
                "message": { "text": label.message },
            })
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}
