//! Versions: one file per version, sequences without gaps, the same versions in every dialect,
//! and `VERSION` equal to each dialect's highest migration.

use std::collections::{BTreeMap, BTreeSet};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Span};
use crate::dialect::Dialect;
use crate::store::{Driver, MigrationFile, Store};

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
            out.push(
                Diagnostic::new(
                    Code::DuplicateVersion,
                    format!(
                        "`{}` has version {}, as does `{}`: the service applies only one of them",
                        driver.relative(&second.path),
                        store.config.layout.versions.show(version),
                        driver.relative(&first.path)
                    ),
                )
                .file(store.display(&second.path))
                .label(Label::new(
                    store.display(&first.path),
                    None,
                    format!(
                        "version {} also here",
                        store.config.layout.versions.show(version)
                    ),
                ))
                .help(if store.config.layout.versions.has_folders() {
                    "give every migration its own sequence number; the next free one follows the folder's highest"
                } else {
                    "give every migration its own version, above the highest"
                }),
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
            Diagnostic::new(
                Code::SequenceGap,
                format!(
                    "version folder `{}` has no migration numbered {}: sequence numbers run 00, 01, 02, ... without gaps",
                    folder.name,
                    missing.join(", ")
                ),
            )
            .file(store.display(&folder.path))
            .help("renumber the files that follow the gap (the version rule reads meaning into every number), unless they are released"),
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
    let path = version_file.path();
    let name = store.target_source();
    let message = format!(
        "{name} says {expected}, but the highest {} migration, `{}`, is version {target}",
        driver.dialect.engine(),
        driver.relative(&file.path)
    );
    out.push(
        Diagnostic::new(Code::VersionFileMismatch, message)
            .file(store.display(path))
            .span(Span::on_line(1, 1, expected.to_string().len() as u32))
            .help(if expected < target {
                format!("set {name} to {target}, and the stamp in each LATEST.sql with it")
            } else {
                format!("add the migration of {expected} to every dialect, or set {name} back to {target}")
            }),
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
                Diagnostic::new(
                    Code::VersionSetMismatch,
                    format!(
                        "version {version} (`{}`) exists in {} but not in {}",
                        driver.relative(&file.path),
                        driver.dialect.engine(),
                        missing.dialect.engine()
                    ),
                )
                .file(store.display(&file.path))
                .help({
                    let add = format!(
                        "add {}/{} with the same change in {}: every dialect must reach the same schema at every version",
                        store.relative(&missing.dir),
                        driver.relative(&file.path),
                        missing.dialect.engine()
                    );
                    // Below the dialect's oldest migration, the dialect may have been added later.
                    let oldest = missing.migrations().first().map(|(v, _)| *v);
                    if oldest.is_some_and(|oldest| version < oldest) {
                        format!(
                            "{add}; if {} was added at a later version, set version.first.{} to it",
                            missing.dialect.engine(),
                            missing.dialect.folder()
                        )
                    } else {
                        add
                    }
                }),
            );
        }
    }
}
