//! The cache of initialized data directories: `initdb` takes a third of a second on tmpfs and
//! over a second on a disk, while copying its result takes tens of milliseconds.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::process::RunAs;
use super::registry::{reap_stale_dirs, PrivateDir};

/// The file `store` writes into a cache entry after everything else, before the entry is
/// renamed into place: the list of the entry's directories and files with their sizes. An
/// entry without it, or whose content differs from it, is not used.
const MANIFEST: &str = ".validate-migrations-complete";

/// The first line of a manifest, which names its format.
const MANIFEST_HEADER: &str = "validate-migrations cached data directory, format 1";

/// A data directory of a few hundred files lists in tens of kilobytes; anything much larger
/// is not a manifest of ours.
const MANIFEST_MAX_LEN: u64 = 4 << 20;

/// What `pg_controldata` says of a data directory that was shut down cleanly, as `initdb`
/// leaves it.
const SHUT_DOWN: &str = "shut down";

/// `<cache_dir>/pg-<version>-initdb`: the data directory `initdb` made for this version.
pub fn cache_path(cache_dir: &Path, version: &str) -> PathBuf {
    let version: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache_dir.join(format!("pg-{version}-initdb"))
}

/// What a cache entry is worth.
#[derive(Debug, PartialEq, Eq)]
pub enum CacheEntry {
    /// There is none.
    Missing,
    /// It is complete and was shut down cleanly: it may be copied.
    Usable,
    /// It is there but must not be used, for this reason.
    Unusable(String),
}

/// Checks a cache entry before use: it must be a directory (not a link) whose directories and
/// files are exactly those its manifest lists, with the sizes it lists, and, when
/// `pg_controldata` is in `bin_dir` to ask, a cluster that was shut down cleanly. An entry made by an
/// earlier version of the tool, or by a run interrupted while it wrote the entry in place,
/// fails here rather than in the server (`could not locate a valid checkpoint record`).
pub fn check(cached: &Path, bin_dir: &Path) -> CacheEntry {
    match fs::symlink_metadata(cached) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return CacheEntry::Missing,
        Err(error) => return CacheEntry::Unusable(format!("it cannot be read: {error}")),
        Ok(metadata) if !metadata.file_type().is_dir() => {
            return CacheEntry::Unusable("it is not a directory".to_string());
        }
        Ok(_) => {}
    }
    if let Err(reason) = check_manifest(cached) {
        return CacheEntry::Unusable(reason);
    }
    let pg_controldata = bin_dir.join("pg_controldata");
    // A set of binaries downloaded with pg-embed has only the server programs.
    if pg_controldata.is_file() {
        match cluster_state(&pg_controldata, cached) {
            Ok(state) if state == SHUT_DOWN => {}
            Ok(state) => {
                return CacheEntry::Unusable(format!(
                    "pg_controldata says its state is `{state}`, not `{SHUT_DOWN}`"
                ));
            }
            Err(error) => return CacheEntry::Unusable(format!("{error:#}")),
        }
    }
    CacheEntry::Usable
}

/// Compares an entry with its manifest; the error is the first difference.
fn check_manifest(cached: &Path) -> Result<(), String> {
    let path = cached.join(MANIFEST);
    let metadata = fs::symlink_metadata(&path)
        .map_err(|_| format!("it has no {MANIFEST}: it was not completed"))?;
    if !metadata.file_type().is_file() || metadata.len() > MANIFEST_MAX_LEN {
        return Err(format!("its {MANIFEST} is not a manifest"));
    }
    let mut content = String::new();
    File::open(&path)
        .and_then(|file| file.take(MANIFEST_MAX_LEN).read_to_string(&mut content))
        .map_err(|error| format!("its {MANIFEST} cannot be read: {error}"))?;
    let listed = parse_manifest(&content).ok_or_else(|| format!("its {MANIFEST} is garbled"))?;
    let found = list_tree(cached).map_err(|error| format!("{error:#}"))?;
    for (relative, entry) in &listed {
        match found.get(relative) {
            None => return Err(format!("{} is missing", relative.display())),
            Some(actual) if actual != entry => {
                return Err(format!(
                    "{} is {}, where {} was stored",
                    relative.display(),
                    actual.describe(),
                    entry.describe()
                ));
            }
            Some(_) => {}
        }
    }
    match found
        .keys()
        .find(|relative| !listed.contains_key(*relative))
    {
        Some(extra) => Err(format!("{} was not stored there", extra.display())),
        None => Ok(()),
    }
}

