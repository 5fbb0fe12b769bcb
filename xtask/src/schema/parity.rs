//! Dialect parity: the fresh PostgreSQL schema against the fresh SQLite schema. A store ships one
//! `LATEST.sql` per dialect for one service, so the two must describe one logical schema. The
//! dialects cannot always write the same thing (PostgreSQL's `boolean` is SQLite's `integer` with
//! a 0/1 CHECK), so types are compared by family, through the table below, and everything else
//! by what it means rather than by how each engine spells it.
//!
//! | family | PostgreSQL (as `format_type` prints it) | SQLite (the declared type) |
//! | --- | --- | --- |
//! | integer | `smallint`, `integer`, `bigint` (also `int`, `int2`, `int4`, `int8`); `serial` and `bigserial` are `integer` and `bigint` with a `nextval` default | `integer`, `int`, `bigint`, `smallint`, `tinyint`, `mediumint`, `int2`, `int8` |
//! | text | `text`, `character varying[(n)]`, `varchar[(n)]`, `character[(n)]`, `char[(n)]`, `bpchar`, and the schema's enum types | `text`, `varchar[(n)]`, `character varying[(n)]`, `char[(n)]`, `character[(n)]`, `nvarchar(n)`, `nchar(n)`, `clob` |
//! | boolean | `boolean` | an integer-family type or `boolean`, with a CHECK that allows exactly 0 and 1 (`pinned IN (0, 1)`, `pinned = 0 OR pinned = 1`) |
//! | binary | `bytea` | `blob` |
//! | json | `json`, `jsonb` | `json`, `jsonb`, `text` |
//! | timestamp | `timestamp[(p)]`, `timestamp[(p)] with time zone`, `timestamptz` | `datetime`, `timestamp`, `text` (ISO-8601 text) |
//! | numeric | `numeric[(p, s)]`, `decimal` | `numeric[(p, s)]`, `decimal[(p, s)]` |
//! | floating | `real`, `double precision` (also `float4`, `float8`) | `real`, `double`, `double precision`, `float` |
//!
//! - Timestamps kept as epoch seconds are `bigint` in PostgreSQL and `integer` or `bigint` in
//!   SQLite: the integer family, as the store's `created_ts` columns are. A timestamp type on one
//!   side against an integer on the other is a difference: one stores a point in time, the other
//!   a number, and the service reads them differently.
//! - Lengths, precisions and integer widths are not compared: SQLite ignores `(n)` in a declared
//!   type and stores every integer in up to 64 bits, so they mean nothing on that side.
//! - A PostgreSQL type outside the table (`uuid`, `date`, `inet`, arrays, domains) is compared
//!   by its lower-cased name: `uuid` matches `uuid` and nothing else.
//!
//! Compared: the set of tables and of views (views by presence only: their bodies are written
//! in each dialect's SQL); per table, the set of columns (not their order), each column's type
//! family and nullability (SQLite's rowid alias, `INTEGER PRIMARY KEY`, is NOT NULL), the primary
//! key's columns, the set of unique column lists (a unique constraint and a non-partial unique
//! index on the same columns count the same, whatever their names), and foreign keys by columns,
//! referenced table and columns, with their `ON DELETE` and `ON UPDATE` actions; indexes by name,
//! with their columns or expressions (normalized, and with the `::type` casts PostgreSQL adds
//! removed, so that `lower((username)::text)` matches `lower(username)`), and with whether they
//! are partial. A partial index's predicate is compared by presence only: PostgreSQL rewrites
//! predicates (`status = 'UNREAD'::text`, `pinned = true` against SQLite's `pinned = 1`), so
//! comparing their text would be noise. Names are compared case-insensitively, as SQLite does.
//!
//! Not compared: sequences, enum types and functions, which only PostgreSQL has; triggers, which
//! each dialect writes differently by nature (a PL/pgSQL function and `EXECUTE FUNCTION` against
//! a `BEGIN ... END` body); defaults and CHECKs, which each engine prints in its own SQL
//! (`extract(epoch from now())` against `strftime('%s', 'now')`, `= any (array[...])` against
//! `IN (...)`), except the 0/1 CHECK that makes an integer a boolean; index access methods,
//! which only PostgreSQL has.
//!
//! Every difference is an error: each one is a different meaning (a table or column that one
//! dialect lacks, another type family, nullability, key, foreign key or index), and the service
//! would behave differently on the two engines. An intentional one is allowed in the reviewed
//! allowlist with `check = "parity"`.
//!
//! A [`Difference`] here has the PostgreSQL side in `expected` and the SQLite side in `actual`.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Value};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::diff::Difference;
use super::{Column, ForeignKey, Index, Schema, Table};
use crate::diagnostic::Severity;
use crate::dialect::Dialect;

/// Compares the fresh PostgreSQL schema with the fresh SQLite schema: `expected` of each
/// difference is the PostgreSQL side, `actual` the SQLite side.
pub fn compare(postgres: &Schema, sqlite: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let pg_tables = by_name(postgres.tables.values(), |t| &t.name);
    let lite_tables = by_name(sqlite.tables.values(), |t| &t.name);
    for (name, pg, lite) in pairs(&pg_tables, &lite_tables) {
        match (pg, lite) {
            (Some(pg), Some(lite)) => table(pg, lite, &postgres.enums, &mut out),
            (pg, lite) => out.push(presence(format!("table {name}"), "", pg, lite)),
        }
    }
    let common: BTreeSet<&String> = pg_tables
        .keys()
        .filter(|name| lite_tables.contains_key(*name))
        .collect();
    indexes(postgres, sqlite, &common, &mut out);
    let pg_views = by_name(postgres.views.values(), |v| &v.name);
    let lite_views = by_name(sqlite.views.values(), |v| &v.name);
    for (name, pg, lite) in pairs(&pg_views, &lite_views) {
        if pg.is_none() || lite.is_none() {
            out.push(presence(format!("view {name}"), "", pg, lite));
        }
    }
    out
}

