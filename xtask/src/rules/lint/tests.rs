//! The whole lint on small files: what the rules do together (tables created in the same file,
//! silences), and the samples several rules' own tests share. Each test shows what fires (and
//! what does not) as one line per diagnostic: `code line:col-line:col message`; each rule's file
//! tests that rule alone on its samples.

use std::path::PathBuf;

use super::*;
use crate::source::SourceFile;

/// Statements that destroy data, with and without a condition.
pub(super) const DESTRUCTIVE: Sample = Sample {
    name: "destructive statements",
    dialect: Dialect::Postgres,
    files: &["DROP TABLE memo_organizer;\n\
     ALTER TABLE \"user\" DROP COLUMN open_id, DROP COLUMN IF EXISTS x;\n\
     TRUNCATE TABLE memo;\n\
     DELETE FROM webhook;\n\
     DELETE FROM webhook WHERE row_status = 'ARCHIVED';\n\
     UPDATE memo SET pinned = false;\n\
     UPDATE memo SET pinned = (SELECT true FROM x WHERE x.id = memo.id);\n\
     UPDATE memo SET pinned = true WHERE id = 1;"],
};

/// A SQLite table rebuild: only the drop of the old table is destructive.
pub(super) const TABLE_REBUILD: Sample = Sample {
    name: "a table rebuild",
    dialect: Dialect::Sqlite,
    files: &["CREATE TABLE reaction_new (id INTEGER PRIMARY KEY, content_id TEXT NOT NULL DEFAULT '');\n\
     INSERT INTO reaction_new (id) SELECT id FROM reaction;\n\
     UPDATE reaction_new SET content_id = 'x';\n\
     DROP TABLE reaction;\n\
     ALTER TABLE reaction_new RENAME TO reaction;\n\
     ALTER TABLE reaction ADD COLUMN extra TEXT NOT NULL;\n\
     CREATE UNIQUE INDEX idx_reaction_content_unique ON reaction (content_id);\n\
     CREATE UNIQUE INDEX idx_memo_uid ON memo (uid);"],
};

/// Renames of tables and columns, and PostgreSQL's type changes (one a parser gap).
pub(super) const RENAMES: Sample = Sample {
    name: "renames and type changes",
    dialect: Dialect::Postgres,
    files: &["ALTER TABLE resource RENAME TO attachment;\n\
     ALTER TABLE \"user\" RENAME COLUMN display_name TO nickname;\n\
     ALTER TABLE memo ALTER COLUMN created_ts TYPE BIGINT, ALTER COLUMN x SET DATA TYPE TEXT USING x::text;\n\
     ALTER TABLE memo ALTER COLUMN content TYPE TEXT COLLATE \"C\";\n\
     ALTER TABLE memo ALTER COLUMN content SET DEFAULT '';"],
};

/// PostgreSQL's drops, with and without `IF EXISTS`.
pub(super) const POSTGRES_DROPS: Sample = Sample {
    name: "drops",
    dialect: Dialect::Postgres,
    files: &["DROP INDEX idx_memo_tags;\n\
     DROP INDEX IF EXISTS idx_memo_tags;\n\
     DROP VIEW v;\n\
     DROP TRIGGER trg ON memo;\n\
     DROP TRIGGER IF EXISTS trg ON memo;\n\
     ALTER TABLE memo DROP CONSTRAINT memo_uid_unique, DROP CONSTRAINT IF EXISTS x;\n\
     ALTER TABLE memo DROP COLUMN IF EXISTS tags;"],
};

/// SQLite has no `DROP COLUMN IF EXISTS`: only the drop of the index is not idempotent.
pub(super) const SQLITE_DROPS: Sample = Sample {
    name: "drops",
    dialect: Dialect::Sqlite,
    files: &["DROP INDEX idx_memo_tags;\nALTER TABLE memo DROP COLUMN tags;"],
};