/// An entry of a data directory, as a manifest records it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TreeEntry {
    Directory,
    File { size: u64 },
}

impl TreeEntry {
    fn describe(&self) -> String {
        match self {
            TreeEntry::Directory => "a directory".to_string(),
            TreeEntry::File { size } => format!("a file of {size} bytes"),
        }
    }
}

/// The directories and files under `root` (the manifest excepted), by relative path. Links
/// are not followed; anything but a directory or a file is an error.
fn list_tree(root: &Path) -> Result<BTreeMap<PathBuf, TreeEntry>> {
    let mut entries = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.with_context(|| format!("reading {}", root.display()))?;
        let relative = entry
            .path()
            .strip_prefix(root)
            .with_context(|| format!("{} is outside {}", entry.path().display(), root.display()))?
            .to_path_buf();
        if relative == Path::new(MANIFEST) {
            continue;
        }
        let file_type = entry.file_type();
        let tree_entry = if file_type.is_dir() {
            TreeEntry::Directory
        } else if file_type.is_file() {
            let metadata = entry
                .metadata()
                .with_context(|| format!("reading {}", entry.path().display()))?;
            TreeEntry::File {
                size: metadata.len(),
            }
        } else {
            bail!("{} is neither a file nor a directory", relative.display());
        };
        entries.insert(relative, tree_entry);
    }
    Ok(entries)
}

/// A manifest: its header, then a line per entry, `d <path>` or `f <size> <path>`.
fn render_manifest(entries: &BTreeMap<PathBuf, TreeEntry>) -> Result<String> {
    let mut text = format!("{MANIFEST_HEADER}\n");
    for (relative, entry) in entries {
        let name = relative
            .to_str()
            .filter(|name| !name.contains('\n'))
            .with_context(|| format!("{} cannot be listed in a manifest", relative.display()))?;
        match entry {
            TreeEntry::Directory => text.push_str(&format!("d {name}\n")),
            TreeEntry::File { size } => text.push_str(&format!("f {size} {name}\n")),
        }
    }
    Ok(text)
}

fn parse_manifest(text: &str) -> Option<BTreeMap<PathBuf, TreeEntry>> {
    let mut lines = text.lines();
    if lines.next()? != MANIFEST_HEADER {
        return None;
    }
    let mut entries = BTreeMap::new();
    for line in lines {
        let (relative, entry) = if let Some(name) = line.strip_prefix("d ") {
            (name, TreeEntry::Directory)
        } else {
            let (size, name) = line.strip_prefix("f ")?.split_once(' ')?;
            (
                name,
                TreeEntry::File {
                    size: size.parse().ok()?,
                },
            )
        };
        entries.insert(PathBuf::from(relative), entry);
    }
    Some(entries)
}

/// The `Database cluster state` that `pg_controldata` reports for `data_dir`.
fn cluster_state(pg_controldata: &Path, data_dir: &Path) -> Result<String> {
    let output = Command::new(pg_controldata)
        .arg("-D")
        .arg(data_dir)
        // The labels are translated in other locales.
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", pg_controldata.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            pg_controldata.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("Database cluster state:"))
        .map(|state| state.trim().to_string())
        .with_context(|| format!("{} reported no cluster state", pg_controldata.display()))
}

/// Takes a cache entry out of use: it is renamed into a private directory of the cache (one
/// step, so that no run ever sees half of it), which is then removed. A rename and
/// `fs::remove_dir_all` act on links, never through them. An entry already gone is fine: a
/// concurrent run discarded it first.
pub fn discard(cached: &Path) -> Result<()> {
    let cache_dir = cached
        .parent()
        .with_context(|| format!("{} has no parent directory", cached.display()))?;
    let trash = PrivateDir::create(cache_dir)?;
    match fs::rename(cached, trash.path().join("discarded")) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("removing {}", cached.display()));
        }
        _ => {}
    }
    trash.release()
}

/// Removes what interrupted runs left in the cache directory: the private directories in
/// which they staged or discarded entries.
pub fn reap(cache_dir: &Path) {
    reap_stale_dirs(cache_dir);
}

