//! What the pending migrations of a chain do to tables and columns, read from their parsed
//! statements: renames (followed), writes (`UPDATE ... SET`, `ALTER COLUMN ... TYPE`, a column an
//! `INSERT ... SELECT` fills with anything but itself), drops and deletes. Data survival compares
//! only what no statement meant to change.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AssignmentTarget, Expr, FromTable, ObjectName,
    ObjectType, RenameTableNameKind, SelectItem, SetExpr, Statement as Ast, TableFactor,
    TableObject,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::failed::plain_name;
use crate::dialect::Dialect;
use crate::sql::{SqlFile, Statement};

/// One thing a statement does to a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// The column's values are meant to change (or it is dropped).
    Write {
        table: String,
        column: String,
    },
    DropTable(String),
    /// Rows are meant to go.
    Delete(String),
    /// `INSERT INTO` the table.
    Fill(String),
    /// Any other `ALTER TABLE` of the table.
    Touch(String),
}

impl Event {
    /// The table the event is on, by its name at that point of the chain.
    pub(super) fn table(&self) -> &str {
        match self {
            Event::RenameTable { from, .. } => from,
            Event::RenameColumn { table, .. } | Event::Write { table, .. } => table,
            Event::DropTable(table)
            | Event::Delete(table)
            | Event::Fill(table)
            | Event::Touch(table) => table,
        }
    }
}

/// An event and the statement it comes from.
pub(super) struct Located<'f> {
    pub event: Event,
    pub file: &'f SqlFile,
    pub statement: &'f Statement,
}

/// The events of `files`, in the order the chain runs them.
pub(super) fn of<'f>(files: &[&'f SqlFile], dialect: Dialect) -> Vec<Located<'f>> {
    let mut events = Vec::new();
    for file in files {
        for statement in &file.statements {
            if !relevant(statement) {
                continue;
            }
            let Ok(trees) = Parser::parse_sql(dialect.parser_dialect(), file.text_of(statement))
            else {
                continue;
            };
            for tree in &trees {
                events.extend(read(tree).into_iter().map(|event| Located {
                    event,
                    file,
                    statement,
                }));
            }
        }
    }
    events
}

/// Whether the statement's first word makes it one that can change rows or names: the others
/// are not parsed again.
fn relevant(statement: &Statement) -> bool {
    statement.significant().next().is_some_and(|token| {
        matches!(&token.token, Token::Word(word)
            if ["ALTER", "UPDATE", "DROP", "INSERT", "DELETE"]
                .iter()
                .any(|w| word.value.eq_ignore_ascii_case(w)))
    })
}

fn read(tree: &Ast) -> Vec<Event> {
    match tree {
        Ast::AlterTable(alter) => plain_name(&alter.name)
            .map(|table| alter_table(&table, &alter.operations))
            .unwrap_or_default(),
        Ast::Update(update) => {
            let TableFactor::Table { name, .. } = &update.table.relation else {
                return Vec::new();
            };
            let Some(table) = plain_name(name) else {
                return Vec::new();
            };
            update
                .assignments
                .iter()
                .flat_map(|a| match &a.target {
                    AssignmentTarget::ColumnName(c) => vec![c.clone()],
                    AssignmentTarget::Tuple(cs) => cs.clone(),
                })
                .filter_map(|column| last(&column))
                .map(|column| Event::Write {
                    table: table.clone(),
                    column,
                })
                .collect()
        }
        Ast::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } => names
            .iter()
            .filter_map(plain_name)
            .map(Event::DropTable)
            .collect(),
        Ast::Delete(delete) => match &delete.from {
            FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
        }
        .iter()
        .filter_map(|t| match &t.relation {
            TableFactor::Table { name, .. } => plain_name(name),
            _ => None,
        })
        .map(Event::Delete)
        .collect(),
        Ast::Insert(insert) => insert_select(insert),
        _ => Vec::new(),
    }
}

/// What `ALTER TABLE table` does: renames, writes (a new type, a dropped column), or only touches.
fn alter_table(table: &str, operations: &[AlterTableOperation]) -> Vec<Event> {
    let mut events = vec![Event::Touch(table.to_string())];
    for operation in operations {
        match operation {
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(to) | RenameTableNameKind::As(to),
            } => events.extend(plain_name(to).map(|to| Event::RenameTable {
                from: table.to_string(),
                to,
            })),
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => events.push(Event::RenameColumn {
                table: table.to_string(),
                from: old_column_name.value.clone(),
                to: new_column_name.value.clone(),
            }),
            AlterTableOperation::DropColumn { column_names, .. } => {
                events.extend(column_names.iter().map(|c| Event::Write {
                    table: table.to_string(),
                    column: c.value.clone(),
                }))
            }
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { .. },
            } => events.push(Event::Write {
                table: table.to_string(),
                column: column_name.value.clone(),
            }),
            _ => {}
        }
    }
    events
}

/// `INSERT INTO t (columns) SELECT ...`: a column filled with anything but the column of the
/// same name (a rebuild copies a column as itself) is written.
fn insert_select(insert: &sqlparser::ast::Insert) -> Vec<Event> {
    let TableObject::TableName(name) = &insert.table else {
        return Vec::new();
    };
    let Some(table) = plain_name(name) else {
        return Vec::new();
    };
    let mut events = vec![Event::Fill(table.clone())];
    let projection = match insert.source.as_ref().map(|q| q.body.as_ref()) {
        Some(SetExpr::Select(select)) => &select.projection,
        _ => return events,
    };
    for (column, item) in insert.columns.iter().zip(projection) {
        let Some(column) = last(column) else {
            continue;
        };
        let copied = match item {
            SelectItem::UnnamedExpr(expr) => same_column(expr, &column),
            _ => false,
        };
        if !copied {
            events.push(Event::Write {
                table: table.clone(),
                column,
            });
        }
    }
    events
}

fn same_column(expr: &Expr, column: &str) -> bool {
    match expr {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(idents) => idents
            .last()
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(column)),
        _ => false,
    }
}

fn last(name: &ObjectName) -> Option<String> {
    plain_name(name).map(|n| n.rsplit('.').next().unwrap_or_default().to_string())
}
