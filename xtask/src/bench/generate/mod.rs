//! A generator of large, valid migration trees in the store convention, for the benchmark.
//!
//! The tree is built from a model of the schema: every migration changes the model and writes
//! the SQL of that change for both dialects, and `LATEST.sql` is written from the final model,
//! so it builds exactly what the chain builds (added columns last, every name the same). The
//! generator is deterministic: the same shape always gives the same files.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context as _};

use crate::dialect::Dialect;
use generator::Generator;

mod generator;
mod model;

/// How big a generated tree is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Tables of the final schema, `instance_setting` not counted.
    pub tables: usize,
    /// Migration files per dialect, `0.1/00__init.sql` included.
    pub migrations: usize,
}

impl Shape {
    /// The tree the benchmark times: at least 100 tables and 300 migrations per dialect, as the
    /// issue asks.
    pub const LARGE: Shape = Shape {
        tables: 120,
        migrations: 320,
    };
}

/// What a generated tree holds, per dialect (both dialects hold the same versions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub version: semver::Version,
    pub migrations: usize,
    pub folders: usize,
    /// Tables of the final schema, `instance_setting` included.
    pub tables: usize,
    pub indexes: usize,
    pub table_renames: usize,
    pub column_renames: usize,
    pub dropped_columns: usize,
    pub backfills: usize,
}

/// Tables that `0.1/00__init.sql` creates; the others get a migration each.
const INITIAL_TABLES: usize = 3;

/// How many migration files the version folders `0.1`, `0.2`, ... hold, in turn. Uneven, as
/// real releases are; with 320 migrations the folders run past `0.100`, so semver order
/// (`0.9` < `0.10` < `0.100`) matters.
const FOLDER_SIZES: [usize; 10] = [3, 4, 2, 3, 1, 4, 3, 2, 5, 3];

/// Writes a tree of `shape` into `root` (which must be empty or not exist yet): `migration/`
/// with `VERSION` and a driver folder per dialect.
pub fn write(root: &Path, shape: Shape) -> anyhow::Result<Generated> {
    if shape.tables < INITIAL_TABLES {
        bail!("a generated tree has at least {INITIAL_TABLES} tables");
    }
    if shape.migrations <= shape.tables - INITIAL_TABLES {
        bail!(
            "{} tables need more than {} migrations: every table after the first \
             {INITIAL_TABLES} is created by a migration of its own",
            shape.tables,
            shape.tables - INITIAL_TABLES
        );
    }
    if root.exists()
        && fs::read_dir(root)
            .with_context(|| format!("cannot read {}", root.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty; the tree is written into a new folder",
            root.display()
        );
    }

    let mut generator = Generator::default();
    let mut migrations = vec![generator.init()];
    let later_tables = shape.tables - INITIAL_TABLES;
    let later_files = shape.migrations - 1;
    for file in 1..=later_files {
        // Table creations are spread evenly over the chain, alterations fill the files between.
        let created_before = (file - 1) * later_tables / later_files;
        let created_after = file * later_tables / later_files;
        migrations.push(if created_after > created_before {
            generator.create_table()
        } else {
            generator.alter()
        });
    }

    let migration_dir = root.join("migration");
    let mut version = semver::Version::new(0, 1, 1);
    let mut folders = 0;
    let mut pending = migrations.iter();
    'folders: for (minor, size) in (1u64..).zip(FOLDER_SIZES.iter().cycle()) {
        folders += 1;
        for sequence in 0..*size {
            let Some(migration) = pending.next() else {
                break 'folders;
            };
            version = semver::Version::new(0, minor, sequence as u64 + 1);
            for dialect in Dialect::ALL {
                let path = migration_dir
                    .join(dialect.folder())
                    .join(format!("0.{minor}"))
                    .join(format!("{sequence:02}__{}.sql", migration.name));
                write_file(&path, &migration.file(&version, dialect))?;
            }
        }
        if pending.len() == 0 {
            break;
        }
    }
    write_file(&migration_dir.join("VERSION"), &format!("{version}\n"))?;
    for dialect in Dialect::ALL {
        let latest = generator.model.latest(&version, dialect);
        write_file(
            &migration_dir.join(dialect.folder()).join("LATEST.sql"),
            &latest,
        )?;
    }
    let counts = generator.counts;
    Ok(Generated {
        version,
        migrations: migrations.len(),
        folders,
        tables: generator.model.tables.len() + 1,
        indexes: generator.model.tables.iter().map(|t| t.indexes.len()).sum(),
        table_renames: counts.table_renames,
        column_renames: counts.column_renames,
        dropped_columns: counts.dropped_columns,
        backfills: counts.backfills,
    })
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generating_twice_gives_the_same_files() -> anyhow::Result<()> {
        let shape = Shape {
            tables: 12,
            migrations: 30,
        };
        let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
        write(a.path(), shape)?;
        write(b.path(), shape)?;
        for entry in walkdir::WalkDir::new(a.path()).sort_by_file_name() {
            let entry = entry?;
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(a.path())?;
                assert_eq!(
                    fs::read(entry.path())?,
                    fs::read(b.path().join(relative))?,
                    "{}",
                    relative.display()
                );
            }
        }
        Ok(())
    }

    #[test]
    fn too_few_migrations_for_the_tables_is_refused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let shape = Shape {
            tables: 40,
            migrations: 30,
        };
        assert!(write(&dir.path().join("tree"), shape).is_err());
        Ok(())
    }
}