/// Objects keyed by their lower-cased name: SQLite matches names without regard to ASCII case,
/// and PostgreSQL folds unquoted names to lower case.
fn by_name<'a, T>(
    objects: impl Iterator<Item = &'a T>,
    name: impl Fn(&T) -> &String,
) -> BTreeMap<String, &'a T> {
    objects.map(|o| (fold(name(o)), o)).collect()
}

fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn fold_all(names: &[String]) -> Vec<String> {
    names.iter().map(|n| fold(n)).collect()
}

/// Every name of either map, with what each side has under it.
fn pairs<'m, K: Ord + Clone, V>(
    postgres: &'m BTreeMap<K, V>,
    sqlite: &'m BTreeMap<K, V>,
) -> Vec<(K, Option<&'m V>, Option<&'m V>)> {
    let names: BTreeSet<&K> = postgres.keys().chain(sqlite.keys()).collect();
    names
        .into_iter()
        .map(|name| (name.clone(), postgres.get(name), sqlite.get(name)))
        .collect()
}

/// A difference of something present on one side only.
fn presence<T>(object: String, aspect: &str, postgres: Option<T>, sqlite: Option<T>) -> Difference {
    let side = |present: Option<T>| present.map(|_| "present".to_string());
    error(object, aspect, side(postgres), side(sqlite))
}

fn error(
    object: impl Into<String>,
    aspect: impl Into<String>,
    postgres: Option<String>,
    sqlite: Option<String>,
) -> Difference {
    Difference::new(Severity::Error, object, aspect, postgres, sqlite)
}

fn list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

fn table(
    pg: &Table,
    lite: &Table,
    enums: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<Difference>,
) {
    let object = format!("table {}", fold(&pg.name));
    let pg_columns = by_name(pg.columns.iter(), |c| &c.name);
    let lite_columns = by_name(lite.columns.iter(), |c| &c.name);
    for (name, pg_column, lite_column) in pairs(&pg_columns, &lite_columns) {
        let (Some(pg_column), Some(lite_column)) = (pg_column, lite_column) else {
            out.push(error(
                &object,
                format!("column {name}"),
                pg_column.map(|c| c.data_type.clone()),
                lite_column.map(|c| c.data_type.clone()),
            ));
            continue;
        };
        // Only a boolean needs its CHECK; no other column's CHECKs are read.
        let checked = postgres_family(&pg_column.data_type, enums) == Some(Family::Boolean)
            && restricted_to_0_1(lite, &lite_column.name);
        if !types_match(&pg_column.data_type, enums, &lite_column.data_type, checked) {
            out.push(error(
                &object,
                format!("column {name}: type family"),
                Some(describe_postgres(&pg_column.data_type, enums)),
                Some(describe_sqlite(pg_column, lite_column, enums, checked)),
            ));
        }
        if pg_column.not_null != lite_column.not_null {
            let nullability =
                |not_null: bool| Some(if not_null { "not null" } else { "nullable" }.to_string());
            out.push(error(
                &object,
                format!("column {name}: not null"),
                nullability(pg_column.not_null),
                nullability(lite_column.not_null),
            ));
        }
    }

    let key = |t: &Table| t.primary_key.as_ref().map(|k| fold_all(&k.columns));
    if key(pg) != key(lite) {
        let side = |k: Option<Vec<String>>| Some(k.map_or("none".to_string(), |k| list(&k)));
        out.push(error(
            &object,
            "primary key",
            side(key(pg)),
            side(key(lite)),
        ));
    }

    foreign_keys(&object, pg, lite, out);
}

/// Foreign keys are matched by their columns, referenced table and referenced columns; the
/// actions of a matched pair are compared one by one.
fn foreign_keys(object: &str, pg: &Table, lite: &Table, out: &mut Vec<Difference>) {
    type Reference = (Vec<String>, String, Vec<String>);
    fn keyed(t: &Table) -> BTreeMap<Reference, &ForeignKey> {
        t.foreign_keys
            .iter()
            .map(|f| {
                let reference = (
                    fold_all(&f.columns),
                    fold(&f.referenced_table),
                    fold_all(&f.referenced_columns),
                );
                (reference, f)
            })
            .collect()
    }
    let actions = |f: &ForeignKey| format!("on delete {} on update {}", f.on_delete, f.on_update);
    for ((columns, table, referenced), pg_key, lite_key) in pairs(&keyed(pg), &keyed(lite)) {
        let aspect = format!(
            "foreign key {} references {table} {}",
            list(&columns),
            list(&referenced)
        );
        let (Some(pg_key), Some(lite_key)) = (pg_key, lite_key) else {
            out.push(error(
                object,
                aspect,
                pg_key.map(|f| actions(f)),
                lite_key.map(|f| actions(f)),
            ));
            continue;
        };
        for (what, pg_action, lite_action) in [
            ("on delete", &pg_key.on_delete, &lite_key.on_delete),
            ("on update", &pg_key.on_update, &lite_key.on_update),
        ] {
            if pg_action != lite_action {
                out.push(error(
                    object,
                    format!("{aspect}: {what}"),
                    Some(pg_action.clone()),
                    Some(lite_action.clone()),
                ));
            }
        }
    }
}

/// The type families of the table in the module's documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Integer,
    Text,
    Boolean,
    Binary,
    Json,
    Timestamp,
    Numeric,
    Floating,
}

