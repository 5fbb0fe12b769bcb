//! Reads a SQLite database's schema into the normalized model.
//!
//! The engine is asked first: `sqlite_schema` for the objects, and the pragmas `table_xinfo`,
//! `index_list`, `index_xinfo` and `foreign_key_list` for columns, keys, indexes and foreign
//! keys. What SQLite keeps only in the text of a `CREATE` statement (CHECKs, constraint names,
//! collations, generation expressions, index expressions and predicates) is read from that text,
//! parsed once with sqlparser. The text itself is never compared: SQLite rewrites it on `ALTER
//! TABLE ... ADD COLUMN` and `RENAME`, so two databases built differently hold different texts
//! for the same schema.
//!
//! The text is read tolerantly: valid SQLite that sqlparser cannot read (a column of type
//! `INTEGER[]`, an odd type name) must not stop introspection. A `CREATE TABLE` sqlparser
//! rejects is read definition by definition, a column whose type it cannot read without its
//! type (which the engine gives anyway), and what still cannot be read is recorded in
//! `Schema::unread`, for a note.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context as _};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use sqlparser::ast::{CreateIndex, Expr, Statement};
use sqlparser::parser::Parser;

use super::normalize;
use super::{Column, ForeignKey, Index, Key, Schema, Table, Trigger, Unread, View};
use crate::dialect::Dialect;
use text::{ColumnText, TableText};

const DIALECT: Dialect = Dialect::Sqlite;

/// Reads the whole schema of the `main` database. Objects whose names start with `sqlite_` are
/// SQLite's own (`sqlite_sequence`, `sqlite_stat1`, the automatic indexes) and are left out.
pub fn introspect(conn: &Connection) -> anyhow::Result<Schema> {
    let objects = objects(conn)?;
    let index_sql: HashMap<&str, &str> = objects
        .iter()
        .filter(|object| object.kind == "index")
        .filter_map(|object| Some((object.name.as_str(), object.sql.as_deref()?)))
        .collect();
    let mut schema = Schema::default();
    for object in &objects {
        match object.kind.as_str() {
            "table" => {
                let sql = object.sql.as_deref().unwrap_or_default();
                let table = table(conn, &object.name, sql, &index_sql, &mut schema)
                    .with_context(|| format!("cannot introspect SQLite table {}", object.name))?;
                schema.tables.insert(object.name.clone(), table);
            }
            "view" => {
                let definition =
                    normalize::statement(object.sql.as_deref().unwrap_or_default(), DIALECT);
                let view = View {
                    name: object.name.clone(),
                    definition,
                };
                schema.views.insert(object.name.clone(), view);
            }
            "trigger" => {
                let definition =
                    normalize::statement(object.sql.as_deref().unwrap_or_default(), DIALECT);
                let trigger = Trigger {
                    name: object.name.clone(),
                    table: object.table.clone(),
                    definition,
                };
                schema.triggers.insert(object.name.clone(), trigger);
            }
            // Indexes are read with their table, from `index_list`, which tells their origin.
            _ => {}
        }
    }
    Ok(schema)
}