/// Stores a fresh data directory (never started) as the cache entry `cached`. The copy is
/// made in a private directory next to it, flushed to disk, completed with its manifest and
/// renamed into place, so runs see either no entry or a complete one, after an interrupt and
/// after a power cut alike (the data directory is made with `--no-sync`, so the flush is
/// this function's); an interrupted copy stays in the private directory, which the signal
/// handler or the next run removes.
pub fn store(fresh: &Path, cached: &Path, bin_dir: &Path) -> Result<()> {
    let cache_dir = cached
        .parent()
        .with_context(|| format!("{} has no parent directory", cached.display()))?;
    fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let staging = PrivateDir::create(cache_dir)?;
    let copy = staging.path().join("data");
    copy_tree(fresh, &copy, None)?;
    let manifest = render_manifest(&list_tree(&copy)?)?;
    let manifest_path = copy.join(MANIFEST);
    fs::write(&manifest_path, manifest)
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    sync_tree(&copy)?;
    if let Err(error) = fs::rename(&copy, cached) {
        // A concurrent run stored the same version first; its entry is as good as ours.
        if check(cached, bin_dir) != CacheEntry::Usable {
            return Err(error)
                .with_context(|| format!("moving {} to {}", copy.display(), cached.display()));
        }
    }
    sync_path(cache_dir)?;
    staging.release()
}

/// Flushes every file and directory of a tree to disk. For PostgreSQL 15's data directory
/// (about a thousand entries) that took 0.2 s on a virtual disk, once per version.
fn sync_tree(root: &Path) -> Result<()> {
    // Directories come after their contents, so that a directory is flushed with its entries.
    for entry in walkdir::WalkDir::new(root).contents_first(true) {
        let entry = entry.with_context(|| format!("reading {}", root.display()))?;
        sync_path(entry.path())?;
    }
    Ok(())
}

fn sync_path(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("flushing {} to disk", path.display()))
}

