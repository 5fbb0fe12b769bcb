//! The restore drill: the backup-and-recovery plan, checked. At the end of `fresh` and of every
//! upgrade chain, with whatever rows the database then holds, the engine backs the database up
//! as its operators do and restores the backup into a new database (`Database::restore_drill`);
//! the restored database is introspected and its rows counted like the chain's, and a restore
//! that fails or holds another database is a finding of the chain. A backup that does not
//! restore is otherwise found out on the worst day.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;

use super::report::locate;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Difference};
use crate::engine::{Database, Drill};
use crate::schema::{diff, Schema};
use crate::sql::SqlFile;

/// What the drill found wrong with a chain's backup.
#[derive(Debug)]
pub enum Finding {
    /// The backup failed, so nothing was restored: the program's own message.
    BackupFailed(String),
    /// The restore failed: the program's own message.
    Failed(String),
    /// The restore succeeded, but the restored database is not the one backed up.
    Differs {
        /// The restored schema against the chain's, as the chain diff compares them.
        schema: Vec<Difference>,
        /// Tables whose rows are not all there after the restore (or more are).
        rows: Vec<TableRows>,
    },
}

/// A table's row count in the chain's database and after the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub table: String,
    pub before: u64,
    pub after: u64,
}

/// What a database holds, as the drill compares it.
struct Contents {
    schema: Schema,
    rows: BTreeMap<String, u64>,
}

/// Backs `db` up, restores it and compares: `Ok(Ok(None))` where the restore holds the same
/// database, `Ok(Err(why))` where the engine cannot drill. `read` is the database's schema where
/// the chain read it already and nothing has changed it since.
pub(super) fn drill(
    db: &mut dyn Database,
    read: Option<&Schema>,
    timeout: Duration,
) -> anyhow::Result<Result<Option<Finding>, String>> {
    let original = contents(db, read.cloned(), None, timeout)?;
    let mut restored = None;
    let drill = db.restore_drill(timeout, &mut |copy| {
        restored = Some(contents(copy, None, Some(&original.schema), timeout));
    })?;
    let restored = match drill {
        Drill::NotDrilled(why) => return Ok(Err(why)),
        Drill::BackupFailed(message) => return Ok(Ok(Some(Finding::BackupFailed(message)))),
        Drill::Failed(message) => return Ok(Ok(Some(Finding::Failed(message)))),
        Drill::Restored => restored.context("the restored database was not read")??,
    };
    let schema = diff::diff(&original.schema, &restored.schema);
    let rows: Vec<TableRows> = original
        .rows
        .iter()
        .filter_map(|(table, &before)| {
            let after = *restored.rows.get(table)?;
            (after != before).then(|| TableRows {
                table: table.clone(),
                before,
                after,
            })
        })
        .collect();
    if schema.is_empty() && rows.is_empty() {
        return Ok(Ok(None));
    }
    Ok(Ok(Some(Finding::Differs { schema, rows })))
}

/// The schema of `db` (read from it, unless `read` is given) and the rows of its tables; of a
/// restored database, the rows of the tables it shares with `original` (a table it lacks is a
/// difference of the schemas).
fn contents(
    db: &mut dyn Database,
    read: Option<Schema>,
    original: Option<&Schema>,
    timeout: Duration,
) -> anyhow::Result<Contents> {
    let schema = match read {
        Some(schema) => schema,
        None => db.introspect()?,
    };
    let mut rows = BTreeMap::new();
    let tables = original.unwrap_or(&schema).tables.keys();
    for table in tables.filter(|table| schema.tables.contains_key(*table)) {
        let query = format!("SELECT count(*) FROM {}", quoted(table));
        let result = db
            .query(&query, timeout)
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("counting the rows of {table}"))?;
        let count = result
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|text| text.parse().ok())
            .with_context(|| format!("reading the row count of {table}"))?;
        rows.insert(table.clone(), count);
    }
    Ok(Contents { schema, rows })
}

/// A table's key (`memo`, or `audit.memo` outside PostgreSQL's `public`) as SQL: each part
/// quoted, which both dialects read.
fn quoted(key: &str) -> String {
    key.splitn(2, '.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// The restore drill's finding, at the table it concerns in `LATEST.sql`.
pub(super) fn diagnostic(finding: &Finding, engine: &str, latest: Option<&SqlFile>) -> Diagnostic {
    match finding {
        Finding::BackupFailed(message) => RestoreFailed {
            engine,
            backup: true,
            message,
            latest,
        }
        .into(),
        Finding::Failed(message) => RestoreFailed {
            engine,
            backup: false,
            message,
            latest,
        }
        .into(),
        Finding::Differs { schema, rows } => RestoreDiffers {
            engine,
            schema,
            rows,
            latest,
        }
        .into(),
    }
}

/// A restore that failed, for its diagnostic.
struct RestoreFailed<'a> {
    /// `PostgreSQL 15.18`.
    pub engine: &'a str,
    /// Whether the backup failed, rather than its restore.
    pub backup: bool,
    pub message: &'a str,
    /// Where the tables are created, to point at the one the restore failed on.
    pub latest: Option<&'a SqlFile>,
}

impl From<RestoreFailed<'_>> for Diagnostic {
    fn from(failed: RestoreFailed<'_>) -> Diagnostic {
        let body: Vec<String> = failed
            .message
            .lines()
            .map(|line| format!("    {line}"))
            .collect();
        let what = if failed.backup {
            "cannot be made"
        } else {
            "does not restore"
        };
        let diagnostic = Diagnostic::new(
            Code::RestoreFailed,
            format!(
                "{}: a backup of the database at the chain's end {what}: {}\n{}",
                failed.engine,
                how_backed_up(failed.engine),
                body.join("\n")
            ),
        )
        .help(if failed.backup {
            "the backup itself failed, so no restore was tried: pg_dump's message says why (an \
             object it cannot dump, or the connection); fix the schema so that it can be backed \
             up, or run again where the drill's pg_dump can reach the server"
        } else {
            "a restore runs with an empty search_path and loads each table before the objects \
             that come after it: a function that a CHECK, an index or a default calls must name \
             what it calls with its schema (public.f(x)) or set its own (ALTER FUNCTION ... SET \
             search_path = public); fix the schema so that the backup restores"
        });
        at_table(diagnostic, failed.latest, failed_table(failed.message))
    }
}

