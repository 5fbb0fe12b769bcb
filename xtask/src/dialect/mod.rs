//! The SQL dialects a tree can hold, each in a driver folder of its own name.
//!
//! [`Dialect`] is the small identifier that maps, configuration and the command line use; what
//! differs between dialects is behind [`Spec`], one implementation per dialect in a file of its
//! own (`postgres.rs`, `sqlite.rs`), which [`Dialect::spec`] returns. The checks ask the spec
//! (which words sqlparser cannot read, which constructs of other dialects leak in, how names
//! fold, what the lint says of a statement) instead of matching on the dialect, so that a third
//! dialect is an implementation and a variant, not a hunt through every match.

mod postgres;
mod sqlite;

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Postgres, Dialect::Sqlite];

    /// What differs in this dialect.
    pub fn spec(self) -> &'static dyn Spec {
        match self {
            Dialect::Postgres => &postgres::Postgres,
            Dialect::Sqlite => &sqlite::Sqlite,
        }
    }

    /// The driver folder's name, which is also the name on the command line.
    pub fn folder(self) -> &'static str {
        self.spec().folder()
    }

    pub fn from_folder(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.folder() == name)
    }

    /// The engine's proper name, for messages.
    pub fn engine(self) -> &'static str {
        self.spec().engine()
    }

    pub fn parser_dialect(self) -> &'static dyn sqlparser::dialect::Dialect {
        self.spec().parser_dialect()
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.folder())
    }
}

/// What one SQL dialect is, to the checks: the answers to every question on which PostgreSQL and
/// SQLite differ. The checks hold the mechanics (tokens, trees, schemas); a spec holds the facts.
pub trait Spec: Sync {
    /// The driver folder's name, which is also the name on the command line and in the
    /// configuration (`postgres`, `sqlite`).
    fn folder(&self) -> &'static str;

    /// The engine's proper name, for messages (`PostgreSQL`, `SQLite`).
    fn engine(&self) -> &'static str;

    /// The sqlparser dialect the files are tokenized and parsed with.
    fn parser_dialect(&self) -> &'static dyn sqlparser::dialect::Dialect;

    /// Whether quoted identifiers compare without regard to ASCII case, as unquoted ones do
    /// everywhere: SQLite's do, PostgreSQL's keep their case.
    fn quoted_names_fold_case(&self) -> bool;

    /// A statement the engine runs but sqlparser cannot read, by its first (at most six)
    /// significant words, upper-cased.
    fn parser_gap(&self, leading: &[&str]) -> Option<ParserGap>;

    /// The constructs of other dialects to look for in this dialect's files (`dialect-leak`).
    fn leaks(&self) -> &'static [Leak];

    /// Whether the engine has extensions (`CREATE EXTENSION`), which the replay may skip.
    fn has_extensions(&self) -> bool;

    /// Whether the index keys the engine reports carry the `::type` casts its deparser adds,
    /// which parity removes before comparing.
    fn index_keys_have_casts(&self) -> bool;

    /// The lint's view of the dialect's `ALTER TABLE` and `PRAGMA`.
    fn lint(&self) -> &'static LintPolicy;

    /// The declared types that stand for each type family, without their `(n)` or `(p, s)`
    /// (parity compares column types by family). A type may stand for several families
    /// (SQLite's `text` holds text, json and timestamps).
    fn family_types(&self, family: Family) -> &'static [&'static str];

    /// Whether a boolean is an integer restricted to 0 and 1 by a CHECK, rather than a type of
    /// its own (SQLite): a column of this dialect is of the boolean family only with its CHECK.
    fn boolean_needs_check(&self) -> bool;
}

/// A statement sqlparser cannot read, as the dialect recognizes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParserGap {
    /// The whole statement is the construct: nothing of it can be parsed.
    Whole(&'static str),
    /// `CREATE TRIGGER IF NOT EXISTS`: the rest parses without the `IF NOT EXISTS`.
    WithoutIfNotExists(&'static str),
    /// A `COLLATE` clause where sqlparser stopped: the rest parses without it.
    WithoutCollate(&'static str),
}

/// A construct of another dialect that `dialect-leak` looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leak {
    /// MySQL's and SQLite's `` `quoted` `` identifiers.
    Backticks,
    /// SQLite's `ON CONFLICT` clauses of a column or table constraint.
    ConflictClauses,
    /// SQLite's `AUTOINCREMENT`.
    Autoincrement,
    /// SQLite's `PRAGMA`.
    Pragma,
    /// PostgreSQL's `::type` casts.
    DoubleColonCasts,
    /// PostgreSQL's own types (`jsonb`, `serial`, `timestamptz`, ...).
    PostgresTypes,
    /// PostgreSQL's functions (`now()`, `jsonb_set`, ...) and, where none leaked, `$$` bodies.
    FunctionsOrDollarBodies,
    /// PostgreSQL's `UPDATE ... FROM`.
    UpdateFrom,
}

/// What the lint rules that depend on the dialect need to know of it.
#[derive(Debug)]
pub struct LintPolicy {
    /// Whether `ALTER TABLE ... DROP COLUMN` and `DROP CONSTRAINT` take `IF EXISTS`
    /// (`non-idempotent-ddl` asks for it where they do).
    pub alter_table_if_exists: bool,
    /// Whether `ALTER COLUMN ... TYPE` exists (`change-column-type`).
    pub alters_column_types: bool,
    /// Whether `PRAGMA foreign_keys` exists, and is a no-op inside a transaction
    /// (`pragma-in-transaction`).
    pub pragma_foreign_keys: bool,
    /// What the engine does with a NOT NULL column added without a DEFAULT
    /// (`add-not-null-without-default`).
    pub not_null_without_default: NotNullWithoutDefault,
    /// What the engine does when a column an index uses is dropped (`drop-indexed-column`).
    pub drop_indexed_column: DropIndexedColumn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotNullWithoutDefault {
    /// Refused as soon as the table has a row (PostgreSQL).
    RefusedWithRows,
    /// Refused on any table (SQLite).
    Refused,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropIndexedColumn {
    /// The statement is refused (SQLite).
    Refused,
    /// The index goes silently with the column (PostgreSQL).
    DropsTheIndex,
}

/// The type families parity compares column types by (the table in `schema::parity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
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
    pub const ALL: [Family; 8] = [
        Family::Integer,
        Family::Text,
        Family::Boolean,
        Family::Binary,
        Family::Json,
        Family::Timestamp,
        Family::Numeric,
        Family::Floating,
    ];

    pub fn name(self) -> &'static str {
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
}
