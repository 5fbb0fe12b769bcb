//! The database engines that chains are replayed on. Each engine gives out `Database`s: fresh,
//! empty databases that the replay applies SQL to and then introspects.

pub mod postgres;
pub mod sqlite;
mod sqlite_box;

use std::fmt;
use std::time::Duration;

use crate::config::Stamp;
use crate::schema::Schema;

/// An error an engine gave for one statement, in its own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementError {
    /// The engine's message, as it printed it.
    pub message: String,
    /// PostgreSQL's SQLSTATE (`42P01`, ...); `None` on SQLite.
    pub sqlstate: Option<String>,
    /// Where in the statement the engine says the error is, as a character offset from the
    /// statement's start (PostgreSQL reports one for syntax and some semantic errors).
    pub offset: Option<usize>,
    /// The statement ran past the per-statement timeout and was stopped.
    pub timed_out: bool,
    /// The replay's confinement refused the statement (an SQLite `ATTACH`, a pragma that
    /// touches the host's files): `message` says what and why.
    pub denied: bool,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(state) => write!(f, "{} (SQLSTATE {state})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// One database of an engine, owned by one chain. Statements are executed one at a time so
/// that a failure is known by statement and therefore by file, line and column.
pub trait Database {
    /// Runs one statement. A statement running longer than `timeout` is stopped and reported
    /// with `timed_out` set.
    fn execute(&mut self, sql: &str, timeout: Duration) -> Result<(), StatementError>;

    fn begin(&mut self) -> anyhow::Result<()>;
    fn commit(&mut self) -> Result<(), StatementError>;
    fn rollback(&mut self) -> anyhow::Result<()>;

    /// What the record the service reads its version from holds: the value of the stamp's row
    /// (by convention `instance_setting` row `BASIC`), or every non-null version of the
    /// history table (`[stamp.history]`); empty where the table or the row does not exist.
    /// `Stamp::stored_version` reads the version from it. The stamp's identifiers were checked
    /// to be plain identifiers when the configuration was read.
    fn stamp_record(&mut self, stamp: &Stamp) -> anyhow::Result<Vec<String>>;

    /// Reads the whole schema from the engine's catalog.
    fn introspect(&mut self) -> anyhow::Result<Schema>;
}