/// A restore that holds another database, for its diagnostic.
struct RestoreDiffers<'a> {
    pub engine: &'a str,
    pub schema: &'a [Difference],
    pub rows: &'a [TableRows],
    pub latest: Option<&'a SqlFile>,
}

impl From<RestoreDiffers<'_>> for Diagnostic {
    fn from(differs: RestoreDiffers<'_>) -> Diagnostic {
        let side = |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".into());
        let mut lines: Vec<String> = differs
            .schema
            .iter()
            .map(|d| {
                let what = match d.aspect.as_str() {
                    "" => d.object.clone(),
                    aspect => format!("{}, {aspect}", d.object),
                };
                format!(
                    "    {what}: {} before the backup, {} after the restore",
                    side(&d.expected),
                    side(&d.actual)
                )
            })
            .collect();
        lines.extend(differs.rows.iter().map(|r| {
            format!(
                "    table {}: {} before the backup, {} after the restore",
                r.table,
                rows(r.before),
                rows(r.after)
            )
        }));
        let table = differs
            .schema
            .iter()
            .find_map(Difference::table)
            .or_else(|| differs.rows.first().map(|r| r.table.as_str()));
        let diagnostic = Diagnostic::new(
            Code::RestoreDiffers,
            format!(
                "{}: a backup of the database at the chain's end restores another database: {}\n{}",
                differs.engine,
                how_backed_up(differs.engine),
                lines.join("\n")
            ),
        )
        .help(
            "what a backup does not carry is lost, or changed, on the day it is restored: change \
             the schema so that a restore rebuilds it as the migrations built it (a child table's \
             inherited columns come first after a restore: declare them first in the child), or \
             write down what the restore must redo by hand",
        );
        at_table(diagnostic, differs.latest, table)
    }
}

fn rows(count: u64) -> String {
    match count {
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

/// How the engine's backups are made and restored, for messages.
fn how_backed_up(engine: &str) -> &'static str {
    if engine.starts_with("SQLite") {
        "the online backup API into a file, reopened"
    } else {
        "pg_dump --format=custom, then pg_restore --exit-on-error into an empty database"
    }
}

/// The table a restore's message names: `COPY failed for table "memo"`, or the `ON memo` of an
/// index it could not create.
fn failed_table(message: &str) -> Option<&str> {
    let after = |marker: &str| {
        let start = message.find(marker)? + marker.len();
        let rest = &message[start..];
        let end = rest.find(['"', ' ', '(', '\n']).unwrap_or(rest.len());
        Some(rest[..end].rsplit('.').next().unwrap_or_default())
    };
    after("for table \"")
        .or_else(|| after(" ON public."))
        .or_else(|| after(" ON "))
}

/// The diagnostic at the statement of `LATEST.sql` that creates `table`, where there is one, or
/// at the file.
fn at_table(diagnostic: Diagnostic, latest: Option<&SqlFile>, table: Option<&str>) -> Diagnostic {
    let Some(latest) = latest else {
        return diagnostic;
    };
    let diagnostic = diagnostic.file(latest.source.display.clone());
    match table.and_then(|table| locate(latest, &format!("table {table}"))) {
        Some(span) => diagnostic.span(span),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_part_by_part() {
        assert_eq!(quoted("memo"), "\"memo\"");
        assert_eq!(quoted("audit.memo"), "\"audit\".\"memo\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn the_failed_table_is_read_from_the_restore_message() {
        let copy = "pg_restore: error: COPY failed for table \"memo\": ERROR:  function g(integer) does not exist";
        assert_eq!(failed_table(copy), Some("memo"));
        let index = "pg_restore: error: could not execute query: ERROR:  function g(integer) does not exist\nCommand was: CREATE INDEX memo_f ON public.memo USING btree (public.f(x));";
        assert_eq!(failed_table(index), Some("memo"));
        assert_eq!(failed_table("the backup failed: disk full"), None);
    }

    #[test]
    fn a_failed_backup_is_told_from_a_failed_restore() {
        let failed = |backup| {
            Diagnostic::from(RestoreFailed {
                engine: "PostgreSQL 15.18",
                backup,
                message: "pg_dump: error: query failed",
                latest: None,
            })
        };
        let (backup, restore) = (failed(true), failed(false));
        assert!(
            backup.message.contains("cannot be made"),
            "{}",
            backup.message
        );
        assert!(backup
            .help
            .as_deref()
            .is_some_and(|h| h.contains("no restore was tried")));
        assert!(
            restore.message.contains("does not restore"),
            "{}",
            restore.message
        );
        assert!(restore
            .help
            .as_deref()
            .is_some_and(|h| h.contains("search_path")));
    }
}
