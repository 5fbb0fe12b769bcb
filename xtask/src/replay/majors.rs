//! The PostgreSQL majors compared: where the replay ran PostgreSQL on several majors, the fresh
//! install of each is compared with the first's (`schema::diff`, after `normalize` takes out
//! what a catalog shows differently by version), and each real difference is reported once as
//! `postgres-majors-differ`, unless an `[[allow]]` entry with `chain = "majors"` accepts it.

use super::chain::{Chain, ChainKind, Outcome};
use super::parity::{sides, what};
use super::report::locate;
use super::Engine;
use crate::allowlist;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::schema::diff::{self, Difference};
use crate::schema::Schema;
use crate::sql::SqlFile;

/// The pseudo-chain name `[[allow]]` entries use to accept a difference between majors.
pub(super) const CHAIN: &str = "majors";

/// Compares the fresh PostgreSQL schema of each major with the first major's.
pub(super) fn report(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    engines: &[Engine],
    latest: Option<&SqlFile>,
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let fresh: Vec<(usize, &Schema)> = chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == Dialect::Postgres && c.kind() == ChainKind::Fresh)
        .filter_map(|(c, o)| Some((c.engine, o.schema.as_ref()?)))
        .collect();
    let Some(((first, base), others)) = fresh.split_first() else {
        return;
    };
    if others.is_empty() {
        return;
    }
    allowlist.ran(Dialect::Postgres, CHAIN);
    let name = |index: usize| {
        engines
            .get(index)
            .map_or_else(|| "PostgreSQL".to_string(), Engine::name)
    };
    for (other, schema) in others {
        for difference in diff::diff(base, schema) {
            if printed_alike(&difference) {
                continue;
            }
            if allowlist.allows(
                Dialect::Postgres,
                CHAIN,
                &difference.object,
                &difference.aspect,
            ) {
                continue;
            }
            out.push(
                MajorsDiffer {
                    difference: &difference,
                    first: name(*first),
                    other: name(*other),
                    latest,
                }
                .into(),
            );
        }
    }
}

/// Whether `difference` is only how the majors' catalogs print the same definition. PostgreSQL
/// 16 and later print a view over one relation without qualifying its columns (`select id from
/// memo`, `where b`) where 15 printed `select memo.id from memo` and `where x.b`; the same
/// `CREATE VIEW` ran on both, so a definition that reads the same without qualifiers is the same
/// view.
fn printed_alike(difference: &Difference) -> bool {
    match (&difference.expected, &difference.actual) {
        (Some(left), Some(right)) if difference.aspect == "definition" => {
            unqualified(left) == unqualified(right)
        }
        _ => false,
    }
}

/// `text` without the qualifiers of its names: `memo.id` and `"m".id` read `id`.
fn unqualified(text: &str) -> String {
    static QUALIFIER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = QUALIFIER.get_or_init(|| {
        regex::Regex::new(r#"(?:"(?:[^"]|"")+"|\b[A-Za-z_][A-Za-z0-9_$]*)\.(?:["A-Za-z_])"#)
            .expect("the pattern is valid")
    });
    let mut result = String::with_capacity(text.len());
    let mut last = 0;
    for found in pattern.find_iter(text) {
        // Keep the first character of the name after the dot, which the match includes so
        // that `0.5` and `x.1` are not taken for qualified names.
        result.push_str(&text[last..found.start()]);
        result.push_str(&text[found.end() - 1..found.end()]);
        last = found.end();
    }
    result.push_str(&text[last..]);
    result
}

/// A difference between the fresh installs of two PostgreSQL majors: `expected` is the first
/// major's side, `actual` the other's.
struct MajorsDiffer<'a> {
    difference: &'a Difference,
    /// `PostgreSQL 15.18`.
    first: String,
    other: String,
    latest: Option<&'a SqlFile>,
}

impl From<MajorsDiffer<'_>> for Diagnostic {
    fn from(majors: MajorsDiffer<'_>) -> Diagnostic {
        let MajorsDiffer {
            difference: d,
            first,
            other,
            latest,
        } = majors;
        let message = format!(
            "{} differs between {first} and {other} after the fresh install\n{}",
            what(d),
            sides(d, &first, &other)
        );
        let mut diagnostic = Diagnostic::new(Code::PostgresMajorsDiffer, message)
            .dialect(Dialect::Postgres)
            .help(
                "write LATEST.sql so that every supported PostgreSQL major builds the same schema \
                 (name what a major would name for you), or accept the difference in \
                 validate-migrations.toml with `chain = \"majors\"` and a reason",
            )
            .difference(d.clone());
        diagnostic.engines = vec![first, other];
        if let Some(latest) = latest {
            diagnostic = diagnostic.file(latest.source.display.clone());
            if let Some(span) = locate(latest, &d.object) {
                diagnostic = diagnostic.span(span);
            }
        }
        diagnostic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(expected: &str, actual: &str) -> Difference {
        Difference {
            object: "view v".to_string(),
            aspect: "definition".to_string(),
            expected: Some(expected.to_string()),
            actual: Some(actual.to_string()),
            severity: crate::diagnostic::Severity::Error,
        }
    }

    #[test]
    fn a_view_printed_with_and_without_qualifiers_is_the_same_view() {
        assert!(printed_alike(&definition(
            "select probe.id, coalesce(probe.p, 0.5) as p2 from probe where x.b",
            "select id, coalesce(p, 0.5) as p2 from probe where b",
        )));
        assert!(!printed_alike(&definition(
            "select probe.id from probe",
            "select probe.id, 1 from probe",
        )));
    }
}