impl Family {
    const ALL: [Family; 8] = [
        Family::Integer,
        Family::Text,
        Family::Boolean,
        Family::Binary,
        Family::Json,
        Family::Timestamp,
        Family::Numeric,
        Family::Floating,
    ];

    fn name(self) -> &'static str {
        match self {
            Family::Integer => "integer",
            Family::Text => "text",
            Family::Boolean => "boolean",
            Family::Binary => "binary",
            Family::Json => "json",
            Family::Timestamp => "timestamp",
            Family::Numeric => "numeric",
            Family::Floating => "floating",
        }
    }

    /// The PostgreSQL type names of the family, without their `(n)` or `(p, s)`.
    fn postgres(self) -> &'static [&'static str] {
        match self {
            Family::Integer => &[
                "smallint", "integer", "bigint", "int", "int2", "int4", "int8",
            ],
            Family::Text => &[
                "text",
                "character varying",
                "varchar",
                "character",
                "char",
                "bpchar",
            ],
            Family::Boolean => &["boolean", "bool"],
            Family::Binary => &["bytea"],
            Family::Json => &["json", "jsonb"],
            Family::Timestamp => &[
                "timestamp",
                "timestamp without time zone",
                "timestamp with time zone",
                "timestamptz",
            ],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double precision", "float4", "float8"],
        }
    }

    /// The SQLite declared types that stand for the family, without their `(n)` or `(p, s)`.
    /// A boolean also needs its 0/1 CHECK, which `types_match` asks for.
    fn sqlite(self) -> &'static [&'static str] {
        match self {
            Family::Integer => &[
                "integer",
                "int",
                "bigint",
                "smallint",
                "tinyint",
                "mediumint",
                "int2",
                "int8",
            ],
            Family::Text => &[
                "text",
                "varchar",
                "character varying",
                "char",
                "character",
                "nvarchar",
                "nchar",
                "clob",
            ],
            Family::Boolean => &[
                "boolean",
                "bool",
                "integer",
                "int",
                "bigint",
                "smallint",
                "tinyint",
                "mediumint",
                "int2",
                "int8",
            ],
            Family::Binary => &["blob"],
            Family::Json => &["json", "jsonb", "text"],
            Family::Timestamp => &["datetime", "timestamp", "text"],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double", "double precision", "float"],
        }
    }
}

/// A type name without its parenthesized modifiers, white space collapsed:
/// `timestamp(3) with time zone` is `timestamp with time zone`, `varchar(20)` is `varchar`.
fn base(data_type: &str) -> String {
    let mut out = String::with_capacity(data_type.len());
    let mut depth = 0usize;
    for c in data_type.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn postgres_family(data_type: &str, enums: &BTreeMap<String, Vec<String>>) -> Option<Family> {
    let base = base(data_type);
    // An enum's labels are PostgreSQL's way of writing what SQLite writes as text with a CHECK;
    // CHECKs are not compared, so neither are the labels.
    if enums.contains_key(&base) {
        return Some(Family::Text);
    }
    Family::ALL
        .into_iter()
        .find(|f| f.postgres().contains(&base.as_str()))
}

/// The family a SQLite declared type stands for on its own, for messages. `text` is the text
/// family here, although it also stands for json and timestamps.
fn sqlite_family(data_type: &str) -> Option<Family> {
    let base = base(data_type);
    Family::ALL
        .into_iter()
        .filter(|f| *f != Family::Boolean)
        .find(|f| f.sqlite().contains(&base.as_str()))
        .or_else(|| matches!(base.as_str(), "boolean" | "bool").then_some(Family::Boolean))
}

/// Whether a PostgreSQL type and a SQLite type are of one family; `checked` says whether the
/// SQLite column is restricted to 0 and 1. Types outside the table match by name.
fn types_match(
    postgres: &str,
    enums: &BTreeMap<String, Vec<String>>,
    sqlite: &str,
    checked: bool,
) -> bool {
    match postgres_family(postgres, enums) {
        Some(family) => {
            family.sqlite().contains(&base(sqlite).as_str())
                && (family != Family::Boolean || checked)
        }
        None => postgres.eq_ignore_ascii_case(sqlite),
    }
}

fn describe_postgres(data_type: &str, enums: &BTreeMap<String, Vec<String>>) -> String {
    match postgres_family(data_type, enums) {
        Some(family) if enums.contains_key(&base(data_type)) => {
            format!("{data_type} (an enum type: {} family)", family.name())
        }
        Some(family) => format!("{data_type} ({} family)", family.name()),
        None => format!("{data_type} (no family: compared by name)"),
    }
}

fn describe_sqlite(
    pg: &Column,
    lite: &Column,
    enums: &BTreeMap<String, Vec<String>>,
    checked: bool,
) -> String {
    let data_type = if lite.data_type.is_empty() {
        "no declared type"
    } else {
        lite.data_type.as_str()
    };
    let wants_boolean = postgres_family(&pg.data_type, enums) == Some(Family::Boolean);
    if wants_boolean && !checked && Family::Boolean.sqlite().contains(&base(data_type).as_str()) {
        return format!("{data_type} without a 0/1 CHECK");
    }
    match sqlite_family(data_type) {
        Some(family) => format!("{data_type} ({} family)", family.name()),
        None => format!("{data_type} (no family: compared by name)"),
    }
}

/// Whether a CHECK of the table allows the column exactly the values 0 and 1 (and NULL, which
/// the column's NOT NULL decides): SQLite's way of writing a boolean.
fn restricted_to_0_1(table: &Table, column: &str) -> bool {
    let wanted = BTreeSet::from([0, 1]);
    table.checks.iter().any(|check| {
        Parser::new(Dialect::Sqlite.parser_dialect())
            .try_with_sql(&check.expression)
            .and_then(|mut parser| parser.parse_expr())
            .is_ok_and(|expr| allowed_values(&expr, column).as_ref() == Some(&wanted))
    })
}

/// The integer values a condition allows the column, where the condition restricts it to a
/// list of them: `c IN (0, 1)`, `c = 0 OR c = 1`, `c IS NULL OR c IN (0, 1)`, and conjunctions
/// with other conditions. `None` where it does not restrict the column to integers, or where it
/// is not understood. NULL is no value here: whether the column takes it is its NOT NULL's
/// business, compared on its own.
fn allowed_values(expr: &Expr, column: &str) -> Option<BTreeSet<i64>> {
    match expr {
        Expr::Nested(inner) => allowed_values(inner, column),
        Expr::IsNull(inner) if names(inner, column) => Some(BTreeSet::new()),
        Expr::In {
            expr,
            target: InTarget::List(items),
            negated: false,
            ..
        } if names(expr, column) => items.iter().map(integer).collect(),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            if names(left, column) {
                integer(right).map(|v| BTreeSet::from([v]))
            } else if names(right, column) {
                integer(left).map(|v| BTreeSet::from([v]))
            } else {
                None
            }
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let (left, right) = (
                allowed_values(left, column)?,
                allowed_values(right, column)?,
            );
            Some(left.union(&right).copied().collect())
        }
        // Both sides hold, so either side's restriction holds; where both restrict, only what
        // both allow is allowed.
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => match (allowed_values(left, column), allowed_values(right, column)) {
            (Some(left), Some(right)) => Some(left.intersection(&right).copied().collect()),
            (left, right) => left.or(right),
        },
        _ => None,
    }
}

