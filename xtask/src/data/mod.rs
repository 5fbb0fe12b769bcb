//! Generated rows for any schema: `populate` fills every table of a database with rows read from
//! its introspected `Schema`, so that an upgrade chain runs on data as a service's database holds
//! it, and a migration that only works on empty tables fails as it would in production.
//!
//! What the rows are:
//! - **Deterministic.** A value is a pure function of the table, the column and the row number
//!   (`kind.rs`): no randomness, so two runs write the same rows and a failure repeats.
//! - **Keys hold.** Values differ from row to row, so primary keys, unique constraints and unique
//!   indexes hold; integers count from 1000, or from above the largest value a keyed column
//!   already holds (the rows a fresh-install script writes).
//! - **Foreign keys find their parents.** Tables are filled parents first (`order.rs`); a key
//!   column takes the referenced column's value in an inserted row of the parent, a different row
//!   for each of the table's keys into the same parent; a table's key into itself references the
//!   row half its number (row 0 itself). A cycle is broken at the table with the fewest
//!   `NOT NULL` keys into it: those keys are NULL where nullable; otherwise they reference the
//!   rows planned in the table filled later, in one transaction whose commit checks them
//!   (PostgreSQL's deferrable constraints, SQLite's `defer_foreign_keys`); what the engine still
//!   refuses is reported. A key into a table left alone (the stamp's) references the rows that
//!   table holds.
//! - **CHECKs the tool can read** (`checks.rs`): a column with an `IN` list or `= ANY (ARRAY[...])`
//!   takes its values in turn (SQLite's `0/1` booleans among them), integer ranges and text
//!   lengths narrow the values. A row that breaks a CHECK the tool cannot read is retried alone
//!   and reported as skipped with the engine's message.
//! - **Types.** PostgreSQL's integers, numerics, floats, text types (their length respected),
//!   booleans, dates, times, timestamps, intervals, uuids, JSON (objects), bytea, enums, arrays,
//!   inet, cidr, macaddr; SQLite's by their declared names and affinity. A type the generator
//!   does not know gets NULL where the column takes it, else the column's default, else the row
//!   is skipped and reported. Generated columns are left out; `identity always` columns take
//!   explicit values with `OVERRIDING SYSTEM VALUE`, and every owned sequence is then brought
//!   past the largest key, so that a migration's own `INSERT` does not collide.
//! - **Edge rows** after the regular rows, each where it differs from a regular row: every
//!   nullable column NULL (so that a later `SET NOT NULL` meets one); every column with a default
//!   left out but the keyed ones (a sequence behind rows written before would repeat a key);
//!   empty strings, `{}`, empty arrays and the oldest date and timestamp (Go's zero
//!   time, `0001-01-01`); long text outside ASCII.
//! - **Fast.** Regular rows go in multi-row `INSERT`s (`fill.rs`); a batch the engine refuses is
//!   written again row by row, so that each refused row is known.
//!
//! A refused row is never an error of `populate`: it is in `Filled::skipped`, with the engine's
//! reason. Nothing here prints.

mod checks;
mod fill;
mod kind;
mod order;
mod plan;
mod sql;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::schema::Schema;

use plan::{Plans, TablePlan};

/// What to generate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Regular rows per table (`--rows`).
    pub rows: usize,
    /// Tables left alone, by name as the schema has them: the stamp's table (the service's
    /// version record must not gain rows) and whatever the configuration excludes.
    pub skip_tables: Vec<String>,
}

/// What `populate` wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Populated {
    /// In the order they were filled.
    pub tables: Vec<Filled>,
}

/// What was written into one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filled {
    pub table: String,
    /// Rows inserted, regular and edge rows.
    pub inserted: usize,
    /// Rows tried, regular and edge rows: `inserted` plus the skipped ones.
    pub attempted: usize,
    pub skipped: Vec<Skipped>,
}

/// A row the generator could not insert, and the engine's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// `row 3`, `edge row: every nullable column NULL`.
    pub row: String,
    pub error: StatementError,
}

/// Fills every table of `schema` (read from the engine right before) in `db`, which holds no
/// open transaction: deterministic rows, parents before children. An `Err` is the engine
/// failing (a lost connection), never a row that does not fit.
///
/// Where a cycle of foreign keys has `NOT NULL` keys, the rows go in one transaction with the
/// keys' checks deferred to its commit (PostgreSQL's deferrable constraints, SQLite's
/// `defer_foreign_keys`); if the commit fails, the rows are written again without, and the rows
/// of the cycle the engine refuses are reported.
pub fn populate(
    db: &mut dyn Database,
    schema: &Schema,
    dialect: Dialect,
    options: &Options,
    timeout: Duration,
) -> anyhow::Result<Populated> {
    let order = order::fill_order(schema, &options.skip_tables);
    let mut plans = Plans {
        plans: BTreeMap::new(),
        inserted: BTreeMap::new(),
        rows: options.rows,
    };
    for name in &order.tables {
        let table = &schema.tables[name];
        let plan = TablePlan::new(db, schema, table, dialect, &order, timeout)?;
        plans.plans.insert(name.clone(), plan);
    }
    let mut writer = fill::Writer {
        db,
        dialect,
        timeout,
        savepoints: order.needs_deferral(schema),
    };
    if writer.savepoints {
        writer.db.begin()?;
        let deferred = defer_keys(&mut writer)
            .and_then(|()| fill_all(&mut writer, schema, &order, &mut plans));
        match deferred.map(|populated| (writer.db.commit(), populated)) {
            Ok((Ok(()), populated)) => return Ok(populated),
            Ok((Err(_), _)) => writer.db.rollback()?,
            Err(error) => {
                writer.db.rollback()?;
                return Err(error);
            }
        }
        writer.savepoints = false;
        plans.inserted.clear();
    }
    fill_all(&mut writer, schema, &order, &mut plans)
}

/// Defers the foreign keys' checks to the commit of the open transaction.
fn defer_keys(writer: &mut fill::Writer<'_>) -> anyhow::Result<()> {
    let sql = match writer.dialect {
        Dialect::Postgres => "SET CONSTRAINTS ALL DEFERRED",
        Dialect::Sqlite => "PRAGMA defer_foreign_keys = ON",
    };
    writer
        .db
        .execute(sql, writer.timeout)
        .map_err(|error| anyhow::anyhow!("{sql}: {error}"))
}

/// Fills the tables in `order`, then brings the sequences past the keys.
fn fill_all(
    writer: &mut fill::Writer<'_>,
    schema: &Schema,
    order: &order::Order,
    plans: &mut Plans,
) -> anyhow::Result<Populated> {
    let mut populated = Populated::default();
    for name in &order.tables {
        let plan = &plans.plans[name];
        let (filled, inserted) = fill::fill_table(writer, plan, plans)?;
        plans.inserted.insert(name.clone(), inserted);
        populated.tables.push(filled);
    }
    fill::advance_sequences(writer, schema, &order.tables)?;
    Ok(populated)
}