/// A row of `sqlite_schema`.
struct Object {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

fn objects(conn: &Connection) -> anyhow::Result<Vec<Object>> {
    query(
        conn,
        "SELECT type, name, tbl_name, sql FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        [],
        |row| {
            Ok(Object {
                kind: text_or_empty(row, 0)?,
                name: text_or_empty(row, 1)?,
                table: text_or_empty(row, 2)?,
                sql: optional_text(row, 3)?,
            })
        },
    )
    .context("cannot read sqlite_schema")
}

/// Reads one table, and adds the indexes created on it by `CREATE INDEX` to `indexes`.
fn table(
    conn: &Connection,
    name: &str,
    sql: &str,
    index_sql: &HashMap<&str, &str>,
    schema: &mut Schema,
) -> anyhow::Result<Table> {
    let object = format!("table {name}");
    let mut text = TableText::read(sql, &object, &mut schema.unread)?;
    let list = index_list(conn, name)?;
    let xinfo = table_xinfo(conn, name)?;
    let (rowid_alias, primary_key) = primary_key(&xinfo, &list, &text);
    let columns = xinfo
        .iter()
        .map(|row| {
            let parsed = text
                .columns
                .remove(&row.name.to_ascii_lowercase())
                .unwrap_or_default();
            column(row, parsed, rowid_alias && row.pk > 0, &object, schema)
        })
        .collect();

    let mut uniques = Vec::new();
    for index in &list {
        match index.origin.as_str() {
            "u" => {
                let columns: Vec<String> = index_xinfo(conn, &index.name)?
                    .into_iter()
                    .map(|key| key.name.unwrap_or_default())
                    .collect();
                uniques.push(Key {
                    name: text.unique_name(&columns),
                    columns,
                });
            }
            "c" => {
                let sql = index_sql
                    .get(index.name.as_str())
                    .with_context(|| format!("index {} has no CREATE INDEX text", index.name))?;
                let created = self::index(conn, index, name, sql, &mut schema.unread)
                    .with_context(|| format!("cannot introspect SQLite index {}", index.name))?;
                schema.indexes.insert(index.name.clone(), created);
            }
            // The primary key's own index ("pk") is the primary key above.
            _ => {}
        }
    }
    uniques.sort();

    let mut foreign_keys = foreign_keys(conn, name, &mut text)?;
    foreign_keys.sort();
    text.checks.sort();

    Ok(Table {
        name: name.to_string(),
        columns,
        primary_key,
        uniques,
        checks: text.checks,
        foreign_keys,
    })
}

/// A table's primary key, and whether it is an alias of the rowid. A rowid table's single
/// INTEGER PRIMARY KEY column is one: it never holds NULL whether or not NOT NULL was written,
/// and it has no index of its own. A WITHOUT ROWID table, or `INTEGER PRIMARY KEY DESC`, gets a
/// primary key index instead.
fn primary_key(xinfo: &[XinfoRow], list: &[IndexListRow], text: &TableText) -> (bool, Option<Key>) {
    let mut key: Vec<&XinfoRow> = xinfo.iter().filter(|column| column.pk > 0).collect();
    key.sort_by_key(|column| column.pk);
    let rowid_alias = match key.as_slice() {
        [column] if column.data_type.eq_ignore_ascii_case("integer") => {
            !list.iter().any(|index| index.origin == "pk")
        }
        _ => false,
    };
    let primary_key = (!key.is_empty()).then(|| Key {
        name: text.primary_key_name.clone(),
        columns: key.iter().map(|column| column.name.clone()).collect(),
    });
    (rowid_alias, primary_key)
}

/// One column, from the engine's row for it and what its definition's text says. `alias`: the
/// column is the rowid's alias.
fn column(
    row: &XinfoRow,
    parsed: ColumnText,
    alias: bool,
    object: &str,
    schema: &mut Schema,
) -> Column {
    let generated = match row.hidden {
        2 | 3 => {
            let kind = if row.hidden == 3 { "stored" } else { "virtual" };
            match parsed.generation {
                Some(expression) => Some(format!("generated {kind} ({expression})")),
                None => {
                    schema.unread.push(Unread {
                        object: object.to_string(),
                        what: format!(
                            "the generation expression of column {} is not known",
                            row.name
                        ),
                    });
                    Some(format!("generated {kind}"))
                }
            }
        }
        _ if alias && parsed.autoincrement => Some("autoincrement".to_string()),
        _ => None,
    };
    Column {
        name: row.name.clone(),
        data_type: data_type(&row.data_type),
        not_null: row.not_null || alias,
        default: row
            .default
            .as_deref()
            .map(|default| normalize::expression(default, DIALECT)),
        generated,
        collation: parsed.collation,
    }
}

/// A declared type as SQLite keeps it (`VARCHAR( 20 )`, `DOUBLE   PRECISION`), in lower case and
/// with its white space normalized: `varchar(20)`, `double precision`.
fn data_type(declared: &str) -> String {
    declared
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

/// A row of `pragma_table_xinfo`.
struct XinfoRow {
    name: String,
    data_type: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
    hidden: i64,
}

fn table_xinfo(conn: &Connection, table: &str) -> anyhow::Result<Vec<XinfoRow>> {
    query(
        conn,
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
         FROM pragma_table_xinfo(?1) ORDER BY cid",
        [table],
        |row| {
            Ok(XinfoRow {
                name: text_or_empty(row, 0)?,
                data_type: text_or_empty(row, 1)?,
                not_null: row.get::<_, i64>(2)? != 0,
                default: optional_text(row, 3)?,
                pk: row.get(4)?,
                hidden: row.get(5)?,
            })
        },
    )
    .context("cannot read pragma table_xinfo")
}

/// A row of `pragma_index_list`.
struct IndexListRow {
    name: String,
    unique: bool,
    origin: String,
    partial: bool,
}

fn index_list(conn: &Connection, table: &str) -> anyhow::Result<Vec<IndexListRow>> {
    query(
        conn,
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY seq",
        [table],
        |row| {
            Ok(IndexListRow {
                name: text_or_empty(row, 0)?,
                unique: row.get::<_, i64>(1)? != 0,
                origin: text_or_empty(row, 2)?,
                partial: row.get::<_, i64>(3)? != 0,
            })
        },
    )
    .context("cannot read pragma index_list")
}

/// A key column of `pragma_index_xinfo`.
struct IndexKey {
    /// `-1` for the rowid, `-2` for an expression.
    cid: i64,
    name: Option<String>,
    descending: bool,
    collation: String,
}

fn index_xinfo(conn: &Connection, index: &str) -> anyhow::Result<Vec<IndexKey>> {
    query(
        conn,
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) \
         WHERE key = 1 ORDER BY seqno",
        [index],
        |row| {
            Ok(IndexKey {
                cid: row.get(0)?,
                name: optional_text(row, 1)?,
                descending: row.get::<_, i64>(2)? != 0,
                collation: optional_text(row, 3)?.unwrap_or_default(),
            })
        },
    )
    .with_context(|| format!("cannot read pragma index_xinfo of index {index}"))
}

/// An index created by `CREATE INDEX`: its keys from the engine, with the text of expression
/// keys and of the predicate from the parsed statement.
fn index(
    conn: &Connection,
    list: &IndexListRow,
    table: &str,
    sql: &str,
    unread: &mut Vec<Unread>,
) -> anyhow::Result<Index> {
    // Where sqlparser cannot read the text, the keys still come from the engine; only the
    // expressions and the predicate are unknown.
    let create = match parse_create_index(sql) {
        Ok(create) => Some(create),
        Err(error) => {
            unread.push(Unread {
                object: format!("index {}", list.name),
                what: format!("{error:#}"),
            });
            None
        }
    };
    let mut columns = Vec::new();
    for (position, key) in index_xinfo(conn, &list.name)?.into_iter().enumerate() {
        let mut text = match (key.cid, key.name) {
            (-2, _) => match &create {
                Some(create) => {
                    let expression = create
                        .columns
                        .get(position)
                        .map(|column| &column.column.expr)
                        .with_context(|| {
                            format!("no expression for key {} in: {sql}", position + 1)
                        })?;
                    // The key's collation is added below, from the engine, as for a column key.
                    let expression = match expression {
                        Expr::Collate { expr, .. } => expr,
                        other => other,
                    };
                    normalize::parsed_expression(expression, DIALECT)
                }
                None => "(an expression)".to_string(),
            },
            (-1, _) => "rowid".to_string(),
            (_, Some(name)) => name,
            (cid, None) => bail!("key {} (column {cid}) has no name", position + 1),
        };
        if !key.collation.eq_ignore_ascii_case("binary") {
            text.push_str(" collate ");
            text.push_str(&key.collation.to_ascii_lowercase());
        }
        if key.descending {
            text.push_str(" desc");
        }
        columns.push(text);
    }
    Ok(Index {
        name: list.name.clone(),
        table: table.to_string(),
        unique: list.unique,
        columns,
        predicate: match &create {
            Some(create) => create
                .predicate
                .as_ref()
                .map(|predicate| normalize::parsed_expression(predicate, DIALECT)),
            None => list.partial.then(|| "(a condition)".to_string()),
        },
        method: None,
    })
}

fn parse_create_index(sql: &str) -> anyhow::Result<CreateIndex> {
    let statement = Parser::new(DIALECT.parser_dialect())
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statement())
        .map_err(|error| {
            anyhow!(
                "sqlparser cannot read its CREATE INDEX, so its expressions and predicate are \
                 unknown ({error}): {sql}"
            )
        })?;
    match statement {
        Statement::CreateIndex(create) => Ok(create),
        other => bail!("the index's definition is no CREATE INDEX: {other}"),
    }
}