/// Whether an expression is the column itself, plain or qualified by its table.
fn names(expr: &Expr, column: &str) -> bool {
    match expr {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(column)),
        Expr::Nested(inner) => names(inner, column),
        _ => false,
    }
}

fn integer(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(number, _) => number.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => integer(inner),
        _ => None,
    }
}

/// A non-partial unique index means what a unique constraint on the same columns means, so such
/// indexes are judged with the unique constraints, as sets of column lists, and not by name.
fn judged_as_unique(index: &Index) -> bool {
    index.unique && index.predicate.is_none()
}

/// The unique column lists of every table both sides have: unique constraints and non-partial
/// unique indexes alike, each with how the side has it, for messages.
fn unique_sets(
    schema: &Schema,
    dialect: Dialect,
    tables: &BTreeSet<&String>,
) -> BTreeMap<(String, Vec<String>), String> {
    let mut sets = BTreeMap::new();
    for table in schema.tables.values() {
        let name = fold(&table.name);
        if !tables.contains(&name) {
            continue;
        }
        for key in &table.uniques {
            let how = match &key.name {
                Some(constraint) => format!("unique constraint {constraint}"),
                None => "unique constraint".to_string(),
            };
            sets.entry((name.clone(), fold_all(&key.columns)))
                .or_insert(how);
        }
    }
    for index in schema.indexes.values().filter(|i| judged_as_unique(i)) {
        let table = fold(&index.table);
        if tables.contains(&table) {
            sets.entry((table, keys(index, dialect)))
                .or_insert_with(|| format!("unique index {}", index.name));
        }
    }
    sets
}

/// Indexes and unique sets, for the tables both sides have (a missing table is reported once,
/// as the table).
fn indexes(
    postgres: &Schema,
    sqlite: &Schema,
    tables: &BTreeSet<&String>,
    out: &mut Vec<Difference>,
) {
    let pg_sets = unique_sets(postgres, Dialect::Postgres, tables);
    let lite_sets = unique_sets(sqlite, Dialect::Sqlite, tables);
    for ((table, columns), pg, lite) in pairs(&pg_sets, &lite_sets) {
        if pg.is_none() || lite.is_none() {
            out.push(error(
                format!("table {table}"),
                format!("unique {}", list(&columns)),
                pg.cloned(),
                lite.cloned(),
            ));
        }
    }

    let on_common = |schema: &Schema| -> BTreeMap<String, Index> {
        schema
            .indexes
            .values()
            .filter(|i| tables.contains(&fold(&i.table)))
            .map(|i| (fold(&i.name), i.clone()))
            .collect()
    };
    for (name, pg, lite) in pairs(&on_common(postgres), &on_common(sqlite)) {
        let object = format!("index {name}");
        let (pg, lite) = match (pg, lite) {
            (Some(pg), Some(lite)) => (pg, lite),
            (pg, lite) => {
                // An index on one side only that the unique sets judge is reported there.
                if !pg.or(lite).is_some_and(judged_as_unique) {
                    out.push(error(
                        object,
                        "",
                        pg.map(|i| definition(i, Dialect::Postgres)),
                        lite.map(|i| definition(i, Dialect::Sqlite)),
                    ));
                }
                continue;
            }
        };
        if judged_as_unique(pg) && judged_as_unique(lite) {
            continue;
        }
        if fold(&pg.table) != fold(&lite.table) {
            out.push(error(
                &object,
                "table",
                Some(fold(&pg.table)),
                Some(fold(&lite.table)),
            ));
        }
        let (pg_keys, lite_keys) = (keys(pg, Dialect::Postgres), keys(lite, Dialect::Sqlite));
        if pg_keys != lite_keys {
            out.push(error(
                &object,
                "columns",
                Some(list(&pg_keys)),
                Some(list(&lite_keys)),
            ));
        }
        let partial = |i: &Index| {
            Some(match &i.predicate {
                Some(predicate) => format!("partial (where {predicate})"),
                None => "not partial".to_string(),
            })
        };
        if pg.predicate.is_some() != lite.predicate.is_some() {
            out.push(error(&object, "predicate", partial(pg), partial(lite)));
        }
        // Where one side is judged with the unique sets, a different uniqueness is reported
        // there already.
        if !judged_as_unique(pg) && !judged_as_unique(lite) && pg.unique != lite.unique {
            let unique = |i: &Index| Some(if i.unique { "unique" } else { "not unique" }.into());
            out.push(error(&object, "unique", unique(pg), unique(lite)));
        }
    }
}

