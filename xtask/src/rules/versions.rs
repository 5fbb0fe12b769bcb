//! Versions: one file per version, sequences without gaps, the same versions in every dialect,
//! and `VERSION` equal to each dialect's highest migration.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Span};
use crate::dialect::Dialect;
use crate::store::{Driver, MigrationFile, Store};

/// What the version rules find, as data: the checks collect it, `From<VersionFinding> for
/// Diagnostic` words it. Every `file` is a path as diagnostics show it; `name` and `other` are
/// migrations relative to their dialect folder.
pub enum VersionFinding {
    /// Two migrations of one version (`version` as the version rule shows it).
    Duplicate {
        file: String,
        name: String,
        other_file: String,
        other: String,
        version: String,
        /// Whether the layout has version folders, which decides how to renumber.
        folders: bool,
    },
    /// A version folder whose sequence numbers skip `missing`.
    SequenceGap {
        file: String,
        folder: String,
        missing: Vec<String>,
    },
    /// The version file (`source`, as messages name it) disagrees with a dialect's highest
    /// migration, `name` of version `target`.
    VersionFile {
        file: String,
        source: String,
        expected: Version,
        target: Version,
        dialect: Dialect,
        name: String,
    },
    /// A version that one dialect has and another lacks.
    VersionSet {
        file: String,
        name: String,
        version: Version,
        present: Dialect,
        missing: Dialect,
        /// The lacking dialect's folder, relative to the store.
        missing_dir: String,
        /// Whether the version lies below the lacking dialect's oldest migration.
        below_oldest: bool,
    },
}

impl From<VersionFinding> for Diagnostic {
    fn from(finding: VersionFinding) -> Diagnostic {
        match finding {
            VersionFinding::Duplicate {
                file,
                name,
                other_file,
                other,
                version,
                folders,
            } => Diagnostic::new(
                Code::DuplicateVersion,
                format!(
                    "`{name}` has version {version}, as does `{other}`: the service applies only one of them"
                ),
            )
            .file(file)
            .label(Label::new(other_file, None, format!("version {version} also here")))
            .help(if folders {
                "give every migration its own sequence number; the next free one follows the folder's highest"
            } else {
                "give every migration its own version, above the highest"
            }),
            VersionFinding::SequenceGap {
                file,
                folder,
                missing,
            } => Diagnostic::new(
                Code::SequenceGap,
                format!(
                    "version folder `{folder}` has no migration numbered {}: sequence numbers run 00, 01, 02, ... without gaps",
                    missing.join(", ")
                ),
            )
            .file(file)
            .help("renumber the files that follow the gap (the version rule reads meaning into every number), unless they are released"),
            VersionFinding::VersionFile {
                file,
                source,
                expected,
                target,
                dialect,
                name,
            } => version_file_mismatch(file, &source, &expected, &target, dialect, &name),
            VersionFinding::VersionSet {
                file,
                name,
                version,
                present,
                missing,
                missing_dir,
                below_oldest,
            } => {
                let add = format!(
                    "add {missing_dir}/{name} with the same change in {}: every dialect must reach the same schema at every version",
                    missing.engine()
                );
                // Below the dialect's oldest migration, the dialect may have been added later.
                let help = if below_oldest {
                    format!(
                        "{add}; if {} was added at a later version, set version.first.{} to it",
                        missing.engine(),
                        missing.folder()
                    )
                } else {
                    add
                };
                Diagnostic::new(
                    Code::VersionSetMismatch,
                    format!(
                        "version {version} (`{name}`) exists in {} but not in {}",
                        present.engine(),
                        missing.engine()
                    ),
                )
                .file(file)
                .help(help)
            }
        }
    }
}

