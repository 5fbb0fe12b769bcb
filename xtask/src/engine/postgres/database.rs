//! A database of the replay on PostgreSQL: one connection to one database of the server.

use std::time::Duration;

use anyhow::Context as _;
use postgres::error::ErrorPosition;
use postgres::Client;

use crate::config::Stamp;
use crate::engine::{Database, StatementError};
use crate::schema::Schema;

/// SQLSTATE `query_canceled`: what PostgreSQL reports when `statement_timeout` stops a statement.
const QUERY_CANCELED: &str = "57014";

pub struct PostgresDatabase {
    client: Client,
    /// The `statement_timeout` last set on this connection, so it is set only when it changes.
    timeout: Option<Duration>,
}

impl PostgresDatabase {
    pub fn new(client: Client) -> PostgresDatabase {
        PostgresDatabase {
            client,
            timeout: None,
        }
    }

    fn run(&mut self, sql: &str) -> Result<(), StatementError> {
        self.client.batch_execute(sql).map_err(statement_error)
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
        self.run(sql)
    }

    fn begin(&mut self) -> anyhow::Result<()> {
        self.client.batch_execute("BEGIN").context("BEGIN")
    }

    fn commit(&mut self) -> Result<(), StatementError> {
        self.run("COMMIT")
    }

    fn rollback(&mut self) -> anyhow::Result<()> {
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
        let rows = match parameter {
            Some(key) => self.client.query(&query, &[key]),
            None => self.client.query(&query, &[]),
        }
        .with_context(|| format!("reading the schema version from {table}"))?;
        Ok(rows
            .iter()
            .filter_map(|row| row.get::<_, Option<String>>(0))
            .collect())
    }

    fn introspect(&mut self) -> anyhow::Result<Schema> {
        crate::schema::postgres::introspect(&mut self.client)
    }
}
