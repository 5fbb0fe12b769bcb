//! Turns what the chains found into diagnostics. The same failure or difference in several
//! chains (a broken migration breaks `full` and every upgrade that runs it) is reported once,
//! naming every chain.

use super::chain::{Chain, ChainKind, Failure, Outcome, Plan};
use super::failure;
pub(super) use super::grouped::Grouped;
pub use super::stamp_write::StampFiles;
use super::Engine;
use crate::allowlist;
use crate::codes::Code;
use crate::config::StampWriter;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::dialect::Dialect;
use crate::schema::diff::{self, Difference};
use crate::schema::Unread;
use sqlparser::tokenizer::Token;

use crate::sql::token::is_trivia;
use crate::sql::SqlFile;

pub fn failures(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    plan: &Plan<'_>,
    engines: &[Engine],
    files: StampFiles<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let clean = chains
        .iter()
        .zip(outcomes)
        .filter(|(c, o)| c.dialect == dialect && o.failures.is_empty())
        .map(|(c, _)| (c.engine, c.name.clone()))
        .collect();
    let mut grouped = Grouped::new(dialect, chains, engines).failing(clean);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
    {
        let found = engines.get(chain.engine);
        // On several engines the message names the dialect alone, the same on each, and the
        // grouping names the engines where it fails on some only.
        let engine = match found {
            Some(found) if !grouped.several_engines() => found.name(),
            _ => dialect.engine().to_string(),
        };
        let location = found.map_or("", |e| e.location.as_str());
        for failure in &outcome.failures {
            let engine_of = failure::Engine {
                name: &engine,
                dialect,
                location,
            };
            let mut diagnostic = failure::diagnostic(failure, &engine_of, plan, files);
            if matches!(failure, Failure::StoredVersion { .. }) {
                // After a fresh install the stamp of LATEST.sql is what was stored (unless the
                // service writes it); after a chain, the version the service upserted, which is
                // the target.
                let file = match (chain.kind(), files.latest, plan.stamp.written_by) {
                    (ChainKind::Fresh, Some(latest), StampWriter::Latest) => {
                        latest.source.display.clone()
                    }
                    _ => files.target.to_string(),
                };
                diagnostic = diagnostic.file(file);
            }
            grouped.add(diagnostic, chain);
        }
    }
    grouped.finish(out);
}

/// Compares every chain's schema with the fresh install's on the same engine, per dialect (on
/// several PostgreSQL majors, each major's chains with its own `fresh`).
pub fn differences(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    engines: &[Engine],
    latest: Option<&SqlFile>,
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let of_dialect: Vec<(&Chain<'_>, &Outcome<'_>)> = chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
        .collect();
    let fresh_on = |engine: usize| {
        of_dialect
            .iter()
            .find(|(c, _)| c.kind() == ChainKind::Fresh && c.engine == engine)
            .and_then(|(_, o)| o.schema.as_ref())
    };
    let mut grouped = Grouped::new(dialect, chains, engines);
    for (chain, outcome) in of_dialect
        .iter()
        .filter(|(c, _)| c.kind() != ChainKind::Fresh)
    {
        let (Some(fresh), Some(schema)) = (fresh_on(chain.engine), &outcome.schema) else {
            continue;
        };
        for difference in diff::diff(fresh, schema) {
            if allowlist.allows(dialect, &chain.name, &difference.object, &difference.aspect) {
                continue;
            }
            grouped.add(
                Drift {
                    difference: &difference,
                    dialect,
                    latest,
                }
                .into(),
                chain,
            );
        }
    }
    grouped.finish(out);
}

/// What introspection could not read of the chains' schemas (parts of a SQLite `CREATE` text
/// sqlparser cannot read), once per object and part, naming the chains: the comparison did not
/// see those parts, which a note says rather than a silence.
pub fn unread(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    engines: &[Engine],
    latest: Option<&SqlFile>,
    reports: impl Fn(&Chain<'_>) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    let mut grouped = Grouped::new(dialect, chains, engines);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect && reports(c))
    {
        let Some(schema) = &outcome.schema else {
            continue;
        };
        for unread in &schema.unread {
            let diagnostic = UnreadPart {
                unread,
                dialect,
                latest,
            }
            .into();
            grouped.add(diagnostic, chain);
        }
    }
    grouped.finish(out);
}

/// A difference between a chain's schema and the fresh install's, for its diagnostic.
struct Drift<'a> {
    difference: &'a Difference,
    dialect: Dialect,
    /// The fresh-install script, where the object is created.
    latest: Option<&'a SqlFile>,
}

