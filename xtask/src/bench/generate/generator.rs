//! The generator's model of the schema as it grows: each migration picks an operation and a
//! table, changes the model and writes the change's SQL for both dialects.

use std::fmt::Write as _;

use super::model::{
    constraint_name, Column, Index, Kind, Model, Predicate, Table, INSTANCE_SETTING,
};
use super::INITIAL_TABLES;
use crate::dialect::Dialect;

// Column names stay clear of SQL keywords (`position`, `public`, `timezone`), which the parser
// could read as something else in an index key or a predicate.
const TEXT_COLUMNS: [&str; 10] = [
    "note",
    "summary",
    "caption",
    "origin_url",
    "locale_code",
    "tz_name",
    "color_hex",
    "icon_url",
    "slug",
    "referrer",
];
const INT_COLUMNS: [&str; 6] = [
    "sort_order",
    "quantity",
    "priority_level",
    "score",
    "weight_grams",
    "retry_count",
];
const FLAG_COLUMNS: [&str; 5] = [
    "is_archived",
    "is_pinned",
    "is_public",
    "is_verified",
    "is_locked",
];
const JSON_COLUMNS: [&str; 4] = ["payload", "settings", "metadata", "extra"];
const CODE_COLUMNS: [&str; 3] = ["code", "uid", "handle"];

/// One migration file, in both dialects.
pub(super) struct Migration {
    /// The description part of the file name.
    pub(super) name: String,
    /// What it does, for its first comment line.
    comment: String,
    postgres: Vec<String>,
    sqlite: Vec<String>,
}

impl Migration {
    fn new(name: String, comment: String) -> Migration {
        Migration {
            name,
            comment,
            postgres: Vec::new(),
            sqlite: Vec::new(),
        }
    }

    /// Adds a statement that both dialects spell the same way.
    fn both(&mut self, sql: String) {
        self.postgres.push(sql.clone());
        self.sqlite.push(sql);
    }

    pub(super) fn file(&self, version: &semver::Version, dialect: Dialect) -> String {
        let statements = match dialect {
            Dialect::Postgres => &self.postgres,
            Dialect::Sqlite => &self.sqlite,
        };
        let mut text = format!("-- {version}: {}.\n", self.comment);
        for statement in statements {
            let _ = write!(text, "{statement};\n\n");
        }
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }
}

/// The alterations, taken in turn; one that does not apply to any table becomes `AddText`.
#[derive(Clone, Copy, Debug)]
enum Op {
    AddText,
    IndexColumn,
    AddFlag,
    AddReference,
    AddCode,
    AddInt,
    RenameColumn,
    AddJson,
    UniquePair,
    DropColumn,
    RenameTable,
}

const OPS: [Op; 12] = [
    Op::AddText,
    Op::IndexColumn,
    Op::AddFlag,
    Op::AddReference,
    Op::AddCode,
    Op::AddInt,
    Op::RenameColumn,
    Op::AddJson,
    Op::UniquePair,
    Op::DropColumn,
    Op::AddText,
    Op::RenameTable,
];

#[derive(Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) table_renames: usize,
    pub(super) column_renames: usize,
    pub(super) dropped_columns: usize,
    pub(super) backfills: usize,
}

#[derive(Default)]
pub(super) struct Generator {
    pub(super) model: Model,
    /// Alterations made so far: picks the next operation and its table.
    alterations: usize,
    pub(super) counts: Counts,
}

impl Generator {
    pub(super) fn init(&mut self) -> Migration {
        let mut migration = Migration::new(
            "init".into(),
            "the initial schema, created from an empty database".into(),
        );
        migration.both(INSTANCE_SETTING.into());
        for _ in 0..INITIAL_TABLES {
            self.add_table(&mut migration);
        }
        migration
    }

    pub(super) fn create_table(&mut self) -> Migration {
        let name = self.model.table_name(self.model.tables.len());
        let mut migration = Migration::new(format!("create_{name}"), format!("table {name}"));
        self.add_table(&mut migration);
        migration
    }