fn definition(index: &Index, dialect: Dialect) -> String {
    format!(
        "{}on {} {}{}",
        if index.unique { "unique " } else { "" },
        fold(&index.table),
        list(&keys(index, dialect)),
        if index.predicate.is_some() {
            " (partial)"
        } else {
            ""
        }
    )
}

/// An index's keys as both dialects can write them: names folded, and PostgreSQL's `::type`
/// casts removed.
fn keys(index: &Index, dialect: Dialect) -> Vec<String> {
    index
        .columns
        .iter()
        .map(|key| match dialect {
            Dialect::Postgres => without_casts(&fold(key)),
            Dialect::Sqlite => fold(key),
        })
        .collect()
}

/// Words that continue a type name after its first word: `character varying`, `double
/// precision`, `timestamp with time zone`.
const TYPE_CONTINUATIONS: [&str; 6] = ["varying", "precision", "with", "without", "time", "zone"];

/// A normalized PostgreSQL index key without the `::type` casts its deparser adds (a `varchar`
/// column inside `lower()` comes out as `lower((username)::text)`), and without the parentheses
/// that only enclosed the cast: `lower(username)`. Text that cannot be tokenized is kept.
fn without_casts(key: &str) -> String {
    let Ok(tokens) = Tokenizer::new(Dialect::Postgres.parser_dialect(), key)
        .with_unescape(false)
        .tokenize()
    else {
        return key.to_string();
    };
    let mut kept = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Token::DoubleColon {
            i = after_type(&tokens, i + 1);
        } else {
            kept.push(tokens[i].clone());
            i += 1;
        }
    }
    while let Some((open, close)) = redundant_parentheses(&kept) {
        kept.remove(close);
        kept.remove(open);
    }
    kept.iter().map(ToString::to_string).collect()
}

