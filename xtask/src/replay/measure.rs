//! What the engine measures of each pending migration of an upgrade chain: the time of each
//! statement and, on PostgreSQL, whether it rewrote a table (the relation's file node changed)
//! and the strongest lock it took on one (read from `pg_locks` inside the transaction). These
//! are facts from the engine, not guesses from the SQL text, and only tables that existed
//! before the pending migrations count: a table the upgrade creates has no rows to rewrite and
//! no reader to block.
//!
//! The queries cost a round trip per statement, so only upgrade chains are measured, and only
//! their pending migrations (`Measured::start` to `Measured::stop`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::sql::{SqlFile, Statement};

/// PostgreSQL's table lock modes, weakest first (the order of the documentation's table of
/// conflicts): a mode conflicts with more of the others the later it comes.
const LOCK_MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// The lock that blocks even readers of the table for as long as the transaction lasts.
pub const ACCESS_EXCLUSIVE: &str = "AccessExclusiveLock";

/// The user's tables, as they are before the pending migrations: schemas of the system left
/// out.
const TABLES: &str = "SELECT c.oid::text FROM pg_catalog.pg_class c \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname <> 'information_schema' \
    AND n.nspname NOT LIKE 'pg\\_%'";

/// A chain's measurement of its pending migrations.
pub struct Measured<'f> {
    /// Whether the engine is asked about rewrites and locks (PostgreSQL); elsewhere the
    /// statements are only timed.
    probes: bool,
    /// Between `start` and `stop`: the statements applied are the pending migrations.
    active: bool,
    /// The tables that existed before the pending migrations, by oid.
    tables: Vec<String>,
    /// Each of those tables as the last probe found it, by oid.
    last: BTreeMap<String, TableState>,
    /// The pending statements that ran, in order.
    pub statements: Vec<Timed<'f>>,
    /// The rows the generator wrote before the upgrade (`populate`), which it ran on; 0 where
    /// the chain ran on empty tables (`--no-data`).
    pub rows: usize,
}

/// One pending statement that ran, and what the engine measured of it.
pub struct Timed<'f> {
    pub file: &'f SqlFile,
    pub statement: &'f Statement,
    pub elapsed: Duration,
    /// The tables whose file node it changed (it wrote them anew), by name.
    pub rewrote: Vec<String>,
    /// The tables on which it took a stronger lock than the transaction held before, by name,
    /// with the strongest mode held after it.
    pub locked: Vec<(String, &'static str)>,
}

/// A table as one probe saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TableState {
    name: String,
    file_node: String,
    /// The strongest lock this session holds on it, as an index into `LOCK_MODES`.
    lock: Option<usize>,
}

