//! One normalized schema model for both engines. Introspection (`postgres.rs`, `sqlite.rs`) fills
//! it from the engine's catalog; `compare/` joins two of them into typed changes, which the
//! chain diff (`diff.rs`), parity (`parity/`) and the release notes judge each in their own way.
//! Everything is keyed by name and kept in maps, so that two schemas built in different orders
//! compare equal, and SQL fragments (defaults, CHECKs, predicates, trigger and view bodies) are
//! normalized before they are stored, so that equal meaning compares equal.

pub mod compare;
pub mod diff;
pub mod normalize;
pub mod parity;
pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    /// Indexes created by `CREATE INDEX`, by name; indexes that only back a primary key or a
    /// unique constraint belong to their table's constraint instead.
    pub indexes: BTreeMap<String, Index>,
    pub triggers: BTreeMap<String, Trigger>,
    pub views: BTreeMap<String, View>,
    /// PostgreSQL only.
    pub sequences: BTreeMap<String, Sequence>,
    /// PostgreSQL only: enum type name to its labels in order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// PostgreSQL only, by signature (`name(argument types)`).
    pub functions: BTreeMap<String, Function>,
    /// What introspection could not read (SQLite: parts of a `CREATE` text sqlparser cannot
    /// read), reported as notes. Not part of the schema's meaning: the diff ignores it.
    #[serde(skip)]
    pub unread: Vec<Unread>,
}

/// A part of an object's definition that introspection could not read, so the comparison of
/// schemas does not see it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unread {
    /// `table memo`, `index idx_memo_tags`: as differences name objects.
    pub object: String,
    /// What is unknown, and why.
    pub what: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    pub name: String,
    /// In the engine's column order.
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    pub uniques: Vec<Key>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    /// The type as the engine reports it, lower case: `integer`, `character varying(20)`,
    /// SQLite's declared type such as `text`.
    pub data_type: String,
    pub not_null: bool,
    /// The default expression, normalized; `None` when there is none.
    pub default: Option<String>,
    /// `identity always`, `identity by default`, `generated stored`, `generated virtual`, with
    /// the generation expression where there is one.
    pub generated: Option<String>,
    /// A collation other than the default.
    pub collation: Option<String>,
}

#[cfg(test)]
impl Column {
    /// A `NOT NULL` column of a type, for tests.
    pub(crate) fn not_null(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            not_null: true,
            ..Column::default()
        }
    }
}

/// A primary key or unique constraint.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Key {
    /// The constraint's name; `None` where the engine keeps none (SQLite's unnamed constraints).
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Check {
    pub name: Option<String>,
    /// The condition, normalized.
    pub expression: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    /// `no action`, `restrict`, `cascade`, `set null`, `set default`.
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    /// Column names, or normalized expressions, in key order; a descending key ends in ` desc`.
    pub columns: Vec<String>,
    /// The `WHERE` of a partial index, normalized.
    pub predicate: Option<String>,
    /// The access method where it is not the default (`gin`, `hash`, ...).
    pub method: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// The whole definition, normalized.
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct View {
    pub name: String,
    /// The query, normalized.
    pub definition: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub name: String,
    pub data_type: String,
    /// `table.column` for a sequence owned by a column (`SERIAL`), else `None`.
    pub owned_by: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Function {
    pub signature: String,
    pub returns: String,
    pub language: String,
    /// The body, normalized for white space.
    pub body: String,
}