/// The index just past the type name that starts at `start`: its words, its modifiers in
/// parentheses and its array brackets.
fn after_type(tokens: &[Token], start: usize) -> usize {
    let mut i = start;
    if matches!(tokens.get(i), Some(Token::Word(_))) {
        i += 1;
    }
    loop {
        match (tokens.get(i), tokens.get(i + 1)) {
            (Some(Token::Whitespace(_)), Some(Token::Word(word)))
                if TYPE_CONTINUATIONS.contains(&word.value.to_ascii_lowercase().as_str()) =>
            {
                i += 2;
            }
            (Some(Token::LParen), _) => match closing(tokens, i) {
                Some(close) => i = close + 1,
                None => return tokens.len(),
            },
            (Some(Token::LBracket), Some(Token::RBracket)) => i += 2,
            _ => return i,
        }
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A pair of parentheses that changes nothing: around a single token that is no function's
/// argument list (`(username)`, but not `f(x)` or `IN (1)`), or directly inside another pair
/// with no comma of its own (`f((a || b))`; with a comma it would be a row).
fn redundant_parentheses(tokens: &[Token]) -> Option<(usize, usize)> {
    for open in 0..tokens.len() {
        if tokens[open] != Token::LParen {
            continue;
        }
        let close = closing(tokens, open)?;
        let before = open.checked_sub(1).map(|i| &tokens[i]);
        let word_before = tokens[..open]
            .iter()
            .rfind(|t| !matches!(t, Token::Whitespace(_)))
            .is_some_and(|t| matches!(t, Token::Word(_)));
        let single = close == open + 2 && !word_before;
        let doubled = before == Some(&Token::LParen)
            && tokens.get(close + 1) == Some(&Token::RParen)
            && !has_top_level_comma(&tokens[open + 1..close]);
        if single || doubled {
            return Some((open, close));
        }
    }
    None
}

fn has_top_level_comma(tokens: &[Token]) -> bool {
    let mut depth = 0usize;
    tokens.iter().any(|token| {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0 && *token == Token::Comma
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Check, Key};

    /// One table `memo` with an `id` key and the given columns, and nothing else.
    fn schema(columns: &[(&str, &str)]) -> Schema {
        let mut all = vec![Column::not_null("id", "integer")];
        all.extend(columns.iter().map(|(n, t)| Column::not_null(n, t)));
        let mut schema = Schema::default();
        schema.tables.insert(
            "memo".into(),
            Table {
                name: "memo".into(),
                columns: all,
                primary_key: Some(Key {
                    name: None,
                    columns: vec!["id".into()],
                }),
                ..Table::default()
            },
        );
        schema
    }

    fn memo(schema: &mut Schema) -> &mut Table {
        schema.tables.get_mut("memo").expect("memo")
    }

    fn check(schema: &mut Schema, expression: &str) {
        memo(schema).checks.push(Check {
            name: None,
            expression: expression.into(),
        });
    }

    fn index(name: &str, unique: bool, columns: &[&str], predicate: Option<&str>) -> Index {
        Index {
            name: name.into(),
            table: "memo".into(),
            unique,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            predicate: predicate.map(String::from),
            method: None,
        }
    }

    fn render(differences: &[Difference]) -> Vec<String> {
        differences
            .iter()
            .map(|d| {
                format!(
                    "{} {} [{}]: {:?} / {:?}",
                    d.severity.as_str(),
                    d.object,
                    d.aspect,
                    d.expected,
                    d.actual
                )
            })
            .collect()
    }

    /// Whether one column of the PostgreSQL type and one of the SQLite type are of one family.
    fn same_family(postgres: &str, sqlite: &str) -> bool {
        compare(&schema(&[("c", postgres)]), &schema(&[("c", sqlite)])).is_empty()
    }

    #[test]
    fn integers_match_whatever_their_width() {
        for postgres in ["smallint", "integer", "bigint"] {
            for sqlite in ["integer", "int", "bigint", "smallint"] {
                assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
            }
        }
        assert!(!same_family("integer", "text"));
        assert!(!same_family("bigint", "real"));
    }

    #[test]
    fn a_serial_key_matches_a_rowid_alias() {
        let mut postgres = schema(&[]);
        memo(&mut postgres).columns[0].default = Some("nextval('memo_id_seq'::regclass)".into());
        let mut sqlite = schema(&[]);
        memo(&mut sqlite).columns[0].generated = Some("autoincrement".into());
        assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
    }

    #[test]
    fn text_types_match_whatever_their_length() {
        for postgres in [
            "text",
            "character varying(20)",
            "character varying",
            "character(2)",
        ] {
            for sqlite in ["text", "varchar(20)", "varchar(255)", "char(2)", "clob"] {
                assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
            }
        }
        assert!(!same_family("text", "blob"));
        assert!(!same_family("character varying(20)", "integer"));
    }

    #[test]
    fn enum_types_are_text() {
        let mut postgres = schema(&[("status", "memo_status")]);
        postgres
            .enums
            .insert("memo_status".into(), vec!["NORMAL".into()]);
        assert!(compare(&postgres, &schema(&[("status", "text")])).is_empty());
        let differences = compare(&postgres, &schema(&[("status", "integer")]));
        insta::assert_debug_snapshot!(render(&differences), @r#"
        [
            "error table memo [column status: type family]: Some(\"memo_status (an enum type: text family)\") / Some(\"integer (integer family)\")",
        ]
        "#);
    }

    #[test]
    fn a_boolean_is_an_integer_with_a_0_1_check() {
        let postgres = schema(&[("pinned", "boolean")]);
        for (sqlite_type, expression) in [
            ("integer", "pinned in (0, 1)"),
            ("integer", "pinned in (1, 0)"),
            ("int", "pinned = 0 or pinned = 1"),
            ("boolean", "(1 = pinned) or (pinned = 0)"),
            ("integer", "memo.pinned in (0, 1) and id > 0"),
            ("integer", "pinned is null or pinned in (0, 1)"),
        ] {
            let mut sqlite = schema(&[("pinned", sqlite_type)]);
            check(&mut sqlite, expression);
            assert_eq!(
                render(&compare(&postgres, &sqlite)),
                Vec::<String>::new(),
                "{sqlite_type} with {expression}"
            );
        }
    }

    #[test]
    fn a_boolean_without_its_check_is_a_difference() {
        let postgres = schema(&[("pinned", "boolean")]);
        for (sqlite_type, expression) in [
            ("integer", None),
            ("boolean", None),
            ("integer", Some("pinned in (0, 1, 2)")),
            ("integer", Some("pinned in (1)")),
            ("integer", Some("pinned not in (0, 1)")),
            ("integer", Some("pinned = 0 or id = 1")),
            ("integer", Some("id in (0, 1)")),
            ("integer", Some("pinned between 0 and 1")),
            ("integer", Some("pinned is null")),
        ] {
            let mut sqlite = schema(&[("pinned", sqlite_type)]);
            if let Some(expression) = expression {
                check(&mut sqlite, expression);
            }
            let differences = compare(&postgres, &sqlite);
            assert_eq!(differences.len(), 1, "{sqlite_type} with {expression:?}");
            assert_eq!(differences[0].aspect, "column pinned: type family");
            assert_eq!(
                differences[0].actual,
                Some(format!("{sqlite_type} without a 0/1 CHECK"))
            );
        }
        // A text column is no boolean, CHECK or not: its own family is shown.
        let differences = compare(&postgres, &schema(&[("pinned", "text")]));
        insta::assert_debug_snapshot!(render(&differences), @r#"
        [
            "error table memo [column pinned: type family]: Some(\"boolean (boolean family)\") / Some(\"text (text family)\")",
        ]
        "#);
    }

    #[test]
    fn binary_json_timestamp_and_number_families() {
        assert!(same_family("bytea", "blob"));
        assert!(!same_family("bytea", "text"));
        for sqlite in ["json", "jsonb", "text"] {
            assert!(same_family("jsonb", sqlite), "jsonb / {sqlite}");
            assert!(same_family("json", sqlite), "json / {sqlite}");
        }
        assert!(!same_family("jsonb", "blob"));
        for postgres in [
            "timestamp without time zone",
            "timestamp(3) with time zone",
            "timestamp with time zone",
        ] {
            for sqlite in ["datetime", "timestamp", "text"] {
                assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
            }
            // A point in time against a number: the service reads them differently.
            assert!(!same_family(postgres, "integer"), "{postgres} / integer");
        }
        // Epoch seconds are integers on both sides.
        assert!(same_family("bigint", "integer"));
        assert!(!same_family("bigint", "datetime"));
        assert!(same_family("numeric(10,2)", "decimal(10, 2)"));
        assert!(same_family("numeric", "numeric"));
        assert!(same_family("double precision", "real"));
        assert!(same_family("real", "double"));
        // Exact decimals against floating point numbers mean different things.
        assert!(!same_family("numeric", "real"));
    }

    #[test]
    fn unknown_types_are_compared_by_name() {
        assert!(same_family("uuid", "uuid"));
        assert!(same_family("date", "DATE"));
        let differences = compare(&schema(&[("c", "uuid")]), &schema(&[("c", "text")]));
        let empty = compare(&schema(&[("c", "text[]")]), &schema(&[("c", "")]));
        insta::assert_debug_snapshot!((render(&differences), render(&empty)), @r#"
        (
            [
                "error table memo [column c: type family]: Some(\"uuid (no family: compared by name)\") / Some(\"text (text family)\")",
            ],
            [
                "error table memo [column c: type family]: Some(\"text[] (no family: compared by name)\") / Some(\"no declared type (no family: compared by name)\")",
            ],
        )
        "#);
    }

    #[test]
    fn missing_tables_columns_and_views_are_differences() {
        let mut postgres = schema(&[("content", "text"), ("visibility", "text")]);
        postgres.tables.insert(
            "webhook".into(),
            Table {
                name: "webhook".into(),
                ..Table::default()
            },
        );
        postgres.views.insert(
            "memo_view".into(),
            crate::schema::View {
                name: "memo_view".into(),
                definition: "select * from memo".into(),
            },
        );
        // Column order and the case of names do not matter across dialects.
        let sqlite = schema(&[("extra", "integer"), ("Content", "text")]);
        insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
        [
            "error table memo [column extra]: None / Some(\"integer\")",
            "error table memo [column visibility]: Some(\"text\") / None",
            "error table webhook []: Some(\"present\") / None",
            "error view memo_view []: Some(\"present\") / None",
        ]
        "#);
    }

    #[test]
    fn nullability_and_primary_keys_are_compared() {
        let postgres = schema(&[("content", "text")]);
        let mut sqlite = schema(&[("content", "text")]);
        memo(&mut sqlite).columns[1].not_null = false;
        memo(&mut sqlite).primary_key = Some(Key {
            name: None,
            columns: vec!["id".into(), "content".into()],
        });
        insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
        [
            "error table memo [column content: not null]: Some(\"not null\") / Some(\"nullable\")",
            "error table memo [primary key]: Some(\"(id)\") / Some(\"(id, content)\")",
        ]
        "#);
    }

    #[test]
    fn unique_sets_ignore_names_and_whether_constraint_or_index() {
        let mut postgres = schema(&[("uid", "text"), ("name", "text")]);
        memo(&mut postgres).uniques.push(Key {
            name: Some("memo_uid_key".into()),
            columns: vec!["uid".into()],
        });
        postgres.indexes.insert(
            "idx_memo_name".into(),
            index("idx_memo_name", true, &["name"], None),
        );
        let mut sqlite = schema(&[("uid", "text"), ("name", "text")]);
        sqlite.indexes.insert(
            "idx_memo_uid".into(),
            index("idx_memo_uid", true, &["uid"], None),
        );
        memo(&mut sqlite).uniques.push(Key {
            name: None,
            columns: vec!["name".into()],
        });
        assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
    }

    #[test]
    fn a_missing_unique_set_is_one_difference() {
        let mut postgres = schema(&[("uid", "text")]);
        postgres.indexes.insert(
            "idx_memo_uid".into(),
            index("idx_memo_uid", true, &["uid"], None),
        );
        let mut sqlite = schema(&[("uid", "text")]);
        // The same name with other columns is reported as the unique sets that differ.
        let mut other = postgres.clone();
        other.indexes.insert(
            "idx_memo_uid".into(),
            index("idx_memo_uid", true, &["id", "uid"], None),
        );
        // A plain index under the name: the uniqueness is what differs.
        sqlite.indexes.insert(
            "idx_memo_uid".into(),
            index("idx_memo_uid", false, &["uid"], None),
        );
        insta::assert_debug_snapshot!(
            (render(&compare(&postgres, &schema(&[("uid", "text")]))), render(&compare(&postgres, &other)), render(&compare(&postgres, &sqlite))),
            @r#"
        (
            [
                "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
            ],
            [
                "error table memo [unique (id, uid)]: None / Some(\"unique index idx_memo_uid\")",
                "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
            ],
            [
                "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
            ],
        )
        "#
        );
    }

    #[test]
    fn foreign_keys_are_compared_by_reference_and_action() {
        let key = |table: &str, on_delete: &str| ForeignKey {
            name: None,
            columns: vec!["creator_id".into()],
            referenced_table: table.into(),
            referenced_columns: vec!["id".into()],
            on_delete: on_delete.into(),
            on_update: "no action".into(),
        };
        let mut postgres = schema(&[("creator_id", "integer")]);
        memo(&mut postgres)
            .foreign_keys
            .push(key("user", "cascade"));
        let mut same = schema(&[("creator_id", "integer")]);
        memo(&mut same).foreign_keys.push(key("User", "cascade"));
        assert!(compare(&postgres, &same).is_empty());

        let mut other_action = schema(&[("creator_id", "integer")]);
        memo(&mut other_action)
            .foreign_keys
            .push(key("user", "set null"));
        let mut other_table = schema(&[("creator_id", "integer")]);
        memo(&mut other_table)
            .foreign_keys
            .push(key("account", "cascade"));
        insta::assert_debug_snapshot!(
            (render(&compare(&postgres, &other_action)), render(&compare(&postgres, &other_table))),
            @r#"
        (
            [
                "error table memo [foreign key (creator_id) references user (id): on delete]: Some(\"cascade\") / Some(\"set null\")",
            ],
            [
                "error table memo [foreign key (creator_id) references account (id)]: None / Some(\"on delete cascade on update no action\")",
                "error table memo [foreign key (creator_id) references user (id)]: Some(\"on delete cascade on update no action\") / None",
            ],
        )
        "#
        );
    }

    #[test]
    fn indexes_are_compared_by_name_columns_and_partiality() {
        let mut postgres = schema(&[("creator_id", "integer"), ("pinned", "boolean")]);
        check(&mut postgres, "pinned = any(array[true, false])");
        let mut sqlite = schema(&[("creator_id", "integer"), ("pinned", "integer")]);
        check(&mut sqlite, "pinned in (0, 1)");
        for (name, columns, predicate) in [
            ("idx_same", ["creator_id"], None),
            ("idx_pinned", ["creator_id"], Some("pinned = true")),
            ("idx_columns", ["creator_id"], None),
            ("idx_partial", ["creator_id"], Some("pinned = true")),
            ("idx_pg_only", ["pinned"], None),
        ] {
            postgres
                .indexes
                .insert(name.into(), index(name, false, &columns, predicate));
        }
        for (name, columns, predicate) in [
            ("idx_same", ["creator_id"], None),
            // Predicates are compared by presence only: PostgreSQL rewrites them.
            ("idx_pinned", ["creator_id"], Some("pinned = 1")),
            ("idx_columns", ["pinned"], None),
            ("idx_partial", ["creator_id"], None),
            ("idx_sqlite_only", ["creator_id"], None),
        ] {
            sqlite
                .indexes
                .insert(name.into(), index(name, false, &columns, predicate));
        }
        // A partial unique index is judged by name, its uniqueness with it.
        postgres.indexes.insert(
            "idx_unique_partial".into(),
            index("idx_unique_partial", true, &["creator_id"], Some("pinned")),
        );
        sqlite.indexes.insert(
            "idx_unique_partial".into(),
            index(
                "idx_unique_partial",
                false,
                &["creator_id"],
                Some("pinned = 1"),
            ),
        );
        insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
        [
            "error index idx_columns [columns]: Some(\"(creator_id)\") / Some(\"(pinned)\")",
            "error index idx_partial [predicate]: Some(\"partial (where pinned = true)\") / Some(\"not partial\")",
            "error index idx_pg_only []: Some(\"on memo (pinned)\") / None",
            "error index idx_sqlite_only []: None / Some(\"on memo (creator_id)\")",
            "error index idx_unique_partial [unique]: Some(\"unique\") / Some(\"not unique\")",
        ]
        "#);
    }

    #[test]
    fn index_expressions_match_without_postgres_casts() {
        let cases = [
            ("lower((username)::text)", "lower(username)"),
            ("lower(username)", "lower(username)"),
            (
                "lower((username)::character varying(20)) desc",
                "lower(username) desc",
            ),
            ("coalesce(name, ''::text)", "coalesce(name, '')"),
            ("(a || b)::text", "(a || b)"),
            ("lower(((a || b))::text)", "lower(a || b)"),
            ("(created_ts)::timestamp(3) with time zone", "created_ts"),
            ("f((a, b))", "f((a, b))"),
            ("x in (1)", "x in (1)"),
        ];
        for (postgres, expected) in cases {
            assert_eq!(without_casts(postgres), expected, "{postgres}");
        }
        let mut pg = schema(&[("username", "character varying(20)")]);
        pg.indexes.insert(
            "idx_lower".into(),
            index("idx_lower", true, &["lower((username)::text)"], None),
        );
        pg.indexes.insert(
            "idx_plain".into(),
            index("idx_plain", false, &["lower((username)::text)"], None),
        );
        let mut lite = schema(&[("username", "varchar(20)")]);
        lite.indexes.insert(
            "idx_lower".into(),
            index("idx_lower", true, &["lower(username)"], None),
        );
        lite.indexes.insert(
            "idx_plain".into(),
            index("idx_plain", false, &["lower(username)"], None),
        );
        assert_eq!(render(&compare(&pg, &lite)), Vec::<String>::new());
    }

    #[test]
    fn objects_of_missing_tables_are_reported_once_as_the_table() {
        let mut postgres = schema(&[]);
        postgres.tables.insert(
            "webhook".into(),
            Table {
                name: "webhook".into(),
                columns: vec![Column::not_null("id", "integer")],
                ..Table::default()
            },
        );
        let mut hook_index = index("idx_webhook", true, &["id"], None);
        hook_index.table = "webhook".into();
        postgres.indexes.insert("idx_webhook".into(), hook_index);
        insta::assert_debug_snapshot!(render(&compare(&postgres, &schema(&[]))), @r#"
        [
            "error table webhook []: Some(\"present\") / None",
        ]
        "#);
    }

    #[test]
    fn postgres_only_objects_and_triggers_are_not_compared() {
        let mut postgres = schema(&[]);
        postgres.sequences.insert(
            "memo_id_seq".into(),
            crate::schema::Sequence {
                name: "memo_id_seq".into(),
                data_type: "integer".into(),
                owned_by: Some("memo.id".into()),
            },
        );
        postgres.enums.insert("status".into(), vec!["A".into()]);
        postgres.functions.insert(
            "f()".into(),
            crate::schema::Function {
                signature: "f()".into(),
                ..crate::schema::Function::default()
            },
        );
        postgres.triggers.insert(
            "memo.t".into(),
            crate::schema::Trigger {
                name: "t".into(),
                table: "memo".into(),
                definition: "create trigger t before update on memo".into(),
            },
        );
        let mut sqlite = schema(&[]);
        memo(&mut sqlite).columns[0].default = Some("0".into());
        check(&mut sqlite, "id > 0");
        assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
    }
}
