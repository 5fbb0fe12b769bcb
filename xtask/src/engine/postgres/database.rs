//! A database of the replay on PostgreSQL: one connection to one database of the server.

use std::time::Duration;

use anyhow::Context as _;
use postgres::error::ErrorPosition;
use postgres::{Client, SimpleQueryMessage};

use super::dump::{self, DrillSource};
use super::watchdog::{Stopped, Watchdog};
use crate::config::Stamp;
use crate::engine::{Database, Drill, Rows, StatementError};
use crate::schema::Schema;

/// SQLSTATE `query_canceled`: what PostgreSQL reports when `statement_timeout` stops a statement.
const QUERY_CANCELED: &str = "57014";

/// How long the tool's own statements (the commit, reading the stamp) may run before the
/// first statement of the chain has set a timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PostgresDatabase {
    // Declared first so that it is dropped first: the watchdog stops before the session it
    // watches is closed.
    watchdog: Option<Watchdog>,
    client: Client,
    /// The `statement_timeout` last set on this connection, so it is set only when it changes.
    timeout: Option<Duration>,
    /// What the restore drill needs: the server and the database's name; `None` for a database
    /// opened without its server, which cannot be drilled.
    drill: Option<DrillSource>,
    /// Whether `execute` may be given several statements in one text (`Database::runs_batches`).
    batches: bool,
}

impl PostgresDatabase {
    /// A database whose statements are stopped only by the session's own `statement_timeout`,
    /// for SQL the tool trusts (the benchmark's generated tree).
    pub fn new(client: Client) -> PostgresDatabase {
        PostgresDatabase {
            watchdog: None,
            client,
            timeout: None,
            drill: None,
            batches: true,
        }
    }

    /// A database for untrusted SQL: each statement is also stopped from outside its session
    /// (see `watchdog`), over connections opened from `admin`, a configuration with the right
    /// to cancel and terminate the session's backend.
    pub fn watched(
        mut client: Client,
        admin: postgres::Config,
    ) -> anyhow::Result<PostgresDatabase> {
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .context("reading the chain's backend pid")?
            .try_get(0)
            .context("reading the chain's backend pid")?;
        let watchdog = Watchdog::start(admin, pid)
            .context("starting the thread that enforces the statement timeout")?;
        Ok(PostgresDatabase {
            watchdog: Some(watchdog),
            client,
            timeout: None,
            drill: None,
            batches: true,
        })
    }

    /// The database as a chain's, which the restore drill can back up and restore on its server.
    pub(super) fn drilled_by(self, source: DrillSource) -> PostgresDatabase {
        PostgresDatabase {
            drill: Some(source),
            ..self
        }
    }

    /// Sends each statement alone: where a statement may end this session (the watchdog
    /// terminates one that catches its cancellation), a failed batch could not be replayed
    /// statement by statement to name the statement that failed.
    pub fn without_batches(mut self) -> PostgresDatabase {
        self.batches = false;
        self
    }

    fn run(&mut self, sql: &str) -> Result<(), StatementError> {
        self.client.batch_execute(sql).map_err(statement_error)
    }

    /// Runs `f` with the watchdog armed for `timeout`, and tells what it had to do.
    fn guarded<T>(
        &mut self,
        timeout: Duration,
        f: impl FnOnce(&mut Self) -> T,
    ) -> (T, Option<Stopped>) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.arm(timeout);
        }
        let result = f(self);
        let stopped = self.watchdog.as_ref().and_then(Watchdog::disarm);
        (result, stopped)
    }

    /// Runs one statement of the tree, stopped at `timeout` whatever it does to its session.
    fn run_guarded(&mut self, sql: &str, timeout: Duration) -> Result<(), StatementError> {
        let (result, stopped) = self.guarded(timeout, |db| db.run(sql));
        match (result, stopped) {
            (Err(error), Some(stopped)) => Err(stopped_error(error, stopped, timeout)),
            (result, _) => result,
        }
    }
}

/// A statement the watchdog stopped: PostgreSQL's own message says only that it was cancelled
/// by request, or that the connection ended.
fn stopped_error(error: StatementError, stopped: Stopped, timeout: Duration) -> StatementError {
    let how = match stopped {
        Stopped::Cancelled => "it went on despite its session's statement_timeout and was cancelled from outside its session",
        Stopped::Terminated => "it went on even after being cancelled, so its session was terminated",
    };
    StatementError {
        message: format!("the statement ran longer than the timeout of {timeout:?}: {how}"),
        timed_out: true,
        offset: None,
        ..error
    }
}

