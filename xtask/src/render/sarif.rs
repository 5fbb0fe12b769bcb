//! SARIF 2.1.0, the format of GitHub code scanning and other static-analysis dashboards: every
//! code is a rule with its explanation, every diagnostic a result with its location. The output
//! passes the OASIS schema (tests/schemas/, checked by tests/formats.rs) and GitHub's own rules:
//! a `help` per rule, percent-encoded URIs relative to `%SRCROOT%`, a location for every result,
//! fingerprints that survive line moves, and a category per shard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::uri::{file_uri, folder_uri};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::replay::Shard;
use crate::validate::Outcome;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base every relative URI is resolved against: the repository's top, which code scanning
/// knows as the checkout.
const SRCROOT: &str = "%SRCROOT%";

/// The key of the tool's own fingerprint. GitHub recomputes `primaryLocationLineHash` itself
/// and warns when a tool's value differs, so the tool's goes under a key of its own.
const FINGERPRINT_KEY: &str = "validateMigrations/v1";

/// Where the run's paths start and which share of the chains it replayed: what the document
/// says about the run beyond its findings.
pub struct Context {
    /// The folder displayed paths are relative to (the top of the store's git repository), for
    /// `originalUriBaseIds`; `None` where it is not known.
    pub srcroot: Option<PathBuf>,
    pub shard: Option<Shard>,
}

impl Context {
    /// The context of a run on the store at `root` (as given on the command line).
    pub fn for_store(root: &Path, shard: Option<Shard>) -> Context {
        let srcroot = root
            .canonicalize()
            .ok()
            .map(|root| crate::validate::display_base(&root));
        Context { srcroot, shard }
    }
}

pub fn render(outcome: &Outcome, context: &Context) -> String {
    let rules: Vec<Value> = Code::ALL.iter().map(|code| rule(*code)).collect();
    let mut fingerprints = Fingerprints::default();
    let results: Vec<Value> = outcome
        .diagnostics
        .iter()
        .map(|d| result(d, outcome, &mut fingerprints))
        .collect();
    let mut driver = json!({
        "name": "validate-migrations",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // The crate's `repository` is where the tool is documented; a build without one has no
    // page to name.
    let information = env!("CARGO_PKG_REPOSITORY");
    if !information.is_empty() {
        driver["informationUri"] = json!(information);
    }
    let mut run = json!({
        "tool": { "driver": driver },
        "automationDetails": { "id": automation_id(outcome, context.shard) },
        // Columns count characters (`diagnostic::Position`), as editors do.
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(srcroot) = &context.srcroot {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": folder_uri(srcroot) } });
    }
    let document = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] });
    // Serializing a JSON value into a string cannot fail. The document is compact: it is read
    // by programs, and every rule's help makes it long enough without indentation.
    let mut text = serde_json::to_string(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// A code as a rule: its summary, the first paragraph of its explanation, and the whole
/// explanation as its help in markdown, which code scanning shows beside every alert. The plain
/// text help, for consumers that cannot show markdown, is the summary and where the rest is:
/// the whole text twice would double a document that lists every code.
fn rule(code: Code) -> Value {
    let explanation = code.explanation();
    // The explanation's first line is its title, `# code`; the rule's id already says it.
    let body = explanation
        .split_once('\n')
        .map_or("", |(_, body)| body)
        .trim();
    let first_paragraph = body
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "id": code.name(),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": first_paragraph },
        "help": {
            "text": format!(
                "{}: `cargo xtask validate-migrations --explain {}` prints why it matters and \
                 how to fix it.",
                code.summary(),
                code.name()
            ),
            "markdown": body,
        },
        "defaultConfiguration": { "level": level(code.severity()) },
        "properties": { "group": code.group() },
    })
}

/// The category of this run's results: one per store and shard, so that the uploads of a CI
/// matrix do not replace each other's alerts.
fn automation_id(outcome: &Outcome, shard: Option<Shard>) -> String {
    match shard {
        Some(shard) => format!(
            "validate-migrations/{}/shard-{}-of-{}/",
            outcome.root, shard.index, shard.count
        ),
        None => format!("validate-migrations/{}/", outcome.root),
    }
}

fn result(d: &Diagnostic, outcome: &Outcome, fingerprints: &mut Fingerprints) -> Value {
    let text = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let mut result = json!({
        "ruleId": d.code.name(),
        "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
        "level": level(d.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": location(d, &outcome.root) }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprints.of(d, outcome) },
    });
    if !d.labels.is_empty() {
        result["relatedLocations"] = related_locations(d);
    }
    result
}

/// Where a diagnostic is. A finding of the tree as a whole is placed at the store's folder
/// (`store`, as displayed): code scanning drops a result without a location.
fn location(d: &Diagnostic, store: &str) -> Value {
    match &d.file {
        Some(file) => physical_location(file, d.span),
        None => physical_location(&format!("{store}/"), None),
    }
}

/// A file and, where known, the region of it.
fn physical_location(file: &str, span: Option<Span>) -> Value {
    let uri = file_uri(file);
    let mut artifact = json!({ "uri": uri.uri });
    if uri.relative {
        artifact["uriBaseId"] = json!(SRCROOT);
    }
    let mut location = json!({ "artifactLocation": artifact });
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

/// Fingerprints that follow a finding when lines above it move: a hash of the code, the file
/// and the text of the finding's line (its message where it has no line), numbered where the
/// same hash occurs again, as on two identical lines of one file.
#[derive(Default)]
struct Fingerprints {
    seen: BTreeMap<String, usize>,
}

impl Fingerprints {
    fn of(&mut self, d: &Diagnostic, outcome: &Outcome) -> String {
        let line = d
            .file
            .as_ref()
            .zip(d.span)
            .and_then(|(file, span)| outcome.sources.get(file)?.line(span.start.line));
        let mut hasher = Sha256::new();
        for part in [
            d.code.name(),
            d.file.as_deref().unwrap_or_default(),
            line.map_or(d.message.as_str(), str::trim),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let hash: String = hasher.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let count = self.seen.entry(hash.clone()).or_default();
        *count += 1;
        format!("{hash}:{count}")
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_without_a_file_is_placed_at_the_store() {
        let d = Diagnostic::new(Code::MissingDialect, "no dialect folder");
        assert_eq!(
            location(&d, "db/store"),
            json!({ "artifactLocation": { "uri": "db/store/", "uriBaseId": "%SRCROOT%" } })
        );
        let d = d.file("db/store/migration/a b.sql");
        assert_eq!(
            location(&d, "db/store")["artifactLocation"]["uri"],
            "db/store/migration/a%20b.sql"
        );
    }
}