/// The foreign keys of a table, one per `id` of `pragma_foreign_key_list`, named from the text.
fn foreign_keys(
    conn: &Connection,
    table: &str,
    text: &mut TableText,
) -> anyhow::Result<Vec<ForeignKey>> {
    struct Reference {
        id: i64,
        table: String,
        from: String,
        to: Option<String>,
        on_update: String,
        on_delete: String,
    }
    let rows = query(
        conn,
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        [table],
        |row| {
            Ok(Reference {
                id: row.get(0)?,
                table: text_or_empty(row, 1)?,
                from: text_or_empty(row, 2)?,
                to: optional_text(row, 3)?,
                on_update: text_or_empty(row, 4)?,
                on_delete: text_or_empty(row, 5)?,
            })
        },
    )
    .context("cannot read pragma foreign_key_list")?;

    let mut keys = Vec::new();
    for group in rows.chunk_by(|a, b| a.id == b.id) {
        let Some(first) = group.first() else {
            continue;
        };
        let columns: Vec<String> = group.iter().map(|row| row.from.clone()).collect();
        // `REFERENCES user` without columns means the parent's primary key.
        let referenced_columns = if group.iter().all(|row| row.to.is_none()) {
            parent_key(conn, &first.table)?
        } else {
            group
                .iter()
                .map(|row| row.to.clone().unwrap_or_default())
                .collect()
        };
        keys.push(ForeignKey {
            name: text.foreign_key_name(&columns, &first.table),
            columns,
            referenced_table: first.table.clone(),
            referenced_columns,
            on_delete: first.on_delete.to_ascii_lowercase(),
            on_update: first.on_update.to_ascii_lowercase(),
        });
    }
    Ok(keys)
}

/// The primary key columns of a referenced table; none where the table does not exist (the
/// foreign key then fails at its first use, which the model cannot show otherwise).
fn parent_key(conn: &Connection, table: &str) -> anyhow::Result<Vec<String>> {
    let mut key: Vec<(i64, String)> = table_xinfo(conn, table)?
        .into_iter()
        .filter(|column| column.pk > 0)
        .map(|column| (column.pk, column.name))
        .collect();
    key.sort();
    Ok(key.into_iter().map(|(_, name)| name).collect())
}

fn query<P: rusqlite::Params, T>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let mut statement = conn.prepare(sql)?;
    let rows = statement.query_map(params, map)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A text column read leniently: SQLite may store a value of any type in any column.
pub(crate) fn optional_text(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => None,
        ValueRef::Integer(value) => Some(value.to_string()),
        ValueRef::Real(value) => Some(value.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    })
}

fn text_or_empty(row: &Row<'_>, index: usize) -> rusqlite::Result<String> {
    Ok(optional_text(row, index)?.unwrap_or_default())
}

#[cfg(test)]
mod tests;
mod text;
