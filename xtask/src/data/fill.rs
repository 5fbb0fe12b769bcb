//! Writing a table's rows: the regular rows in multi-row `INSERT`s of a few hundred, each batch
//! the engine refuses written again row by row so that the rows it refuses are known, then the
//! edge rows one by one; and, on PostgreSQL, the owned sequences brought past the keys written.

use std::time::Duration;

use anyhow::{anyhow, bail};

use super::kind::Flavor;
use super::plan::{Plans, Row, TablePlan};
use super::sql::{quote_identifier, table_ref};
use super::{Filled, Skipped};
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::schema::Schema;

/// Regular rows per `INSERT`: few enough that a statement stays small, many enough that
/// `--rows 10000` takes few round trips.
const BATCH: usize = 250;

/// The edge rows, in the order they are written, with how a skipped one is named.
const EDGES: [(Flavor, &str); 4] = [
    (Flavor::Nulls, "edge row: every nullable column NULL"),
    (
        Flavor::Defaults,
        "edge row: every column with a default but the keys left out",
    ),
    (
        Flavor::Empty,
        "edge row: empty strings, empty JSON and arrays, the oldest dates",
    ),
    (Flavor::Long, "edge row: long non-ASCII text"),
];

/// Where rows are written, and how.
pub(super) struct Writer<'a> {
    pub db: &'a mut dyn Database,
    pub dialect: Dialect,
    pub timeout: Duration,
    /// Inside a transaction: each `INSERT` runs under a savepoint, so that a refused one does not
    /// end the transaction (PostgreSQL aborts a transaction at its first error).
    pub savepoints: bool,
}

impl Writer<'_> {
    /// Runs one `INSERT`; under a savepoint, a refused one is rolled back alone.
    fn run(&mut self, sql: &str) -> Result<(), StatementError> {
        if !self.savepoints {
            return self.db.execute(sql, self.timeout);
        }
        self.db.execute("SAVEPOINT generated_rows", self.timeout)?;
        let result = self.db.execute(sql, self.timeout);
        if result.is_err() {
            self.db
                .execute("ROLLBACK TO SAVEPOINT generated_rows", self.timeout)?;
        }
        self.db
            .execute("RELEASE SAVEPOINT generated_rows", self.timeout)?;
        result
    }
}

/// Fills the table of `plan` with `plans.rows` regular rows and its edge rows; returns what was
/// filled and the regular rows inserted (the rows its children may reference).
pub(super) fn fill_table(
    writer: &mut Writer<'_>,
    plan: &TablePlan,
    plans: &Plans,
) -> anyhow::Result<(Filled, Vec<usize>)> {
    let dialect = writer.dialect;
    let mut filled = Filled {
        table: plan.name.clone(),
        inserted: 0,
        attempted: 0,
        skipped: Vec::new(),
    };
    let mut inserted = Vec::new();
    let numbers: Vec<usize> = (0..plans.rows).collect();
    for batch in numbers.chunks(BATCH) {
        let rows: Vec<Row> = batch
            .iter()
            .map(|&number| plan.row(number, Flavor::Regular, plans))
            .collect();
        filled.attempted += rows.len();
        // A batch of one is written alone at once; so are rows that name no column, since
        // `DEFAULT VALUES` writes a single row.
        if rows.len() > 1 && rows.iter().any(|row| !row.is_empty()) {
            match writer.run(&insert(plan, &rows, dialect)) {
                Ok(()) => {
                    inserted.extend_from_slice(batch);
                    continue;
                }
                Err(error) => engine_failed(&error, &plan.name, dialect)?,
            }
        }
        for (&number, row) in batch.iter().zip(rows) {
            let label = format!("row {number}");
            if write_one(writer, plan, row, &label, &mut filled)? {
                inserted.push(number);
            }
        }
    }
    filled.inserted = inserted.len();
    for (offset, (flavor, label)) in EDGES.iter().enumerate() {
        if plan.has_edge(*flavor) {
            filled.attempted += 1;
            let row = plan.row(plans.rows + offset, *flavor, plans);
            if write_one(writer, plan, row, label, &mut filled)? {
                filled.inserted += 1;
            }
        }
    }
    Ok((filled, inserted))
}