impl<'f> Measured<'f> {
    /// The measurement of an upgrade chain of `dialect`: probed on PostgreSQL, only timed
    /// elsewhere.
    pub fn new(dialect: Dialect) -> Measured<'f> {
        Measured {
            probes: dialect == Dialect::Postgres,
            active: false,
            tables: Vec::new(),
            last: BTreeMap::new(),
            statements: Vec::new(),
            rows: 0,
        }
    }

    /// Starts measuring, before the pending migrations' first transaction: reads which tables
    /// exist.
    pub fn start(
        &mut self,
        db: &mut dyn Database,
        timeout: Duration,
    ) -> Result<(), StatementError> {
        self.active = true;
        if self.probes {
            let rows = db.query(TABLES, timeout)?;
            self.tables = rows
                .into_iter()
                .filter_map(|row| row.into_iter().next().flatten())
                .collect();
        }
        Ok(())
    }

    /// Stops measuring: what runs after the pending migrations (seeds) is not theirs.
    pub fn stop(&mut self) {
        self.active = false;
    }

    /// Whether the statements applied now are the pending migrations, to be measured one by
    /// one.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Reads the tables' state at the start of a transaction, which holds no lock yet.
    pub fn begin(
        &mut self,
        db: &mut dyn Database,
        timeout: Duration,
    ) -> Result<(), StatementError> {
        if self.active && self.probes {
            self.last = self.probe(db, timeout)?;
        }
        Ok(())
    }

    /// Records a statement that ran for `elapsed`, with what it did to the tables since the
    /// last probe.
    pub fn record(
        &mut self,
        db: &mut dyn Database,
        ran: (&'f SqlFile, &'f Statement, Duration),
        timeout: Duration,
    ) -> Result<(), StatementError> {
        if !self.active {
            return Ok(());
        }
        let (file, statement, elapsed) = ran;
        let mut timed = Timed {
            file,
            statement,
            elapsed,
            rewrote: Vec::new(),
            locked: Vec::new(),
        };
        if self.probes {
            let now = self.probe(db, timeout)?;
            for (oid, after) in &now {
                let Some(before) = self.last.get(oid) else {
                    continue;
                };
                if before.file_node != after.file_node {
                    timed.rewrote.push(after.name.clone());
                }
                if after.lock > before.lock {
                    let mode = after.lock.map_or("", |i| LOCK_MODES[i]);
                    timed.locked.push((after.name.clone(), mode));
                }
            }
            self.last = now;
        }
        self.statements.push(timed);
        Ok(())
    }

    /// The pending migrations' time: every statement's, without the tool's own queries.
    pub fn total(&self) -> Duration {
        self.statements.iter().map(|timed| timed.elapsed).sum()
    }

    /// The file node and the strongest lock of this session on each table that existed
    /// before the pending migrations and still exists.
    fn probe(
        &self,
        db: &mut dyn Database,
        timeout: Duration,
    ) -> Result<BTreeMap<String, TableState>, StatementError> {
        if self.tables.is_empty() {
            return Ok(BTreeMap::new());
        }
        let sql = format!(
            "SELECT c.oid::text, c.oid::regclass::text, c.relfilenode::text, \
             (SELECT pg_catalog.string_agg(l.mode, ' ') FROM pg_catalog.pg_locks l \
             WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' \
             AND l.relation = c.oid AND l.granted) \
             FROM pg_catalog.pg_class c WHERE c.oid IN ({})",
            self.tables.join(", ")
        );
        let rows = db.query(&sql, timeout)?;
        Ok(rows.into_iter().filter_map(table_state).collect())
    }
}

/// A row of the probe: oid, name, file node, and the modes held, separated by spaces.
fn table_state(row: Vec<Option<String>>) -> Option<(String, TableState)> {
    let mut values = row.into_iter();
    let oid = values.next()??;
    let name = values.next()??;
    let file_node = values.next()??;
    let lock = values.next().flatten().and_then(|modes| {
        modes
            .split(' ')
            .filter_map(|mode| LOCK_MODES.iter().position(|m| *m == mode))
            .max()
    });
    Some((
        oid,
        TableState {
            name,
            file_node,
            lock,
        },
    ))
}

/// What a chain measured, for the summary (JSON) and the release notes: the pending
/// migrations' time and each statement's, in milliseconds, with the tables it rewrote and the
/// locks it took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainMeasure {
    pub elapsed_ms: f64,
    /// The generated rows the upgrade ran on (0 with `--no-data`).
    pub rows: usize,
    pub statements: Vec<StatementMeasure>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StatementMeasure {
    /// The migration, as every diagnostic shows it.
    pub file: String,
    pub line: u32,
    pub elapsed_ms: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewrote: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<LockMeasure>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LockMeasure {
    pub table: String,
    pub mode: String,
}

/// Milliseconds, to the microsecond.
fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

impl Measured<'_> {
    /// The measurement as the summary keeps it.
    pub fn summary(&self) -> ChainMeasure {
        ChainMeasure {
            elapsed_ms: millis(self.total()),
            rows: self.rows,
            statements: self
                .statements
                .iter()
                .map(|timed| StatementMeasure {
                    file: timed.file.source.display.clone(),
                    line: timed.statement.span.start.line,
                    elapsed_ms: millis(timed.elapsed),
                    rewrote: timed.rewrote.clone(),
                    locks: timed
                        .locked
                        .iter()
                        .map(|(table, mode)| LockMeasure {
                            table: table.clone(),
                            mode: (*mode).to_string(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
