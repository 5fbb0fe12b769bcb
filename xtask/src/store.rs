//! The layout model of a store: one walk over the dialect folders and seed folders that the
//! configuration names (by default the store convention, `shared/design/store-convention.md`),
//! recording every entry it finds. Nothing is skipped silently: an entry that has no place in the
//! layout becomes a `Stray`, which the layout rule reports; only what the configuration says to
//! ignore is passed over.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use walkdir::WalkDir;

use crate::config::{Config, FullChain, Target, VersionRule};
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

    /// Reads the layout of the store at `root` as `config` describes it. Fails only when the
    /// tree cannot be read at all; everything that is merely wrong is recorded for the rules to
    /// report.
    pub fn discover(root: &Path, display_base: &Path, config: Config) -> anyhow::Result<Store> {
        if !root.is_dir() {
            bail!("{} does not exist", root.display());
        }
        let canonical_root = root
            .canonicalize()
            .with_context(|| format!("cannot open the store at {}", root.display()))?;
        let layout = &config.layout;
        let dialect_dirs: Vec<(Dialect, PathBuf)> = layout
            .dialects
            .iter()
            .map(|(d, dir)| (*d, root.join(dir)))
            .collect();
        let parents: BTreeSet<PathBuf> = dialect_dirs
            .iter()
            .filter_map(|(_, dir)| dir.parent().map(Path::to_path_buf))
            .collect();
        if !dialect_dirs.iter().any(|(_, dir)| dir.is_dir())
            && !parents.iter().any(|p| p != root && p.is_dir())
        {
            let parent_names: BTreeSet<String> = layout
                .dialects
                .iter()
                .filter_map(|(_, dir)| dir.rsplit_once('/').map(|(parent, _)| parent.to_string()))
                .collect();
            if let (1, Some(parent)) = (parent_names.len(), parent_names.first()) {
                bail!(
                    "{} has no {parent}/ folder; --root names the folder that holds {parent}/ (and seed/)",
                    root.display()
                );
            }
            let dirs: Vec<&str> = layout.dialects.iter().map(|(_, d)| d.as_str()).collect();
            bail!(
                "{} has none of the dialect folders {}; --root names the store's folder, and {} its layout",
                root.display(),
                dirs.join(", "),
                crate::config::FILE_NAME
            );
        }
        let version_file = (config.target == Target::VersionFile).then(|| {
            read_version_file(
                &canonical_root,
                &root.join(&layout.version_file),
                layout.versions,
                layout.two_part,
            )
        });
        let seed_dirs: Vec<(Dialect, PathBuf)> = layout
            .dialects
            .iter()
            .map(|(d, _)| (*d, root.join(layout.expand(&layout.seeds, *d))))
            .collect();

        // Everything the layout names has its place; the rest beside it is a stray.
        let mut known: BTreeSet<PathBuf> = dialect_dirs.iter().map(|(_, d)| d.clone()).collect();
        known.extend(seed_dirs.iter().map(|(_, d)| d.clone()));
        known.extend(version_file.as_ref().map(|v| v.path().to_path_buf()));
        known.insert(root.join(crate::config::FILE_NAME));
        for (dialect, _) in &dialect_dirs {
            known.insert(root.join(layout.expand(&layout.latest, *dialect)));
            if let FullChain::Baseline { path, .. } = &config.full_chain {
                known.insert(root.join(layout.expand(path, *dialect)));
            }
        }
        let seed_parents: BTreeSet<PathBuf> = seed_dirs
            .iter()
            .filter_map(|(_, dir)| dir.parent().map(Path::to_path_buf))
            .filter(|p| !parents.contains(p))
            .collect();

        let mut store = Store {
            root: root.to_path_buf(),
            display_base: display_base.to_path_buf(),
            config,
            version_file,
            drivers: Vec::new(),
            seeds: Vec::new(),
            strays: Vec::new(),
            refused: Vec::new(),
            canonical_root,
        };
        for parent in parents.iter().filter(|p| *p != root && p.is_dir()) {
            if !store.refuse(parent) {
                store.walk_beside(parent, &known, StrayKind::InMigrationRoot)?;
            }
        }
        for (dialect, dir) in dialect_dirs {
            if dir.is_dir() && !store.refuse(&dir) {
                store.walk_driver(dialect, &dir)?;
            }
        }
        for parent in seed_parents.iter().filter(|p| *p != root && p.is_dir()) {
            if !store.refuse(parent) {
                store.walk_beside(parent, &known, StrayKind::InSeed)?;
            }
        }
        for (dialect, dir) in seed_dirs {
            if dir.is_dir() && !store.refuse(&dir) {
                store.walk_seeds(dialect, &dir)?;
            }
        }
        Ok(store)
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

    fn is_ignored(&self, path: &Path) -> bool {
        self.config.layout.ignores(&self.relative(path))
    }

    /// Whether the entry at `path` was refused: the layout rule does not call it missing.
    pub fn is_refused(&self, path: &Path) -> bool {
        self.refused.iter().any(|r| r.path == path)
    }

    /// Records the entry at `path` as refused if it may not be read (see `input::refusal`), and
    /// says whether it was.
    fn refuse(&mut self, path: &Path) -> bool {
        if self.is_refused(path) {
            return true;
        }
        match crate::input::refusal(&self.canonical_root, path) {
            Some(refusal) => {
                self.refused.push(Refused {
                    path: path.to_path_buf(),
                    refusal,
                });
                true
            }
            None => false,
        }
    }

    /// An entry of a walk of `dir`. A link the walk could not follow (to a missing target, into a
    /// loop of links, or back to a folder that contains it: `input::refusal` tells them apart) is
    /// recorded as refused and gives `None`, as does one in an ignored folder; any other error
    /// ends the run.
    fn walked(
        &mut self,
        entry: walkdir::Result<walkdir::DirEntry>,
        dir: &Path,
    ) -> anyhow::Result<Option<walkdir::DirEntry>> {
        let error = match entry {
            Ok(entry) => return Ok(Some(entry)),
            Err(error) => error,
        };
        if let Some(path) = error.path().map(Path::to_path_buf) {
            let is_link = std::fs::symlink_metadata(&path)
                .is_ok_and(|metadata| metadata.file_type().is_symlink());
            if is_link && self.is_ignored(&path) {
                return Ok(None);
            }
            let refusal = if is_link {
                crate::input::refusal(&self.canonical_root, &path)
            } else {
                None
            };
            if let Some(refusal) = refusal {
                if !self.is_refused(&path) {
                    self.refused.push(Refused { path, refusal });
                }
                return Ok(None);
            }
        }
        Err(error).with_context(|| format!("cannot read {}", dir.display()))
    }

    /// Reports what lies beside the dialect (or seed) folders and has no place there.
    fn walk_beside(
        &mut self,
        parent: &Path,
        known: &BTreeSet<PathBuf>,
        kind: StrayKind,
    ) -> anyhow::Result<()> {
        for entry in WalkDir::new(parent)
            .min_depth(1)
            .max_depth(1)
            .follow_links(true)
            .sort_by_file_name()
        {
            // A known entry that the walk cannot follow (a version file linked nowhere) is
            // reported by whoever reads it.
            if let Err(error) = &entry {
                if error.path().is_some_and(|path| known.contains(path)) {
                    continue;
                }
            }
            let Some(entry) = self.walked(entry, parent)? else {
                continue;
            };
            let path = entry.path().to_path_buf();
            if known.contains(&path) || self.is_ignored(&path) {
                continue;
            }
            self.strays.push(Stray {
                is_dir: entry.file_type().is_dir(),
                path,
                kind,
            });
        }
        Ok(())
    }

    fn walk_driver(&mut self, dialect: Dialect, dir: &Path) -> anyhow::Result<()> {
        let layout = &self.config.layout;
        let rule = layout.versions;
        let latest_expected = self.root.join(layout.expand(&layout.latest, dialect));
        let baseline = match &self.config.full_chain {
            FullChain::Baseline { path, .. } => Some(self.root.join(layout.expand(path, dialect))),
            _ => None,
        };
        // Refused first: a broken link is no file, but it is not missing either.
        let latest = (!self.refuse(&latest_expected) && latest_expected.is_file())
            .then(|| latest_expected.clone());
        let baseline = baseline.filter(|b| !self.refuse(b) && b.is_file());
        let mut driver = Driver {
            dialect,
            dir: dir.to_path_buf(),
            latest,
            latest_expected,
            baseline,
            sum: None,
            folders: Vec::new(),
            files: Vec::new(),
        };
        let mut walk = WalkDir::new(dir)
            .min_depth(1)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let Some(entry) = self.walked(entry, dir)? else {
                continue;
            };
            let path = entry.path().to_path_buf();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_dir();
            if Some(&path) == driver.latest.as_ref()
                || Some(&path) == driver.baseline.as_ref()
                || self.is_ignored(&path)
            {
                if is_dir {
                    walk.skip_current_dir();
                }
                continue;
            }
            // Skipping a refused folder before the walk reads it keeps the walk inside the store.
            if self.refuse(&path) {
                if is_dir {
                    walk.skip_current_dir();
                }
                continue;
            }
            let kind = match entry.depth() {
                1 if !is_dir && name == SUM_FILE_NAME => {
                    driver.sum = Some(path);
                    continue;
                }
                1 if rule.has_folders() => {
                    if is_dir && name.chars().any(|c| c.is_ascii_digit()) {
                        driver.folders.push(VersionFolder {
                            minor: parse_minor(&name),
                            path,
                            name,
                            files: Vec::new(),
                        });
                        continue;
                    }
                    StrayKind::InDriver
                }
                1 => {
                    if !is_dir && is_meant_as_migration(&name) {
                        driver.files.push(MigrationFile {
                            version: rule.flat_version(&name),
                            path,
                            name,
                            sequence: None,
                        });
                        continue;
                    }
                    StrayKind::InDriver
                }
                2 => {
                    let folder = driver.folders.last_mut().context("walk order")?;
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
                        continue;
                    }
                    StrayKind::InVersionFolder
                }
                // Deeper entries sit inside a folder already reported as a stray.
                _ => {
                    walk.skip_current_dir();
                    continue;
                }
            };
            self.strays.push(Stray { path, is_dir, kind });
            if is_dir {
                walk.skip_current_dir();
            }
        }
        self.drivers.push(driver);
        Ok(())
    }

    fn walk_seeds(&mut self, dialect: Dialect, dir: &Path) -> anyhow::Result<()> {
        let mut seeds = Seeds {
            dialect,
            dir: dir.to_path_buf(),
            files: Vec::new(),
        };
        for entry in WalkDir::new(dir)
            .min_depth(1)
            .max_depth(1)
            .follow_links(true)
            .sort_by_file_name()
        {
            let Some(entry) = self.walked(entry, dir)? else {
                continue;
            };
            let path = entry.path().to_path_buf();
            let is_dir = entry.file_type().is_dir();
            if self.is_ignored(&path) || self.refuse(&path) {
                continue;
            }
            if !is_dir && entry.file_name().to_string_lossy().ends_with(".sql") {
                seeds.files.push(path);
            } else {
                self.strays.push(Stray {
                    path,
                    is_dir,
                    kind: StrayKind::InSeed,
                });
            }
        }
        self.seeds.push(seeds);
        Ok(())
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

/// How much of the version file is read: one version and its line ending, with room to spare.
/// A larger file is not a version anyway, and a message quotes only its start.
const VERSION_FILE_LIMIT: u64 = 4096;

fn read_version_file(
    canonical_root: &Path,
    path: &Path,
    rule: VersionRule,
    two_part: bool,
) -> VersionFile {
    let path = path.to_path_buf();
    // Refused first: a broken link does not exist as a file, but it is not missing either.
    if let Some(refusal) = crate::input::refusal(canonical_root, &path) {
        return VersionFile::Invalid {
            reason: format!("it {}, and it was not read", refusal.describe()),
            path,
        };
    }
    if !path.exists() {
        return VersionFile::Missing { path };
    }
    let read = crate::input::read_prefix(&path, VERSION_FILE_LIMIT).and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })
    });
    let text = match read {
        Ok(text) => text,
        Err(e) => {
            return VersionFile::Invalid {
                path,
                reason: format!("it cannot be read ({e})"),
            }
        }
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return VersionFile::Invalid {
            path,
            reason: "it is empty".into(),
        };
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    match rule.parse_with(first_line, two_part) {
        Ok(_) if trimmed.contains('\n') => VersionFile::Invalid {
            path,
            reason: "it holds more than one line".into(),
        },
        Ok(version) => VersionFile::Valid { path, version },
        Err(reason) => VersionFile::Invalid {
            path,
            reason: format!(
                "`{}` {reason}",
                crate::input::quote(first_line, crate::input::QUOTE_LIMIT)
            ),
        },
    }
}

/// The version of a migration by its path in the dialect folder (`0.3/00__x.sql`, or
/// `V1.2.0__x.sql` under a flat rule), as the service reads it.
pub fn version_of(rule: VersionRule, path: &str) -> Option<semver::Version> {
    match path.split_once('/') {
        Some((folder, name)) if rule.has_folders() => {
            let (major, minor) = parse_minor(folder)?;
            Some(semver::Version::new(
                major,
                minor,
                parse_sequence(name)? + 1,
            ))
        }
        None if !rule.has_folders() => rule.flat_version(path),
        _ => None,
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
