//! Layout: every entry has its place, and nothing the service needs is missing.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::store::{Store, StrayKind, VersionFile};

pub fn check(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) {
    for stray in &store.strays {
        let name = stray
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let what = if stray.is_dir { "folder" } else { "file" };
        let (message, help) = describe_stray(&name, stray.is_dir, stray.kind);
        out.push(
            Diagnostic::new(Code::UnexpectedEntry, format!("{what} `{name}` {message}"))
                .file(store.display(&stray.path))
                .help(help),
        );
    }

    let migration_dir = store.root.join("migration");
    match &store.version_file {
        VersionFile::Missing { path } => out.push(
            Diagnostic::new(Code::MissingVersionFile, "there is no VERSION file")
                .file(store.display(path))
                .help("create it with the schema version as one line, e.g. `0.10.3`: the highest migration version"),
        ),
        VersionFile::Invalid { path, reason } => out.push(
            Diagnostic::new(Code::InvalidVersionFile, format!("VERSION is not a schema version: {reason}"))
                .file(store.display(path))
                .help("write the schema version as one line `X.Y.Z` (no `v`): the highest migration version"),
        ),
        VersionFile::Valid { .. } => {}
    }

    if store.drivers.is_empty() {
        out.push(
            Diagnostic::new(
                Code::MissingDialect,
                "migration/ holds no dialect folder: there is nothing to check",
            )
            .file(store.display(&migration_dir))
            .help("add `postgres/` or `sqlite/` folders, each with LATEST.sql and version folders"),
        );
        return;
    }
    for &dialect in dialects {
        let Some(driver) = store.driver(dialect) else {
            out.push(
                Diagnostic::new(
                    Code::MissingDialect,
                    format!(
                        "there is no `{}/` folder for {}",
                        dialect.folder(),
                        dialect.engine()
                    ),
                )
                .file(store.display(&migration_dir))
                .help(format!(
                    "create migration/{}/ or leave `--dialect {}` out",
                    dialect.folder(),
                    dialect.folder()
                )),
            );
            continue;
        };
        if driver.latest.is_none() {
            out.push(
                Diagnostic::new(
                    Code::MissingLatest,
                    format!("{} has no LATEST.sql: fresh installs have nothing to run", dialect.engine()),
                )
                .file(store.display(&driver.dir))
                .help(format!(
                    "add {}/LATEST.sql with the whole schema at VERSION, ending with the BASIC.schemaVersion stamp",
                    dialect.folder()
                )),
            );
        }
        for folder in &driver.folders {
            if folder.files.is_empty() {
                out.push(
                    Diagnostic::new(
                        Code::EmptyVersionFolder,
                        format!("version folder `{}` holds no migration", folder.name),
                    )
                    .file(store.display(&folder.path))
                    .help("add its migrations (00__description.sql, ...) or remove the folder"),
                );
            }
        }
    }
}

/// The message and help for an entry that has no place, with a special word for the forms
/// that have bitten real trees.
fn describe_stray(name: &str, is_dir: bool, kind: StrayKind) -> (String, String) {
    let lower = name.to_ascii_lowercase();
    if !is_dir && lower.ends_with(".sql") && lower.starts_with('v') && name.contains("__") {
        return (
            "is a flat, Flyway-style migration: the service only loads files inside version folders, so it never runs".into(),
            "move it into its version folder as `MAJOR.MINOR/NN__description.sql`".into(),
        );
    }
    if is_dir && matches!(lower.as_str(), "down" | "undo" | "rollback" | "revert") {
        return (
            "holds down migrations: the service only migrates forward and never runs them".into(),
            "remove it; undo a change with a new forward migration".into(),
        );
    }
    if !is_dir && lower == "latest.sql" {
        return (
            "is not spelled `LATEST.sql`: the service looks for that exact name".into(),
            "rename it to `LATEST.sql`".into(),
        );
    }
    match kind {
        StrayKind::InMigrationRoot => (
            "has no place in migration/, which holds VERSION and one folder per dialect (postgres, sqlite)".into(),
            "move it out of migration/, or name a dialect folder `postgres` or `sqlite`".into(),
        ),
        StrayKind::InDriver => (
            "has no place in a dialect folder, which holds LATEST.sql and MAJOR.MINOR version folders only".into(),
            "move it out of migration/ (documentation belongs next to the code, not among migrations)".into(),
        ),
        StrayKind::InVersionFolder => (
            "has no place in a version folder, which holds NN__description.sql files only".into(),
            "move it out of migration/; a nested folder is never read by the service".into(),
        ),
        StrayKind::InSeed => (
            "has no place in seed/, which holds one folder per dialect with .sql files".into(),
            "move it into seed/<dialect>/ as NN__description.sql, or out of seed/".into(),
        ),
    }
}