impl From<Drift<'_>> for Diagnostic {
    fn from(drift: Drift<'_>) -> Diagnostic {
        let Drift {
            difference: d,
            dialect,
            latest,
        } = drift;
        let code = match (d.severity, d.aspect.as_str()) {
            (Severity::Warning, "column order") => Code::ColumnOrder,
            (Severity::Warning, _) => Code::EquivalentDrift,
            _ => Code::SchemaDrift,
        };
        let headline = match (d.aspect.is_empty(), &d.expected, &d.actual) {
            (true, Some(_), None) => format!(
                "{} is in the fresh install but not after the chain",
                d.object
            ),
            (true, None, Some(_)) => format!(
                "{} exists after the chain but not in the fresh install",
                d.object
            ),
            (true, _, _) => format!("{} differs from the fresh install", d.object),
            (false, _, _) => format!("{}, {} differs from the fresh install", d.object, d.aspect),
        };
        let side = |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".into());
        let message = format!(
            "{}: {headline}\n    fresh (LATEST.sql): {}\n    chain:              {}",
            dialect.engine(),
            side(&d.expected),
            side(&d.actual)
        );
        let help = match code {
            Code::ColumnOrder => "list the columns in LATEST.sql in the order the migrations leave them (ADD COLUMN appends)",
            Code::EquivalentDrift => "use the same name in LATEST.sql and the migrations, so that later migrations can refer to it on every install",
            _ => "make LATEST.sql and the migrations build the same schema: fix whichever side is wrong, or allow the drift with a reason",
        };
        let diagnostic = Diagnostic::new(code, message)
            .help(help)
            .difference(d.clone());
        at_object(diagnostic, latest, &d.object)
    }
}

/// A part of an object's definition that introspection could not read, for its diagnostic.
struct UnreadPart<'a> {
    unread: &'a Unread,
    dialect: Dialect,
    latest: Option<&'a SqlFile>,
}

impl From<UnreadPart<'_>> for Diagnostic {
    fn from(part: UnreadPart<'_>) -> Diagnostic {
        let UnreadPart {
            unread,
            dialect,
            latest,
        } = part;
        let diagnostic = Diagnostic::new(
            Code::SchemaTextUnread,
            format!("{}: {}: {}", dialect.engine(), unread.object, unread.what),
        )
        .help(
            "nothing to fix in the tree: the rest of the object is read from the engine and \
             compared; only the part named here is not",
        );
        at_object(diagnostic, latest, &unread.object)
    }
}

/// `diagnostic` at the statement of `latest` that creates `object`, where there is one.
fn at_object(diagnostic: Diagnostic, latest: Option<&SqlFile>, object: &str) -> Diagnostic {
    let Some(latest) = latest else {
        return diagnostic;
    };
    let diagnostic = diagnostic.file(latest.source.display.clone());
    match locate(latest, object) {
        Some(span) => diagnostic.span(span),
        None => diagnostic,
    }
}

/// The statement of `LATEST.sql` that creates `object` (`table memo`, `index idx_x`), found on
/// the tokens: `CREATE [UNIQUE|OR REPLACE|...] <kind> [IF NOT EXISTS] <name>`.
pub(super) fn locate(latest: &SqlFile, object: &str) -> Option<Span> {
    let (kind, name) = object.split_once(' ')?;
    let name = name
        .split('(')
        .next()?
        .rsplit('.')
        .next()?
        .trim_matches('"');
    latest.statements.iter().find_map(|statement| {
        let words: Vec<String> = statement
            .tokens()
            .iter()
            .filter(|t| !is_trivia(&t.token))
            .take(10)
            .filter_map(|t| match &t.token {
                Token::Word(word) => Some(word.value.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        let position = words.iter().position(|w| w == kind)?;
        let creates = words.first().is_some_and(|w| w == "create");
        let named = words[position + 1..]
            .iter()
            .find(|w| !matches!(w.as_str(), "if" | "not" | "exists" | "concurrently"))
            .is_some_and(|w| w.eq_ignore_ascii_case(name));
        (creates && named).then(|| {
            let start = statement.span.start;
            let text = latest.text_of(statement);
            let first_line = text.lines().next().unwrap_or_default().chars().count() as u32;
            Span::on_line(start.line, start.column, first_line)
        })
    })
}