/// A SQLite chain whose indexes are dropped in time, carried along by renames, or dropped with
/// their columns.
pub(super) const SQLITE_INDEXED_CHAIN: Sample = Sample {
    name: "indexed columns along the chain",
    dialect: Dialect::Sqlite,
    files: &[
    "CREATE TABLE memo (id INTEGER PRIMARY KEY, tags TEXT, content TEXT, pinned INTEGER, x TEXT);\n\
     CREATE INDEX idx_memo_tags ON memo (tags);\n\
     CREATE INDEX idx_memo_pinned ON memo (id DESC) WHERE pinned = 1;\n\
     CREATE UNIQUE INDEX idx_memo_lower ON memo (lower(\"Content\") COLLATE NOCASE);\n\
     CREATE INDEX idx_memo_x ON memo (x);",
    // Dropped in time, or carried along by renames.
    "DROP INDEX idx_memo_x;\n\
     ALTER TABLE memo DROP COLUMN x;\n\
     ALTER TABLE memo RENAME TO note;\n\
     ALTER TABLE note RENAME COLUMN tags TO labels;",
    "ALTER TABLE note DROP COLUMN labels;\n\
     ALTER TABLE note DROP COLUMN pinned;\n\
     ALTER TABLE note DROP COLUMN content;\n\
     ALTER TABLE note DROP COLUMN content;",
],
};

/// PostgreSQL drops the index with the column. A dropped table takes its indexes.
pub(super) const POSTGRES_INDEXED_CHAIN: Sample = Sample {
    name: "indexed columns along the chain",
    dialect: Dialect::Postgres,
    files: &[
        "CREATE TABLE memo (id SERIAL PRIMARY KEY, tags TEXT);\n\
     CREATE INDEX idx_memo_tags ON memo USING btree (tags);\n\
     CREATE TABLE other (tags TEXT);\n\
     CREATE INDEX idx_other_tags ON other (tags);\n\
     ALTER INDEX idx_memo_tags RENAME TO idx_memo_labels;",
        "DROP TABLE other;\n\
     CREATE TABLE other (tags TEXT);\n\
     ALTER TABLE other DROP COLUMN tags;\n\
     ALTER TABLE memo DROP COLUMN tags;",
    ],
};

/// Constraints named explicitly, renamed, and dropped by generated and explicit names.
pub(super) const CONSTRAINT_CHAIN: Sample = Sample {
    name: "generated constraint names",
    dialect: Dialect::Postgres,
    files: &[
    "CREATE TABLE reaction (\n\
       id SERIAL PRIMARY KEY,\n\
       memo_id INTEGER CONSTRAINT reaction_memo_id_fkey REFERENCES memo (id),\n\
       creator_id INTEGER,\n\
       content_id TEXT,\n\
       reaction_type TEXT,\n\
       UNIQUE (creator_id, content_id, reaction_type)\n\
     );\n\
     ALTER TABLE reaction ADD CONSTRAINT reaction_type_check CHECK (reaction_type <> '');\n\
     ALTER TABLE reaction RENAME CONSTRAINT reaction_type_check TO reaction_kind_check;",
    "ALTER TABLE reaction DROP CONSTRAINT reaction_memo_id_fkey;\n\
     ALTER TABLE reaction DROP CONSTRAINT reaction_kind_check;\n\
     ALTER TABLE reaction DROP CONSTRAINT IF EXISTS reaction_creator_id_content_id_reaction_type_key;\n\
     ALTER TABLE reaction DROP CONSTRAINT reaction_pkey;\n\
     ALTER TABLE reaction DROP CONSTRAINT reaction_creator_id_key1;\n\
     ALTER TABLE reaction DROP CONSTRAINT reaction_unique;\n\
     ALTER TABLE reaction DROP CONSTRAINT memo_id_fkey;",
],
};

/// Migrations several rules' tests share, applied as one chain: what fires and what does not.
pub(super) struct Sample {
    name: &'static str,
    dialect: Dialect,
    files: &'static [&'static str],
}

