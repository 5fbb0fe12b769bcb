//! The service's write of its schema version, when it fails. The write is the service's SQL as
//! the configuration gives it (`[stamp.write]`), or the tool's default: either way it is not a
//! migration, so the finding is located at the configuration, never at a migration file.

use super::chain::Plan;
use crate::codes::Code;
use crate::config::Stamp;
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Dialect;
use crate::engine::StatementError;
use crate::sql::SqlFile;

/// The files a stored schema version comes from: a dialect's LATEST.sql, and the file the
/// target version comes from (`VERSION`, or the highest migration).
#[derive(Clone, Copy)]
pub struct StampFiles<'a> {
    pub latest: Option<&'a SqlFile>,
    /// The target's file as shown to users.
    pub target: &'a str,
}

/// A failed write of the stamp, as data: `From<StampWriteFailure> for Diagnostic` words it.
pub(super) struct StampWriteFailure<'a> {
    /// The engine, as messages name it (`PostgreSQL 15.18`).
    pub engine: &'a str,
    pub error: &'a StatementError,
    /// The configuration key of the write, `stamp.write.postgres`.
    pub key: String,
    /// The target version, as the version rule shows it.
    pub version: String,
    /// The write's SQL for the target, on one line.
    pub sql: String,
    /// Where the finding points: the configured write, the stamp's configuration or, without
    /// a configuration file, the script that must create the table.
    pub file: String,
    pub span: Option<Span>,
    /// What the default write needs of the schema; `None` where the write is configured.
    pub default_needs: Option<String>,
}

/// The data of a failed write of the stamp in a chain of `dialect`.
pub(super) fn failed<'a>(
    error: &'a StatementError,
    engine: &'a str,
    dialect: Dialect,
    plan: &Plan<'_>,
    files: StampFiles<'_>,
) -> StampWriteFailure<'a> {
    let stamp = &plan.stamp;
    let key = format!("stamp.write.{}", dialect.folder());
    // The write as it runs for the target: a chain from a release may have failed writing the
    // release's version, but one finding per dialect names every chain.
    let version = plan.rule.show(&plan.target);
    let (sql, configured) = stamp.write_sql(dialect, &version);
    // On one line, as a configured write is often a multi-line TOML string.
    let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let (place, default_needs) = match configured {
        Some(write) => (Some(&write.place), None),
        None => (stamp.configured_at.as_ref(), Some(default_needs(stamp))),
    };
    // Without a configuration file, the script that must create the table is the place.
    let (file, span) = match place {
        Some(place) => (place.file.clone(), place.span),
        None => (
            files
                .latest
                .map_or(files.target, |latest| latest.source.display.as_str())
                .to_string(),
            None,
        ),
    };
    StampWriteFailure {
        engine,
        error,
        key,
        version,
        sql,
        file,
        span,
        default_needs,
    }
}

/// What the default write needs of the schema.
fn default_needs(stamp: &Stamp) -> String {
    match &stamp.history {
        Some(history) => format!(
            "the table {} with a {} column and no other NOT NULL column without a default",
            history.table, history.column
        ),
        None => format!(
            "the table {} with a unique {} column, a {} column, and no other NOT NULL column without a default",
            stamp.table, stamp.name_column, stamp.value_column
        ),
    }
}

impl From<StampWriteFailure<'_>> for Diagnostic {
    fn from(failure: StampWriteFailure<'_>) -> Diagnostic {
        let StampWriteFailure {
            engine,
            error,
            key,
            version,
            sql,
            file,
            span,
            default_needs,
        } = failure;
        let diagnostic = match default_needs {
            None => Diagnostic::new(
                Code::StampWriteFailed,
                format!(
                    "{engine} refused the service's write of its schema version, `{key}` of the configuration: {error}\n    \
                     this is the service's own SQL from the configuration, not a migration; for version {version} it runs: {sql}"
                ),
            )
            .help(format!(
                "make `{key}` the SQL the service runs after migrating, and make the schema that the migrations and the fresh-install script build hold what it writes"
            )),
            Some(needs) => Diagnostic::new(
                Code::StampWriteFailed,
                format!(
                    "{engine} refused the default write of the service's schema version (no `{key}` is configured): {error}\n    \
                     for version {version} it runs: {sql}"
                ),
            )
            .help(format!(
                "the default write needs {needs}, built by the fresh-install script and the migrations; where the service records its version with other SQL, give that SQL as `{key}` in the configuration (docs/config.md, \"The stamp write\")"
            )),
        };
        let diagnostic = diagnostic.file(file);
        match span {
            Some(span) => diagnostic.span(span),
            None => diagnostic,
        }
    }
}
