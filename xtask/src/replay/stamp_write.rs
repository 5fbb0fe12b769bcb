//! The service's write of its schema version, when it fails. The write is the service's SQL as
//! the configuration gives it (`[stamp.write]`), or the tool's default: either way it is not a
//! migration, so the finding is located at the configuration, never at a migration file.

use super::chain::Plan;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
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

/// The diagnostic of a failed write of the stamp in a chain of `dialect`.
pub(super) fn failed(
    error: &StatementError,
    engine: &str,
    dialect: Dialect,
    plan: &Plan<'_>,
    files: StampFiles<'_>,
) -> Diagnostic {
    let stamp = &plan.stamp;
    let key = format!("stamp.write.{}", dialect.folder());
    // The write as it runs for the target: a chain from a release may have failed writing the
    // release's version, but one finding per dialect names every chain.
    let version = plan.rule.show(&plan.target);
    let (sql, configured) = stamp.write_sql(dialect, &version);
    // On one line, as a configured write is often a multi-line TOML string.
    let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(write) = configured {
        let mut diagnostic = Diagnostic::new(
            Code::StampWriteFailed,
            format!(
                "{engine} refused the service's write of its schema version, `{key}` of the configuration: {error}\n    \
                 this is the service's own SQL from the configuration, not a migration; for version {version} it runs: {sql}"
            ),
        )
        .file(write.place.file.clone())
        .help(format!(
            "make `{key}` the SQL the service runs after migrating, and make the schema that the migrations and the fresh-install script build hold what it writes"
        ));
        if let Some(span) = write.place.span {
            diagnostic = diagnostic.span(span);
        }
        return diagnostic;
    }
    let needs = match &stamp.history {
        Some(history) => format!(
            "the table {} with a {} column and no other NOT NULL column without a default",
            history.table, history.column
        ),
        None => format!(
            "the table {} with a unique {} column, a {} column, and no other NOT NULL column without a default",
            stamp.table, stamp.name_column, stamp.value_column
        ),
    };
    let mut diagnostic = Diagnostic::new(
        Code::StampWriteFailed,
        format!(
            "{engine} refused the default write of the service's schema version (no `{key}` is configured): {error}\n    \
             for version {version} it runs: {sql}"
        ),
    )
    .help(format!(
        "the default write needs {needs}, built by the fresh-install script and the migrations; where the service records its version with other SQL, give that SQL as `{key}` in the configuration (docs/config.md, \"The stamp write\")"
    ));
    // Without a configuration file, the script that must create the table is the place.
    match &stamp.configured_at {
        Some(place) => {
            diagnostic = diagnostic.file(place.file.clone());
            if let Some(span) = place.span {
                diagnostic = diagnostic.span(span);
            }
        }
        None => {
            let file = files
                .latest
                .map_or(files.target, |latest| latest.source.display.as_str());
            diagnostic = diagnostic.file(file);
        }
    }
    diagnostic
}
