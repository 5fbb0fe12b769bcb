//! The walk over a store's folders: every entry is classified into drivers, version folders,
//! migration files, seeds and strays, or recorded as refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use walkdir::WalkDir;

use super::names::{is_meant_as_migration, parse_minor, parse_sequence, read_version_file};
use super::{
    Driver, MigrationFile, Refused, Seeds, Store, Stray, StrayKind, VersionFile, VersionFolder,
    SUM_FILE_NAME,
};
use crate::config::{Config, FullChain, Layout, Target, VersionRule};
use crate::dialect::Dialect;

impl Store {
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
        let version_file = (config.target == Target::VersionFile).then(|| {
            read_version_file(
                &canonical_root,
                &root.join(&layout.version_file),
                layout.versions,
                layout.two_part,
            )
        });
        let places = Places::of(root, &config, version_file.as_ref())?;
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
        store.walk(&places)?;
        Ok(store)
    }

    /// Walks the folders the layout names, and what lies beside them, in a stable order: the
    /// migration roots, the dialect folders, the seed roots, the seed folders.
    fn walk(&mut self, places: &Places) -> anyhow::Result<()> {
        let root = self.root.clone();
        let outside_root = |p: &&PathBuf| *p != &root && p.is_dir();
        for parent in places.parents.iter().filter(outside_root) {
            if !self.refuse(parent) {
                self.walk_beside(parent, &places.known, StrayKind::InMigrationRoot)?;
            }
        }
        for (dialect, dir) in &places.dialect_dirs {
            if dir.is_dir() && !self.refuse(dir) {
                self.walk_driver(*dialect, dir)?;
            }
        }
        for parent in places.seed_parents.iter().filter(outside_root) {
            if !self.refuse(parent) {
                self.walk_beside(parent, &places.known, StrayKind::InSeed)?;
            }
        }
        for (dialect, dir) in &places.seed_dirs {
            if dir.is_dir() && !self.refuse(dir) {
                self.walk_seeds(*dialect, dir)?;
            }
        }
        Ok(())
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
        let mut driver = self.new_driver(dialect, dir);
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
            let is_dir = entry.file_type().is_dir();
            let scripts = [driver.latest.as_ref(), driver.baseline.as_ref()];
            // Refused entries are skipped before the walk reads them, which keeps the walk
            // inside the store.
            let kind =
                if scripts.contains(&Some(&path)) || self.is_ignored(&path) || self.refuse(&path) {
                    None
                } else {
                    driver.take(&entry, self.config.layout.versions)?
                };
            if let Some(kind) = kind {
                self.strays.push(Stray { path, is_dir, kind });
            }
            // A folder taken as a version folder is walked; any other is skipped whole.
            let walked_into = driver
                .folders
                .last()
                .is_some_and(|f| f.path == entry.path());
            if is_dir && !walked_into {
                walk.skip_current_dir();
            }
        }
        self.drivers.push(driver);
        Ok(())
    }

    /// A driver with its fresh-install script and baseline found (refused first: a broken link
    /// is no file, but it is not missing either), and nothing walked yet.
    fn new_driver(&mut self, dialect: Dialect, dir: &Path) -> Driver {
        let layout = &self.config.layout;
        let latest_expected = self.root.join(layout.expand(&layout.latest, dialect));
        let baseline = match &self.config.full_chain {
            FullChain::Baseline { path, .. } => Some(self.root.join(layout.expand(path, dialect))),
            _ => None,
        };
        let latest = (!self.refuse(&latest_expected) && latest_expected.is_file())
            .then(|| latest_expected.clone());
        let baseline = baseline.filter(|b| !self.refuse(b) && b.is_file());
        Driver {
            dialect,
            dir: dir.to_path_buf(),
            latest,
            latest_expected,
            baseline,
            sum: None,
            folders: Vec::new(),
            files: Vec::new(),
        }
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

/// Where the layout puts things in a store: the folders to walk, and every path that has its
/// place (anything else beside them is a stray).
struct Places {
    dialect_dirs: Vec<(Dialect, PathBuf)>,
    /// The folders that hold the dialect folders (`migration/`).
    parents: BTreeSet<PathBuf>,
    seed_dirs: Vec<(Dialect, PathBuf)>,
    /// The folders that hold the seed folders, where they are not the dialect folders' parents.
    seed_parents: BTreeSet<PathBuf>,
    known: BTreeSet<PathBuf>,
}

impl Places {
    fn of(
        root: &Path,
        config: &Config,
        version_file: Option<&VersionFile>,
    ) -> anyhow::Result<Places> {
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
            return Err(no_dialect_folder(root, layout));
        }
        let seed_dirs: Vec<(Dialect, PathBuf)> = layout
            .dialects
            .iter()
            .map(|(d, _)| (*d, root.join(layout.expand(&layout.seeds, *d))))
            .collect();
        let mut known: BTreeSet<PathBuf> = dialect_dirs.iter().map(|(_, d)| d.clone()).collect();
        known.extend(seed_dirs.iter().map(|(_, d)| d.clone()));
        known.extend(version_file.map(|v| v.path().to_path_buf()));
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
        Ok(Places {
            dialect_dirs,
            parents,
            seed_dirs,
            seed_parents,
            known,
        })
    }
}

