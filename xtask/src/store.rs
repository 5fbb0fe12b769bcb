//! The layout model of a store (see `shared/design/store-convention.md`): one walk over
//! `migration/` and `seed/` that records every entry it finds. Nothing is skipped silently: an
//! entry that has no place in the layout becomes a `Stray`, which the layout rule reports.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use walkdir::WalkDir;

use crate::dialect::Dialect;

#[derive(Debug)]
pub struct Store {
    /// The folder that holds `migration/` and, optionally, `seed/`.
    pub root: PathBuf,
    /// Paths are shown relative to this folder.
    display_base: PathBuf,
    pub version_file: VersionFile,
    /// The driver folders found, in dialect order.
    pub drivers: Vec<Driver>,
    /// Seed folders by dialect, files in name order.
    pub seeds: Vec<(Dialect, Vec<PathBuf>)>,
    pub strays: Vec<Stray>,
}

#[derive(Debug)]
pub enum VersionFile {
    Missing {
        path: PathBuf,
    },
    /// The file exists but could not be read or does not hold one `X.Y.Z` version.
    Invalid {
        path: PathBuf,
        reason: String,
    },
    Valid {
        path: PathBuf,
        version: semver::Version,
    },
}

impl VersionFile {
    pub fn version(&self) -> Option<&semver::Version> {
        match self {
            VersionFile::Valid { version, .. } => Some(version),
            _ => None,
        }
    }
}

/// A dialect's folder, `migration/<dialect>/`.
#[derive(Debug)]
pub struct Driver {
    pub dialect: Dialect,
    pub dir: PathBuf,
    pub latest: Option<PathBuf>,
    /// `migrations.sum`, the record of the migrations that `--update-sum` writes (see
    /// `history::sum`).
    pub sum: Option<PathBuf>,
    /// Version folders in the order the walk found them (by name); use `migrations()` for the
    /// semver order.
    pub folders: Vec<VersionFolder>,
}

/// A folder inside a driver folder that is meant to hold migrations, well named or not.
#[derive(Debug)]
pub struct VersionFolder {
    pub path: PathBuf,
    pub name: String,
    /// `MAJOR.MINOR` as the service reads it (leading zeros tolerated, so that a misnamed folder
    /// still takes part in the version checks); `None` when the name holds no such pair.
    pub minor: Option<(u64, u64)>,
    pub files: Vec<MigrationFile>,
}

/// A file inside a version folder that is meant to be a migration, well named or not.
#[derive(Debug)]
pub struct MigrationFile {
    pub path: PathBuf,
    pub name: String,
    /// The version the service gives the file: the folder's `MAJOR.MINOR` and the sequence
    /// number before `__`, plus one. `None` when the service could not read a number there.
    pub version: Option<semver::Version>,
    /// The sequence number before `__`, as the service parses it.
    pub sequence: Option<u64>,
}

/// An entry that has no place in the layout.
#[derive(Debug)]
pub struct Stray {
    pub path: PathBuf,
    pub is_dir: bool,
    pub kind: StrayKind,
}

/// Where a stray was found, which decides what the message says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrayKind {
    /// In `migration/`: neither `VERSION` nor a known dialect's folder.
    InMigrationRoot,
    /// In a driver folder: neither `LATEST.sql` nor a version folder.
    InDriver,
    /// In a version folder: a folder, or a file that is not meant to be a migration.
    InVersionFolder,
    /// In `seed/` or a seed folder.
    InSeed,
}

impl Store {
    /// Reads the layout of the store at `root`. Fails only when the tree cannot be read at all;
    /// everything that is merely wrong is recorded for the rules to report.
    pub fn discover(root: &Path, display_base: &Path) -> anyhow::Result<Store> {
        let migration_dir = root.join("migration");
        if !migration_dir.is_dir() {
            if !root.exists() {
                bail!("{} does not exist", root.display());
            }
            bail!(
                "{} has no migration/ folder; --root names the folder that holds migration/ (and seed/)",
                root.display()
            );
        }
        let mut store = Store {
            root: root.to_path_buf(),
            display_base: display_base.to_path_buf(),
            version_file: read_version_file(&migration_dir.join("VERSION")),
            drivers: Vec::new(),
            seeds: Vec::new(),
            strays: Vec::new(),
        };
        store.walk_migrations(&migration_dir)?;
        let seed_dir = root.join("seed");
        if seed_dir.is_dir() {
            store.walk_seeds(&seed_dir)?;
        }
        Ok(store)
    }