/// Copies the tree `from` to `to` (which must not exist), keeping permission bits, and gives
/// every entry to `owner` when one is given (when running as root).
pub fn copy_tree(from: &Path, to: &Path, owner: Option<&RunAs>) -> Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .with_context(|| format!("{} is outside {}", entry.path().display(), from.display()))?;
        // The manifest belongs to the cache entry, not to the data directory.
        if relative == Path::new(MANIFEST) {
            continue;
        }
        let target = to.join(relative);
        let file_type = entry.file_type();
        if file_type.is_dir() {
            fs::create_dir(&target)
                .with_context(|| format!("creating directory {}", target.display()))?;
            let mode = entry
                .metadata()
                .with_context(|| format!("reading {}", entry.path().display()))?
                .permissions()
                .mode();
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                .with_context(|| format!("setting the mode of {}", target.display()))?;
        } else if file_type.is_file() {
            // fs::copy copies the permission bits too.
            fs::copy(entry.path(), &target).with_context(|| {
                format!("copying {} to {}", entry.path().display(), target.display())
            })?;
        } else {
            // initdb makes only directories and files; anything else is not its work.
            bail!(
                "{} is neither a file nor a directory; refusing to copy it",
                entry.path().display()
            );
        }
        if let Some(owner) = owner {
            owner.chown(&target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_entry_is_named_by_a_sanitised_version() {
        assert_eq!(
            cache_path(Path::new("/c"), "15.14"),
            PathBuf::from("/c/pg-15.14-initdb")
        );
        assert_eq!(
            cache_path(Path::new("/c"), "17/../x"),
            PathBuf::from("/c/pg-17_.._x-initdb")
        );
    }

    /// A data directory of a few files, as `initdb` would leave one, in `root/fresh`.
    fn fresh_data_dir(root: &Path) -> Result<PathBuf> {
        let fresh = root.join("fresh");
        fs::create_dir_all(fresh.join("base"))?;
        fs::create_dir_all(fresh.join("global"))?;
        fs::set_permissions(&fresh, fs::Permissions::from_mode(0o700))?;
        fs::write(fresh.join("PG_VERSION"), "15\n")?;
        fs::set_permissions(fresh.join("PG_VERSION"), fs::Permissions::from_mode(0o600))?;
        fs::write(fresh.join("global/pg_control"), [0u8; 64])?;
        Ok(fresh)
    }

    /// A directory without `pg_controldata`, so that only the manifest is checked.
    fn no_binaries(root: &Path) -> Result<PathBuf> {
        let bin_dir = root.join("bin");
        fs::create_dir_all(&bin_dir)?;
        Ok(bin_dir)
    }

    fn names_in(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
        let mut names = fs::read_dir(dir)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<Vec<_>, _>>()?;
        names.sort();
        Ok(names)
    }

    #[test]
    fn a_copy_keeps_the_modes_and_stores_leave_one_entry_and_no_staging_directory() -> Result<()> {
        let root = tempfile::tempdir()?;
        let fresh = fresh_data_dir(root.path())?;
        let bin_dir = no_binaries(root.path())?;
        let cache_dir = root.path().join("cache");
        let cached = cache_path(&cache_dir, "15.14");
        assert_eq!(check(&cached, &bin_dir), CacheEntry::Missing);

        store(&fresh, &cached, &bin_dir)?;
        // A second store of the same version, as by a concurrent run, keeps the first entry.
        store(&fresh, &cached, &bin_dir)?;

        assert_eq!(check(&cached, &bin_dir), CacheEntry::Usable);
        let mode = |path: &Path| -> Result<u32> { Ok(fs::metadata(path)?.permissions().mode()) };
        assert_eq!(mode(&cached)? & 0o777, 0o700);
        assert_eq!(mode(&cached.join("PG_VERSION"))? & 0o777, 0o600);
        assert!(cached.join("base").is_dir());
        assert!(cached.join(MANIFEST).is_file());
        assert_eq!(
            names_in(&cache_dir)?,
            vec![cached.file_name().context("no file name")?.to_owned()]
        );

        // A copy for a run is the data directory alone, without the manifest.
        let copy = root.path().join("copy");
        copy_tree(&cached, &copy, None)?;
        assert_eq!(names_in(&copy)?, names_in(&fresh)?);
        Ok(())
    }

    #[test]
    fn an_incomplete_or_altered_entry_is_unusable_and_discarded() -> Result<()> {
        let root = tempfile::tempdir()?;
        let fresh = fresh_data_dir(root.path())?;
        let bin_dir = no_binaries(root.path())?;
        let cache_dir = root.path().join("cache");
        let entry = |name: &str| -> Result<PathBuf> {
            let cached = cache_path(&cache_dir, name);
            store(&fresh, &cached, &bin_dir)?;
            Ok(cached)
        };
        let unusable = |cached: &Path, why: &str| match check(cached, &bin_dir) {
            CacheEntry::Unusable(reason) => assert!(reason.contains(why), "{reason}"),
            other => panic!(
                "{} is {other:?}, expected unusable: {why}",
                cached.display()
            ),
        };

        // What an interrupted write in place left: PG_VERSION and nothing else.
        let version_only = cache_path(&cache_dir, "version-only");
        fs::create_dir_all(&version_only)?;
        fs::write(version_only.join("PG_VERSION"), "15\n")?;
        unusable(&version_only, "was not completed");

        let no_control = entry("no-control")?;
        fs::remove_file(no_control.join("global/pg_control"))?;
        unusable(&no_control, "global/pg_control is missing");

        let truncated = entry("truncated")?;
        fs::write(truncated.join("global/pg_control"), [0u8; 8])?;
        unusable(
            &truncated,
            "global/pg_control is a file of 8 bytes, where a file of 64",
        );

        let extra = entry("extra")?;
        fs::write(extra.join("base/planted"), "x")?;
        unusable(&extra, "base/planted was not stored there");

        let garbled = entry("garbled")?;
        fs::write(garbled.join(MANIFEST), "f 1 PG_VERSION\n")?;
        unusable(&garbled, "garbled");

        let linked = cache_path(&cache_dir, "linked");
        std::os::unix::fs::symlink(entry("target")?, &linked)?;
        unusable(&linked, "not a directory");

        for cached in [&version_only, &no_control, &linked] {
            discard(cached)?;
            assert_eq!(check(cached, &bin_dir), CacheEntry::Missing);
        }
        // The link was removed, not what it led to; and nothing else is left behind.
        assert_eq!(
            check(&cache_path(&cache_dir, "target"), &bin_dir),
            CacheEntry::Usable
        );
        discard(&cache_path(&cache_dir, "never-there"))?;
        let left: Vec<_> = names_in(&cache_dir)?
            .into_iter()
            .filter_map(|name| name.into_string().ok())
            .collect();
        assert_eq!(
            left,
            ["extra", "garbled", "target", "truncated"]
                .map(|name| format!("pg-{name}-initdb"))
                .to_vec()
        );
        Ok(())
    }

    #[test]
    fn a_manifest_reads_back() -> Result<()> {
        let root = tempfile::tempdir()?;
        let fresh = fresh_data_dir(root.path())?;
        let listed = list_tree(&fresh)?;
        assert_eq!(listed.get(Path::new("global")), Some(&TreeEntry::Directory));
        assert_eq!(
            listed.get(Path::new("global/pg_control")),
            Some(&TreeEntry::File { size: 64 })
        );
        assert_eq!(parse_manifest(&render_manifest(&listed)?), Some(listed));
        assert_eq!(parse_manifest("d base\n"), None);
        Ok(())
    }
}
