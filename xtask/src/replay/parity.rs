//! Dialect parity as the replay reports it: the fresh schemas of every pair of dialects the run
//! built, compared (`schema::parity`) and reported once each, with no chain involved.

use super::chain::{Chain, ChainKind, Outcome};
use super::report::locate;
use crate::allowlist;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Dialect;
use crate::schema::diff::Difference;
use crate::schema::parity::{self, Fresh};
use crate::sql::{Role, SqlFile};

/// Compares the fresh install of each pair of dialects that were both built (in the order of
/// `Dialect::ALL`: with PostgreSQL and SQLite, one pair) and reports every difference with the
/// `dialect-parity` code, unless a parity entry of the allowlist accepts it. The comparison is
/// recorded with the allowlist's use, since only a run that compared dialects can tell that a
/// parity entry is unused.
///
/// A difference is located in the first dialect's `LATEST.sql` (PostgreSQL's), at the statement
/// that creates the object: the PostgreSQL schema is the explicit one (a real `boolean`,
/// `jsonb`, named constraints) that the SQLite schema is written to match, and one file keeps a
/// run's parity diagnostics together. Where it has no such statement (the object exists in the
/// second dialect only), the second's `LATEST.sql` is used, so that the location points at the
/// object.
pub fn report(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    files: &[SqlFile],
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let built: Vec<Fresh<'_>> = Dialect::ALL
        .into_iter()
        .filter_map(|dialect| {
            chains
                .iter()
                .zip(outcomes)
                .find(|(c, _)| c.dialect == dialect && c.kind() == ChainKind::Fresh)
                .and_then(|(_, o)| o.schema.as_ref())
                .map(|schema| Fresh { dialect, schema })
        })
        .collect();
    if built.len() < 2 {
        return;
    }
    allowlist.parity_compared();
    let latest = |dialect: Dialect| {
        files
            .iter()
            .find(|f| f.dialect == dialect && f.role == Role::Latest)
    };
    for (index, &left) in built.iter().enumerate() {
        for &right in &built[index + 1..] {
            let scripts = [latest(left.dialect), latest(right.dialect)];
            for d in parity::compare(left, right) {
                if !allowlist.allows_parity(&d.object, &d.aspect) {
                    out.push(
                        ParityDifference {
                            difference: &d,
                            left: left.dialect,
                            right: right.dialect,
                            place: place(&d, scripts),
                        }
                        .into(),
                    );
                }
            }
        }
    }
}

/// A difference between the fresh installs of two dialects, as data: `From<ParityDifference>
/// for Diagnostic` words it.
struct ParityDifference<'a> {
    /// `expected` is the left dialect's side, `actual` the right's.
    difference: &'a Difference,
    left: Dialect,
    right: Dialect,
    /// The `LATEST.sql` it is shown in, as diagnostics show it, and the statement that creates
    /// the object there, if one does.
    place: Option<(&'a str, Option<Span>)>,
}

/// Where a parity difference is shown: the first of `scripts` (the pair's `LATEST.sql`) that
/// creates the object, else the first script at all.
fn place<'a>(d: &Difference, scripts: [Option<&'a SqlFile>; 2]) -> Option<(&'a str, Option<Span>)> {
    let located = scripts
        .into_iter()
        .flatten()
        .find_map(|latest| locate(latest, &d.object).map(|span| (latest, span)));
    match (located, scripts.into_iter().flatten().next()) {
        (Some((latest, span)), _) => Some((latest.source.display.as_str(), Some(span))),
        (None, Some(latest)) => Some((latest.source.display.as_str(), None)),
        (None, None) => None,
    }
}

impl From<ParityDifference<'_>> for Diagnostic {
    fn from(parity: ParityDifference<'_>) -> Diagnostic {
        let d = parity.difference;
        let (left, right) = (parity.left.engine(), parity.right.engine());
        let headline = match (&d.expected, &d.actual) {
            (Some(_), None) => format!("is in {left} but not in {right}"),
            (None, Some(_)) => format!("is in {right} but not in {left}"),
            _ => format!("differs between {left} and {right}"),
        };
        let message = format!("{} {headline}\n{}", what(d), sides(d, left, right));
        let diagnostic = Diagnostic::new(Code::DialectParity, message)
            .help(
                "make both dialects' LATEST.sql (and their migrations) describe one schema, or \
                 accept the difference in validate-migrations.toml with `check = \"parity\"` and a \
                 reason",
            )
            .difference(d.clone());
        match parity.place {
            Some((file, Some(span))) => diagnostic.file(file).span(span),
            Some((file, None)) => diagnostic.file(file),
            None => diagnostic,
        }
    }
}

/// What a difference concerns: `table memo`, or `table memo, column pinned`.
pub(super) fn what(d: &Difference) -> String {
    if d.aspect.is_empty() {
        d.object.clone()
    } else {
        format!("{}, {}", d.object, d.aspect)
    }
}

/// Both sides of a difference, one line each, named `left` (the expected side) and `right`.
/// The values line up after the longer name: `PostgreSQL: ` and `SQLite:     `.
pub(super) fn sides(d: &Difference, left: &str, right: &str) -> String {
    let width = left.len().max(right.len()) + 1;
    let side = |engine: &str, value: &Option<String>| {
        let value = value.as_deref().unwrap_or("absent");
        format!("    {:<width$} {value}", format!("{engine}:"))
    };
    format!("{}\n{}", side(left, &d.expected), side(right, &d.actual))
}
