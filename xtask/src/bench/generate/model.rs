//! The schema model of the generator: tables, columns, indexes and the SQL that creates them in
//! each dialect. A migration and `LATEST.sql` write the same objects through the same functions,
//! which is what makes `LATEST.sql` build exactly what the chain builds.

use std::fmt::Write as _;

use crate::dialect::Dialect;

/// PostgreSQL truncates longer identifiers (SQLite does not), so generated names stay shorter.
const MAX_IDENTIFIER: usize = 63;

pub(super) const INSTANCE_SETTING: &str = "CREATE TABLE instance_setting (\n  \
    name TEXT NOT NULL PRIMARY KEY,\n  \
    value TEXT NOT NULL,\n  \
    description TEXT NOT NULL DEFAULT ''\n)";

const TABLE_BASES: [&str; 30] = [
    "account",
    "project",
    "task",
    "invoice",
    "purchase",
    "product",
    "customer",
    "shipment",
    "ticket",
    "remark",
    "document",
    "folder",
    "team",
    "member",
    "permission",
    "device",
    "report",
    "metric",
    "alert",
    "hook",
    "payment",
    "refund",
    "coupon",
    "review",
    "message",
    "channel",
    "upload",
    "label",
    "workspace",
    "milestone",
];

const TABLE_SUFFIXES: [&str; 5] = ["", "_history", "_attribute", "_link", "_snapshot"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Id,
    Timestamp,
    /// `TEXT NOT NULL` without a default: only in `CREATE TABLE`.
    Title,
    Text,
    Int,
    /// `BOOLEAN` in PostgreSQL; `INTEGER` with a CHECK on `(0, 1)` in SQLite.
    Flag,
    /// `JSONB` in PostgreSQL, `TEXT` in SQLite.
    Json,
    /// `ACTIVE` or `ARCHIVED`, with a CHECK.
    Status,
    /// The `id` of an earlier table (by position in the model): `NOT NULL ... ON DELETE CASCADE`
    /// when required, else `ON DELETE SET NULL`.
    Reference {
        parent: usize,
        required: bool,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Column {
    pub(super) name: String,
    pub(super) kind: Kind,
    /// The name of the column's CHECK or foreign key constraint, where it has one. SQLite's
    /// foreign keys are left unnamed, as in the store: SQLite never shows their names.
    pub(super) constraint: Option<String>,
    /// Part of an index key or predicate: such a column is never renamed or dropped, which
    /// SQLite refuses or would make rewrite the index.
    pub(super) indexed: bool,
    pub(super) renamed: bool,
}

impl Column {
    pub(super) fn new(name: impl Into<String>, kind: Kind) -> Column {
        Column {
            name: name.into(),
            kind,
            constraint: None,
            indexed: false,
            renamed: false,
        }
    }

    /// A column that can be renamed or dropped in both dialects without touching anything else.
    pub(super) fn is_plain(&self) -> bool {
        matches!(self.kind, Kind::Text | Kind::Int | Kind::Json)
            && !self.indexed
            && self.constraint.is_none()
    }

    pub(super) fn sql(&self, model: &Model, dialect: Dialect) -> String {
        let name = &self.name;
        let postgres = dialect == Dialect::Postgres;
        let constraint = self.constraint.as_deref().unwrap_or_default();
        match self.kind {
            Kind::Id if postgres => "id SERIAL PRIMARY KEY".into(),
            Kind::Id => "id INTEGER PRIMARY KEY AUTOINCREMENT".into(),
            Kind::Timestamp if postgres => {
                format!("{name} BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW())")
            }
            Kind::Timestamp => format!("{name} BIGINT NOT NULL DEFAULT (strftime('%s', 'now'))"),
            Kind::Title => format!("{name} TEXT NOT NULL"),
            Kind::Text => format!("{name} TEXT NOT NULL DEFAULT ''"),
            Kind::Int => format!("{name} INTEGER NOT NULL DEFAULT 0"),
            Kind::Flag if postgres => format!("{name} BOOLEAN NOT NULL DEFAULT false"),
            Kind::Flag => format!(
                "{name} INTEGER NOT NULL DEFAULT 0 CONSTRAINT {constraint} CHECK ({name} IN (0, 1))"
            ),
            Kind::Json if postgres => format!("{name} JSONB NOT NULL DEFAULT '{{}}'"),
            Kind::Json => format!("{name} TEXT NOT NULL DEFAULT '{{}}'"),
            Kind::Status => format!(
                "{name} TEXT NOT NULL DEFAULT 'ACTIVE' CONSTRAINT {constraint} CHECK ({name} IN ('ACTIVE', 'ARCHIVED'))"
            ),
            Kind::Reference { parent, required } => {
                let parent = &model.tables[parent].name;
                let (null, action) = if required {
                    (" NOT NULL", "CASCADE")
                } else {
                    ("", "SET NULL")
                };
                let named = if postgres {
                    format!(" CONSTRAINT {constraint}")
                } else {
                    String::new()
                };
                format!("{name} INTEGER{null}{named} REFERENCES {parent} (id) ON DELETE {action}")
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(super) enum Predicate {
    /// `WHERE status = 'ACTIVE'`.
    Active,
    /// `WHERE <flag> = true` (`= 1` in SQLite).
    Set(String),
}

#[derive(Clone, Debug)]
pub(super) struct Index {
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    pub(super) unique: bool,
    pub(super) predicate: Option<Predicate>,
}

impl Index {
    pub(super) fn sql(&self, table: &str, dialect: Dialect) -> String {
        let unique = if self.unique { "UNIQUE " } else { "" };
        let mut sql = format!(
            "CREATE {unique}INDEX {} ON {table} ({})",
            self.name,
            self.columns.join(", ")
        );
        match (&self.predicate, dialect) {
            (None, _) => {}
            (Some(Predicate::Active), _) => sql.push_str(" WHERE status = 'ACTIVE'"),
            (Some(Predicate::Set(flag)), Dialect::Postgres) => {
                let _ = write!(sql, " WHERE {flag} = true");
            }
            (Some(Predicate::Set(flag)), Dialect::Sqlite) => {
                let _ = write!(sql, " WHERE {flag} = 1");
            }
        }
        sql
    }
}

#[derive(Clone, Debug)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<Column>,
    pub(super) indexes: Vec<Index>,
    pub(super) renamed: bool,
}

impl Table {
    pub(super) fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.name == column)
    }

    pub(super) fn has_index(&self, name: &str) -> bool {
        self.indexes.iter().any(|i| i.name == name)
    }

    pub(super) fn mark_indexed(&mut self, names: &[String]) {
        for column in self.columns.iter_mut().filter(|c| names.contains(&c.name)) {
            column.indexed = true;
        }
    }

    /// The first pair of a reference and a text column that no index has as its key yet.
    pub(super) fn unindexed_pair(&self) -> Option<(String, String)> {
        let of = |wanted: fn(Kind) -> bool| {
            self.columns
                .iter()
                .filter(move |c| wanted(c.kind))
                .map(|c| c.name.clone())
        };
        of(|k| matches!(k, Kind::Reference { .. }))
            .flat_map(|reference| {
                of(|k| k == Kind::Text).map(move |text| (reference.clone(), text))
            })
            .find(|(reference, text)| {
                !self.indexes.iter().any(|i| {
                    i.columns.len() == 2 && i.columns[0] == *reference && i.columns[1] == *text
                })
            })
    }

    /// A column name from `bases` (starting at `turn`) that the table does not have yet.
    pub(super) fn new_column_name(&self, bases: &[&str], turn: usize) -> String {
        let rotated = (0..bases.len()).map(|i| bases[(turn + i) % bases.len()].to_string());
        let numbered = (2..).flat_map(|n| bases.iter().map(move |b| format!("{b}_{n}")));
        rotated
            .chain(numbered)
            .find(|name| !self.has(name))
            .unwrap_or_default()
    }

    pub(super) fn create_sql(&self, model: &Model, dialect: Dialect) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("  {}", c.sql(model, dialect)))
            .collect();
        format!("CREATE TABLE {} (\n{}\n)", self.name, columns.join(",\n"))
    }
}

/// The schema as the migrations so far have built it, in creation order: a table refers only
/// to tables before it, so the order is also a valid order for `LATEST.sql`.
#[derive(Default)]
pub(super) struct Model {
    pub(super) tables: Vec<Table>,
}

impl Model {
    pub(super) fn table_name(&self, number: usize) -> String {
        let base = TABLE_BASES[number % TABLE_BASES.len()];
        let suffix = TABLE_SUFFIXES[(number / TABLE_BASES.len()) % TABLE_SUFFIXES.len()];
        let round = number / (TABLE_BASES.len() * TABLE_SUFFIXES.len());
        if round == 0 {
            format!("{base}{suffix}")
        } else {
            format!("{base}{suffix}_{round}")
        }
    }

    fn index_exists(&self, name: &str) -> bool {
        self.tables.iter().any(|t| t.has_index(name))
    }

    /// `idx_<table>_<parts>`, or a numbered name where that would be too long or is taken.
    /// An index without a predicate on `columns` of `table`, named after them.
    pub(super) fn column_index(&self, table: &str, columns: Vec<String>, unique: bool) -> Index {
        let parts: Vec<&str> = columns.iter().map(String::as_str).collect();
        Index {
            name: self.index_name(table, &parts),
            columns,
            unique,
            predicate: None,
        }
    }

    pub(super) fn index_name(&self, table: &str, parts: &[&str]) -> String {
        let name = format!("idx_{table}_{}", parts.join("_"));
        if name.len() <= MAX_IDENTIFIER && !self.index_exists(&name) {
            return name;
        }
        (1..)
            .map(|n| format!("idx_{table}_{n}"))
            .find(|name| !self.index_exists(name))
            .unwrap_or_default()
    }

    pub(super) fn is_referenced(&self, table: usize) -> bool {
        self.tables.iter().any(|t| {
            t.columns
                .iter()
                .any(|c| matches!(c.kind, Kind::Reference { parent, .. } if parent == table))
        })
    }

    pub(super) fn latest(&self, version: &semver::Version, dialect: Dialect) -> String {
        let mut text = format!(
            "-- The whole schema at version {version}, for a fresh install (run in one \
             transaction).\n\
             -- Generated by `cargo xtask bench`: it builds exactly what the migration chain \
             builds (added columns last, the same names).\n\n\
             {INSTANCE_SETTING};\n"
        );
        for table in &self.tables {
            let _ = write!(
                text,
                "\n-- {}\n{};\n",
                table.name,
                table.create_sql(self, dialect)
            );
            for index in &table.indexes {
                let _ = write!(text, "\n{};\n", index.sql(&table.name, dialect));
            }
        }
        let _ = write!(
            text,
            "\n-- The schema version, as the last statement.\n\
             INSERT INTO instance_setting (name, value, description) VALUES ('BASIC', \
             '{{\"schemaVersion\":\"{version}\"}}', 'Basic instance settings: the schema \
             version.');\n"
        );
        text
    }
}

/// `<table>_<column>_<kind>`, PostgreSQL's own pattern, shortened where it would be too long.
pub(super) fn constraint_name(table: &str, column: &str, kind: &str) -> String {
    let name = format!("{table}_{column}_{kind}");
    if name.len() <= MAX_IDENTIFIER {
        name
    } else {
        let keep = MAX_IDENTIFIER - kind.len() - 1;
        format!("{}_{kind}", &name[..keep])
    }
}
