//! `statement-failed-on-data`: a pending migration that fails in a populated chain because of
//! the rows the release's installation holds (a NULL under a new NOT NULL, an old value outside a
//! new CHECK, duplicates under a new unique index), named with one row that breaks it.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, Expr, IndexColumn, ObjectName, ObjectNamePart,
    Statement as Ast, TableConstraint,
};

use super::super::{Chain, Failure, Plan};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::sql::{SqlFile, Statement};

/// A pending statement that failed on the rows of a populated database.
pub struct OnData<'f> {
    pub file: &'f SqlFile,
    pub statement: &'f Statement,
    pub error: StatementError,
    /// The table the statement constrains, where the tool could read it.
    pub table: Option<String>,
    /// One row that breaks the constraint: its key and the value, as the tool found it by
    /// querying the database as it was before the pending transaction.
    pub example: Option<String>,
}

impl OnData<'_> {
    pub(in crate::replay) fn diagnostic(&self, engine: &str) -> Diagnostic {
        let table = self
            .table
            .as_ref()
            .map(|t| format!(" on table {t}"))
            .unwrap_or_default();
        let example = self
            .example
            .as_ref()
            .map(|e| format!("; e.g. {e}"))
            .unwrap_or_default();
        Diagnostic::new(
            Code::StatementFailedOnData,
            format!(
                "{engine} refused this statement{table} because of the rows an installation of \
                 the release holds: {error}{example}",
                error = self.error,
            ),
        )
        .file(self.file.source.display.clone())
        .span(crate::replay::failure::error_span(
            self.file,
            self.statement,
            &self.error,
        ))
        .help(
            "make the migration bring the existing rows in line before the constraint: backfill \
             the NULLs (`UPDATE ... SET col = ... WHERE col IS NULL`), fix or delete the rows \
             outside the CHECK, merge the duplicates; the service would roll back the whole \
             upgrade here",
        )
    }
}

/// `failure` as `statement-failed-on-data` where it is a pending statement of a populated chain
/// that the engine refused with a data error (PostgreSQL's SQLSTATE classes 22 and 23, SQLite's
/// constraint and datatype messages); otherwise `failure` unchanged. The pending transaction was
/// rolled back, so the database holds the rows the statement met.
pub(in crate::replay) fn on_data<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    failure: Failure<'f>,
) -> Failure<'f> {
    let Failure::Statement {
        file,
        statement,
        error,
    } = failure
    else {
        return failure;
    };
    if !plan.data.populates(chain) || !is_data_error(&error, chain.dialect) {
        return Failure::Statement {
            file,
            statement,
            error,
        };
    }
    let probe = statement
        .tree(chain.dialect)
        .and_then(|tree| Probe::of(&tree));
    let example = probe
        .as_ref()
        .and_then(|probe| probe.example(db, plan, chain.dialect));
    Failure::OnData(Box::new(OnData {
        file,
        statement,
        table: probe
            .map(|p| p.table)
            .or_else(|| sqlite_table(&error.message)),
        example,
        error,
    }))
}

fn is_data_error(error: &StatementError, dialect: Dialect) -> bool {
    if error.timed_out || error.denied {
        return false;
    }
    match dialect {
        Dialect::Postgres => error
            .sqlstate
            .as_deref()
            .is_some_and(|state| state.starts_with("22") || state.starts_with("23")),
        Dialect::Sqlite => {
            error.message.contains("constraint failed") || error.message == "datatype mismatch"
        }
    }
}

/// The table SQLite names in `NOT NULL constraint failed: memo.x` and the like.
fn sqlite_table(message: &str) -> Option<String> {
    let (_, named) = message.split_once("constraint failed: ")?;
    let (table, _) = named.split_once('.')?;
    Some(table.to_string())
}

/// How to find a row that breaks what a statement adds.
struct Probe {
    table: String,
    kind: ProbeKind,
}

enum ProbeKind {
    /// `SET NOT NULL`: a row where the column is NULL.
    NotNull(String),
    /// A CHECK: a row where its expression is false.
    Check(String),
    /// A unique index or constraint: a value of the columns on several rows.
    Unique(Vec<String>),
}

