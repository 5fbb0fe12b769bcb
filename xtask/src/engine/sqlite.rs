//! SQLite, bundled with rusqlite and run in process: every chain gets a new in-memory database.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rusqlite::fallible_iterator::FallibleIterator as _;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection, ErrorCode, InterruptHandle};

use super::sqlite_box::{self, Denials};
use super::{Database, Drill, Rows, Server, StatementError};
use crate::config::Stamp;
use crate::dialect::Dialect;
use crate::schema::sqlite::optional_text;
use crate::schema::Schema;

/// The version of the bundled SQLite library, as `sqlite_version()` reports it.
pub fn version() -> String {
    rusqlite::version().to_string()
}

/// The bundled SQLite library as a server of the replay: each chain gets a new in-memory
/// database, gone when the chain is done.
pub struct SqliteServer {
    /// Whether SQLite enforces foreign keys, as the service sets it (`sqlite-foreign-keys`).
    foreign_keys: bool,
    version: String,
}

impl SqliteServer {
    pub fn new(foreign_keys: bool) -> SqliteServer {
        SqliteServer {
            foreign_keys,
            version: version(),
        }
    }
}

impl Server for SqliteServer {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn origin(&self) -> String {
        "bundled, in process".into()
    }

    fn location(&self) -> String {
        self.origin()
    }

    fn with_database(
        &self,
        _chain: &str,
        work: &mut dyn FnMut(&mut dyn Database),
    ) -> anyhow::Result<()> {
        let mut db = SqliteDatabase::open_in_memory(self.foreign_keys)?;
        work(&mut db);
        Ok(())
    }

    fn close(self: Box<Self>) -> anyhow::Result<()> {
        // An in-memory database goes with its connection: there is nothing left to remove.
        Ok(())
    }
}

/// One in-memory SQLite database.
pub struct SqliteDatabase {
    // Declared first so that it is dropped first: the watchdog thread stops before the
    // connection it may interrupt is closed.
    watchdog: Watchdog,
    connection: Connection,
    /// Why the box refused the statement being run (see `sqlite_box`).
    denials: Denials,
}

impl SqliteDatabase {
    /// Opens a new, empty in-memory database. The service turns `PRAGMA foreign_keys` on when it
    /// opens its database, so the replay normally does too; it is a connection setting, which a
    /// `PRAGMA foreign_keys` inside a migration's transaction cannot change. The database is
    /// boxed: no statement run on it reaches a file of the host (`sqlite_box`).
    pub fn open_in_memory(foreign_keys: bool) -> anyhow::Result<SqliteDatabase> {
        let connection =
            Connection::open_in_memory().context("cannot open an in-memory SQLite database")?;
        SqliteDatabase::boxed(connection, foreign_keys)
    }

    /// The database on `connection`, boxed and with `PRAGMA foreign_keys` set as the service
    /// sets it.
    pub(super) fn boxed(
        mut connection: Connection,
        foreign_keys: bool,
    ) -> anyhow::Result<SqliteDatabase> {
        let denials =
            sqlite_box::confine(&mut connection).context("cannot confine the SQLite database")?;
        connection
            .pragma_update(None, "foreign_keys", foreign_keys)
            .context("cannot set PRAGMA foreign_keys")?;
        let watchdog = Watchdog::start(connection.get_interrupt_handle())
            .context("cannot start the thread that enforces SQLite's statement timeout")?;
        Ok(SqliteDatabase {
            watchdog,
            connection,
            denials,
        })
    }

    /// The connection, for reading the database in ways the `Database` trait does not offer.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

impl Database for SqliteDatabase {
    /// Runs the statement in `sql` (every statement, should it hold more than one), stepping it
    /// to the end so that a `SELECT` runs in full, as it would in the service.
    fn execute(&mut self, sql: &str, timeout: Duration) -> Result<(), StatementError> {
        if let Some(reason) = sqlite_box::refused_statement(sql) {
            return Err(StatementError {
                message: reason,
                sqlstate: None,
                offset: None,
                timed_out: false,
                denied: true,
            });
        }
        self.watchdog.arm(timeout);
        let result = run(&self.connection, sql);
        let timed_out = self.watchdog.disarm();
        // A refusal recorded while the statement ran is what failed it: SQLite reports it as
        // "not authorized", or, for the attach inside `VACUUM INTO`, as the vacuum's error.
        let denied = self.denials.take();
        result.map_err(|error| {
            if let Some(reason) = denied {
                StatementError {
                    message: reason,
                    sqlstate: None,
                    offset: None,
                    timed_out: false,
                    denied: true,
                }
            } else if timed_out && is_interrupt(&error) {
                StatementError {
                    message: format!(
                        "the statement ran longer than the timeout of {timeout:?} and was \
                         interrupted"
                    ),
                    sqlstate: None,
                    offset: None,
                    timed_out: true,
                    denied: false,
                }
            } else {
                statement_error(&error, sql)
            }
        })
    }

