//! Layout: every entry has its place, and nothing the service needs is missing.

use std::path::Path;

use crate::codes::Code;
use crate::config::{FullChain, StampWriter};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::store::{Driver, Store, StrayKind, VersionFile};

/// What the layout check finds, as data: the check collects it, `From<LayoutFinding> for
/// Diagnostic` words it. Every `file` is the path as diagnostics show it.
pub enum LayoutFinding {
    /// No dialect folder at all: `parent` (relative to the store) holds none of `folders`.
    NoDialectFolder {
        file: String,
        parent: String,
        folders: Vec<String>,
    },
    /// A selected dialect whose folder is missing (`dir`), or that has no folder in the
    /// configured layout (`None`).
    MissingDialect {
        file: String,
        dialect: Dialect,
        dir: Option<String>,
    },
    /// An entry that has no place in the layout.
    Stray {
        file: String,
        name: String,
        is_dir: bool,
        form: StrayForm,
    },
    /// The version file is configured but absent; `name` is what the messages call it.
    MissingVersionFile { file: String, name: String },
    /// The version file holds no version.
    InvalidVersionFile {
        file: String,
        name: String,
        reason: String,
    },
    /// A dialect folder without its fresh-install script (`expected`, relative to the store);
    /// `stamp` names the stamp the script must end with, where the script writes it.
    MissingLatest {
        file: String,
        dialect: Dialect,
        expected: String,
        stamp: Option<String>,
    },
    /// A dialect folder without the baseline script the full chain starts from.
    MissingBaseline {
        file: String,
        dialect: Dialect,
        path: String,
    },
    /// A version folder that holds no migration.
    EmptyVersionFolder { file: String, name: String },
}

/// Why a stray has no place, with a special word for the forms that have bitten real trees.
#[derive(Clone, Copy)]
pub enum StrayForm {
    /// `V1__x.sql` in a layout of version folders.
    Flyway,
    /// A `down/` (`undo/`, `rollback/`, `revert/`) folder.
    DownMigrations,
    /// `latest.sql` in another case.
    MisspelledLatest,
    /// Where the store convention has no place for it.
    Conventional(StrayKind),
    /// Where a configured layout has no place for it; `folders` tells whether that layout has
    /// version folders.
    Configured { kind: StrayKind, folders: bool },
}

impl From<LayoutFinding> for Diagnostic {
    fn from(finding: LayoutFinding) -> Diagnostic {
        let (code, file, (message, help)) = match finding {
            LayoutFinding::NoDialectFolder {
                file,
                parent,
                folders,
            } => (Code::MissingDialect, file, no_dialect_words(&parent, &folders)),
            LayoutFinding::MissingDialect { file, dialect, dir } => (
                Code::MissingDialect,
                file,
                missing_dialect_words(dialect, dir.as_deref()),
            ),
            LayoutFinding::Stray {
                file,
                name,
                is_dir,
                form,
            } => (Code::UnexpectedEntry, file, stray_words(&name, is_dir, form)),
            LayoutFinding::MissingVersionFile { file, name } => (
                Code::MissingVersionFile,
                file,
                (format!("there is no {name} file"), "create it with the schema version as one line, e.g. `0.10.3`: the highest migration version".into()),
            ),
            LayoutFinding::InvalidVersionFile { file, name, reason } => (
                Code::InvalidVersionFile,
                file,
                (format!("{name} is not a schema version: {reason}"), "write the schema version as one line `X.Y.Z` (no `v`): the highest migration version".into()),
            ),
            LayoutFinding::MissingLatest {
                file,
                dialect,
                expected,
                stamp,
            } => (
                Code::MissingLatest,
                file,
                missing_latest_words(dialect, &expected, stamp),
            ),
            LayoutFinding::MissingBaseline {
                file,
                dialect,
                path,
            } => (Code::MissingBaseline, file, missing_baseline_words(dialect, &path)),
            LayoutFinding::EmptyVersionFolder { file, name } => (
                Code::EmptyVersionFolder,
                file,
                (format!("version folder `{name}` holds no migration"), "add its migrations (00__description.sql, ...) or remove the folder".into()),
            ),
        };
        Diagnostic::new(code, message).file(file).help(help)
    }
}

fn no_dialect_words(parent: &str, folders: &[String]) -> (String, String) {
    (
        format!("{parent}/ holds no dialect folder: there is nothing to check"),
        format!(
            "add {}, each with its fresh-install script and migrations",
            folders.join(" or ")
        ),
    )
}

fn stray_words(name: &str, is_dir: bool, form: StrayForm) -> (String, String) {
    let what = if is_dir { "folder" } else { "file" };
    let (message, help) = describe_stray(form);
    (format!("{what} `{name}` {message}"), help)
}

fn missing_baseline_words(dialect: Dialect, path: &str) -> (String, String) {
    (
        format!(
            "{} has no baseline script {path}: the full chain starts from it",
            dialect.engine()
        ),
        format!(
            "add it, or set replay.full-chain in {} to \"empty\" or \"none\"",
            crate::config::FILE_NAME
        ),
    )
}

fn missing_dialect_words(dialect: Dialect, dir: Option<&str>) -> (String, String) {
    match dir {
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
    }
}