/// Writes one row; a row the engine refuses is recorded in `filled` as skipped.
fn write_one(
    writer: &mut Writer<'_>,
    plan: &TablePlan,
    row: Row,
    label: &str,
    filled: &mut Filled,
) -> anyhow::Result<bool> {
    match writer.run(&insert(plan, &[row], writer.dialect)) {
        Ok(()) => Ok(true),
        Err(error) => {
            engine_failed(&error, &plan.name, writer.dialect)?;
            filled.skipped.push(Skipped {
                row: label.to_string(),
                error,
            });
            Ok(false)
        }
    }
}

/// An error that is the engine failing rather than a row it refused: on PostgreSQL, an error
/// without an SQLSTATE that was no timeout (the connection was lost), a connection exception
/// (class `08`) or the server ending the session (`57P01` to `57P05`).
fn engine_failed(error: &StatementError, table: &str, dialect: Dialect) -> anyhow::Result<()> {
    if dialect != Dialect::Postgres {
        return Ok(());
    }
    let lost = match error.sqlstate.as_deref() {
        None => !error.timed_out && !error.denied,
        Some(state) => state.starts_with("08") || state.starts_with("57P"),
    };
    if lost {
        bail!("the engine failed while rows were written into table {table}: {error}");
    }
    Ok(())
}

/// Brings every sequence owned by a column of a filled table past the largest value the column
/// holds, so that a later `INSERT` that leaves the column to its sequence does not collide with
/// a generated row. SQLite needs nothing: its rowid, and `AUTOINCREMENT`'s record, follow the
/// largest key by themselves.
pub(super) fn advance_sequences(
    writer: &mut Writer<'_>,
    schema: &Schema,
    filled: &[String],
) -> anyhow::Result<()> {
    let dialect = writer.dialect;
    if dialect != Dialect::Postgres {
        return Ok(());
    }
    for sequence in schema.sequences.values() {
        let Some((table, column)) = sequence
            .owned_by
            .as_deref()
            .and_then(|owner| owner.rsplit_once('.'))
        else {
            continue;
        };
        if !filled.iter().any(|name| name == table) {
            continue;
        }
        let sql = format!(
            "SELECT setval({}::regclass, largest) FROM (SELECT max({}) AS largest FROM {}) AS filled \
             WHERE largest IS NOT NULL",
            super::kind::quote_literal(&table_ref(&sequence.name, dialect)),
            quote_identifier(column),
            table_ref(table, dialect),
        );
        writer.db.query(&sql, writer.timeout).map_err(|error| {
            anyhow!(
                "bringing sequence {} past the rows of table {table}: {error}",
                sequence.name
            )
        })?;
    }
    Ok(())
}

/// One `INSERT` of `rows`, which all name the same columns. A row that names no column is
/// written with `DEFAULT VALUES`, alone.
fn insert(plan: &TablePlan, rows: &[Row], dialect: Dialect) -> String {
    let table = table_ref(&plan.name, dialect);
    let Some(first) = rows.first().filter(|row| !row.is_empty()) else {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    };
    let columns: Vec<String> = first
        .iter()
        .map(|(index, _)| quote_identifier(&plan.columns[*index].name))
        .collect();
    let overriding = first
        .iter()
        .any(|(index, _)| plan.columns[*index].identity_always);
    let mut sql = format!("INSERT INTO {table} ({})", columns.join(", "));
    if overriding {
        sql.push_str(" OVERRIDING SYSTEM VALUE");
    }
    sql.push_str(" VALUES ");
    for (number, row) in rows.iter().enumerate() {
        if number > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (position, (_, value)) in row.iter().enumerate() {
            if position > 0 {
                sql.push_str(", ");
            }
            sql.push_str(value.as_deref().unwrap_or("NULL"));
        }
        sql.push(')');
    }
    sql
}