fn statement_error(error: postgres::Error) -> StatementError {
    match error.as_db_error() {
        Some(db) => StatementError {
            message: db.message().to_string(),
            sqlstate: Some(db.code().code().to_string()),
            offset: match db.position() {
                // PostgreSQL counts characters from 1.
                Some(ErrorPosition::Original(position)) => Some(*position as usize - 1),
                _ => None,
            },
            timed_out: db.code().code() == QUERY_CANCELED,
            denied: false,
        },
        None => StatementError {
            message: error.to_string(),
            sqlstate: None,
            offset: None,
            timed_out: false,
            denied: false,
        },
    }
}

impl Database for PostgresDatabase {
    fn execute(&mut self, sql: &str, timeout: Duration) -> Result<(), StatementError> {
        if self.timeout != Some(timeout) {
            self.run(&format!("SET statement_timeout = {}", timeout.as_millis()))?;
            self.timeout = Some(timeout);
        }
        self.run_guarded(sql, timeout)
    }

    /// The simple query protocol runs every statement of a text in order, and PostgreSQL 13
    /// and later apply `statement_timeout` to each statement of it; the watchdog watches the
    /// whole text.
    fn runs_batches(&self) -> bool {
        self.batches
    }

    fn query(&mut self, sql: &str, timeout: Duration) -> Result<Rows, StatementError> {
        if self.timeout != Some(timeout) {
            self.run(&format!("SET statement_timeout = {}", timeout.as_millis()))?;
            self.timeout = Some(timeout);
        }
        let (result, stopped) = self.guarded(timeout, |db| db.client.simple_query(sql));
        let messages = match (result, stopped) {
            (Ok(messages), _) => messages,
            (Err(error), Some(stopped)) => {
                return Err(stopped_error(statement_error(error), stopped, timeout))
            }
            (Err(error), None) => return Err(statement_error(error)),
        };
        Ok(messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        self.client.batch_execute("BEGIN").context("BEGIN")
    }

    /// Commits, watched like a statement: deferred triggers run here, and they are the
    /// tree's SQL too.
    fn commit(&mut self) -> Result<(), StatementError> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        self.run_guarded("COMMIT", timeout)
    }

    /// Rolls back; a `SET statement_timeout` made inside the transaction is undone with it, so
    /// the next statement sets it again.
    fn rollback(&mut self) -> anyhow::Result<()> {
        self.timeout = None;
        self.client.batch_execute("ROLLBACK").context("ROLLBACK")
    }

    fn stamp_record(&mut self, stamp: &Stamp) -> anyhow::Result<Vec<String>> {
        // The identifiers are unquoted, as the tree's SQL writes them, so that they fold to
        // lower case the same way.
        let (table, query, parameter) = match &stamp.history {
            Some(history) => (
                &history.table,
                format!(
                    "SELECT {column}::text FROM {} WHERE {column} IS NOT NULL",
                    history.table,
                    column = history.column
                ),
                None,
            ),
            None => (
                &stamp.table,
                format!(
                    "SELECT {}::text FROM {} WHERE {} = $1",
                    stamp.value_column, stamp.table, stamp.name_column
                ),
                Some(&stamp.key),
            ),
        };
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[table])
            .with_context(|| format!("looking for {table}"))?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        // The stamp may be a view of the tree's own functions, so its read is watched too.
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let (rows, stopped) = self.guarded(timeout, |db| match parameter {
            Some(key) => db.client.query(&query, &[key]),
            None => db.client.query(&query, &[]),
        });
        if let Some(stopped) = stopped {
            anyhow::bail!(
                "reading the schema version from {table} ran longer than the timeout of \
                 {timeout:?} and was stopped ({stopped:?})"
            );
        }
        let rows = rows.with_context(|| format!("reading the schema version from {table}"))?;
        Ok(rows
            .iter()
            .filter_map(|row| row.get::<_, Option<String>>(0))
            .collect())
    }

    fn introspect(&mut self) -> anyhow::Result<Schema> {
        crate::schema::postgres::introspect(&mut self.client)
    }

    fn restore_drill(
        &mut self,
        timeout: Duration,
        work: &mut dyn FnMut(&mut dyn Database),
    ) -> anyhow::Result<Drill> {
        match &self.drill {
            Some(source) => dump::drill(source, timeout, work),
            None => anyhow::bail!(
                "this database was opened without its server, so it cannot be backed up and \
                 restored"
            ),
        }
    }
}