fn missing_latest_words(
    dialect: Dialect,
    expected: &str,
    stamp: Option<String>,
) -> (String, String) {
    let ending = stamp.map_or_else(String::new, |stamp| {
        format!(", ending with the {stamp} stamp")
    });
    (
        format!(
            "{} has no {}: fresh installs have nothing to run",
            dialect.engine(),
            expected.rsplit('/').next().unwrap_or(expected)
        ),
        format!("add {expected} with the whole schema at the target version{ending}"),
    )
}

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
        out.push(
            LayoutFinding::NoDialectFolder {
                file: store.display(&dialects_parent),
                parent: store.relative(&dialects_parent),
                folders: layout
                    .dialects
                    .iter()
                    .map(|(_, dir)| format!("`{dir}/`"))
                    .collect(),
            }
            .into(),
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
        let form = stray_form(store, &name, stray.is_dir, stray.kind);
        out.push(
            LayoutFinding::Stray {
                file: store.display(&stray.path),
                name,
                is_dir: stray.is_dir,
                form,
            }
            .into(),
        );
    }
}

/// A version file that is missing or not a version.
fn version_file(store: &Store, out: &mut Vec<Diagnostic>) {
    let name = store.target_source();
    match &store.version_file {
        Some(VersionFile::Missing { path }) => out.push(
            LayoutFinding::MissingVersionFile {
                file: store.display(path),
                name,
            }
            .into(),
        ),
        Some(VersionFile::Invalid { path, reason }) => out.push(
            LayoutFinding::InvalidVersionFile {
                file: store.display(path),
                name,
                reason: reason.clone(),
            }
            .into(),
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
    let dir = store.config.layout.dialect_dir(dialect);
    if dir.is_some_and(|dir| store.is_refused(&store.root.join(dir))) {
        return;
    }
    out.push(
        LayoutFinding::MissingDialect {
            file: store.display(dialects_parent),
            dialect,
            dir: dir.map(str::to_string),
        }
        .into(),
    );
}

/// What a dialect folder lacks: its fresh-install script, its baseline script, the migrations
/// of a version folder.
fn driver_files(store: &Store, driver: &Driver, out: &mut Vec<Diagnostic>) {
    let layout = &store.config.layout;
    let dialect = driver.dialect;
    if driver.latest.is_none() && !store.is_refused(&driver.latest_expected) {
        let stamp = match store.config.stamp.written_by {
            StampWriter::Latest => Some(store.config.stamp.name()),
            StampWriter::Service => None,
        };
        out.push(
            LayoutFinding::MissingLatest {
                file: store.display(&driver.dir),
                dialect,
                expected: store.relative(&driver.latest_expected),
                stamp,
            }
            .into(),
        );
    }
    // A baseline that is there but not read is reported by `rules::input`, not as missing.
    if let (FullChain::Baseline { path, .. }, None) = (&store.config.full_chain, &driver.baseline) {
        let path = layout.expand(path, dialect);
        if !store.is_refused(&store.root.join(&path)) {
            out.push(
                LayoutFinding::MissingBaseline {
                    file: store.display(&driver.dir),
                    dialect,
                    path,
                }
                .into(),
            );
        }
    }
    for folder in &driver.folders {
        if folder.files.is_empty() {
            out.push(
                LayoutFinding::EmptyVersionFolder {
                    file: store.display(&folder.path),
                    name: folder.name.clone(),
                }
                .into(),
            );
        }
    }
}

/// Why an entry has no place: the forms that have bitten real trees first, then where it lies.
fn stray_form(store: &Store, name: &str, is_dir: bool, kind: StrayKind) -> StrayForm {
    let lower = name.to_ascii_lowercase();
    let layout = &store.config.layout;
    if layout.versions.has_folders()
        && !is_dir
        && lower.ends_with(".sql")
        && lower.starts_with('v')
        && name.contains("__")
    {
        StrayForm::Flyway
    } else if is_dir && matches!(lower.as_str(), "down" | "undo" | "rollback" | "revert") {
        StrayForm::DownMigrations
    } else if !is_dir && lower == "latest.sql" && layout.latest.ends_with("/LATEST.sql") {
        StrayForm::MisspelledLatest
    } else if layout.conventional {
        StrayForm::Conventional(kind)
    } else {
        StrayForm::Configured {
            kind,
            folders: layout.versions.has_folders(),
        }
    }
}

/// The message and help for an entry that has no place.
fn describe_stray(form: StrayForm) -> (String, String) {
    let kind = match form {
        StrayForm::Flyway => return (
            "is a flat, Flyway-style migration: the service only loads files inside version folders, so it never runs".into(),
            "move it into its version folder as `MAJOR.MINOR/NN__description.sql`".into(),
        ),
        StrayForm::DownMigrations => return (
            "holds down migrations: the service only migrates forward and never runs them".into(),
            "remove it; undo a change with a new forward migration".into(),
        ),
        StrayForm::MisspelledLatest => return (
            "is not spelled `LATEST.sql`: the service looks for that exact name".into(),
            "rename it to `LATEST.sql`".into(),
        ),
        StrayForm::Configured { kind, folders } => return configured_stray(kind, folders),
        StrayForm::Conventional(kind) => kind,
    };
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

/// The message and help for a stray in a layout that a configuration file describes; `folders`
/// tells whether the layout has version folders.
fn configured_stray(kind: StrayKind, folders: bool) -> (String, String) {
    let ignore = format!(
        "or list it under [layout] ignore in {}",
        crate::config::FILE_NAME
    );
    let (place, holds) = match kind {
        StrayKind::InMigrationRoot => (
            "beside the dialect folders",
            "the dialect folders and the version file",
        ),
        StrayKind::InDriver if folders => (
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