impl Probe {
    /// What the statement adds that rows can break, where the tool reads it: `ALTER TABLE ...
    /// ALTER COLUMN ... SET NOT NULL`, `ADD [CONSTRAINT ...] CHECK (...)` or `UNIQUE (...)`,
    /// `CREATE UNIQUE INDEX`.
    fn of(tree: &Ast) -> Option<Probe> {
        match tree {
            Ast::AlterTable(alter) => {
                let table = plain_name(&alter.name)?;
                alter.operations.iter().find_map(|operation| {
                    let kind = match operation {
                        AlterTableOperation::AlterColumn {
                            column_name,
                            op: AlterColumnOperation::SetNotNull,
                        } => ProbeKind::NotNull(column_name.to_string()),
                        AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                            TableConstraint::Check(check) => {
                                ProbeKind::Check(check.expr.to_string())
                            }
                            TableConstraint::Unique(unique) => {
                                ProbeKind::Unique(columns(&unique.columns))
                            }
                            _ => return None,
                        },
                        _ => return None,
                    };
                    Some(Probe {
                        table: table.clone(),
                        kind,
                    })
                })
            }
            Ast::CreateIndex(index) if index.unique => Some(Probe {
                table: plain_name(&index.table_name)?,
                kind: ProbeKind::Unique(columns(&index.columns)),
            }),
            _ => None,
        }
    }

    /// One row that breaks the constraint, as `key (id)=(3), visibility=NULL`; `None` where the
    /// query finds none or fails.
    fn example(&self, db: &mut dyn Database, plan: &Plan<'_>, dialect: Dialect) -> Option<String> {
        let table = &self.table;
        let key = key_columns(db, table, dialect);
        let timeout = plan.time_for_statement()?;
        let (sql, shown) = match &self.kind {
            ProbeKind::NotNull(column) => (
                format!(
                    "SELECT {}, NULL FROM {table} WHERE {column} IS NULL LIMIT 1",
                    key.join(", ")
                ),
                format!("{column}=NULL"),
            ),
            ProbeKind::Check(expression) => (
                format!(
                    "SELECT {} , 0 FROM {table} WHERE NOT ({expression}) LIMIT 1",
                    key.join(", ")
                ),
                format!("it is outside CHECK ({expression})"),
            ),
            ProbeKind::Unique(columns) => {
                let list = columns.join(", ");
                let sql = format!(
                    "SELECT {list}, count(*) FROM {table} GROUP BY {list} HAVING count(*) > 1 LIMIT 1"
                );
                let rows = db.query(&sql, timeout).ok()?;
                let row = rows.first()?;
                let (values, count) = row.split_at(row.len().saturating_sub(1));
                let count = count.first().cloned().flatten().unwrap_or_default();
                return Some(format!(
                    "the value ({list})=({}), on {count} rows",
                    show(values)
                ));
            }
        };
        let rows = db.query(&sql, timeout).ok()?;
        let row = rows.first()?;
        let values = &row[..row.len().saturating_sub(1)];
        Some(format!(
            "the row with key ({})=({}): {shown}",
            key.join(", "),
            show(values)
        ))
    }
}

/// The primary key's columns of `table`, else SQLite's `rowid` or PostgreSQL's `ctid`: what
/// names one row.
fn key_columns(db: &mut dyn Database, table: &str, dialect: Dialect) -> Vec<String> {
    let key = db
        .introspect()
        .ok()
        .and_then(|schema| schema.tables.get(table).cloned())
        .and_then(|t| t.primary_key)
        .map(|k| k.columns);
    key.unwrap_or_else(|| {
        vec![match dialect {
            Dialect::Postgres => "ctid".to_string(),
            Dialect::Sqlite => "rowid".to_string(),
        }]
    })
}

/// Values as SQL shows them: text quoted, NULL as NULL.
pub(super) fn show(values: &[Option<String>]) -> String {
    values
        .iter()
        .map(|v| match v {
            Some(text) => format!("'{}'", crate::input::bound_message(text)),
            None => "NULL".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A table's name as introspection keys it: unqualified in `public` (and on SQLite), unquoted.
pub(super) fn plain_name(name: &ObjectName) -> Option<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [schema, table] if schema == "public" || schema == "main" => Some(table.clone()),
        _ => Some(parts.join(".")),
    }
}

fn columns(columns: &[IndexColumn]) -> Vec<String> {
    columns
        .iter()
        .map(|c| match &c.column.expr {
            Expr::Identifier(ident) => ident.to_string(),
            other => format!("({other})"),
        })
        .collect()
}