    /// The path as users see it: relative to the project, with `/` separators.
    pub fn display(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.display_base).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The dialect of a displayed path, by the dialect folder (of `migration/` or `seed/`) it
    /// lies in.
    pub fn dialect_of(&self, display: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|dialect| {
            ["migration", "seed"].iter().any(|top| {
                let folder = self.display(&self.root.join(top).join(dialect.folder()));
                display == folder || display.starts_with(&format!("{folder}/"))
            })
        })
    }

    pub fn driver(&self, dialect: Dialect) -> Option<&Driver> {
        self.drivers.iter().find(|d| d.dialect == dialect)
    }

    fn walk_migrations(&mut self, migration_dir: &Path) -> anyhow::Result<()> {
        let mut walk = WalkDir::new(migration_dir)
            .min_depth(1)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry =
                entry.with_context(|| format!("cannot read {}", migration_dir.display()))?;
            let path = entry.path().to_path_buf();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_dir();
            let stray = |kind| Stray {
                path: path.clone(),
                is_dir,
                kind,
            };
            match entry.depth() {
                1 => {
                    if !is_dir && name == "VERSION" {
                        continue;
                    }
                    match Dialect::from_folder(&name) {
                        Some(dialect) if is_dir => self.drivers.push(Driver {
                            dialect,
                            dir: path,
                            latest: None,
                            sum: None,
                            folders: Vec::new(),
                        }),
                        _ => {
                            self.strays.push(stray(StrayKind::InMigrationRoot));
                            if is_dir {
                                walk.skip_current_dir();
                            }
                        }
                    }
                }
                2 => {
                    let driver = self.drivers.last_mut().context("walk order")?;
                    if !is_dir && name == "LATEST.sql" {
                        driver.latest = Some(path);
                    } else if !is_dir && name == crate::history::sum::FILE_NAME {
                        driver.sum = Some(path);
                    } else if is_dir && name.chars().any(|c| c.is_ascii_digit()) {
                        driver.folders.push(VersionFolder {
                            minor: parse_minor(&name),
                            path,
                            name,
                            files: Vec::new(),
                        });
                    } else {
                        self.strays.push(stray(StrayKind::InDriver));
                        if is_dir {
                            walk.skip_current_dir();
                        }
                    }
                }
                3 => {
                    let folder = self
                        .drivers
                        .last_mut()
                        .and_then(|d| d.folders.last_mut())
                        .context("walk order")?;
                    if !is_dir && is_meant_as_migration(&name) {
                        let sequence = parse_sequence(&name);
                        let version = folder.minor.zip(sequence).map(|((major, minor), seq)| {
                            semver::Version::new(major, minor, seq + 1)
                        });
                        folder.files.push(MigrationFile {
                            path,
                            name,
                            version,
                            sequence,
                        });
                    } else {
                        self.strays.push(stray(StrayKind::InVersionFolder));
                        if is_dir {
                            walk.skip_current_dir();
                        }
                    }
                }
                // Deeper entries sit inside a folder already reported as a stray.
                _ => walk.skip_current_dir(),
            }
        }
        Ok(())
    }

    fn walk_seeds(&mut self, seed_dir: &Path) -> anyhow::Result<()> {
        let mut walk = WalkDir::new(seed_dir)
            .min_depth(1)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = entry.with_context(|| format!("cannot read {}", seed_dir.display()))?;
            let path = entry.path().to_path_buf();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_dir();
            match (entry.depth(), Dialect::from_folder(&name)) {
                (1, Some(dialect)) if is_dir => self.seeds.push((dialect, Vec::new())),
                (2, _) if !is_dir && name.ends_with(".sql") => {
                    self.seeds.last_mut().context("walk order")?.1.push(path);
                }
                _ => {
                    self.strays.push(Stray {
                        path,
                        is_dir,
                        kind: StrayKind::InSeed,
                    });
                    if is_dir {
                        walk.skip_current_dir();
                    }
                }
            }
        }
        Ok(())
    }
}

impl Driver {
    /// Every migration file that has a version, in semver order (files of equal version in name
    /// order).
    pub fn migrations(&self) -> Vec<(&semver::Version, &MigrationFile)> {
        let mut files: Vec<_> = self
            .folders
            .iter()
            .flat_map(|f| &f.files)
            .filter_map(|f| Some((f.version.as_ref()?, f)))
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        files
    }

    /// A path inside the driver folder as the service names it, with `/`: `0.3/00__x.sql`.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The target schema version: the highest migration version.
    pub fn target(&self) -> Option<&semver::Version> {
        self.migrations().last().map(|(v, _)| *v)
    }
}

fn read_version_file(path: &Path) -> VersionFile {
    let path = path.to_path_buf();
    if !path.exists() {
        return VersionFile::Missing { path };
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            return VersionFile::Invalid {
                path,
                reason: format!("it cannot be read ({e})"),
            }
        }
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    match semver::Version::parse(trimmed) {
        Ok(version) if version.pre.is_empty() && version.build.is_empty() => {
            VersionFile::Valid { path, version }
        }
        Ok(_) => VersionFile::Invalid {
            path,
            reason: format!(
                "`{trimmed}` has a pre-release or build part; schema versions are plain X.Y.Z"
            ),
        },
        Err(_) if trimmed.is_empty() => VersionFile::Invalid {
            path,
            reason: "it is empty".into(),
        },
        Err(e) => VersionFile::Invalid {
            path,
            reason: format!(
                "`{}` is not a X.Y.Z version ({e})",
                trimmed.lines().next().unwrap_or_default()
            ),
        },
    }
}

/// `MAJOR.MINOR` as the service reads a folder name: two dot-separated numbers.
fn parse_minor(name: &str) -> Option<(u64, u64)> {
    let (major, minor) = name.split_once('.')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// The sequence number as the service reads it: the text before the first `__`, if it is a
/// number. `00_reaction.sql` has none (the service fails on it at start-up).
fn parse_sequence(name: &str) -> Option<u64> {
    let (prefix, _) = name.split_once("__")?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    prefix.parse().ok()
}

/// Whether a file in a version folder is meant to be a migration (and so is checked by the
/// naming rule) rather than something else that does not belong there.
fn is_meant_as_migration(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".sql") || name.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_reading_of_names() {
        assert_eq!(parse_minor("0.10"), Some((0, 10)));
        assert_eq!(parse_minor("00.1"), Some((0, 1)));
        assert_eq!(parse_minor("v0.1"), None);
        assert_eq!(parse_minor("0.1.0"), None);
        assert_eq!(parse_sequence("01__x.sql"), Some(1));
        assert_eq!(parse_sequence("1__x.sql"), Some(1));
        assert_eq!(parse_sequence("00_reaction.sql"), None);
        assert!(is_meant_as_migration("00__X.SQL"));
        assert!(is_meant_as_migration("01-x.txt"));
        assert!(!is_meant_as_migration("README"));
    }
}