    /// Creates the next table: a key, references to earlier tables (two for every sixth, with
    /// a unique pair), a title, a status with a CHECK (except every fifth), timestamps, and
    /// indexes on the references (and a partial one on active rows for every fourth).
    fn add_table(&mut self, migration: &mut Migration) {
        let number = self.model.tables.len();
        let name = self.model.table_name(number);
        let mut table = Table {
            name: name.clone(),
            columns: vec![Column::new("id", Kind::Id)],
            indexes: Vec::new(),
            renamed: false,
        };
        let mut parents = Vec::new();
        if number > 0 {
            parents.push(pick(number, number));
        }
        if number >= 2 && number % 6 == 5 {
            let second = pick(number + 1000, number);
            if !parents.contains(&second) {
                parents.push(second);
            }
        }
        let mut references = Vec::new();
        for parent in parents {
            let column = format!("{}_id", self.model.tables[parent].name);
            let mut reference = Column::new(
                column.clone(),
                Kind::Reference {
                    parent,
                    required: true,
                },
            );
            reference.constraint = Some(constraint_name(&name, &column, "fkey"));
            table.columns.push(reference);
            references.push(column);
        }
        table.columns.push(Column::new("title", Kind::Title));
        if number % 5 != 4 {
            let mut status = Column::new("status", Kind::Status);
            status.constraint = Some(constraint_name(&name, "status", "check"));
            table.columns.push(status);
        }
        table
            .columns
            .push(Column::new("created_ts", Kind::Timestamp));
        table
            .columns
            .push(Column::new("updated_ts", Kind::Timestamp));

        let mut indexes = Vec::new();
        match references.as_slice() {
            [] => {}
            [one] => indexes.push(self.model.column_index(&name, vec![one.clone()], false)),
            [first, second, ..] => indexes.push(Index {
                name: self.model.index_name(&name, &["pair"]),
                columns: vec![first.clone(), second.clone()],
                unique: true,
                predicate: None,
            }),
        }
        if number % 4 == 1 && table.has("status") {
            indexes.push(Index {
                name: self.model.index_name(&name, &["active"]),
                columns: vec!["created_ts".into()],
                unique: false,
                predicate: Some(Predicate::Active),
            });
        }
        for index in &indexes {
            table.mark_indexed(&index.columns);
        }
        table.indexes = indexes;

        self.model.tables.push(table);
        let table = &self.model.tables[number];
        migration
            .postgres
            .push(table.create_sql(&self.model, Dialect::Postgres));
        migration
            .sqlite
            .push(table.create_sql(&self.model, Dialect::Sqlite));
        for index in &table.indexes {
            migration.postgres.push(index.sql(&name, Dialect::Postgres));
            migration.sqlite.push(index.sql(&name, Dialect::Sqlite));
        }
    }

    pub(super) fn alter(&mut self) -> Migration {
        let turn = self.alterations;
        self.alterations += 1;
        let op = OPS[turn % OPS.len()];
        let count = self.model.tables.len();
        let start = pick(turn, count);
        let target = (0..count)
            .map(|i| (start + i) % count)
            .find(|&t| self.applies(op, t));
        match target {
            Some(table) => self.apply(op, table, turn),
            None => self.apply(Op::AddText, start, turn),
        }
    }

    fn applies(&self, op: Op, index: usize) -> bool {
        let table = &self.model.tables[index];
        match op {
            Op::AddText | Op::AddFlag | Op::AddCode | Op::AddInt | Op::AddJson => true,
            Op::IndexColumn => table
                .columns
                .iter()
                .any(|c| c.is_plain() && matches!(c.kind, Kind::Text | Kind::Int)),
            Op::AddReference => index > 0,
            Op::RenameColumn => table.columns.iter().any(|c| c.is_plain() && !c.renamed),
            Op::DropColumn => table.columns.iter().any(Column::is_plain),
            Op::UniquePair => table.unindexed_pair().is_some(),
            // PostgreSQL renames what carries the table's name (key, sequence, constraints,
            // indexes); SQLite cannot rename a CHECK, so only tables without one are renamed,
            // and only leaves, so that no foreign key has to follow.
            Op::RenameTable => {
                !table.renamed
                    && !table
                        .columns
                        .iter()
                        .any(|c| matches!(c.kind, Kind::Status | Kind::Flag))
                    && !self.model.is_referenced(index)
                    && !self
                        .model
                        .tables
                        .iter()
                        .any(|t| t.name == format!("{}_entry", table.name))
            }
        }
    }

    fn apply(&mut self, op: Op, index: usize, turn: usize) -> Migration {
        match op {
            Op::AddText => self.add_column(index, Kind::Text, &TEXT_COLUMNS, turn),
            Op::AddInt => self.add_column(index, Kind::Int, &INT_COLUMNS, turn),
            Op::AddJson => self.add_column(index, Kind::Json, &JSON_COLUMNS, turn),
            Op::AddFlag => self.add_flag(index, turn),
            Op::AddCode => self.add_code(index, turn),
            Op::AddReference => self.add_reference(index, turn),
            Op::IndexColumn => self.index_column(index),
            Op::UniquePair => self.unique_pair(index),
            Op::RenameColumn => self.rename_column(index),
            Op::DropColumn => self.drop_column(index),
            Op::RenameTable => self.rename_table(index),
        }
    }

