//! The layout model of a store: one walk over the dialect folders and seed folders that the
//! configuration names (by default the store convention, `shared/design/store-convention.md`),
//! recording every entry it finds. Nothing is skipped silently: an entry that has no place in the
//! layout becomes a `Stray`, which the layout rule reports; only what the configuration says to
//! ignore is passed over.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::dialect::Dialect;
use crate::input::Refusal;

/// The file beside a dialect's migrations that records them as released (`history::sum`): the
/// walk takes it as the store's own, not as a stray file.
pub const SUM_FILE_NAME: &str = "migrations.sum";

#[derive(Debug)]
pub struct Store {
    /// The store's folder: configured paths are relative to it.
    pub root: PathBuf,
    /// Paths are shown relative to this folder.
    display_base: PathBuf,
    /// How the tree is laid out and applied.
    pub config: Config,
    /// The file that holds the target version; `None` where the configuration takes the target
    /// from the highest migration instead.
    pub version_file: Option<VersionFile>,
    /// The driver folders found, in dialect order.
    pub drivers: Vec<Driver>,
    /// Seed folders by dialect, files in name order.
    pub seeds: Vec<Seeds>,
    pub strays: Vec<Stray>,
    /// Entries that are not read at all (a link out of the store, a FIFO, a device): they have
    /// no place in the model, so no later stage can read them.
    pub refused: Vec<Refused>,
    /// The store's folder with every link resolved: a link is followed only to a target inside
    /// it.
    canonical_root: PathBuf,
}

/// An entry of the tree that is not read, and why.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub refusal: Refusal,
}

#[derive(Debug)]
pub enum VersionFile {
    Missing {
        path: PathBuf,
    },
    /// The file exists but could not be read or does not hold one version.
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

    pub fn path(&self) -> &Path {
        match self {
            VersionFile::Missing { path }
            | VersionFile::Invalid { path, .. }
            | VersionFile::Valid { path, .. } => path,
        }
    }
}

/// A dialect's migration folder (`migration/<dialect>/` by default).
#[derive(Debug)]
pub struct Driver {
    pub dialect: Dialect,
    pub dir: PathBuf,
    pub latest: Option<PathBuf>,
    /// Where the fresh-install script should be, for messages when it is missing.
    pub latest_expected: PathBuf,
    /// The baseline script the full chain starts from, where the configuration names one and
    /// it exists.
    pub baseline: Option<PathBuf>,
    /// `migrations.sum`, the record of the migrations that `--update-sum` writes (see
    /// `history::sum`).
    pub sum: Option<PathBuf>,
    /// Version folders in the order the walk found them (by name); use `migrations()` for the
    /// semver order. Empty under the flat version rules.
    pub folders: Vec<VersionFolder>,
    /// Migration files directly in the dialect folder, under the flat version rules.
    pub files: Vec<MigrationFile>,
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

/// A file that is meant to be a migration, well named or not.
#[derive(Debug)]
pub struct MigrationFile {
    pub path: PathBuf,
    pub name: String,
    /// The version the service gives the file (under the store rule: the folder's
    /// `MAJOR.MINOR` and the sequence number before `__`, plus one). `None` when the service
    /// could not read a version there.
    pub version: Option<semver::Version>,
    /// The sequence number before `__` in a version folder, as the service parses it.
    pub sequence: Option<u64>,
}

/// A dialect's seed folder and its `.sql` files in name order.
#[derive(Debug)]
pub struct Seeds {
    pub dialect: Dialect,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
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
    /// Beside the dialect folders (in `migration/`): neither the version file nor a dialect's
    /// folder.
    InMigrationRoot,
    /// In a driver folder: neither `LATEST.sql` nor a version folder (nor, under the flat
    /// rules, a migration).
    InDriver,
    /// In a version folder: a folder, or a file that is not meant to be a migration.
    InVersionFolder,
    /// Beside the seed folders or in one.
    InSeed,
}

impl Store {
    /// Reads the store at `root` with its configuration: `config` (from `--config`), else the
    /// store's `validate-migrations.toml`, else the store convention.
    pub fn open(root: &Path, display_base: &Path, config: Option<&Path>) -> anyhow::Result<Store> {
        let config = Config::load(root, config, |path| {
            slashed(path.strip_prefix(display_base).unwrap_or(path))
        })?;
        Store::discover(root, display_base, config)
    }

    /// The path as users see it: relative to the project, with `/` separators.
    pub fn display(&self, path: &Path) -> String {
        slashed(path.strip_prefix(&self.display_base).unwrap_or(path))
    }

    /// A path relative to the store's folder, with `/`, as the configuration writes paths.
    pub fn relative(&self, path: &Path) -> String {
        slashed(path.strip_prefix(&self.root).unwrap_or(path))
    }

    /// The dialect of a displayed path, by the dialect's folder, seed folder or scripts it is
    /// or lies in.
    pub fn dialect_of(&self, display: &str) -> Option<Dialect> {
        let within = |path: &Path| {
            let folder = self.display(path);
            display == folder || display.starts_with(&format!("{folder}/"))
        };
        self.drivers
            .iter()
            .find(|d| {
                within(&d.dir)
                    || d.latest.as_deref().is_some_and(within)
                    || d.baseline.as_deref().is_some_and(within)
            })
            .map(|d| d.dialect)
            .or_else(|| {
                self.seeds
                    .iter()
                    .find(|s| within(&s.dir))
                    .map(|s| s.dialect)
            })
    }

    pub fn driver(&self, dialect: Dialect) -> Option<&Driver> {
        self.drivers.iter().find(|d| d.dialect == dialect)
    }

    /// The version the tree ships: the version file's, or (where the configuration has none)
    /// the highest migration of the given dialects.
    pub fn target(&self, dialects: &[Dialect]) -> Option<semver::Version> {
        match &self.version_file {
            Some(file) => file.version().cloned(),
            None => self
                .drivers
                .iter()
                .filter(|d| dialects.contains(&d.dialect))
                .filter_map(|d| d.target().cloned())
                .max(),
        }
    }

    /// Where the target version comes from, for messages: the version file's name (`VERSION`),
    /// or `the highest migration`.
    pub fn target_source(&self) -> String {
        match &self.version_file {
            Some(file) => file
                .path()
                .file_name()
                .map_or_else(|| "VERSION".into(), |n| n.to_string_lossy().into_owned()),
            None => "the highest migration".to_string(),
        }
    }
}

fn slashed(path: &Path) -> String {
    crate::input::display_path(path)
}

impl Driver {
    /// Every migration file that has a version, in semver order (files of equal version in name
    /// order).
    pub fn migrations(&self) -> Vec<(&semver::Version, &MigrationFile)> {
        let mut files: Vec<_> = self
            .all_files()
            .filter_map(|f| Some((f.version.as_ref()?, f)))
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        files
    }

    /// Every file meant as a migration, in version folders or directly in the driver folder.
    pub fn all_files(&self) -> impl Iterator<Item = &MigrationFile> {
        self.folders
            .iter()
            .flat_map(|f| &f.files)
            .chain(&self.files)
    }

    /// A path inside the driver folder as the service names it, with `/`: `0.3/00__x.sql`.
    pub fn relative(&self, path: &Path) -> String {
        crate::input::display_path(path.strip_prefix(&self.dir).unwrap_or(path))
    }

    /// The dialect's highest migration version.
    pub fn target(&self) -> Option<&semver::Version> {
        self.migrations().last().map(|(v, _)| *v)
    }
}

mod names;
mod walk;

pub use names::version_of;
