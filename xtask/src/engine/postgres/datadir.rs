//! The cache of initialized data directories: `initdb` takes a third of a second on tmpfs and
//! over a second on a disk, while copying its result takes tens of milliseconds.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::process::RunAs;
use super::registry::PrivateDir;

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

/// Whether a cached data directory is complete. It appears by a rename, so it is complete
/// whenever it exists.
pub fn is_cached(cached: &Path) -> bool {
    cached.join("PG_VERSION").is_file()
}

/// Stores a fresh data directory (never started) as the cache entry `cached`. The copy is
/// made in a private directory next to it and renamed into place, so concurrent runs see
/// either no entry or a complete one.
pub fn store(fresh: &Path, cached: &Path) -> Result<()> {
    let cache_dir = cached
        .parent()
        .with_context(|| format!("{} has no parent directory", cached.display()))?;
    fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let staging = PrivateDir::create(cache_dir)?;
    let copy = staging.path().join("data");
    copy_tree(fresh, &copy, None)?;
    if let Err(error) = fs::rename(&copy, cached) {
        // A concurrent run stored the same version first; its entry is as good as ours.
        if !is_cached(cached) {
            return Err(error)
                .with_context(|| format!("moving {} to {}", copy.display(), cached.display()));
        }
    }
    staging.release()
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

    #[test]
    fn a_copy_keeps_the_modes_and_stores_leave_one_entry_and_no_staging_directory() -> Result<()> {
        let root = tempfile::tempdir()?;
        let fresh = root.path().join("fresh");
        fs::create_dir_all(fresh.join("base"))?;
        fs::set_permissions(&fresh, fs::Permissions::from_mode(0o700))?;
        fs::write(fresh.join("PG_VERSION"), "15\n")?;
        fs::set_permissions(fresh.join("PG_VERSION"), fs::Permissions::from_mode(0o600))?;
        let cache_dir = root.path().join("cache");
        let cached = cache_path(&cache_dir, "15.14");

        store(&fresh, &cached)?;
        // A second store of the same version, as by a concurrent run, keeps the first entry.
        store(&fresh, &cached)?;

        assert!(is_cached(&cached));
        let mode = |path: &Path| -> Result<u32> { Ok(fs::metadata(path)?.permissions().mode()) };
        assert_eq!(mode(&cached)? & 0o777, 0o700);
        assert_eq!(mode(&cached.join("PG_VERSION"))? & 0o777, 0o600);
        assert!(cached.join("base").is_dir());
        let names: Vec<_> = fs::read_dir(&cache_dir)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, vec![cached.file_name().context("no file name")?]);
        Ok(())
    }
}