fn version_file_mismatch(
    file: String,
    source: &str,
    expected: &Version,
    target: &Version,
    dialect: Dialect,
    name: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::VersionFileMismatch,
        format!(
            "{source} says {expected}, but the highest {} migration, `{name}`, is version {target}",
            dialect.engine()
        ),
    )
    .file(file)
    .span(Span::on_line(1, 1, expected.to_string().len() as u32))
    .help(if expected < target {
        format!("set {source} to {target}, and the stamp in each LATEST.sql with it")
    } else {
        format!(
            "add the migration of {expected} to every dialect, or set {source} back to {target}"
        )
    })
}

pub fn check(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) {
    let drivers: Vec<&Driver> = store
        .drivers
        .iter()
        .filter(|d| dialects.contains(&d.dialect))
        .collect();
    for driver in &drivers {
        duplicates(store, driver, out);
        gaps(store, driver, out);
        version_file(store, driver, out);
    }
    version_sets(store, &drivers, out);
}

fn duplicates(store: &Store, driver: &Driver, out: &mut Vec<Diagnostic>) {
    let migrations = driver.migrations();
    for pair in migrations.windows(2) {
        let ((version, first), (next_version, second)) = (pair[0], pair[1]);
        if version == next_version {
            let version = store.config.layout.versions.show(version);
            out.push(
                VersionFinding::Duplicate {
                    file: store.display(&second.path),
                    name: driver.relative(&second.path),
                    other_file: store.display(&first.path),
                    other: driver.relative(&first.path),
                    version,
                    folders: store.config.layout.versions.has_folders(),
                }
                .into(),
            );
        }
    }
}

fn gaps(store: &Store, driver: &Driver, out: &mut Vec<Diagnostic>) {
    for folder in &driver.folders {
        let present: BTreeSet<u64> = folder.files.iter().filter_map(|f| f.sequence).collect();
        let Some(&highest) = present.last() else {
            continue;
        };
        let missing: Vec<String> = (0..highest)
            .filter(|n| !present.contains(n))
            .map(|n| format!("{n:02}"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(
            VersionFinding::SequenceGap {
                file: store.display(&folder.path),
                folder: folder.name.clone(),
                missing,
            }
            .into(),
        );
    }
}

fn version_file(store: &Store, driver: &Driver, out: &mut Vec<Diagnostic>) {
    let Some(version_file) = &store.version_file else {
        return;
    };
    let (Some(expected), Some((target, file))) =
        (version_file.version(), driver.migrations().last().copied())
    else {
        return;
    };
    if expected == target {
        return;
    }
    out.push(
        VersionFinding::VersionFile {
            file: store.display(version_file.path()),
            source: store.target_source(),
            expected: expected.clone(),
            target: target.clone(),
            dialect: driver.dialect,
            name: driver.relative(&file.path),
        }
        .into(),
    );
}

fn version_sets(store: &Store, drivers: &[&Driver], out: &mut Vec<Diagnostic>) {
    let mut by_version: BTreeMap<&semver::Version, Vec<(Dialect, &Driver, &MigrationFile)>> =
        BTreeMap::new();
    for driver in drivers {
        for (version, file) in driver.migrations() {
            by_version
                .entry(version)
                .or_default()
                .push((driver.dialect, driver, file));
        }
    }
    for (version, files) in by_version {
        let (_, driver, file) = files[0];
        // A dialect whose history starts later (it was added years after the first) is not
        // expected to have the versions below its start.
        for missing in drivers.iter().filter(|d| {
            files.iter().all(|f| f.0 != d.dialect)
                && store
                    .config
                    .first_version(d.dialect)
                    .is_none_or(|first| version >= first)
        }) {
            out.push(
                VersionFinding::VersionSet {
                    file: store.display(&file.path),
                    name: driver.relative(&file.path),
                    version: version.clone(),
                    present: driver.dialect,
                    missing: missing.dialect,
                    missing_dir: store.relative(&missing.dir),
                    below_oldest: missing
                        .migrations()
                        .first()
                        .is_some_and(|(oldest, _)| version < *oldest),
                }
                .into(),
            );
        }
    }
}