    /// `ALTER TABLE ... ADD COLUMN`, returning the column's name.
    fn push_column(&mut self, migration: &mut Migration, index: usize, column: Column) -> String {
        let name = column.name.clone();
        let table = &self.model.tables[index].name;
        for dialect in Dialect::ALL {
            let sql = format!(
                "ALTER TABLE {table} ADD COLUMN {}",
                column.sql(&self.model, dialect)
            );
            match dialect {
                Dialect::Postgres => migration.postgres.push(sql),
                Dialect::Sqlite => migration.sqlite.push(sql),
            }
        }
        self.model.tables[index].columns.push(column);
        name
    }

    fn push_index(&mut self, migration: &mut Migration, index: usize, new: Index) {
        let table = &mut self.model.tables[index];
        migration
            .postgres
            .push(new.sql(&table.name, Dialect::Postgres));
        migration.sqlite.push(new.sql(&table.name, Dialect::Sqlite));
        table.mark_indexed(&new.columns);
        if let Some(Predicate::Set(flag)) = &new.predicate {
            table.mark_indexed(std::slice::from_ref(flag));
        }
        table.indexes.push(new);
    }

    fn add_column(&mut self, index: usize, kind: Kind, bases: &[&str], turn: usize) -> Migration {
        let table = &self.model.tables[index];
        let column = table.new_column_name(bases, turn);
        let mut migration = Migration::new(
            format!("{}_add_{column}", table.name),
            format!(
                "added column {}.{column} (appended: LATEST.sql lists it last)",
                table.name
            ),
        );
        self.push_column(&mut migration, index, Column::new(column, kind));
        migration
    }

    /// A boolean column with a partial index on the rows where it is set.
    fn add_flag(&mut self, index: usize, turn: usize) -> Migration {
        let table = &self.model.tables[index];
        let name = table.name.clone();
        let flag = table.new_column_name(&FLAG_COLUMNS, turn);
        let mut migration = Migration::new(
            format!("{name}_add_{flag}"),
            format!("flag {name}.{flag}, with a partial index on the rows where it is set"),
        );
        let mut column = Column::new(flag.clone(), Kind::Flag);
        column.constraint = Some(constraint_name(&name, &flag, "check"));
        self.push_column(&mut migration, index, column);
        let new = Index {
            name: self.model.index_name(&name, &[&flag]),
            columns: vec!["created_ts".into()],
            unique: false,
            predicate: Some(Predicate::Set(flag)),
        };
        self.push_index(&mut migration, index, new);
        migration
    }

    /// A public identifier: added, backfilled from the id, then made unique.
    fn add_code(&mut self, index: usize, turn: usize) -> Migration {
        let table = &self.model.tables[index];
        let name = table.name.clone();
        let code = table.new_column_name(&CODE_COLUMNS, turn);
        let mut migration = Migration::new(
            format!("{name}_{code}_backfill"),
            format!("{name}.{code}: added, backfilled from id, then made unique"),
        );
        self.push_column(&mut migration, index, Column::new(code.clone(), Kind::Text));
        migration.both(format!(
            "UPDATE {name} SET {code} = '{name}-' || CAST(id AS TEXT) WHERE {code} = ''"
        ));
        let new = self.model.column_index(&name, vec![code], true);
        self.push_index(&mut migration, index, new);
        self.counts.backfills += 1;
        migration
    }

    /// An optional reference to an earlier table, with an index.
    fn add_reference(&mut self, index: usize, turn: usize) -> Migration {
        let parent = pick(turn + 2000, index);
        let parent_name = self.model.tables[parent].name.clone();
        let table = &self.model.tables[index];
        let name = table.name.clone();
        let base = format!("{parent_name}_id");
        let column = if table.has(&base) {
            table.new_column_name(&[&format!("{parent_name}_ref")], 0)
        } else {
            base
        };
        let mut migration = Migration::new(
            format!("{name}_add_{column}"),
            format!("optional reference {name}.{column} to {parent_name}, with an index"),
        );
        let mut reference = Column::new(
            column.clone(),
            Kind::Reference {
                parent,
                required: false,
            },
        );
        reference.constraint = Some(constraint_name(&name, &column, "fkey"));
        self.push_column(&mut migration, index, reference);
        let new = self.model.column_index(&name, vec![column], false);
        self.push_index(&mut migration, index, new);
        migration
    }

    fn index_column(&mut self, index: usize) -> Migration {
        let table = &self.model.tables[index];
        let name = table.name.clone();
        let column = table
            .columns
            .iter()
            .find(|c| c.is_plain() && matches!(c.kind, Kind::Text | Kind::Int))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let mut migration = Migration::new(
            format!("{name}_index_{column}"),
            format!("an index on {name}.{column}"),
        );
        let new = self.model.column_index(&name, vec![column], false);
        self.push_index(&mut migration, index, new);
        migration
    }

