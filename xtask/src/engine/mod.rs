//! The database engines that chains are replayed on. Each engine is a `Server` of one dialect
//! that gives out `Database`s: fresh, empty databases that the replay applies SQL to and then
//! introspects.

pub mod postgres;
pub mod sqlite;
mod sqlite_backup;
mod sqlite_box;

use std::fmt;
use std::time::Duration;

use anyhow::Result;

use crate::config::Stamp;
use crate::dialect::Dialect;
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

/// The rows a query returned, each value as text (`None` for NULL).
pub type Rows = Vec<Vec<Option<String>>>;

/// How a restore drill went (`Database::restore_drill`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drill {
    /// The backup restored, and the restored database was handed to the caller.
    Restored,
    /// The backup failed, so there was nothing to restore: the program's own message.
    BackupFailed(String),
    /// The restore failed: the program's own message.
    Failed(String),
    /// The engine has no way to back this database up here: why, and what to install.
    NotDrilled(String),
}

/// One database of an engine, owned by one chain. Statements are executed one at a time so
/// that a failure is known by statement and therefore by file, line and column.
pub trait Database {
    /// Runs one statement. A statement running longer than `timeout` is stopped and reported
    /// with `timed_out` set.
    fn execute(&mut self, sql: &str, timeout: Duration) -> Result<(), StatementError>;

    /// Whether `execute` takes several statements in one text and runs them in order, in one
    /// round trip (PostgreSQL's simple query protocol), each still stopped at `timeout`.
    fn runs_batches(&self) -> bool {
        false
    }

    /// Runs one query of the tool's own (the rows a populated chain compares, the checks of a
    /// data test) and returns its rows, every value as text: PostgreSQL's text output; SQLite's
    /// integers and reals as it prints them, its text as stored, its blobs as `x'hex'`; NULL
    /// as `None`. It is stopped at `timeout` like a statement of the tree, since it may read the
    /// tree's views and call its functions.
    fn query(&mut self, sql: &str, timeout: Duration) -> Result<Rows, StatementError>;

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

    /// The restore drill: backs the database up the way its operators do (PostgreSQL:
    /// `pg_dump` in the custom format; SQLite: the online backup API into a file), restores the
    /// backup into a new database (`pg_restore --exit-on-error`; SQLite: the file reopened), runs
    /// `work` on it, and removes the backup and the restored database. Each backup or restore
    /// program may run for `timeout`. An error is the engine's own: the drill could not be run.
    fn restore_drill(
        &mut self,
        timeout: Duration,
        work: &mut dyn FnMut(&mut dyn Database),
    ) -> Result<Drill>;
}

/// An engine the chains of one dialect run on: a throwaway PostgreSQL cluster, an existing
/// PostgreSQL server, the bundled SQLite library. Chains of a run share it from several
/// threads, so it hands out databases through `&self`.
pub trait Server: Send + Sync {
    /// The dialect whose chains this server runs.
    fn dialect(&self) -> Dialect;

    /// The version, as the engine reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)` or
    /// `3.54.1`: read once, when the server was started.
    fn version(&self) -> &str;

    /// Where it runs, for the summary: the throwaway cluster and its binaries, the server's
    /// redacted URL, or the bundled library.
    fn origin(&self) -> String;

    /// Where a missing extension would have to be installed, for messages: the binaries'
    /// folder, or the server's redacted URL.
    fn location(&self) -> String;

    /// Why the chains did not run with only the rights of the service's own role, where they did
    /// not (an engine without roles has nothing to say).
    fn unchecked(&self) -> Option<&str> {
        None
    }

    /// Gives the chain named `chain` a new, empty database, runs `work` on it, and then removes
    /// the database and what the chain left on the server, so that the next chain finds the
    /// server as this one found it (a throwaway cluster keeps the database and the chain's own
    /// role until it stops, which removes them). An error is the engine's own: the chain could not be run.
    fn with_database(&self, chain: &str, work: &mut dyn FnMut(&mut dyn Database)) -> Result<()>;

    /// Stops the server, or removes what this run left on it; errors are reported rather than
    /// only warned about, as dropping would.
    fn close(self: Box<Self>) -> Result<()>;
}
