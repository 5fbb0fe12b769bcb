//! The generated rows of a populated upgrade chain: every table of the release's schema filled by
//! the row generator (`crate::data`) right after the release's fresh install, before the seeds
//! as they were at its tag. A table the generator could not fill in full is a note: the upgrade
//! still runs on the rows it wrote.

use super::super::{Failure, Plan};
use crate::codes::Code;
use crate::data::{self, Filled};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::Database;
use crate::schema::Schema;
use crate::sql::SqlFile;

/// Fills every table of `schema` but the stamp's, and notes the tables that refused rows;
/// returns the rows written.
pub(in crate::replay) fn fill<'f>(
    plan: &Plan<'_>,
    dialect: Dialect,
    latest: &SqlFile,
    schema: &Schema,
    db: &mut dyn Database,
    findings: &mut Vec<Diagnostic>,
) -> Result<usize, Failure<'f>> {
    let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
    let options = data::Options {
        rows: plan.data.settings.rows,
        skip_tables: stamp_tables(plan, schema),
    };
    let populated = data::populate(db, schema, dialect, &options, timeout)
        .map_err(|e| Failure::Engine(format!("{e:#}")))?;
    for filled in populated.tables.iter().filter(|t| !t.skipped.is_empty()) {
        findings.push(RowsNotGenerated { filled, latest }.into());
    }
    Ok(populated.tables.iter().map(|t| t.inserted).sum())
}

/// The tables of `schema` that hold the service's version record: a row written there would
/// change the version the service reads. The configuration names them as the SQL writes them;
/// the schema has them as the engine folded them, so they are matched without regard to case.
fn stamp_tables(plan: &Plan<'_>, schema: &Schema) -> Vec<String> {
    let configured: Vec<&str> = std::iter::once(plan.stamp.table.as_str())
        .chain(plan.stamp.history.as_ref().map(|h| h.table.as_str()))
        .collect();
    schema
        .tables
        .keys()
        .filter(|name| configured.iter().any(|c| c.eq_ignore_ascii_case(name)))
        .cloned()
        .collect()
}

/// A table of a release's schema into which the generator could not write every row.
struct RowsNotGenerated<'a> {
    filled: &'a Filled,
    /// The release's fresh-install script, which created the table.
    latest: &'a SqlFile,
}

impl From<RowsNotGenerated<'_>> for Diagnostic {
    fn from(note: RowsNotGenerated<'_>) -> Diagnostic {
        let filled = note.filled;
        let first = &filled.skipped[0];
        let diagnostic = Diagnostic::new(
            Code::RowsNotGenerated,
            format!(
                "the upgrade ran with {} of {} generated rows in table {}: the engine refused \
                 {} of them ({}: {})",
                filled.inserted,
                filled.attempted,
                filled.table,
                filled.skipped.len(),
                first.row,
                first.error
            ),
        )
        .file(note.latest.source.display.clone())
        .help(
            "the generator writes values that fit the column types and the CHECKs it can read \
             (IN lists, ranges, lengths); a CHECK it cannot read, or a unique column with fewer \
             values than rows, refuses some: where the table's data matters to an upgrade, add \
             rows of your own in a data test (test/<dialect>/<X.Y.Z>/NN__name.sql)",
        );
        // At the table's CREATE TABLE in the release's script, where it is found there.
        let object = format!("table {}", filled.table);
        match crate::replay::report::locate(note.latest, &object) {
            Some(span) => diagnostic.span(span),
            None => diagnostic,
        }
    }
}
