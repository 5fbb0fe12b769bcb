//! The findings of the measurement (`measure.rs`): a statement that rewrote a table that
//! existed before the upgrade (`table-rewrite`), and one that took an ACCESS EXCLUSIVE lock on
//! one (`access-exclusive-lock`). The same statement in several upgrade chains is reported
//! once, naming them.

use super::chain::{Chain, Outcome};
use super::failure::statement_span;
use super::measure::ACCESS_EXCLUSIVE;
use super::report::Grouped;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::sql::{SqlFile, Statement};

/// A statement after which a table that existed before the upgrade had a new file node: the
/// engine wrote the whole table anew.
struct Rewrite<'a> {
    file: &'a SqlFile,
    statement: &'a Statement,
    table: &'a str,
}

/// A statement that took an ACCESS EXCLUSIVE lock on a table that existed before the upgrade,
/// held until the upgrade's transaction ends.
struct Lock<'a> {
    file: &'a SqlFile,
    statement: &'a Statement,
    table: &'a str,
}

impl From<Rewrite<'_>> for Diagnostic {
    fn from(rewrite: Rewrite<'_>) -> Diagnostic {
        let table = rewrite.table;
        Diagnostic::new(
            Code::TableRewrite,
            format!(
                "this statement rewrote table {table} on PostgreSQL: the table's file node \
                 changed, so every row was copied while the table was locked"
            ),
        )
        .file(rewrite.file.source.display.clone())
        .span(statement_span(rewrite.file, rewrite.statement))
        .help(format!(
            "on a large {table} the upgrade stops reads and writes for as long as the copy takes \
             (`--rows N` times it on N rows per table, in the JSON summary); where the change \
             allows, use a form that does not rewrite (ADD COLUMN with a constant default, a new \
             column filled in batches), or plan the downtime"
        ))
    }
}

impl From<Lock<'_>> for Diagnostic {
    fn from(lock: Lock<'_>) -> Diagnostic {
        let table = lock.table;
        Diagnostic::new(
            Code::AccessExclusiveLock,
            format!(
                "this statement took an ACCESS EXCLUSIVE lock on table {table} on PostgreSQL, \
                 held until the upgrade's transaction ends: nothing reads or writes {table} \
                 meanwhile"
            ),
        )
        .file(lock.file.source.display.clone())
        .span(statement_span(lock.file, lock.statement))
        .help(
            "the service's running version waits on it, and every query queued behind it; keep \
             the transaction short after it, or use a form that takes a weaker lock (CREATE \
             INDEX CONCURRENTLY outside a transaction, ADD CONSTRAINT ... NOT VALID then \
             VALIDATE CONSTRAINT)",
        )
    }
}

/// The measured rewrites and ACCESS EXCLUSIVE locks of `dialect`'s upgrade chains.
pub fn report(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    engines: &[super::Engine],
    out: &mut Vec<Diagnostic>,
) {
    let mut grouped = Grouped::new(dialect, chains, engines);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
    {
        let Some(measured) = &outcome.measured else {
            continue;
        };
        for timed in &measured.statements {
            let (file, statement) = (timed.file, timed.statement);
            for table in &timed.rewrote {
                let rewrite = Rewrite {
                    file,
                    statement,
                    table,
                };
                grouped.add(rewrite.into(), chain);
            }
            for (table, _) in timed.locked.iter().filter(|(_, m)| *m == ACCESS_EXCLUSIVE) {
                let lock = Lock {
                    file,
                    statement,
                    table,
                };
                grouped.add(lock.into(), chain);
            }
        }
    }
    grouped.finish(out);
}