    /// A unique index on a reference and a text column: one value per parent.
    fn unique_pair(&mut self, index: usize) -> Migration {
        let table = &self.model.tables[index];
        let name = table.name.clone();
        let (reference, text) = table.unindexed_pair().unwrap_or_default();
        let mut migration = Migration::new(
            format!("{name}_unique_{text}"),
            format!("{name}.{text} is unique per {reference}"),
        );
        let new = self.model.column_index(&name, vec![reference, text], true);
        self.push_index(&mut migration, index, new);
        migration
    }

    fn rename_column(&mut self, index: usize) -> Migration {
        let table = &mut self.model.tables[index];
        let name = table.name.clone();
        let Some(position) = table
            .columns
            .iter()
            .position(|c| c.is_plain() && !c.renamed)
        else {
            unreachable!("rename_column is only chosen for a table with a plain column")
        };
        let old = table.columns[position].name.clone();
        let suffix = match table.columns[position].kind {
            Kind::Int => "value",
            Kind::Json => "doc",
            _ => "text",
        };
        let new = table.new_column_name(&[&format!("{old}_{suffix}")], 0);
        let column = &mut table.columns[position];
        column.name = new.clone();
        column.renamed = true;
        let mut migration = Migration::new(
            format!("{name}_rename_{old}"),
            format!("column rename {name}.{old} -> {new}"),
        );
        migration.both(format!("ALTER TABLE {name} RENAME COLUMN {old} TO {new}"));
        self.counts.column_renames += 1;
        migration
    }

    fn drop_column(&mut self, index: usize) -> Migration {
        let table = &mut self.model.tables[index];
        let name = table.name.clone();
        let Some(position) = table.columns.iter().position(Column::is_plain) else {
            unreachable!("drop_column is only chosen for a table with a plain column")
        };
        let column = table.columns.remove(position).name;
        let mut migration = Migration::new(
            format!("{name}_drop_{column}"),
            format!("dropped column {name}.{column}"),
        );
        migration.both(format!("ALTER TABLE {name} DROP COLUMN {column}"));
        self.counts.dropped_columns += 1;
        migration
    }

    /// A table rename. PostgreSQL keeps the names it derived from the old table name (primary
    /// key, SERIAL sequence) and the explicit constraint and index names keep theirs, so all
    /// are renamed, as LATEST.sql names them after the new table. SQLite has no
    /// `ALTER INDEX ... RENAME`: its indexes are dropped and created again.
    fn rename_table(&mut self, index: usize) -> Migration {
        let old = self.model.tables[index].name.clone();
        let new = format!("{old}_entry");
        let mut migration = Migration::new(
            format!("rename_{old}"),
            format!("table rename {old} -> {new}"),
        );
        migration.both(format!("ALTER TABLE {old} RENAME TO {new}"));
        migration
            .postgres
            .push(format!("ALTER INDEX {old}_pkey RENAME TO {new}_pkey"));
        // `ALTER TABLE` on a sequence is PostgreSQL's documented equivalent of
        // `ALTER SEQUENCE ... RENAME TO`, which the sqlparser crate cannot parse.
        migration
            .postgres
            .push(format!("ALTER TABLE {old}_id_seq RENAME TO {new}_id_seq"));

        let table = &mut self.model.tables[index];
        table.name = new.clone();
        table.renamed = true;
        for column in &mut table.columns {
            if let (Kind::Reference { .. }, Some(constraint)) = (column.kind, &column.constraint) {
                let renamed = constraint_name(&new, &column.name, "fkey");
                migration.postgres.push(format!(
                    "ALTER TABLE {new} RENAME CONSTRAINT {constraint} TO {renamed}"
                ));
                column.constraint = Some(renamed);
            }
        }
        // The indexes are taken out and put back one by one, so that the model answers which
        // of the new names are free.
        let indexes = std::mem::take(&mut table.indexes);
        for old_index in indexes {
            let rest = old_index
                .name
                .strip_prefix(&format!("idx_{old}_"))
                .unwrap_or(&old_index.name)
                .to_string();
            let mut renamed = old_index.clone();
            renamed.name = self.model.index_name(&new, &[&rest]);
            migration.postgres.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                old_index.name, renamed.name
            ));
            migration
                .sqlite
                .push(format!("DROP INDEX {}", old_index.name));
            migration.sqlite.push(renamed.sql(&new, Dialect::Sqlite));
            self.model.tables[index].indexes.push(renamed);
        }
        self.counts.table_renames += 1;
        migration
    }
}

/// A number below `bound` that looks random but depends only on `seed` (SplitMix64's mixing),
/// so that tables and references spread over the schema the same way on every run.
fn pick(seed: usize, bound: usize) -> usize {
    let mut z = (seed as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % bound.max(1) as u64) as usize
}