/// The error for a `--root` that holds none of the layout's dialect folders, naming the folder
/// it should have held.
fn no_dialect_folder(root: &Path, layout: &Layout) -> anyhow::Error {
    let parent_names: BTreeSet<String> = layout
        .dialects
        .iter()
        .filter_map(|(_, dir)| dir.rsplit_once('/').map(|(parent, _)| parent.to_string()))
        .collect();
    if let (1, Some(parent)) = (parent_names.len(), parent_names.first()) {
        return anyhow::anyhow!(
            "{} has no {parent}/ folder; --root names the folder that holds {parent}/ (and seed/)",
            root.display()
        );
    }
    let dirs: Vec<&str> = layout.dialects.iter().map(|(_, d)| d.as_str()).collect();
    anyhow::anyhow!(
        "{} has none of the dialect folders {}; --root names the store's folder, and {} its layout",
        root.display(),
        dirs.join(", "),
        crate::config::FILE_NAME
    )
}

impl Driver {
    /// Takes an entry of the dialect folder's walk into the driver by where it lies: the sum
    /// file, a version folder, a migration directly in the folder (flat rules) or in a version
    /// folder. What has no place there is a stray of the returned kind.
    fn take(
        &mut self,
        entry: &walkdir::DirEntry,
        rule: VersionRule,
    ) -> anyhow::Result<Option<StrayKind>> {
        let path = entry.path().to_path_buf();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_dir();
        let kind = match entry.depth() {
            1 if !is_dir && name == SUM_FILE_NAME => {
                self.sum = Some(path);
                return Ok(None);
            }
            1 if rule.has_folders() => {
                if is_dir && name.chars().any(|c| c.is_ascii_digit()) {
                    self.folders.push(VersionFolder {
                        minor: parse_minor(&name),
                        path,
                        name,
                        files: Vec::new(),
                    });
                    return Ok(None);
                }
                StrayKind::InDriver
            }
            1 => {
                if !is_dir && is_meant_as_migration(&name) {
                    self.files.push(MigrationFile {
                        version: rule.flat_version(&name),
                        path,
                        name,
                        sequence: None,
                    });
                    return Ok(None);
                }
                StrayKind::InDriver
            }
            2 => {
                let folder = self.folders.last_mut().context("walk order")?;
                if !is_dir && is_meant_as_migration(&name) {
                    let sequence = parse_sequence(&name);
                    let version = folder
                        .minor
                        .zip(sequence)
                        .map(|((major, minor), seq)| semver::Version::new(major, minor, seq + 1));
                    folder.files.push(MigrationFile {
                        path,
                        name,
                        version,
                        sequence,
                    });
                    return Ok(None);
                }
                StrayKind::InVersionFolder
            }
            // Deeper entries sit inside a folder already reported as a stray.
            _ => return Ok(None),
        };
        Ok(Some(kind))
    }
}