    fn query(&mut self, sql: &str, timeout: Duration) -> Result<Rows, StatementError> {
        self.watchdog.arm(timeout);
        let result = read_rows(&self.connection, sql);
        let timed_out = self.watchdog.disarm();
        result.map_err(|error| {
            if timed_out && is_interrupt(&error) {
                StatementError {
                    message: format!(
                        "the query ran longer than the timeout of {timeout:?} and was interrupted"
                    ),
                    sqlstate: None,
                    offset: None,
                    timed_out: true,
                    denied: false,
                }
            } else {
                statement_error(&error, sql)
            }
        })
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        self.connection
            .execute_batch("BEGIN")
            .context("SQLite refused BEGIN")
    }

    fn commit(&mut self) -> Result<(), StatementError> {
        self.connection
            .execute_batch("COMMIT")
            .map_err(|error| statement_error(&error, "COMMIT"))
    }

    /// Rolls the open transaction back. SQLite may have rolled it back itself already (after an
    /// interrupt, or a `RAISE(ROLLBACK)`); there is then nothing left to do.
    fn rollback(&mut self) -> anyhow::Result<()> {
        if self.connection.is_autocommit() {
            return Ok(());
        }
        self.connection
            .execute_batch("ROLLBACK")
            .context("SQLite refused ROLLBACK")
    }

    fn stamp_record(&mut self, stamp: &Stamp) -> anyhow::Result<Vec<String>> {
        let (table, query, key) = match &stamp.history {
            Some(history) => (
                &history.table,
                format!(
                    "SELECT {column} FROM {} WHERE {column} IS NOT NULL",
                    history.table,
                    column = history.column
                ),
                None,
            ),
            None => (
                &stamp.table,
                format!(
                    "SELECT {} FROM {} WHERE {} = ?1",
                    stamp.value_column, stamp.table, stamp.name_column
                ),
                Some(&stamp.key),
            ),
        };
        // SQLite compares table names without regard to case, so the lookup does too.
        let exists: bool = self
            .connection
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema \
                 WHERE type = 'table' AND name = ?1 COLLATE NOCASE)",
                [table],
                |row| row.get(0),
            )
            .with_context(|| format!("cannot look for the table {table}"))?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut statement = self
            .connection
            .prepare(&query)
            .with_context(|| format!("cannot read the table {table}"))?;
        let mut rows = match key {
            Some(key) => statement.query([key]),
            None => statement.query([]),
        }
        .with_context(|| format!("cannot read the schema version from {table}"))?;
        let mut values = Vec::new();
        while let Some(row) = rows
            .next()
            .with_context(|| format!("cannot read the schema version from {table}"))?
        {
            // The column is declared TEXT, but SQLite stores whatever it is given.
            let value = optional_text(row, 0)
                .with_context(|| format!("cannot read the schema version from {table}"))?;
            values.extend(value);
        }
        Ok(values)
    }

    fn restore_drill(
        &mut self,
        _timeout: Duration,
        work: &mut dyn FnMut(&mut dyn Database),
    ) -> anyhow::Result<Drill> {
        // The backup copies pages, not statements: nothing of the tree runs, so there is no
        // statement to stop at a timeout.
        // Foreign keys are a setting of the connection, not of the file; the drill only reads.
        let reopen = |connection| -> anyhow::Result<Box<dyn Database>> {
            Ok(Box::new(SqliteDatabase::boxed(connection, false)?))
        };
        super::sqlite_backup::drill(&self.connection, &reopen, work)
    }

    fn introspect(&mut self) -> anyhow::Result<Schema> {
        crate::schema::sqlite::introspect(&self.connection)
    }
}

/// Prepares and steps every statement of `sql` to its end.
fn run(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    let mut batch = Batch::new(connection, sql);
    while let Some(mut statement) = batch.next()? {
        let mut rows = statement.raw_query();
        while rows.next()?.is_some() {}
    }
    Ok(())
}