/// What one rule alone finds in each sample, under the sample's name and dialect.
pub(super) fn lint_samples(rule: &Rule, samples: &[Sample]) -> String {
    samples
        .iter()
        .map(|sample| {
            let found = lint_rule(rule, sample.dialect, sample.files);
            format!("-- {} ({})\n{found}", sample.name, sample.dialect)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The per-file and chain lint of one file.
fn lint(dialect: Dialect, text: &str) -> String {
    lint_chain(dialect, &[text])
}

/// The lint of several files, as one chain.
fn lint_chain(dialect: Dialect, texts: &[&str]) -> String {
    let files: Vec<SqlFile> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| migration(dialect, &format!("{index}.sql"), text))
        .collect();
    let mut out = Vec::new();
    for file in &files {
        check(file, &mut out);
    }
    check_chain(&files.iter().collect::<Vec<_>>(), &mut out);
    render(&out)
}

#[test]
fn only_migrations_are_linted() {
    let text = "DROP TABLE memo;";
    for role in [Role::Latest, Role::Seed] {
        let source = SourceFile::new(PathBuf::from("x.sql"), "x.sql".into(), text.into());
        let file = SqlFile::load(source, Dialect::Sqlite, role);
        let mut out = Vec::new();
        check(&file, &mut out);
        check_chain(&[&file], &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}

#[test]
fn tables_created_in_the_same_file_hold_nothing_old() {
    insta::assert_snapshot!(lint_chain(Dialect::Sqlite, TABLE_REBUILD.files));
}

#[test]
fn silences_above_and_at_the_end_of_a_line() {
    insta::assert_snapshot!(lint(
        Dialect::Sqlite,
        "-- validate-migrations: allow(drop-table, non-idempotent-ddl) because the pins were copied\n\
         DROP TABLE memo_organizer;\n\
         -- A block of comments above the statement counts as a whole:\n\
         -- validate-migrations: allow(update-without-where) because a backfill of every row\n\
         -- (the column is new).\n\
         UPDATE memo SET pinned = 0;\n\
         UPDATE memo\n\
         SET pinned = 1; -- validate-migrations: allow(update-without-where) because a backfill\n\
         UPDATE memo SET pinned = 2; -- validate-migrations: allow(update-without-where) because ok\n\
         UPDATE memo -- validate-migrations: allow(update-without-where) because inside\n\
         SET pinned = 3;\n\
         PRAGMA foreign_keys = off; -- validate-migrations: allow(pragma-in-transaction) because it documents the rebuild\n"
    ), @"");
}

#[test]
fn silences_that_are_wrong_or_unused() {
    insta::assert_snapshot!(lint(
        Dialect::Sqlite,
        "-- validate-migrations: allow(drop-table)\n\
         DROP TABLE IF EXISTS memo_organizer;\n\
         -- validate-migrations: allow(drop-table) because the blank line below separates it\n\
         \n\
         DELETE FROM memo;\n\
         UPDATE memo SET pinned = 0; -- validate-migrations: allow(update-without-where, delete-without-where) because half of it is used\n\
         UPDATE memo SET pinned = 0; -- validate-migrations: allow(update-withuot-where) because of a typo\n\
         UPDATE memo SET pinned = 0 WHERE id = 1; -- validate-migrations: allow(parse-error, silence-without-reason) because not lint codes\n\
         -- validate-migrations: ignore(drop-table) because the wrong word\n\
         SELECT 1;\n\
         -- validate-migrations: allow(drop-table) because nothing follows\n"
    ));
}

/// A silence of a chain rule is judged by the chain check alone, and one of a per-file rule by
/// the per-file check alone, even when one comment names both.
#[test]
fn silences_of_chain_rules() {
    insta::assert_snapshot!(lint_chain(
        Dialect::Sqlite,
        &[
            "CREATE TABLE memo (id INTEGER PRIMARY KEY, tags TEXT, x TEXT);\n\
             CREATE INDEX idx_memo_tags ON memo (tags);\n\
             CREATE INDEX idx_memo_x ON memo (x);",
            "-- validate-migrations: allow(drop-column, drop-indexed-column) because the test needs it\n\
             ALTER TABLE memo DROP COLUMN tags;\n\
             -- validate-migrations: allow(drop-column, drop-indexed-column) because only half is used\n\
             DROP INDEX IF EXISTS idx_memo_x;",
        ]
    ));
}
