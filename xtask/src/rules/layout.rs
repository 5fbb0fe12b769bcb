//! Layout: every entry has its place, and nothing the service needs is missing.

use std::path::Path;

use crate::codes::Code;
use crate::config::{FullChain, StampWriter};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::store::{Driver, Store, StrayKind, VersionFile};

pub fn check(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) {
    strays(store, out);
    version_file(store, out);
    let layout = &store.config.layout;
    // The folder that holds the dialect folders, for messages: `migration/` by convention.
    let dialects_parent = layout
        .dialects
        .first()
        .and_then(|(_, dir)| dir.rsplit_once('/'))
        .map_or_else(|| store.root.clone(), |(parent, _)| store.root.join(parent));
    if store.drivers.is_empty() {
        let folders: Vec<String> = layout
            .dialects
            .iter()
            .map(|(_, dir)| format!("`{dir}/`"))
            .collect();
        out.push(
            Diagnostic::new(
                Code::MissingDialect,
                format!(
                    "{} holds no dialect folder: there is nothing to check",
                    store.relative(&dialects_parent) + "/"
                ),
            )
            .file(store.display(&dialects_parent))
            .help(format!(
                "add {}, each with its fresh-install script and migrations",
                folders.join(" or ")
            )),
        );
        return;
    }
    for &dialect in dialects {
        match store.driver(dialect) {
            Some(driver) => driver_files(store, driver, out),
            None => missing_dialect(store, dialect, &dialects_parent, out),
        }
    }
}

/// Every entry that has no place in the layout.
fn strays(store: &Store, out: &mut Vec<Diagnostic>) {
    for stray in &store.strays {
        let name = stray
            .path
            .file_name()
            .map(|n| crate::input::escape_name(&n.to_string_lossy()))
            .unwrap_or_default();
        let what = if stray.is_dir { "folder" } else { "file" };
        let (message, help) = describe_stray(store, &name, stray.is_dir, stray.kind);
        out.push(
            Diagnostic::new(Code::UnexpectedEntry, format!("{what} `{name}` {message}"))
                .file(store.display(&stray.path))
                .help(help),
        );
    }
}

/// A version file that is missing or not a version.
fn version_file(store: &Store, out: &mut Vec<Diagnostic>) {
    let version_name = store.target_source();
    match &store.version_file {
        Some(VersionFile::Missing { path }) => out.push(
            Diagnostic::new(Code::MissingVersionFile, format!("there is no {version_name} file"))
                .file(store.display(path))
                .help("create it with the schema version as one line, e.g. `0.10.3`: the highest migration version"),
        ),
        Some(VersionFile::Invalid { path, reason }) => out.push(
            Diagnostic::new(Code::InvalidVersionFile, format!("{version_name} is not a schema version: {reason}"))
                .file(store.display(path))
                .help("write the schema version as one line `X.Y.Z` (no `v`): the highest migration version"),
        ),
        Some(VersionFile::Valid { .. }) | None => {}
    }
}

/// A selected dialect without its folder, unless the folder is there and refused (which
/// `rules::input` reports).
fn missing_dialect(
    store: &Store,
    dialect: Dialect,
    dialects_parent: &Path,
    out: &mut Vec<Diagnostic>,
) {
    let layout = &store.config.layout;
    if layout
        .dialect_dir(dialect)
        .is_some_and(|dir| store.is_refused(&store.root.join(dir)))
    {
        return;
    }
    let (message, help) = match layout.dialect_dir(dialect) {
        Some(dir) => (
            format!(
                "there is no `{}/` folder for {}",
                dir.rsplit('/').next().unwrap_or(dir),
                dialect.engine()
            ),
            format!("create {dir}/ or leave `--dialect {dialect}` out"),
        ),
        None => (
            format!(
                "{} has no folder in the configured layout",
                dialect.engine()
            ),
            format!(
                "add it to [layout] dialects in {} or leave `--dialect {dialect}` out",
                crate::config::FILE_NAME
            ),
        ),
    };
    out.push(
        Diagnostic::new(Code::MissingDialect, message)
            .file(store.display(dialects_parent))
            .help(help),
    );
}

/// What a dialect folder lacks: its fresh-install script, its baseline script, the migrations
/// of a version folder.
fn driver_files(store: &Store, driver: &Driver, out: &mut Vec<Diagnostic>) {
    let layout = &store.config.layout;
    let dialect = driver.dialect;
    if driver.latest.is_none() && !store.is_refused(&driver.latest_expected) {
        let expected = store.relative(&driver.latest_expected);
        let stamp = match store.config.stamp.written_by {
            StampWriter::Latest => {
                format!(", ending with the {} stamp", store.config.stamp.name())
            }
            StampWriter::Service => String::new(),
        };
        out.push(
            Diagnostic::new(
                Code::MissingLatest,
                format!(
                    "{} has no {}: fresh installs have nothing to run",
                    dialect.engine(),
                    expected.rsplit('/').next().unwrap_or(&expected)
                ),
            )
            .file(store.display(&driver.dir))
            .help(format!(
                "add {expected} with the whole schema at the target version{stamp}"
            )),
        );
    }
    // A baseline that is there but not read is reported by `rules::input`, not as missing.
    let baseline_refused = match &store.config.full_chain {
        FullChain::Baseline { path, .. } => {
            store.is_refused(&store.root.join(layout.expand(path, dialect)))
        }
        _ => false,
    };
    if let (FullChain::Baseline { path, .. }, None, false) =
        (&store.config.full_chain, &driver.baseline, baseline_refused)
    {
        out.push(
            Diagnostic::new(
                Code::MissingBaseline,
                format!(
                    "{} has no baseline script {}: the full chain starts from it",
                    dialect.engine(),
                    layout.expand(path, dialect)
                ),
            )
            .file(store.display(&driver.dir))
            .help(format!(
                "add it, or set replay.full-chain in {} to \"empty\" or \"none\"",
                crate::config::FILE_NAME
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

/// The message and help for an entry that has no place, with a special word for the forms
/// that have bitten real trees.
fn describe_stray(store: &Store, name: &str, is_dir: bool, kind: StrayKind) -> (String, String) {
    let lower = name.to_ascii_lowercase();
    let layout = &store.config.layout;
    if layout.versions.has_folders()
        && !is_dir
        && lower.ends_with(".sql")
        && lower.starts_with('v')
        && name.contains("__")
    {
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
    if !is_dir && lower == "latest.sql" && layout.latest.ends_with("/LATEST.sql") {
        return (
            "is not spelled `LATEST.sql`: the service looks for that exact name".into(),
            "rename it to `LATEST.sql`".into(),
        );
    }
    if !layout.conventional {
        return configured_stray(store, kind);
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

/// The message and help for a stray in a layout that a configuration file describes.
fn configured_stray(store: &Store, kind: StrayKind) -> (String, String) {
    let ignore = format!(
        "or list it under [layout] ignore in {}",
        crate::config::FILE_NAME
    );
    let (place, holds) = match kind {
        StrayKind::InMigrationRoot => (
            "beside the dialect folders",
            "the dialect folders and the version file",
        ),
        StrayKind::InDriver if store.config.layout.versions.has_folders() => (
            "in a dialect folder",
            "version folders and the fresh-install script",
        ),
        StrayKind::InDriver => (
            "in a dialect folder",
            "migration files and the fresh-install script",
        ),
        StrayKind::InVersionFolder => ("in a version folder", "migration files"),
        StrayKind::InSeed => ("among the seeds", "one folder of .sql files per dialect"),
    };
    (
        format!("has no place {place}, which holds {holds} only"),
        format!("move it elsewhere, {ignore}"),
    )
}