/// The rows of one query, every value as text (see `Database::query`).
fn read_rows(connection: &Connection, sql: &str) -> rusqlite::Result<Rows> {
    let mut statement = connection.prepare(sql)?;
    let width = statement.column_count();
    let mut rows = statement.query([])?;
    let mut read = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..width)
            .map(|index| {
                Ok(match row.get_ref(index)? {
                    ValueRef::Null => None,
                    ValueRef::Integer(value) => Some(value.to_string()),
                    ValueRef::Real(value) => Some(value.to_string()),
                    ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                    ValueRef::Blob(bytes) => Some(format!(
                        "x'{}'",
                        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
                    )),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        read.push(values);
    }
    Ok(read)
}

fn is_interrupt(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(ErrorCode::OperationInterrupted)
}

/// SQLite's own message, and where it says the error is (a byte offset into `sql`, which is
/// turned into a character offset).
fn statement_error(error: &rusqlite::Error, sql: &str) -> StatementError {
    let (message, offset) = match error {
        rusqlite::Error::SqlInputError { msg, offset, .. } => {
            let offset = usize::try_from(*offset)
                .ok()
                .and_then(|offset| sql.get(..offset))
                .map(|before| before.chars().count());
            (msg.clone(), offset)
        }
        rusqlite::Error::SqliteFailure(failure, message) => {
            (message.clone().unwrap_or_else(|| failure.to_string()), None)
        }
        other => (other.to_string(), None),
    };
    StatementError {
        message,
        sqlstate: None,
        offset,
        timed_out: false,
        denied: false,
    }
}

/// A thread that interrupts the running statement once its deadline has passed. Unlike
/// SQLite's progress handler it needs no optional rusqlite feature, and one thread serves every
/// statement of the database.
struct Watchdog {
    shared: Arc<(Mutex<Deadline>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Deadline {
    /// When the running statement is to be interrupted; `None` when none is running.
    at: Option<Instant>,
    /// Set when the watchdog interrupted the statement.
    fired: bool,
    shutdown: bool,
}

impl Watchdog {
    fn start(handle: InterruptHandle) -> std::io::Result<Watchdog> {
        let shared = Arc::new((Mutex::new(Deadline::default()), Condvar::new()));
        let thread = std::thread::Builder::new()
            .name("sqlite-timeout".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || watch(&shared, &handle)
            })?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    fn state(&self) -> MutexGuard<'_, Deadline> {
        // The state stays consistent even if a holder panicked: every field is written whole.
        self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the clock for one statement. A timeout too large to add to the clock means none.
    fn arm(&self, timeout: Duration) {
        let mut state = self.state();
        state.at = Instant::now().checked_add(timeout);
        state.fired = false;
        self.shared.1.notify_one();
    }

    /// Stops the clock, and tells whether the statement was interrupted. The interrupt is sent
    /// while the lock is held, so once this returns no late interrupt can reach the next
    /// statement; one that arrived after the statement ended does nothing, as SQLite ignores an
    /// interrupt while no statement runs.
    fn disarm(&self) -> bool {
        let mut state = self.state();
        state.at = None;
        std::mem::take(&mut state.fired)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.state().shutdown = true;
        self.shared.1.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread never panics, and there is nothing to do here if it did.
            let _ = thread.join();
        }
    }
}

fn watch(shared: &(Mutex<Deadline>, Condvar), handle: &InterruptHandle) {
    let (lock, wake) = shared;
    let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
    while !state.shutdown {
        state = match state.at {
            None => wake.wait(state).unwrap_or_else(PoisonError::into_inner),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    handle.interrupt();
                    state.at = None;
                    state.fired = true;
                    state
                } else {
                    wake.wait_timeout(state, at - now)
                        .map_or_else(|poison| poison.into_inner().0, |(state, _)| state)
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(10);

    fn database() -> SqliteDatabase {
        match SqliteDatabase::open_in_memory(true) {
            Ok(database) => database,
            Err(error) => panic!("{error:#}"),
        }
    }

    #[test]
    fn statements_with_and_without_rows_run() {
        let mut db = database();
        db.execute("CREATE TABLE t (a INTEGER)", SECOND).unwrap();
        db.execute("INSERT INTO t VALUES (1), (2)", SECOND).unwrap();
        db.execute("SELECT a FROM t", SECOND).unwrap();
        db.execute("-- only a comment", SECOND).unwrap();
        db.execute(
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = a + 1; DELETE FROM t \
             WHERE a > 100; END;",
            SECOND,
        )
        .unwrap();
    }

    #[test]
    fn a_select_runs_to_its_end() {
        // Only the second row is malformed JSON: a statement stepped once would not see it.
        let mut db = database();
        let error = db
            .execute(
                "SELECT json(value) FROM (SELECT '1' AS value UNION ALL SELECT 'not json')",
                SECOND,
            )
            .unwrap_err();
        assert_eq!(error.message, "malformed JSON");
    }

    #[test]
    fn a_query_returns_every_value_as_text() {
        let mut db = database();
        let rows = db
            .query(
                "SELECT 1, 2.5, 'é', x'00ff', NULL UNION ALL SELECT 2, 0, '', x'', 1",
                SECOND,
            )
            .unwrap();
        let text = |values: &[Option<&str>]| -> Vec<Option<String>> {
            values.iter().map(|v| v.map(str::to_string)).collect()
        };
        assert_eq!(
            rows,
            vec![
                text(&[Some("1"), Some("2.5"), Some("é"), Some("x'00ff'"), None]),
                text(&[Some("2"), Some("0"), Some(""), Some("x''"), Some("1")]),
            ]
        );
        let error = db.query("SELECT * FROM missing", SECOND).unwrap_err();
        assert_eq!(error.message, "no such table: missing");
    }

    #[test]
    fn errors_carry_sqlite_message_and_offset() {
        let mut db = database();
        let error = db.execute("SELECT * FROM x", SECOND).unwrap_err();
        assert_eq!(error.message, "no such table: x");
        assert!(!error.timed_out);
        assert_eq!(error.sqlstate, None);
        // SQLite gives a byte offset; the error reports characters (`é` is two bytes).
        let error = db.execute("SELECT 'é' FRM x", SECOND).unwrap_err();
        assert_eq!(error.message, "near \"x\": syntax error");
        assert_eq!(error.offset, Some(15));
    }

    #[test]
    fn version_is_a_dotted_number() {
        let version = version();
        assert!(version.starts_with("3."), "{version}");
    }
}
