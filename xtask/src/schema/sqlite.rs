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
use sqlparser::ast::{
    ColumnOption, CreateIndex, CreateTable, Expr, Ident, ObjectName, Statement, TableConstraint,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::normalize;
use super::{Check, Column, ForeignKey, Index, Key, Schema, Table, Trigger, Unread, View};
use crate::dialect::Dialect;
use crate::sql::token::{is_keyword, is_trivia};

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

    // A rowid table's single INTEGER PRIMARY KEY column is an alias of the rowid: it never holds
    // NULL whether or not NOT NULL was written, and it has no index of its own. A WITHOUT ROWID
    // table, or `INTEGER PRIMARY KEY DESC`, gets a primary key index instead.
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

    let mut columns = Vec::with_capacity(xinfo.len());
    for row in &xinfo {
        let parsed = text
            .columns
            .remove(&row.name.to_ascii_lowercase())
            .unwrap_or_default();
        let alias = rowid_alias && row.pk > 0;
        let generated = match row.hidden {
            2 | 3 => {
                let kind = if row.hidden == 3 { "stored" } else { "virtual" };
                match parsed.generation {
                    Some(expression) => Some(format!("generated {kind} ({expression})")),
                    None => {
                        schema.unread.push(Unread {
                            object: object.clone(),
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
        columns.push(Column {
            name: row.name.clone(),
            data_type: data_type(&row.data_type),
            not_null: row.not_null || alias,
            default: row
                .default
                .as_deref()
                .map(|default| normalize::expression(default, DIALECT)),
            generated,
            collation: parsed.collation,
        });
    }

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

/// What only the text of a `CREATE TABLE` tells, parsed once.
#[derive(Default)]
struct TableText {
    /// By lower-cased column name.
    columns: HashMap<String, ColumnText>,
    primary_key_name: Option<String>,
    /// Named and unnamed unique constraints, with their lower-cased columns.
    uniques: Vec<(Option<String>, Vec<String>)>,
    foreign_keys: Vec<ForeignKeyText>,
    checks: Vec<Check>,
}

#[derive(Default)]
struct ColumnText {
    collation: Option<String>,
    /// The normalized generation expression of a generated column.
    generation: Option<String>,
    autoincrement: bool,
}

struct ForeignKeyText {
    name: Option<String>,
    /// Lower-cased, as is the table.
    columns: Vec<String>,
    table: String,
    /// Set once a foreign key of the engine has taken the name.
    used: bool,
}

impl TableText {
    /// Reads a table's `CREATE` text; what sqlparser cannot read of it is added to `unread`.
    fn read(sql: &str, object: &str, unread: &mut Vec<Unread>) -> anyhow::Result<TableText> {
        match parse_statement(sql) {
            Ok(Statement::CreateTable(create)) => Ok(TableText::from_create(&create)),
            // A virtual table has no constraints; its columns come from the engine.
            Ok(Statement::CreateVirtualTable { .. }) => Ok(TableText::default()),
            Ok(other) => bail!("the table's definition is no CREATE TABLE: {other}"),
            Err(error) => Ok(TableText::read_by_definition(sql, object, &error, unread)),
        }
    }

    /// Reads a `CREATE TABLE` that sqlparser rejects one definition at a time, each in a table
    /// of its own, so that one unreadable column costs only what its own text tells.
    fn read_by_definition(
        sql: &str,
        object: &str,
        error: &str,
        unread: &mut Vec<Unread>,
    ) -> TableText {
        let mut text = TableText::default();
        let Some(definitions) = definitions(sql) else {
            unread.push(Unread {
                object: object.to_string(),
                what: format!(
                    "sqlparser cannot read its CREATE TABLE ({error}), so its CHECKs, constraint \
                     names, collations and generation expressions are not known"
                ),
            });
            return text;
        };
        for definition in definitions {
            let attempt = |body: &str| match parse_statement(&format!("CREATE TABLE t ({body})")) {
                Ok(Statement::CreateTable(create)) => Some(TableText::from_create(&create)),
                _ => None,
            };
            let whole = definition
                .iter()
                .map(ToString::to_string)
                .collect::<String>();
            // A column whose type sqlparser cannot read is read without it: its type comes
            // from the engine, and the rest of its text still tells its constraints.
            let read = attempt(&whole)
                .or_else(|| without_type(&definition).and_then(|untyped| attempt(&untyped)));
            match read {
                Some(part) => text.merge(part),
                None => unread.push(Unread {
                    object: object.to_string(),
                    what: format!(
                        "sqlparser cannot read the definition `{}`, so its CHECKs, constraint \
                         names, collation and generation expression are not known",
                        whole.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                }),
            }
        }
        text
    }

    /// Adds what one definition's text told.
    fn merge(&mut self, part: TableText) {
        self.columns.extend(part.columns);
        if part.primary_key_name.is_some() {
            self.primary_key_name = part.primary_key_name;
        }
        self.uniques.extend(part.uniques);
        self.foreign_keys.extend(part.foreign_keys);
        self.checks.extend(part.checks);
    }

    fn from_create(create: &CreateTable) -> TableText {
        let mut text = TableText::default();
        for column in &create.columns {
            let column_name = lower(&column.name);
            let mut parsed = ColumnText::default();
            for option in &column.options {
                let name = option.name.as_ref().map(|name| name.value.clone());
                match &option.option {
                    ColumnOption::Collation(collation) => {
                        parsed.collation = collation_name(collation)
                    }
                    ColumnOption::Generated {
                        generation_expr: Some(expression),
                        ..
                    } => {
                        parsed.generation = Some(normalize::parsed_expression(expression, DIALECT));
                    }
                    ColumnOption::DialectSpecific(tokens)
                        if tokens.iter().any(is_autoincrement) =>
                    {
                        parsed.autoincrement = true;
                    }
                    ColumnOption::PrimaryKey(key) => {
                        text.primary_key_name =
                            name.or_else(|| key.name.as_ref().map(|n| n.value.clone()));
                    }
                    ColumnOption::Unique(unique) => {
                        let name = name.or_else(|| unique.name.as_ref().map(|n| n.value.clone()));
                        text.uniques.push((name, vec![column_name.clone()]));
                    }
                    ColumnOption::ForeignKey(key) => {
                        text.foreign_keys.push(ForeignKeyText {
                            name: name.or_else(|| key.name.as_ref().map(|n| n.value.clone())),
                            columns: vec![column_name.clone()],
                            table: object_name(&key.foreign_table),
                            used: false,
                        });
                    }
                    ColumnOption::Check(check) => text.checks.push(Check {
                        name: name.or_else(|| check.name.as_ref().map(|n| n.value.clone())),
                        expression: normalize::parsed_expression(&check.expr, DIALECT),
                    }),
                    _ => {}
                }
            }
            text.columns.insert(column_name, parsed);
        }
        for constraint in &create.constraints {
            match constraint {
                TableConstraint::PrimaryKey(key) => {
                    text.primary_key_name = key.name.as_ref().map(|name| name.value.clone());
                    // `PRIMARY KEY (id AUTOINCREMENT)`: sqlparser reads the keyword as the
                    // column's operator class.
                    for column in &key.columns {
                        let autoincrement = column.operator_class.as_ref().is_some_and(|class| {
                            class.to_string().eq_ignore_ascii_case("autoincrement")
                        });
                        if let (true, Some(name)) = (autoincrement, key_column(&column.column.expr))
                        {
                            text.columns.entry(name).or_default().autoincrement = true;
                        }
                    }
                }
                TableConstraint::Unique(unique) => {
                    let columns = unique
                        .columns
                        .iter()
                        .map(|column| key_column(&column.column.expr).unwrap_or_default())
                        .collect();
                    let name = unique.name.as_ref().map(|name| name.value.clone());
                    text.uniques.push((name, columns));
                }
                TableConstraint::ForeignKey(key) => text.foreign_keys.push(ForeignKeyText {
                    name: key.name.as_ref().map(|name| name.value.clone()),
                    columns: key.columns.iter().map(lower).collect(),
                    table: object_name(&key.foreign_table),
                    used: false,
                }),
                TableConstraint::Check(check) => text.checks.push(Check {
                    name: check.name.as_ref().map(|name| name.value.clone()),
                    expression: normalize::parsed_expression(&check.expr, DIALECT),
                }),
                _ => {}
            }
        }
        text
    }

    /// The name of the unique constraint on `columns`, where the text gives one.
    fn unique_name(&self, columns: &[String]) -> Option<String> {
        self.uniques
            .iter()
            .find(|(_, text)| {
                text.len() == columns.len()
                    && text
                        .iter()
                        .zip(columns)
                        .all(|(text, column)| text.eq_ignore_ascii_case(column))
            })
            .and_then(|(name, _)| name.clone())
    }

    /// The name of a foreign key on `columns` to `table`, where the text gives one. Each key of
    /// the text names one key of the engine, in the order they are asked for.
    fn foreign_key_name(&mut self, columns: &[String], table: &str) -> Option<String> {
        let found = self.foreign_keys.iter_mut().find(|key| {
            !key.used
                && key.table.eq_ignore_ascii_case(table)
                && key.columns.len() == columns.len()
                && key
                    .columns
                    .iter()
                    .zip(columns)
                    .all(|(text, column)| text.eq_ignore_ascii_case(column))
        })?;
        found.used = true;
        found.name.clone()
    }
}

fn parse_statement(sql: &str) -> Result<Statement, String> {
    Parser::new(DIALECT.parser_dialect())
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statement())
        .map_err(|error| error.to_string())
}

/// The definitions (columns and table constraints) of a `CREATE TABLE` text, each as its tokens:
/// what lies between the outer parentheses, cut at the commas outside inner ones. `None` where
/// the text cannot be tokenized or has no parenthesized body.
fn definitions(sql: &str) -> Option<Vec<Vec<Token>>> {
    let tokens = Tokenizer::new(DIALECT.parser_dialect(), sql)
        .tokenize()
        .ok()?;
    let open = tokens.iter().position(|token| *token == Token::LParen)?;
    let mut definitions = vec![Vec::new()];
    let mut depth = 0usize;
    for token in &tokens[open + 1..] {
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                return Some(definitions.into_iter().filter(|d| !d.is_empty()).collect());
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                definitions.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(current) = definitions.last_mut() {
            current.push(token.clone());
        }
    }
    None
}

/// The keywords that start a column constraint: where a column's declared type ends.
const COLUMN_CONSTRAINT_STARTS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// A column definition without its declared type (`tags INTEGER[] NOT NULL` becomes
/// `tags NOT NULL`); `None` for a table constraint.
fn without_type(definition: &[Token]) -> Option<String> {
    let mut significant = definition
        .iter()
        .enumerate()
        .filter(|(_, token)| !is_trivia(token));
    let (name_at, name) = significant.next()?;
    if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|keyword| is_keyword(name, keyword))
    {
        return None;
    }
    let mut depth = 0usize;
    let rest = definition[name_at + 1..].iter().position(|token| {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0
            && COLUMN_CONSTRAINT_STARTS
                .iter()
                .any(|keyword| is_keyword(token, keyword))
    });
    let rest = rest.map_or(&[][..], |at| &definition[name_at + 1 + at..]);
    Some(format!(
        "{name} {}",
        rest.iter().map(ToString::to_string).collect::<String>()
    ))
}

fn is_autoincrement(token: &Token) -> bool {
    matches!(token, Token::Word(word) if word.keyword == Keyword::AUTOINCREMENT)
}

/// The column of a key entry that is a plain column, lower-cased.
fn key_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(lower(ident)),
        Expr::Collate { expr, .. } => key_column(expr),
        _ => None,
    }
}

fn lower(ident: &Ident) -> String {
    ident.value.to_ascii_lowercase()
}

/// The last part of a possibly qualified name, lower-cased.
fn object_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(lower)
        .unwrap_or_default()
}

/// A collation other than SQLite's default, `BINARY`, in lower case.
fn collation_name(collation: &ObjectName) -> Option<String> {
    let name = object_name(collation);
    (name != "binary").then_some(name)
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
mod tests {
    use super::*;

    fn schema(sql: &str) -> anyhow::Result<Schema> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(sql)?;
        introspect(&conn)
    }

    fn table<'a>(schema: &'a Schema, name: &str) -> &'a Table {
        match schema.tables.get(name) {
            Some(table) => table,
            None => panic!("no table {name} in {schema:#?}"),
        }
    }

    #[test]
    fn autoincrement_comes_out_the_same_however_written() {
        let forms = [
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT)",
            "create table t (id integer not null primary key autoincrement, a text)",
            "CREATE TABLE \"t\" (\"id\" INTEGER, a TEXT, PRIMARY KEY (id AUTOINCREMENT))",
        ];
        let schemas: Vec<Schema> = forms.iter().map(|sql| schema(sql).unwrap()).collect();
        let id = &table(&schemas[0], "t").columns[0];
        assert_eq!(id.generated.as_deref(), Some("autoincrement"));
        assert!(id.not_null);
        assert_eq!(id.data_type, "integer");
        for other in &schemas[1..] {
            assert_eq!(&schemas[0], other);
        }
        let plain = schema("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)").unwrap();
        assert_eq!(table(&plain, "t").columns[0].generated, None);
        assert_ne!(plain, schemas[0]);
    }

    #[test]
    fn odd_columns_are_read() {
        let schema = schema(
            "CREATE TABLE t (
               a INT,
               b INT GENERATED ALWAYS AS (a * 2) STORED,
               c AS (A+1),
               d VARCHAR( 20 ) COLLATE NOCASE DEFAULT ( 'x' ),
               e DOUBLE   PRECISION DEFAULT -1 COLLATE binary,
               f
             )",
        )
        .unwrap();
        let columns = &table(&schema, "t").columns;
        let summary: Vec<_> = columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.data_type.as_str(),
                    c.default.as_deref(),
                    c.generated.as_deref(),
                    c.collation.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("a", "int", None, None, None),
                ("b", "int", None, Some("generated stored (a * 2)"), None),
                ("c", "", None, Some("generated virtual (a + 1)"), None),
                ("d", "varchar(20)", Some("'x'"), None, Some("nocase")),
                ("e", "double precision", Some("-1"), None, None),
                ("f", "", None, None, None),
            ]
        );
    }

    #[test]
    fn constraints_keep_their_names_and_parts() {
        let schema = schema(
            "CREATE TABLE p (x INTEGER PRIMARY KEY, y TEXT UNIQUE, z TEXT);
             CREATE TABLE t (
               a INT CONSTRAINT a_positive CHECK (a > 0),
               b TEXT CONSTRAINT b_key UNIQUE,
               c INT REFERENCES p,
               d TEXT,
               CONSTRAINT t_pk PRIMARY KEY (a, b),
               CONSTRAINT cd UNIQUE (c, d),
               UNIQUE (d),
               CHECK (c <> a),
               CONSTRAINT t_fk FOREIGN KEY (d) REFERENCES p (y) ON DELETE SET NULL ON UPDATE CASCADE
             ) WITHOUT ROWID;",
        )
        .unwrap();
        let t = table(&schema, "t");
        assert_eq!(
            t.primary_key,
            Some(Key {
                name: Some("t_pk".into()),
                columns: vec!["a".into(), "b".into()]
            })
        );
        let uniques: Vec<_> = t
            .uniques
            .iter()
            .map(|key| (key.name.as_deref(), key.columns.join(",")))
            .collect();
        assert_eq!(
            uniques,
            [
                (None, "d".into()),
                (Some("b_key"), "b".into()),
                (Some("cd"), "c,d".into())
            ]
        );
        assert_eq!(
            t.checks,
            [
                Check {
                    name: None,
                    expression: "c <> a".into()
                },
                Check {
                    name: Some("a_positive".into()),
                    expression: "a > 0".into()
                },
            ]
        );
        let keys: Vec<_> = t
            .foreign_keys
            .iter()
            .map(|key| {
                (
                    key.name.as_deref(),
                    key.columns.join(","),
                    key.referenced_table.as_str(),
                    key.referenced_columns.join(","),
                    key.on_delete.as_str(),
                    key.on_update.as_str(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                (None, "c".into(), "p", "x".into(), "no action", "no action"),
                (
                    Some("t_fk"),
                    "d".into(),
                    "p",
                    "y".into(),
                    "set null",
                    "cascade"
                ),
            ]
        );
        // The primary key of a WITHOUT ROWID table is NOT NULL, and no rowid alias.
        assert!(t.columns[0].not_null);
        assert_eq!(t.columns[0].generated, None);
        // Indexes that back constraints are no indexes of their own.
        assert!(schema.indexes.is_empty());
    }

    #[test]
    fn indexes_have_keys_expressions_and_predicates() {
        let schema = schema(
            "CREATE TABLE t (a TEXT, b INT, c INT);
             CREATE INDEX i ON t (a COLLATE NOCASE DESC, (b + 1), lower(a) COLLATE rtrim, c)
               WHERE (b > 0 AND c IS NOT NULL);
             CREATE UNIQUE INDEX u ON t (\"B\");",
        )
        .unwrap();
        let i = &schema.indexes["i"];
        assert_eq!(i.table, "t");
        assert!(!i.unique);
        assert_eq!(
            i.columns,
            [
                "a collate nocase desc",
                "b + 1",
                "lower(a) collate rtrim",
                "c"
            ]
        );
        assert_eq!(i.predicate.as_deref(), Some("b > 0 and c is not null"));
        let u = &schema.indexes["u"];
        assert!(u.unique);
        assert_eq!(u.columns, ["b"]);
        assert_eq!(u.predicate, None);
    }

    #[test]
    fn views_triggers_and_virtual_tables_are_read() {
        let schema = schema(
            "CREATE TABLE t (a INT);
             CREATE VIEW v AS SELECT a FROM t WHERE a > 1;
             CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT RAISE(ABORT, 'No'); END;
             CREATE VIRTUAL TABLE f USING fts5(body);",
        )
        .unwrap();
        assert_eq!(
            schema.views["v"].definition,
            "create view v as select a from t where a > 1"
        );
        let tr = &schema.triggers["tr"];
        assert_eq!(tr.table, "t");
        assert_eq!(
            tr.definition,
            "create trigger tr after insert on t begin select raise(abort, 'No'); end"
        );
        assert_eq!(table(&schema, "f").columns[0].name, "body");
    }

    #[test]
    fn a_table_sqlparser_cannot_read_is_read_without_it() {
        let schema = schema("CREATE TABLE t (a UNSIGNED BIG INT NOT NULL COLLATE NOCASE)").unwrap();
        let a = &table(&schema, "t").columns[0];
        assert_eq!(a.data_type, "unsigned big int");
        assert!(a.not_null);
        assert_eq!(a.collation.as_deref(), Some("nocase"));
        assert!(schema.unread.is_empty(), "{:?}", schema.unread);
    }

    #[test]
    fn an_index_sqlparser_cannot_read_keeps_its_keys_from_the_engine() {
        let schema = schema(
            "CREATE TABLE t (a TEXT, b TEXT);
             CREATE INDEX i ON t (a, lower(b)) WHERE a NOT GLOB 'x*';",
        )
        .unwrap();
        let i = &schema.indexes["i"];
        assert_eq!(i.columns, ["a", "(an expression)"]);
        assert_eq!(i.predicate.as_deref(), Some("(a condition)"));
        assert_eq!(schema.unread.len(), 1, "{:?}", schema.unread);
        assert_eq!(schema.unread[0].object, "index i");
        assert!(
            schema.unread[0]
                .what
                .contains("sqlparser cannot read its CREATE INDEX"),
            "{:?}",
            schema.unread
        );
    }

    #[test]
    fn definitions_are_cut_at_top_level_commas() {
        let definitions: Vec<String> = definitions(
            "CREATE TABLE t (a NUMERIC(10, 2) DEFAULT (1), b INTEGER[], CHECK (a IN (1, 2))) STRICT",
        )
        .unwrap()
        .iter()
        .map(|tokens| tokens.iter().map(ToString::to_string).collect::<String>())
        .collect();
        assert_eq!(
            definitions,
            [
                "a NUMERIC(10, 2) DEFAULT (1)",
                " b INTEGER[]",
                " CHECK (a IN (1, 2))"
            ]
        );
        assert!(super::definitions("CREATE TABLE t AS SELECT 1").is_none());
    }
}
